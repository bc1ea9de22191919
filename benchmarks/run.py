"""Speed and memory of ``helpers`` against the handouts' plain loops (issue 2).

Run from the repository root::

    XAI_COURSE_WEIGHTS=random python -m benchmarks.run [--quick] [--only NAME ...]
                                                       [--repeat N] [--loop-repeat N]
                                                       [--out FILE]

Benchmarks (``--only`` names), all with seeded random weights, in one process:

``nbj1``
    NBJ1 occlusion, MobileNetV2 224², patch 30, stride 10 (400 positions): the
    handout's loop (copy, black patch, ``model.predict`` per position) vs
    ``helpers.occlusion_map`` vs the *batched forward floor* (the 400 occluded images,
    built and preprocessed beforehand, through the whole model in chunks of the same
    batch size inside one ``tf.function``). Targets: loop/helpers ≥ 8, helpers/floor
    ≤ 1.2. helpers can beat the floor: it recomputes the model's first layers only on
    a crop around each patch (``helpers._incremental``).
``tp``
    TP occlusion, VGG16, patch 25, stride 14 (225 positions, grey 128, averaged):
    loop vs ``helpers.occlusion_sensitivity`` vs floor. Targets ≥ 2.5 and ≤ 1.2.
``smoothgrad``
    SmoothGrad n=20, noise 0.2, MobileNetV2: eager loop (one GradientTape per noisy
    copy, score inside the tape) vs ``helpers.smoothgrad``. Target ≥ 10.
``filters``
    3 layers × 8 filters × 30 steps, 128², VGG16: the handout's way (a new
    ``keras.Model(inputs, layer output)`` per filter on ``helpers.conv_base(vgg)``,
    eager steps) vs ``helpers.visualize_filter(vgg, layer, range(8))`` per layer.
    Target ≥ 3.
``rss``
    Peak RSS (``ru_maxrss``) of the TP's computations in a fresh subprocess: VGG16 +
    ``occlusion_sensitivity`` + 3 Grad-CAMs + the filter grid. Target ≤ 2.5 GB. The
    peak of a naive single batch of 225 occluded images is *computed* (not run).

Every path is run once before timing (tracing, ``predict``'s compilation and
oneDNN's first-call set-up are excluded); the first call of ``helpers`` is reported
separately. Times are medians of the repeats; the helpers and floor repeats are
interleaved so that a load spike on a shared machine hits both alike.

``--quick`` shrinks every workload (fewer positions, samples, filters, steps; one
repeat) as a smoke test: its ratios are not the targets' workloads.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")
os.environ.setdefault("XAI_COURSE_LANG", "en")  # its tables go to the (English) README
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

import helpers  # noqa: E402  (quietens TensorFlow before importing it)
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from helpers.filters import start_images  # noqa: E402
from helpers.table import Table  # noqa: E402

NAMES = ("nbj1", "tp", "smoothgrad", "filters", "rss")
FILTER_LAYERS = ("block1_conv2", "block3_conv3", "block5_conv3")
GRADCAM_LAYERS = ("block3_conv3", "block4_conv3", "block5_conv3")
GB = 1e9


def default_batch(fn) -> int:
    """helpers' default ``batch_size`` of ``fn`` (the floor uses the same chunks)."""
    return int(inspect.signature(fn).parameters["batch_size"].default)


# --------------------------------------------------------------------------- workloads
@dataclass(frozen=True)
class Workload:
    """Sizes of every benchmark; ``--quick`` shrinks them."""

    nbj1_stride: int = 10
    tp_stride: int = 14
    sg_samples: int = 20
    n_filters: int = 8
    filter_steps: int = 30
    quick: bool = False

    @classmethod
    def make(cls, quick: bool) -> "Workload":
        if quick:
            return cls(nbj1_stride=40, tp_stride=40, sg_samples=10, n_filters=2,
                       filter_steps=5, quick=True)
        return cls()


@dataclass
class Row:
    """One line of the result table (times in seconds, ``None`` = not measured)."""

    name: str
    workload: str
    loop: float | None = None
    helpers: float | None = None
    first_call: float | None = None
    floor: float | None = None
    target_speedup: float | None = None
    target_floor: float | None = None
    delta: float | None = None
    repeats: str = ""


