"""The methods on the practicals' real architectures (random weights: shapes, ranges,
the compiled paths, memory-bounded batching). Slower tier, still in CI."""

import numpy as np
import pytest

import helpers

pytestmark = pytest.mark.slow


def test_nbj1_pipeline_on_mobilenet(mobilenet):
    image, batch = helpers.load_image(helpers.sample_path("chelsea"), model="mobilenet_v2")
    top3 = helpers.decode_predictions(helpers.predict(mobilenet, batch), top=3)[0]
    assert len(top3) == 3 and top3[0][2] >= top3[1][2] >= top3[2][2]
    occ = helpers.occlusion_map(mobilenet, image, patch_size=60, stride=40)
    sal = helpers.saliency_map(mobilenet, batch)
    smooth = helpers.smoothgrad(mobilenet, batch, n_samples=4, noise=0.2, batch_size=2)
    for m in (occ, sal, smooth):
        assert m.shape == (224, 224) and m.dtype == np.float32
        assert 0.0 <= m.min() and m.max() <= 1.0 and m.max() > 0.5
    # only the positions of the grid were occluded: the last 24-px band never was
    positions = helpers.occlusion_positions(224, 224, 60, 40)
    assert positions.max() == 160


def test_tp_pipeline_on_vgg16(vgg16):
    path = helpers.sample_path("astronaut")
    image, batch = helpers.load_image(path, model="vgg16")
    for layer, side in (("block3_conv3", 56), ("block4_conv3", 28), ("block5_conv3", 14)):
        cam = helpers.make_gradcam_heatmap(batch, vgg16, layer)
        assert cam.shape == (side, side) and cam.max() == pytest.approx(1.0, abs=1e-3) and cam.min() >= 0
    overlay = helpers.overlay_heatmap(image, cam)
    assert overlay.shape == (224, 224, 3) and overlay.dtype == np.uint8
    sens, p0 = helpers.occlusion_sensitivity(str(path), vgg16, patch=100, stride=60, batch_size=4)
    assert sens.shape == (224, 224) and 0 < p0 <= 1
    top = int(np.argmax(helpers.predict(vgg16, batch)))
    assert p0 == pytest.approx(float(helpers.predict(vgg16, batch)[0, top]), abs=1e-5)


def test_filters_on_vgg16_share_the_classifier_weights(vgg16):
    pictures = helpers.visualize_filter(vgg16, "block1_conv2", [0, 1], size=32, steps=3)
    assert pictures.shape == (2, 32, 32, 3)
    # block5 at 64×64 is a 4×4 map: the 2-pixel crop shrinks instead of emptying it
    deep = helpers.visualize_filter(vgg16, "block5_conv3", 0, size=64, steps=2)
    assert np.isfinite(deep).all() and deep.std() > 0
    assert helpers.feature_extractor(vgg16, "block1_conv2").weights[0] is vgg16.weights[0]
