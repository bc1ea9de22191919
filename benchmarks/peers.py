"""``helpers`` side by side with the TensorFlow explanation libraries (issue 27).

Run through ``make bench-peers`` (it builds ``.venv-peers/`` with the pinned peers of
``benchmarks/peers-constraints.txt``), or in an environment that has them::

    XAI_COURSE_WEIGHTS=random python -m benchmarks.peers [--quick] [--only METHOD ...]
        [--models NAME ...] [--repeat N] [--no-memory] [--only-ours] [--out FILE]

For each method and model, ``helpers`` and every peer that implements the method run
with **aligned definitions** (the same target score, patch, stride, fill value, noise
draws, number of samples, normalisation: ``ALIGNMENTS`` states each one and each default
that differs), their maps are compared (max abs difference after the same
normalisation, must be ≤ 1e-5), then timed interleaved (ours, peer, ours, peer, ...:
medians of ``--repeat``, the first call excluded and reported apart). Peak resident
memory is measured for each (method, library) in a fresh subprocess.

``--only-ours`` imports no peer: it runs ``helpers`` and the alignment code (the
references computed with ``helpers``' own building blocks) — what
``tests/test_bench_peers.py`` checks in the main environment.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import types
from dataclasses import dataclass, field
from datetime import datetime, timezone

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")
os.environ.setdefault("XAI_COURSE_LANG", "en")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import helpers  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from helpers._graph import min_max  # noqa: E402
from helpers.filters import (  # noqa: E402
    _ascent_step, _input_channels, deprocess, feature_extractor, start_images)
from helpers.saliency import gradient_fn, smoothgrad_batch_size  # noqa: E402
from helpers.targets import as_target  # noqa: E402

METHODS = ("saliency", "smoothgrad", "gradcam", "occlusion_tp", "occlusion_nbj1",
           "deletion_insertion", "activation_max")
MODELS = ("small_cnn", "mobilenet_v2", "vgg16")
TOLERANCE = 1e-5
PEER_PACKAGES = {"tf-keras-vis": "tf_keras_vis", "xplique": "xplique", "tf-explain": "tf_explain",
                 "saliency (PAIR)": "saliency"}

# Which model each method runs on (as in the practicals), the small CNN for all.
METHOD_MODELS = {
    "saliency": ("small_cnn", "mobilenet_v2"),
    "smoothgrad": ("small_cnn", "mobilenet_v2"),
    "gradcam": ("small_cnn", "mobilenet_v2", "vgg16"),
    "occlusion_tp": ("small_cnn", "vgg16"),
    "occlusion_nbj1": ("small_cnn", "mobilenet_v2"),
    "deletion_insertion": ("small_cnn", "mobilenet_v2"),
    "activation_max": ("small_cnn", "vgg16"),
}

ALIGNMENTS = {
    "saliency": "score: probability of the clean image's top class (found once, outside the "
                "timings, and handed to every library: helpers' class_index=); map "
                "max_c |grad|; the same min–max (exact [0, 1]) applied to every output. "
                "tf-keras-vis: normalize_map=False (its own min–max adds ε), clone=False. "
                "xplique: reducer='max' (its default; it takes |grad| first). PAIR saliency: "
                "GradientSaliency.GetMask with a compiled call_model_function (the user writes "
                "it), then max_c |·|.",
    "smoothgrad": "n=20 copies (quick: 8), noise σ=0.2 in the preprocessed units, the class handed to every library, the same "
                  "float32 draws (helpers' seeded NumPy stream, handed to each peer in place of "
                  "its own generator), the clean image's top class. tf-keras-vis: "
                  "gradient_modifier=max_c|g| per copy and keepdims=True give helpers' "
                  "definition (mean over copies of max_c |grad|); its own default is "
                  "max_c of the mean |grad| with σ = 0.2 × (max − min) of the input. "
                  "xplique and tf-explain average *signed* gradients (xplique reducer=None; "
                  "tf-explain's loss is the cross-entropy, made −score + log 10 by a two-column "
                  "wrapper [e^s, 10 − e^s]): they are compared with the mean signed gradient "
                  "that helpers' compiled gradient function gives on the same copies, "
                  "then max_c |·| and min–max on both; the work timed (n forward + backward "
                  "passes) is the same. PAIR saliency: GetSmoothedMask(magnitude=False) "
                  "(signed mean; its default squares the gradients), stdev_spread = σ / (max − "
                  "min), one call of its call_model_function per copy (its design), the copies "
                  "added in float64 there.",
    "gradcam": "score: probability of the top class; channel weights = spatial mean of the "
               "gradients; ReLU; map at the layer's resolution divided by its max. "
               "tf-keras-vis: expand_cam=False, normalize_cam=False (then the same /max). "
               "xplique's GradCAM upsamples to the input (not compared); tf-explain's uses "
               "guided gradients (another definition, not compared).",
    "occlusion_tp": "TP: grey 128 patch on the raw 0–255 image, preprocessing inside the "
                    "model, drop of the base class's probability averaged over the patches "
                    "covering each pixel; VGG16 patch 25, stride 14 (225 positions; small "
                    "CNN: patch 12 stride 6). xplique: Occlusion(patch_size, patch_stride, "
                    "occlusion_value=128) on a wrapper model (preprocessing + model); its grid "
                    "is the same positions; it *sums* the drops, divided here by each pixel's "
                    "coverage; batch: its default 32, ours 8 (the TP's memory bound), and "
                    "compared at ours: VGG16's probability of one image differs by up to "
                    "1.6e-5 between a batch of 1 and a batch of 25 on this CPU (measured "
                    "2026-12-07), more than the tolerance.",
    "occlusion_nbj1": "NBJ1's patch: black (0) patch 30, stride 10 on MobileNetV2 (400 "
                      "positions), averaged as above (xplique has no overwrite mode, NBJ1's "
                      "map): helpers.occlusion_sensitivity(fill=0, batch 32) vs xplique "
                      "Occlusion(occlusion_value=0, batch 32).",
    "deletion_insertion": "One map (seeded uniform noise: no ties, so both orders agree), "
                          "pixels removed (deletion) or restored (insertion) by decreasing "
                          "value, baseline black (0, raw) for both (helpers' insertion "
                          "default is the blurred image), 16 steps (224²/16 is a whole "
                          "number of pixels: xplique floors k·N/steps, helpers rounds), "
                          "probability of the top class; compared: both curves (AUC = "
                          "trapezoid on both sides).",
    "activation_max": "VGG16 block3_conv3, 4 filters (quick: 2) optimised together from "
                      "helpers' seeded start images, 128², 30 steps (quick: 5), "
                      "x += lr·g/(‖g‖₂ + 1e-8), lr 10, mean activation with a 2-pixel "
                      "border cropped; tf-keras-vis ActivationMaximization with no input "
                      "modifiers, no regularizers, an SGD step of lr, gradient_modifier = the "
                      "same L2 normalisation, input_range=(None, None) (its defaults: jitter, "
                      "rotation, TV + norm regularizers, RMSprop, 200 steps). Compared step "
                      "by step: tf-keras-vis' picture after each step (a callback records "
                      "them) against helpers' compiled step applied to tf-keras-vis' picture "
                      "before it (raw input units; the timed runs have no callback). The "
                      "finished pictures are not compared to 1e-5: on VGG16 the ascent "
                      "amplifies rounding-sized differences, as the row shows, measured in "
                      "the run: the deprocessed pictures' Δ after all the steps, beside how "
                      "far helpers' own pictures move when its start images move by 1e-6.",
}


# --------------------------------------------------------------------------- models
def small_cnn() -> keras.Model:
    """A small seeded CNN (64², two convolutions, 10 classes) with a traceable
    preprocessing (x / 127.5 − 1)."""
    keras.utils.set_random_seed(helpers.settings().seed)
    inputs = keras.Input((64, 64, 3))
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="small_cnn")


def small_preprocess(batch):
    return tf.cast(batch, tf.float32) / 127.5 - 1.0


@dataclass
class Subject:
    """A model, its preprocessing, a raw image and the preprocessed batch."""

    name: str
    model: keras.Model
    preprocess: object
    raw: np.ndarray
    batch: np.ndarray
    gradcam_layer: str
    size: int
    _wrapped: keras.Model | None = None

    @property
    def top(self) -> int:
        return int(np.argmax(self.model(tf.constant(self.batch), training=False).numpy()[0]))

    def onehot(self) -> np.ndarray:
        y = np.zeros((1, self.model.output_shape[-1]), np.float32)
        y[0, self.top] = 1
        return y

    def wrapped(self) -> keras.Model:
        """Preprocessing + model, one Keras model on raw 0–255 images (for the peers that
        perturb the model's input: their fill values are then on the raw scale)."""
        if self._wrapped is None:
            inputs = keras.Input(self.raw.shape)
            pre = keras.layers.Lambda(self.preprocess, name="preprocess")(inputs)
            self._wrapped = keras.Model(inputs, self.model(pre), name=f"{self.name}_raw")
        return self._wrapped


_SUBJECTS: dict[str, Subject] = {}


def subject(name: str) -> Subject:
    if name not in _SUBJECTS:
        if name == "small_cnn":
            model = small_cnn()
            rng = np.random.default_rng(0)
            raw = rng.uniform(0, 255, (64, 64, 3)).astype(np.float32)
            raw[16:40, 20:44] = (230, 40, 30)
            _SUBJECTS[name] = Subject(name, model, small_preprocess, raw,
                                      small_preprocess(raw[None]).numpy(), "conv2", 64)
        else:
            model = helpers.load_model(name)
            raw, batch = helpers.load_image(helpers.sample_path("chelsea"), size=(224, 224),
                                            model=name)
            layer = "Conv_1" if name == "mobilenet_v2" else "block5_conv3"
            _SUBJECTS[name] = Subject(name, model, helpers.get_preprocess(model),
                                      np.asarray(raw, np.float32), np.asarray(batch, np.float32),
                                      layer, 224)
    return _SUBJECTS[name]


# --------------------------------------------------------------------------- cases
@dataclass
class Case:
    """One method on one model: ours, the peers, and how to compare their outputs."""

    method: str
    model: str
    workload: str
    ours: object
    peers: dict = field(default_factory=dict)          # peer name -> callable
    compare: dict = field(default_factory=dict)        # peer name -> f(ours_out, peer_out) -> Δ
    notes: dict = field(default_factory=dict)          # peer name -> why not compared
    remarks: dict = field(default_factory=dict)        # peer name -> f(ours_out, peer_out) -> text
    check: object = None                               # f(ours_out) -> Δ with a helpers reference


def saliency_max(grad) -> np.ndarray:
    """max_c |g| of a (1, H, W, C) or (H, W, C) gradient, min–max normalised."""
    g = np.asarray(grad, np.float64)
    g = g[0] if g.ndim == 4 else g
    return min_max(np.max(np.abs(g), axis=-1))


def numpy_with(draws) -> types.SimpleNamespace:
    """NumPy as a peer's module sees it, except ``random.normal``: the peer still draws its
    own noise (``np.random.normal``, its cost kept in its time), then gets ``draws(shape)``,
    helpers' draws, in its place (the only change made to a peer)."""
    shim = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})

    def normal(loc, scale, shape):
        own = np.random.normal(loc, scale, shape)
        return draws(shape).astype(own.dtype)

    shim.random = types.SimpleNamespace(normal=normal)
    return shim


