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


def forward_fn(model, preprocess):
    """``f(batch) -> outputs``: preprocessing and forward pass in one graph."""

    def build():
        @tf.function(reduce_retracing=True)
        def forward(batch):
            return model(preprocess(batch), training=False)

        return forward

    return cached(model, ("forward", preprocess), build)


def gradient_fn(model, preprocess):
    """``f(batch, classes) -> (d score / d batch, outputs)``.

    The score of each image (``outputs[i, classes[i]]``) is taken *inside* the tape:
    indexing the prediction after the tape closes gives ``None`` gradients.
    """

    def build():
        @tf.function(reduce_retracing=True)
        def gradients(batch, classes):
            with tf.GradientTape() as tape:
                tape.watch(batch)
                outputs = model(preprocess(batch), training=False)
                scores = tf.gather(outputs, classes, axis=1, batch_dims=1)
            return tape.gradient(scores, batch), outputs

        return gradients

    return cached(model, ("gradient", preprocess), build)


def chunks(n: int, batch_size: int, progress: bool | None, desc: str):
    """``(start, stop)`` pairs covering ``range(n)``, with a progress bar when useful."""
    spans = [(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]
    show = settings().progress if progress is None else progress
    if show and len(spans) > 1:
        return tqdm(spans, desc=desc, unit="batch", leave=False)
    return spans


def min_max(values: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Min–max normalisation to [0, 1] with ``eps`` against a flat map."""
    values = np.asarray(values, dtype=np.float32)
    return ((values - values.min()) / (values.max() - values.min() + eps)).astype(np.float32)
