"""Is a map faithful, and do two maps agree? Deletion/insertion curves and agreement.

*Faithfulness* (Petsiuk et al., 2018): remove the pixels a map calls important, most
important first, and watch the class score fall (**deletion**: a faithful map makes it
fall fast, low area under the curve); or start from a blurred/blank image and put the
pixels back in the same order (**insertion**: the score rises fast, high area).

*Agreement* between two maps (Grad-CAM vs occlusion, two layers...): Spearman rank
correlation over all pixels, and the IoU of their top-k % pixels.

Every function takes raw 0–255 images and 2-D maps of any resolution (resized as
documented) and returns arrays or numbers; no plotting.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable, Mapping
from typing import Any

import cv2
import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from . import _checks
from ._graph import forward_fn
from .images import model_image
from .messages import N_, label, number, tr
from .models import get_preprocess, input_size
from .table import Table


# --------------------------------------------------------------------------- helpers
def _resize_map(heatmap: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear (``cv2.INTER_LINEAR``) resize of a 2-D float map to ``(height, width)``."""
    if heatmap.shape == tuple(shape):
        return heatmap
    return cv2.resize(heatmap, (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR).astype(np.float32)


def _baseline(baseline, image: np.ndarray, blur_sigma: float) -> np.ndarray:
    """The image that "removed" pixels take: a constant, ``"blur"``, or an image."""
    if isinstance(baseline, str):
        if baseline != "blur":
            raise ValueError(tr("baseline must be a number, 'blur' or an image; got {value!r}.",
                                value=baseline))
        sigma = _checks.non_negative_float(blur_sigma, "blur_sigma")
        if sigma == 0:
            raise ValueError(tr("blur_sigma must be > 0 for baseline='blur'."))
        return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma,
                                borderType=cv2.BORDER_REFLECT101)
    if isinstance(baseline, numbers.Real) and not isinstance(baseline, bool):
        if not np.isfinite(baseline):
            raise ValueError(tr("baseline must be finite; got {value}.", value=baseline))
        return np.full_like(image, float(baseline))
    arr = _checks.as_image(baseline, "baseline")
    if arr.shape != image.shape:
        raise ValueError(tr("baseline image has shape {shape}; the image has {image_shape}.",
                            shape=arr.shape, image_shape=image.shape))
    return arr


def _ranks_desc(saliency: np.ndarray) -> np.ndarray:
    """Rank of each pixel (0 = most important): decreasing value, ties in raster order."""
    flat = saliency.ravel()
    order = np.argsort(-flat, kind="stable")
    ranks = np.empty(flat.size, dtype=np.int64)
    ranks[order] = np.arange(flat.size)
    return ranks.reshape(saliency.shape)


def _perturbation_curve(model, image, saliency, *, insert: bool, class_index, steps, baseline,
                        blur_sigma, preprocess, batch_size):

    steps = _checks.positive_int(steps, "steps")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    img = model_image(image, input_size(model))
    height, width = img.shape[:2]
    sal = _resize_map(_checks.heatmap(saliency, "saliency"), (height, width))
    base = _baseline(baseline, img, blur_sigma)
    preprocess = get_preprocess(model) if preprocess is None else preprocess

    n_pixels = height * width
    fractions = np.linspace(0.0, 1.0, steps + 1)
    counts = np.rint(fractions * n_pixels).astype(np.int64)
    ranks = _ranks_desc(sal)[None, :, :, None]  # (1, H, W, 1)
    # Deletion starts from the image (0 removed); insertion from the baseline (0 inserted).
    start, end = (base, img) if insert else (img, base)

    forward = forward_fn(model)  # compiled once per model: no eager call per chunk
    outputs = []
    for lo in range(0, len(counts), batch_size):
        chunk = counts[lo:lo + batch_size]
        changed = ranks < chunk[:, None, None, None]  # (b, H, W, 1): pixels switched so far
        batch = np.where(changed, end[None], start[None]).astype(np.float32)
        out = np.asarray(forward(tf.convert_to_tensor(preprocess(batch), tf.float32)), dtype=np.float64)
        if out.ndim != 2 or out.shape[0] != len(chunk):
            raise ValueError(tr("The model must output (batch, classes) scores; got shape "
                                "{shape}.", shape=out.shape))
        outputs.append(out)
    probs = np.concatenate(outputs)
    if class_index is None:
        clean_row = -1 if insert else 0  # the unperturbed image
        class_index = int(np.argmax(probs[clean_row]))
    else:
        class_index = _checks.class_index(class_index, probs.shape[1])
    return fractions, probs[:, class_index].astype(np.float64)