# --------------------------------------------------------------------------- utilities
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def median_times(paths: dict, repeat: int) -> dict[str, float]:
    """Median time of each path, repeats interleaved (a, b, a, b, ...)."""
    times = {name: [] for name in paths}
    for r in range(repeat):
        for name, fn in paths.items():
            seconds, _ = timed(fn)
            times[name].append(seconds)
            log(f"    {name} run {r + 1}/{repeat}: {seconds:.2f} s")
    return {name: statistics.median(ts) for name, ts in times.items()}


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def current_rss_bytes() -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux: ``/proc/self/clear_refs``, "5"), so that
    the peak of what follows can be read apart from the model's load. False if not
    possible here."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def peak_rss_bytes() -> int | None:
    """``VmHWM`` (peak RSS since start or since ``reset_peak_rss``), Linux only."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def occluded_batch(image: np.ndarray, positions, patch: int, fill: float) -> np.ndarray:
    """All occluded copies of ``image`` (raw float32), built outside any timing."""
    raw = np.repeat(image[None].astype(np.float32), len(positions), axis=0)
    for i, (y, x) in enumerate(positions):
        raw[i, y:y + patch, x:x + patch] = fill
    return raw


def forward_floor(model, preprocessed: np.ndarray, batch_size: int):
    """The batched forward floor: chunks of ``batch_size`` through one tf.function."""
    chunks = [tf.constant(preprocessed[i:i + batch_size])
              for i in range(0, len(preprocessed), batch_size)]

    @tf.function(reduce_retracing=True)
    def forward(batch):
        return model(batch, training=False)

    def run():
        return [forward(chunk).numpy() for chunk in chunks]

    def warm_up():  # trace the full-chunk and the last-chunk shapes
        for chunk in {tuple(c.shape): c for c in chunks}.values():
            forward(chunk).numpy()

    run.warm_up = warm_up
    return run


# --------------------------------------------------------------------------- benchmarks
def bench_occlusion(cfg: Workload, args, *, nbj1: bool) -> Row:
    """NBJ1 (MobileNetV2, black, overwrite) or TP (VGG16, grey, averaged) occlusion."""
    if nbj1:
        model = helpers.load_model("mobilenet_v2")
        photo, patch, stride, fill = "chelsea", 30, cfg.nbj1_stride, 0.0
        batch_size = default_batch(helpers.occlusion_map)
        handout_preprocess = keras.applications.mobilenet_v2.preprocess_input
        preprocess = helpers.preprocess_mobilenet_v2
    else:
        model = helpers.load_model("vgg16")
        photo, patch, stride, fill = "grace_hopper", 25, cfg.tp_stride, 128.0
        batch_size = default_batch(helpers.occlusion_sensitivity)
        handout_preprocess = keras.applications.vgg16.preprocess_input
        preprocess = helpers.preprocess_vgg16
    image, _ = helpers.load_image(helpers.sample_path(photo), size=(224, 224), model=None)
    height, width = image.shape[:2]
    positions = helpers.occlusion_positions(height, width, patch, stride)
    n = len(positions)

    def handout_loop():
        # The handout's code: a copy, a patch, one model.predict per position.
        img = image.astype("float32")
        base = model.predict(handout_preprocess(img.copy()[None]), verbose=0)[0]
        c = int(np.argmax(base))
        p0 = float(base[c])
        if nbj1:
            heatmap = np.zeros((height, width), np.float32)
        else:
            total = np.zeros((height, width), np.float64)
            count = np.zeros((height, width), np.float64)
        for y in range(0, height - patch, stride):
            for x in range(0, width - patch, stride):
                occluded = img.copy()
                occluded[y:y + patch, x:x + patch] = fill
                p = model.predict(handout_preprocess(occluded[None]), verbose=0)[0, c]
                if nbj1:
                    heatmap[y:y + patch, x:x + patch] = p0 - p
                else:
                    total[y:y + patch, x:x + patch] += p0 - p
                    count[y:y + patch, x:x + patch] += 1
        if nbj1:
            return (heatmap - heatmap.min()) / (heatmap.max() - heatmap.min() + 1e-8)
        count[count == 0] = 1
        return total / count

    if nbj1:
        def ours():
            return helpers.occlusion_map(model, image, patch, stride, progress=False)
    else:
        def ours():
            return helpers.occlusion_sensitivity(image, model, patch, stride, progress=False)[0]

    preprocessed = preprocess(occluded_batch(image, positions, patch, fill)).numpy()
    floor = forward_floor(model, preprocessed, batch_size)

    label = "NBJ1 occlusion" if nbj1 else "TP occlusion"
    log(f"{label}: {n} positions, warm-up")
    model.predict(handout_preprocess(image.astype("float32")[None]), verbose=0)  # loop's warm-up
    first_call, _ = timed(ours)
    floor.warm_up()
    log(f"  helpers first call {first_call:.2f} s; timing helpers and floor ×{args.repeat}")
    medians = median_times({"helpers": ours, "floor": floor}, args.repeat)
    log(f"  timing the handout loop ×{args.loop_repeat}")
    loop_times = []
    loop_map = None
    for r in range(args.loop_repeat):
        seconds, loop_map = timed(handout_loop)
        loop_times.append(seconds)
        log(f"    loop run {r + 1}/{args.loop_repeat}: {seconds:.2f} s")
    delta = float(np.max(np.abs(np.asarray(loop_map, np.float32) - ours())))
    model_name = "MobileNetV2" if nbj1 else "VGG16"
    return Row(
        name=label,
        workload=f"{model_name}, patch {patch}, stride {stride} ({n} pos.), batch {batch_size}",
        loop=statistics.median(loop_times), helpers=medians["helpers"], first_call=first_call,
        floor=medians["floor"], target_speedup=8.0 if nbj1 else 2.5, target_floor=1.2,
        delta=delta, repeats=f"loop ×{args.loop_repeat}, helpers/floor ×{args.repeat}",
    )


def bench_smoothgrad(cfg: Workload, args) -> Row:
    model = helpers.load_model("mobilenet_v2")
    _, batch = helpers.load_image(helpers.sample_path("chelsea"), size=(224, 224),
                                  model="mobilenet_v2")
    n, noise, seed = cfg.sg_samples, 0.2, helpers.settings().seed

    def handout_loop():
        # One eager GradientTape per noisy copy, the score taken inside the tape; every
        # copy explains the clean image's top class (as helpers.smoothgrad does).
        c = int(np.argmax(model(tf.constant(batch), training=False).numpy()[0]))
        rng = np.random.default_rng(seed)
        total = np.zeros(batch.shape[1:3], np.float64)
        for _ in range(n):
            noisy = batch + rng.standard_normal(batch.shape, dtype=np.float32) * np.float32(noise)
            x = tf.convert_to_tensor(noisy)
            with tf.GradientTape() as tape:
                tape.watch(x)
                preds = model(x, training=False)
                score = preds[0, c]
            grads = tape.gradient(score, x).numpy()[0]
            total += np.max(np.abs(grads), axis=-1)
        mean = total / n
        return ((mean - mean.min()) / (mean.max() - mean.min() + 1e-8)).astype(np.float32)

    def ours():
        return helpers.smoothgrad(model, batch, n, noise, progress=False)

    log(f"SmoothGrad: n={n}, warm-up")
    x = tf.constant(batch)
    with tf.GradientTape() as tape:  # the loop's warm-up: one eager forward/backward
        tape.watch(x)
        score = model(x, training=False)[0, 0]
    tape.gradient(score, x)
    first_call, _ = timed(ours)
    log(f"  helpers first call {first_call:.2f} s; timing helpers and loop ×{args.repeat}")
    medians = median_times({"helpers": ours, "loop": handout_loop}, args.repeat)
    delta = float(np.max(np.abs(handout_loop() - ours())))
    return Row(
        name="SmoothGrad",
        workload=f"MobileNetV2, n={n}, noise {noise}, batch "
                 f"{helpers.saliency.smoothgrad_batch_size(model, batch.shape[1:], n)} (auto)",
        loop=medians["loop"], helpers=medians["helpers"], first_call=first_call,
        target_speedup=10.0, delta=delta, repeats=f"loop ×{args.repeat}, helpers ×{args.repeat}",
    )


def bench_filters(cfg: Workload, args) -> Row:
    vgg = helpers.load_model("vgg16")
    size, steps, lr, crop, seed = 128, cfg.filter_steps, 10.0, 2, helpers.settings().seed
    filters = list(range(cfg.n_filters))

    def layer_output(base, layer_name):
        # ``layer.output`` is ambiguous here: the layers are shared with the 224²
        # classifier (and helpers' own sub-models), so take the tensor of *this* graph,
        # walking back from the base's output.
        tensor = base.outputs[0]
        while True:
            operation, node_index, _ = tensor._keras_history
            if operation.name == layer_name:
                return tensor
            inputs = operation._inbound_nodes[node_index].input_tensors
            if not inputs:
                raise ValueError(f"{layer_name!r} is not in {base.name}")
            tensor = inputs[0]

    def handout_submodel(layer_name):
        # The handout: keras.Model(conv_base.inputs, layer.output), on the flexible base.
        base = helpers.conv_base(vgg)
        return keras.Model(base.inputs, layer_output(base, layer_name))

    def handout_one(layer_name, f, n_steps):
        submodel = handout_submodel(layer_name)  # a new sub-model per filter
        img = tf.convert_to_tensor(start_images([f], size, seed))
        for _ in range(n_steps):
            with tf.GradientTape() as tape:
                tape.watch(img)
                activation = submodel(img)
                loss = tf.reduce_mean(activation[:, crop:-crop, crop:-crop, f])
            grads = tape.gradient(loss, img)
            # (lr·g)/‖g‖ in helpers' order: lr·(g/‖g‖) rounds differently, and 30 ascent
            # steps amplify that to visible differences (up to ~0.7 at block5_conv3).
            img = img + lr * grads / (tf.sqrt(tf.reduce_sum(tf.square(grads))) + 1e-8)
        return helpers.deprocess(img.numpy()[0])

    def handout_loop():
        return np.stack([handout_one(layer, f, steps) for layer in FILTER_LAYERS for f in filters])

    def ours():
        return np.concatenate([
            helpers.visualize_filter(vgg, layer, filters, size=size, steps=steps, lr=lr,
                                     progress=False)
            for layer in FILTER_LAYERS
        ])

    log(f"Filter grid: {len(FILTER_LAYERS)} layers × {len(filters)} filters × {steps} steps, warm-up")
    for layer in FILTER_LAYERS:  # the loop's warm-up: one eager step per layer
        handout_one(layer, 0, 1)
    first_call, _ = timed(ours)
    log(f"  helpers first call {first_call:.2f} s; timing helpers ×{args.repeat}")
    medians = median_times({"helpers": ours}, args.repeat)
    log(f"  timing the handout loop ×{args.loop_repeat}")
    loop_times = []
    loop_pictures = None
    for r in range(args.loop_repeat):
        seconds, loop_pictures = timed(handout_loop)
        loop_times.append(seconds)
        log(f"    loop run {r + 1}/{args.loop_repeat}: {seconds:.2f} s")
    again = ours()
    per_layer = np.abs(loop_pictures - again).reshape(len(FILTER_LAYERS), -1)
    delta = float(per_layer.max())
    log("  max abs Δ per layer: " + ", ".join(
        f"{layer} {d:.2g} (mean {m:.2g})"
        for layer, d, m in zip(FILTER_LAYERS, per_layer.max(axis=1), per_layer.mean(axis=1))))
    return Row(
        name="Filter grid", workload=(f"VGG16, {len(FILTER_LAYERS)} layers × {len(filters)} "
                                      f"filters × {steps} steps, {size}², "
                                      f"batch {default_batch(helpers.visualize_filter)}"),
        loop=statistics.median(loop_times), helpers=medians["helpers"], first_call=first_call,
        target_speedup=3.0, delta=delta,
        repeats=f"loop ×{args.loop_repeat}, helpers ×{args.repeat}",
    )


# --------------------------------------------------------------------------- memory
def rss_child(quick: bool) -> None:
    """Run in a fresh process: the TP's computations, printing RSS marks as JSON."""
    cfg = Workload.make(quick)
    marks = {"after_import": (max_rss_bytes(), current_rss_bytes())}
    vgg = helpers.load_model("vgg16")
    marks["vgg16_loaded"] = (max_rss_bytes(), current_rss_bytes())
    # The load's own transient peak is in ru_maxrss now; reset the peak to read the
    # computations' peak apart (ru_maxrss, read first, keeps the whole-process peak).
    marks["reset"] = reset_peak_rss()
    path = str(helpers.sample_path("grace_hopper"))
    helpers.occlusion_sensitivity(path, vgg, 25, cfg.tp_stride, progress=False)
    marks["occlusion"] = (max_rss_bytes(), current_rss_bytes())
    _, batch = helpers.load_image(path, size=(224, 224), model="vgg16")
    for layer in GRADCAM_LAYERS:
        helpers.make_gradcam_heatmap(batch, vgg, layer)
    marks["gradcam"] = (max_rss_bytes(), current_rss_bytes())
    for layer in FILTER_LAYERS:
        helpers.visualize_filter(vgg, layer, list(range(cfg.n_filters)), size=128,
                                 steps=cfg.filter_steps, progress=False)
    marks["filters"] = (max_rss_bytes(), current_rss_bytes())
    marks["computations_peak"] = peak_rss_bytes() if marks["reset"] else None
    print("RSS_JSON " + json.dumps(marks), flush=True)


