"""Where the time goes: per-image costs behind the ratios of ``benchmarks.run``.

    XAI_COURSE_WEIGHTS=random python -m benchmarks.profile [--repeat N] [--only NAME]

``forward``: ms per image of MobileNetV2 and VGG16 forward passes: ``model.predict``
on one image (the handout's call), a ``tf.function`` on one image, and a
``tf.function`` on helpers' batch size. ``loop/helpers`` of an occlusion cannot
exceed (predict, batch 1) / (tf.function, batch B): that is the ceiling the batching
alone allows on this machine.

``gradient``: the same for one forward+backward (SmoothGrad): eager, ``tf.function``
batch 1, ``tf.function`` batch 10.

``xla``: the same batched forward (and the filter ascent step) compiled with
``tf.function(jit_compile=True)`` vs without: how far below the plain ``tf.function``
floor XLA can go on this CPU (helpers does not use XLA today).

``filters``: per layer, the handout's eager per-filter ascent vs
``helpers.visualize_filter`` on 8 filters, and how far the pictures differ between
helpers' batched run and helpers one filter at a time (float round-off amplified by
30 normalised ascent steps).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")
os.environ.setdefault("XAI_COURSE_LANG", "en")  # its tables go to the (English) README

import numpy as np  # noqa: E402

import helpers  # noqa: E402
import tensorflow as tf  # noqa: E402
from helpers.table import Table  # noqa: E402

from .run import FILTER_LAYERS, log  # noqa: E402


def per_image_ms(fn, n_images: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) / n_images


def interleaved(paths: dict, repeat: int) -> dict:
    """``{name: (fn, n_images)}`` -> median ms per image, the paths interleaved."""
    times = {name: [] for name in paths}
    for _ in range(repeat):
        for name, (fn, n) in paths.items():
            start = time.perf_counter()
            fn()
            times[name].append(1000 * (time.perf_counter() - start) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}


def profile_forward(repeat: int) -> Table:
    rows = []
    for name, batch_size, preprocess in (("mobilenet_v2", 32, helpers.preprocess_mobilenet_v2),
                                         ("vgg16", 16, helpers.preprocess_vgg16)):
        model = helpers.load_model(name)
        image, _ = helpers.load_image(helpers.sample_path("chelsea"), model=None)
        one = preprocess(image[None].astype(np.float32)).numpy()
        many = np.repeat(one, batch_size, axis=0)
        forward = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        one_t, many_t = tf.constant(one), tf.constant(many)
        k = 10 if name == "mobilenet_v2" else 3  # single-image calls per timing

        def predict_one():
            for _ in range(k):
                model.predict(one, verbose=0)

        def graph_one():
            for _ in range(k):
                forward(one_t).numpy()

        def graph_many():
            forward(many_t).numpy()

        def eager_one():
            for _ in range(k):
                model(one_t, training=False).numpy()

        for fn in (predict_one, graph_one, graph_many, eager_one):
            fn()  # warm-up
        log(f"forward {name}")
        ms = interleaved({"predict": (predict_one, k), "graph1": (graph_one, k),
                          "graphB": (graph_many, batch_size), "eager1": (eager_one, k)}, repeat)
        rows.append((name, f"{ms['predict']:.1f}", f"{ms['eager1']:.1f}", f"{ms['graph1']:.1f}",
                     f"{ms['graphB']:.1f}", batch_size,
                     f"{ms['predict'] / ms['graphB']:.2f}×", f"{ms['graph1'] / ms['graphB']:.2f}×",
                     f"{ms['predict'] - ms['graph1']:.1f}"))
    return Table(["model", "predict, 1 image (ms)", "eager model(x), 1 image (ms)",
                  "tf.function, 1 image (ms)", "tf.function, batch B (ms/image)", "B",
                  "ceiling loop/batched", "batching gain alone", "predict overhead (ms/call)"],
                 rows, title="Forward pass, ms per image (median)")


def profile_gradient(repeat: int) -> Table:
    model = helpers.load_model("mobilenet_v2")
    _, batch = helpers.load_image(helpers.sample_path("chelsea"), model="mobilenet_v2")
    one = tf.constant(batch)
    ten = tf.constant(np.repeat(batch, 10, axis=0))
    target = 0

    def eager(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = model(x, training=False)[:, target]
        return tape.gradient(score, x)

    graph = tf.function(eager, reduce_retracing=True)
    k = 5

    def eager_one():
        for _ in range(k):
            eager(one).numpy()

    def graph_one():
        for _ in range(k):
            graph(one).numpy()

    def graph_ten():
        graph(ten).numpy()

    for fn in (eager_one, graph_one, graph_ten):
        fn()
    log("gradient mobilenet_v2")
    ms = interleaved({"eager": (eager_one, k), "graph1": (graph_one, k), "graph10": (graph_ten, 10)},
                     repeat)
    return Table(["model", "eager tape, 1 image (ms)", "tf.function, 1 image (ms)",
                  "tf.function, batch 10 (ms/image)", "eager/graph1", "graph1/graph10",
                  "eager/graph10"],
                 [("mobilenet_v2", f"{ms['eager']:.1f}", f"{ms['graph1']:.1f}",
                   f"{ms['graph10']:.1f}", f"{ms['eager'] / ms['graph1']:.2f}×",
                   f"{ms['graph1'] / ms['graph10']:.2f}×", f"{ms['eager'] / ms['graph10']:.2f}×")],
                 title="Forward + backward (SmoothGrad), ms per image (median)")


def profile_filters(steps: int = 30, n_filters: int = 8) -> Table:
    import keras

    from helpers.filters import start_images

    vgg = helpers.load_model("vgg16")
    base = helpers.conv_base(vgg)
    seed = helpers.settings().seed
    filters = list(range(n_filters))

    def layer_output(layer_name):
        tensor = base.outputs[0]
        while True:
            operation, node_index, _ = tensor._keras_history
            if operation.name == layer_name:
                return tensor
            tensor = operation._inbound_nodes[node_index].input_tensors[0]

    def handout(layer_name, f):
        submodel = keras.Model(base.inputs, layer_output(layer_name))
        img = tf.convert_to_tensor(start_images([f], 128, seed))
        for _ in range(steps):
            with tf.GradientTape() as tape:
                tape.watch(img)
                loss = tf.reduce_mean(submodel(img)[:, 2:-2, 2:-2, f])
            grads = tape.gradient(loss, img)
            img = img + 10.0 * grads / (tf.sqrt(tf.reduce_sum(tf.square(grads))) + 1e-8)
        return helpers.deprocess(img.numpy()[0])

    rows = []
    for layer in FILTER_LAYERS:
        log(f"filters {layer}")
        helpers.visualize_filter(vgg, layer, filters, steps=1, progress=False)  # trace
        handout(layer, 0) if steps <= 1 else None
        start = time.perf_counter()
        ours = helpers.visualize_filter(vgg, layer, filters, steps=steps, progress=False)
        t_ours = time.perf_counter() - start
        start = time.perf_counter()
        theirs = np.stack([handout(layer, f) for f in filters])
        t_loop = time.perf_counter() - start
        singles = np.stack([helpers.visualize_filter(vgg, layer, f, steps=steps, progress=False)
                            for f in filters])
        rows.append((layer, f"{t_loop:.2f}", f"{t_ours:.2f}", f"{t_loop / t_ours:.2f}×",
                     f"{np.max(np.abs(theirs - ours)):.2g}",
                     f"{np.mean(np.abs(theirs - ours)):.2g}",
                     f"{np.max(np.abs(singles - ours)):.2g}",
                     f"{np.mean(np.abs(singles - ours)):.2g}"))
    return Table(["layer", "handout (s)", "helpers (s)", "loop/helpers", "max Δ loop",
                  "mean Δ loop", "max Δ helpers 1-by-1 vs batched",
                  "mean Δ helpers 1-by-1 vs batched"],
                 rows, title=f"Filter pictures, {n_filters} filters × {steps} steps, 128² (one run)")


def profile_xla(repeat: int) -> Table:
    rows = []
    for name, batch_size, preprocess in (("mobilenet_v2", 32, helpers.preprocess_mobilenet_v2),
                                         ("mobilenet_v2", 64, helpers.preprocess_mobilenet_v2),
                                         ("vgg16", 16, helpers.preprocess_vgg16)):
        model = helpers.load_model(name)
        image, _ = helpers.load_image(helpers.sample_path("chelsea"), model=None)
        many = tf.constant(np.repeat(preprocess(image[None].astype(np.float32)).numpy(),
                                     batch_size, axis=0))
        plain = tf.function(lambda x: model(x, training=False))
        xla = tf.function(lambda x: model(x, training=False), jit_compile=True)
        plain(many).numpy()
        start = time.perf_counter()
        xla(many).numpy()
        compile_s = time.perf_counter() - start
        log(f"xla forward {name} batch {batch_size}")
        ms = interleaved({"plain": (lambda: plain(many).numpy(), batch_size),
                          "xla": (lambda: xla(many).numpy(), batch_size)}, repeat)
        diff = float(np.max(np.abs(plain(many).numpy() - xla(many).numpy())))
        rows.append((f"{name} forward", batch_size, f"{ms['plain']:.1f}", f"{ms['xla']:.1f}",
                     f"{ms['plain'] / ms['xla']:.2f}×", f"{compile_s:.1f}", f"{diff:.2g}"))
    vgg = helpers.load_model("vgg16")
    from helpers.filters import start_images

    for layer in ("block3_conv3", "block5_conv3"):
        extractor = helpers.feature_extractor(vgg, layer)

        def step(images, filters):
            with tf.GradientTape() as tape:
                tape.watch(images)
                acts = extractor(images, training=False)[:, 2:-2, 2:-2, :]
                loss = tf.reduce_sum(tf.reduce_mean(
                    tf.gather(acts, filters, axis=3, batch_dims=1), axis=[1, 2]))
            grads = tape.gradient(loss, images)
            norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3], keepdims=True))
            return images + 10.0 * grads / (norms + 1e-8)

        plain, xla = tf.function(step), tf.function(step, jit_compile=True)
        x = tf.constant(start_images(range(8), 128, 42))
        f = tf.constant(list(range(8)), tf.int32)
        plain(x, f).numpy()
        start = time.perf_counter()
        xla(x, f).numpy()
        compile_s = time.perf_counter() - start
        log(f"xla ascent step {layer}")
        ms = interleaved({"plain": (lambda: plain(x, f).numpy(), 8),
                          "xla": (lambda: xla(x, f).numpy(), 8)}, repeat)
        diff = float(np.max(np.abs(plain(x, f).numpy() - xla(x, f).numpy())))
        rows.append((f"VGG16 ascent step {layer}, 128²", 8, f"{ms['plain']:.1f}",
                     f"{ms['xla']:.1f}", f"{ms['plain'] / ms['xla']:.2f}×", f"{compile_s:.1f}",
                     f"{diff:.2g}"))
    return Table(["computation", "batch", "tf.function (ms/image)", "jit_compile=True (ms/image)",
                  "XLA gain", "XLA compile (s)", "max abs Δ"], rows,
                 title="XLA vs plain tf.function, ms per image (median)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("forward", "gradient", "xla", "filters"), action="append")
    args = parser.parse_args(argv)
    only = args.only or ["forward", "gradient", "xla", "filters"]
    tables = []
    if "forward" in only:
        tables.append(profile_forward(args.repeat))
    if "gradient" in only:
        tables.append(profile_gradient(args.repeat))
    if "xla" in only:
        tables.append(profile_xla(args.repeat))
    if "filters" in only:
        tables.append(profile_filters())
    for table in tables:
        print(f"\n### {table.title}\n\n{table.to_markdown()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
