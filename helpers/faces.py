"""Faces: detection (OpenCV Haar cascade) and the five regions of a portrait.

The course reads every map (Grad-CAM, occlusion) region by region: forehead/hair,
eyes, nose, mouth/chin, neck/clothing (SPEC 2.4). The regions exist two ways:

* ``image_regions(shape)`` — the handout's fixed fractions of the image, right only
  for a centred, framed portrait;
* ``face_regions(face_box, shape)`` — relative to a detected face box, so the regions
  follow the actual face wherever it is in the photo.

``regions_for(img)`` detects the face and uses the face-relative regions, and falls
back to the fixed fractions only when no face is found — the returned ``Regions``
says which (``regions.source``), never silently. ``region_table(map, regions)`` then
gives the per-region mean and max of any 2-D map as a ``helpers.table.Table``.

A region is a pixel box ``(y1, y2, x1, x2)`` (rows ``y1:y2``, columns ``x1:x2``,
end excluded, like NumPy slices) in the image shape the regions were made for.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from .images import as_rgb
from .messages import N_, label, tr
from .table import Table

#: The five regions of SPEC 2.4, in reading order (top to bottom); the keys are French,
#: as the notebooks' tables show them.
REGION_NAMES: tuple[str, ...] = ("front/cheveux", "yeux", "nez", "bouche/menton", "cou/vêtements")

#: The row of the region tables for every pixel outside the named regions (the background,
#: the shoulders, the sides): with it the rows tile the image, so the hottest region of a
#: map cannot lie outside the table.
REST = "reste de l'image"

#: ``Regions.source`` when the regions follow a face box (detected or given).
SOURCE_FACE = "visage détecté"
#: ``Regions.source`` when the regions are the handout's fixed image fractions.
SOURCE_FIXED = "fractions fixes"

#: Fixed fractions of the image ``(y1, y2, x1, x2)`` for a centred head-and-shoulders
#: portrait (the handout's approach): used when no face box is known.
IMAGE_FRACTIONS: dict[str, tuple[float, float, float, float]] = {
    "front/cheveux": (0.00, 0.25, 0.25, 0.75),
    "yeux": (0.25, 0.40, 0.25, 0.75),
    "nez": (0.40, 0.55, 0.35, 0.65),
    "bouche/menton": (0.55, 0.70, 0.30, 0.70),
    "cou/vêtements": (0.70, 1.00, 0.15, 0.85),
}

#: Regions as fractions of the face box ``(y1, y2, x1, x2)``: 0 is the box's top (left)
#: edge, 1 its bottom (right) edge; values outside [0, 1] reach beyond the box. The
#: frontal-face cascade's box runs from about mid-forehead to the chin, the eyes near
#: 0.35–0.45 of its height, the nose tip near 0.65, the mouth near 0.8.
FACE_FRACTIONS: dict[str, tuple[float, float, float, float]] = {
    "front/cheveux": (-0.40, 0.22, -0.10, 1.10),
    "yeux": (0.22, 0.50, 0.05, 0.95),
    "nez": (0.50, 0.70, 0.28, 0.72),
    "bouche/menton": (0.70, 1.08, 0.15, 0.85),
    "cou/vêtements": (1.08, 2.00, -0.40, 1.40),
}

_CASCADE_FILE = "haarcascade_frontalface_default.xml"


# --------------------------------------------------------------------------- detection
@lru_cache(maxsize=1)
def _cascade():
    """Load OpenCV's frontal-face Haar cascade once."""
    if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
        raise RuntimeError(tr(
            "This OpenCV ({version}) has no Haar cascades (cv2.CascadeClassifier / "
            "cv2.data were removed in OpenCV 5). Install OpenCV 4: "
            "pip install 'opencv-python-headless>=4.8,<5'.", version=cv2.__version__))
    path = os.path.join(cv2.data.haarcascades, _CASCADE_FILE)
    if not os.path.exists(path):
        raise RuntimeError(tr(
            "OpenCV's face cascade {path!r} is missing. Reinstall OpenCV 4 with its data: "
            "pip install --force-reinstall 'opencv-python-headless>=4.8,<5'.", path=path))
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise RuntimeError(tr(
            "OpenCV could not load the face cascade {path!r} (corrupt file?). Reinstall "
            "OpenCV 4: pip install --force-reinstall 'opencv-python-headless>=4.8,<5'.",
            path=path))
    return cascade