def measure_rss(cfg: Workload) -> dict:
    log("Peak RSS: TP computations in a fresh subprocess")
    command = [sys.executable, "-m", "benchmarks.run", "--rss-child"] + (["--quick"] if cfg.quick else [])
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("RSS_JSON "):
            return json.loads(line[len("RSS_JSON "):])
    raise RuntimeError(f"the RSS subprocess failed (rc {done.returncode}):\n{done.stderr[-3000:]}")


def naive_batch_estimate(n_images: int) -> dict:
    """Activation bytes of VGG16 on one batch of ``n_images`` occluded images (float32).

    ``pair``: the largest input+output of one layer (the least an inference pass must
    hold at once, TensorFlow freeing each tensor after use); ``all``: every layer's
    output (what keeping the activations, e.g. under a tape, costs). The model's
    weights and the caller's input batch come on top.
    """
    vgg = helpers.load_model("vgg16")
    sizes = [int(np.prod(vgg.input_shape[1:]))]
    for layer in vgg.layers[1:]:
        sizes.append(int(np.prod(layer.output.shape[1:])))
    per_image = [s * 4 for s in sizes]
    pair = max(a + b for a, b in zip(per_image, per_image[1:]))
    weights = sum(int(np.prod(w.shape)) * 4 for w in vgg.weights)
    return {"n": n_images, "pair": pair * n_images, "all": sum(per_image) * n_images,
            "input": per_image[0] * n_images, "weights": weights}


