"""Compiled forward/backward functions, built once per model and reused.

Explanations call the model hundreds of times; ``model.predict`` costs ~80 ms of
overhead per call on MobileNetV2. Each function here is a ``tf.function`` compiled
once per (model, preprocessing) pair and kept for the model's lifetime, so a widget
that re-runs a method does not retrace.
"""

from __future__ import annotations

import weakref

import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .config import settings

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def cached(model, key, build):
    """Return ``build()`` cached under ``(model, key)``."""
    per_model = _CACHE.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build()
    return per_model[key]


def forward_fn(model):
    """``f(batch) -> outputs``: the forward pass on *preprocessed* batches, compiled once."""

    def build():
        @tf.function(reduce_retracing=True)
        def forward(batch):
            return model(batch, training=False)

        return forward

    return cached(model, ("forward",), build)


def traceable(preprocess, image_shape) -> bool:
    """Whether ``preprocess`` can run inside a compiled graph (TensorFlow operations) on
    batches of ``image_shape`` images.

    A preprocessing written with NumPy (``lambda x: np.asarray(x) / 255``) cannot: the
    perturbation methods then apply it eagerly, batch by batch, and the gradient
    methods, which differentiate through it, say so.
    """
    spec = tf.TensorSpec((None,) + tuple(int(d) for d in image_shape), tf.float32)
    try:
        tf.function(lambda batch: tf.convert_to_tensor(preprocess(batch))).get_concrete_function(spec)
    except Exception:  # noqa: BLE001 - any failure to trace means "run it eagerly"
        return False
    return True


def require_traceable(preprocess, image_shape, method: str) -> None:
    """The error of a gradient method given a preprocessing it cannot differentiate."""
    if not traceable(preprocess, image_shape):
        raise TypeError(
            f"{method} differentiates through preprocess=, so it must be written with "
            "TensorFlow operations (e.g. lambda x: tf.cast(x, tf.float32) / 255); this one "
            "cannot run in a TensorFlow graph (NumPy?). Or preprocess the image yourself and "
            "leave preprocess=None."
        )


def chunks(n: int, batch_size: int, progress: bool | None, desc: str):
    """``(start, stop)`` pairs covering ``range(n)``, with a progress bar when useful."""
    spans = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    show = settings().progress if progress is None else progress
    if show and len(spans) > 1:
        return tqdm(spans, desc=desc, unit="batch", leave=False)
    return spans


def min_max(values: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Min–max normalisation of a map to [0, 1].

    With ``eps = 0`` (the methods' default) the map spans *exactly* [0, 1] whatever its
    range — a confident prediction's gradients can span 1e-9 and still map onto
    [0, 1] — and an exactly constant map (nothing to show) gives zeros. The arithmetic
    is in float64, the result float32.

    ``eps > 0`` is the handouts' formula ``(v - min) / (max - min + eps)``, which the
    graded occlusion functions follow (their statements say so): it flattens maps
    whose range is not much larger than ``eps``.
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    if eps:
        return ((values - low) / (high - low + eps)).astype(np.float32)
    if high == low:
        return np.zeros(values.shape, np.float32)
    return ((values - low) / (high - low)).astype(np.float32)
