"""Argument checks shared by the methods: each raises an error a student can act on."""

from __future__ import annotations

import numbers

import numpy as np


def as_image(image, name: str = "image") -> np.ndarray:
    """Return ``image`` as a float32 H×W×3 array (0–255 scale), without touching the input.

    Accepts uint8/uint16/float arrays and a leading batch axis of size 1.
    """
    if isinstance(image, (str, bytes)) or not hasattr(image, "shape") and not isinstance(image, (list, tuple)):
        raise TypeError(
            f"{name} must be an image array (H×W×3); got {type(image).__name__}. "
            "Load a file first with helpers.load_image(path)."
        )
    arr = np.asarray(image)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim == 2:
        raise ValueError(
            f"{name} is 2-D {arr.shape}: a grayscale image has no colour axis. "
            "Use helpers.load_image(...) (it converts grayscale to RGB) or np.stack([img]*3, -1)."
        )
    if arr.ndim != 3 or arr.shape[-1] != 3:
        raise ValueError(f"{name} must have shape (H, W, 3); got {arr.shape}.")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}.")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}.")
    out = arr.astype(np.float32)  # always a copy
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite pixels: clean the image first.")
    return out


def as_batch(batch, name: str = "img_preprocessed") -> np.ndarray:
    """Return a float32 batch of exactly one image, shape (1, H, W, C)."""
    if isinstance(batch, (str, bytes)):
        raise TypeError(
            f"{name} must be an array, not a path: use helpers.load_image(path) first."
        )
    arr = np.asarray(batch)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name} must hold numbers; got dtype {arr.dtype}.")
    if arr.ndim == 3:
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(
            f"{name} must have shape (1, H, W, C) or (H, W, C); got {arr.shape}."
        )
    if arr.shape[0] != 1:
        raise ValueError(f"{name} must hold a single image; got a batch of {arr.shape[0]}.")
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return out


def positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}.")
    if value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}.")
    return int(value)


def non_negative_float(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}.")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value}.")
    return float(value)


def fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in [0, 1]; got {value!r}.")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1]; got {value}.")
    return float(value)


def class_index(value, n_classes: int, name: str = "class_index", what: str = "the model has",
                unit: str = "classes") -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer index; got {value!r}.")
    if not 0 <= value < n_classes:
        raise ValueError(
            f"{name}={value} is out of range: {what} {n_classes} {unit} (0 to {n_classes - 1})."
        )
    return int(value)


def heatmap(value, name: str = "heatmap") -> np.ndarray:
    arr = np.asarray(value)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D map (H, W); got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} is empty.")
    out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name} contains NaN or infinite values.")
    return out
