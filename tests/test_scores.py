"""What the gradient methods explain: the class's probability or its logit, and maps
normalised without distortion.

A confident prediction saturates the softmax: ``d p / d x = p (1 - p) d z / d x``
vanishes as ``p -> 1`` while the logit's gradient does not. Known answers come from the
red-square detector, whose logits are ``(gain·r, -gain·r)`` for the red fraction ``r``.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers._graph import min_max
from helpers.targets import ClassScore, scores
from helpers.testing import red_square_image, red_square_model, square_mask

TOP, LEFT, SIDE = 8, 12, 8
LOGIT = ClassScore(score="logit")
MASK = square_mask(32, TOP, LEFT, SIDE)


@pytest.fixture(scope="module")
def image():
    return red_square_image(32, TOP, LEFT, SIDE)[None].astype(np.float32)


def confident(gain):
    """The detector, as confident as ``gain`` makes it (p(class 0) = sigmoid(2·gain·r))."""
    return red_square_model(32, gain=gain)


def random_cnn(last="dense"):
    """A seeded three-class CNN whose maps differ between probability and logit; its
    head is a softmax Dense, or a linear Dense followed by a ``Softmax`` layer."""
    rng = np.random.default_rng(0)
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    if last == "dense":
        outputs = keras.layers.Dense(3, activation="softmax", name="head")(x)
    else:
        outputs = keras.layers.Softmax()(keras.layers.Dense(3, name="head")(x))
    net = keras.Model(inputs, outputs)
    net.set_weights([rng.normal(0, 1.0, w.shape).astype(np.float32) for w in net.get_weights()])
    return net


def hand_logits(net, x):
    """The pre-softmax scores written by hand from the head's weights."""
    head = net.get_layer("head")
    features = keras.Model(net.input, head.input)(x)
    return tf.matmul(features, head.kernel) + head.bias


# ------------------------------------------------------------------------------ logits
def test_logits_are_the_pre_activation(image):
    model = confident(4.0)
    r = MASK.mean()
    np.testing.assert_allclose(scores(model, image, LOGIT), [[4 * r, -4 * r]], rtol=1e-6)
    np.testing.assert_allclose(scores(model, image), model(image).numpy(), rtol=1e-6)
    for last in ("dense", "softmax_layer"):
        net = random_cnn(last)
        x = np.random.default_rng(1).uniform(-1, 1, (2, 16, 16, 3)).astype(np.float32)
        logits = scores(net, x, LOGIT)
        np.testing.assert_allclose(logits, hand_logits(net, x), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(tf.nn.softmax(logits), net(x), rtol=1e-5, atol=1e-7)


def test_a_linear_output_is_its_own_logit():
    inputs = keras.Input((4, 4, 3))
    net = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    x = np.ones((1, 4, 4, 3), np.float32)
    np.testing.assert_allclose(scores(net, x, LOGIT), net(x), rtol=1e-6)


def test_logits_copy_and_change_nothing(image):
    model = confident(40.0)
    weights = [w.copy() for w in model.get_weights()]
    before = model(image).numpy()
    helpers.saliency_map(model, image, score="logit")
    helpers.smoothgrad(model, image, n_samples=2, noise=1.0, score="logit")
    helpers.make_gradcam_heatmap(image, model, "detector", score="logit")
    assert [w.name for w in model.layers[-1].weights] == ["kernel", "bias"]
    assert model.layers[-1].activation is keras.activations.softmax and len(model.layers) == 4
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.get_weights()))
    np.testing.assert_array_equal(model(image).numpy(), before)
    # the logits are computed with the model's own variables (no copy): change one, they follow
    detector = model.get_layer("detector")
    detector.kernel.assign(detector.kernel * 2.0)
    try:
        np.testing.assert_allclose(scores(model, image, LOGIT), [[2 * 40 * MASK.mean(), -2 * 40 * MASK.mean()]],
                                   rtol=1e-5)
    finally:
        detector.kernel.assign(detector.kernel / 2.0)


def test_unknown_scores_and_heads_are_refused(image):
    model = confident(4.0)
    with pytest.raises(ValueError, match="'probability'.*'logit'"):
        helpers.saliency_map(model, image, score="odds")
    inputs = keras.Input((4, 4, 3))
    relu_head = keras.Model(inputs, keras.layers.Dense(2, activation="relu", name="scores")(
        keras.layers.Flatten()(inputs)))
    with pytest.raises(ValueError, match="'scores'.*Dense.*relu"):
        helpers.saliency_map(relu_head, np.ones((4, 4, 3), np.float32), score="logit")