# --------------------------------------------------------------------------- curves
def deletion_curve(model: keras.Model, image: str | os.PathLike | ArrayLike,
                   saliency: ArrayLike, *,
                   class_index: int | None = None, steps: int = 20,
                   baseline: float | str | ArrayLike = 0.0, blur_sigma: float = 5.0,
                   preprocess: Callable[[np.ndarray], Any] | None = None,
                   batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Score of the class while the most important pixels are removed first.

    Pixels are ordered by decreasing map value (ties: raster order, row by row); at
    step ``k`` the first ``round(k / steps × H × W)`` of them take the baseline's
    value (all three channels). The perturbed images are built per chunk of
    ``batch_size`` and scored in one forward pass each; the result does not depend on
    ``batch_size``.

    Args:
        model: a Keras model with probability (or score) outputs (batch, classes).
        image: raw RGB image (H, W, 3), 0–255 (uint8 or float), at the model's input
            size; or a path (read and resized to that size).
        saliency: 2-D map (h, w); resized bilinearly to (H, W) if its size differs.
        class_index: class whose output is tracked; default the top class of the
            unperturbed image.
        steps: number of steps; the curve has ``steps + 1`` points (0 % to 100 %).
        baseline: what removed pixels become: a constant on the 0–255 scale (default
            0, black), ``"blur"`` (the image blurred with ``blur_sigma``) or an image.
        blur_sigma: Gaussian sigma in pixels for ``baseline="blur"``.
        preprocess: preprocessing on raw 0–255 batches (default
            ``helpers.get_preprocess(model)``).
        batch_size: perturbed images per forward pass (memory bound).

    Returns:
        ``(fractions, scores)``: float64 arrays of shape (steps + 1,): the fraction of
        pixels removed and the model output for ``class_index``. A faithful map gives
        a curve that falls fast (low ``auc``).

    Raises:
        ValueError: an image that is not at the model's input size, a map that is not
            2-D, a bad ``baseline``/``blur_sigma``/``steps``/``batch_size``, a
            ``class_index`` out of range, or model outputs that are not (batch, classes).
        FileNotFoundError: ``image`` is a path that does not exist.

    Reference:
        Petsiuk, Das & Saenko, "RISE: Randomized Input Sampling for Explanation of
        Black-box Models", BMVC 2018.
    """
    return _perturbation_curve(model, image, saliency, insert=False, class_index=class_index,
                               steps=steps, baseline=baseline, blur_sigma=blur_sigma,
                               preprocess=preprocess, batch_size=batch_size)


def insertion_curve(model: keras.Model, image: str | os.PathLike | ArrayLike,
                    saliency: ArrayLike, *,
                    class_index: int | None = None, steps: int = 20,
                    baseline: float | str | ArrayLike = "blur", blur_sigma: float = 5.0,
                    preprocess: Callable[[np.ndarray], Any] | None = None,
                    batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Score of the class while the most important pixels are put back first.

    Starts from the baseline image (default: the image blurred with ``blur_sigma``,
    as in RISE) and restores the original pixels in decreasing map order (ties: raster
    order); at step ``k`` the first ``round(k / steps × H × W)`` pixels are the
    image's.

    Args:
        model: a Keras model with probability (or score) outputs (batch, classes).
        image: raw RGB image (H, W, 3), 0–255 (uint8 or float), at the model's input
            size; or a path (read and resized to that size).
        saliency: 2-D map (h, w); resized bilinearly to (H, W) if its size differs.
        class_index: class whose output is tracked; default the top class of the
            full image.
        steps: number of steps; the curve has ``steps + 1`` points (0 % to 100 %).
        baseline: where insertion starts: ``"blur"`` (default, the image blurred with
            ``blur_sigma``), a constant on the 0–255 scale, or an image.
        blur_sigma: Gaussian sigma in pixels for ``baseline="blur"``.
        preprocess: preprocessing on raw 0–255 batches (default
            ``helpers.get_preprocess(model)``).
        batch_size: perturbed images per forward pass (memory bound).

    Returns:
        ``(fractions, scores)``: float64 arrays of shape (steps + 1,): the fraction of
        pixels inserted and the model output for ``class_index`` (default: the top
        class of the full image). A faithful map gives a curve that rises fast (high
        ``auc``).

    Raises:
        ValueError: as ``deletion_curve``.
        FileNotFoundError: ``image`` is a path that does not exist.

    Reference:
        Petsiuk, Das & Saenko, "RISE: Randomized Input Sampling for Explanation of
        Black-box Models", BMVC 2018.
    """
    return _perturbation_curve(model, image, saliency, insert=True, class_index=class_index,
                               steps=steps, baseline=baseline, blur_sigma=blur_sigma,
                               preprocess=preprocess, batch_size=batch_size)


def auc(fractions: ArrayLike, scores: ArrayLike) -> float:
    """Area under a curve by the trapezoidal rule.

    Args:
        fractions: increasing x values (n,), n >= 2 (e.g. 0 to 1).
        scores: y values (n,).

    Returns:
        The area (with fractions from 0 to 1 and scores in [0, 1], in [0, 1] too).

    Raises:
        ValueError: arrays that are not 1-D of one length, fewer than 2 points,
            non-finite values, or decreasing fractions.
    """
    x = np.asarray(fractions, dtype=np.float64)
    y = np.asarray(scores, dtype=np.float64)
    if x.ndim != 1 or y.shape != x.shape:
        raise ValueError(tr("fractions and scores must be 1-D of the same length; got {a} and "
                            "{b}.", a=x.shape, b=y.shape))
    if x.size < 2:
        raise ValueError(tr("auc needs at least 2 points."))
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError(tr("fractions and scores must be finite."))
    if np.any(np.diff(x) < 0):
        raise ValueError(tr("fractions must be increasing."))
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))