def detect_faces(img: str | os.PathLike | ArrayLike, *, min_size: int = 30, scale_factor: float = 1.1,
                 min_neighbors: int = 5) -> list[tuple[int, int, int, int]]:
    """Find frontal faces with OpenCV's Haar cascade (Viola & Jones).

    Args:
        img: a file path, or an RGB image array (H, W, 3) — anything
            ``helpers.to_rgb_uint8`` accepts (uint8 or 0–255 floats, grayscale...).
        min_size: smallest face side in pixels. At 224×224 the bundled portraits'
            faces are 49 and 89 px wide, so the default 30 finds them there too.
        scale_factor: step between the scales searched (> 1; smaller is slower and finds more).
        min_neighbors: overlapping detections needed to keep a face (higher: fewer
            false faces, more missed ones).

    Returns:
        Boxes ``(x, y, w, h)`` as Python ints (column, row, width, height), most
        confident first (most overlapping raw detections, then largest); ``[]`` when
        no face is found. Confidence, not size, comes first because the cascade's
        false faces can be larger than the true one (the astronaut resized to 448×448
        gives her face, 43 votes, and a larger false box on the suit, 7 votes).

    Raises:
        ValueError: ``min_size`` or ``min_neighbors`` not a positive integer, or
            ``scale_factor`` not a number > 1.
        RuntimeError: OpenCV 5 (no Haar cascades) or a missing cascade file.

    Reference:
        Viola & Jones, "Rapid object detection using a boosted cascade of simple
        features", CVPR 2001.
    """
    min_size = _checks.positive_int(min_size, "min_size")
    min_neighbors = _checks.positive_int(min_neighbors, "min_neighbors")
    if isinstance(scale_factor, bool) or not isinstance(scale_factor, (int, float)) \
            or not np.isfinite(scale_factor) or scale_factor <= 1.0:
        raise ValueError(tr("scale_factor must be a number > 1 (e.g. 1.1); got {value!r}.",
                            value=scale_factor))
    rgb = as_rgb(img)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    found, neighbours = _cascade().detectMultiScale2(
        gray, scaleFactor=float(scale_factor), minNeighbors=min_neighbors,
        minSize=(min_size, min_size),
    )
    boxes = [tuple(int(v) for v in box) for box in np.asarray(found).reshape(-1, 4)]
    votes = [int(v) for v in np.asarray(neighbours).reshape(-1)]
    order = sorted(range(len(boxes)),
                   key=lambda i: (-votes[i], -boxes[i][2] * boxes[i][3], boxes[i][1], boxes[i][0]))
    return [boxes[i] for i in order]


