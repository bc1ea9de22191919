"""Grad-CAM: which regions of a convolution layer's map support a class.

``alpha_k = mean_{i,j} d y^c / d A^k_{ij}`` (global average of the gradient of the
class score over each feature map), ``L = ReLU(sum_k alpha_k A^k)``, divided by its
maximum (exactly: the peak is 1; a map the ReLU left empty stays 0). The ReLU keeps
only what speaks *for* the class. ``y^c`` is the class's probability (default, as in
the TP's graded function), its logit (``score="logit"``, the paper's choice), or any
target of ``helpers.targets`` (a face's similarity to an enrolled one).

Reference: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from . import _checks
from ._graph import cached, require_traceable
from .models import identity, get_layer
from .targets import ClassScore, Target, as_target


def _gradcam_fn(model, layer_name, preprocess, target):
    def build():
        layer = get_layer(model, layer_name, spatial=True)
        tensor, columns = target.head(model)
        grad_model = keras.Model(model.input, [layer.output, tensor])

        @tf.function(reduce_retracing=True)
        def run(batch, index):
            with tf.GradientTape() as tape:
                activations, values = grad_model(preprocess(batch), training=False)
                scores = columns(values)
                top = tf.argmax(scores[0], output_type=tf.int32)
                chosen = tf.where(index < 0, top, index)
                score = scores[:, chosen]
            grads = tape.gradient(score, activations)
            weights = tf.reduce_mean(grads, axis=(0, 1, 2))  # alpha_k, one per channel
            cam = tf.nn.relu(tf.reduce_sum(activations[0] * weights, axis=-1))
            return cam, chosen

        return run

    return cached(model, ("gradcam", layer_name, preprocess, target.key), build)


def make_gradcam_heatmap(img_array: ArrayLike, model: keras.Model, layer_name: str,
                         pred_index: int | None = None, *,
                         preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
                         score: str = "probability", target: Target | None = None,
                         normalize: bool = True) -> np.ndarray:
    """Grad-CAM heatmap of one image at ``layer_name``'s resolution.

    Args:
        img_array: the preprocessed image, (1, H, W, C) or (H, W, C).
        model: classifier (Keras functional model, e.g. VGG16).
        layer_name: a spatial layer (e.g. ``"block5_conv3"``); an unknown name lists
            the convolution layers.
        pred_index: class to explain; default the top class.
        preprocess: optional callable applied before the model (for a raw image);
            default none.
        score: ``"probability"`` (the model's output) or ``"logit"`` (the pre-activation
            of its last layer; see ``helpers.models.logit_head``).
        target: what to explain instead of ``pred_index``/``score``: a
            ``helpers.ClassScore``, or a ``helpers.Similarity`` with a face extractor as
            ``model`` (why a recognizer matches a face; see ``helpers.targets``).
        normalize: divide by the maximum (the peak is exactly 1; an empty map stays 0);
            ``False`` returns the raw ``ReLU(sum_k alpha_k A^k)``.

    Returns:
        float32 (h, w), in [0, 1] when normalised (14×14 at VGG16's ``block5_conv3``).

    Raises:
        ValueError: an image that is not (H, W, C) or (1, H, W, C), an unknown or
            non-spatial layer (the message lists the convolution layers), or a
            ``pred_index`` out of range.
        TypeError: a ``preprocess`` that cannot run in a TensorFlow graph.

    Reference:
        Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
        Gradient-based Localization", ICCV 2017.
    """
    batch = _checks.as_batch(img_array, "img_array")
    get_layer(model, layer_name, spatial=True)  # clear error before any tracing
    target = as_target(target, pred_index, score, index_name="pred_index")
    if isinstance(target, ClassScore) and target.index is not None:
        _checks.class_index(target.index, model.output_shape[-1], "pred_index")
    index = -1 if target.index is None else target.index
    if preprocess is not None:
        require_traceable(preprocess, batch.shape[1:], "make_gradcam_heatmap")
    preprocess = identity if preprocess is None else preprocess
    cam, _ = _gradcam_fn(model, layer_name, preprocess, target)(tf.constant(batch), tf.constant(index))
    cam = cam.numpy().astype(np.float64)
    if normalize:
        peak = cam.max()
        cam = cam / peak if peak > 0 else np.zeros_like(cam)
    return cam.astype(np.float32)
