"""Grad-CAM: which regions of a convolution layer's map support a class.

``alpha_k = mean_{i,j} d y^c / d A^k_{ij}`` (global average of the gradient of the
class score over each feature map), ``L = ReLU(sum_k alpha_k A^k)``, divided by its
maximum. The ReLU keeps only what speaks *for* the class.

Reference: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from . import _checks
from ._graph import cached
from .models import _identity, get_layer


def _gradcam_fn(model, layer_name, preprocess):
    def build():
        layer = get_layer(model, layer_name, spatial=True)
        grad_model = keras.Model(model.input, [layer.output, model.output])

        @tf.function(reduce_retracing=True)
        def run(batch, class_index):
            with tf.GradientTape() as tape:
                activations, outputs = grad_model(preprocess(batch), training=False)
                top = tf.argmax(outputs[0], output_type=tf.int32)
                target = tf.where(class_index < 0, top, class_index)
                score = outputs[:, target]
            grads = tape.gradient(score, activations)
            weights = tf.reduce_mean(grads, axis=(0, 1, 2))  # alpha_k, one per channel
            cam = tf.reduce_sum(activations[0] * weights, axis=-1)
            cam = tf.nn.relu(cam)
            return cam / (tf.reduce_max(cam) + 1e-8), target

        return run

    return cached(model, ("gradcam", layer_name, preprocess), build)


def make_gradcam_heatmap(img_array, model, layer_name: str, pred_index: int | None = None, *,
                         preprocess=None) -> np.ndarray:
    """Grad-CAM heatmap of one image at ``layer_name``'s resolution.

    Args:
        img_array: the preprocessed image, (1, H, W, C) or (H, W, C).
        model: classifier (Keras functional model, e.g. VGG16).
        layer_name: a spatial layer (e.g. ``"block5_conv3"``); an unknown name lists
            the convolution layers.
        pred_index: class to explain; default the top class.
        preprocess: optional callable applied before the model (for a raw image);
            default none.

    Returns:
        float32 (h, w) in [0, 1] (14×14 at VGG16's ``block5_conv3``).
    """
    batch = _checks.as_batch(img_array, "img_array")
    get_layer(model, layer_name, spatial=True)  # clear error before any tracing
    n_classes = model.output_shape[-1]
    index = -1 if pred_index is None else _checks.class_index(pred_index, n_classes, "pred_index")
    preprocess = _identity if preprocess is None else preprocess
    cam, _ = _gradcam_fn(model, layer_name, preprocess)(tf.constant(batch), tf.constant(index))
    return cam.numpy().astype(np.float32)