# --------------------------------------------------------------------------- regions
@dataclass(frozen=True)
class Regions(Mapping):
    """The five regions of one image: a read-only mapping ``name → (y1, y2, x1, x2)``.

    Attributes:
        boxes: ``{name: (y1, y2, x1, x2)}`` pixel boxes (ends excluded), clipped to the
            image; a region entirely outside the image is empty (``y1 == y2`` or
            ``x1 == x2``).
        shape: ``(height, width)`` of the image the boxes refer to.
        source: ``SOURCE_FACE`` (``"visage détecté"``) or ``SOURCE_FIXED``
            (``"fractions fixes"``): how the boxes were made.
        face_box: the face box ``(x, y, w, h)`` used, or ``None`` for fixed fractions.
    """

    boxes: dict = field(default_factory=dict)
    shape: tuple = (0, 0)
    source: str = SOURCE_FIXED
    face_box: tuple | None = None

    def __getitem__(self, name):
        return self.boxes[name]

    def __iter__(self):
        return iter(self.boxes)

    def __len__(self) -> int:
        return len(self.boxes)

    def mask(self, name: str) -> np.ndarray:
        """The pixels of one region.

        Args:
            name: a region name (one of ``REGION_NAMES`` for the regions made here).

        Returns:
            bool (H, W), ``self.shape``: True inside the region's box.

        Raises:
            KeyError: no region of that name (the message lists them).
        """
        if name not in self.boxes:
            raise KeyError(tr("No region {name!r}; the regions are {names}.", name=name,
                              names=list(self.boxes)))
        out = np.zeros(self.shape, dtype=bool)
        y1, y2, x1, x2 = self.boxes[name]
        out[y1:y2, x1:x2] = True
        return out

    def table(self) -> Table:
        """The boxes as a table.

        Returns:
            ``Table`` with columns ``region, y1, y2, x1, x2``, one row per region.
        """
        rows = [(name, *box) for name, box in self.boxes.items()]
        return Table((N_("region"), N_("y1"), N_("y2"), N_("x1"), N_("x2")), rows,
                     title=tr("Regions ({source}), image {height}×{width}", source=self.source,
                              height=self.shape[0], width=self.shape[1]))

    def __str__(self) -> str:
        return str(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()


def _image_shape(shape) -> tuple[int, int]:
    """(H, W) from an image shape ``(H, W)`` / ``(H, W, C)`` or an image array."""
    if hasattr(shape, "shape") and not isinstance(shape, tuple):
        shape = np.asarray(shape).shape
    try:
        dims = tuple(int(v) for v in shape)
    except (TypeError, ValueError):
        raise TypeError(tr("shape must be (height, width) or an image shape; got {value!r}.",
                           value=shape)) from None
    if len(dims) not in (2, 3) or dims[0] <= 0 or dims[1] <= 0:
        raise ValueError(tr("shape must be (height, width[, channels]) with positive sizes; "
                            "got {value!r}.", value=shape))
    return dims[0], dims[1]


def _round(value: float) -> int:
    """Round half up (not to even), so that shifting a box never changes its size."""
    return int(math.floor(value + 0.5))


def _clip_box(y1: float, y2: float, x1: float, x2: float, height: int, width: int):
    y1, y2 = (min(max(_round(v), 0), height) for v in (y1, y2))
    x1, x2 = (min(max(_round(v), 0), width) for v in (x1, x2))
    return y1, max(y1, y2), x1, max(x1, x2)


def image_regions(shape: Sequence[int] | ArrayLike) -> Regions:
    """The five regions as fixed fractions of the image (the handout's way).

    Right only for a centred head-and-shoulders portrait; prefer ``regions_for`` or
    ``face_regions``, which follow the face.

    Args:
        shape: the image's ``(height, width)``, ``(height, width, 3)``, or the image.

    Returns:
        ``Regions`` with ``source == "fractions fixes"`` (see ``IMAGE_FRACTIONS``).
    """
    height, width = _image_shape(shape)
    boxes = {
        name: _clip_box(fy1 * height, fy2 * height, fx1 * width, fx2 * width, height, width)
        for name, (fy1, fy2, fx1, fx2) in IMAGE_FRACTIONS.items()
    }
    return Regions(boxes=boxes, shape=(height, width), source=SOURCE_FIXED, face_box=None)


def _check_face_box(face_box) -> tuple[int, int, int, int]:
    try:
        values = tuple(face_box)
    except TypeError:
        raise TypeError(tr("face_box must be (x, y, w, h); got {value!r}.",
                           value=face_box)) from None
    if len(values) != 4:
        raise ValueError(tr("face_box must be (x, y, w, h) — 4 numbers; got {value!r}.",
                            value=face_box))
    try:
        x, y, w, h = (int(round(float(v))) for v in values)
    except (TypeError, ValueError):
        raise TypeError(tr("face_box must hold numbers (x, y, w, h); got {value!r}.",
                           value=face_box)) from None
    if w <= 0 or h <= 0:
        raise ValueError(tr("face_box width and height must be > 0; got {value!r}.",
                            value=face_box))
    return x, y, w, h


def face_regions(face_box: Sequence[float], shape: Sequence[int] | ArrayLike) -> Regions:
    """The five regions relative to a face box, clipped to the image.

    Forehead/hair above the eyes (reaching above the box), an eye band, the nose, the
    mouth and chin, and neck/clothing below the box (wider than the face). The
    fractions are ``FACE_FRACTIONS``. Shifting the face in the image shifts every
    region by the same amount (as long as nothing is clipped).

    Args:
        face_box: ``(x, y, w, h)`` as returned by ``detect_faces``.
        shape: the image's ``(height, width)``, ``(height, width, 3)``, or the image.

    Returns:
        ``Regions`` with ``source == "visage détecté"``; a region falling outside the
        image is empty.

    Raises:
        ValueError: a box that is not 4 numbers with positive width and height, or
            that lies outside the image.
        TypeError: a box that is not a sequence of numbers.
    """
    height, width = _image_shape(shape)
    x, y, w, h = _check_face_box(face_box)
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ValueError(tr(
            "face_box {box!r} lies outside the image ({height}×{width}): was it found "
            "on a different image size? Detect the face on the image you analyse.",
            box=face_box, height=height, width=width))
    boxes = {
        # offsets rounded first, then added: a shifted face shifts every box exactly
        name: _clip_box(y + _round(fy1 * h), y + _round(fy2 * h),
                        x + _round(fx1 * w), x + _round(fx2 * w), height, width)
        for name, (fy1, fy2, fx1, fx2) in FACE_FRACTIONS.items()
    }
    return Regions(boxes=boxes, shape=(height, width), source=SOURCE_FACE, face_box=(x, y, w, h))


def regions_for(img: str | os.PathLike | ArrayLike, *, face_box: Sequence[float] | None = None,
                **detect_kwargs: Any) -> Regions:
    """Regions that follow the face in ``img``: detected, or fixed fractions if none.

    Args:
        img: a path or an image array; the regions refer to its size (analyse the
            224×224 image the model saw, and pass that image here).
        face_box: a known face box ``(x, y, w, h)``: skips detection.
        **detect_kwargs: passed to ``detect_faces`` (``min_size``...).

    Returns:
        ``Regions``: face-relative around the largest face (``source == "visage
        détecté"``), or the fixed fractions when no face is found (``source ==
        "fractions fixes"``) — check ``regions.source``, it is printed with the regions.
    """
    rgb = as_rgb(img)
    if face_box is None:
        faces = detect_faces(rgb, **detect_kwargs)
        if not faces:
            return image_regions(rgb.shape)
        face_box = faces[0]
    return face_regions(face_box, rgb.shape)


def _check_regions(regions, shape=None):
    """Validate regions → (boxes dict, (H, W))."""
    if isinstance(regions, Regions):
        boxes, reg_shape = dict(regions.boxes), regions.shape
        if shape is not None and _image_shape(shape) != reg_shape:
            raise ValueError(tr(
                "shape {shape} differs from the regions' image shape {regions_shape}.",
                shape=tuple(shape), regions_shape=reg_shape))
        shape = reg_shape
    elif isinstance(regions, Mapping):
        boxes = dict(regions)
        if shape is None:
            raise ValueError(tr(
                "Plain dict regions need shape=(height, width) of the image they refer to "
                "(or use helpers.faces.regions_for / face_regions / image_regions)."))
        shape = _image_shape(shape)
    else:
        raise TypeError(tr(
            "regions must be a Regions or a dict {example}; got {kind}.",
            example="{" + label("name: (y1, y2, x1, x2)") + "}", kind=type(regions).__name__))
    if not boxes:
        raise ValueError(tr("regions is empty: give at least one region."))
    height, width = shape
    checked = {}
    for name, box in boxes.items():
        try:
            values = tuple(box)
        except TypeError:
            raise TypeError(tr("region {name!r} must be a box (y1, y2, x1, x2); got {box!r}.",
                               name=name, box=box)) from None
        if len(values) != 4 or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values
        ):
            raise ValueError(tr(
                "region {name!r} must be 4 integers (y1, y2, x1, x2) in pixels; got {box!r}.",
                name=name, box=box))
        y1, y2, x1, x2 = (int(v) for v in values)
        if not (0 <= y1 <= y2 <= height and 0 <= x1 <= x2 <= width):
            raise ValueError(tr(
                "region {name!r} = {box!r} is not a box inside the {height}×{width} image: "
                "need 0 <= y1 <= y2 <= {height} and 0 <= x1 <= x2 <= {width}.",
                name=name, box=box, height=height, width=width))
        checked[str(name)] = (y1, y2, x1, x2)
    return checked, (height, width)


