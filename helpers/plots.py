"""Drawing: overlays and figures of the maps the methods return. Nothing here computes
an explanation; every function takes arrays and returns an image or a Figure."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from numpy.typing import ArrayLike

from . import _checks
from .images import to_rgb_uint8
from .messages import number, tr


def _local_ticks(colorbar: Colorbar) -> None:
    """A colour bar's tick labels written as the course's language writes numbers (« 0,2 »)."""
    colorbar.ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: number(value, "g")))


def overlay_heatmap(img: ArrayLike, heatmap: ArrayLike, alpha: float = 0.4) -> np.ndarray:
    """Blend a heatmap over an image: ``alpha·jet(heatmap) + (1 − alpha)·image``.

    Args:
        img: RGB image (H, W, 3) (any form ``to_rgb_uint8`` accepts).
        heatmap: 2-D map at any resolution (e.g. Grad-CAM 14×14); resized to the
            image (bilinear). Values in [0, 1] are used as they are; a map outside
            [0, 1] (e.g. raw occlusion drops) is min–max normalised first.
        alpha: weight of the heatmap, in [0, 1].

    Returns:
        uint8 (H, W, 3) RGB.

    Raises:
        ValueError: a heatmap that is not 2-D, or ``alpha`` outside [0, 1].
    """
    image = to_rgb_uint8(img)
    heat = _checks.heatmap(heatmap)
    alpha = _checks.fraction(alpha, "alpha")
    if heat.min() < 0.0 or heat.max() > 1.0:
        heat = (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)
    heat = cv2.resize(heat, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR)
    colored = cv2.applyColorMap(np.uint8(np.clip(heat, 0, 1) * 255), cv2.COLORMAP_JET)
    colored = cv2.cvtColor(colored, cv2.COLOR_BGR2RGB).astype(np.float32)
    blend = alpha * colored + (1.0 - alpha) * image.astype(np.float32)
    return np.clip(np.rint(blend), 0, 255).astype(np.uint8)


def figure(ncols: int = 1, nrows: int = 1, size: float = 3.2) -> tuple[Figure, np.ndarray]:
    """A matplotlib Figure (not attached to pyplot: no global state, safe in tests).

    Args:
        ncols: columns of axes.
        nrows: rows of axes.
        size: side of one axes, inches.

    Returns:
        ``(fig, axes)``: the Figure and its ``nrows × ncols`` axes, flat, row by row.
    """
    fig = Figure(figsize=(size * ncols, size * nrows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    return fig, axes


def show_maps(image: ArrayLike, maps: Mapping[str, ArrayLike], *, alpha: float = 0.4, cmap: str = "jet",
              title: str = "", colorbar: bool = True) -> Figure:
    """The image, then each named map (raw, with a colour bar) over its overlay row.

    Args:
        image: RGB image (H, W, 3) (any form ``to_rgb_uint8`` accepts).
        maps: ``{title: 2-D map}`` in display order.
        alpha: weight of the map in the overlay row; 0 draws no overlay row.
        cmap: matplotlib colour map of the raw maps.
        title: the figure's title.
        colorbar: a colour bar beside each raw map.

    Returns:
        The Figure: one row of raw maps after the image, and the overlays below.
    """
    image = to_rgb_uint8(image)
    n = len(maps)
    fig, axes = figure(n + 1, 2 if alpha else 1)
    axes = axes.reshape(2 if alpha else 1, n + 1)
    axes[0, 0].imshow(image)
    axes[0, 0].set_title(tr("image"))
    for col, (name, heat) in enumerate(maps.items(), start=1):
        heat = _checks.heatmap(heat, name)
        im = axes[0, col].imshow(heat, cmap=cmap)
        axes[0, col].set_title(name)
        if colorbar:
            _local_ticks(fig.colorbar(im, ax=axes[0, col], shrink=0.8))
        if alpha:
            axes[1, col].imshow(overlay_heatmap(image, heat, alpha))
            axes[1, col].set_title(tr("{name} (overlay)", name=name))
    if alpha:
        axes[1, 0].axis("off")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def show_grid(pictures: ArrayLike, row_titles: Sequence[str] | None = None,
              col_titles: Sequence[str] | None = None, title: str = "") -> Figure:
    """A grid of pictures, e.g. filters by layer.

    Args:
        pictures: (rows, cols, H, W, 3) floats in [0, 1] (RGB), or (cols, H, W, 3)
            for one row.
        row_titles: one label per row, or ``None``.
        col_titles: one title per column, or ``None``.
        title: the figure's title.

    Returns:
        The Figure.
    """
    pictures = np.asarray(pictures)
    if pictures.ndim == 4:
        pictures = pictures[None]
    rows, cols = pictures.shape[:2]
    fig, axes = figure(cols, rows, size=1.6)
    axes = axes.reshape(rows, cols)
    for r in range(rows):
        for c in range(cols):
            axes[r, c].imshow(pictures[r, c])
            axes[r, c].set_xticks([])
            axes[r, c].set_yticks([])
            if c == 0 and row_titles is not None:
                axes[r, c].set_ylabel(row_titles[r], fontsize=8)
            if r == 0 and col_titles is not None:
                axes[r, c].set_title(col_titles[c], fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


def show_pictures(pictures: Sequence[ArrayLike], titles: Sequence[str], *, title: str = "", size: float = 3.6,
                  fontsize: int = 9) -> Figure:
    """Pictures side by side, each with its (multi-line) title.

    Args:
        pictures: RGB images (uint8, or floats in [0, 1]), one per column.
        titles: one title per picture.
        title: the figure's title.
        size: inches per picture.
        fontsize: of the pictures' titles.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).
    """
    pictures = list(pictures)
    fig, axes = figure(len(pictures), size=size)
    for ax, picture, text in zip(axes, pictures, titles):
        ax.imshow(picture)
        ax.set_title(text, fontsize=fontsize)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=fontsize)
    return fig


def show_heatmap(image: ArrayLike, heatmap: ArrayLike, *, alpha: float = 0.4, map_title: str = "",
                 title: str = "") -> Figure:
    """Image | the raw map at its own resolution (colour bar on [0, 1]) | their overlay.

    Args:
        image: RGB image (H, W, 3).
        heatmap: 2-D map in [0, 1], any resolution (e.g. Grad-CAM's 14×14).
        alpha: weight of the map in the overlay (``overlay_heatmap``).
        map_title: title of the raw map.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).
    """
    image = to_rgb_uint8(image)
    heat = _checks.heatmap(heatmap)
    fig, axes = figure(3)
    axes[0].imshow(image)
    axes[0].set_title(tr("image"))
    im = axes[1].imshow(heat, cmap="jet", vmin=0.0, vmax=1.0)
    axes[1].set_title(map_title)
    _local_ticks(fig.colorbar(im, ax=axes[1], shrink=0.8))
    axes[2].imshow(overlay_heatmap(image, heat, alpha))
    axes[2].set_title(tr("overlay (α = {alpha})", alpha=number(alpha, ".2f")))
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def save(fig: Figure, path: str | os.PathLike) -> Path:
    """Save a figure (PNG at 110 dpi), creating the folder.

    Args:
        fig: the Figure.
        path: the file to write.

    Returns:
        ``path`` as a ``Path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path

