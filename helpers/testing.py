"""Known-answer models and images for tests and for the notebooks' hidden tests.

A "red square detector": a 1×1 convolution that fires on pure red pixels, global
average pooling, and a two-class softmax whose class 0 grows with the red area.
On a black image with one red square, every honest explanation of class 0 must
point at the square: hiding it lowers the score (occlusion), only its pixels have a
gradient (saliency), and the detector's map is the square itself (Grad-CAM).
All weights are set by hand; nothing is random.
"""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from .messages import tr


def red_square_model(size: int | tuple[int, int] | None = 32, gain: float = 4.0,
                     preprocessing: str = "raw", bias: float = 0.0, floor: float = 0.0) -> keras.Model:
    """The red-square detector.

    Layers: ``detector`` (Conv2D 1×1, ReLU: 1 on pure red, 0 on black, grey and
    white), ``pool`` (GlobalAveragePooling2D), ``predictions`` (Dense 2, softmax:
    logits ``(gain·r, −gain·r)`` for red fraction ``r``).

    Args:
        size: input side, ``(height, width)``, or ``None`` for a flexible input size.
        gain: slope of the class-0 logit in the red fraction of the image (negative:
            class 1 becomes the top class when red is present).
        preprocessing: the input it expects: ``"raw"`` (0–255, the model is named
            ``red_square_detector``) or ``"mobilenet_v2"`` ([-1, 1]; named
            ``mobilenetv2_red_square`` so ``helpers.get_preprocess`` picks MobileNetV2's
            preprocessing, like for the practical's real model).
        bias: logits become ``(gain·r − bias, −gain·r + bias)``: with ``bias > 0`` class 1
            wins on an image without red, so hiding the square flips the top class.
        floor: the detector's bias: it gives ``floor`` on black (``1 + floor`` on red), so
            its map is positive everywhere: a Grad-CAM normalised by its maximum is
            ``floor / (1 + floor)`` off the square, a min–max one 0.

    Returns:
        The model, (n, H, W, 3) → (n, 2) probabilities, weights set by hand.

    Raises:
        ValueError: an unknown ``preprocessing``.
    """
    inputs = keras.Input(shape=_shape(size), name="image")
    detector = keras.layers.Conv2D(1, 1, activation="relu", name="detector")
    x = detector(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    outputs = dense(x)
    if preprocessing == "raw":
        name, kernel = "red_square_detector", np.array([1.0, -1.0, -1.0]) / 255.0
    elif preprocessing == "mobilenet_v2":
        # red (1, -1, -1) -> 2, black (-1, -1, -1) -> 0, white (1, 1, 1) -> 0
        name, kernel = "mobilenetv2_red_square", np.array([1.0, -0.5, -0.5])
    else:
        raise ValueError(tr("preprocessing must be 'raw' or 'mobilenet_v2'; got {value!r}.",
                            value=preprocessing))
    model = keras.Model(inputs, outputs, name=name)
    scale = 1.0 if preprocessing == "raw" else 0.5
    detector.set_weights([kernel.astype(np.float32).reshape(1, 1, 3, 1) * np.float32(scale),
                          np.full(1, floor, np.float32)])
    dense.set_weights([np.array([[gain, -gain]], np.float32), np.array([-bias, bias], np.float32)])
    return model


def red_green_model(size: int | tuple[int, int] | None = 24, gain: float = 4.0,
                    preprocessing: str = "mobilenet_v2") -> keras.Model:
    """Class 0 grows with the red area and shrinks with the green area.

    A 1×1 convolution without ReLU computes ``red − green`` per pixel (1 on pure red,
    −1 on pure green, 0 on black, grey and white), global average pooling, and a
    two-class softmax with logits ``(gain·s, −gain·s)``. On an image with a red and a
    green square, hiding the red one lowers class 0 and hiding the green one *raises*
    it: an occlusion map then has negative and positive drops (its minimum is not 0),
    and an occlusion that hides only some colour channels misses one of the squares.

    Args:
        size: input side, ``(height, width)``, or ``None`` for a flexible input size.
        gain: slope of the class-0 logit in ``red − green``.
        preprocessing: ``"mobilenet_v2"`` ([-1, 1] input, named
            ``mobilenetv2_red_green``) or ``"raw"`` (0–255, named ``red_green_detector``).

    Returns:
        The model, (n, H, W, 3) → (n, 2) probabilities, weights set by hand.

    Raises:
        ValueError: an unknown ``preprocessing``.
    """
    inputs = keras.Input(shape=_shape(size), name="image")
    detector = keras.layers.Conv2D(1, 1, name="detector")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(detector(inputs))
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    if preprocessing == "raw":
        name, kernel = "red_green_detector", np.array([1.0, -1.0, 0.0]) / 255.0
    elif preprocessing == "mobilenet_v2":
        name, kernel = "mobilenetv2_red_green", np.array([0.5, -0.5, 0.0])
    else:
        raise ValueError(tr("preprocessing must be 'raw' or 'mobilenet_v2'; got {value!r}.",
                            value=preprocessing))
    model = keras.Model(inputs, dense(x), name=name)
    detector.set_weights([kernel.astype(np.float32).reshape(1, 1, 3, 1), np.zeros(1, np.float32)])
    dense.set_weights([np.array([[gain, -gain]], np.float32), np.zeros(2, np.float32)])
    return model


def red_green_image(size: int | tuple[int, int] = 24, red: tuple[int, int] = (2, 2),
                    green: tuple[int, int] = (14, 14), red_side: int = 8,
                    green_side: int = 6) -> np.ndarray:
    """A black image with a pure red square and a smaller pure green one.

    The red square is larger, so that ``red_green_model`` predicts class 0.

    Args:
        size: side, or ``(height, width)``.
        red: ``(top, left)`` of the red square.
        green: ``(top, left)`` of the green square.
        red_side: side of the red square, pixels.
        green_side: side of the green square, pixels.

    Returns:
        uint8 (H, W, 3) RGB.
    """
    height, width = (size, size) if isinstance(size, int) else size
    image = np.zeros((height, width, 3), np.uint8)
    image[red[0]:red[0] + red_side, red[1]:red[1] + red_side, 0] = 255
    image[green[0]:green[0] + green_side, green[1]:green[1] + green_side, 1] = 255
    return image


def brightness_model(size: int | tuple[int, int] | None = 32, gain: float = 4.0) -> keras.Model:
    """Class 0 grows with the mean brightness of a MobileNetV2-preprocessed image.

    Mid-grey (127.5) is preprocessed to 0, so on a grey image a *grey* patch changes
    nothing while a *black* one lowers class 0: it tells the fill values apart.
    Named ``mobilenetv2_brightness`` (MobileNetV2 preprocessing).

    Args:
        size: input side, ``(height, width)``, or ``None`` for a flexible input size.
        gain: slope of the class-0 logit in the mean preprocessed brightness.

    Returns:
        The model, (n, H, W, 3) → (n, 2) probabilities, weights set by hand.
    """
    inputs = keras.Input(shape=_shape(size), name="image")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(inputs)
    dense = keras.layers.Dense(2, activation="softmax", name="predictions")
    model = keras.Model(inputs, dense(x), name="mobilenetv2_brightness")
    dense.set_weights([np.array([[gain, -gain]] * 3, np.float32) / 3, np.zeros(2, np.float32)])
    return model


def _shape(size) -> tuple:
    if size is None:
        return (None, None, 3)
    if isinstance(size, int):
        return (size, size, 3)
    return (int(size[0]), int(size[1]), 3)


def red_square_image(size: int | tuple[int, int] = 32, top: int = 8, left: int = 12,
                     side: int = 8) -> np.ndarray:
    """A black image with a pure red square.

    Args:
        size: side, or ``(height, width)``.
        top: row of the square's top edge.
        left: column of the square's left edge.
        side: side of the square, pixels.

    Returns:
        uint8 (H, W, 3) RGB.
    """
    height, width = (size, size) if isinstance(size, int) else size
    image = np.zeros((height, width, 3), np.uint8)
    image[top:top + side, left:left + side, 0] = 255
    return image


def square_mask(size: int | tuple[int, int] = 32, top: int = 8, left: int = 12,
                side: int = 8) -> np.ndarray:
    """The pixels of the square drawn by ``red_square_image``.

    Args:
        size: side, or ``(height, width)``.
        top: row of the square's top edge.
        left: column of the square's left edge.
        side: side of the square, pixels.

    Returns:
        bool (H, W): True inside the square.
    """
    return red_square_image(size, top, left, side)[..., 0] > 0


def gradcam_probe_model(size: int = 12, seed: int = 0, pool: bool = False,
                        preprocessing: str = "raw") -> keras.Model:
    """A small CNN with seeded weights whose gradients vary across positions and channels.

    ``conv1`` (3×3, 4 filters, ReLU) → ``conv2`` (3×3, 3 filters, ReLU) → Flatten →
    ``predictions`` (Dense 3, softmax); named ``probe_cnn`` (raw input, no
    preprocessing; feed it values in [0, 1]). Unlike the red-square detector (one
    channel, uniform gradients), a Grad-CAM that pools the gradients over the wrong
    axes, skips the ReLU or explains another class gives a different map here, so
    hidden tests compare a student's maps with the reference on it, layer by layer.

    Args:
        size: input side (square).
        seed: seed of the weights.
        pool: a 2×2 max-pooling (``pool``) between ``conv1`` and ``conv2``: ``conv2`` is
            then coarser than the image (side ``size // 2``), as the deep layers of VGG16.
        preprocessing: ``"raw"`` (named ``probe_cnn``: ``helpers.get_preprocess`` gives the
            identity) or ``"mobilenet_v2"`` (named ``mobilenetv2_probe_cnn``: MobileNetV2's
            preprocessing; the weights are the same).

    Raises:
        ValueError: an unknown ``preprocessing``.

    Returns:
        The model, (n, size, size, 3) → (n, 3) probabilities.
    """
    rng = np.random.default_rng(seed)
    inputs = keras.Input(shape=(size, size, 3), name="image")
    conv1 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")
    conv2 = keras.layers.Conv2D(3, 3, padding="same", activation="relu", name="conv2")
    dense = keras.layers.Dense(3, activation="softmax", name="predictions")
    x = conv1(inputs)
    if pool:
        x = keras.layers.MaxPooling2D(2, name="pool")(x)
    outputs = dense(keras.layers.Flatten(name="flatten")(conv2(x)))
    if preprocessing not in ("raw", "mobilenet_v2"):
        raise ValueError(tr("preprocessing must be 'raw' or 'mobilenet_v2'; got {value!r}.",
                            value=preprocessing))
    model = keras.Model(inputs, outputs, name="probe_cnn" if preprocessing == "raw" else "mobilenetv2_probe_cnn")
    side = size // 2 if pool else size
    conv1.set_weights([rng.normal(0, 0.4, (3, 3, 3, 4)).astype(np.float32),
                       np.full(4, 0.1, np.float32)])
    conv2.set_weights([rng.normal(0, 0.4, (3, 3, 4, 3)).astype(np.float32),
                       np.full(3, 0.1, np.float32)])
    dense.set_weights([rng.normal(0, 0.3, (side * side * 3, 3)).astype(np.float32),
                       np.zeros(3, np.float32)])
    return model


def probe_image(size: int = 12, seed: int = 1) -> np.ndarray:
    """A seeded random input for ``gradcam_probe_model``.

    Args:
        size: image side.
        seed: seed of the values.

    Returns:
        float32 (1, size, size, 3) in [0, 1).
    """
    return np.random.default_rng(seed).random((1, size, size, 3), dtype=np.float32)


def colour_extractor(size: int = 4) -> keras.Model:
    """A face-embedding stand-in with a known answer: the mean colour of the image.

    ``Input(size, size, 3)`` → GlobalAveragePooling2D: the embedding of an image is its
    mean (R, G, B), no weights at all. A pure red image embeds to (255, 0, 0), whose
    L2-normalised form is exactly (1, 0, 0); the cosine similarity of two plain colours
    is the cosine of their RGB vectors. Named ``colour_embedding`` (raw input).

    Args:
        size: input side (square).

    Returns:
        The model, (n, size, size, 3) → (n, 3) mean colours.
    """
    inputs = keras.Input(shape=(size, size, 3), name="image")
    outputs = keras.layers.GlobalAveragePooling2D(name="embedding")(inputs)
    return keras.Model(inputs, outputs, name="colour_embedding")


def colour_image(rgb: Sequence[int], size: int = 4) -> np.ndarray:
    """A plain image of one colour.

    Args:
        rgb: the colour, ``(r, g, b)`` in 0–255.
        size: image side.

    Returns:
        uint8 (size, size, 3).
    """
    return np.broadcast_to(np.asarray(rgb, np.uint8), (size, size, 3)).copy()
