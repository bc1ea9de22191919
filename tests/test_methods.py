"""Occlusion, saliency, SmoothGrad and Grad-CAM on a known-answer model, against plain
loops (the handouts' way), and for invariance and side effects."""

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers.testing import red_square_image, red_square_model, square_mask

TOP, LEFT, SIDE = 8, 12, 8


@pytest.fixture(scope="module")
def model():
    return red_square_model(32)


@pytest.fixture(scope="module")
def flexible():
    return red_square_model(None)


@pytest.fixture
def image():
    return red_square_image(32, TOP, LEFT, SIDE)


def probs(model, batch):
    return model(tf.constant(np.asarray(batch, np.float32)), training=False).numpy()


# ----------------------------------------------------------------- plain reference loops
def loop_occlusion_map(model, img, patch, stride):
    """The NBJ1 handout's algorithm, one forward per position."""
    h, w = img.shape[:2]
    base = probs(model, img[None])[0]
    c = int(np.argmax(base))
    heat = np.zeros((h, w), np.float32)
    for y in range(0, h - patch, stride):
        for x in range(0, w - patch, stride):
            occ = img.astype(np.float32).copy()
            occ[y:y + patch, x:x + patch] = 0
            heat[y:y + patch, x:x + patch] = base[c] - probs(model, occ[None])[0, c]
    return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)


def loop_occlusion_sensitivity(model, img, patch, stride):
    h, w = img.shape[:2]
    base = probs(model, img[None])[0]
    c = int(np.argmax(base))
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for y in range(0, h - patch, stride):
        for x in range(0, w - patch, stride):
            occ = img.astype(np.float32).copy()
            occ[y:y + patch, x:x + patch] = 128
            total[y:y + patch, x:x + patch] += base[c] - probs(model, occ[None])[0, c]
            count[y:y + patch, x:x + patch] += 1
    return total / np.maximum(count, 1), float(base[c])


# ----------------------------------------------------------------- occlusion
def test_occlusion_map_peaks_on_the_square(model, image):
    heat = helpers.occlusion_map(model, image, patch_size=6, stride=2)
    assert heat.shape == (32, 32) and heat.dtype == np.float32
    assert heat.min() == pytest.approx(0.0, abs=1e-6) and heat.max() == pytest.approx(1.0, abs=1e-4)
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    assert square_mask(32, TOP, LEFT, SIDE)[y, x]
    # far from the square nothing changes when occluded
    assert heat[28:, :4].max() < 0.05


def test_occlusion_map_equals_the_plain_loop(model, image):
    expected = loop_occlusion_map(model, image, 6, 3)
    got = helpers.occlusion_map(model, image, patch_size=6, stride=3)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_occlusion_sensitivity_equals_the_plain_loop(model, image):
    expected, p0 = loop_occlusion_sensitivity(model, image, 7, 3)
    got, base = helpers.occlusion_sensitivity(image, model, patch=7, stride=3)
    assert base == pytest.approx(p0, abs=1e-6)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    assert got[TOP:TOP + SIDE, LEFT:LEFT + SIDE].mean() > 5 * np.abs(got[24:, :6]).mean() + 1e-6


def test_occlusion_sensitivity_reads_a_path(tmp_path, model, image):
    import cv2

    path = tmp_path / "square.png"
    cv2.imwrite(str(path), image[..., ::-1])
    from_path, p_path = helpers.occlusion_sensitivity(str(path), model, patch=7, stride=3)
    from_array, p_array = helpers.occlusion_sensitivity(image, model, patch=7, stride=3)
    np.testing.assert_allclose(from_path, from_array, atol=1e-6)
    assert p_path == pytest.approx(p_array)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
def test_occlusion_does_not_depend_on_batch_size(model, image, batch_size):
    reference = helpers.occlusion_map(model, image, 6, 2, batch_size=64)
    np.testing.assert_allclose(helpers.occlusion_map(model, image, 6, 2, batch_size=batch_size),
                               reference, atol=1e-6)
    ref_sens, _ = helpers.occlusion_sensitivity(image, model, 6, 2, batch_size=64)
    sens, _ = helpers.occlusion_sensitivity(image, model, 6, 2, batch_size=batch_size)
    np.testing.assert_allclose(sens, ref_sens, atol=1e-6)


