"""NBJ1's panel, and the photo/class/maps state every classifier panel builds on.

* :func:`make_state`, :func:`choose_image` (a bundled photo, a path, an array or an
  upload), :func:`top_classes`, :func:`choose_class`;
* :func:`compute_occlusion`, :func:`compute_saliency`, :func:`compute_smoothgrad`
  (each a thin call of the ``helpers`` method with the state's class, timed);
* :func:`render` (a ``matplotlib.figure.Figure``), :func:`status_text`;
* :class:`ExplainerPanel` wires widgets to them; :func:`nbj1_panel`,
  :func:`explainer_panel`, :func:`occlusion_panel` build one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from .. import _checks
from ..config import settings
from ..images import list_samples, resize
from ..messages import N_, label, number, tr
from ..models import class_name, get_preprocess, input_size, predict
from ..occlusion import occlusion_map, occlusion_positions, occlusion_sensitivity
from ..plots import show_maps
from ..saliency import saliency_map, smoothgrad
from ._base import STYLE, Panel, PhotoState, figure_png, grading_placeholder, load_source, require_image

#: The methods a panel can show, in display order.
METHODS = ("occlusion", "saliency", "smoothgrad")
#: Titles of the maps in the figures, and their names in the status line (translated
#: by ``helpers.messages.label``).
TITLES = {"occlusion": N_("Occlusion"), "saliency": N_("Saliency"), "smoothgrad": N_("SmoothGrad"),
          "gradcam": N_("Grad-CAM")}
STATUS_NAMES = {"occlusion": N_("occlusion"), "saliency": N_("saliency"), "smoothgrad": N_("SmoothGrad"),
                "gradcam": N_("Grad-CAM")}
#: The two occlusion definitions, NBJ1's ``occlusion_map``, the TP's ``occlusion_sensitivity``.
OCCLUSION_KINDS = ("map", "sensitivity")
#: Size used for models whose input size is free.
DEFAULT_SIZE = (224, 224)


# --------------------------------------------------------------------------- the state
@dataclass(eq=False, kw_only=True)
class ExplainerState(PhotoState):
    """What a panel shows: a model, one photo, the explained class, the last maps.

    Attributes:
        model: the classifier (Keras model on preprocessed batches).
        preprocess: callable on raw 0–255 batches (the model's preprocessing).
        size: ``(height, width)`` every photo is resized to (the model's input).
        class_names: names of the outputs, or ``None`` (ImageNet names for 1000
            outputs, ``"classe i"`` otherwise).
        occlusion: ``"map"`` (NBJ1: black patch, overwrite, normalised) or
            ``"sensitivity"`` (TP: grey patch, averaged drops).
        image_name, image, images: the photo (:class:`.PhotoState`), resized to ``size``.
        batch: its preprocessed batch, float32 (1, height, width, 3).
        probabilities: the model's outputs on it, float32 (n_classes,).
        class_index: the class every method explains.
        maps: last map of each method, float32 (height, width), by method name.
        params: the arguments each stored map was computed with.
        timings: seconds each stored map took.
    """

    model: Any
    preprocess: Callable[[np.ndarray], Any]
    size: tuple[int, int]
    class_names: Sequence[str] | None = None
    occlusion: str = "map"
    batch: np.ndarray | None = None
    probabilities: np.ndarray | None = None
    class_index: int | None = None
    maps: dict[str, np.ndarray] = field(default_factory=dict)
    params: dict[str, dict] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_classes(self) -> int:
        """Number of model outputs (known once a photo is chosen)."""
        if self.probabilities is not None:
            return int(self.probabilities.shape[-1])
        return int(self.model.output_shape[-1])

    def label(self, index: int) -> str:
        """Readable name of class ``index``.

        Args:
            index: a class index, ``0 <= index < n_classes``.

        Returns:
            ``class_names[index]`` when given, the ImageNet name for 1000 outputs, else
            « classe ``index`` ».
        """
        if self.class_names is not None:
            return str(self.class_names[index])
        if self.n_classes == 1000:
            return class_name(int(index))
        return tr("class {index}", index=int(index))


def make_state(model: Any, image: Any = None, *,
               preprocess: Callable[[np.ndarray], Any] | None = None,
               class_names: Sequence[str] | None = None, occlusion: str = "map",
               size: tuple[int, int] | None = None) -> ExplainerState:
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

    Raises:
        ValueError: ``occlusion`` is not one of :data:`OCCLUSION_KINDS`, or a bad photo.
        FileNotFoundError, TypeError: an unknown photo name or path, a bad array
            (:func:`choose_image`).
    """
    if occlusion not in OCCLUSION_KINDS:
        raise ValueError(tr("occlusion must be one of {choices}; got {value!r}.",
                            choices=OCCLUSION_KINDS, value=occlusion))
    if size is None:
        size = input_size(model) or DEFAULT_SIZE
    size = (int(size[0]), int(size[1]))
    preprocess = get_preprocess(model) if preprocess is None else preprocess
    state = ExplainerState(model=model, preprocess=preprocess, size=size,
                           class_names=class_names, occlusion=occlusion)
    return choose_image(state, list_samples()[0] if image is None else image)


def choose_image(state: ExplainerState, source: Any) -> ExplainerState:
    """Make ``source`` the current photo: resize, preprocess, predict; clear the maps.

    The explained class becomes the photo's top class. Photos that are not bundled
    (uploads, arrays, paths) are kept in ``state.images`` so the picker can offer them
    again. The caller's array is never modified nor kept (a copy is).

    Args:
        state: the state to update (in place).
        source: a bundled photo's name (``"chelsea"``), a name from
            ``state.image_keys()``, a path, an image array, or an upload (the last file
            becomes current).

    Returns:
        ``state``.

    Raises:
        ValueError, FileNotFoundError, TypeError: a bad upload, an unknown name, a bad
            array.
    """
    key, original = load_source(state, source)
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

    Args:
        state: the state, with a photo chosen.
        k: how many classes, > 0.

    Returns:
        ``[(index, label, probability), ...]``, at most ``min(k, n_classes)`` rows.

    Raises:
        TypeError, ValueError: ``k`` is not a positive integer.
    """
    k = min(_checks.positive_int(k, "k"), state.n_classes)
    order = np.argsort(-state.probabilities, kind="stable")[:k]
    return [(int(i), state.label(int(i)), float(state.probabilities[i])) for i in order]


def class_options(state: ExplainerState, k: int = 5) -> list[tuple[str, int]]:
    """Options of the class chooser: ``("name (p=0,123)", index)``, top ``k`` first.

    The explained class is always offered, even when it is not in the top ``k``.

    Args:
        state: the state, with a photo chosen.
        k: how many of the most probable classes, > 0.

    Returns:
        ``[(text, index), ...]`` for an ``ipywidgets.Dropdown``, best first, then the
        explained class when it is not among them.

    Raises:
        TypeError, ValueError: ``k`` is not a positive integer.
    """
    rows = top_classes(state, k)
    if state.class_index is not None and state.class_index not in [i for i, _, _ in rows]:
        c = state.class_index
        rows.append((c, state.label(c), float(state.probabilities[c])))
    return [(f"{name} (p={number(p)})", index) for index, name, p in rows]


def choose_class(state: ExplainerState, index: int) -> ExplainerState:
    """Explain class ``index`` from now on; the maps of the previous class are cleared.

    Args:
        state: the state to update (in place).
        index: the class to explain, ``0 <= index < state.n_classes``.

    Returns:
        ``state``.

    Raises:
        TypeError: ``index`` is not an integer.
        ValueError: ``index`` is out of range (the message gives the range).
    """
    index = _checks.class_index(index, state.n_classes)
    if index != state.class_index:
        state.class_index = index
        _clear(state)
    return state


# --------------------------------------------------------------------------- methods
def store_map(state: ExplainerState, name: str, compute: Callable[[], np.ndarray],
              **params: Any) -> np.ndarray:
    """Run ``compute()``, time it, and keep its map in ``state`` under ``name``.

    The plumbing of every ``compute_*`` function; another practical adds a method
    (e.g. Grad-CAM) to a panel's figure with it.

    Args:
        state: the state to update (in place).
        name: the method's name, key of ``state.maps`` (``"occlusion"``, ``"gradcam"``...).
        compute: computes the map, float (height, width).
        **params: the arguments the map was computed with, kept in ``state.params``.

    Returns:
        float32 (height, width): the map, also in ``state.maps[name]``.
    """
    start = time.perf_counter()
    heat = np.asarray(compute(), dtype=np.float32)
    state.timings[name] = time.perf_counter() - start
    state.maps[name] = heat
    state.params[name] = dict(params)
    return heat


def compute_occlusion(state: ExplainerState, patch: int, stride: int) -> np.ndarray:
    """Occlusion map of the current photo for the explained class.

    ``helpers.occlusion_map`` (``state.occlusion == "map"``) or the first output of
    ``helpers.occlusion_sensitivity`` (``"sensitivity"``), called with
    ``class_index=state.class_index``.

    Args:
        state: the state, with a photo chosen (updated in place).
        patch: side of the square patch, pixels.
        stride: step between patch positions, pixels.

    Returns:
        float32 (height, width), also stored in ``state.maps["occlusion"]``.

    Raises:
        ValueError: no photo chosen, or a bad ``patch``/``stride`` (not positive, a patch
            not smaller than the image).
        TypeError: ``patch`` or ``stride`` is not an integer.
    """
    require_image(state, "choose_image")
    kwargs = dict(preprocess=state.preprocess, class_index=state.class_index, progress=False)

    def run() -> np.ndarray:
        if state.occlusion == "map":
            return occlusion_map(state.model, state.image, patch, stride, **kwargs)
        return occlusion_sensitivity(state.image, state.model, patch, stride, **kwargs)[0]

    return store_map(state, "occlusion", run, patch=patch, stride=stride)


def compute_saliency(state: ExplainerState) -> np.ndarray:
    """Vanilla gradient saliency (``helpers.saliency_map`` on the preprocessed batch).

    Args:
        state: the state, with a photo chosen (updated in place).

    Returns:
        float32 (height, width) in [0, 1], also in ``state.maps["saliency"]``.

    Raises:
        ValueError: no photo chosen.
    """
    require_image(state, "choose_image")
    return store_map(state, "saliency",
                     lambda: saliency_map(state.model, state.batch, state.class_index))


def compute_smoothgrad(state: ExplainerState, n_samples: int, noise: float) -> np.ndarray:
    """SmoothGrad (``helpers.smoothgrad`` on the preprocessed batch, default seed).

    Args:
        state: the state, with a photo chosen (updated in place).
        n_samples: number of noisy copies.
        noise: standard deviation of the noise, in preprocessed units (MobileNetV2:
            the [-1, 1] scale).

    Returns:
        float32 (height, width) in [0, 1], also in ``state.maps["smoothgrad"]``.

    Raises:
        ValueError: no photo chosen, or a bad ``n_samples``/``noise``.
        TypeError: ``n_samples`` is not an integer or ``noise`` not a number.
    """
    require_image(state, "choose_image")
    return store_map(
        state, "smoothgrad",
        lambda: smoothgrad(state.model, state.batch, n_samples, noise,
                           class_index=state.class_index, progress=False),
        n_samples=n_samples, noise=noise,
    )


def compute_all(state: ExplainerState, params: dict, methods: Iterable[str] = METHODS) -> None:
    """Compute each of ``methods`` with ``params`` (keys of :func:`default_params`).

    Args:
        state: the state, with a photo chosen (updated in place).
        params: ``{"patch", "stride", "n_samples", "noise"}`` (the keys a method uses).
        methods: names among :data:`METHODS`, computed in this order.

    Raises:
        ValueError: an unknown method, no photo chosen, or a bad parameter.
    """
    for method in methods:
        if method == "occlusion":
            compute_occlusion(state, params["patch"], params["stride"])
        elif method == "saliency":
            compute_saliency(state)
        elif method == "smoothgrad":
            compute_smoothgrad(state, params["n_samples"], params["noise"])
        else:
            raise ValueError(tr("Unknown method {value!r}; choose among {choices}.",
                                value=method, choices=METHODS))


# --------------------------------------------------------------------------- parameters
def noise_scale(preprocess: Callable[[np.ndarray], Any]) -> float:
    """Half the preprocessed range of one channel (MobileNetV2: 1.0; raw or VGG: 127.5).

    SmoothGrad's noise is a standard deviation in preprocessed units; the panel's noise
    slider spans ``[0, noise_scale]`` so that it means the same for every model.

    Args:
        preprocess: callable on raw 0–255 float32 batches (N, H, W, 3).

    Returns:
        half the distance between preprocessed black and white, averaged over the
        channels; 1.0 when that is not a positive finite number.
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

    Args:
        size: ``(height, width)`` of the photos.
        quick: the quick values; default ``helpers.settings().quick``.
        scale: the noise scale (:func:`noise_scale`).

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

    Args:
        size: ``(height, width)`` of the photos.
        scale: the noise scale (:func:`noise_scale`), the noise slider's maximum.

    Returns:
        ``{"patch", "stride", "n_samples", "noise"}``, each ``(min, max, step)``.
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
def explained_title(state: ExplainerState) -> str:
    """« Classe expliquée : tabby (p=0,123) ».

    Args:
        state: the state, with a photo chosen.

    Returns:
        the title naming the explained class and its probability.
    """
    c = state.class_index
    return tr("Explained class: {label} (p={p})", label=state.label(c),
              p=number(float(state.probabilities[c])))


def render(state: ExplainerState, *, overlay: bool = True) -> Figure:
    """Side-by-side figure: the photo, then each stored map (and its overlay).

    Maps appear in the order occlusion, saliency, SmoothGrad, then any other stored
    map (``helpers.plots.show_maps``); the title names the explained class.

    Args:
        state: the state, with a photo chosen.
        overlay: add a second row with each map blended over the photo.

    Returns:
        A ``matplotlib.figure.Figure`` (not attached to pyplot).

    Raises:
        ValueError: no photo chosen.
    """
    require_image(state, "choose_image")
    order = [m for m in METHODS if m in state.maps] + [m for m in state.maps if m not in METHODS]
    maps = {label(TITLES.get(m, m)): state.maps[m] for m in order}
    return show_maps(state.image, maps, alpha=0.4 if overlay and maps else 0.0,
                     title=explained_title(state))


def status_text(state: ExplainerState) -> str:
    """Timings of the stored maps: « occlusion : 1,2 s (100 positions) · saillance : 0,05 s ».

    Args:
        state: the state.

    Returns:
        one part per stored map, joined by « · » (empty when none is stored).
    """
    parts = []
    for name, seconds in state.timings.items():
        text = tr("{method}: {seconds}", method=label(STATUS_NAMES.get(name, name)),
                  seconds=number(seconds, ".2f" if seconds < 1 else ".1f") + " s")
        if name == "occlusion" and "patch" in state.params.get(name, {}):
            p = state.params[name]
            n = len(occlusion_positions(*state.image.shape[:2], p["patch"], p["stride"]))
            text += tr(" ({n} positions)", n=n)
        parts.append(text)
    return " · ".join(parts)


# --------------------------------------------------------------------------- the panel
class ExplainerPanel(Panel):
    """Widgets wired to the functions above; every change recomputes and redraws.

    Attributes:
        state: the :class:`ExplainerState` the widgets act on.
        methods: the methods shown (subset of ``METHODS``).
        image_picker, upload, class_picker: photo and class choosers.
        patch, stride: occlusion sliders (only shown with ``"occlusion"``).
        noise, samples: SmoothGrad sliders (only shown with ``"smoothgrad"``).
        picture, status, message: the figure (:func:`render`), the timings, the last
            error (see :class:`~helpers.widgets._base.Panel`).
    """

    def __init__(self, state: ExplainerState, *, methods: Sequence[str] = METHODS,
                 params: dict | None = None, top_k: int = 5, dpi: int = 72,
                 compute: bool = True) -> None:
        """Build the widgets and, unless ``compute=False``, compute and draw.

        Args:
            state: the state the widgets act on, with a photo chosen.
            methods: which of :data:`METHODS` to show.
            params: starting slider values (see :func:`default_params`).
            top_k: how many classes the class chooser offers.
            dpi: resolution of the drawn figure.
            compute: compute now (``False``: a tab not yet shown).

        Raises:
            ValueError: an unknown method.
        """
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise ValueError(tr("Unknown methods {values}; choose among {choices}.",
                                values=unknown, choices=METHODS))
        self.state, self.methods, self.top_k, self.dpi = state, tuple(methods), top_k, dpi
        scale = noise_scale(state.preprocess)
        values = {**default_params(state.size, scale=scale), **(params or {})}
        ranges = slider_ranges(state.size, scale)

        def int_slider(key: str, description: str) -> widgets.IntSlider:
            low, high, step = ranges[key]
            value = int(values[key])
            return widgets.IntSlider(value=value, min=min(low, value), max=max(high, value),
                                     step=step, description=description,
                                     continuous_update=False, style=STYLE)

        self.class_picker = widgets.Dropdown(description=tr("Explained class"),
                                             options=class_options(state, top_k),
                                             value=state.class_index, style=STYLE,
                                             layout=widgets.Layout(width="auto"))
        self.patch = int_slider("patch", tr("Patch size"))
        self.stride = int_slider("stride", tr("Stride"))
        self.samples = int_slider("n_samples", tr("Samples"))
        low, high, step = ranges["noise"]
        noise = float(values["noise"])
        self.noise = widgets.FloatSlider(value=noise, min=min(low, noise), max=max(high, noise),
                                         step=step, description=tr("Noise"),
                                         continuous_update=False, readout_format=".2f",
                                         style=STYLE)
        rows = [widgets.HBox([*self.photo_controls(), self.class_picker]), *self._method_rows()]
        super().__init__(rows, compute=compute)
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

    def params(self) -> dict:
        """Current slider values, as :func:`compute_all` takes them.

        Returns:
            ``{"patch", "stride", "n_samples", "noise"}``.
        """
        return {"patch": self.patch.value, "stride": self.stride.value,
                "n_samples": self.samples.value, "noise": self.noise.value}

    def recompute(self) -> None:
        """Recompute every method shown with the current slider values."""
        compute_all(self.state, self.params(), self.methods)

    def redraw(self) -> None:
        """Draw the state into ``picture`` and the timings into ``status``."""
        self.picture.value = figure_png(render(self.state), self.dpi)
        self.status.value = self.status_line()

    def status_line(self) -> str:
        """The timings of the stored maps (:func:`status_text`).

        Returns:
            the status text.
        """
        return status_text(self.state)

    def choose(self, source: Any) -> None:
        """A new photo: its top class becomes the explained one; the maps are recomputed.

        Args:
            source: any photo source (:func:`choose_image`).
        """
        choose_image(self.state, source)
        with self._quietly():
            self.class_picker.options = class_options(self.state, self.top_k)
            self.class_picker.value = self.state.class_index
        self.recompute()

    def _on_class(self, change: dict) -> None:
        if self._quiet or change["new"] is None:
            return

        def action() -> None:
            choose_class(self.state, change["new"])
            self.recompute()

        self._run(action)

    def _on_occlusion(self, change: dict) -> None:
        if not self._quiet:
            self._run(lambda: compute_occlusion(self.state, self.patch.value, self.stride.value))

    def _on_smoothgrad(self, change: dict) -> None:
        if not self._quiet:
            self._run(lambda: compute_smoothgrad(self.state, self.samples.value, self.noise.value))


def explainer_panel(model: Any, image: Any = None, *, methods: Sequence[str] = METHODS,
                    occlusion: str = "map",
                    preprocess: Callable[[np.ndarray], Any] | None = None,
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

    Raises:
        ValueError: an unknown method or ``occlusion`` kind, or a bad photo.
    """
    state = make_state(model, image, preprocess=preprocess, class_names=class_names,
                       occlusion=occlusion)
    return ExplainerPanel(state, methods=methods, params=params, top_k=top_k, dpi=dpi)


def nbj1_panel(model: Any, image: Any = None, **options: Any) -> ExplainerPanel | widgets.HTML:
    """NBJ1's panel: photo | occlusion | saliency | SmoothGrad, with every control.

    While nbgrader grades (``settings().grading``) nobody sees the panel: a line of text
    stands in for it and nothing is computed.

    Args:
        model: MobileNetV2 (``helpers.load_model("mobilenet_v2")``), or any classifier.
        image: first photo; default the first bundled one.
        **options: passed to :func:`explainer_panel`.

    Returns:
        The panel, or the placeholder line while grading.
    """
    placeholder = grading_placeholder()
    if placeholder is not None:
        return placeholder
    return explainer_panel(model, image, methods=METHODS, occlusion="map", **options)


def occlusion_panel(model: Any, image: Any = None, *, occlusion: str = "map",
                    **options: Any) -> ExplainerPanel:
    """A panel with occlusion only (patch size and stride sliders, photo and class choosers).

    Args:
        model: Keras classifier.
        image: first photo; default the first bundled one.
        occlusion: ``"map"`` (NBJ1: black patch) or ``"sensitivity"`` (TP: grey patch,
            averaged drops).
        **options: passed to :func:`explainer_panel`.

    Returns:
        The panel.
    """
    return explainer_panel(model, image, methods=("occlusion",), occlusion=occlusion, **options)