def faithfulness_table(model: keras.Model, image: str | os.PathLike | ArrayLike,
                       maps: Mapping[str, ArrayLike], *, class_index: int | None = None,
                       steps: int = 20, preprocess: Callable[[np.ndarray], Any] | None = None,
                       batch_size: int = 16) -> Table:
    """Deletion and insertion AUC of several maps of the same image, side by side.

    Deletion goes to black, insertion starts from the blurred image.

    Args:
        model: as in ``deletion_curve``.
        image: as in ``deletion_curve``.
        maps: ``{name: 2-D map}`` (e.g. Grad-CAM, occlusion, saliency).
        class_index: as in ``deletion_curve``.
        steps: as in ``deletion_curve``.
        preprocess: as in ``deletion_curve``.
        batch_size: as in ``deletion_curve``.

    Returns:
        ``Table`` with columns ``map, deletion AUC, insertion AUC`` (deletion: lower is
        more faithful; insertion: higher is more faithful).

    Raises:
        ValueError: ``maps`` is not a non-empty dict, or as ``deletion_curve``.

    Reference:
        Petsiuk, Das & Saenko, "RISE", BMVC 2018.
    """
    if not isinstance(maps, Mapping) or not maps:
        raise ValueError(tr("maps must be a non-empty dict {example}.",
                            example="{" + label("name: 2-D map") + "}"))
    rows = []
    for name, heatmap in maps.items():
        kwargs = dict(class_index=class_index, steps=steps, preprocess=preprocess,
                      batch_size=batch_size)
        d = auc(*deletion_curve(model, image, heatmap, **kwargs))
        i = auc(*insertion_curve(model, image, heatmap, **kwargs))
        rows.append((str(name), d, i))
    return Table((N_("map"), N_("deletion AUC"), N_("insertion AUC")), rows,
                 title=tr("Faithfulness (deletion: lower is better; insertion: higher is better)"))