def normals(s: Subject, n: int) -> np.ndarray:
    """helpers.smoothgrad's draws: the seeded float32 stream, one block."""
    rng = np.random.default_rng(helpers.settings().seed)
    return rng.standard_normal((n,) + s.batch.shape[1:], dtype=np.float32)


def pair_model_function(s: Subject, c: int):
    """PAIR saliency's ``call_model_function``: the input gradient of the class's
    probability, compiled (the best a user of this framework-agnostic library can write)."""
    import saliency.core as pair

    @tf.function(reduce_retracing=True)
    def grad(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = s.model(x, training=False)[:, c]
        return tape.gradient(score, x)

    def call(x_batch, call_model_args=None, expected_keys=None):
        return {pair.INPUT_OUTPUT_GRADIENTS: grad(tf.constant(x_batch, tf.float32)).numpy()}

    return call


def case_saliency(s: Subject, quick: bool, peers: set) -> Case:
    c = s.top  # every library is handed the class (found once, outside the timings)

    def ours():
        return helpers.saliency_map(s.model, s.batch, class_index=c)

    case = Case("saliency", s.name, f"{s.name}, probability, max_c|grad|", ours)
    if "tf-keras-vis" in peers:
        from tf_keras_vis.saliency import Saliency
        tkv = Saliency(s.model, clone=False)
        case.peers["tf-keras-vis"] = lambda: min_max(
            tkv(lambda out: out[:, c], s.batch, normalize_map=False)[0])
    if "xplique" in peers:
        from xplique.attributions import Saliency as XSaliency
        xs = XSaliency(s.model, batch_size=1, reducer="max")
        y = s.onehot()
        case.peers["xplique"] = lambda: min_max(np.asarray(xs.explain(s.batch, y))[0, ..., 0])
    if "saliency (PAIR)" in peers:
        import saliency.core as pair
        call = pair_model_function(s, c)
        case.peers["saliency (PAIR)"] = lambda: saliency_max(
            pair.GradientSaliency().GetMask(s.batch[0], call))
    for p in case.peers:
        case.compare[p] = lambda a, b: float(np.max(np.abs(a - b)))
    return case


def case_smoothgrad(s: Subject, quick: bool, peers: set) -> Case:
    n, noise = (8, 0.2) if quick else (20, 0.2)
    z = normals(s, n)
    c = s.top

    def ours():
        return helpers.smoothgrad(s.model, s.batch, n, noise, class_index=c, progress=False)

    batch = smoothgrad_batch_size(s.model, s.batch.shape[1:], n)
    case = Case("smoothgrad", s.name, f"{s.name}, n={n}, σ={noise}, helpers batch {batch}", ours)

    @functools.cache
    def grads() -> np.ndarray:
        """helpers' reference, the same copies through helpers' compiled gradient function
        (for the peers that average signed gradients); computed when first compared,
        after the timings, so that the memory subprocesses never run it."""
        target = as_target(None, c, "probability")
        values, _ = gradient_fn(s.model, helpers.models.identity, target)(
            tf.constant(s.batch + z * np.float32(noise)), tf.fill([n], c))
        return values.numpy().astype(np.float64)

    def signed_mean() -> np.ndarray:
        return saliency_max(np.mean(grads(), axis=0))

    def reference_check(out):  # helpers.smoothgrad itself against its definition
        per_copy = np.max(np.abs(grads()), axis=-1).mean(axis=0)
        return float(np.max(np.abs(out - min_max(per_copy))))

    case.check = reference_check
    if "tf-keras-vis" in peers:
        import tf_keras_vis.saliency as tkv_module
        from tf_keras_vis.saliency import Saliency
        tkv = Saliency(s.model, clone=False)
        draws = (z * np.float32(noise))[:, None]
        tkv_module.np = numpy_with(lambda shape: draws.reshape(shape))

        def run_tkv():
            out = tkv(lambda o: o[:, c], s.batch, smooth_samples=n, smooth_noise=noise,
                      keepdims=True, normalize_map=False,
                      gradient_modifier=lambda g: tf.reduce_max(tf.abs(g), axis=-1, keepdims=True))
            return min_max(np.asarray(out)[0, ..., 0])

        case.peers["tf-keras-vis"] = run_tkv
        case.compare["tf-keras-vis"] = lambda a, b: float(np.max(np.abs(a - b)))
    if "xplique" in peers:
        from xplique.attributions import SmoothGrad as XSmoothGrad
        from xplique.attributions.gradient_statistics import gradient_statistic as xgs
        z_t = tf.constant(z)

        @tf.function
        def perturb(inputs, nb_perturbations, sigma):
            # xplique's own draw is kept (its cost), multiplied by 0; helpers' draws are added
            repeated = tf.repeat(inputs, repeats=nb_perturbations, axis=0)
            own = tf.random.normal(repeated.shape, 0.0, sigma, dtype=tf.float32)
            return repeated + z_t[:nb_perturbations] * sigma + 0.0 * own

        xgs.GradientStatistic._perturb_samples = staticmethod(perturb)
        xsg = XSmoothGrad(s.model, batch_size=n, nb_samples=n, noise=noise, reducer=None)
        y = s.onehot()
        case.peers["xplique"] = lambda: saliency_max(np.asarray(xsg.explain(s.batch, y)))
        case.compare["xplique"] = lambda a, b: float(np.max(np.abs(b - signed_mean())))
    if "tf-explain" in peers:
        import tf_explain.core.smoothgrad as tfe_module
        from tf_explain.core.smoothgrad import SmoothGrad as TSmoothGrad
        inputs = keras.Input(s.batch.shape[1:])
        e = keras.ops.exp(s.model(inputs)[:, c:c + 1])
        wrapper = keras.Model(inputs, keras.ops.concatenate([e, 10.0 - e], axis=1))
        draws = z * np.float32(noise)
        tfe_module.np = numpy_with(lambda shape: draws)

        def run_tfe():  # its explain() without the uint8 grid: noise, compiled core, |·|
            noisy = TSmoothGrad.generate_noisy_images(s.batch, n, noise)
            averaged = TSmoothGrad.get_averaged_gradients(noisy, wrapper, 0, n)
            return saliency_max(-averaged.numpy())

        case.peers["tf-explain"] = run_tfe
        case.compare["tf-explain"] = lambda a, b: float(np.max(np.abs(b - signed_mean())))
    if "saliency (PAIR)" in peers:
        import saliency.core as pair
        import saliency.core.base as pair_base
        call = pair_model_function(s, c)
        draws = (z * np.float32(noise)).astype(np.float64)
        state = {"i": 0}

        def next_draw(shape):  # helpers' draws, one copy per call, in order
            out = draws[state["i"] % n]
            state["i"] += 1
            return out

        pair_base.np = numpy_with(next_draw)
        spread = 1.0 / float(np.max(s.batch[0]) - np.min(s.batch[0]))

        def run_pair():
            state["i"] = 0
            return saliency_max(pair.GradientSaliency().GetSmoothedMask(
                s.batch[0], call, stdev_spread=noise * spread, nsamples=n, magnitude=False))

        case.peers["saliency (PAIR)"] = run_pair
        case.compare["saliency (PAIR)"] = lambda a, b: float(np.max(np.abs(b - signed_mean())))
    return case


def case_gradcam(s: Subject, quick: bool, peers: set) -> Case:
    layer = s.gradcam_layer

    def ours():
        return helpers.make_gradcam_heatmap(s.batch, s.model, layer)

    case = Case("gradcam", s.name, f"{s.name}, {layer}", ours)
    c = s.top
    if "tf-keras-vis" in peers:
        from tf_keras_vis.gradcam import Gradcam
        gc = Gradcam(s.model, clone=False)

        def run():
            cam = np.asarray(gc(lambda out: out[:, c], s.batch, penultimate_layer=layer,
                                expand_cam=False, normalize_cam=False))[0].astype(np.float64)
            return (cam / cam.max() if cam.max() > 0 else np.zeros_like(cam)).astype(np.float32)

        case.peers["tf-keras-vis"] = run
        case.compare["tf-keras-vis"] = lambda a, b: float(np.max(np.abs(a - b)))
    case.notes["xplique"] = "GradCAM upsampled to the input: not compared"
    case.notes["tf-explain"] = "guided Grad-CAM weights: another definition"
    return case


def coverage(h: int, w: int, patch: int, stride: int) -> np.ndarray:
    count = np.zeros((h, w))
    for y, x in helpers.occlusion_positions(h, w, patch, stride):
        count[y:y + patch, x:x + patch] += 1
    return count


def case_occlusion(s: Subject, quick: bool, peers: set, nbj1: bool) -> Case:
    if s.name == "small_cnn":
        patch, stride = 12, 6
    elif nbj1:
        patch, stride = 30, 10
    else:
        patch, stride = 25, 14
    if quick and s.name != "small_cnn":
        stride = 40
    fill = 0.0 if nbj1 else 128.0
    ours_batch = 32 if nbj1 else 8
    kwargs = {} if s.name != "small_cnn" else {"preprocess": s.preprocess}
    n = len(helpers.occlusion_positions(s.size, s.size, patch, stride))

    def ours():
        return helpers.occlusion_sensitivity(s.raw, s.model, patch, stride, fill=fill,
                                             batch_size=ours_batch, progress=False, **kwargs)[0]

    name = "occlusion_nbj1" if nbj1 else "occlusion_tp"
    case = Case(name, s.name, f"{s.name}, patch {patch}, stride {stride} ({n} pos.), fill {fill:g}, "
                f"batch {ours_batch}", ours)
    if "xplique" in peers:
        from xplique.attributions import Occlusion
        count = coverage(s.size, s.size, patch, stride)
        y = s.onehot()

        def xplique_map(batch_size):
            occ = Occlusion(s.wrapped(), batch_size=batch_size, patch_size=patch,
                            patch_stride=stride, occlusion_value=fill)
            return lambda: (np.asarray(occ.explain(s.raw[None], y))[0, ..., 0]
                            / np.maximum(count, 1)).astype(np.float32)

        # timed at its default batch (32), compared at helpers' (the model's rounding
        # depends on the batch's size: see ALIGNMENTS)
        case.peers["xplique"] = xplique_map(32)
        case.compare["xplique"] = lambda a, b: float(np.max(np.abs(a - xplique_map(ours_batch)())))
    case.notes["tf-explain"] = "grid stride = patch size, fill 127.5 inside the model's input"
    return case


def case_deletion(s: Subject, quick: bool, peers: set) -> Case:
    steps = 16
    smap = np.random.default_rng(1).uniform(size=(s.size, s.size)).astype(np.float32)
    kwargs = {} if s.name != "small_cnn" else {"preprocess": s.preprocess}

    def ours():
        _, d = helpers.deletion_curve(s.model, s.raw, smap, steps=steps, baseline=0.0, **kwargs)
        _, i = helpers.insertion_curve(s.model, s.raw, smap, steps=steps, baseline=0.0, **kwargs)
        return np.concatenate([d, i])

    case = Case("deletion_insertion", s.name, f"{s.name}, {steps} steps, baseline 0, deletion + "
                "insertion", ours)
    if "xplique" in peers:
        from xplique.metrics import Deletion, Insertion
        y = s.onehot()
        x = s.raw[None]

        def run():
            curves = []
            for metric in (Deletion, Insertion):
                m = metric(s.wrapped(), x, y, batch_size=64, baseline_mode=0.0, steps=steps)
                curve = m.detailed_evaluate(smap[None])
                curves.append(np.array([curve[k] for k in sorted(curve)], np.float64))
            return np.concatenate(curves)

        case.peers["xplique"] = run
        case.compare["xplique"] = lambda a, b: float(np.max(np.abs(a - b)))
    return case


def case_actmax(s: Subject, quick: bool, peers: set) -> Case:
    if s.name == "small_cnn":
        layer, size = "conv2", 32
    else:
        layer, size = "block3_conv3", 128
    k, steps, lr = (2, 5, 10.0) if quick else (4, 30, 10.0)
    filters = list(range(k))
    seed = helpers.settings().seed

    def ours():
        return helpers.visualize_filter(s.model, layer, filters, size=size, steps=steps, lr=lr,
                                        crop=2, progress=False)

    case = Case("activation_max", s.name, f"{s.name}, {layer}, {k} filters × {steps} steps, "
                f"{size}²", ours)
    if "tf-keras-vis" in peers:
        from tf_keras_vis.activation_maximization import ActivationMaximization
        from tf_keras_vis.activation_maximization.callbacks import Callback
        extractor = feature_extractor(s.model, layer)
        map_side = int(extractor.compute_output_shape((1, size, size, 3))[1])
        crop = max(0, min(2, (map_side - 1) // 2))
        order = _input_channels(s.model, "auto", None)

        class SGDStep:  # x ← x − lr·grad; the gradient modifier below makes it helpers' step
            def apply_gradients(self, pairs):
                for g, v in pairs:
                    v.assign_sub(lr * g)

        def score(out):
            maps = out[:, crop:-crop, crop:-crop] if crop else out
            return tf.stack([tf.reduce_mean(maps[i, ..., f]) for i, f in enumerate(filters)])

        def unit(g):
            return g / (tf.sqrt(tf.reduce_sum(tf.square(g), axis=[1, 2, 3], keepdims=True)) + 1e-8)

        am = ActivationMaximization(extractor, clone=False)
        x0 = start_images(filters, size, seed)

        def ascend(callbacks=None):
            return np.asarray(am(score, seed_input=x0, input_range=(None, None),
                                 input_modifiers=[], regularizers=[], steps=steps,
                                 optimizer=SGDStep(), gradient_modifier=unit,
                                 callbacks=callbacks))

        def picture(x):
            pictures = deprocess(x)
            return np.ascontiguousarray(pictures[..., ::-1]) if order == "bgr" else pictures

        step = _ascent_step(s.model, layer, helpers.models.identity, crop)
        ids, lr_t = tf.constant(filters, tf.int32), tf.constant(lr, tf.float32)

        def step_by_step(ours_out, theirs):
            """max over the steps of |tf-keras-vis' step − helpers' step from the same picture|."""
            trajectory = [x0]

            class Record(Callback):
                def __call__(self, i, values, *args, **kwargs):
                    trajectory.append(np.asarray(values[0]))

            ascend([Record()])
            return max(float(np.max(np.abs(step(tf.constant(before), ids, lr_t).numpy() - after)))
                       for before, after in zip(trajectory, trajectory[1:]))

        def remark(ours_out, theirs):
            moved = x0 + np.float32(1e-6) * np.random.default_rng(1).standard_normal(
                x0.shape, dtype=np.float32)
            x = tf.constant(moved)
            for _ in range(steps):
                x = step(x, ids, lr_t)
            return (f"step by step; after {steps} steps the pictures differ by "
                    f"{np.max(np.abs(ours_out - theirs)):.2f}, helpers' own by "
                    f"{np.max(np.abs(ours_out - picture(x.numpy()))):.2f} from starts 1e-6 apart")

        case.peers["tf-keras-vis"] = lambda: picture(ascend())
        case.compare["tf-keras-vis"] = step_by_step
        case.remarks["tf-keras-vis"] = remark
    return case


BUILDERS = {
    "saliency": case_saliency,
    "smoothgrad": case_smoothgrad,
    "gradcam": case_gradcam,
    "occlusion_tp": lambda s, q, p: case_occlusion(s, q, p, nbj1=False),
    "occlusion_nbj1": lambda s, q, p: case_occlusion(s, q, p, nbj1=True),
    "deletion_insertion": case_deletion,
    "activation_max": case_actmax,
}


# --------------------------------------------------------------------------- measuring
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


# A call shorter than this is timed in a loop of calls lasting about this long (per
# repeat): one call of a few milliseconds is mostly the machine's noise.
LOOP_SECONDS = 0.25


def loop_length(fn, first: float) -> int:
    """How many calls of ``fn`` one timed repeat makes: 1 for a call that takes
    ``LOOP_SECONDS`` or more, else enough to fill it (estimated on one more call when
    the first, tracing included, was short)."""
    if first >= 2.0:
        return 1
    seconds, _ = timed(fn)
    return max(1, round(LOOP_SECONDS / max(seconds, 1e-6)))


def installed_peers() -> dict[str, str]:
    """The peers importable here, with their versions."""
    from importlib.metadata import PackageNotFoundError, version
    found = {}
    for name, module in PEER_PACKAGES.items():
        try:
            __import__(module)
            found[name] = version(name.split(" ")[0])
        except (ImportError, PackageNotFoundError):
            continue
    return found


@dataclass
class Result:
    method: str
    model: str
    peer: str
    workload: str
    delta: float | None = None
    peer_time: float | None = None
    ours_time: float | None = None
    peer_first: float | None = None
    ours_first: float | None = None
    note: str = ""
    peer_rss: float | None = None
    ours_rss: float | None = None


def run_case(case: Case, repeat: int) -> list[Result]:
    log(f"{case.method} on {case.model}: first calls")
    ours_first, ours_out = timed(case.ours)
    results = []
    if case.check is not None:
        delta = case.check(ours_out)
        log(f"  helpers vs its reference: Δ {delta:.1e}")
        results.append(Result(case.method, case.model, "(helpers' own reference)", case.workload,
                              delta=delta, ours_first=ours_first))
    firsts, outs = {}, {}
    for peer, fn in case.peers.items():
        firsts[peer], outs[peer] = timed(fn)
    calls = [("ours", case.ours), *case.peers.items()]
    loops = {"ours": loop_length(case.ours, ours_first)}
    loops.update({peer: loop_length(fn, firsts[peer]) for peer, fn in case.peers.items()})
    times = {name: [] for name, _ in calls}
    for r in range(repeat):
        for name, fn in calls:
            seconds, _ = timed(lambda: [fn() for _ in range(loops[name])])
            times[name].append(seconds / loops[name])
        log(f"  run {r + 1}/{repeat}: " + ", ".join(f"{k} {v[-1]:.3f} s" for k, v in times.items()))
    ours_time = statistics.median(times["ours"])
    if not case.peers:
        results.append(Result(case.method, case.model, "—", case.workload, ours_time=ours_time,
                              ours_first=ours_first, note="; ".join(f"{k}: {v}" for k, v in case.notes.items())))
    for peer in case.peers:
        delta = case.compare[peer](ours_out, outs[peer])
        remark = case.remarks[peer](ours_out, outs[peer]) if peer in case.remarks else ""
        results.append(Result(case.method, case.model, peer, case.workload, delta=delta,
                              peer_time=statistics.median(times[peer]), ours_time=ours_time,
                              peer_first=firsts[peer], ours_first=ours_first, note=remark))
    return results


def rss_child(method: str, model: str, who: str, quick: bool) -> None:
    """In a fresh process: build the case, reset the peak after the model's load and the
    set-up, run ``who`` twice (first call included) and print the peaks."""
    peers = set() if who == "helpers" else {who}
    s = subject(model)
    case = BUILDERS[method](s, quick, peers)
    fn = case.ours if who == "helpers" else case.peers[who]
    with open("/proc/self/status") as f:
        base = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
    fn()
    fn()
    with open("/proc/self/status") as f:
        hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"peak": hwm, "base": base,
                      "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))


def measure_rss(method: str, model: str, who: str, quick: bool) -> dict | None:
    cmd = [sys.executable, "-m", "benchmarks.peers", "--rss-child", method, model, who]
    if quick:
        cmd.append("--quick")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    if proc.returncode != 0:
        log(f"  RSS child failed ({method}, {model}, {who}): {proc.stderr.strip()[-300:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report
def fmt(value, unit="s", digits=3):
    """``digits`` decimals, or that many significant digits under 0.1 (a 1 ms call)."""
    if value is None:
        return "—"
    text = f"{value:.{digits}g}" if abs(value) < 0.1 else f"{value:.{digits}f}"
    return text + (" " + unit if unit else "")


def cell(text: str) -> str:
    """Text for a markdown table cell: its ``|`` escaped (``max_c|grad|``)."""
    return text.replace("|", "\\|")


def table(results: list[Result], memory: bool) -> str:
    head = ["method", "model", "peer", "workload", "max abs Δ", "agree", "peer (s)", "helpers (s)",
            "helpers/peer time", "peer 1st (s)", "helpers 1st (s)"]
    if memory:
        head += ["peer peak RSS (GB)", "helpers peak RSS (GB)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        ratio = (f"{r.ours_time / r.peer_time:.2f}×" if r.peer_time and r.ours_time else "—")
        agree = "—" if r.delta is None else ("yes" if r.delta <= TOLERANCE else "**NO**")
        row = [r.method, r.model, r.peer + (f" ({r.note})" if r.note else ""), cell(r.workload),
               "—" if r.delta is None else f"{r.delta:.1e}", agree, fmt(r.peer_time, ""),
               fmt(r.ours_time, ""), ratio, fmt(r.peer_first, ""), fmt(r.ours_first, "")]
        if memory:
            row += [fmt(r.peer_rss, "", 2), fmt(r.ours_rss, "", 2)]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def summary(results: list[Result]) -> str:
    """One row per (method, model): the fastest peer, helpers' time over its time, and
    whether every comparison of that pair agrees."""
    lines = ["| method | model | fastest peer | peer (s) | helpers (s) | helpers / fastest peer "
             "| every comparison agrees | peak RSS helpers / that peer (GB) |",
             "|---|---|---|---|---|---:|---|---|"]
    pairs = dict.fromkeys((r.method, r.model) for r in results)
    for method, model in pairs:
        rows = [r for r in results if (r.method, r.model) == (method, model)]
        timed_rows = [r for r in rows if r.peer_time and r.ours_time]
        if not timed_rows:
            continue
        best = min(timed_rows, key=lambda r: r.peer_time)
        agree = all(r.delta is None or r.delta <= TOLERANCE for r in rows)
        memory = ("—" if best.ours_rss is None or best.peer_rss is None
                  else f"{best.ours_rss:.2f} / {best.peer_rss:.2f}")
        lines.append(f"| {method} | {model} | {best.peer} | {fmt(best.peer_time, '')} | "
                     f"{fmt(best.ours_time, '')} | {best.ours_time / best.peer_time:.2f}× | "
                     f"{'yes' if agree else '**NO**'} | {memory} |")
    return "\n".join(lines)


def load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# --------------------------------------------------------------------------- main
def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.peers",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small workloads, one repeat")
    parser.add_argument("--only", action="append", metavar="METHOD",
                        help=f"methods (repeatable or comma-separated): {', '.join(METHODS)}")
    parser.add_argument("--models", action="append", metavar="MODEL",
                        help=f"models (repeatable or comma-separated): {', '.join(MODELS)}")
    parser.add_argument("--repeat", type=int, default=None, help="timed repeats (default 3; quick 1)")
    parser.add_argument("--only-ours", action="store_true",
                        help="no peer: helpers and the alignment references only")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-RSS subprocesses")
    parser.add_argument("--out", metavar="FILE", help="also write the markdown report there")
    parser.add_argument("--rss-child", nargs=3, metavar=("METHOD", "MODEL", "WHO"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    def split(values, allowed, what):
        chosen = [v.strip() for item in values or [] for v in item.split(",") if v.strip()]
        for v in chosen:
            if v not in allowed:
                parser.error(f"unknown {what} {v!r}; choose from {', '.join(allowed)}")
        return chosen or list(allowed)

    args.only = split(args.only, METHODS, "method")
    args.models = split(args.models, MODELS, "model")
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    return args


def main(argv=None) -> int:
    args = parse(argv)
    if args.rss_child:
        rss_child(*args.rss_child, quick=args.quick)
        return 0
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = load_average()
    t0 = time.perf_counter()
    versions = {} if args.only_ours else installed_peers()
    peers = set(versions)
    log(f"peers: {versions or 'none (helpers only)'}; load average {load_start}")
    results = []
    for method in args.only:
        for model in METHOD_MODELS[method]:
            if model not in args.models:
                continue
            case = BUILDERS[method](subject(model), args.quick, peers)
            case_results = run_case(case, args.repeat)
            if not args.no_memory and (args.quick or model != "small_cnn"):
                ours = measure_rss(method, model, "helpers", args.quick)
                for r in case_results:
                    if ours:
                        r.ours_rss = (ours["peak"] - ours["base"]) / 1e9
                    if r.peer in case.peers:
                        theirs = measure_rss(method, model, r.peer, args.quick)
                        if theirs:
                            r.peer_rss = (theirs["peak"] - theirs["base"]) / 1e9
            results.extend(case_results)
    wall = time.perf_counter() - t0
    bad = [r for r in results if r.delta is not None and r.delta > TOLERANCE]
    report = "\n".join([
        "## helpers side by side with its peers" + (" (--quick)" if args.quick else ""), "",
        table(results, not args.no_memory), "",
        "Per method and model, against the fastest peer:", "", summary(results), "",
        f"- Run {started}, {wall / 60:.1f} min; load average at the start {load_start}, at the end "
        f"{load_average()} (1, 5, 15 min); machine: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, TensorFlow {tf.__version__}, "
        f"Keras {keras.__version__}, NumPy {np.__version__}, weights={os.environ['XAI_COURSE_WEIGHTS']}.",
        "- Peers: " + (", ".join(f"{k} {v}" for k, v in versions.items()) or "none (--only-ours)") + ".",
        f"- Times: medians of {args.repeat} interleaved repeats (helpers, peer, helpers, peer, ...), "
        f"the first call (tracing included) excluded and shown apart; a call under "
        f"{LOOP_SECONDS} s is timed in loops of calls lasting about {LOOP_SECONDS} s, per call. "
        "`helpers/peer time` < 1: helpers is faster.",
        "- Peak RSS: a fresh subprocess per (method, model, library) (the practicals' models; "
        "the small CNN only with --quick); the peak (VmHWM) of two calls, first included, "
        "above the RSS once the model is loaded and the case set up.",
        f"- Agreement: max abs difference after the same normalisation, ≤ {TOLERANCE:g}; "
        + (f"**{len(bad)} comparison(s) disagree**." if bad else "every comparison agrees."),
        "", "Alignments:", "",
    ] + [f"- **{m}**: {ALIGNMENTS[m]}" for m in args.only]) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(report)
        log(f"wrote {args.out}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
