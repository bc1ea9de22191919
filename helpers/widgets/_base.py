"""What every panel shares: photos from any source, the busy/error plumbing, the base class.

A panel is a state (plain data), plain functions on it (tested without a browser), and
a thin :class:`Panel` that wires widgets to those functions. Every text comes from
``helpers.messages`` (French for the course).
"""

from __future__ import annotations

import contextlib
import html
import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ..config import settings
from ..images import SAMPLE_TITLES, as_rgb, decode_image_bytes, list_samples, read_image, sample_path
from ..messages import label, tr

#: Picker name of an image array handed to a panel.
GIVEN_IMAGE = tr("your image")
#: Appended to the file name of an uploaded photo in the picker.
UPLOAD_SUFFIX = tr(" (uploaded)")
#: What a notebook shows instead of a panel while nbgrader grades.
GRADING_PLACEHOLDER = "<i>" + tr(
    "Interactive panel not built during automatic grading: nobody sees it, and it would "
    "cost several seconds per submission.") + "</i>"
#: Errors a person can fix (a bad photo, a bad value), shown in the panel with no traceback.
USER_ERRORS = (ValueError, TypeError, FileNotFoundError)
STYLE = {"description_width": "initial"}


# --------------------------------------------------------------------------- photos
@dataclass(eq=False, kw_only=True)
class PhotoState:
    """The photo part of every panel's state.

    Attributes:
        image_name: picker name of the current photo.
        image: the current photo, RGB uint8, a private copy.
        images: photos the picker offers besides the bundled ones (uploads, a given
            array, a path), RGB uint8 at their own size, by picker name.
    """

    image_name: str = ""
    image: np.ndarray | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)

    def image_keys(self) -> list[str]:
        """Names the image picker offers: the bundled photos, then the others.

        Returns:
            picker names: :func:`~helpers.images.list_samples`, then the keys of
            ``images`` that are not bundled photos.
        """
        return list_samples() + [key for key in self.images if key not in list_samples()]


def is_upload(source: object) -> bool:
    """Whether ``source`` is an upload (``FileUpload.value``, one file dict, raw bytes).

    Args:
        source: any photo source (:func:`load_source`).

    Returns:
        ``True`` for bytes, a dict, or a tuple/list of dicts.
    """
    if isinstance(source, (bytes, bytearray, memoryview, dict)):
        return True
    return isinstance(source, (tuple, list)) and all(isinstance(s, dict) for s in source)


def decode_upload(upload: Any) -> list[tuple[str, np.ndarray]]:
    """The photos of a ``FileUpload`` value, decoded (``helpers.images.decode_image_bytes``).

    Args:
        upload: ``FileUpload.value`` of ipywidgets 8 (a tuple of dicts with ``"name"``
            and ``"content"``, a ``memoryview``), one such dict, or the raw bytes of one
            file.

    Returns:
        ``[(picker_name, rgb_uint8), ...]``, one per file (``picker_name`` is the file
        name followed by :data:`UPLOAD_SUFFIX`).

    Raises:
        ValueError: naming the file, when one is empty or not an image, or when nothing
            was uploaded.
    """
    if isinstance(upload, (bytes, bytearray, memoryview)):
        files = [{"name": "photo", "content": upload}]
    elif isinstance(upload, dict):
        files = [upload]
    elif isinstance(upload, (tuple, list)):
        files = list(upload)
    else:
        raise ValueError(tr("Upload not understood ({kind}): use the « Upload a photo » button.",
                            kind=type(upload).__name__))
    if not files:
        raise ValueError(tr("No file uploaded."))
    decoded = []
    for entry in files:
        if not isinstance(entry, dict) or "content" not in entry:
            raise ValueError(tr("Upload not understood: every file needs a content."))
        name = str(entry.get("name") or "photo")
        decoded.append((name + UPLOAD_SUFFIX, decode_image_bytes(entry["content"], name)))
    return decoded


