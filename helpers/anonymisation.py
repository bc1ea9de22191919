"""Anonymisation masks and what they do to a classifier and to a face recognizer.

``apply_mask(img, mask_type)`` hides part of a face: ``"yeux"`` (a black band over the
eyes, the classic "eye mask"), ``"yeux+nez"``, ``"visage_complet"`` (a black box over
the whole face) or ``"flou_gaussien"`` (Gaussian blur of the face). The geometry is the
one of ``helpers.faces`` — regions relative to the detected (or given) face box, the
fixed image fractions only when no face is known — so a mask and a region table always
mean the same pixels.

``mask_report(model, img, recognizer=...)`` measures each mask twice: what the ImageNet
classifier still sees (top class, score, drop of the original class), and — the
question that matters for anonymity — whether a face recognizer still identifies the
person (cosine similarity of the masked face, identified or not).
"""

from __future__ import annotations

import copy
import numbers
import os
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import keras
import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from .faces import REGION_NAMES, Regions, detect_faces, face_regions, image_regions
from .images import as_rgb, resize
from .messages import N_, number, tr
from .models import class_name, get_preprocess, input_size, predict
from .recognizer import NO_FACE, NoFaceError
from .table import Table

#: The masks, by the names the notebooks use.
MASK_TYPES: tuple[str, ...] = ("yeux", "yeux+nez", "visage_complet", "flou_gaussien")

#: Regions that make up "the face" for ``"visage_complet"`` and ``"flou_gaussien"``:
#: the bounding box of these (forehead and hair down to the chin; not the neck).
FACE_AREA_REGIONS: tuple[str, ...] = REGION_NAMES[:4]

#: Default blur strength, the Gaussian's sigma as a fraction of the face area's width.
DEFAULT_BLUR_FRACTION = 0.125

_MASKED_REGIONS = {
    "yeux": ("yeux",),
    "yeux+nez": ("yeux", "nez"),
}


def _check_mask_type(mask_type) -> str:
    if not isinstance(mask_type, str) or mask_type not in MASK_TYPES:
        raise ValueError(tr("Unknown mask_type {value!r}; choose one of {choices}.",
                            value=mask_type, choices=list(MASK_TYPES)))
    return mask_type


def mask_regions(img: str | os.PathLike | ArrayLike, face_box: Sequence[int] | None = None, *,
                 detect: bool = True, **detect_kwargs: Any) -> Regions:
    """The regions a mask uses on ``img``.

    Around ``face_box`` if given, else around the detected face (``detect=True``),
    else the fixed image fractions. Check ``.source`` to see which
    (``"visage détecté"`` or ``"fractions fixes"``).

    Args:
        img: a path or an RGB image (H, W, 3) (anything ``helpers.to_rgb_uint8`` accepts).
        face_box: ``(x, y, w, h)`` of the face in ``img`` (from ``detect_faces``).
        detect: without ``face_box``, detect the face (``True``) or use the fixed image
            fractions (``False``).
        **detect_kwargs: passed on to ``helpers.detect_faces``.

    Returns:
        The ``Regions`` of ``img``, shaped ``(H, W)``.
    """
    rgb = as_rgb(img)
    if face_box is not None:
        return face_regions(face_box, rgb.shape)
    if detect:
        faces = detect_faces(rgb, **detect_kwargs)
        if faces:
            return face_regions(faces[0], rgb.shape)
    return image_regions(rgb.shape)


def face_area(regions: Regions) -> tuple[int, int, int, int]:
    """The face box that ``"visage_complet"`` and ``"flou_gaussien"`` cover.

    Args:
        regions: the face's regions (``mask_regions``, ``face_regions``...).

    Returns:
        ``(y1, y2, x1, x2)``, pixels: the bounding box of the forehead/hair, eyes, nose
        and mouth/chin regions.

    Raises:
        ValueError: all those regions are empty (the face box is outside the image).
    """
    boxes = [regions[name] for name in FACE_AREA_REGIONS if name in regions]
    boxes = [b for b in boxes if b[1] > b[0] and b[3] > b[2]]
    if not boxes:
        raise ValueError(tr("The face regions are all empty: the face box is outside the "
                            "image."))
    return (min(b[0] for b in boxes), max(b[1] for b in boxes),
            min(b[2] for b in boxes), max(b[3] for b in boxes))