def test_occlusion_positions_follow_the_handout_grid():
    pos = helpers.occlusion_positions(224, 224, 30, 10)
    assert len(pos) == 400 and tuple(pos[0]) == (0, 0) and tuple(pos[1]) == (0, 10)
    assert pos[:, 0].max() == 190  # range(0, 194, 10): never 194
    assert len(helpers.occlusion_positions(224, 224, 25, 14)) == 225


def test_non_square_images_and_dtypes(flexible):
    img = red_square_image((24, 40), 4, 25, 8)
    heat = helpers.occlusion_map(flexible, img, 5, 2)
    assert heat.shape == (24, 40)
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    assert square_mask((24, 40), 4, 25, 8)[y, x]
    np.testing.assert_allclose(helpers.occlusion_map(flexible, img.astype(np.float32), 5, 2), heat, atol=1e-6)
    np.testing.assert_allclose(helpers.occlusion_map(flexible, img[None], 5, 2), heat, atol=1e-6)


def test_class_index_chooses_what_is_explained(model, image):
    # class 1 is "not red": hiding the square *raises* it, so its drop is negative there
    sens, p1 = helpers.occlusion_sensitivity(image, model, 6, 2, class_index=1)
    assert p1 == pytest.approx(probs(model, image[None])[0, 1], abs=1e-6)
    assert sens[TOP:TOP + SIDE, LEFT:LEFT + SIDE].mean() < 0


# ----------------------------------------------------------------- saliency and SmoothGrad
def test_saliency_is_nonzero_only_on_the_square(model, image):
    sal = helpers.saliency_map(model, image[None].astype(np.float32))
    mask = square_mask(32, TOP, LEFT, SIDE)
    # gradients are ~1e-5 here: the normalisation still reaches exactly 1 (no ε)
    assert sal.shape == (32, 32) and sal.max() == 1.0
    assert np.all(sal[~mask] == 0) and np.all(sal[mask] > 0.99 * sal.max())


def test_saliency_equals_a_hand_written_tape(model):
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 255, (1, 32, 32, 3)).astype(np.float32)
    img[0, 5:15, 5:15] = (255, 0, 0)
    x = tf.constant(img)
    with tf.GradientTape() as tape:
        tape.watch(x)
        p = model(x)
        score = p[0, int(np.argmax(p[0]))]
    g = np.max(np.abs(tape.gradient(score, x).numpy()[0]), axis=-1)
    expected = (g - g.min()) / (g.max() - g.min())
    np.testing.assert_allclose(helpers.saliency_map(model, img), expected, atol=1e-5)


def test_smoothgrad_without_noise_is_saliency(model, image):
    batch = image[None].astype(np.float32)
    np.testing.assert_allclose(helpers.smoothgrad(model, batch, n_samples=3, noise=0.0),
                               helpers.saliency_map(model, batch), atol=1e-6)


def test_smoothgrad_equals_a_plain_loop_and_ignores_batch_size(model, image):
    batch = image[None].astype(np.float32)
    n, noise, seed = 7, 20.0, 3
    rng = np.random.default_rng(seed)
    total = np.zeros((32, 32))
    for _ in range(n):  # one sample at a time, the clean image's class
        x = tf.constant(batch + rng.standard_normal(batch.shape, dtype=np.float32) * np.float32(noise))
        with tf.GradientTape() as tape:
            tape.watch(x)
            score = model(x)[0, 0]
        total += np.max(np.abs(tape.gradient(score, x).numpy()[0]), axis=-1)
    expected = (total / n - (total / n).min()) / ((total / n).max() - (total / n).min())
    for batch_size in (1, 3, 7):
        got = helpers.smoothgrad(model, batch, n_samples=n, noise=noise, seed=seed, batch_size=batch_size)
        np.testing.assert_allclose(got, expected, atol=1e-5)


