"""``preprocess=`` takes any Python callable on raw 0–255 batches.

A preprocessing written with NumPy cannot run inside a compiled graph: the
perturbation methods then apply it eagerly (same results as the TensorFlow version of
the same function), and the gradient methods, which must differentiate through it, say
what to write instead. Every public method that takes ``preprocess=`` is here.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers._graph import traceable
from helpers.testing import red_square_image, red_square_model


def numpy_scale(batch):
    return np.asarray(batch, np.float32) / 255.0 * 255.0  # NumPy: cannot be traced


def tf_scale(batch):
    return tf.cast(batch, tf.float32) / 255.0 * 255.0


@pytest.fixture(scope="module")
def model():
    return red_square_model(32)


@pytest.fixture(scope="module")
def image():
    return red_square_image(32, 8, 12, 8)


def test_traceable_tells_numpy_from_tensorflow():
    assert traceable(tf_scale, (8, 8, 3)) and not traceable(numpy_scale, (8, 8, 3))


@pytest.mark.parametrize("method", ["occlusion_map", "occlusion_sensitivity"])
def test_occlusion_runs_a_numpy_preprocessing_eagerly(model, image, method):
    run = getattr(helpers, method)
    args = (model, image) if method == "occlusion_map" else (image, model)
    expected = run(*args, 6, 3, preprocess=tf_scale, progress=False)
    got = run(*args, 6, 3, preprocess=numpy_scale, progress=False, batch_size=5)
    for a, b in zip(np.atleast_1d(got) if method == "occlusion_map" else got,
                    np.atleast_1d(expected) if method == "occlusion_map" else expected):
        np.testing.assert_allclose(a, b, atol=2e-5)


def test_occlusion_scores_numpy_equals_whole_passes(model, image):
    positions = helpers.occlusion_positions(32, 32, 6, 5)
    whole = helpers.occlusion.occlusion_scores(model, image, positions, 6, 0.0, preprocess=tf_scale,
                                               incremental=False, progress=False)
    eager = helpers.occlusion.occlusion_scores(model, image, positions, 6, 0.0, preprocess=numpy_scale,
                                               progress=False)
    np.testing.assert_allclose(eager, whole, atol=1e-6)
    with pytest.raises(ValueError, match="n'est pas écrit en TensorFlow"):
        helpers.occlusion.occlusion_scores(model, image, positions, 6, 0.0, preprocess=numpy_scale,
                                           incremental=True)


def test_metrics_and_masks_take_a_numpy_preprocessing(model, image):
    sal = helpers.saliency_map(model, image[None].astype(np.float32))
    for curve in (helpers.deletion_curve, helpers.insertion_curve):
        np.testing.assert_allclose(curve(model, image, sal, preprocess=numpy_scale)[1],
                                   curve(model, image, sal, preprocess=tf_scale)[1], atol=1e-6)
    table = helpers.faithfulness_table(model, image, {"s": sal}, preprocess=numpy_scale, steps=4)
    assert table.rows == helpers.faithfulness_table(model, image, {"s": sal}, preprocess=tf_scale, steps=4).rows
    face = helpers.load_image(helpers.sample_path("astronaut"), size=(32, 32))[0]
    report = helpers.mask_report(model, face, preprocess=numpy_scale, face_box=(8, 6, 16, 16))
    assert str(report) == str(helpers.mask_report(model, face, preprocess=tf_scale, face_box=(8, 6, 16, 16)))


@pytest.mark.parametrize("call", [
    lambda m, x, p: helpers.saliency_map(m, x, preprocess=p),
    lambda m, x, p: helpers.smoothgrad(m, x, n_samples=2, preprocess=p),
    lambda m, x, p: helpers.make_gradcam_heatmap(x, m, "detector", preprocess=p),
    lambda m, x, p: helpers.visualize_filter(m, "detector", 0, size=16, steps=1, preprocess=p),
], ids=["saliency_map", "smoothgrad", "make_gradcam_heatmap", "visualize_filter"])
def test_gradient_methods_say_what_to_write(model, image, call):
    x = image[None].astype(np.float32)
    assert np.all(np.isfinite(call(model, x, tf_scale)))
    with pytest.raises(TypeError, match="opérations TensorFlow.*tf.cast"):
        call(model, x, numpy_scale)