# --------------------------------------------------------------------------- report
def fmt_s(value) -> str:
    return "—" if value is None else f"{value:.2f}"


def fmt_x(value) -> str:
    return "—" if value is None else f"{value:.2f}×"


def verdict(ok: bool, quick: bool) -> str:
    text = "yes" if ok else "**NO**"
    return text + (" (quick)" if quick else "")


def machine() -> dict:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable": usable,
            "tf": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
            "python": platform.python_version(), "weights": helpers.settings().weights,
            "load": os.getloadavg() if hasattr(os, "getloadavg") else None}


def build_table(rows: list[Row], rss: dict | None, naive: dict | None, quick: bool) -> Table:
    columns = ["benchmark", "workload", "handout loop (s)", "helpers (s)",
               "helpers 1st call (s)", "floor (s)", "loop/helpers", "helpers/floor",
               "target", "met?", "max abs Δ vs loop", "repeats (median)"]
    out = []
    for row in rows:
        speedup = row.loop / row.helpers if row.loop and row.helpers else None
        over_floor = row.helpers / row.floor if row.helpers and row.floor else None
        targets, met = [], []
        if row.target_speedup is not None and speedup is not None:
            targets.append(f"loop/helpers ≥ {row.target_speedup:g}×")
            met.append(speedup >= row.target_speedup)
        if row.target_floor is not None and over_floor is not None:
            targets.append(f"helpers/floor ≤ {row.target_floor:g}×")
            met.append(over_floor <= row.target_floor)
        met_text = ", ".join(verdict(m, quick) for m in met) or "—"
        out.append((row.name, row.workload, fmt_s(row.loop), fmt_s(row.helpers),
                    fmt_s(row.first_call), fmt_s(row.floor), fmt_x(speedup), fmt_x(over_floor),
                    "; ".join(targets) or "—", met_text,
                    "—" if row.delta is None else f"{row.delta:.2g}", row.repeats))
    if rss is not None:
        def gb(mark):
            return f"{rss[mark][0] / GB:.2f} GB"

        out.append(("RSS: import TensorFlow + helpers", "fresh subprocess, ru_maxrss", "—",
                    gb("after_import"), "—", "—", "—", "—", "—", "—", "—", "1"))
        out.append(("RSS: VGG16 loaded", "after load_model('vgg16'), ru_maxrss", "—",
                    gb("vgg16_loaded"), "—", "—", "—", "—", "—", "—", "—", "1"))
        peak = max(rss["vgg16_loaded"][0], rss["filters"][0])
        steps = "occlusion_sensitivity, 3 Grad-CAMs, filter grid"
        out.append(("RSS: TP computations (peak)", f"VGG16 load + {steps}, ru_maxrss", "—",
                    f"{peak / GB:.2f} GB", "—", "—", "—", "—", "peak ≤ 2.5 GB",
                    verdict(peak <= 2.5 * GB, quick), "—", "1"))
        if rss.get("computations_peak"):
            after = rss["computations_peak"]
            out.append(("RSS: TP computations after the load", f"{steps}; VmHWM reset "
                        "after load_model", "—", f"{after / GB:.2f} GB", "—", "—", "—", "—",
                        "(peak ≤ 2.5 GB)", verdict(after <= 2.5 * GB, quick), "—", "1"))
    if naive is not None:
        out.append((f"naive {naive['n']}-image batch (estimate, not run)",
                    "VGG16 activations, float32", f"≥ {naive['pair'] / GB:.1f} GB", "—", "—",
                    "—", "—", "—", "—", "—", "—", "—"))
    return Table(columns, out, title="helpers vs the handouts' loops")