def mask_area(regions: Regions, mask_type: str) -> np.ndarray:
    """The pixels ``mask_type`` changes, for these regions.

    Args:
        regions: the face's regions (``mask_regions``, ``face_regions``...).
        mask_type: one of ``MASK_TYPES``.

    Returns:
        bool (H, W), ``regions.shape``: True where the mask changes the image.

    Raises:
        ValueError: an unknown ``mask_type``.
        TypeError: ``regions`` is not a ``helpers.faces.Regions``.
    """
    mask_type = _check_mask_type(mask_type)
    if not isinstance(regions, Regions):
        raise TypeError(tr("regions must be a helpers.faces.Regions (from regions_for, "
                           "face_regions...)."))
    out = np.zeros(regions.shape, dtype=bool)
    if mask_type in _MASKED_REGIONS:
        for name in _MASKED_REGIONS[mask_type]:
            y1, y2, x1, x2 = regions[name]
            out[y1:y2, x1:x2] = True
    else:
        y1, y2, x1, x2 = face_area(regions)
        out[y1:y2, x1:x2] = True
    return out


def apply_mask(img: str | os.PathLike | ArrayLike, mask_type: str,
               face_box: Sequence[int] | None = None, *, blur_sigma: float | None = None,
               detect: bool = True, regions: Regions | None = None) -> np.ndarray:
    """Hide part of the face in ``img``; returns a new image, ``img`` is not modified.

    Args:
        img: a path or an RGB image (H, W, 3) (anything ``helpers.to_rgb_uint8`` accepts).
        mask_type: one of ``MASK_TYPES``: ``"yeux"`` black eye band; ``"yeux+nez"``
            black eye band and nose; ``"visage_complet"`` black box over the face
            (forehead to chin, see ``face_area``); ``"flou_gaussien"`` Gaussian blur of
            that same face box.
        face_box: ``(x, y, w, h)`` of the face in ``img`` (from ``detect_faces``).
        blur_sigma: strength of ``"flou_gaussien"``: the Gaussian's standard deviation
            in pixels (> 0). Default: ``DEFAULT_BLUR_FRACTION`` × the face box width.
        detect: without ``face_box``, detect the face (``True``) or use the fixed image
            fractions directly (``False``). No face found → the fixed fractions.
        regions: precomputed ``Regions`` of ``img`` (e.g. from ``mask_regions``):
            overrides ``face_box`` and ``detect``.

    Returns:
        uint8 RGB (H, W, 3): identical to ``img`` outside the mask's area
        (``mask_area(regions, mask_type)``).

    Raises:
        ValueError: an unknown ``mask_type``, ``regions`` made for another image size,
            or ``blur_sigma`` not > 0.
        TypeError: ``regions`` is not a ``helpers.faces.Regions``.
    """
    mask_type = _check_mask_type(mask_type)
    rgb = as_rgb(img)  # always a new array
    if regions is None:
        regions = mask_regions(rgb, face_box, detect=detect)
    elif not isinstance(regions, Regions):
        raise TypeError(tr("regions must be a helpers.faces.Regions (from mask_regions or "
                           "regions_for)."))
    if regions.shape != rgb.shape[:2]:
        raise ValueError(tr(
            "regions were made for a {height}×{width} image but img is "
            "{img_height}×{img_width}: compute them on this image.",
            height=regions.shape[0], width=regions.shape[1], img_height=rgb.shape[0],
            img_width=rgb.shape[1]))
    area = mask_area(regions, mask_type)
    if mask_type == "flou_gaussien":
        y1, y2, x1, x2 = face_area(regions)
        if blur_sigma is None:
            blur_sigma = max(1.0, DEFAULT_BLUR_FRACTION * (x2 - x1))
        sigma = _checks.non_negative_float(blur_sigma, "blur_sigma")
        if sigma == 0:
            raise ValueError(tr("blur_sigma must be > 0 (a standard deviation in pixels, "
                                "e.g. 8)."))
        blurred = cv2.GaussianBlur(rgb, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                   borderType=cv2.BORDER_REFLECT101)
        rgb[area] = blurred[area]
    else:
        rgb[area] = 0
    return rgb


