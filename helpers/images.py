"""Images in and out: bundled photos, file reading, conversion to RGB uint8, resizing.

Everything returns new arrays; nothing here touches a model except through the
``preprocess`` function chosen for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cv2
import numpy as np
from numpy.typing import ArrayLike

from .config import DATA_DIR
from .messages import N_, tr

if TYPE_CHECKING:  # annotations only: keras loads with helpers.models
    import keras


#: Openly licensed photos shipped with the package (see ``helpers/data/README.md``).
SAMPLES = {
    "chelsea": "chelsea.jpg",  # a cat — scikit-image, CC0
    "coffee": "coffee.jpg",  # a cup of coffee — scikit-image, CC0
    "astronaut": "astronaut.jpg",  # Eileen Collins — NASA, public domain
    "grace_hopper": "grace_hopper.jpg",  # Grace Hopper — US Navy, public domain
}
#: What a picker shows for each bundled photo (translated where shown, by ``label``).
SAMPLE_TITLES = {
    "chelsea": N_("Chelsea the cat"),
    "coffee": N_("a cup of coffee"),
    "astronaut": N_("Eileen Collins, astronaut"),
    "grace_hopper": N_("Grace Hopper"),
}


def list_samples() -> list[str]:
    """Names of the bundled photos, for pickers and loops.

    Returns:
        the keys of :data:`SAMPLES` (``"chelsea"``, ``"coffee"``...), in order.
    """
    return list(SAMPLES)


def sample_path(name: str) -> Path:
    """Path of a bundled photo by name (``"chelsea"``, ``"astronaut"``...).

    Args:
        name: one of :func:`list_samples`.

    Returns:
        the photo's file in the package's data folder.

    Raises:
        ValueError: no bundled photo of that name (the message lists them).
    """
    if name not in SAMPLES:
        raise ValueError(tr("No bundled photo named {name!r}; choose one of {choices}.",
                            name=name, choices=list_samples()))
    return DATA_DIR / SAMPLES[name]


#: Formats OpenCV decodes, as said to a person.
FORMATS = "JPEG, PNG, BMP, TIFF, WebP"


def decode_image_bytes(data: bytes | bytearray | memoryview, name: str = "photo") -> np.ndarray:
    """Decode the bytes of an image file to a new RGB uint8 (H, W, 3) array.

    The one decoder of the package: files (:func:`read_image`) and uploads
    (``helpers.widgets``) go through it. EXIF orientation is applied (phone photos come
    upright); grayscale, RGBA (alpha dropped) and 16-bit files become 8-bit RGB.

    Args:
        data: the file's bytes.
        name: the file's name, for the messages.

    Returns:
        RGB uint8 (H, W, 3).

    Raises:
        ValueError: the bytes are empty or not an image OpenCV reads.
    """
    try:
        raw = np.frombuffer(bytes(data), np.uint8)
    except TypeError:
        raise ValueError(tr("« {name} » holds no file bytes.", name=name)) from None
    if raw.size == 0:
        raise ValueError(tr("The file « {name} » is empty (0 bytes): choose a photo.", name=name))
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # no "[ERROR] ..." on stderr
    try:
        decoded = cv2.imdecode(raw, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    except cv2.error:
        decoded = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if decoded is None or decoded.size == 0:
        raise ValueError(tr("« {name} » is not a readable image: upload a photo "
                            "(JPEG, PNG, BMP, TIFF or WebP).", name=name))
    return to_rgb_uint8(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def read_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as RGB uint8 (H, W, 3) (:func:`decode_image_bytes`).

    Args:
        path: the file.

    Returns:
        RGB uint8 (H, W, 3), upright (EXIF orientation applied).

    Raises:
        TypeError: ``path`` is not a path.
        FileNotFoundError: no such file.
        ValueError: a directory, an empty or undecodable file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(tr("path must be a str or Path; got {kind}.", kind=type(path).__name__))
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(tr("No such image file: {path!r}.", path=str(p)))
    if p.is_dir():
        raise ValueError(tr("{path!r} is a directory, not an image file.", path=str(p)))
    return decode_image_bytes(p.read_bytes(), p.name)


def to_rgb_uint8(image: ArrayLike) -> np.ndarray:
    """Convert an image array to a new RGB uint8 (H, W, 3) array.

    Accepts (H, W) and (H, W, 1) grayscale, (H, W, 3) RGB, (H, W, 4) RGBA (alpha is
    dropped), uint8, uint16 (scaled by 1/257), bool and float arrays. Float arrays are
    read on the 0–255 scale and clipped (a float image in [0, 1] must be multiplied by
    255 first — helpers cannot guess the scale of a dark image).

    Args:
        image: (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, uint8/uint16/bool/float.

    Returns:
        RGB uint8 (H, W, 3), a new array.

    Raises:
        TypeError: a path instead of an array, or not numbers.
        ValueError: another shape, an empty image, or NaN/infinite pixels.
    """
    if isinstance(image, (str, bytes, os.PathLike)):
        raise TypeError(tr("to_rgb_uint8 takes an array; use read_image(path) for a file."))
    arr = np.asarray(image)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(tr("An image must hold numbers; got dtype {dtype}.", dtype=arr.dtype))
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 2:
        arr = np.stack([arr] * 3, axis=-1)
    elif arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[:, :, :3]
    if arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(tr(
            "An image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got shape {shape}.",
            shape=arr.shape))
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(tr("The image is empty: shape {shape}.", shape=arr.shape))
    if arr.dtype == np.uint8:
        return arr.copy()
    if arr.dtype == bool:
        return arr.astype(np.uint8) * 255
    if arr.dtype == np.uint16:
        return (arr.astype(np.uint32) // 257).astype(np.uint8)
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(tr("The image contains NaN or infinite pixels."))
    return np.clip(np.rint(arr), 0, 255).astype(np.uint8)


def as_rgb(img: str | os.PathLike | bytes | bytearray | memoryview | ArrayLike) -> np.ndarray:
    """The image input seam: a path, a file's bytes or any image array → new RGB uint8.

    Args:
        img: a file path (:func:`read_image`), the bytes of an image file
            (:func:`decode_image_bytes`), or an array :func:`to_rgb_uint8` accepts (a
            leading batch axis of 1 allowed).

    Returns:
        RGB uint8 (H, W, 3), never the caller's array.

    Raises:
        FileNotFoundError: a path to no file.
        TypeError: not a path, bytes or numeric array.
        ValueError: an unreadable file or an array of another shape (see
            :func:`to_rgb_uint8`).
    """
    if isinstance(img, (str, os.PathLike)):
        return read_image(img)
    if isinstance(img, (bytes, bytearray, memoryview)):
        return decode_image_bytes(img)
    arr = np.asarray(img)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    return to_rgb_uint8(arr)


def model_image(img: object, size: tuple[int, int] | None, name: str = "image") -> np.ndarray:
    """An image for a model that takes ``size`` inputs, as float32 (H, W, 3) on 0–255.

    The second half of the input seam (after :func:`as_rgb`), for the methods that take
    raw images and a model: a path or a file's bytes is read and resized to ``size``;
    an array is validated (``helpers._checks.as_image``: batch axis of 1 allowed, finite
    numbers, RGB) and must already have that size — a method never resizes an array
    behind its caller's back, since its map must line up with the caller's image.

    Args:
        img: a path, a file's bytes, or an image array (H, W, 3).
        size: ``(height, width)`` the model takes, or ``None`` when it is free.
        name: the argument's name, for the messages.

    Returns:
        float32 (H, W, 3), a new array.

    Raises:
        ValueError: an array of another size than ``size`` (saying how to resize it),
            or a bad image.
    """
    from . import _checks

    if isinstance(img, (str, os.PathLike, bytes, bytearray, memoryview)):
        rgb = as_rgb(img)
        return (resize(rgb, size) if size is not None else rgb).astype(np.float32)
    arr = _checks.as_image(img, name)
    if size is not None and arr.shape[:2] != tuple(size):
        raise ValueError(tr(
            "{name} is {height}×{width} but the model takes {size_h}×{size_w} images: resize it, "
            "e.g. helpers.load_image(photo, size=({size_h}, {size_w})), or pass the file's path.",
            name=name, height=arr.shape[0], width=arr.shape[1], size_h=size[0], size_w=size[1]))
    return arr


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size = (height, width)`` (area when shrinking, bilinear otherwise).

    Args:
        image: (H, W, C) array, uint8 or float32 (what OpenCV resizes).
        size: ``(height, width)`` of the result, pixels.

    Returns:
        (height, width, C) array of ``image``'s dtype, a new array (a copy when the
        size already matches).

    Raises:
        TypeError: ``size`` is not a pair of integers.
        ValueError: ``size`` is not positive.
    """
    height, width = _check_size(size)
    if image.shape[:2] == (height, width):
        return image.copy()
    shrinking = height * width < image.shape[0] * image.shape[1]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


def load_image(path_or_array: str | os.PathLike | bytes | ArrayLike,
               size: tuple[int, int] | None = (224, 224),
               model: str | keras.Model | Callable[[Any], Any] | None = "vgg16",
               ) -> tuple[np.ndarray, np.ndarray]:
    """Load a photo for a model: the RGB image and its preprocessed batch.

    Args:
        path_or_array: a file path, or an image array (see ``to_rgb_uint8``).
        size: ``(height, width)`` to resize to, or ``None`` to keep the size.
        model: how to preprocess: ``"vgg16"``, ``"mobilenet_v2"``, a Keras model
            (chosen from its name), a callable on raw 0–255 batches, or ``None``
            (raw float32 pixels).

    Returns:
        ``(image, batch)``: ``image`` uint8 (H, W, 3) RGB, ``batch`` float32 (1, H, W, 3).

    Raises:
        FileNotFoundError: a path to no file.
        TypeError: a bad image or ``size`` (see :func:`as_rgb`, :func:`resize`).
        ValueError: an unreadable or malformed image, a non-positive ``size``, or an
            unknown ``model`` name.
    """
    from .models import get_preprocess

    image = as_rgb(path_or_array)
    if size is not None:
        image = resize(image, size)
    preprocess = get_preprocess(model)
    batch = np.asarray(preprocess(image[None].astype(np.float32)), dtype=np.float32)
    return image, batch


def _check_size(size) -> tuple[int, int]:
    try:
        height, width = size
        height, width = int(height), int(width)
    except (TypeError, ValueError):
        raise TypeError(tr("size must be (height, width) or None; got {value!r}.",
                           value=size)) from None
    if height <= 0 or width <= 0:
        raise ValueError(tr("size must be positive; got {value!r}.", value=size))
    return height, width