def test_smoothgrad_is_seeded(model, image):
    batch = image[None].astype(np.float32)
    a = helpers.smoothgrad(model, batch, n_samples=4, noise=60.0, seed=1)
    assert np.array_equal(a, helpers.smoothgrad(model, batch, n_samples=4, noise=60.0, seed=1))
    assert not np.allclose(a, helpers.smoothgrad(model, batch, n_samples=4, noise=60.0, seed=2))


# ----------------------------------------------------------------- Grad-CAM
def test_gradcam_is_the_square_at_the_detector_layer(model, image):
    cam = helpers.make_gradcam_heatmap(image[None].astype(np.float32), model, "detector")
    mask = square_mask(32, TOP, LEFT, SIDE)
    assert cam.shape == (32, 32) and cam.dtype == np.float32
    np.testing.assert_allclose(cam, mask.astype(np.float32), atol=1e-4)


def test_gradcam_applies_the_relu(model, image):
    # class 1's gradient is negative on the detector: without ReLU the map would be -1 on
    # the square; with it, nothing is left.
    cam = helpers.make_gradcam_heatmap(image[None].astype(np.float32), model, "detector", pred_index=1)
    assert np.all(cam == 0)


def test_gradcam_equals_the_formula_on_a_random_cnn():
    import keras

    rng = np.random.default_rng(0)
    inputs = keras.Input((20, 20, 3))
    a = keras.layers.Conv2D(4, 3, activation="relu", name="conv_a")(inputs)
    b = keras.layers.Conv2D(5, 3, activation="relu", name="conv_b")(a)
    out = keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling2D()(b))
    net = keras.Model(inputs, out)
    net.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in net.get_weights()])
    x = rng.uniform(-1, 1, (1, 20, 20, 3)).astype(np.float32)
    for layer, cls in (("conv_a", 2), ("conv_b", None)):
        sub = keras.Model(net.inputs, [net.get_layer(layer).output, net.output])
        with tf.GradientTape() as tape:
            acts, preds = sub(tf.constant(x))
            c = int(np.argmax(preds[0])) if cls is None else cls
            score = preds[:, c]
        grads = tape.gradient(score, acts).numpy()
        cam = np.maximum((acts.numpy()[0] * grads.mean(axis=(0, 1, 2))).sum(-1), 0)
        expected = cam / cam.max()
        np.testing.assert_allclose(helpers.make_gradcam_heatmap(x, net, layer, cls), expected, atol=1e-5)


# ----------------------------------------------------------------- no side effects
def test_methods_do_not_mutate_inputs_or_model(model, image):
    img = image.copy()
    batch = image[None].astype(np.float32)
    batch_copy = batch.copy()
    weights = [w.copy() for w in model.get_weights()]
    helpers.occlusion_map(model, img, 6, 3)
    helpers.occlusion_sensitivity(img, model, 6, 3)
    helpers.saliency_map(model, batch)
    helpers.smoothgrad(model, batch, n_samples=2, noise=5.0)
    helpers.make_gradcam_heatmap(batch, model, "detector")
    helpers.visualize_filter(model, "detector", 0, size=16, steps=2)
    assert np.array_equal(img, image) and np.array_equal(batch, batch_copy)
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), weights))


def test_overlay_heatmap():
    img = np.full((40, 60, 3), 100, np.uint8)
    heat = np.zeros((4, 6), np.float32)
    heat[0, 0] = 1.0
    out = helpers.overlay_heatmap(img, heat, alpha=0.4)
    assert out.shape == (40, 60, 3) and out.dtype == np.uint8
    assert np.array_equal(helpers.overlay_heatmap(img, heat, alpha=0.0), img)
    # alpha = 1: pure JET colour map: 0 is dark blue, 1 is dark red
    pure = helpers.overlay_heatmap(img, heat, alpha=1.0)
    assert tuple(pure[39, 59]) == (0, 0, 128) and pure[0, 0, 0] > 120 and pure[0, 0, 2] == 0
    np.testing.assert_array_equal(img, np.full((40, 60, 3), 100, np.uint8))