# --------------------------------------------------------------------------- measures


def _label(index: int, n_classes: int) -> str:
    if n_classes == 1000:
        return class_name(index)
    return f"class {index}"


def mask_report(model: keras.Model, img: str | os.PathLike | ArrayLike, *,
                recognizer: Any | None = None, mask_types: Sequence[str] = MASK_TYPES,
                preprocess: Callable[[np.ndarray], Any] | None = None,
                face_box: Sequence[int] | None = None, blur_sigma: float | None = None,
                identity: str | None = None) -> Table:
    """Apply each mask and measure what a face detector, the classifier and a
    recognizer still see.

    The masks are applied at the image's own resolution (where the face is located),
    then each image is resized to the model's input size; all images (the original
    first) go through the classifier in one forward pass.

    Two different questions about identification are kept apart:

    * ``face detected``: does OpenCV's cascade (``detect_faces``) still find a face?
      Even an eye band usually defeats it — a weak detector, not anonymity.
    * ``similarity`` / ``identified``: with the face located where it is in the
      original (as a detector robust to masks would find it), does the recognizer's
      embedding still match the enrolled person? For a recognizer that detects faces
      itself (``helpers.FaceRecognizer``, ``detect_faces`` on), a shallow copy is given
      the original face box as its detector; the caller's recognizer is not changed.
      Other recognizers get the masked image as it is.

    Args:
        model: a Keras classifier with probability outputs (VGG16...).
        img: a path or an RGB image (H, W, 3).
        recognizer: optional object with ``identify(img) -> (name, similarity, status)``
            (``helpers.recognizer.FaceRecognizer``), in which the person was enrolled
            from the unmasked photo. A ``ValueError`` from ``identify`` (e.g. no face
            found) counts as not identified, with its message as the identity.
        mask_types: the masks to compare (default all of ``MASK_TYPES``).
        preprocess: model preprocessing on raw 0–255 batches (default
            ``helpers.get_preprocess(model)``).
        face_box: ``(x, y, w, h)`` of the face in ``img``; default: detected.
        blur_sigma: strength of ``"flou_gaussien"`` (see ``apply_mask``).
        identity: the enrolled name to look for; default the name the recognizer
            gives to the unmasked image.

    Returns:
        ``Table`` with one row for the original (``"original"``) then one per mask:
        ``mask, face detected, top class, score, p(original class), drop`` where
        ``drop`` is the original top class's probability on the original minus on the
        masked image (positive: the mask lowered it); with a recognizer, also
        ``similarity`` (the best match's cosine similarity), ``identity`` (name found,
        ``"rejected"``...) and ``identified`` (still recognised as ``identity``). The
        title says whether the regions followed a face or the fixed fractions.

    Raises:
        ValueError: an unknown mask type, or a model whose output is not one
            probability vector per image.
        TypeError: a ``recognizer`` without an ``identify`` method.
    """

    if isinstance(mask_types, str):
        mask_types = (mask_types,)
    mask_types = [_check_mask_type(m) for m in mask_types]
    if recognizer is not None and not callable(getattr(recognizer, "identify", None)):
        raise TypeError(tr("recognizer must have an identify(img) method "
                           "(helpers.FaceRecognizer)."))
    original = as_rgb(img)
    regions = mask_regions(original, face_box)
    images = [original] + [apply_mask(original, m, blur_sigma=blur_sigma, regions=regions)
                           for m in mask_types]
    detected = [bool(detect_faces(im)) for im in images]
    size = input_size(model)
    batch = np.stack([resize(im, size) if size is not None else im for im in images])
    preprocess = get_preprocess(model) if preprocess is None else preprocess
    probs = np.asarray(predict(model, preprocess(batch.astype(np.float32))), dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != len(images):
        raise ValueError(tr(
            "The model must output one probability vector per image, shape (n, classes); "
            "got {shape}.", shape=probs.shape))
    n_classes = probs.shape[1]
    base_class = int(np.argmax(probs[0]))
    base_p = float(probs[0, base_class])

    columns = [N_("mask"), N_("face detected"), N_("top class"), N_("score"), N_("p(original class)"),
               N_("drop")]
    id_rows = []
    located = False
    if recognizer is not None:
        columns += [N_("similarity"), N_("identity"), N_("identified")]
        at_box = recognizer_at_box(recognizer, regions.face_box)
        located = at_box is not recognizer
        found = [_identify(at_box, im) for im in images]
        if identity is None:
            name0, _, status0 = found[0]
            identity = name0 if status0 == "identified" else None
        for name, sim, status in found:
            still = identity is not None and status == "identified" and name == identity
            id_rows.append([sim, name if status == "identified" else status, bool(still)])
    rows = []
    for i, label in enumerate(["original"] + mask_types):
        top = int(np.argmax(probs[i]))
        p_orig = float(probs[i, base_class])
        row = [label, detected[i], _label(top, n_classes), float(probs[i, top]), p_orig,
               base_p - p_orig]
        if recognizer is not None:
            row += id_rows[i]
        rows.append(row)
    title = tr("Masks — original class: {label} ({p}); regions: {source}",
               label=_label(base_class, n_classes), p=number(base_p), source=regions.source)
    if recognizer is not None:
        shown = identity if identity is not None else tr("none (original rejected)")
        title += tr("; enrolled identity: {identity}", identity=shown)
        if located:
            title += tr("; recognizer embeds the face at the original face box")
    return Table(columns, rows, title=title)


def recognizer_at_box(recognizer: Any, face_box: Sequence[int] | None) -> Any:
    """``recognizer``, or a shallow copy whose detector always returns ``face_box``.

    Only for recognizers with a ``detect_faces`` setting that is on (True or a
    function), like ``helpers.FaceRecognizer``; the store and extractor are shared,
    the caller's object is left as it was.

    Args:
        recognizer: any object with ``identify(img)``; its ``detect_faces`` attribute,
            if any, decides whether a copy is made.
        face_box: ``(x, y, w, h)`` of the face; ``None`` returns ``recognizer``.

    Returns:
        ``recognizer`` itself, or its shallow copy that finds the face at ``face_box``.
    """
    setting = getattr(recognizer, "detect_faces", None)
    if face_box is None or setting is None or setting is False or not (
            setting is True or callable(setting)):
        return recognizer
    clone = copy.copy(recognizer)
    box = tuple(int(v) for v in face_box)
    clone.detect_faces = lambda image: [box]
    return clone


def _identify(recognizer, image) -> tuple[str, float, str]:
    """(name, similarity, status) from the recognizer; a ValueError → not identified."""
    try:
        name, similarity, status = recognizer.identify(image)
    except NoFaceError:  # no face left to detect: the mask defeated the detector
        return "", float("nan"), NO_FACE
    except ValueError as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        message = message[:57] + "..." if len(message) > 60 else message
        return "", float("nan"), tr("error: {message}", message=message)
    if not isinstance(similarity, numbers.Real) and similarity is not None:
        similarity = float(np.asarray(similarity))
    return ("" if name is None else str(name),
            float("nan") if similarity is None else float(similarity), str(status))


__all__ = ["MASK_TYPES", "FACE_AREA_REGIONS", "DEFAULT_BLUR_FRACTION", "apply_mask",
           "mask_regions", "mask_area", "face_area", "mask_report"]