def load_source(state: PhotoState, source: Any) -> tuple[str, np.ndarray]:
    """``(picker name, RGB uint8 copy)`` of any photo source; uploads and photos that are
    not bundled are kept in ``state.images`` so the picker can offer them again.

    Args:
        state: the panel's state (its ``images`` may grow).
        source: a bundled photo's name, a name from ``state.image_keys()``, a path, an
            image array, or an upload (:func:`decode_upload`; the last file is returned).

    Returns:
        ``(picker_name, rgb)``: the name the picker shows, and a new RGB uint8 (H, W, 3)
        array.

    Raises:
        FileNotFoundError: an unknown name or path.
        ValueError, TypeError: a bad upload or array.
    """
    if is_upload(source):
        uploads = decode_upload(source)
        for key, rgb in uploads:
            state.images[key] = rgb
        return uploads[-1][0], uploads[-1][1].copy()
    if isinstance(source, str) and source in state.images:
        return source, state.images[source].copy()
    if isinstance(source, str) and source in list_samples():
        return source, read_image(sample_path(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(tr("No image « {source} »: choose among {keys} or give the "
                                       "path of a file.", source=source, keys=state.image_keys()))
        key, original = path.name, read_image(path)
    else:
        key, original = GIVEN_IMAGE, as_rgb(source)
    state.images[key] = original.copy()
    return key, original


def require_image(state: PhotoState, function: str) -> None:
    """Raise when no photo has been chosen yet (``function`` is the one to call).

    Args:
        state: the panel's state.
        function: name of the function that chooses a photo, for the message.

    Raises:
        ValueError: ``state.image`` is ``None``.
    """
    if state.image is None:
        raise ValueError(tr("No image chosen: call {function}(state, ...) first.",
                            function=function))


# --------------------------------------------------------------------------- drawing
def figure_png(fig: Figure, dpi: int = 72) -> bytes:
    """The figure as PNG bytes (for ``ipywidgets.Image``).

    Args:
        fig: a Matplotlib figure.
        dpi: resolution, dots per inch.

    Returns:
        the PNG file's bytes.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def error_html(err: BaseException) -> str:
    """An error as a red line for the panel's message area (no traceback).

    Args:
        err: the error; its message is shown, HTML-escaped.

    Returns:
        an HTML ``<span>``.
    """
    return f'<span style="color:#b00020">⚠️ {html.escape(str(err), quote=False)}</span>'


def grading_placeholder() -> widgets.HTML | None:
    """While nbgrader grades nobody sees a panel: a line of text stands in for it.

    Returns:
        an ``HTML`` widget saying so while grading (``settings().grading``), else ``None``.
    """
    return widgets.HTML(GRADING_PLACEHOLDER) if settings().grading else None


# --------------------------------------------------------------------------- the panel
class Panel(widgets.VBox):
    """The plumbing every panel shares.

    Every panel has a ``picture`` (``Image``), a ``status`` (``Label``: « calcul… »,
    then :meth:`status_line`) and a ``message`` (``HTML``: the last error a person can
    fix, in French); a panel with photos has an ``image_picker`` and an ``upload``
    (:meth:`photo_controls`). A subclass defines :meth:`recompute`, :meth:`redraw` and,
    with photos, :meth:`choose` (make a source the state's photo).

    Attributes:
        state: the panel's state.
        computed: whether the panel has computed once (a tab not yet shown has not).
    """

    state: Any
    computed: bool = True
    _quiet: bool = False

    def __init__(self, rows: list, *, compute: bool = True) -> None:
        """Lay out ``rows``, then the status, message, extra outputs and picture.

        Args:
            rows: the panel's controls (widgets), shown first.
            compute: whether the panel computes now (``False`` for a tab not yet shown:
                :meth:`ensure_computed` does it later).
        """
        self.picture = widgets.Image(format="png")
        self.status = widgets.Label()
        self.message = widgets.HTML()
        super().__init__(children=[*rows, widgets.HBox([self.status]), self.message,
                                   *self.extra_outputs(), self.picture])
        self.computed = bool(compute)

    def extra_outputs(self) -> list:
        """Widgets shown between the message and the picture (none by default).

        Returns:
            the widgets, in order.
        """
        return []

    def photo_controls(self, upload_label: str | None = None) -> list:
        """The photo picker and the upload button (« Téléverser une photo » unless
        ``upload_label`` says otherwise), wired to :meth:`choose`.

        Args:
            upload_label: text of the upload button, or ``None`` for the default.

        Returns:
            ``[image_picker, upload]`` (also kept as attributes).
        """
        self.image_picker = widgets.Dropdown(description=tr("Image"),
                                             options=self._photo_options(),
                                             value=self.state.image_name, style=STYLE)
        self.upload = widgets.FileUpload(description=upload_label or tr("Upload a photo"),
                                         accept="image/*",
                                         multiple=False, layout=widgets.Layout(width="auto"))
        self.image_picker.observe(self._on_image, "value")
        self.upload.observe(self._on_upload, "value")
        return [self.image_picker, self.upload]

    def start(self, compute: bool, first: Callable[[], None] | None = None) -> None:
        """Compute and draw now (``first`` or :meth:`recompute`), or say « not yet ».

        Args:
            compute: whether to compute now.
            first: the first action to run, or ``None`` for :meth:`recompute`.
        """
        if compute:
            self._run(first or self.recompute)
        else:
            self.status.value = tr("not computed yet")

    # -- what a subclass defines
    def recompute(self) -> None:  # pragma: no cover - overridden
        """Run the panel's method(s) on the state."""
        raise NotImplementedError

    def redraw(self) -> None:  # pragma: no cover - overridden
        """Draw the state into ``picture`` (and ``status``)."""
        raise NotImplementedError

    def choose(self, source: Any) -> None:  # pragma: no cover - overridden by photo panels
        """Make ``source`` the state's photo (and compute what follows from it).

        Args:
            source: any photo source (:func:`load_source`).
        """
        raise NotImplementedError

    def status_line(self) -> str:
        """What ``status`` shows once an action is done (or failed).

        Returns:
            the status text (empty by default).
        """
        return ""

    # -- the shared plumbing
    def ensure_computed(self) -> None:
        """Compute and draw once, for a panel built with ``compute=False`` (a tab not yet
        shown)."""
        if not self.computed:
            self.computed = True
            self._run(self.recompute)

    def _run(self, action: Callable[[], None]) -> bool:
        """Run ``action`` with a busy status; a user error goes to ``message``.

        Returns:
            Whether the action succeeded.
        """
        self.status.value = tr("computing…")
        try:
            action()
        except USER_ERRORS as err:
            self.message.value = error_html(self.user_error(err))
            self.status.value = self.status_line()
            return False
        except BaseException:
            self.status.value = tr("error (see the log)")
            raise
        self.message.value = ""
        self.redraw()
        return True

    def user_error(self, err: BaseException) -> BaseException:
        """The error as the panel says it (a panel maps its own exception classes).

        Args:
            err: the error a person can fix (one of :data:`USER_ERRORS`).

        Returns:
            the error to show (``err`` itself by default).
        """
        return err

    @contextlib.contextmanager
    def _quietly(self) -> Iterator[None]:
        """Change widgets without their observers running (no double computation)."""
        self._quiet, before = True, self._quiet
        try:
            yield
        finally:
            self._quiet = before

    def sync_photos(self) -> None:
        """The picker offers the state's photos and shows the current one."""
        with self._quietly():
            self.image_picker.options = self._photo_options()
            self.image_picker.value = self.state.image_name

    def _photo_options(self) -> list[tuple[str, str]]:
        """``(what the picker shows, photo key)``: bundled photos by their title."""
        return [(label(SAMPLE_TITLES[key]) if key in SAMPLE_TITLES else key, key)
                for key in self.state.image_keys()]

    def _on_image(self, change: dict) -> None:
        if self._quiet:
            return
        self._run(lambda: self.choose(change["new"]))
        self.sync_photos()  # a refused photo: the picker goes back to the current one

    def _on_upload(self, change: dict) -> None:
        """Choose the uploaded files, then empty the widget (so the same file can be sent
        again)."""
        if self._quiet or not change["new"]:
            return
        self._run(lambda: self.choose(tuple(change["new"])))
        self.sync_photos()
        with self._quietly():
            self.upload.value = ()