def notes(rows, rss, naive, cfg, info, started, wall) -> list[str]:
    lines = [
        f"- Machine: {info['cpu']}, {info['cores']} cores ({info['usable']} usable), "
        f"Python {info['python']}, TensorFlow {info['tf']}, Keras {info['keras']}, "
        f"NumPy {info['numpy']}, weights={info['weights']}.",
        f"- Run {started} UTC, {wall / 60:.1f} min in all"
        + (f"; load average at the end {info['load'][0]:.2f} (1 min)" if info["load"] else "")
        + ". Times are medians of the repeats in the last column; loop and helpers/floor "
          "repeats are interleaved where there are several.",
        "- Each path ran once before timing: tracing/compilation (`tf.function`, "
        "`model.predict`'s predict function) is **excluded**. `helpers 1st call` is that "
        "warm-up call of helpers, tracing included.",
        "- `floor`: the occluded images built and preprocessed beforehand (outside the "
        "timing), run through the model in chunks of helpers' batch size inside one "
        "`tf.function` — the forward pass alone.",
        "- `max abs Δ vs loop`: largest difference between the loop's result and helpers' "
        "(maps in [0, 1] for NBJ1 and SmoothGrad, probability drops for TP, deprocessed "
        "pictures for the filters): the two compute the same thing.",
    ]
    if rss is not None:
        cur = rss["vgg16_loaded"][1]
        lines.append(
            "- RSS rows: a fresh subprocess (nothing from the timings above), "
            "`resource.getrusage(RUSAGE_SELF).ru_maxrss` after each step; "
            f"current RSS right after loading VGG16: {cur / GB:.2f} GB (its ru_maxrss, "
            f"{rss['vgg16_loaded'][0] / GB:.2f} GB, includes the load's transient)"
            if cur else "- RSS rows: a fresh subprocess, ru_maxrss after each step.")
        lines[-1] += ("; ru_maxrss after occlusion / Grad-CAM / filters: " + ", ".join(
            f"{rss[m][0] / GB:.2f}" for m in ("occlusion", "gradcam", "filters")) + " GB"
            + ("; the peak is then reset (`/proc/self/clear_refs`) right after the load, "
               "and `VmHWM` at the end gives the computations' own peak (last RSS row)."
               if rss.get("computations_peak") else "."))
    if naive is not None:
        b = default_batch(helpers.occlusion_sensitivity)
        lines.append(
            f"- Naive batch: {naive['n']} occluded 224² images in one VGG16 forward would hold "
            f"at least {naive['pair'] / GB:.1f} GB of activations at once (the largest layer "
            f"input + output, block1), {naive['all'] / GB:.1f} GB if every activation were "
            f"kept, plus the {naive['input'] / GB:.2f} GB input batch and "
            f"{naive['weights'] / GB:.2f} GB of weights. helpers chunks it (batch {b}: "
            f"{naive['pair'] * b / naive['n'] / GB:.2f} GB)."
        )
    if cfg.quick:
        lines.append("- **--quick**: shrunk workloads (see the workload column), one repeat — a "
                     "smoke test; the targets are defined on the full workloads.")
    return lines


