"""Every method of both practicals on the bundled photos, figures written to a folder.

This is what ``make demo`` runs: a quick way for an instructor (or a maintainer after
a change) to see each method work end to end on this machine, offline if needed.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np


def run(out: Path, quick: bool = False) -> list[tuple[str, float]]:
    """Run the demonstration; returns ``(step, seconds)`` pairs and writes PNGs to ``out``."""
    import helpers
    from helpers import plots

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    timings: list[tuple[str, float]] = []

    def step(name):
        class _Timer:
            def __enter__(self):
                self.start = time.perf_counter()
                print(f"\n== {name}", flush=True)

            def __exit__(self, *exc):
                timings.append((name, time.perf_counter() - self.start))

        return _Timer()

    cfg = helpers.settings()
    print(f"weights: {cfg.weights} (XAI_COURSE_WEIGHTS), seed {cfg.seed}, quick: {quick}")

    with step("NBJ1 — MobileNetV2: top-3, occlusion, saliency, SmoothGrad"):
        mobilenet = helpers.load_model("mobilenet_v2")
        image, batch = helpers.load_image(helpers.sample_path("chelsea"), model="mobilenet_v2")
        for _, name, score in helpers.decode_predictions(helpers.predict(mobilenet, batch), top=3)[0]:
            print(f"  {name:<28} {score:.4f}")
        stride = 40 if quick else 10
        maps = {
            "occlusion": helpers.occlusion_map(mobilenet, image, patch_size=30, stride=stride),
            "saliency": helpers.saliency_map(mobilenet, batch),
            "SmoothGrad": helpers.smoothgrad(mobilenet, batch, n_samples=5 if quick else 20, noise=0.2),
        }
        plots.save(plots.show_maps(image, maps, title="NBJ1 — où regarde MobileNetV2 ?"),
                   out / "nbj1_methods.png")

    with step("TP part 1 — VGG16 architecture and filters"):
        vgg = helpers.load_model("vgg16")
        print(helpers.block_summary(vgg))
        shares = helpers.parameter_shares(vgg)
        print(f"  dense layers hold {100 * shares['dense_share']:.1f} % of the parameters, "
              f"convolutions {100 * shares['conv_share']:.1f} %")
        layers = ["block1_conv2", "block3_conv3", "block5_conv3"]
        n, steps = (4, 5) if quick else (8, 30)
        grid = np.stack([helpers.visualize_filter(vgg, name, list(range(n)), steps=steps) for name in layers])
        titles = [f"{name} (RF {helpers.receptive_field(vgg, name)} px)" for name in layers]
        plots.save(plots.show_grid(grid, row_titles=titles, title="Filtres de VGG16"),
                   out / "tp_filters.png")

    with step("TP part 2 — Grad-CAM at three depths, occlusion sensitivity"):
        path = helpers.sample_path("astronaut")
        face, batch = helpers.load_image(path, model="vgg16")
        for _, name, score in helpers.decode_predictions(helpers.predict(vgg, batch), top=5)[0]:
            print(f"  {name:<28} {score:.4f}")
        cams = {name: helpers.make_gradcam_heatmap(batch, vgg, name)
                for name in ("block3_conv3", "block4_conv3", "block5_conv3")}
        plots.save(plots.show_maps(face, cams, title="Grad-CAM à trois profondeurs"),
                   out / "tp_gradcam.png")
        stride = 42 if quick else 14
        sensitivity, base = helpers.occlusion_sensitivity(str(path), vgg, patch=25, stride=stride)
        print(f"  base score {base:.4f}; largest mean drop {sensitivity.max():.4f}")
        plots.save(plots.show_maps(face, {"sensibilité à l'occlusion": sensitivity}),
                   out / "tp_occlusion.png")

    print("\nstep                                                          seconds")
    for name, seconds in timings:
        print(f"{name:<62}{seconds:8.1f}")
    print(f"\nfigures written to {out.resolve()}")
    return timings