# ------------------------------------------------------------------ confident predictions
@pytest.mark.parametrize("gain", [4.0, 40.0, 400.0, 4000.0])
def test_the_logit_survives_a_confident_prediction(image, gain):
    """The logit's saliency is gain·kernel/(H·W) on the square whatever the confidence;
    the probability's shrinks like p0·p1 (= p0(1 - p0)), down to exactly 0 once p1
    underflows in float32."""
    model = confident(gain)
    p0, p1 = (float(p) for p in model(image)[0])
    logit = helpers.saliency_map(model, image, score="logit", normalize=False)
    np.testing.assert_allclose(logit[MASK], gain / 255 / MASK.size, rtol=1e-5)
    assert np.all(logit[~MASK] == 0)
    probability = helpers.saliency_map(model, image, normalize=False)
    # d p0/d z0 = p0 (1 - p0), which float32 rounds to 0 once p0 rounds to 1; d p0/d z1 = -p0 p1
    through_z0 = float(np.float32(p0) * (np.float32(1) - np.float32(p0)))
    np.testing.assert_allclose(probability[MASK], (through_z0 + p0 * p1) * gain / 255 / MASK.size, rtol=2e-3,
                               atol=1e-40)
    for score in ("probability", "logit"):
        sal = helpers.saliency_map(model, image, score=score)
        cam = helpers.make_gradcam_heatmap(image, model, "detector", score=score)
        if score == "probability" and p1 == 0.0:  # saturated in float32: nothing left to show
            assert not sal.any() and not cam.any()
        else:  # exactly the square, exactly 1, however small the raw gradients
            np.testing.assert_array_equal(sal, MASK.astype(np.float32))
            np.testing.assert_array_equal(cam, MASK.astype(np.float32))


def test_logit_methods_equal_hand_written_tapes():
    net = random_cnn()
    x = np.random.default_rng(2).uniform(-1, 1, (1, 16, 16, 3)).astype(np.float32)
    c = int(np.argmax(net(x)[0]))
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        score = hand_logits(net, xt)[0, c]
    g = np.max(np.abs(tape.gradient(score, xt).numpy()[0]), axis=-1)
    np.testing.assert_allclose(helpers.saliency_map(net, x, score="logit"), (g - g.min()) / (g.max() - g.min()),
                               atol=1e-5)
    with tf.GradientTape() as tape:
        conv = keras.Model(net.input, [net.get_layer("conv").output, net.get_layer("head").input])
        acts, features = conv(xt)
        score = (tf.matmul(features, net.get_layer("head").kernel) + net.get_layer("head").bias)[:, 1]
    grads = tape.gradient(score, acts).numpy()
    cam = np.maximum((acts.numpy()[0] * grads.mean(axis=(0, 1, 2))).sum(-1), 0)
    np.testing.assert_allclose(helpers.make_gradcam_heatmap(x, net, "conv", 1, score="logit"),
                               cam / cam.max(), atol=1e-5)
    # on three classes the probability explains something else: p_c against the others
    assert not np.allclose(helpers.saliency_map(net, x), helpers.saliency_map(net, x, score="logit"), atol=1e-3)


# ------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize("span", [1.0, 1e-3, 1e-6, 1e-9])
@pytest.mark.parametrize("offset", [0.0, 5e-7, -2.0])
def test_min_max_spans_exactly_zero_to_one(span, offset):
    values = offset + span * np.array([[0.0, 0.25], [0.5, 1.0]])
    got = min_max(values)
    assert got.dtype == np.float32 and got.min() == 0.0 and got.max() == 1.0
    np.testing.assert_allclose(got, [[0, 0.25], [0.5, 1]], atol=1e-6 if span > 1e-8 or offset == 0 else 1e-3)


def test_a_constant_map_normalises_to_zeros():
    for value in (0.0, 3.5, -1e-12):
        assert np.array_equal(min_max(np.full((3, 4), value)), np.zeros((3, 4), np.float32))


def test_the_graded_occlusion_keeps_the_statements_epsilon():
    values = np.array([0.0, 1e-8])
    np.testing.assert_allclose(min_max(values, eps=1e-8), [0.0, 0.5])


# ----------------------------------------------------------- similarity to an enrolled face
from helpers import Similarity  # noqa: E402
from helpers.testing import colour_extractor  # noqa: E402


