"""Grad-CAM: which regions of a convolution layer's map support a class.

``alpha_k = mean_{i,j} d y^c / d A^k_{ij}`` (global average of the gradient of the
class score over each feature map), ``L = ReLU(sum_k alpha_k A^k)``, divided by its
maximum (exactly: the peak is 1; a map the ReLU left empty stays 0). The ReLU keeps
only what speaks *for* the class. ``y^c`` is the class's probability (default, as in
the TP's graded function) or its logit (``score="logit"``, the paper's choice).

Reference: Selvaraju et al., "Grad-CAM: Visual Explanations from Deep Networks via
Gradient-based Localization", ICCV 2017.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from . import _checks
from ._graph import cached
from .models import _identity, check_score, get_layer, logit_head


def _gradcam_fn(model, layer_name, preprocess, score):
    def build():
        layer = get_layer(model, layer_name, spatial=True)
        if score == "logit":
            features, head = logit_head(model)
        else:
            features, head = model.output, (lambda outputs: outputs)
        grad_model = keras.Model(model.input, [layer.output, features])

        @tf.function(reduce_retracing=True)
        def run(batch, class_index):
            with tf.GradientTape() as tape:
                activations, features_value = grad_model(preprocess(batch), training=False)
                outputs = head(features_value)
                top = tf.argmax(outputs[0], output_type=tf.int32)
                target = tf.where(class_index < 0, top, class_index)
                class_score = outputs[:, target]
            grads = tape.gradient(class_score, activations)
            weights = tf.reduce_mean(grads, axis=(0, 1, 2))  # alpha_k, one per channel
            cam = tf.nn.relu(tf.reduce_sum(activations[0] * weights, axis=-1))
            return cam, target

        return run

    return cached(model, ("gradcam", layer_name, preprocess, score), build)


def make_gradcam_heatmap(img_array, model, layer_name: str, pred_index: int | None = None, *,
                         preprocess=None, score: str = "probability",
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
        normalize: divide by the maximum (the peak is exactly 1; an empty map stays 0);
            ``False`` returns the raw ``ReLU(sum_k alpha_k A^k)``.

    Returns:
        float32 (h, w), in [0, 1] when normalised (14×14 at VGG16's ``block5_conv3``).
    """
    batch = _checks.as_batch(img_array, "img_array")
    get_layer(model, layer_name, spatial=True)  # clear error before any tracing
    score = check_score(score)
    n_classes = model.output_shape[-1]
    index = -1 if pred_index is None else _checks.class_index(pred_index, n_classes, "pred_index")
    preprocess = _identity if preprocess is None else preprocess
    cam, _ = _gradcam_fn(model, layer_name, preprocess, score)(tf.constant(batch), tf.constant(index))
    cam = cam.numpy().astype(np.float64)
    if normalize:
        peak = cam.max()
        cam = cam / peak if peak > 0 else np.zeros_like(cam)
    return cam.astype(np.float32)
