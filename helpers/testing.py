"""Known-answer models and images for tests and for the notebooks' hidden tests.

A "red square detector": a 1×1 convolution that fires on pure red pixels, global
average pooling, and a two-class softmax whose class 0 grows with the red area.
On a black image with one red square, every honest explanation of class 0 must
point at the square: hiding it lowers the score (occlusion), only its pixels have a
gradient (saliency), and the detector's map is the square itself (Grad-CAM).
All weights are set by hand; nothing is random.
"""

from __future__ import annotations

import keras
import numpy as np


def red_square_model(size: int | tuple[int, int] | None = 32, gain: float = 4.0) -> keras.Model:
    """The red-square detector on raw 0–255 input (no preprocessing).

    Args:
        size: input side, ``(height, width)``, or ``None`` for a flexible input size.
        gain: slope of the class-0 logit in the red fraction of the image.

    Layers: ``detector`` (Conv2D 1×1, ReLU: 1 on pure red, 0 on black, grey,
    white), ``pool`` (GlobalAveragePooling2D), ``predictions`` (Dense 2, softmax:
    logits ``(gain·r, −gain·r)`` for red fraction ``r``).
    """
    if size is None:
        shape = (None, None, 3)
    elif isinstance(size, int):
        shape = (size, size, 3)
    else:
        shape = (int(size[0]), int(size[1]), 3)
    inputs = keras.Input(shape=shape, name="image")
    detector = keras.layers.Conv2D(1, 1, activation="relu", name="detector")
    x = detector(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    outputs = dense(x)
    model = keras.Model(inputs, outputs, name="red_square_detector")
    detector.set_weights([np.array([1.0, -1.0, -1.0], np.float32).reshape(1, 1, 3, 1) / 255.0,
                          np.zeros(1, np.float32)])
    dense.set_weights([np.array([[gain, -gain]], np.float32), np.zeros(2, np.float32)])
    return model


def red_square_image(size=32, top: int = 8, left: int = 12, side: int = 8) -> np.ndarray:
    """Black uint8 image (H, W, 3) with a pure red ``side``×``side`` square at (top, left)."""
    height, width = (size, size) if isinstance(size, int) else size
    image = np.zeros((height, width, 3), np.uint8)
    image[top:top + side, left:left + side, 0] = 255
    return image


def square_mask(size=32, top: int = 8, left: int = 12, side: int = 8) -> np.ndarray:
    """Boolean (H, W) mask of the square drawn by ``red_square_image``."""
    return red_square_image(size, top, left, side)[..., 0] > 0
