"""The TP's filter panel: layer, filter index, ascent steps → activation maximisation."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import _checks
from ..config import settings
from ..filters import feature_extractor, visualize_filter
from ..messages import number, tr
from ..plots import show_pictures
from ._base import STYLE, Panel, figure_png
from .gradcam import conv_layers


@dataclass(eq=False)
class FilterState:
    """What the filter panel shows: one filter's activation-maximisation picture.

    Attributes:
        model: the CNN (VGG16).
        size: side of the picture (128; 64 under ``helpers.settings().quick``).
        layer, filter_index, steps: the arguments of the last picture.
        picture: float32 (size, size, 3) in [0, 1] (``helpers.visualize_filter``).
        timing: seconds it took.
    """

    model: Any
    size: int = 128
    layer: str | None = None
    filter_index: int = 0
    steps: int = 30
    picture: np.ndarray | None = None
    timing: float = 0.0


def filter_count(model: Any, layer_name: str) -> int:
    """Number of filters (output channels) of ``layer_name``.

    Args:
        model: a Keras CNN.
        layer_name: one of its convolution layers.

    Returns:
        the layer's number of output channels.

    Raises:
        ValueError: an unknown or non-spatial layer (the message lists the convolution
            layers).
    """
    return int(feature_extractor(model, layer_name).output.shape[-1])


def default_filter_params(quick: bool | None = None) -> dict:
    """``{"size", "steps"}``: 128 px, 30 steps; under ``settings().quick`` 64 px, 10 steps.

    Args:
        quick: the quick values; default ``helpers.settings().quick``.

    Returns:
        ``{"size": side in pixels, "steps": gradient-ascent steps}``.
    """
    quick = settings().quick if quick is None else quick
    return {"size": 64, "steps": 10} if quick else {"size": 128, "steps": 30}


def make_filter_state(model: Any, *, size: int | None = None) -> FilterState:
    """A filter state for ``model``, starting at its middle convolution layer
    (VGG16: ``block3_conv3``), filter 0.

    Args:
        model: a Keras CNN (VGG16).
        size: side of the pictures, pixels; default :func:`default_filter_params`.

    Returns:
        The new state (no picture computed yet).

    Raises:
        ValueError: the model has no convolution layer, or ``size`` is not > 0.
        TypeError: ``size`` is not an integer.
    """
    names = conv_layers(model)
    defaults = default_filter_params()
    size = defaults["size"] if size is None else _checks.positive_int(size, "size")
    return FilterState(model=model, size=size, layer=names[len(names) // 2],
                       steps=defaults["steps"])


def compute_filter(state: FilterState, layer_name: str, filter_index: int,
                   steps: int) -> np.ndarray:
    """``helpers.visualize_filter(model, layer_name, filter_index, size=state.size,
    steps=steps)``, timed and kept in ``state.picture``.

    Args:
        state: the state to update (in place).
        layer_name: a convolution layer of ``state.model``.
        filter_index: the filter (output channel) to maximise.
        steps: gradient-ascent steps.

    Returns:
        float32 (size, size, 3) in [0, 1].

    Raises:
        ValueError: an unknown layer (listing the conv layers) or a filter index out of
            range (saying how many filters the layer has).
    """
    start = time.perf_counter()
    picture = visualize_filter(state.model, layer_name, int(filter_index), size=state.size,
                               steps=int(steps), progress=False)
    state.timing = time.perf_counter() - start
    state.layer, state.filter_index, state.steps = layer_name, int(filter_index), int(steps)
    state.picture = picture
    return picture


def render_filter(state: FilterState) -> Figure:
    """The filter picture, titled with layer, index and steps.

    Args:
        state: the state, with a picture computed (:func:`compute_filter`).

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).

    Raises:
        ValueError: no picture yet.
    """
    if state.picture is None:
        raise ValueError(tr("No filter picture yet: call compute_filter(state, ...)."))
    return show_pictures([state.picture],
                         [tr("{layer}, filter {index} ({steps} steps)", layer=state.layer,
                             index=state.filter_index, steps=state.steps)], fontsize=10)


class FilterPanel(Panel):
    """Layer drop-down, filter index slider (0 … filters − 1 of the layer), steps slider.

    Attributes:
        state: the :class:`FilterState`.
        layer, filter_index, steps: the controls; ``picture``, ``status``, ``message``.
    """

    def __init__(self, state: FilterState, *, dpi: int = 72, compute: bool = True) -> None:
        """Build the controls and, unless ``compute=False``, compute and draw.

        Args:
            state: the state the controls act on (:func:`make_filter_state`).
            dpi: resolution of the drawn figure.
            compute: compute now (``False``: a tab not yet shown).

        Raises:
            ValueError: the model has no convolution layer.
        """
        self.state, self.dpi = state, dpi
        names = conv_layers(state.model)
        self.layer = widgets.Dropdown(description=tr("Layer"), options=names, value=state.layer,
                                      style=STYLE)
        self.filter_index = widgets.IntSlider(
            value=state.filter_index, min=0, max=filter_count(state.model, state.layer) - 1,
            description=tr("Filter no."), continuous_update=False, style=STYLE)
        self.steps = widgets.IntSlider(value=state.steps, min=0, max=max(100, state.steps),
                                       description=tr("Ascent steps"), continuous_update=False,
                                       style=STYLE)
        super().__init__([widgets.HBox([self.layer, self.filter_index, self.steps])],
                         compute=compute)
        self.layer.observe(self._on_layer, "value")
        self.filter_index.observe(self._on_change, "value")
        self.steps.observe(self._on_change, "value")
        self.start(compute)

    def recompute(self) -> None:
        """The picture of the chosen filter (:func:`compute_filter`)."""
        compute_filter(self.state, self.layer.value, self.filter_index.value, self.steps.value)

    def redraw(self) -> None:
        """Draw :func:`render_filter`."""
        self.picture.value = figure_png(render_filter(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        """« block3_conv3 : 256 filtres · image 128×128 · 1,2 s ».

        Returns:
            the status text (empty before the first picture).
        """
        if self.state.picture is None:
            return ""
        return tr("{layer}: {n} filters · picture {size}×{size} · {seconds} s",
                  layer=self.state.layer, n=filter_count(self.state.model, self.state.layer),
                  size=self.state.size, seconds=number(self.state.timing, ".1f"))

    def _on_layer(self, change: dict) -> None:
        if self._quiet:
            return
        with self._quietly():  # the index slider follows the layer's number of filters
            self.filter_index.max = filter_count(self.state.model, change["new"]) - 1
        self._run(self.recompute)

    def _on_change(self, change: dict) -> None:
        if not self._quiet:
            self._run(self.recompute)


def filter_panel(model: Any, *, size: int | None = None, dpi: int = 72) -> FilterPanel:
    """Filter pictures: layer drop-down, filter index (bounded by the layer's filter
    count), ascent steps → ``helpers.visualize_filter`` (128 px; 64 px and 10 steps
    under ``helpers.settings().quick``).

    Args:
        model: the CNN (VGG16).
        size: side of the pictures; default 128 (64 in quick mode).
        dpi: resolution of the drawn figure.

    Returns:
        The panel.
    """
    return FilterPanel(make_filter_state(model, size=size), dpi=dpi)
