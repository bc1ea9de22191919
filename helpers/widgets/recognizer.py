"""The TP's identification panel, and the recognizer's verdicts as the panels say them.

Errors are told apart by their class (``helpers.recognizer.NoFaceError``,
``helpers.face_store.DuplicateNameError``, ``InvalidNameError``), never by their text:
« no face » is a verdict, not an error; the others become a line a person can act on.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import _checks
from ..face_store import DuplicateNameError, InvalidNameError
from ..messages import label, number, tr
from ..plots import show_pictures
from ..recognizer import IDENTIFIED, NO_FACE, REJECTED, NoFaceError
from ._base import STYLE, Panel, PhotoState, figure_png, load_source

#: Bundled photo the face panels start with.
DEFAULT_FACE = "grace_hopper"


def enrolment_error(err: Exception, name: str | None = None) -> ValueError:
    """What the panel says when enrolling ``name`` failed, by the error's class.

    Args:
        err: the recognizer's error (``DuplicateNameError``, ``InvalidNameError``,
            ``TypeError``, ``NoFaceError`` or another refusal).
        name: the name being enrolled, for the message.

    Returns:
        a ``ValueError`` whose message a person can act on (to raise, not raised here).
    """
    if isinstance(err, DuplicateNameError):
        return ValueError(tr("« {name} » is already enrolled: choose another name.", name=name))
    if isinstance(err, (InvalidNameError, TypeError)):
        return ValueError(tr("Give a (non-empty) name before enrolling the face."))
    if isinstance(err, NoFaceError):
        return ValueError(str(err))
    return ValueError(tr("The face recognizer refused the image: {reason}", reason=err))


def identify_verdict(recognizer: Any, image: np.ndarray) -> tuple[str | None, float, str]:
    """``recognizer.identify(image)``, with « no face » as a verdict, not an error.

    Args:
        recognizer: an object with ``identify(img) -> (name, similarity, status)``
            (``helpers.FaceRecognizer``).
        image: the photo, RGB uint8 (H, W, 3).

    Returns:
        ``(name, similarity, status)`` as ``identify`` gives them; when no face is
        found, ``(None, nan, NO_FACE)``.

    Raises:
        ValueError: any other refusal, said for a person.
    """
    try:
        name, similarity, status = recognizer.identify(image)
    except NoFaceError:
        return None, float("nan"), NO_FACE
    except ValueError as err:
        raise enrolment_error(err) from None
    return name, float(similarity), str(status)


def verdict_text(verdict: tuple | None, threshold: float | None = None) -> str:
    """A verdict in words: « identifié : Grace Hopper (similarité 0,930 ≥ seuil 0,50) »,
    « rejeté (meilleure similarité 0,410 < seuil 0,50) », « personne n'est enregistré »,
    « aucun visage trouvé ».

    Args:
        verdict: ``(name, similarity, status)`` (:func:`identify_verdict`), or ``None``.
        threshold: the threshold to compare the similarity with, or ``None`` to leave
            the comparison out.

    Returns:
        the verdict in the current language.
    """
    if verdict is None:
        return tr("no result")
    name, similarity, status = verdict
    if status in (IDENTIFIED, REJECTED):
        bound = ""
        if threshold is not None and status == IDENTIFIED:
            bound = tr(" ≥ threshold {threshold}", threshold=number(threshold, ".2f"))
        elif threshold is not None:
            bound = tr(" < threshold {threshold}", threshold=number(threshold, ".2f"))
        if status == IDENTIFIED:
            return tr("identified: {name} (similarity {similarity}{bound})", name=name,
                      similarity=number(similarity), bound=bound)
        return tr("rejected (best similarity {similarity}{bound})",
                  similarity=number(similarity), bound=bound)
    if status == NO_FACE:
        return tr("no face found")
    return label(status)


# --------------------------------------------------------------------------- the state
@dataclass(eq=False, kw_only=True)
class RecognizerState(PhotoState):
    """What the identification panel shows.

    Attributes:
        recognizer: the ``helpers.FaceRecognizer`` (its store receives enrolments; its
            own ``threshold`` is never changed: the panel's is ``threshold``).
        threshold: similarity needed to be identified, in [0, 1].
        image_name, image, images: the photo, RGB uint8 at its own size.
        result: ``(name, similarity, status)`` of ``identify`` at ``threshold``.
    """

    recognizer: Any
    threshold: float = 0.5
    result: tuple | None = None


def _at_threshold(recognizer: Any, threshold: float) -> Any:
    """``recognizer`` with another threshold: a shallow copy (same extractor and store)."""
    if getattr(recognizer, "threshold", None) == threshold:
        return recognizer
    clone = copy.copy(recognizer)
    clone.threshold = threshold
    return clone


def _identify_strict(recognizer: Any, threshold: float, image: np.ndarray) -> tuple:
    try:
        return _at_threshold(recognizer, threshold).identify(image)
    except NoFaceError:
        raise
    except ValueError as err:
        raise enrolment_error(err) from None


def make_recognizer_state(recognizer: Any, image: Any = None, *,
                          threshold: float | None = None) -> RecognizerState:
    """A state for the identification panel (default photo: Grace Hopper; default
    threshold: the recognizer's).

    Args:
        recognizer: a ``helpers.FaceRecognizer`` (``identify`` and ``register``).
        image: first photo (bundled name, path, array, upload); default Grace Hopper.
        threshold: similarity needed to be identified, in [0, 1]; default the
            recognizer's.

    Returns:
        The new state, the photo identified.

    Raises:
        TypeError: ``recognizer`` lacks ``identify`` or ``register``, or ``threshold``
            is not a number.
        ValueError: ``threshold`` outside [0, 1], a bad photo, or no face found.
    """
    if not callable(getattr(recognizer, "identify", None)) or not callable(
            getattr(recognizer, "register", None)):
        raise TypeError(tr("recognizer must be a helpers.FaceRecognizer (identify and "
                           "register)."))
    threshold = recognizer.threshold if threshold is None else threshold
    state = RecognizerState(recognizer=recognizer,
                            threshold=_checks.fraction(threshold, "threshold"))
    return choose_face(state, DEFAULT_FACE if image is None else image)


def choose_face(state: RecognizerState, source: Any) -> RecognizerState:
    """Make ``source`` the photo and identify it.

    Args:
        state: the state to update (in place).
        source: a bundled photo's name, a name from ``state.image_keys()``, a path, an
            image array, or an upload.

    Returns:
        ``state``.

    Raises:
        ValueError: a bad upload, or no face found (``NoFaceError``; the state is then
            left as it was).
    """
    images = dict(state.images)
    key, original = load_source(state, source)
    try:
        result = _identify_strict(state.recognizer, state.threshold, original)
    except ValueError:
        state.images.clear()
        state.images.update(images)
        raise
    state.image_name, state.image, state.result = key, original, result
    return state


def set_threshold(state: RecognizerState, threshold: float) -> tuple:
    """Identify the photo again at ``threshold``; returns the new ``state.result``.

    Args:
        state: the state, with a photo chosen (updated in place).
        threshold: similarity needed to be identified, in [0, 1].

    Returns:
        ``(name, similarity, status)``, also in ``state.result``.

    Raises:
        TypeError: ``threshold`` is not a number.
        ValueError: ``threshold`` outside [0, 1], or the recognizer refuses the photo.
    """
    threshold = _checks.fraction(threshold, "threshold")
    state.result = _identify_strict(state.recognizer, threshold, state.image)
    state.threshold = threshold
    return state.result


def enrol_face(state: RecognizerState, name: str) -> tuple:
    """Enrol the current photo under ``name`` in the recognizer, then identify again.

    Args:
        state: the state, with a photo chosen (its recognizer's store receives the face).
        name: the person's name.

    Returns:
        ``(name, similarity, status)`` of identifying the photo again, also in
        ``state.result``.

    Raises:
        ValueError: empty or already used name, no face.
    """
    if state.image is None:
        raise ValueError(tr("No photo: choose or upload a photo first."))
    try:
        state.recognizer.register(name, state.image)
    except (ValueError, TypeError) as err:
        raise enrolment_error(err, name) from None
    state.result = _identify_strict(state.recognizer, state.threshold, state.image)
    return state.result


def render_face(state: RecognizerState) -> Figure:
    """The photo and the face the recognizer embeds, titled with the verdict.

    Args:
        state: the state, with a photo chosen.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).
    """
    face = state.recognizer.face_image(state.image)
    return show_pictures(
        [state.image, face],
        [state.image_name, tr("analysed face ({height}×{width})", height=face.shape[0],
                              width=face.shape[1])],
        title=verdict_text(state.result, state.threshold), size=3.2)


class RecognizerPanel(Panel):
    """Threshold slider, photo picker and upload, name field and enrol button.

    Attributes:
        state: the :class:`RecognizerState`.
        threshold, image_picker, upload, name, enrol: the controls.
        result: ``Label`` with :func:`verdict_text`.
    """

    def __init__(self, state: RecognizerState, *, dpi: int = 72, compute: bool = True) -> None:
        """Build the controls and, unless ``compute=False``, draw the verdict.

        Args:
            state: the state the controls act on (:func:`make_recognizer_state`).
            dpi: resolution of the drawn figure.
            compute: draw now (``False``: a tab not yet shown).
        """
        self.state, self.dpi = state, dpi
        self.threshold = widgets.FloatSlider(value=state.threshold, min=0.0, max=1.0,
                                             step=0.01, description=tr("Threshold"),
                                             readout_format=".2f", continuous_update=False,
                                             style=STYLE)
        self.name = widgets.Text(description=tr("Name"), placeholder=tr("First Last"),
                                 style=STYLE)
        self.enrol = widgets.Button(description=tr("Enrol this face"), icon="user-plus")
        self.result = widgets.Label()
        super().__init__([widgets.HBox(self.photo_controls(tr("Upload your face"))),
                          self.threshold, widgets.HBox([self.name, self.enrol]), self.result],
                         compute=compute)
        self.threshold.observe(self._on_threshold, "value")
        self.enrol.on_click(self._on_enrol)
        self.start(compute, first=lambda: None)

    def recompute(self) -> None:
        """Identify the photo again (:func:`set_threshold` at the slider's value)."""
        set_threshold(self.state, self.threshold.value)

    def redraw(self) -> None:
        """The verdict, the photo and the analysed face."""
        self.result.value = verdict_text(self.state.result, self.state.threshold)
        self.picture.value = figure_png(render_face(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        """« 2 personne(s) enregistrée(s) : Grace Hopper, Eileen Collins ».

        Returns:
            the status text.
        """
        names = self.state.recognizer.names
        if not names:
            return tr("{n} person(s) enrolled", n=0)
        return tr("{n} person(s) enrolled: {names}", n=len(names), names=", ".join(names))

    def choose(self, source: Any) -> None:
        """A new photo, identified (a photo without a face is refused).

        Args:
            source: any photo source (:func:`choose_face`).
        """
        choose_face(self.state, source)

    def _on_threshold(self, change: dict) -> None:
        if not self._quiet:
            self._run(self.recompute)

    def _on_enrol(self, button: Any = None) -> None:
        self._run(lambda: enrol_face(self.state, self.name.value))


def recognizer_panel(recognizer: Any, image: Any = None, *, threshold: float | None = None,
                     dpi: int = 72) -> RecognizerPanel:
    """Identification: threshold slider → (name, similarity, « identifié » / « rejeté » /
    « personne n'est enregistré »); upload your own face; enrol it under a name.

    Args:
        recognizer: a ``helpers.FaceRecognizer``; enrolments go to its store, its own
            threshold is left unchanged.
        image: first photo; default Grace Hopper.
        threshold: first threshold; default the recognizer's.
        dpi: resolution of the drawn figure.

    Returns:
        The panel.
    """
    return RecognizerPanel(make_recognizer_state(recognizer, image, threshold=threshold), dpi=dpi)
