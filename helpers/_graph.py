"""Compiled forward/backward functions, built once per model and reused.

Explanations call the model hundreds of times; ``model.predict`` costs ~80 ms of
overhead per call on MobileNetV2. Each function here is a ``tf.function`` compiled
once per (model, preprocessing) pair and kept for the model's lifetime, so a widget
that re-runs a method does not retrace.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Sequence
from typing import Any, TypeVar

import keras
import numpy as np
import tensorflow as tf
from tqdm.auto import tqdm

from .config import settings
from .messages import tr

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()

T = TypeVar("T")


def cached(model: keras.Model, key: Hashable, build: Callable[[], T]) -> T:
    """Return ``build()`` cached under ``(model, key)``, built on first use.

    The cache holds the model weakly: its functions go when the model goes.

    Args:
        model: the model the built object belongs to.
        key: what distinguishes the object among the model's (method, layer, ...).
        build: called once, without arguments, to make the object.

    Returns:
        The object ``build()`` returned the first time for ``(model, key)``.
    """
    per_model = _CACHE.setdefault(model, {})
    if key not in per_model:
        per_model[key] = build()
    return per_model[key]


def forward_fn(model: keras.Model) -> Callable[[tf.Tensor], Any]:
    """The forward pass on *preprocessed* batches, compiled once per model.

    Args:
        model: a Keras model.

    Returns:
        ``f(batch) -> outputs``, a ``tf.function`` calling ``model(batch, training=False)``.
    """

    def build():
        @tf.function(reduce_retracing=True)
        def forward(batch):
            return model(batch, training=False)

        return forward

    return cached(model, ("forward",), build)


def traceable(preprocess: Callable[[Any], Any], image_shape: Sequence[int]) -> bool:
    """Whether ``preprocess`` can run inside a compiled graph (TensorFlow operations).

    A preprocessing written with NumPy (``lambda x: np.asarray(x) / 255``) cannot: the
    perturbation methods then apply it eagerly, batch by batch, and the gradient
    methods, which differentiate through it, say so.

    Args:
        preprocess: the preprocessing callable, batch to batch.
        image_shape: shape of one image, e.g. ``(224, 224, 3)``.

    Returns:
        True when ``preprocess`` traces on float32 batches of ``image_shape`` images.
    """
    spec = tf.TensorSpec((None,) + tuple(int(d) for d in image_shape), tf.float32)
    try:
        tf.function(lambda batch: tf.convert_to_tensor(preprocess(batch))).get_concrete_function(spec)
    except Exception:  # noqa: BLE001 - any failure to trace means "run it eagerly"
        return False
    return True


def require_traceable(preprocess: Callable[[Any], Any], image_shape: Sequence[int],
                      method: str) -> None:
    """The error of a gradient method given a preprocessing it cannot differentiate.

    Args:
        preprocess: the preprocessing callable, batch to batch.
        image_shape: shape of one image, e.g. ``(224, 224, 3)``.
        method: the method's name, for the message.

    Raises:
        TypeError: ``preprocess`` cannot run in a TensorFlow graph (see ``traceable``).
    """
    if not traceable(preprocess, image_shape):
        raise TypeError(tr(
            "{method} differentiates through preprocess=, so it must be written with "
            "TensorFlow operations (e.g. lambda x: tf.cast(x, tf.float32) / 255); this one "
            "cannot run in a TensorFlow graph (NumPy?). Or preprocess the image yourself and "
            "leave preprocess=None.", method=method))


def chunks(n: int, batch_size: int, progress: bool | None,
           desc: str) -> Sequence[tuple[int, int]]:
    """``(start, stop)`` pairs covering ``range(n)``, with a progress bar when useful.

    Args:
        n: number of items.
        batch_size: items per chunk (the last chunk may be shorter).
        progress: show a bar when there is more than one chunk; ``None`` follows
            ``settings().progress`` (off under nbgrader).
        desc: the bar's label, in the course's language.

    Returns:
        The ``(start, stop)`` pairs, wrapped in a tqdm bar when one is shown.
    """
    spans = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    show = settings().progress if progress is None else progress
    if show and len(spans) > 1:
        return tqdm(spans, desc=desc, unit=tr("batch"), leave=False)
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

    Args:
        values: a map of any shape, any real dtype.
        eps: added to the range in the denominator (0: exact [0, 1]).

    Returns:
        float32 array of ``values``' shape, in [0, 1].
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = values.min(), values.max()
    if eps:
        return ((values - low) / (high - low + eps)).astype(np.float32)
    if high == low:
        return np.zeros(values.shape, np.float32)
    return ((values - low) / (high - low)).astype(np.float32)
