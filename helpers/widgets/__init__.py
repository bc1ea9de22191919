"""Interactive panels (ipywidgets 8) that re-run the explanation methods and redraw.

Compute, then draw — then wire. Everything a panel does is a plain function on a state
(the model, the current photo, the explained class, the last maps), importable and
tested without a browser; a panel only connects widgets to those functions. One module
per panel, over a shared base:

* ``_base`` — photos from any source (a bundled name, a path, an array, an upload:
  :func:`.decode_upload`), the :class:`~helpers.widgets._base.Panel` every panel
  derives from (picture, status, error line, photo picker and upload);
* ``explainer`` — NBJ1: :func:`.nbj1_panel`, :func:`.explainer_panel`,
  :func:`.occlusion_panel` (:class:`.ExplainerState`, :func:`.choose_image`,
  :func:`.compute_occlusion`, :func:`.compute_saliency`, :func:`.compute_smoothgrad`,
  :func:`.render`);
* ``gradcam`` — :func:`.gradcam_panel` (layer, class, overlay transparency);
* ``filters`` — :func:`.filter_panel` (layer, filter index, ascent steps);
* ``anonymisation`` — :func:`.anonymisation_panel` (mask type and blur → the classifier
  and the recognizer);
* ``recognizer`` — :func:`.recognizer_panel` (threshold, upload your face, enrol it);
* ``tp`` — :func:`.tp_panel`, all the TP's panels in tabs.

The drawing lives in ``helpers.plots``; every word shown comes from
``helpers.messages`` (French for the course, ``XAI_COURSE_LANG=en`` for English).

Usage in a notebook cell::

    helpers.widgets.nbj1_panel(model)  # image | occlusion | saliency | SmoothGrad
"""

from __future__ import annotations

from ._base import (GIVEN_IMAGE, GRADING_PLACEHOLDER, UPLOAD_SUFFIX, Panel, PhotoState,
                    decode_upload, error_html, figure_png)
from .anonymisation import (AnonymisationPanel, MaskState, anonymisation_panel,
                            choose_mask_image, compute_mask, default_blur_sigma,
                            make_mask_state, mask_summary, render_mask)
from .explainer import (DEFAULT_SIZE, METHODS, OCCLUSION_KINDS, TITLES, ExplainerPanel,
                        ExplainerState, choose_class, choose_image, class_options, compute_all,
                        compute_occlusion, compute_saliency, compute_smoothgrad, default_params,
                        explainer_panel, make_state, nbj1_panel, noise_scale, occlusion_panel,
                        render, slider_ranges, status_text, store_map, top_classes)
from .filters import (FilterPanel, FilterState, compute_filter, default_filter_params,
                      filter_count, filter_panel, make_filter_state, render_filter)
from .gradcam import (GradcamPanel, compute_gradcam, default_gradcam_layer, gradcam_panel,
                      render_gradcam)
from .recognizer import (DEFAULT_FACE, NO_FACE, RecognizerPanel, RecognizerState, choose_face,
                         enrol_face, identify_verdict, make_recognizer_state, recognizer_panel,
                         render_face, set_threshold, verdict_text)
from .tp import TP_TABS, tp_panel

__all__ = [
    "DEFAULT_FACE", "DEFAULT_SIZE", "GIVEN_IMAGE", "GRADING_PLACEHOLDER", "METHODS", "NO_FACE",
    "OCCLUSION_KINDS", "TITLES", "TP_TABS", "UPLOAD_SUFFIX",
    "AnonymisationPanel", "ExplainerPanel", "ExplainerState", "FilterPanel", "FilterState",
    "GradcamPanel", "MaskState", "Panel", "PhotoState", "RecognizerPanel", "RecognizerState",
    "anonymisation_panel", "choose_class", "choose_face", "choose_image", "choose_mask_image",
    "class_options", "compute_all", "compute_filter", "compute_gradcam", "compute_mask",
    "compute_occlusion", "compute_saliency", "compute_smoothgrad", "decode_upload",
    "default_blur_sigma", "default_filter_params", "default_gradcam_layer", "default_params",
    "enrol_face", "error_html", "explainer_panel", "figure_png", "filter_count", "filter_panel",
    "gradcam_panel", "identify_verdict", "make_filter_state", "make_mask_state",
    "make_recognizer_state", "make_state", "mask_summary", "nbj1_panel", "noise_scale",
    "occlusion_panel", "recognizer_panel", "render", "render_face", "render_filter",
    "render_gradcam", "render_mask", "set_threshold", "slider_ranges", "status_text",
    "store_map", "top_classes", "tp_panel", "verdict_text",
]