# --------------------------------------------------------------------------- main
def parse(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="shrunk workloads, one repeat (smoke test)")
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these benchmarks (repeatable or comma-separated): {', '.join(NAMES)}")
    parser.add_argument("--repeat", type=int, default=None,
                        help="repeats of helpers/floor (and the SmoothGrad loop); median reported "
                             "(default 3, 1 with --quick)")
    parser.add_argument("--loop-repeat", type=int, default=1,
                        help="repeats of the slow handout loops: occlusion and filters (default 1)")
    parser.add_argument("--out", metavar="FILE", help="also write the markdown report there")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 1 if args.quick else 3
    if args.repeat < 1 or args.loop_repeat < 1:
        parser.error("--repeat and --loop-repeat must be >= 1")
    selected = []
    for item in args.only or []:
        for name in item.split(","):
            name = name.strip().lower()
            if name not in NAMES:
                parser.error(f"unknown benchmark {name!r}; choose from {', '.join(NAMES)}")
            selected.append(name)
    args.only = selected or list(NAMES)
    return args


def main(argv=None) -> int:
    args = parse(argv)
    cfg = Workload.make(args.quick)
    if args.rss_child:
        rss_child(args.quick)
        return 0
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M")
    t0 = time.perf_counter()
    rows, rss, naive = [], None, None
    if "rss" in args.only:  # first, so the subprocess does not compete with the timings
        rss = measure_rss(cfg)
        naive = naive_batch_estimate(len(helpers.occlusion_positions(224, 224, 25, 14)))
    if "nbj1" in args.only:
        rows.append(bench_occlusion(cfg, args, nbj1=True))
    if "tp" in args.only:
        rows.append(bench_occlusion(cfg, args, nbj1=False))
    if "smoothgrad" in args.only:
        rows.append(bench_smoothgrad(cfg, args))
    if "filters" in args.only:
        rows.append(bench_filters(cfg, args))
    wall = time.perf_counter() - t0
    info = machine()
    table = build_table(rows, rss, naive, cfg.quick)
    report = "\n".join(
        [f"## Benchmark: {table.title}" + (" (--quick)" if cfg.quick else ""), "",
         table.to_markdown(), ""] + notes(rows, rss, naive, cfg, info, started, wall)
    ) + "\n"
    print(report)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(report)
        log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