# --------------------------------------------------------------------------- agreement
def _pair(map_a, map_b) -> tuple[np.ndarray, np.ndarray]:
    a = _checks.heatmap(map_a, "map_a")
    b = _checks.heatmap(map_b, "map_b")
    if a.shape != b.shape:
        if a.size <= b.size:
            a = _resize_map(a, b.shape)
        else:
            b = _resize_map(b, a.shape)
    return a, b


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties sharing their average rank (like scipy's rankdata)."""
    order = np.argsort(values, kind="stable")
    sorted_vals = values[order]
    starts = np.r_[True, sorted_vals[1:] != sorted_vals[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], values.size] - 1
    avg = (first + last) / 2.0 + 1.0
    ranks = np.empty(values.size, dtype=np.float64)
    ranks[order] = avg[group]
    return ranks


def spearman(map_a: ArrayLike, map_b: ArrayLike) -> float:
    """Spearman rank correlation between two maps, over all pixels.

    Ties take their average rank. Maps of different sizes: the smaller (fewer pixels)
    is resized bilinearly to the larger's shape first.

    Args:
        map_a: a 2-D map (h, w).
        map_b: another 2-D map, of any size.

    Returns:
        A value in [-1, 1] (1: same order, -1: reversed order); NaN when a map is
        constant (its ranks have no variance).
    """
    a, b = _pair(map_a, map_b)
    ra = _average_ranks(a.ravel().astype(np.float64))
    rb = _average_ranks(b.ravel().astype(np.float64))
    ra -= ra.mean()
    rb -= rb.mean()
    denom = np.sqrt(np.sum(ra * ra) * np.sum(rb * rb))
    if denom == 0:
        return float("nan")
    return float(np.clip(np.sum(ra * rb) / denom, -1.0, 1.0))


def top_k_iou(map_a: ArrayLike, map_b: ArrayLike, k: float = 0.1) -> float:
    """Intersection over union of the top ``k`` fraction of pixels of two maps.

    Each map's top set holds exactly ``max(1, round(k × n_pixels))`` pixels, chosen by
    decreasing value with ties in raster order. Maps of different sizes: the smaller
    is resized bilinearly to the larger's shape first.

    Args:
        map_a: a 2-D map (h, w).
        map_b: another 2-D map, of any size.
        k: fraction of the pixels in (0, 1] (0.1 = the top 10 %).

    Returns:
        IoU in [0, 1]: 1 when both maps select the same pixels.

    Raises:
        ValueError: ``k`` outside (0, 1], or a map that is not 2-D.
    """
    k = _checks.fraction(k, "k")
    if k == 0:
        raise ValueError(tr("k must be > 0 (a fraction of the pixels, e.g. 0.1)."))
    a, b = _pair(map_a, map_b)
    n = max(1, int(round(k * a.size)))
    top_a = _ranks_desc(a).ravel() < n
    top_b = _ranks_desc(b).ravel() < n
    inter = np.count_nonzero(top_a & top_b)
    union = np.count_nonzero(top_a | top_b)
    return float(inter / union)


def agreement_table(maps: Mapping[str, ArrayLike], *, k: float = 0.1) -> Table:
    """Spearman correlation and top-``k`` IoU for every pair of maps.

    Args:
        maps: ``{name: 2-D map}`` with at least two maps.
        k: fraction of pixels for ``top_k_iou``.

    Returns:
        ``Table`` with columns ``map A, map B, spearman, top-k IoU``.

    Raises:
        ValueError: fewer than two maps.
    """
    if not isinstance(maps, Mapping) or len(maps) < 2:
        raise ValueError(tr("maps must be a dict {example} with at least two maps.",
                            example="{" + label("name: 2-D map") + "}"))
    names = list(maps)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            rows.append((str(a), str(b), spearman(maps[a], maps[b]), top_k_iou(maps[a], maps[b], k)))
    headers = [label("map A"), label("map B"), label("spearman"),
               tr("IoU of the top {percent} %", percent=number(100 * k, "g"))]
    return Table(("map A", "map B", "spearman", f"top-{k:g} IoU"), rows, headers=headers,
                 title=tr("Agreement between maps"))


__all__ = ["deletion_curve", "insertion_curve", "auc", "faithfulness_table",
           "spearman", "top_k_iou", "agreement_table"]