def resize_map(heatmap: ArrayLike, shape: Sequence[int] | ArrayLike) -> np.ndarray:
    """Resize a 2-D map (bilinear, ``cv2.INTER_LINEAR``, pixel centres aligned).

    Args:
        heatmap: (h, w) real map.
        shape: the target ``(height, width)``, an image shape or an image.

    Returns:
        float32 (height, width); a copy when the size already matches.
    """
    height, width = _image_shape(shape)
    hm = _checks.heatmap(heatmap)
    if hm.shape == (height, width):
        return hm.copy()
    return cv2.resize(hm, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def region_stats(heatmap: ArrayLike, regions: Regions | Mapping[str, Sequence[int]], *,
                 shape: Sequence[int] | None = None,
                 rest: bool = True) -> dict[str, tuple[float, float]]:
    """Mean and max of one map in each region (see ``region_table``).

    Args:
        heatmap: (h, w) real map, resized to the regions' image first.
        regions: ``Regions``, or a dict ``{name: (y1, y2, x1, x2)}`` with ``shape``.
        shape: ``(height, width)`` of the image the boxes refer to (plain dict only).
        rest: add ``REST``, every pixel outside the boxes, so that the rows cover the
            whole image.

    Returns:
        ``{region: (mean, max)}`` (``REST`` last); NaN for an empty region (and for
        ``REST`` when the boxes cover the image).

    Raises:
        ValueError: invalid boxes, a plain dict without ``shape``, or a ``shape`` that
            differs from the regions'.
        TypeError: ``regions`` is neither ``Regions`` nor a mapping.
    """
    boxes, (height, width) = _check_regions(regions, shape)
    hm = resize_map(_checks.heatmap(heatmap), (height, width))
    out = {}
    outside = np.ones((height, width), dtype=bool)
    for name, (y1, y2, x1, x2) in boxes.items():
        patch = hm[y1:y2, x1:x2]
        outside[y1:y2, x1:x2] = False
        if patch.size == 0:
            out[name] = (float("nan"), float("nan"))
        else:
            out[name] = (float(patch.mean()), float(patch.max()))
    if rest and REST not in out:
        left = hm[outside]
        out[REST] = ((float(left.mean()), float(left.max())) if left.size
                     else (float("nan"), float("nan")))
    return out


def region_table(heatmap_or_maps: ArrayLike | Mapping[str, ArrayLike],
                 regions: Regions | Mapping[str, Sequence[int]], *,
                 shape: Sequence[int] | None = None, title: str = "") -> Table:
    """Per-region mean and max of one map, or of several maps side by side.

    A map whose size differs from the regions' image (Grad-CAM at 14×14, occlusion at
    the image size) is first resized to the image with bilinear interpolation
    (``cv2.INTER_LINEAR``), as an overlay would show it; the boxes are never rescaled.

    Args:
        heatmap_or_maps: a 2-D map (h, w), or a dict ``{name: map}`` (e.g. one Grad-CAM
            per layer) giving two columns per map.
        regions: ``Regions`` (from ``regions_for``, ``face_regions``,
            ``image_regions``), or a dict ``{name: (y1, y2, x1, x2)}`` with ``shape``.
        shape: ``(height, width)`` of the image the boxes refer to; needed only for a
            plain dict.
        title: table caption (default says how the regions were made).

    Returns:
        ``Table`` with columns ``region, mean, max`` (one map) or ``region, <name>
        mean, <name> max, ...`` (a dict); one row per region, then ``REST`` (every
        pixel outside them: the rows tile the image). An empty region (outside the
        image) gives NaN.

    Raises:
        ValueError: an empty dict of maps, a map that is not 2-D, or invalid regions
            (see ``region_stats``).
    """
    if isinstance(heatmap_or_maps, Mapping):
        maps = dict(heatmap_or_maps)
        if not maps:
            raise ValueError(tr("heatmap_or_maps is an empty dict: give at least one map."))
        checked = {str(k): _checks.heatmap(v, tr("map {name!r}", name=k)) for k, v in maps.items()}
        single = False
    else:
        checked = {"": _checks.heatmap(heatmap_or_maps)}
        single = True
    boxes, image_shape = _check_regions(regions, shape)
    stats = {k: region_stats(v, boxes, shape=image_shape) for k, v in checked.items()}
    columns, headers = ["region"], [label("region")]
    for key in checked:
        columns += ["mean", "max"] if single else [f"{key} mean", f"{key} max"]
        headers += ([label("mean"), label("max")] if single else
                    [tr("{name} mean", name=key), tr("{name} max", name=key)])
    rows = []
    for name in stats[next(iter(checked))]:  # the regions, then the rest of the image
        row = [name]
        for key in checked:
            row += list(stats[key][name])
        rows.append(row)
    if not title:
        source = regions.source if isinstance(regions, Regions) else tr("given boxes")
        title = tr("Map per region ({source})", source=source)
    return Table(columns, rows, title=title, headers=headers)


def most_salient_region(heatmap: ArrayLike, regions: Regions | Mapping[str, Sequence[int]], *,
                        stat: str = "mean", shape: Sequence[int] | None = None) -> str:
    """The region where the map is highest (``REST``, outside every region, included);
    empty regions are skipped.

    Args:
        heatmap: (h, w) real map, resized to the regions' image first.
        regions: ``Regions``, or a dict ``{name: (y1, y2, x1, x2)}`` with ``shape``.
        stat: ``"mean"`` or ``"max"`` of the map over each region.
        shape: ``(height, width)`` of the image the boxes refer to (plain dict only).

    Returns:
        The region's name.

    Raises:
        ValueError: ``stat`` is neither ``"mean"`` nor ``"max"``, or every region is
            empty.
    """
    if stat not in ("mean", "max"):
        raise ValueError(tr("stat must be 'mean' or 'max'; got {value!r}.", value=stat))
    stats = region_stats(heatmap, regions, shape=shape)
    i = 0 if stat == "mean" else 1
    candidates = {k: v[i] for k, v in stats.items() if not np.isnan(v[i])}
    if not candidates:
        raise ValueError(tr("Every region is empty: the regions do not overlap the image."))
    return max(candidates, key=candidates.get)


__all__ = [
    "REGION_NAMES", "REST", "SOURCE_FACE", "SOURCE_FIXED", "IMAGE_FRACTIONS", "FACE_FRACTIONS",
    "Regions", "detect_faces", "image_regions", "face_regions", "regions_for",
    "region_table", "region_stats", "resize_map", "most_salient_region",
]
