"""Gradient saliency and SmoothGrad.

Both return ``|d score / d input|`` reduced by the maximum over colour channels and
min–max normalised to exactly [0, 1]. The score is the class's probability (the
model's output, default) or its logit (``score="logit"``: the pre-softmax score the
papers explain, which does not saturate on a confident prediction), taken inside the
gradient tape.

References:
    Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks", 2014.
    Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from . import _checks
from ._graph import cached, chunks, min_max, require_traceable
from .config import settings
from .messages import label
from .models import identity
from .targets import Target, as_target, reader


def gradient_fn(model: keras.Model, preprocess: Callable[[tf.Tensor], tf.Tensor],
                target: Target) -> Callable[[tf.Tensor, tf.Tensor], tuple[tf.Tensor, tf.Tensor]]:
    """The gradient of each image's score, compiled once per (model, preprocess, target kind).

    ``columns`` are the ``(n, k)`` scores ``target`` reads (probabilities, logits or a
    similarity); image ``i``'s score is ``columns[i, indices[i]]``, taken *inside* the
    tape: indexing the prediction after the tape closes gives ``None`` gradients.

    Args:
        model: a Keras model.
        preprocess: applied inside the tape (traceable; ``identity`` for none).
        target: a ``ClassScore`` or ``Similarity``.

    Returns:
        ``f(batch, indices) -> (d score / d batch, columns)``: gradients (n, H, W, C)
        float32 and scores (n, k).
    """

    def build():
        read, columns = reader(model, target)

        @tf.function(reduce_retracing=True)
        def gradients(batch, indices):
            with tf.GradientTape() as tape:
                tape.watch(batch)
                scores = columns(read(preprocess(batch), training=False))
                chosen = tf.gather(scores, indices, axis=1, batch_dims=1)
            return tape.gradient(chosen, batch), scores

        return gradients

    return cached(model, ("gradient", preprocess, target.key), build)


def _resolve(model, batch, preprocess, target):
    """``target`` with its index fixed on the clean image (its top class by default)."""
    read, columns = reader(model, target)
    return target.resolve(np.asarray(columns(read(preprocess(tf.constant(batch)), training=False)))[0])


def _finish(values: np.ndarray, normalize: bool) -> np.ndarray:
    return min_max(values) if normalize else np.asarray(values, np.float32)


def saliency_map(model: keras.Model, img_preprocessed: ArrayLike, class_index: int | None = None,
                 *, preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
                 score: str = "probability", target: Target | None = None,
                 normalize: bool = True) -> np.ndarray:
    """Vanilla gradient saliency of one image.

    Args:
        model: classifier.
        img_preprocessed: the *preprocessed* image, (1, H, W, C) or (H, W, C).
        class_index: class to explain; default the top class.
        preprocess: optional callable applied inside the tape — pass the model's
            preprocessing with a *raw* image to get the gradient w.r.t. raw pixels.
            Default: none (the input is already preprocessed).
        score: ``"probability"`` (the model's output) or ``"logit"`` (the pre-activation
            of its last layer; see ``helpers.models.logit_head``).
        target: what to explain instead of ``class_index``/``score``: a
            ``helpers.ClassScore`` or a ``helpers.Similarity`` (see ``helpers.targets``).
        normalize: min–max normalise to exactly [0, 1] (a constant map gives zeros);
            ``False`` returns the raw ``max_c |gradient|``.

    Returns:
        float32 (H, W), in [0, 1] when normalised.

    Raises:
        ValueError: an image that is not (H, W, C) or (1, H, W, C), or a
            ``class_index`` out of range.
        TypeError: a ``preprocess`` that cannot run in a TensorFlow graph.

    Reference:
        Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks: Visualising
        Image Classification Models and Saliency Maps", ICLR workshop 2014.
    """
    batch = _checks.as_batch(img_preprocessed)
    target = as_target(target, class_index, score)
    if preprocess is not None:
        require_traceable(preprocess, batch.shape[1:], "saliency_map")
    preprocess = identity if preprocess is None else preprocess
    target = _resolve(model, batch, preprocess, target)
    grads, _ = gradient_fn(model, preprocess, target)(tf.constant(batch), tf.constant([target.index]))
    return _finish(np.max(np.abs(grads.numpy()[0]), axis=-1), normalize)


def smoothgrad(model: keras.Model, img_preprocessed: ArrayLike, n_samples: int = 20,
               noise: float = 0.2, *, class_index: int | None = None,
               preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
               score: str = "probability", target: Target | None = None, normalize: bool = True,
               batch_size: int = 10, seed: int | None = None,
               progress: bool | None = None) -> np.ndarray:
    """SmoothGrad: the mean saliency of ``n_samples`` noisy copies of the input.

    Each copy is ``img_preprocessed + N(0, noise²)`` (``noise`` is a standard
    deviation in the preprocessed units: 0.2 is 10 % of MobileNetV2's [-1, 1] range).
    Every copy explains the **clean image's top class** (or ``class_index``): one
    well-defined target, rather than whatever each noisy copy happens to predict.
    Per copy: ``|gradient|``, max over channels; the mean is min–max normalised.

    Args:
        model: classifier.
        img_preprocessed: preprocessed image, (1, H, W, C) or (H, W, C).
        n_samples: number of noisy copies (> 0).
        noise: standard deviation of the Gaussian noise (>= 0).
        class_index: class to explain; default the clean image's top class.
        preprocess: optional callable applied inside the tape (see ``saliency_map``).
        score: ``"probability"`` or ``"logit"`` (see ``saliency_map``).
        target: a ``helpers.ClassScore`` or ``helpers.Similarity`` (see ``saliency_map``).
        normalize: min–max normalise to exactly [0, 1]; ``False`` returns the raw mean.
        batch_size: noisy copies per backward pass; the result does not depend on it.
        seed: seed of the noise (default ``XAI_COURSE_SEED``).
        progress: progress bar (default on, off under nbgrader).

    Returns:
        float32 (H, W), in [0, 1] when normalised.

    Raises:
        ValueError: an image that is not (H, W, C) or (1, H, W, C), ``n_samples`` or
            ``batch_size`` not a positive integer, a negative ``noise``, or a
            ``class_index`` out of range.
        TypeError: a ``preprocess`` that cannot run in a TensorFlow graph.

    Reference:
        Smilkov, Thorat, Kim, Viégas & Wattenberg, "SmoothGrad: removing noise by
        adding noise", ICML workshop 2017.
    """
    batch = _checks.as_batch(img_preprocessed)
    n_samples = _checks.positive_int(n_samples, "n_samples")
    noise = _checks.non_negative_float(noise, "noise")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    target = as_target(target, class_index, score)
    if preprocess is not None:
        require_traceable(preprocess, batch.shape[1:], "smoothgrad")
    preprocess = identity if preprocess is None else preprocess
    target = _resolve(model, batch, preprocess, target)
    rng = np.random.default_rng(settings().seed if seed is None else seed)
    gradients = gradient_fn(model, preprocess, target)
    total = np.zeros(batch.shape[1:3], np.float64)
    for start, stop in chunks(n_samples, batch_size, progress, label("SmoothGrad")):
        k = stop - start
        noisy = batch + rng.standard_normal((k,) + batch.shape[1:], dtype=np.float32) * np.float32(noise)
        grads, _ = gradients(tf.constant(noisy), tf.fill([k], target.index))
        total += np.max(np.abs(grads.numpy()), axis=-1).sum(axis=0)
    return _finish(total / n_samples, normalize)
