"""Interactive panels (ipywidgets 8) that re-run the explanation methods and redraw.

Compute, then draw — then wire. Everything a panel does is a plain function on an
:class:`ExplainerState` (the model, the current photo, the explained class, the last
maps), importable and tested without a browser:

* :func:`make_state`, :func:`choose_image` (a bundled photo, a path, an array or an
  upload), :func:`decode_upload`, :func:`top_classes`, :func:`choose_class`;
* :func:`compute_occlusion`, :func:`compute_saliency`, :func:`compute_smoothgrad`
  (each a thin call of the ``helpers`` method with the state's class, timed);
* :func:`render` (a ``matplotlib.figure.Figure``, no pyplot), :func:`figure_png`,
  :func:`status_text`.

:class:`ExplainerPanel` only connects widgets to these functions. The labels are in
French (the students are); the code is in English.

Usage in a notebook cell::

    helpers.widgets.nbj1_panel(model)  # image | occlusion | saliency | SmoothGrad

The TP VGG16 panels follow the same pattern (state, plain callbacks, thin wiring):

* :func:`gradcam_panel` — layer drop-down, class chooser, alpha slider
  (:func:`compute_gradcam`, :func:`render_gradcam`);
* :func:`occlusion_panel` with ``occlusion="sensitivity"`` — patch and stride;
* :func:`filter_panel` — layer, filter index, ascent steps (:class:`FilterState`,
  :func:`compute_filter`);
* :func:`anonymisation_panel` — mask type and blur strength, with the classifier's top
  class and the live recognizer verdict (:class:`MaskState`, :func:`compute_mask`);
* :func:`recognizer_panel` — threshold, upload your own face, enrol it
  (:class:`RecognizerState`, :func:`choose_face`, :func:`set_threshold`,
  :func:`enrol_face`);
* :func:`tp_panel` — all of them in tabs (each computes when first shown).

The state works with any classifier: its input size is read from the model (photos
are resized to it), its preprocessing from ``helpers.models.get_preprocess``, class
names from ImageNet when it has 1000 outputs. The TP VGG16 can reuse it with
``occlusion="sensitivity"`` (grey patch, averaged drops) and its own methods stored
in ``state.maps``.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import cv2
import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from . import _checks
from .anonymisation import (DEFAULT_BLUR_FRACTION, MASK_TYPES, recognizer_at_box, apply_mask,
                            face_area, mask_regions)
from .config import settings
from .filters import feature_extractor, visualize_filter
from .gradcam import make_gradcam_heatmap
from .images import list_samples, read_image, resize, sample_path, to_rgb_uint8
from .models import class_name, conv_layer_names, get_preprocess, input_size, predict
from .occlusion import occlusion_map, occlusion_positions, occlusion_sensitivity
from .plots import figure, overlay_heatmap, show_maps
from .recognizer import (IDENTIFIED, NOBODY_ENROLLED, REJECTED, FaceRecognizer,
                         embedding_model)
from .saliency import saliency_map, smoothgrad

#: The methods a panel can show, in display order.
METHODS = ("occlusion", "saliency", "smoothgrad")
#: Titles of the maps in the figures and the status line.
TITLES = {"occlusion": "Occlusion", "saliency": "Saillance", "smoothgrad": "SmoothGrad"}
_STATUS_NAMES = {"occlusion": "occlusion", "saliency": "saillance", "smoothgrad": "SmoothGrad"}
#: The two occlusion definitions: NBJ1's ``occlusion_map``, the TP's ``occlusion_sensitivity``.
OCCLUSION_KINDS = ("map", "sensitivity")
#: Size used for models whose input size is free.
DEFAULT_SIZE = (224, 224)
#: Picker name of an image array handed to a panel.
GIVEN_IMAGE = "votre image"
#: Appended to the file name of an uploaded photo in the picker.
UPLOAD_SUFFIX = " (téléversée)"
#: Formats OpenCV decodes, as said to students.
_FORMATS = "JPEG, PNG, BMP, TIFF ou WebP"


# --------------------------------------------------------------------------- the state
@dataclass(eq=False)
class ExplainerState:
    """What a panel shows: a model, one photo, the explained class, the last maps.

    Attributes:
        model: the classifier (Keras model on preprocessed batches).
        preprocess: callable on raw 0–255 batches (the model's preprocessing).
        size: ``(height, width)`` every photo is resized to (the model's input).
        class_names: names of the outputs, or ``None`` (ImageNet names for 1000
            outputs, ``"classe i"`` otherwise).
        occlusion: ``"map"`` (NBJ1: black patch, overwrite, normalised) or
            ``"sensitivity"`` (TP: grey patch, averaged drops).
        image_name: picker name of the current photo.
        image: current photo, RGB uint8 (height, width, 3), a private copy.
        batch: its preprocessed batch, float32 (1, height, width, 3).
        probabilities: the model's outputs on it, float32 (n_classes,).
        class_index: the class every method explains.
        maps: last map of each method, float32 (height, width), by method name.
        params: the arguments each stored map was computed with.
        timings: seconds each stored map took.
        images: photos the picker offers besides the bundled ones (uploads, a
            given array, a path), RGB uint8 at their own size, by picker name.
    """

    model: Any
    preprocess: Callable
    size: tuple[int, int]
    class_names: Sequence[str] | None = None
    occlusion: str = "map"
    image_name: str = ""
    image: np.ndarray | None = None
    batch: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    class_index: int | None = None
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    images: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of model outputs (known once a photo is chosen)."""
        if self.probabilities is not None:
            return int(self.probabilities.shape[-1])
        return int(self.model.output_shape[-1])

    def label(self, index: int) -> str:
        """Readable name of class ``index``."""
        if self.class_names is not None:
            return str(self.class_names[index])
        if self.n_classes == 1000:
            return class_name(int(index))
        return f"classe {int(index)}"

    def image_keys(self) -> list[str]:
        """Names the image picker offers: the bundled photos, then the others."""
        return list_samples() + [key for key in self.images if key not in list_samples()]


def make_state(model, image=None, *, preprocess=None, class_names: Sequence[str] | None = None,
               occlusion: str = "map", size: tuple[int, int] | None = None) -> ExplainerState:
    """A state for ``model``, with a first photo chosen.

    Args:
        model: Keras classifier (MobileNetV2, VGG16, a small test model...).
        image: first photo: a bundled photo's name, a path, an image array or an
            upload; default the first bundled photo.
        preprocess: callable on raw 0–255 batches; default from the model's name.
        class_names: names of the outputs; default ImageNet names for 1000 outputs.
        occlusion: ``"map"`` (NBJ1) or ``"sensitivity"`` (TP VGG16).
        size: ``(height, width)`` photos are resized to; default the model's input
            size (224×224 when it is free).

    Returns:
        The new state.
    """
    if occlusion not in OCCLUSION_KINDS:
        raise ValueError(f"occlusion must be one of {OCCLUSION_KINDS}; got {occlusion!r}.")
    if size is None:
        size = input_size(model) or DEFAULT_SIZE
    size = (int(size[0]), int(size[1]))
    preprocess = get_preprocess(model) if preprocess is None else preprocess
    state = ExplainerState(model=model, preprocess=preprocess, size=size,
                           class_names=class_names, occlusion=occlusion)
    return choose_image(state, list_samples()[0] if image is None else image)


# --------------------------------------------------------------------------- photos
def decode_image_bytes(data, name: str = "photo") -> np.ndarray:
    """Decode the bytes of an image file to a new RGB uint8 (H, W, 3) array.

    EXIF orientation is applied (phone photos come upright); grayscale, RGBA and
    16-bit files become 8-bit RGB.

    Args:
        data: the file's bytes (``bytes``, ``bytearray`` or ``memoryview``).
        name: file name, for the message.

    Raises:
        ValueError: in French, when the file is empty or not an image.
    """
    try:
        raw = bytes(data)
    except TypeError:
        raise ValueError(f"« {name} » ne contient pas les octets d'un fichier.") from None
    if not raw:
        raise ValueError(f"Le fichier « {name} » est vide (0 octet) : choisissez une photo.")
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # no "[ERROR] ..." on stderr
    try:
        decoded = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        decoded = None
    finally:
        cv2.utils.logging.setLogLevel(level)
    if decoded is None or decoded.size == 0:
        raise ValueError(
            f"« {name} » n'est pas une image lisible : téléversez une photo ({_FORMATS})."
        )
    return to_rgb_uint8(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))


def _is_upload(source) -> bool:
    if isinstance(source, (bytes, bytearray, memoryview, dict)):
        return True
    return isinstance(source, (tuple, list)) and all(isinstance(s, dict) for s in source)


def decode_upload(upload) -> list[tuple[str, np.ndarray]]:
    """The photos of a ``FileUpload`` value, decoded.

    Args:
        upload: ``FileUpload.value`` of ipywidgets 8 (a tuple of dicts with
            ``"name"`` and ``"content"``, a ``memoryview``), one such dict, or the raw
            bytes of one file.

    Returns:
        ``[(picker_name, rgb_uint8), ...]``, one per file (``picker_name`` is the file
        name followed by ``" (téléversée)"``).

    Raises:
        ValueError: in French, naming the file, when one is empty or not an image, or
            when nothing was uploaded.
    """
    if isinstance(upload, (bytes, bytearray, memoryview)):
        files = [{"name": "photo", "content": upload}]
    elif isinstance(upload, dict):
        files = [upload]
    elif isinstance(upload, (tuple, list)):
        files = list(upload)
    else:
        raise ValueError(f"Téléversement non reconnu ({type(upload).__name__}) : "
                         "utilisez le bouton « Téléverser une photo ».")
    if not files:
        raise ValueError("Aucun fichier téléversé.")
    decoded = []
    for entry in files:
        if not isinstance(entry, dict) or "content" not in entry:
            raise ValueError("Téléversement non reconnu : chaque fichier doit avoir un contenu.")
        name = str(entry.get("name") or "photo")
        decoded.append((name + UPLOAD_SUFFIX, decode_image_bytes(entry["content"], name)))
    return decoded


def _read_source(state, source) -> tuple[str, np.ndarray]:
    """(picker name, RGB uint8 copy at its own size) of any accepted source."""
    if isinstance(source, str) and source in state.images:
        return source, state.images[source].copy()
    if isinstance(source, str) and source in list_samples():
        return source, read_image(sample_path(source))
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise FileNotFoundError(
                f"Aucune image « {source} » : choisissez parmi {state.image_keys()} "
                "ou donnez le chemin d'un fichier."
            )
        return path.name, read_image(path)
    return GIVEN_IMAGE, to_rgb_uint8(source)


def _load_source(state, source) -> tuple[str, np.ndarray]:
    """(picker name, RGB uint8 copy) of ``source``; uploads and non-bundled photos are
    kept in ``state.images`` (any state with ``images`` and ``image_keys()``)."""
    if _is_upload(source):
        uploads = decode_upload(source)
        for key, rgb in uploads:
            state.images[key] = rgb
        return uploads[-1][0], uploads[-1][1].copy()
    key, original = _read_source(state, source)
    if key not in list_samples():
        state.images[key] = original.copy()
    return key, original


def choose_image(state: ExplainerState, source) -> ExplainerState:
    """Make ``source`` the current photo: resize, preprocess, predict; clear the maps.

    The explained class becomes the photo's top class. Photos that are not bundled
    (uploads, arrays, paths) are kept in ``state.images`` so the picker can offer them
    again. The caller's array is never modified nor kept (a copy is).

    Args:
        state: the state to update (in place).
        source: a bundled photo's name (``"chelsea"``), a name from
            ``state.image_keys()``, a path, an image array (any form
            ``to_rgb_uint8`` accepts), or an upload (see :func:`decode_upload`;
            the last file becomes current).

    Returns:
        ``state``.

    Raises:
        ValueError, FileNotFoundError: a bad upload or an unknown name (in French), a
            bad array (from ``helpers.images``).
    """
    key, original = _load_source(state, source)
    image = resize(original, state.size)
    batch = np.asarray(state.preprocess(image[None].astype(np.float32)), dtype=np.float32)
    probabilities = np.asarray(predict(state.model, batch)[0], dtype=np.float32)
    state.image_name, state.image, state.batch = key, image, batch
    state.probabilities = probabilities
    state.class_index = int(np.argmax(probabilities))
    _clear(state)
    return state


def _clear(state: ExplainerState) -> None:
    state.maps.clear()
    state.params.clear()
    state.timings.clear()


# --------------------------------------------------------------------------- classes
def top_classes(state: ExplainerState, k: int = 5) -> list[tuple[int, str, float]]:
    """The ``k`` most probable classes of the current photo, best first.

    Returns:
        ``[(index, label, probability), ...]``, at most ``min(k, n_classes)`` rows.
    """
    k = min(_checks.positive_int(k, "k"), state.n_classes)
    order = np.argsort(-state.probabilities, kind="stable")[:k]
    return [(int(i), state.label(int(i)), float(state.probabilities[i])) for i in order]


def class_options(state: ExplainerState, k: int = 5) -> list[tuple[str, int]]:
    """Options of the class chooser: ``("name (p=0.123)", index)``, top ``k`` first.

    The explained class is always offered, even when it is not in the top ``k``.
    """
    rows = top_classes(state, k)
    if state.class_index is not None and state.class_index not in [i for i, _, _ in rows]:
        c = state.class_index
        rows.append((c, state.label(c), float(state.probabilities[c])))
    return [(f"{label} (p={p:.3f})", index) for index, label, p in rows]


def choose_class(state: ExplainerState, index: int) -> ExplainerState:
    """Explain class ``index`` from now on; the maps of the previous class are cleared."""
    index = _checks.class_index(index, state.n_classes)
    if index != state.class_index:
        state.class_index = index
        _clear(state)
    return state


# --------------------------------------------------------------------------- methods
def store_map(state: ExplainerState, name: str, compute: Callable[[], np.ndarray],
              **params) -> np.ndarray:
    """Run ``compute()``, time it, and keep its map in ``state`` under ``name``.

    The plumbing of every ``compute_*`` function; another practical adds a method
    (e.g. Grad-CAM) to a panel's figure with it.
    """
    start = time.perf_counter()
    heat = np.asarray(compute(), dtype=np.float32)
    state.timings[name] = time.perf_counter() - start
    state.maps[name] = heat
    state.params[name] = dict(params)
    return heat


def _require_image(state: ExplainerState) -> None:
    if state.image is None:
        raise ValueError("Aucune image choisie : appelez choose_image(state, ...) d'abord.")


def compute_occlusion(state: ExplainerState, patch: int, stride: int) -> np.ndarray:
    """Occlusion map of the current photo for the explained class.

    ``helpers.occlusion_map`` (``state.occlusion == "map"``) or the first output of
    ``helpers.occlusion_sensitivity`` (``"sensitivity"``), called with
    ``class_index=state.class_index``.

    Returns:
        float32 (height, width), also stored in ``state.maps["occlusion"]``.
    """
    _require_image(state)
    kwargs = dict(preprocess=state.preprocess, class_index=state.class_index, progress=False)

    def run():
        if state.occlusion == "map":
            return occlusion_map(state.model, state.image, patch, stride, **kwargs)
        return occlusion_sensitivity(state.image, state.model, patch, stride, **kwargs)[0]

    return store_map(state, "occlusion", run, patch=patch, stride=stride)


def compute_saliency(state: ExplainerState) -> np.ndarray:
    """Vanilla gradient saliency (``helpers.saliency_map`` on the preprocessed batch).

    Returns:
        float32 (height, width) in [0, 1], also in ``state.maps["saliency"]``.
    """
    _require_image(state)
    return store_map(state, "saliency",
                     lambda: saliency_map(state.model, state.batch, state.class_index))


def compute_smoothgrad(state: ExplainerState, n_samples: int, noise: float) -> np.ndarray:
    """SmoothGrad (``helpers.smoothgrad`` on the preprocessed batch, default seed).

    Args:
        n_samples: number of noisy copies.
        noise: standard deviation of the noise, in preprocessed units (MobileNetV2:
            the [-1, 1] scale).

    Returns:
        float32 (height, width) in [0, 1], also in ``state.maps["smoothgrad"]``.
    """
    _require_image(state)
    return store_map(
        state, "smoothgrad",
        lambda: smoothgrad(state.model, state.batch, n_samples, noise,
                           class_index=state.class_index, progress=False),
        n_samples=n_samples, noise=noise,
    )


def compute_all(state: ExplainerState, params: dict, methods: Iterable[str] = METHODS) -> None:
    """Compute each of ``methods`` with ``params`` (keys of :func:`default_params`)."""
    for method in methods:
        if method == "occlusion":
            compute_occlusion(state, params["patch"], params["stride"])
        elif method == "saliency":
            compute_saliency(state)
        elif method == "smoothgrad":
            compute_smoothgrad(state, params["n_samples"], params["noise"])
        else:
            raise ValueError(f"Unknown method {method!r}; choose among {METHODS}.")


# --------------------------------------------------------------------------- parameters
def noise_scale(preprocess) -> float:
    """Half the preprocessed range of one channel (MobileNetV2: 1.0; raw or VGG: 127.5).

    SmoothGrad's noise is a standard deviation in preprocessed units; the panel's noise
    slider spans ``[0, noise_scale]`` so that it means the same for every model.
    """
    probe = np.array([[[[0.0, 0.0, 0.0], [255.0, 255.0, 255.0]]]], np.float32)
    out = np.asarray(preprocess(probe), dtype=np.float64)
    scale = float(np.mean(np.abs(out[0, 0, 1] - out[0, 0, 0]))) / 2.0
    return scale if np.isfinite(scale) and scale > 0 else 1.0


def default_params(size: tuple[int, int] = DEFAULT_SIZE, quick: bool | None = None,
                   scale: float = 1.0) -> dict:
    """Cheap starting values of the panel's sliders.

    On 224×224: patch 30, stride 20 (100 occluded images), SmoothGrad 10 samples,
    noise 0.2·``scale``. Under ``helpers.settings().quick`` (nbgrader, CI): patch 40,
    stride 40 (25 images), 4 samples. Sizes scale with the image's smaller side.

    Returns:
        ``{"patch", "stride", "n_samples", "noise"}``.
    """
    quick = settings().quick if quick is None else quick
    side = min(size)
    patch, stride, n_samples = (40, 40, 4) if quick else (30, 20, 10)
    patch = min(max(2, round(patch * side / 224)), side - 1)
    stride = max(1, round(stride * side / 224))
    return {"patch": patch, "stride": stride, "n_samples": n_samples, "noise": 0.2 * scale}


def slider_ranges(size: tuple[int, int], scale: float = 1.0) -> dict:
    """``(min, max, step)`` of each slider for images of ``size``.

    Patch and stride go from ~side/28 (8 px on 224: at most ~800 occluded images) to
    half the side; samples from 1 to 50; noise from 0 to ``scale``.
    """
    side = min(size)
    low = max(2, round(side / 28))
    return {
        "patch": (low, max(low, side // 2), 1),
        "stride": (max(1, round(side / 28)), max(low, side // 2), 1),
        "n_samples": (1, 50, 1),
        "noise": (0.0, scale, scale / 20),
    }


# --------------------------------------------------------------------------- drawing
def render(state: ExplainerState, *, overlay: bool = True) -> Figure:
    """Side-by-side figure: the photo, then each stored map (and its overlay).

    Maps appear in the order occlusion, saliency, SmoothGrad, then any other stored
    map (``helpers.plots.show_maps``); the title names the explained class.

    Args:
        overlay: add a second row with each map blended over the photo.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).
    """
    _require_image(state)
    order = [m for m in METHODS if m in state.maps] + [m for m in state.maps if m not in METHODS]
    maps = {TITLES.get(m, m): state.maps[m] for m in order}
    c = state.class_index
    title = f"Classe expliquée : {state.label(c)} (p={float(state.probabilities[c]):.3f})"
    return show_maps(state.image, maps, alpha=0.4 if overlay and maps else 0.0, title=title)


def figure_png(fig: Figure, dpi: int = 72) -> bytes:
    """The figure as PNG bytes (for ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def status_text(state: ExplainerState) -> str:
    """Timings of the stored maps: ``"occlusion : 1.2 s (100 positions) · saillance : 0.05 s"``."""
    parts = []
    for name, seconds in state.timings.items():
        text = f"{_STATUS_NAMES.get(name, name)} : "
        text += f"{seconds:.2f} s" if seconds < 1 else f"{seconds:.1f} s"
        if name == "occlusion" and "patch" in state.params.get(name, {}):
            p = state.params[name]
            n = len(occlusion_positions(*state.image.shape[:2], p["patch"], p["stride"]))
            text += f" ({n} positions)"
        parts.append(text)
    return " · ".join(parts)


def error_html(err: BaseException) -> str:
    """An error as a red line for the panel's message area (no traceback)."""
    import html

    return f'<span style="color:#b00020">⚠️ {html.escape(str(err), quote=False)}</span>'


# --------------------------------------------------------------------------- the panel
_STYLE = {"description_width": "initial"}
_USER_ERRORS = (ValueError, TypeError, FileNotFoundError)


class _Panel(widgets.VBox):
    """Plumbing every panel shares: a busy status, a French error line, quiet updates.

    A subclass sets ``status`` (``Label``), ``message`` (``HTML``) and ``picture``
    (``Image``), and defines ``recompute()``, ``redraw()`` and ``status_line()``.
    """

    _quiet = False
    computed = True

    def status_line(self) -> str:
        """What ``status`` shows once an action is done (or failed)."""
        return ""

    def recompute(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def redraw(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def ensure_computed(self) -> None:
        """Compute and draw once, for a panel built with ``compute=False`` (a tab not yet
        shown)."""
        if not self.computed:
            self.computed = True
            self._run(self.recompute)

    def _run(self, action: Callable[[], None]) -> None:
        """Run ``action`` with a busy status; a user error goes to ``message``."""
        self.status.value = "calcul…"
        try:
            action()
        except _USER_ERRORS as err:
            self.message.value = error_html(err)
            self.status.value = self.status_line()
            return
        except BaseException:
            self.status.value = "erreur (voir le journal)"
            raise
        self.message.value = ""
        self.redraw()

    @contextlib.contextmanager
    def _quietly(self):
        """Change widgets without their observers running (no double computation)."""
        self._quiet, before = True, self._quiet
        try:
            yield
        finally:
            self._quiet = before

    def _upload_observer(self, upload: widgets.FileUpload, select: Callable[[Any], None]):
        """Observer of ``upload``: ``select`` the files, then empty the widget (so the
        same file can be sent again)."""

        def observe(change) -> None:
            if self._quiet or not change["new"]:
                return
            self._run(lambda: select(tuple(change["new"])))
            with self._quietly():
                upload.value = ()

        return observe


class ExplainerPanel(_Panel):
    """Widgets wired to the functions above; every change recomputes and redraws.

    Attributes:
        state: the :class:`ExplainerState` the widgets act on.
        methods: the methods shown (subset of ``METHODS``).
        image_picker, upload, class_picker: photo and class choosers.
        patch, stride: occlusion sliders (only shown with ``"occlusion"``).
        noise, samples: SmoothGrad sliders (only shown with ``"smoothgrad"``).
        picture: ``ipywidgets.Image`` holding the PNG of :func:`render`.
        status: ``Label`` with ``"calcul…"`` then the timings.
        message: ``HTML`` with the last error, in French (empty when all is well).
    """

    def __init__(self, state: ExplainerState, *, methods: Sequence[str] = METHODS,
                 params: dict | None = None, top_k: int = 5, dpi: int = 72,
                 compute: bool = True):
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(f"Unknown methods {unknown}; choose among {METHODS}.")
        self.state, self.methods, self.top_k, self.dpi = state, tuple(methods), top_k, dpi
        self._quiet, self.computed = False, bool(compute)
        scale = noise_scale(state.preprocess)
        values = {**default_params(state.size, scale=scale), **(params or {})}
        ranges = slider_ranges(state.size, scale)

        def int_slider(key, description):
            low, high, step = ranges[key]
            value = int(values[key])
            return widgets.IntSlider(value=value, min=min(low, value), max=max(high, value),
                                     step=step, description=description,
                                     continuous_update=False, style=_STYLE)

        self.image_picker = widgets.Dropdown(description="Image", options=state.image_keys(),
                                             value=state.image_name, style=_STYLE)
        self.upload = widgets.FileUpload(description="Téléverser une photo", accept="image/*",
                                         multiple=False, layout=widgets.Layout(width="auto"))
        self.class_picker = widgets.Dropdown(description="Classe expliquée",
                                             options=class_options(state, top_k),
                                             value=state.class_index, style=_STYLE,
                                             layout=widgets.Layout(width="auto"))
        self.patch = int_slider("patch", "Taille du patch")
        self.stride = int_slider("stride", "Pas")
        self.samples = int_slider("n_samples", "Échantillons")
        low, high, step = ranges["noise"]
        noise = float(values["noise"])
        self.noise = widgets.FloatSlider(value=noise, min=min(low, noise), max=max(high, noise),
                                         step=step,
                                         description="Bruit", continuous_update=False,
                                         readout_format=".2f", style=_STYLE)
        self.picture = widgets.Image(format="png")
        self.status = widgets.Label()
        self.message = widgets.HTML()

        rows = [widgets.HBox([self.image_picker, self.upload, self.class_picker])]
        rows += self._method_rows()
        rows += [widgets.HBox([self.status]), self.message, self.picture]
        super().__init__(children=rows)

        self.image_picker.observe(self._on_image, "value")
        self.upload.observe(self._upload_observer(self.upload, self._select), "value")
        self.class_picker.observe(self._on_class, "value")
        for slider in (self.patch, self.stride):
            slider.observe(self._on_occlusion, "value")
        for slider in (self.noise, self.samples):
            slider.observe(self._on_smoothgrad, "value")
        if compute:
            self._run(self.recompute)
        else:
            self.redraw()

    def _method_rows(self) -> list:
        """The rows of method controls (a subclass showing other methods overrides it)."""
        rows = []
        if "occlusion" in self.methods:
            rows.append(widgets.HBox([self.patch, self.stride]))
        if "smoothgrad" in self.methods:
            rows.append(widgets.HBox([self.noise, self.samples]))
        return rows

    # -- reading the widgets
    def params(self) -> dict:
        """Current slider values, as :func:`compute_all` takes them."""
        return {"patch": self.patch.value, "stride": self.stride.value,
                "n_samples": self.samples.value, "noise": self.noise.value}

    # -- actions (each one call of a plain function, then a redraw)
    def recompute(self) -> None:
        """Recompute every method shown with the current slider values."""
        compute_all(self.state, self.params(), self.methods)

    def redraw(self) -> None:
        """Draw the state into ``picture`` and the timings into ``status``."""
        self.picture.value = figure_png(render(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        """The timings of the stored maps (:func:`status_text`)."""
        return status_text(self.state)

    def _sync_pickers(self) -> None:
        with self._quietly():
            self.image_picker.options = self.state.image_keys()
            self.image_picker.value = self.state.image_name
            self.class_picker.options = class_options(self.state, self.top_k)
            self.class_picker.value = self.state.class_index

    def _select(self, source) -> None:
        choose_image(self.state, source)
        self._sync_pickers()
        self.recompute()

    # -- observers
    def _on_image(self, change) -> None:
        if not self._quiet:
            self._run(lambda: self._select(change["new"]))

    def _on_class(self, change) -> None:
        if self._quiet or change["new"] is None:
            return

        def action():
            choose_class(self.state, change["new"])
            self.recompute()

        self._run(action)

    def _on_occlusion(self, change) -> None:
        if not self._quiet:
            self._run(lambda: compute_occlusion(self.state, self.patch.value, self.stride.value))

    def _on_smoothgrad(self, change) -> None:
        if not self._quiet:
            self._run(lambda: compute_smoothgrad(self.state, self.samples.value, self.noise.value))


def explainer_panel(model, image=None, *, methods: Sequence[str] = METHODS,
                    occlusion: str = "map", preprocess=None,
                    class_names: Sequence[str] | None = None, params: dict | None = None,
                    top_k: int = 5, dpi: int = 72) -> ExplainerPanel:
    """A panel comparing ``methods`` on one photo, for any classifier.

    Args:
        model: Keras classifier; photos are resized to its input size.
        image: first photo (bundled name, path, array); default the first bundled one.
            An array is copied, never modified.
        methods: which of ``"occlusion"``, ``"saliency"``, ``"smoothgrad"`` to show.
        occlusion: ``"map"`` (NBJ1) or ``"sensitivity"`` (TP VGG16).
        preprocess: callable on raw 0–255 batches; default from the model.
        class_names: output names; default ImageNet for 1000 outputs.
        params: starting slider values (see :func:`default_params`).
        top_k: how many classes the class chooser offers.
        dpi: resolution of the drawn figure.

    Returns:
        The panel (an ``ipywidgets.VBox``); display it as a cell's last expression.
    """
    state = make_state(model, image, preprocess=preprocess, class_names=class_names,
                       occlusion=occlusion)
    return ExplainerPanel(state, methods=methods, params=params, top_k=top_k, dpi=dpi)


GRADING_PLACEHOLDER = ("<i>Panneau interactif non construit pendant la notation automatique : "
                       "personne ne le voit, et il coûterait plusieurs secondes par copie.</i>")


def nbj1_panel(model, image=None, **options) -> ExplainerPanel | widgets.HTML:
    """NBJ1's panel: photo | occlusion | saliency | SmoothGrad, with every control.

    While nbgrader grades (``settings().grading``) nobody sees the panel: a line of text
    stands in for it and nothing is computed.

    Args:
        model: MobileNetV2 (``helpers.load_model("mobilenet_v2")``), or any classifier.
        image: first photo; default the first bundled one.
        **options: passed to :func:`explainer_panel`.
    """
    if settings().grading:
        return widgets.HTML(GRADING_PLACEHOLDER)
    return explainer_panel(model, image, methods=METHODS, occlusion="map", **options)


def occlusion_panel(model, image=None, *, occlusion: str = "map", **options) -> ExplainerPanel:
    """A panel with occlusion only (patch size and stride sliders, photo and class choosers).

    Args:
        occlusion: ``"map"`` (NBJ1: black patch) or ``"sensitivity"`` (TP: grey patch,
            averaged drops).
    """
    return explainer_panel(model, image, methods=("occlusion",), occlusion=occlusion, **options)



# =========================================================================== TP VGG16
# The TP's panels reuse the same plumbing: a state, plain tested callbacks on it, and a
# thin ``_Panel`` subclass wiring widgets to them.
#
#   gradcam_panel(model)                       layer, class, alpha → image | map | overlay
#   occlusion_panel(model, occlusion="sensitivity")    patch and stride (above)
#   filter_panel(model)                        layer, filter index, steps → filter picture
#   anonymisation_panel(model, recognizer)     mask type, blur → classifier + recognizer
#   recognizer_panel(recognizer)               threshold, upload, enrol → identification
#   tp_panel(model, recognizer)                all of them in tabs

_STATUS_NAMES["gradcam"] = "Grad-CAM"
#: Titles of the tabs of :func:`tp_panel`, in order.
TP_TABS = ("Grad-CAM", "Occlusion", "Filtres", "Anonymisation", "Reconnaissance faciale")
#: Bundled photo the face panels start with.
DEFAULT_FACE = "grace_hopper"


def _sync_picker(picker: widgets.Dropdown, state) -> None:
    picker.options = state.image_keys()
    picker.value = state.image_name


# --------------------------------------------------------------------------- Grad-CAM
def default_gradcam_layer(model) -> str:
    """The last convolution layer (VGG16: ``block5_conv3``), Grad-CAM's usual choice."""
    names = _conv_layers(model)
    return names[-1]


def _conv_layers(model) -> list[str]:
    names = conv_layer_names(model)
    if not names:
        raise ValueError(f"{model.name} has no convolution layer: Grad-CAM and filter "
                         "pictures need a CNN (e.g. helpers.load_model('vgg16')).")
    return names


def compute_gradcam(state: ExplainerState, layer_name: str) -> np.ndarray:
    """Grad-CAM of the current photo for the explained class at ``layer_name``.

    ``helpers.make_gradcam_heatmap(state.batch, state.model, layer_name,
    state.class_index)`` (the batch is already preprocessed).

    Returns:
        float32 (h, w) in [0, 1] at the layer's resolution, also in
        ``state.maps["gradcam"]`` (``state.params["gradcam"] == {"layer": layer_name}``).
    """
    _require_image(state)
    return store_map(state, "gradcam",
                     lambda: make_gradcam_heatmap(state.batch, state.model, layer_name,
                                                  state.class_index),
                     layer=layer_name)


def render_gradcam(state: ExplainerState, alpha: float = 0.4) -> Figure:
    """Image | raw Grad-CAM map (layer resolution) | overlay (``overlay_heatmap``, ``alpha``).

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).
    """
    _require_image(state)
    if "gradcam" not in state.maps:
        raise ValueError("Pas encore de carte Grad-CAM : appelez compute_gradcam(state, couche).")
    heat, layer = state.maps["gradcam"], state.params["gradcam"]["layer"]
    fig, axes = figure(3)
    axes[0].imshow(state.image)
    axes[0].set_title("image")
    im = axes[1].imshow(heat, cmap="jet", vmin=0.0, vmax=1.0)
    axes[1].set_title(f"Grad-CAM {layer} ({heat.shape[0]}×{heat.shape[1]})")
    fig.colorbar(im, ax=axes[1], shrink=0.8)
    axes[2].imshow(overlay_heatmap(state.image, heat, alpha))
    axes[2].set_title(f"superposition (α = {alpha:.2f})")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    c = state.class_index
    fig.suptitle(f"Classe expliquée : {state.label(c)} (p={float(state.probabilities[c]):.3f})")
    return fig


class GradcamPanel(ExplainerPanel):
    """Photo and class choosers (from :class:`ExplainerPanel`), a layer drop-down and an
    alpha slider; the picture is :func:`render_gradcam`.

    Attributes:
        layer: ``Dropdown`` of ``helpers.conv_layer_names(model)``.
        alpha: ``FloatSlider`` of the overlay's weight (redraws only).
    """

    def __init__(self, state: ExplainerState, *, layer: str | None = None, alpha: float = 0.4,
                 top_k: int = 5, dpi: int = 72, compute: bool = True):
        names = _conv_layers(state.model)
        layer = default_gradcam_layer(state.model) if layer is None else layer
        if layer not in names:
            raise ValueError(f"{state.model.name} has no convolution layer {layer!r}; "
                             f"its convolution layers are: {names}.")
        self.layer = widgets.Dropdown(description="Couche", options=names, value=layer,
                                      style=_STYLE)
        self.alpha = widgets.FloatSlider(value=float(alpha), min=0.0, max=1.0, step=0.05,
                                         description="Transparence α", readout_format=".2f",
                                         continuous_update=False, style=_STYLE)
        super().__init__(state, methods=(), top_k=top_k, dpi=dpi, compute=compute)
        self.layer.observe(self._on_layer, "value")
        self.alpha.observe(self._on_alpha, "value")

    def _method_rows(self) -> list:
        return [widgets.HBox([self.layer, self.alpha])]

    def recompute(self) -> None:
        """Grad-CAM at the chosen layer (:func:`compute_gradcam`)."""
        compute_gradcam(self.state, self.layer.value)

    def redraw(self) -> None:
        if "gradcam" in self.state.maps:
            self.picture.value = figure_png(render_gradcam(self.state, self.alpha.value), self.dpi)
        self.status.value = self.status_line()

    def _on_layer(self, change) -> None:
        if not self._quiet:
            self._run(self.recompute)

    def _on_alpha(self, change) -> None:
        if not self._quiet:
            self._run(lambda: None)  # only the overlay changes: redraw


def gradcam_panel(model, image=None, *, layer: str | None = None, alpha: float = 0.4,
                  preprocess=None, class_names: Sequence[str] | None = None, top_k: int = 5,
                  dpi: int = 72) -> GradcamPanel:
    """Grad-CAM panel: layer drop-down, class chooser (top ``top_k``), overlay alpha.

    Args:
        model: a CNN classifier (VGG16); photos are resized to its input size.
        image: first photo (bundled name, path, array, upload); default the first
            bundled one.
        layer: first layer shown; default the last convolution layer.
        alpha: first weight of the heatmap in the overlay.

    Returns:
        The panel; its picture shows image | raw map | overlay.
    """
    state = make_state(model, image, preprocess=preprocess, class_names=class_names)
    return GradcamPanel(state, layer=layer, alpha=alpha, top_k=top_k, dpi=dpi)


# --------------------------------------------------------------------------- filters
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


def filter_count(model, layer_name: str) -> int:
    """Number of filters (output channels) of ``layer_name``."""
    return int(feature_extractor(model, layer_name).output.shape[-1])


def default_filter_params(quick: bool | None = None) -> dict:
    """``{"size", "steps"}``: 128 px, 30 steps; under ``settings().quick`` 64 px, 10 steps."""
    quick = settings().quick if quick is None else quick
    return {"size": 64, "steps": 10} if quick else {"size": 128, "steps": 30}


def make_filter_state(model, *, size: int | None = None) -> FilterState:
    """A filter state for ``model``, starting at its middle convolution layer
    (VGG16: ``block3_conv3``), filter 0."""
    names = _conv_layers(model)
    defaults = default_filter_params()
    size = defaults["size"] if size is None else _checks.positive_int(size, "size")
    return FilterState(model=model, size=size, layer=names[len(names) // 2],
                       steps=defaults["steps"])


def compute_filter(state: FilterState, layer_name: str, filter_index: int,
                   steps: int) -> np.ndarray:
    """``helpers.visualize_filter(model, layer_name, filter_index, size=state.size,
    steps=steps)``, timed and kept in ``state.picture``.

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
    """The filter picture, titled with layer, index and steps."""
    if state.picture is None:
        raise ValueError("Pas encore d'image de filtre : appelez compute_filter(state, ...).")
    fig, axes = figure(1, size=3.6)
    axes[0].imshow(state.picture)
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    axes[0].set_title(f"{state.layer}, filtre {state.filter_index} ({state.steps} pas)")
    return fig


class FilterPanel(_Panel):
    """Layer drop-down, filter index slider (0 … filters − 1 of the layer), steps slider.

    Attributes:
        state: the :class:`FilterState`.
        layer, filter_index, steps: the controls; ``picture``, ``status``, ``message``.
    """

    def __init__(self, state: FilterState, *, dpi: int = 72, compute: bool = True):
        self.state, self.dpi, self.computed = state, dpi, bool(compute)
        names = _conv_layers(state.model)
        self.layer = widgets.Dropdown(description="Couche", options=names, value=state.layer,
                                      style=_STYLE)
        self.filter_index = widgets.IntSlider(
            value=state.filter_index, min=0, max=filter_count(state.model, state.layer) - 1,
            description="Filtre n°", continuous_update=False, style=_STYLE)
        self.steps = widgets.IntSlider(value=state.steps, min=0, max=max(100, state.steps),
                                       description="Pas d'ascension", continuous_update=False,
                                       style=_STYLE)
        self.picture = widgets.Image(format="png")
        self.status = widgets.Label()
        self.message = widgets.HTML()
        super().__init__(children=[widgets.HBox([self.layer, self.filter_index, self.steps]),
                                   widgets.HBox([self.status]), self.message, self.picture])
        self.layer.observe(self._on_layer, "value")
        self.filter_index.observe(self._on_change, "value")
        self.steps.observe(self._on_change, "value")
        if compute:
            self._run(self.recompute)
        else:
            self.status.value = "pas encore calculé"

    def recompute(self) -> None:
        """The picture of the chosen filter (:func:`compute_filter`)."""
        compute_filter(self.state, self.layer.value, self.filter_index.value, self.steps.value)

    def redraw(self) -> None:
        self.picture.value = figure_png(render_filter(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        if self.state.picture is None:
            return ""
        n = filter_count(self.state.model, self.state.layer)
        return (f"{self.state.layer} : {n} filtres · image {self.state.size}×{self.state.size} "
                f"· {self.state.timing:.1f} s")

    def _on_layer(self, change) -> None:
        if self._quiet:
            return
        with self._quietly():  # the index slider follows the layer's number of filters
            self.filter_index.max = filter_count(self.state.model, change["new"]) - 1
        self._run(self.recompute)

    def _on_change(self, change) -> None:
        if not self._quiet:
            self._run(self.recompute)


def filter_panel(model, *, size: int | None = None, dpi: int = 72) -> FilterPanel:
    """Filter pictures: layer drop-down, filter index (bounded by the layer's filter
    count), ascent steps → ``helpers.visualize_filter`` (128 px; 64 px and 10 steps
    under ``helpers.settings().quick``)."""
    return FilterPanel(make_filter_state(model, size=size), dpi=dpi)


# --------------------------------------------------------------------------- recognizer verdicts
#: The recognizer's statuses, as the panels say them.
STATUS_FR = {IDENTIFIED: "identifié", REJECTED: "rejeté",
             NOBODY_ENROLLED: "personne n'est enregistré"}
#: Status of a verdict when the recognizer finds no face.
NO_FACE = "aucun visage"
_NO_FACE_TEXT = ("Aucun visage trouvé sur cette photo : choisissez une photo de face, bien "
                 "éclairée, où le visage fait au moins 30 pixels (ou recadrez-la).")


def _french_error(err: Exception, name: str | None = None) -> ValueError:
    """A recognizer's (English) error as a French message a student can act on."""
    text = str(err)
    if text.startswith("No face found"):
        return ValueError(_NO_FACE_TEXT)
    if "already enrolled" in text:
        return ValueError(f"« {name} » est déjà enregistré : choisissez un autre nom.")
    if text.startswith("name is empty") or isinstance(err, TypeError):
        return ValueError("Donnez un nom (non vide) avant d'enregistrer le visage.")
    return ValueError(f"Le recognizer a refusé l'image : {text}")


def identify_verdict(recognizer, image) -> tuple[str | None, float, str]:
    """``recognizer.identify(image)``, with « no face » as a verdict, not an error.

    Returns:
        ``(name, similarity, status)`` as ``identify`` gives them; when no face is
        found, ``(None, nan, NO_FACE)``.

    Raises:
        ValueError: in French, for any other refusal.
    """
    try:
        name, similarity, status = recognizer.identify(image)
    except ValueError as err:
        french = _french_error(err)
        if str(french) == _NO_FACE_TEXT:
            return None, float("nan"), NO_FACE
        raise french from None
    return name, float(similarity), str(status)


def verdict_text(verdict, threshold: float | None = None) -> str:
    """A verdict in French: ``"identifié : Grace Hopper (similarité 0.93 ≥ seuil 0.50)"``,
    ``"rejeté (meilleure similarité 0.41 < seuil 0.50)"``, ``"personne n'est enregistré"``,
    ``"aucun visage trouvé"``."""
    if verdict is None:
        return "pas de résultat"
    name, similarity, status = verdict
    seuil = "" if threshold is None else f" seuil {threshold:.2f}"
    if status == IDENTIFIED:
        return f"identifié : {name} (similarité {similarity:.3f}{' ≥' + seuil if seuil else ''})"
    if status == REJECTED:
        return f"rejeté (meilleure similarité {similarity:.3f}{' <' + seuil if seuil else ''})"
    if status == NOBODY_ENROLLED:
        return STATUS_FR[NOBODY_ENROLLED]
    if status == NO_FACE:
        return "aucun visage trouvé"
    return str(status)


# --------------------------------------------------------------------------- anonymisation
@dataclass(eq=False)
class MaskState:
    """What the anonymisation panel shows: a face photo, one mask, two verdicts.

    Attributes:
        model: the ImageNet classifier (VGG16).
        preprocess: its preprocessing on raw 0–255 batches.
        recognizer: optional face recognizer (``helpers.FaceRecognizer``).
        image_name, image: the photo, RGB uint8 at its own size (masks are applied
            there, like ``helpers.mask_report``).
        regions: ``helpers.anonymisation.mask_regions(image)`` (the detected face, or
            the fixed fractions).
        probabilities, class_index: the classifier on the unmasked photo.
        verdict: the recognizer on the unmasked photo (``identify_verdict``).
        mask_type, blur_sigma: the last mask's arguments (``blur_sigma`` only for
            ``"flou_gaussien"``, else ``None``).
        masked, masked_probabilities, masked_verdict: the masked photo and what the
            classifier and the recognizer say of it.
        images: uploads and other photos offered by the picker.
    """

    model: Any
    preprocess: Callable
    recognizer: Any = None
    image_name: str = ""
    image: np.ndarray | None = None
    regions: Any = None
    probabilities: np.ndarray | None = None
    class_index: int | None = None
    verdict: tuple | None = None
    mask_type: str | None = None
    blur_sigma: float | None = None
    masked: np.ndarray | None = None
    masked_probabilities: np.ndarray | None = None
    masked_verdict: tuple | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)

    def image_keys(self) -> list[str]:
        """Names the image picker offers: the bundled photos, then the others."""
        return list_samples() + [key for key in self.images if key not in list_samples()]

    def label(self, index: int) -> str:
        n = int(self.probabilities.shape[-1])
        return class_name(int(index)) if n == 1000 else f"classe {int(index)}"

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
    """``helpers.apply_mask``'s default blur: ``DEFAULT_BLUR_FRACTION`` × face width."""
    y1, y2, x1, x2 = face_area(state.regions)
    return max(1.0, DEFAULT_BLUR_FRACTION * (x2 - x1))


def make_mask_state(model, recognizer=None, image=None, *, preprocess=None) -> MaskState:
    """A state for the anonymisation panel, first photo chosen (default Grace Hopper)."""
    if recognizer is not None and not callable(getattr(recognizer, "identify", None)):
        raise TypeError("recognizer must have an identify(img) method (helpers.FaceRecognizer).")
    preprocess = get_preprocess(model) if preprocess is None else preprocess
    state = MaskState(model=model, preprocess=preprocess, recognizer=recognizer)
    return choose_mask_image(state, DEFAULT_FACE if image is None else image)


def choose_mask_image(state: MaskState, source) -> MaskState:
    """Make ``source`` the photo: locate the face, classify it, identify it; the last
    mask is cleared. ``source`` as in :func:`choose_image`."""
    key, original = _load_source(state, source)
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
        mask_type: one of ``helpers.MASK_TYPES``.
        blur_sigma: the blur's standard deviation in pixels, for ``"flou_gaussien"``
            (ignored otherwise); default :func:`default_blur_sigma`.

    Returns:
        The masked photo, RGB uint8, also in ``state.masked``.
    """
    if state.image is None:
        raise ValueError("Aucune image choisie : appelez choose_mask_image(state, ...) d'abord.")
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
    """The last mask's effect in French, one line per question (classifier, recognizer)."""
    c = state.class_index
    top = int(np.argmax(state.masked_probabilities))
    lines = [
        f"Classe ImageNet : {state.label(top)} (p={float(state.masked_probabilities[top]):.3f}) "
        f"· classe d'origine « {state.label(c)} » : {float(state.probabilities[c]):.3f} → "
        f"{float(state.masked_probabilities[c]):.3f} (chute {state.drop:+.3f})"
    ]
    if state.recognizer is not None:
        threshold = getattr(state.recognizer, "threshold", None)
        lines.append(f"Reconnaissance : sans masque {verdict_text(state.verdict, threshold)} "
                     f"· avec masque {verdict_text(state.masked_verdict, threshold)}")
    return "\n".join(lines)


def render_mask(state: MaskState) -> Figure:
    """Photo | masked photo, with the classifier's top class and the recognizer's verdict."""
    if state.masked is None:
        raise ValueError("Pas encore de masque : appelez compute_mask(state, type).")
    fig, axes = figure(2, size=3.6)
    for ax, picture, probs, verdict, title in (
            (axes[0], state.image, state.probabilities, state.verdict, "original"),
            (axes[1], state.masked, state.masked_probabilities, state.masked_verdict,
             f"masque « {state.mask_type} »")):
        top = int(np.argmax(probs))
        text = f"{title}\n{state.label(top)} ({float(probs[top]):.2f})"
        if state.recognizer is not None:
            text += f"\n{verdict_text(verdict)}"
        ax.imshow(picture)
        ax.set_title(text, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"zones : {state.regions.source}", fontsize=9)
    return fig


class AnonymisationPanel(_Panel):
    """Photo picker and upload, mask type buttons, blur slider (``"flou_gaussien"`` only);
    the picture is :func:`render_mask`, the text :func:`mask_summary`.

    Attributes:
        state: the :class:`MaskState`.
        image_picker, upload, mask_type, blur: the controls.
        summary: ``HTML`` with :func:`mask_summary`.
    """

    def __init__(self, state: MaskState, *, mask_type: str = "yeux", dpi: int = 72,
                 compute: bool = True):
        self.state, self.dpi, self.computed = state, dpi, bool(compute)
        self.image_picker = widgets.Dropdown(description="Image", options=state.image_keys(),
                                             value=state.image_name, style=_STYLE)
        self.upload = widgets.FileUpload(description="Téléverser une photo", accept="image/*",
                                         multiple=False, layout=widgets.Layout(width="auto"))
        self.mask_type = widgets.ToggleButtons(description="Masque", options=list(MASK_TYPES),
                                               value=mask_type, style=_STYLE)
        self.blur = widgets.FloatSlider(description="Flou σ (pixels)", min=0.5, step=0.5,
                                        continuous_update=False, readout_format=".1f",
                                        style=_STYLE)
        self._reset_blur()
        self.summary = widgets.HTML()
        self.picture = widgets.Image(format="png")
        self.status = widgets.Label()
        self.message = widgets.HTML()
        super().__init__(children=[widgets.HBox([self.image_picker, self.upload]),
                                   self.mask_type, self.blur, widgets.HBox([self.status]),
                                   self.message, self.summary, self.picture])
        self.image_picker.observe(self._on_image, "value")
        self.upload.observe(self._upload_observer(self.upload, self._select), "value")
        self.mask_type.observe(self._on_change, "value")
        self.blur.observe(self._on_change, "value")
        if compute:
            self._run(self.recompute)
        else:
            self.status.value = "pas encore calculé"

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
        import html

        self.picture.value = figure_png(render_mask(self.state), self.dpi)
        self.summary.value = "<br>".join(html.escape(line) for line in
                                         mask_summary(self.state).splitlines())
        self.status.value = self.status_line()

    def status_line(self) -> str:
        return f"zones : {self.state.regions.source}" if self.state.regions is not None else ""

    def _select(self, source) -> None:
        choose_mask_image(self.state, source)
        with self._quietly():
            _sync_picker(self.image_picker, self.state)
        self._reset_blur()
        self.recompute()

    def _on_image(self, change) -> None:
        if not self._quiet:
            self._run(lambda: self._select(change["new"]))

    def _on_change(self, change) -> None:
        if not self._quiet:
            self._run(self.recompute)


def anonymisation_panel(model, recognizer=None, image=None, *, mask_type: str = "yeux",
                        preprocess=None, dpi: int = 72) -> AnonymisationPanel:
    """Anonymisation: mask type (``helpers.MASK_TYPES``) and blur strength → the masked
    photo, the ImageNet top class and the drop of the original class, and the live
    verdict of ``recognizer`` (who must have been enrolled to say anything).

    Args:
        model: the ImageNet classifier (VGG16).
        recognizer: optional ``helpers.FaceRecognizer``; never modified.
        image: first photo; default Grace Hopper.
    """
    state = make_mask_state(model, recognizer, image, preprocess=preprocess)
    return AnonymisationPanel(state, mask_type=mask_type, dpi=dpi)


# --------------------------------------------------------------------------- recognizer
@dataclass(eq=False)
class RecognizerState:
    """What the identification panel shows.

    Attributes:
        recognizer: the ``helpers.FaceRecognizer`` (its store receives enrolments; its
            own ``threshold`` is never changed: the panel's is ``threshold``).
        threshold: similarity needed to be identified, in [0, 1].
        image_name, image: the photo, RGB uint8 at its own size.
        result: ``(name, similarity, status)`` of ``identify`` at ``threshold``.
        images: uploads and other photos offered by the picker.
    """

    recognizer: Any
    threshold: float = 0.5
    image_name: str = ""
    image: np.ndarray | None = None
    result: tuple | None = None
    images: dict[str, np.ndarray] = field(default_factory=dict)

    def image_keys(self) -> list[str]:
        return list_samples() + [key for key in self.images if key not in list_samples()]


def _at_threshold(recognizer, threshold: float):
    """``recognizer`` with another threshold: a shallow copy (same extractor and store)."""
    if getattr(recognizer, "threshold", None) == threshold:
        return recognizer
    clone = copy.copy(recognizer)
    clone.threshold = threshold
    return clone


def _identify_strict(recognizer, threshold: float, image) -> tuple:
    try:
        return _at_threshold(recognizer, threshold).identify(image)
    except ValueError as err:
        raise _french_error(err) from None


def make_recognizer_state(recognizer, image=None, *, threshold: float | None = None) -> RecognizerState:
    """A state for the identification panel (default photo: Grace Hopper; default
    threshold: the recognizer's)."""
    if not callable(getattr(recognizer, "identify", None)) or not callable(
            getattr(recognizer, "register", None)):
        raise TypeError("recognizer must be a helpers.FaceRecognizer (identify and register).")
    threshold = recognizer.threshold if threshold is None else threshold
    state = RecognizerState(recognizer=recognizer,
                            threshold=_checks.fraction(threshold, "threshold"))
    return choose_face(state, DEFAULT_FACE if image is None else image)


def choose_face(state: RecognizerState, source) -> RecognizerState:
    """Make ``source`` the photo and identify it.

    Raises:
        ValueError: in French: a bad upload, or no face found (the state is then left
            as it was).
    """
    images = dict(state.images)
    key, original = _load_source(state, source)
    try:
        result = _identify_strict(state.recognizer, state.threshold, original)
    except ValueError:
        state.images.clear()
        state.images.update(images)
        raise
    state.image_name, state.image, state.result = key, original, result
    return state


def set_threshold(state: RecognizerState, threshold: float) -> tuple:
    """Identify the photo again at ``threshold``; returns the new ``state.result``."""
    threshold = _checks.fraction(threshold, "threshold")
    state.result = _identify_strict(state.recognizer, threshold, state.image)
    state.threshold = threshold
    return state.result


def enrol_face(state: RecognizerState, name: str) -> tuple:
    """Enrol the current photo under ``name`` in the recognizer, then identify again.

    Raises:
        ValueError: in French: empty or already used name, no face.
    """
    if state.image is None:
        raise ValueError("Aucune photo : choisissez ou téléversez une photo d'abord.")
    try:
        state.recognizer.register(name, state.image)
    except (ValueError, TypeError) as err:
        raise _french_error(err, name) from None
    state.result = _identify_strict(state.recognizer, state.threshold, state.image)
    return state.result


def render_face(state: RecognizerState) -> Figure:
    """The photo and the face the recognizer embeds, titled with the verdict."""
    face = state.recognizer.face_image(state.image)
    fig, axes = figure(2, size=3.2)
    axes[0].imshow(state.image)
    axes[0].set_title(state.image_name, fontsize=9)
    axes[1].imshow(face)
    axes[1].set_title(f"visage analysé ({face.shape[0]}×{face.shape[1]})", fontsize=9)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(verdict_text(state.result, state.threshold))
    return fig


class RecognizerPanel(_Panel):
    """Threshold slider, photo picker and upload, name field and enrol button.

    Attributes:
        state: the :class:`RecognizerState`.
        threshold, image_picker, upload, name, enrol: the controls.
        result: ``Label`` with :func:`verdict_text`.
    """

    def __init__(self, state: RecognizerState, *, dpi: int = 72, compute: bool = True):
        self.state, self.dpi, self.computed = state, dpi, bool(compute)
        self.threshold = widgets.FloatSlider(value=state.threshold, min=0.0, max=1.0,
                                             step=0.01, description="Seuil",
                                             readout_format=".2f", continuous_update=False,
                                             style=_STYLE)
        self.image_picker = widgets.Dropdown(description="Image", options=state.image_keys(),
                                             value=state.image_name, style=_STYLE)
        self.upload = widgets.FileUpload(description="Téléverser votre visage",
                                         accept="image/*", multiple=False,
                                         layout=widgets.Layout(width="auto"))
        self.name = widgets.Text(description="Nom", placeholder="Prénom Nom", style=_STYLE)
        self.enrol = widgets.Button(description="Enregistrer ce visage", icon="user-plus")
        self.result = widgets.Label()
        self.picture = widgets.Image(format="png")
        self.status = widgets.Label()
        self.message = widgets.HTML()
        super().__init__(children=[widgets.HBox([self.image_picker, self.upload]),
                                   self.threshold, widgets.HBox([self.name, self.enrol]),
                                   self.result, widgets.HBox([self.status]), self.message,
                                   self.picture])
        self.threshold.observe(self._on_threshold, "value")
        self.image_picker.observe(self._on_image, "value")
        self.upload.observe(self._upload_observer(self.upload, self._select), "value")
        self.enrol.on_click(self._on_enrol)
        if compute:
            self._run(lambda: None)
        else:
            self.status.value = "pas encore calculé"

    def recompute(self) -> None:
        """Identify the photo again (:func:`set_threshold` at the slider's value)."""
        set_threshold(self.state, self.threshold.value)

    def redraw(self) -> None:
        self.result.value = verdict_text(self.state.result, self.state.threshold)
        self.picture.value = figure_png(render_face(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        names = self.state.recognizer.names
        return f"{len(names)} personne(s) enregistrée(s)" + (f" : {', '.join(names)}" if names else "")

    def _select(self, source) -> None:
        choose_face(self.state, source)
        with self._quietly():
            _sync_picker(self.image_picker, self.state)

    def _on_image(self, change) -> None:
        if self._quiet:
            return
        self._run(lambda: self._select(change["new"]))
        with self._quietly():  # a refused photo: the picker goes back to the current one
            self.image_picker.value = self.state.image_name

    def _on_threshold(self, change) -> None:
        if not self._quiet:
            self._run(self.recompute)

    def _on_enrol(self, button=None) -> None:
        self._run(lambda: enrol_face(self.state, self.name.value))


def recognizer_panel(recognizer, image=None, *, threshold: float | None = None,
                     dpi: int = 72) -> RecognizerPanel:
    """Identification: threshold slider → (name, similarity, « identifié » / « rejeté » /
    « personne n'est enregistré »); upload your own face; enrol it under a name.

    Args:
        recognizer: a ``helpers.FaceRecognizer``; enrolments go to its store, its own
            threshold is left unchanged.
        image: first photo; default Grace Hopper.
        threshold: first threshold; default the recognizer's.
    """
    return RecognizerPanel(make_recognizer_state(recognizer, image, threshold=threshold), dpi=dpi)


# --------------------------------------------------------------------------- all together
def tp_panel(model, recognizer=None, image=None, *, dpi: int = 72) -> widgets.Tab | widgets.HTML:
    """The TP's panels in tabs: Grad-CAM, Occlusion (sensitivity), Filtres, Anonymisation,
    Reconnaissance faciale. A tab computes when it is first shown.

    Args:
        model: VGG16 (``helpers.load_model("vgg16")``), or any CNN classifier.
        recognizer: a ``helpers.FaceRecognizer``; default a new one on ``model``'s
            ``block5_pool`` embedding with nobody enrolled (when ``model`` has that
            layer; otherwise no recognizer tab and no verdict).
        image: first photo of the Grad-CAM and occlusion tabs.

    Returns:
        An ``ipywidgets.Tab``; ``tab.children`` are the panels, in ``TP_TABS`` order.
        While nbgrader grades (``settings().grading``), a line of text instead: nothing
        is computed for a panel nobody sees.
    """
    if settings().grading:
        return widgets.HTML(GRADING_PLACEHOLDER)
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

    def on_tab(change) -> None:
        if change["new"] is not None:
            panels[change["new"]].ensure_computed()

    tab.observe(on_tab, "selected_index")
    return tab

__all__ = [
    "METHODS",
    "TP_TABS",
    "AnonymisationPanel",
    "FilterPanel",
    "FilterState",
    "GradcamPanel",
    "MaskState",
    "RecognizerPanel",
    "RecognizerState",
    "anonymisation_panel",
    "choose_face",
    "choose_mask_image",
    "compute_filter",
    "compute_gradcam",
    "compute_mask",
    "enrol_face",
    "filter_count",
    "filter_panel",
    "gradcam_panel",
    "identify_verdict",
    "make_filter_state",
    "make_mask_state",
    "make_recognizer_state",
    "mask_summary",
    "recognizer_panel",
    "render_face",
    "render_filter",
    "render_gradcam",
    "render_mask",
    "set_threshold",
    "tp_panel",
    "verdict_text",
    "ExplainerPanel",
    "ExplainerState",
    "choose_class",
    "choose_image",
    "class_options",
    "compute_all",
    "compute_occlusion",
    "compute_saliency",
    "compute_smoothgrad",
    "decode_image_bytes",
    "decode_upload",
    "default_params",
    "explainer_panel",
    "figure_png",
    "make_state",
    "nbj1_panel",
    "noise_scale",
    "occlusion_panel",
    "render",
    "slider_ranges",
    "status_text",
    "store_map",
    "top_classes",
]
