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
from ._graph import cached, chunks, forward_fn, min_max, require_traceable
from .config import settings
from .messages import label
from .models import identity
from .targets import ClassScore, Target, as_target, reader


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
    """``target`` with its index fixed on the clean image (its top class by default).

    The forward pass is the compiled one (``forward_fn``): an eager Keras call costs
    ~0.2 s of overhead on MobileNetV2, a third of a SmoothGrad. A given class index
    needs none: its range is checked against the model's output size."""
    if isinstance(target, ClassScore) and target.index is not None and _classes(model):
        # a given class needs no forward pass: only its range is checked
        return target.resolve(np.zeros(_classes(model), np.float32))
    read, columns = reader(model, target)
    values = forward_fn(read)(preprocess(tf.constant(batch)))
    return target.resolve(np.asarray(columns(values))[0])


def _classes(model) -> int | None:
    """The number of classes of a classifier with one (batch, classes) output, else None."""
    shape = getattr(model, "output_shape", None)
    if isinstance(shape, tuple) and len(shape) == 2 and isinstance(shape[-1], int):
        return shape[-1]
    return None


def sample_maps_fn(model: keras.Model, preprocess: Callable[[tf.Tensor], tf.Tensor],
                   target: Target) -> Callable[[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor], tf.Tensor]:
    """SmoothGrad's compiled step: the noisy copies built and differentiated in one graph.

    ``f(image, normals, noise, indices) -> (k, H, W)``: copy ``i`` is
    ``image + normals[i] * noise`` (the same float32 arithmetic as NumPy's), and its map
    is ``max_c |d score_i / d copy_i|`` — reduced inside the graph, so only (k, H, W)
    comes back instead of the (k, H, W, C) gradients.

    Args:
        model: a Keras model.
        preprocess: applied inside the tape (traceable; ``identity`` for none).
        target: a resolved ``ClassScore`` or ``Similarity``.

    Returns:
        The compiled function, cached per (model, preprocess, target kind).
    """

    def build():
        read, columns = reader(model, target)

        @tf.function(reduce_retracing=True)
        def maps(image, normals, noise, indices):
            batch = image + normals * noise
            with tf.GradientTape() as tape:
                tape.watch(batch)
                scores = columns(read(preprocess(batch), training=False))
                chosen = tf.gather(scores, indices, axis=1, batch_dims=1)
            return tf.reduce_max(tf.abs(tape.gradient(chosen, batch)), axis=-1)

        return maps

    return cached(model, ("smoothgrad", preprocess, target.key), build)


# Memory budget of one SmoothGrad call (bytes, as ``activation_bytes`` estimates them):
# the batch size is chosen so that a batch stays under it. 1 GB lets MobileNetV2 224²
# take its 20 copies in one call (+0.55 GB peak RSS, measured) and VGG16 224² 18 (20
# copies: two calls of 10, +0.55 GB), far inside Colab's 12 GB.
SMOOTHGRAD_BUDGET = 1.0e9


def activation_bytes(model: keras.Model, image_shape: tuple[int, ...]) -> int:
    """Estimated bytes that one image adds to a forward + backward pass's peak.

    The float32 outputs of the layers with weights (convolutions, dense layers; batch
    normalisations and activations are fused or freed by TensorFlow), summed; a layer
    with an unknown spatial size is scaled from the input's area. Measured on 224²
    images (peak RSS of 20 copies, per copy): MobileNetV2 27.6 MB (estimate 26.7),
    VGG16 53 MB (estimate 54).

    Args:
        model: a Keras model.
        image_shape: one input image's shape, (H, W, C).

    Returns:
        Bytes per image, at least the input's own size.
    """

    def build():
        height, width = (int(d) for d in image_shape[:2])
        total = 0
        for layer in getattr(model, "layers", []):
            if not layer.weights or isinstance(layer, keras.layers.BatchNormalization):
                continue  # activations, normalisations: fused or freed, measured
            try:
                output = layer.output
            except (AttributeError, ValueError):  # a layer never called symbolically
                continue
            outputs = output if isinstance(output, (list, tuple)) else [output]
            for out in outputs:
                dims = list(getattr(out, "shape", ()) or ())[1:]
                if len(dims) == 3 and (dims[0] is None or dims[1] is None):
                    # fully convolutional model: the map scales with the input's area
                    dims = [height, width, dims[2] or 1]
                size = 1
                for d in dims:
                    size *= int(d) if d is not None else 1
                total += size
        return max(4 * total, 4 * height * width * int(image_shape[2]))

    return cached(model, ("activation_bytes", tuple(image_shape)), build)


def smoothgrad_batch_size(model: keras.Model, image_shape: tuple[int, ...], n_samples: int,
                          budget: float | None = None) -> int:
    """The noisy copies per compiled call: all of them if they fit ``budget``.

    Args:
        model: the model to differentiate.
        image_shape: one input image's shape, (H, W, C).
        n_samples: the number of noisy copies.
        budget: bytes one call may hold (default ``SMOOTHGRAD_BUDGET``).

    Returns:
        ``min(n_samples, budget // activation_bytes)``, at least 1; when the copies do
        not fit in one call they are split into near-equal batches (20 copies with room
        for 18 run as 10 + 10, not 18 + 2).
    """
    budget = SMOOTHGRAD_BUDGET if budget is None else budget
    fits = max(1, int(budget // activation_bytes(model, image_shape)))
    if fits >= n_samples:
        return n_samples
    calls = -(-n_samples // fits)
    return -(-n_samples // calls)


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
               batch_size: int | None = None, seed: int | None = None,
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
        batch_size: noisy copies per compiled forward/backward pass; the result does
            not depend on it. Default (None): all of them when they fit the memory
            budget, else equal batches under it (``smoothgrad_batch_size``:
            MobileNetV2 224² takes 20 copies in one call, VGG16 224² two calls of 10).
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
    if batch_size is not None:
        batch_size = _checks.positive_int(batch_size, "batch_size")
    target = as_target(target, class_index, score)
    if preprocess is not None:
        require_traceable(preprocess, batch.shape[1:], "smoothgrad")
    preprocess = identity if preprocess is None else preprocess
    target = _resolve(model, batch, preprocess, target)
    if batch_size is None:
        batch_size = smoothgrad_batch_size(model, batch.shape[1:], n_samples)
    rng = np.random.default_rng(settings().seed if seed is None else seed)
    maps = sample_maps_fn(model, preprocess, target)
    image, scale = tf.constant(batch[0]), tf.constant(noise, tf.float32)
    total = np.zeros(batch.shape[1:3], np.float64)
    for start, stop in chunks(n_samples, batch_size, progress, label("SmoothGrad")):
        k = stop - start
        # the same draws as one standard_normal((n_samples, ...)): the stream does not
        # depend on how it is split, so neither do the copies
        normals = rng.standard_normal((k,) + batch.shape[1:], dtype=np.float32)
        total += maps(image, tf.constant(normals), scale, tf.fill([k], target.index)).numpy().sum(axis=0)
    return _finish(total / n_samples, normalize)
