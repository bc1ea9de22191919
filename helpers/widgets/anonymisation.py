"""The TP's anonymisation panel: a mask, and what the classifier and the recognizer say."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..anonymisation import (DEFAULT_BLUR_FRACTION, MASK_TYPES, apply_mask, face_area,
                             mask_regions, recognizer_at_box)
from ..messages import label, number, tr
from ..models import class_name, get_preprocess, input_size, predict
from ..images import resize
from ..plots import show_pictures
from ._base import STYLE, Panel, PhotoState, figure_png, load_source
from .recognizer import DEFAULT_FACE, identify_verdict, verdict_text


@dataclass(eq=False, kw_only=True)
class MaskState(PhotoState):
    """What the anonymisation panel shows: a face photo, one mask, two verdicts.

    Attributes:
        model: the ImageNet classifier (VGG16).
        preprocess: its preprocessing on raw 0–255 batches.
        recognizer: optional face recognizer (``helpers.FaceRecognizer``).
        image_name, image, images: the photo, RGB uint8 at its own size (masks are
            applied there, like ``helpers.mask_report``).
        regions: ``helpers.anonymisation.mask_regions(image)`` (the detected face, or
            the fixed fractions).
        probabilities, class_index: the classifier on the unmasked photo.
        verdict: the recognizer on the unmasked photo (``identify_verdict``).
        mask_type, blur_sigma: the last mask's arguments (``blur_sigma`` only for
            ``"flou_gaussien"``, else ``None``).
        masked, masked_probabilities, masked_verdict: the masked photo and what the
            classifier and the recognizer say of it.
    """

    model: Any
    preprocess: Callable[[np.ndarray], Any]
    recognizer: Any = None
    regions: Any = None
    probabilities: np.ndarray | None = None
    class_index: int | None = None
    verdict: tuple | None = None
    mask_type: str | None = None
    blur_sigma: float | None = None
    masked: np.ndarray | None = None
    masked_probabilities: np.ndarray | None = None
    masked_verdict: tuple | None = None

    def label(self, index: int) -> str:
        """Readable name of class ``index``.

        Args:
            index: a class index of the classifier.

        Returns:
            the ImageNet name for 1000 outputs, else « classe ``index`` ».
        """
        n = int(self.probabilities.shape[-1])
        return class_name(int(index)) if n == 1000 else tr("class {index}", index=int(index))

    @property
    def drop(self) -> float:
        """p(original class) on the photo minus on the masked photo."""
        c = self.class_index
        return float(self.probabilities[c]) - float(self.masked_probabilities[c])


def _classify(state: MaskState, image: np.ndarray) -> np.ndarray:
    size = input_size(state.model)
    picture = resize(image, size) if size is not None else image
    batch = state.preprocess(picture[None].astype(np.float32))
    return np.asarray(predict(state.model, batch)[0], dtype=np.float32)


def default_blur_sigma(state: MaskState) -> float:
    """``helpers.apply_mask``'s default blur: ``DEFAULT_BLUR_FRACTION`` × face width.

    Args:
        state: the state, with a photo chosen (its ``regions``).

    Returns:
        the blur's standard deviation in pixels, at least 1.
    """
    y1, y2, x1, x2 = face_area(state.regions)
    return max(1.0, DEFAULT_BLUR_FRACTION * (x2 - x1))


def make_mask_state(model: Any, recognizer: Any = None, image: Any = None, *,
                    preprocess: Callable[[np.ndarray], Any] | None = None) -> MaskState:
    """A state for the anonymisation panel, first photo chosen (default Grace Hopper).

    Args:
        model: the ImageNet classifier (VGG16).
        recognizer: optional face recognizer with an ``identify(img)`` method
            (``helpers.FaceRecognizer``); never modified.
        image: first photo (bundled name, path, array, upload); default Grace Hopper.
        preprocess: callable on raw 0–255 batches; default from the model.

    Returns:
        The new state.

    Raises:
        TypeError: ``recognizer`` has no ``identify`` method, or a bad photo.
        ValueError, FileNotFoundError: a bad photo (:func:`choose_mask_image`).
    """
    if recognizer is not None and not callable(getattr(recognizer, "identify", None)):
        raise TypeError(tr("recognizer must have an identify(img) method "
                           "(helpers.FaceRecognizer)."))
    preprocess = get_preprocess(model) if preprocess is None else preprocess
    state = MaskState(model=model, preprocess=preprocess, recognizer=recognizer)
    return choose_mask_image(state, DEFAULT_FACE if image is None else image)


def choose_mask_image(state: MaskState, source: Any) -> MaskState:
    """Make ``source`` the photo: locate the face, classify it, identify it; the last
    mask is cleared. ``source`` as in ``choose_image``.

    Args:
        state: the state to update (in place).
        source: a bundled photo's name, a name from ``state.image_keys()``, a path, an
            image array, or an upload.

    Returns:
        ``state``.

    Raises:
        ValueError, FileNotFoundError, TypeError: a bad upload, an unknown name, a bad
            array.
    """
    key, original = load_source(state, source)
    regions = mask_regions(original)
    state.image_name, state.image, state.regions = key, original, regions
    state.probabilities = _classify(state, original)
    state.class_index = int(np.argmax(state.probabilities))
    state.verdict = None
    if state.recognizer is not None:
        state.verdict = identify_verdict(recognizer_at_box(state.recognizer, regions.face_box),
                                         original)
    state.mask_type = state.blur_sigma = state.masked = None
    state.masked_probabilities = state.masked_verdict = None
    return state


def compute_mask(state: MaskState, mask_type: str, blur_sigma: float | None = None) -> np.ndarray:
    """Apply ``mask_type`` and ask the classifier and the recognizer again.

    The mask is ``helpers.apply_mask(state.image, mask_type, blur_sigma=...,
    regions=state.regions)``; the recognizer sees the masked photo with the face where
    it was on the original (as ``helpers.mask_report`` does).

    Args:
        state: the state, with a photo chosen (updated in place).
        mask_type: one of ``helpers.MASK_TYPES``.
        blur_sigma: the blur's standard deviation in pixels, for ``"flou_gaussien"``
            (ignored otherwise); default :func:`default_blur_sigma`.

    Returns:
        The masked photo, RGB uint8, also in ``state.masked``.

    Raises:
        ValueError: no photo chosen, an unknown ``mask_type``, or ``blur_sigma`` not > 0.
    """
    if state.image is None:
        raise ValueError(tr("No image chosen: call {function}(state, ...) first.",
                            function="choose_mask_image"))
    sigma = None
    if mask_type == "flou_gaussien":
        sigma = default_blur_sigma(state) if blur_sigma is None else float(blur_sigma)
    masked = apply_mask(state.image, mask_type, blur_sigma=sigma, regions=state.regions)
    state.mask_type, state.blur_sigma, state.masked = mask_type, sigma, masked
    state.masked_probabilities = _classify(state, masked)
    state.masked_verdict = None
    if state.recognizer is not None:
        at_box = recognizer_at_box(state.recognizer, state.regions.face_box)
        state.masked_verdict = identify_verdict(at_box, masked)
    return masked


def mask_summary(state: MaskState) -> str:
    """The last mask's effect, one line per question (classifier, recognizer).

    Args:
        state: the state, with a mask computed (:func:`compute_mask`).

    Returns:
        the lines, joined by newlines (the recognizer's only with a recognizer).
    """
    c = state.class_index
    top = int(np.argmax(state.masked_probabilities))
    lines = [tr("ImageNet class: {label} (p={p}) · original class « {original} »: {before} → "
                "{after} (drop {drop})", label=state.label(top),
                p=number(float(state.masked_probabilities[top])), original=state.label(c),
                before=number(float(state.probabilities[c])),
                after=number(float(state.masked_probabilities[c])), drop=number(state.drop, "+.3f"))]
    if state.recognizer is not None:
        threshold = getattr(state.recognizer, "threshold", None)
        lines.append(tr("Recognition: without mask {before} · with mask {after}",
                        before=verdict_text(state.verdict, threshold),
                        after=verdict_text(state.masked_verdict, threshold)))
    return "\n".join(lines)


def render_mask(state: MaskState) -> Figure:
    """Photo | masked photo, with the classifier's top class and the recognizer's verdict.

    Args:
        state: the state, with a mask computed (:func:`compute_mask`).

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).

    Raises:
        ValueError: no mask yet.
    """
    if state.masked is None:
        raise ValueError(tr("No mask yet: call compute_mask(state, kind)."))
    titles = []
    for probs, verdict, title in (
            (state.probabilities, state.verdict, label("original")),
            (state.masked_probabilities, state.masked_verdict,
             tr("mask « {mask} »", mask=state.mask_type))):
        top = int(np.argmax(probs))
        text = f"{title}\n{state.label(top)} ({number(float(probs[top]), '.2f')})"
        if state.recognizer is not None:
            text += f"\n{verdict_text(verdict)}"
        titles.append(text)
    return show_pictures([state.image, state.masked], titles,
                         title=tr("regions: {source}", source=state.regions.source))


class AnonymisationPanel(Panel):
    """Photo picker and upload, mask type buttons, blur slider (``"flou_gaussien"`` only);
    the picture is :func:`render_mask`, the text :func:`mask_summary`.

    Attributes:
        state: the :class:`MaskState`.
        image_picker, upload, mask_type, blur: the controls.
        summary: ``HTML`` with :func:`mask_summary`.
    """

    def __init__(self, state: MaskState, *, mask_type: str = "yeux", dpi: int = 72,
                 compute: bool = True) -> None:
        """Build the controls and, unless ``compute=False``, compute and draw.

        Args:
            state: the state the controls act on (:func:`make_mask_state`).
            mask_type: the first mask, one of ``helpers.MASK_TYPES``.
            dpi: resolution of the drawn figure.
            compute: compute now (``False``: a tab not yet shown).
        """
        self.state, self.dpi = state, dpi
        self.mask_type = widgets.ToggleButtons(description=tr("Mask"), options=list(MASK_TYPES),
                                               value=mask_type, style=STYLE)
        self.blur = widgets.FloatSlider(description=tr("Blur σ (pixels)"), min=0.5, step=0.5,
                                        continuous_update=False, readout_format=".1f",
                                        style=STYLE)
        self.summary = widgets.HTML()
        self._reset_blur()
        super().__init__([widgets.HBox(self.photo_controls()), self.mask_type, self.blur],
                         compute=compute)
        self.mask_type.observe(self._on_change, "value")
        self.blur.observe(self._on_change, "value")
        self.start(compute)

    def extra_outputs(self) -> list:
        """The summary, between the message and the picture.

        Returns:
            ``[summary]``.
        """
        return [self.summary]

    def _reset_blur(self) -> None:
        """Blur slider: 0.5 … half the face width, at ``apply_mask``'s default."""
        default = round(default_blur_sigma(self.state) * 2) / 2
        y1, y2, x1, x2 = face_area(self.state.regions)
        with self._quietly():
            self.blur.max = max(10.0, round((x2 - x1) / 2))
            self.blur.value = default
            self.blur.disabled = self.mask_type.value != "flou_gaussien"

    def recompute(self) -> None:
        """The chosen mask (:func:`compute_mask`), with the blur for ``"flou_gaussien"``."""
        self.blur.disabled = self.mask_type.value != "flou_gaussien"
        compute_mask(self.state, self.mask_type.value, self.blur.value)

    def redraw(self) -> None:
        """The two photos and the summary."""
        self.picture.value = figure_png(render_mask(self.state), self.dpi)
        self.summary.value = "<br>".join(html.escape(line) for line in
                                         mask_summary(self.state).splitlines())
        self.status.value = self.status_line()

    def status_line(self) -> str:
        """Where the masks go (the detected face, or fixed fractions).

        Returns:
            the status text (empty before the first photo).
        """
        if self.state.regions is None:
            return ""
        return tr("regions: {source}", source=self.state.regions.source)

    def choose(self, source: Any) -> None:
        """A new photo: the blur follows its face; the mask is applied again.

        Args:
            source: any photo source (:func:`choose_mask_image`).
        """
        choose_mask_image(self.state, source)
        self._reset_blur()
        self.recompute()

    def _on_change(self, change: dict) -> None:
        if not self._quiet:
            self._run(self.recompute)


def anonymisation_panel(model: Any, recognizer: Any = None, image: Any = None, *,
                        mask_type: str = "yeux",
                        preprocess: Callable[[np.ndarray], Any] | None = None,
                        dpi: int = 72) -> AnonymisationPanel:
    """Anonymisation: mask type (``helpers.MASK_TYPES``) and blur strength → the masked
    photo, the ImageNet top class and the drop of the original class, and the live
    verdict of ``recognizer`` (who must have been enrolled to say anything).

    Args:
        model: the ImageNet classifier (VGG16).
        recognizer: optional ``helpers.FaceRecognizer``; never modified.
        image: first photo; default Grace Hopper.
        mask_type: the first mask.
        preprocess: callable on raw 0–255 batches; default from the model.
        dpi: resolution of the drawn figure.

    Returns:
        The panel.
    """
    state = make_mask_state(model, recognizer, image, preprocess=preprocess)
    return AnonymisationPanel(state, mask_type=mask_type, dpi=dpi)
