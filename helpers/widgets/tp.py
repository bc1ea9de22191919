"""The TP VGG16's panels together, in tabs."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from ..messages import tr
from ..recognizer import FaceRecognizer, embedding_model
from ._base import grading_placeholder
from .anonymisation import AnonymisationPanel, make_mask_state
from .explainer import ExplainerPanel, make_state
from .filters import FilterPanel, make_filter_state
from .gradcam import GradcamPanel
from .recognizer import RecognizerPanel, make_recognizer_state

#: Titles of the tabs of :func:`tp_panel`, in order.
TP_TABS = (tr("Grad-CAM"), tr("Occlusion"), tr("Filters"), tr("Anonymisation"),
           tr("Identification"))


def tp_panel(model: Any, recognizer: Any = None, image: Any = None, *,
             dpi: int = 72) -> widgets.Tab | widgets.HTML:
    """The TP's panels in tabs: Grad-CAM, Occlusion (sensitivity), Filtres, Anonymisation,
    Reconnaissance faciale. A tab computes when it is first shown.

    Args:
        model: VGG16 (``helpers.load_model("vgg16")``), or any CNN classifier.
        recognizer: a ``helpers.FaceRecognizer``; default a new one on ``model``'s
            ``block5_pool`` embedding with nobody enrolled (when ``model`` has that
            layer; otherwise no recognizer tab and no verdict).
        image: first photo of the Grad-CAM and occlusion tabs.
        dpi: resolution of the drawn figures.

    Returns:
        An ``ipywidgets.Tab``; ``tab.children`` are the panels, in ``TP_TABS`` order.
        While nbgrader grades (``settings().grading``), a line of text instead: nothing
        is computed for a panel nobody sees.
    """
    placeholder = grading_placeholder()
    if placeholder is not None:
        return placeholder
    if recognizer is None and "block5_pool" in [layer.name for layer in model.layers]:
        recognizer = FaceRecognizer(embedding_model(model))
    panels = [
        GradcamPanel(make_state(model, image), dpi=dpi),
        ExplainerPanel(make_state(model, image, occlusion="sensitivity"),
                       methods=("occlusion",), dpi=dpi, compute=False),
        FilterPanel(make_filter_state(model), dpi=dpi, compute=False),
        AnonymisationPanel(make_mask_state(model, recognizer), dpi=dpi, compute=False),
    ]
    titles = list(TP_TABS[:4])
    if recognizer is not None:
        panels.append(RecognizerPanel(make_recognizer_state(recognizer), dpi=dpi, compute=False))
        titles.append(TP_TABS[4])
    tab = widgets.Tab(children=panels, titles=titles)

    def on_tab(change: dict) -> None:
        if change["new"] is not None:
            panels[change["new"]].ensure_computed()

    tab.observe(on_tab, "selected_index")
    return tab
