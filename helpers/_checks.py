"""Argument checks shared by the methods: each raises an error a student can act on,
in the course's language (``helpers.messages``)."""

from __future__ import annotations

import numbers

import numpy as np
from numpy.typing import ArrayLike

from .messages import tr


def as_image(image: ArrayLike, name: str = "image") -> np.ndarray:
    """Return ``image`` as a float32 H×W×3 array (0–255 scale), without touching the input.

    Accepts uint8/uint16/float arrays and a leading batch axis of size 1.

    Args:
        image: (H, W, 3) or (1, H, W, 3) array, uint8/uint16/float/bool, 0–255.
        name: the argument's name, for the messages.

    Returns:
        float32 (H, W, 3): a copy of the image.

    Raises:
        TypeError: not an array (a path, say), or not numbers.
        ValueError: grayscale, not (H, W, 3), empty, or with NaN/infinite pixels.
    """
    if isinstance(image, (str, bytes)) or not hasattr(image, "shape") and not isinstance(image, (list, tuple)):
        raise TypeError(tr(
            "{name} must be an image array (H×W×3); got {kind}. "
            "Load a file first with helpers.load_image(path).", name=name, kind=type(image).__name__))
    arr = np.asarray(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2:
        raise ValueError(tr(
            "{name} is 2-D {shape}: a grayscale image has no colour axis. "
            "Use helpers.load_image(...) (it converts grayscale to RGB) or np.stack([img]*3, -1).",
            name=name, shape=arr.shape))
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(tr("{name} must have shape (H, W, 3); got {shape}.", name=name,
                            shape=arr.shape))
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(tr("{name} is empty: shape {shape}.", name=name, shape=arr.shape))
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(tr("{name} must hold numbers; got dtype {dtype}.", name=name,
                           dtype=arr.dtype))
    out = arr.astype(np.float32)  # always a copy
    if not np.all(np.isfinite(out)):
        raise ValueError(tr("{name} contains NaN or infinite pixels: clean the image first.",
                            name=name))
    return out


def as_batch(batch: ArrayLike, name: str = "img_preprocessed") -> np.ndarray:
    """Return a float32 batch of exactly one image, shape (1, H, W, C).

    Args:
        batch: (1, H, W, C) or (H, W, C) numeric array.
        name: the argument's name, for the messages.

    Returns:
        float32 (1, H, W, C): a copy of the batch.

    Raises:
        TypeError: a path instead of an array, or not numbers.
        ValueError: not 3-D/4-D, more than one image, or NaN/infinite values.
    """
    if isinstance(batch, (str, bytes)):
        raise TypeError(tr("{name} must be an array, not a path: use "
                           "helpers.load_image(path) first.", name=name))
    arr = np.asarray(batch)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(tr("{name} must hold numbers; got dtype {dtype}.", name=name,
                           dtype=arr.dtype))
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(tr("{name} must have shape (1, H, W, C) or (H, W, C); got {shape}.",
                            name=name, shape=arr.shape))
    if arr.shape[0] != 1:
        raise ValueError(tr("{name} must hold a single image; got a batch of {n}.", name=name,
                            n=arr.shape[0]))
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(tr("{name} contains NaN or infinite values.", name=name))
    return out


def positive_int(value: object, name: str) -> int:
    """``value`` as an integer > 0 (``name`` is the argument's name, for the message).

    Args:
        value: the value to check.
        name: the argument's name, for the message.

    Returns:
        ``value`` as an ``int``.

    Raises:
        TypeError: not an integer (``bool`` included).
        ValueError: not > 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(tr("{name} must be an integer; got {value!r}.", name=name, value=value))
    if value <= 0:
        raise ValueError(tr("{name} must be > 0; got {value}.", name=name, value=value))
    return int(value)


def non_negative_float(value: object, name: str) -> float:
    """``value`` as a finite float >= 0.

    Args:
        value: the value to check.
        name: the argument's name, for the message.

    Returns:
        ``value`` as a ``float``.

    Raises:
        TypeError: not a real number (``bool`` included).
        ValueError: negative, NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(tr("{name} must be a number; got {value!r}.", name=name, value=value))
    if not np.isfinite(value) or value < 0:
        raise ValueError(tr("{name} must be a finite number >= 0; got {value}.", name=name,
                            value=value))
    return float(value)


def fraction(value: object, name: str) -> float:
    """``value`` as a float in [0, 1].

    Args:
        value: the value to check.
        name: the argument's name, for the message.

    Returns:
        ``value`` as a ``float``.

    Raises:
        TypeError: not a real number (``bool`` included).
        ValueError: outside [0, 1].
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(tr("{name} must be a number in [0, 1]; got {value!r}.", name=name,
                           value=value))
    if not 0.0 <= value <= 1.0:
        raise ValueError(tr("{name} must be in [0, 1]; got {value}.", name=name, value=value))
    return float(value)


def class_index(value: object, n_classes: int, name: str = "class_index",
                layer: str | None = None) -> int:
    """``value`` as an index of one of ``n_classes`` outputs (of one of the filters of
    ``layer`` when given).

    Args:
        value: the index to check.
        n_classes: number of outputs (classes, or filters of ``layer``).
        name: the argument's name, for the message.
        layer: name of the layer whose filters are indexed, if any (changes the message).

    Returns:
        ``value`` as an ``int`` in ``[0, n_classes)``.

    Raises:
        TypeError: not an integer.
        ValueError: out of range, saying the range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(tr("{name} must be an integer index; got {value!r}.", name=name,
                           value=value))
    if not 0 <= value < n_classes:
        if layer is not None:
            raise ValueError(tr("{name}={value} is out of range: layer {layer!r} has {n} filters "
                                "(0 to {last}).", name=name, value=value, layer=layer,
                                n=n_classes, last=n_classes - 1))
        raise ValueError(tr("{name}={value} is out of range: the model has {n} classes "
                            "(0 to {last}).", name=name, value=value, n=n_classes,
                            last=n_classes - 1))
    return int(value)


def heatmap(value: object, name: str = "heatmap") -> np.ndarray:
    """``value`` as a finite, non-empty float32 2-D map (a copy).

    Args:
        value: (H, W) numeric array.
        name: the argument's name, for the messages.

    Returns:
        float32 (H, W): a copy of the map.

    Raises:
        ValueError: not 2-D, empty, or with NaN/infinite values.
    """
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise ValueError(tr("{name} must be a 2-D map (H, W); got shape {shape}.", name=name,
                            shape=arr.shape))
    if arr.size == 0:
        raise ValueError(tr("{name} is empty.", name=name))
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(tr("{name} contains NaN or infinite values.", name=name))
    return out
