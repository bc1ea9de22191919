"""The TP's Grad-CAM panel: layer drop-down, class chooser, overlay transparency."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..gradcam import make_gradcam_heatmap
from ..messages import tr
from ..models import conv_layer_names
from ..plots import show_heatmap
from ._base import STYLE, figure_png, require_image
from .explainer import ExplainerPanel, ExplainerState, explained_title, make_state, store_map


def conv_layers(model: Any) -> list[str]:
    """The model's convolution layers, or an error saying Grad-CAM needs a CNN.

    Args:
        model: a Keras model.

    Returns:
        the names of its convolution layers, input to output
        (``helpers.conv_layer_names``).

    Raises:
        ValueError: the model has no convolution layer.
    """
    names = conv_layer_names(model)
    if not names:
        raise ValueError(tr("{model} has no convolution layer: Grad-CAM and filter pictures "
                            "need a CNN (e.g. helpers.load_model('vgg16')).", model=model.name))
    return names


def default_gradcam_layer(model: Any) -> str:
    """The last convolution layer (VGG16: ``block5_conv3``), Grad-CAM's usual choice.

    Args:
        model: a Keras CNN.

    Returns:
        the layer's name.

    Raises:
        ValueError: the model has no convolution layer.
    """
    return conv_layers(model)[-1]


def compute_gradcam(state: ExplainerState, layer_name: str) -> np.ndarray:
    """Grad-CAM of the current photo for the explained class at ``layer_name``.

    ``helpers.make_gradcam_heatmap(state.batch, state.model, layer_name,
    state.class_index)`` (the batch is already preprocessed).

    Args:
        state: the state, with a photo chosen (updated in place).
        layer_name: the convolution layer whose activations are weighted.

    Returns:
        float32 (h, w) in [0, 1] at the layer's resolution, also in
        ``state.maps["gradcam"]`` (``state.params["gradcam"] == {"layer": layer_name}``).

    Raises:
        ValueError: no photo chosen, or a layer the model does not have.
    """
    require_image(state, "choose_image")
    return store_map(state, "gradcam",
                     lambda: make_gradcam_heatmap(state.batch, state.model, layer_name,
                                                  state.class_index),
                     layer=layer_name)


def render_gradcam(state: ExplainerState, alpha: float = 0.4) -> Figure:
    """Image | raw Grad-CAM map (layer resolution) | overlay (``alpha``).

    Args:
        state: the state, with a Grad-CAM map stored (:func:`compute_gradcam`).
        alpha: weight of the heatmap in the overlay, in [0, 1].

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).

    Raises:
        ValueError: no photo chosen, or no Grad-CAM map yet.
    """
    require_image(state, "choose_image")
    if "gradcam" not in state.maps:
        raise ValueError(tr("No Grad-CAM map yet: call compute_gradcam(state, layer)."))
    heat, layer = state.maps["gradcam"], state.params["gradcam"]["layer"]
    return show_heatmap(state.image, heat, alpha=alpha,
                        map_title=tr("Grad-CAM {layer} ({height}×{width})", layer=layer,
                                     height=heat.shape[0], width=heat.shape[1]),
                        title=explained_title(state))


class GradcamPanel(ExplainerPanel):
    """Photo and class choosers (from :class:`.ExplainerPanel`), a layer drop-down and an
    alpha slider; the picture is :func:`render_gradcam`.

    Attributes:
        layer: ``Dropdown`` of ``helpers.conv_layer_names(model)``.
        alpha: ``FloatSlider`` of the overlay's weight (redraws only).
    """

    def __init__(self, state: ExplainerState, *, layer: str | None = None, alpha: float = 0.4,
                 top_k: int = 5, dpi: int = 72, compute: bool = True) -> None:
        """Build the widgets and, unless ``compute=False``, compute and draw.

        Args:
            state: the state the widgets act on, with a photo chosen.
            layer: first layer shown; default the last convolution layer.
            alpha: first weight of the heatmap in the overlay.
            top_k: how many classes the class chooser offers.
            dpi: resolution of the drawn figure.
            compute: compute now (``False``: a tab not yet shown).

        Raises:
            ValueError: the model has no convolution layer, or none named ``layer``.
        """
        names = conv_layers(state.model)
        layer = default_gradcam_layer(state.model) if layer is None else layer
        if layer not in names:
            raise ValueError(tr("{model} has no convolution layer {layer!r}; its convolution "
                                "layers are: {names}.", model=state.model.name, layer=layer,
                                names=names))
        self.layer = widgets.Dropdown(description=tr("Layer"), options=names, value=layer,
                                      style=STYLE)
        self.alpha = widgets.FloatSlider(value=float(alpha), min=0.0, max=1.0, step=0.05,
                                         description=tr("Transparency α"), readout_format=".2f",
                                         continuous_update=False, style=STYLE)
        super().__init__(state, methods=(), top_k=top_k, dpi=dpi, compute=compute)
        self.layer.observe(self._on_layer, "value")
        self.alpha.observe(self._on_alpha, "value")

    def _method_rows(self) -> list:
        return [widgets.HBox([self.layer, self.alpha])]

    def recompute(self) -> None:
        """Grad-CAM at the chosen layer (:func:`compute_gradcam`)."""
        compute_gradcam(self.state, self.layer.value)

    def redraw(self) -> None:
        """Draw :func:`render_gradcam` once a map exists."""
        if "gradcam" in self.state.maps:
            self.picture.value = figure_png(render_gradcam(self.state, self.alpha.value), self.dpi)
        self.status.value = self.status_line()

    def _on_layer(self, change: dict) -> None:
        if not self._quiet:
            self._run(self.recompute)

    def _on_alpha(self, change: dict) -> None:
        if not self._quiet:
            self._run(lambda: None)  # only the overlay changes: redraw


def gradcam_panel(model: Any, image: Any = None, *, layer: str | None = None,
                  alpha: float = 0.4, preprocess: Callable[[np.ndarray], Any] | None = None,
                  class_names: Sequence[str] | None = None, top_k: int = 5,
                  dpi: int = 72) -> GradcamPanel:
    """Grad-CAM panel: layer drop-down, class chooser (top ``top_k``), overlay alpha.

    Args:
        model: a CNN classifier (VGG16); photos are resized to its input size.
        image: first photo (bundled name, path, array, upload); default the first
            bundled one.
        layer: first layer shown; default the last convolution layer.
        alpha: first weight of the heatmap in the overlay.
        preprocess: callable on raw 0–255 batches; default from the model.
        class_names: output names; default ImageNet for 1000 outputs.
        top_k: how many classes the class chooser offers.
        dpi: resolution of the drawn figure.

    Returns:
        The panel; its picture shows image | raw map | overlay.

    Raises:
        ValueError: the model has no convolution layer (or none named ``layer``), or a
            bad photo.
    """
    state = make_state(model, image, preprocess=preprocess, class_names=class_names)
    return GradcamPanel(state, layer=layer, alpha=alpha, top_k=top_k, dpi=dpi)