def two_colours(size=12):
    """Green image with a red square in its top-left quarter."""
    img = np.zeros((size, size, 3), np.float32)
    img[..., 1] = 200.0
    img[:size // 2, :size // 2] = (255.0, 0.0, 0.0)
    return img


def cosine(a, b):
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_similarity_occlusion_equals_a_plain_loop():
    """Why does this face match "red"? Hiding the red square lowers the similarity to the
    enrolled red; hiding green raises it. Same drops as occluding by hand."""
    extractor, img = colour_extractor(12), two_colours(12)
    red = Similarity([255.0, 0.0, 0.0])
    sens, s0 = helpers.occlusion_sensitivity(img, extractor, 4, 2, target=red, fill=0.0)
    assert s0 == pytest.approx(cosine(img.mean(axis=(0, 1)), [1, 0, 0]), abs=1e-6)
    total, count = np.zeros((12, 12)), np.zeros((12, 12))
    for y in range(0, 12 - 4, 2):
        for x in range(0, 12 - 4, 2):
            hidden = img.copy()
            hidden[y:y + 4, x:x + 4] = 0.0
            total[y:y + 4, x:x + 4] += s0 - cosine(hidden.mean(axis=(0, 1)), [1, 0, 0])
            count[y:y + 4, x:x + 4] += 1
    np.testing.assert_allclose(sens, total / np.maximum(count, 1), atol=1e-6)
    assert sens[:4, :4].mean() > 0 > sens[8:, 8:].mean()
    # the NBJ1 definition takes the same target
    heat = helpers.occlusion_map(extractor, img.astype(np.uint8), 4, 2, target=red, preprocess=lambda b: b)
    assert heat.shape == (12, 12) and heat.max() == pytest.approx(1.0)


def test_similarity_gradients_equal_hand_written_tapes():
    """Saliency and Grad-CAM of a similarity: the cosine between the detector's map of
    the image and an enrolled map, differentiated by hand."""
    model = red_square_model(16)
    extractor = helpers.embedding_model(model, "detector")  # the detector's map, flattened
    enrolled = extractor(red_square_image(16, 2, 2, 6)[None].astype(np.float32)).numpy()[0]
    x = red_square_image(16, 4, 5, 6)[None].astype(np.float32)
    x[0, 10:14, 10:14] = (255.0, 0.0, 0.0)  # a second red patch
    target = Similarity(enrolled)
    xt = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xt)
        detector = keras.Model(model.input, model.get_layer("detector").output)
        acts = detector(xt)
        flat = tf.reshape(acts, (1, -1))
        score = tf.reduce_sum(tf.math.l2_normalize(flat, 1) * enrolled / np.linalg.norm(enrolled))
    g = np.max(np.abs(tape.gradient(score, xt).numpy()[0]), axis=-1)
    np.testing.assert_allclose(helpers.saliency_map(extractor, x, target=target, normalize=False), g,
                               rtol=1e-4, atol=1e-9)
    grads = tape.gradient(score, acts).numpy()
    cam = np.maximum((acts.numpy()[0] * grads.mean(axis=(0, 1, 2))).sum(-1), 0)
    np.testing.assert_allclose(helpers.make_gradcam_heatmap(x, extractor, "detector", target=target),
                               cam / cam.max(), atol=1e-5)
    assert helpers.targets.scores(extractor, x, target)[0, 0] == pytest.approx(float(score), abs=1e-6)


def test_targets_refuse_what_they_cannot_explain():
    extractor = colour_extractor(12)
    with pytest.raises(ValueError, match="3 valeurs par image.*en a 4"):
        helpers.saliency_map(extractor, two_colours(12), target=Similarity([1.0, 0.0, 0.0, 0.0]))
    with pytest.raises(ValueError, match="non nul"):
        Similarity(np.zeros(3))
    with pytest.raises(ValueError, match="pas les deux"):
        helpers.saliency_map(extractor, two_colours(12), 0, target=Similarity([1.0, 0.0, 0.0]))
    with pytest.raises(TypeError, match="ClassScore ou un helpers.Similarity"):
        helpers.make_gradcam_heatmap(two_colours(12)[None], red_square_model(12), "detector", target="red")
    with pytest.raises(ValueError, match="hors limites"):
        helpers.saliency_map(confident(4.0), red_square_image(32)[None], target=ClassScore(7))


def test_the_recognizer_match_explained_on_vgg16(vgg16):
    """On the TP's extractor: the target's score of a face is the recognizer's own
    similarity, and every method explains it (random weights: the mechanics only)."""
    extractor = helpers.embedding_model(vgg16)
    recognizer = helpers.FaceRecognizer(extractor, detect_faces=False)
    enrolled = helpers.load_image(helpers.sample_path("astronaut"), model="vgg16")[0]
    recognizer.register("astronaut", enrolled)
    probe_image, batch = helpers.load_image(helpers.sample_path("grace_hopper"), model="vgg16")
    target = Similarity(recognizer.enrolled_embedding("astronaut"))
    sens, s0 = helpers.occlusion_sensitivity(probe_image, extractor, 56, 56, target=target)
    assert s0 == pytest.approx(recognizer.similarities(probe_image)["astronaut"], abs=1e-4)
    cam = helpers.make_gradcam_heatmap(batch, extractor, "block5_conv3", target=target)
    assert sens.shape == (224, 224) and cam.shape == (14, 14) and cam.max() == 1.0
