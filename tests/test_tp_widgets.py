"""The TP VGG16 panels, without a browser: set a widget's ``.value`` (or click) as the
browser would, then check the state against the ``helpers`` function called with the same
arguments, and that the picture (PNG bytes) changed. Known-answer models throughout
(red-square detector, a 2-layer CNN, a block-means face extractor); VGG16 in one test."""

import datetime as dt

import cv2
import keras
import numpy as np
import pytest

import helpers
from helpers import anonymisation as anon
from helpers import widgets as W
from helpers.images import resize
from helpers.recognizer import FaceRecognizer
from helpers.testing import red_square_image, red_square_model, square_mask

SIZE, TOP, LEFT, SIDE = 32, 8, 12, 8


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def detector():
    return red_square_model(SIZE)


@pytest.fixture
def square():
    return red_square_image(SIZE, TOP, LEFT, SIDE)


@pytest.fixture(scope="module")
def two_convs():
    """Flexible-size CNN, seeded: conv1 has 4 filters, conv2 has 6."""
    rng = np.random.default_rng(5)
    inputs = keras.Input((None, None, 3))
    c1 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")
    c2 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2")
    model = keras.Model(inputs, c2(c1(inputs)), name="two_convs")
    c1.set_weights([rng.normal(0, 0.005, (3, 3, 3, 4)).astype("float32"), np.zeros(4, "float32")])
    c2.set_weights([rng.normal(0, 0.5, (3, 3, 4, 6)).astype("float32"), np.full(6, 0.1, "float32")])
    return model


@pytest.fixture(scope="module")
def tiny_imagenet():
    """32×32 → 1000 softmax outputs (seeded): a cheap stand-in for VGG16's classifier."""
    rng = np.random.default_rng(3)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Flatten()(keras.layers.AveragePooling2D(4)(inputs))
    dense = keras.layers.Dense(1000, activation="softmax")
    model = keras.Model(inputs, dense(x), name="tiny")
    dense.set_weights([rng.standard_normal((192, 1000)).astype("float32") * 0.02,
                       np.zeros(1000, "float32")])
    return model


@pytest.fixture(scope="module")
def block_means():
    """Known-answer face extractor: 32×32 → mean of each 8×8 block (48 dims)."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.AveragePooling2D(8)(inputs)
    return keras.Model(inputs, keras.layers.Flatten()(x), name="tiny_block_means")


def unit_preprocess(batch):
    return np.asarray(batch, np.float32) / 127.5 - 1.0


def make_recognizer(extractor, threshold=0.8, detect_faces=False):
    return FaceRecognizer(extractor, threshold, preprocess=unit_preprocess,
                          detect_faces=detect_faces)


@pytest.fixture(scope="module")
def portrait():
    return helpers.read_image(helpers.sample_path("grace_hopper"))


def png(panel) -> bytes:
    return bytes(panel.picture.value)


def upload_value(name, content):
    return ({"name": name, "type": "image/png", "size": len(content),
             "content": memoryview(content),
             "last_modified": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)},)


def encode_png(rgb):
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buffer.tobytes()


def person(seed, size=96):
    """A synthetic 'face': a 4×4 layout of random colours (survives resizing)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (4, 4, 3)).astype(np.uint8)
    return cv2.resize(coarse, (size, size), interpolation=cv2.INTER_NEAREST)


def same(a, b):
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


# --------------------------------------------------------------------------- Grad-CAM
def test_gradcam_panel_peaks_on_the_square_and_follows_alpha(detector, square):
    panel = W.gradcam_panel(detector, square)
    state = panel.state
    assert panel.layer.options == tuple(helpers.conv_layer_names(detector)) == ("detector",)
    assert panel.layer.value == "detector" and state.class_index == 0
    heat = state.maps["gradcam"]
    same(heat, helpers.make_gradcam_heatmap(square[None].astype("float32"), detector, "detector", 0))
    np.testing.assert_array_equal(heat > 0.5, square_mask(SIZE, TOP, LEFT, SIDE))  # known answer
    assert state.params["gradcam"] == {"layer": "detector"}
    assert png(panel).startswith(b"\x89PNG") and "Grad-CAM :" in panel.status.value

    before, kept = png(panel), state.maps["gradcam"]
    panel.alpha.value = 0.9  # redraws only: same map, another overlay
    assert state.maps["gradcam"] is kept and png(panel) != before
    fig = W.render_gradcam(state, 0.9)
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in axes] == [
        "image", "Grad-CAM detector (32×32)", "superposition (α = 0,90)"]
    overlay = axes[2].get_images()[0].get_array()
    np.testing.assert_array_equal(overlay, helpers.overlay_heatmap(state.image, heat, 0.9))


def test_gradcam_layer_and_class_choosers_recompute(two_convs):
    inputs = keras.Input((16, 16, 3))  # two_convs' weights, a fixed size, a 3-class head
    c1 = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv1")
    c2 = keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv2")
    head = keras.layers.Dense(3, activation="softmax", name="predictions")
    model = keras.Model(inputs, head(keras.layers.GlobalAveragePooling2D()(c2(c1(inputs)))),
                        name="cnn3")
    c1.set_weights(two_convs.get_layer("conv1").get_weights())
    c2.set_weights(two_convs.get_layer("conv2").get_weights())
    head.set_weights([np.random.default_rng(1).normal(0, 0.5, (6, 3)).astype("float32"),
                      np.zeros(3, "float32")])
    picture = np.random.default_rng(2).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    panel = W.gradcam_panel(model, picture)
    state, batch = panel.state, picture[None].astype("float32")
    assert panel.layer.options == ("conv1", "conv2") and panel.layer.value == "conv2"
    before_png, before = png(panel), state.maps["gradcam"]

    panel.layer.value = "conv1"
    same(state.maps["gradcam"], helpers.make_gradcam_heatmap(batch, model, "conv1", state.class_index))
    assert not np.allclose(state.maps["gradcam"], before) and png(panel) != before_png

    order = np.argsort(-model(batch).numpy()[0])
    assert [v for _, v in panel.class_picker.options] == list(order)
    before_png, before = png(panel), state.maps["gradcam"]
    panel.class_picker.value = int(order[-1])
    assert state.class_index == int(order[-1])
    same(state.maps["gradcam"], helpers.make_gradcam_heatmap(batch, model, "conv1", int(order[-1])))
    assert not np.allclose(state.maps["gradcam"], before) and png(panel) != before_png


def test_gradcam_panel_rejects_an_unknown_layer(detector, square):
    with pytest.raises(ValueError, match=r"pas de couche de convolution 'block5_conv3'.*'detector'"):
        W.gradcam_panel(detector, square, layer="block5_conv3")


# --------------------------------------------------------------------------- occlusion
def test_tp_occlusion_uses_sensitivity_with_the_sliders(detector, square):
    panel = W.occlusion_panel(detector, square, occlusion="sensitivity")
    before_png, before = png(panel), panel.state.maps["occlusion"]
    panel.patch.value = 6
    panel.stride.value = 2
    expected, _ = helpers.occlusion_sensitivity(square, detector, 6, 2)
    same(panel.state.maps["occlusion"], expected)
    assert not np.allclose(expected, before) and png(panel) != before_png
    assert square_mask(SIZE, TOP, LEFT, SIDE)[np.unravel_index(np.argmax(expected), expected.shape)]


# --------------------------------------------------------------------------- filters
def test_filter_panel_bounds_the_index_by_the_layer(two_convs, monkeypatch):
    monkeypatch.setenv("XAI_COURSE_QUICK", "1")
    panel = W.filter_panel(two_convs)
    state = panel.state
    assert state.size == 64 and panel.steps.value == 10
    assert panel.layer.options == ("conv1", "conv2") and panel.layer.value == "conv2"
    assert (panel.filter_index.min, panel.filter_index.max) == (0, 5)
    same(state.picture, helpers.visualize_filter(two_convs, "conv2", 0, size=64, steps=10))

    before = png(panel)
    panel.filter_index.value = 5
    same(state.picture, helpers.visualize_filter(two_convs, "conv2", 5, size=64, steps=10))
    assert png(panel) != before

    panel.layer.value = "conv1"  # 4 filters: the index is clamped to 3
    assert panel.filter_index.max == 3 and panel.filter_index.value == 3
    assert (state.layer, state.filter_index) == ("conv1", 3)
    same(state.picture, helpers.visualize_filter(two_convs, "conv1", 3, size=64, steps=10))

    before = png(panel)
    panel.steps.value = 3
    same(state.picture, helpers.visualize_filter(two_convs, "conv1", 3, size=64, steps=3))
    assert png(panel) != before and "conv1 : 4 filtres" in panel.status.value
    with pytest.raises(ValueError, match="4 filtres"):
        W.compute_filter(state, "conv1", 4, 3)


def test_filter_default_size_is_128_outside_quick(two_convs, monkeypatch):
    monkeypatch.setenv("XAI_COURSE_QUICK", "0")
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    state = W.make_filter_state(two_convs)
    assert (state.size, state.steps) == (128, 30)


# --------------------------------------------------------------------------- anonymisation
def test_anonymisation_panel_matches_mask_and_recognizer(tiny_imagenet, block_means, portrait):
    recognizer = make_recognizer(block_means, threshold=0.95)
    recognizer.register("Grace Hopper", portrait)
    panel = W.anonymisation_panel(tiny_imagenet, recognizer, "grace_hopper")
    state = panel.state
    regions = anon.mask_regions(portrait)
    assert regions.source == helpers.faces.SOURCE_FACE
    assert state.verdict == ("Grace Hopper", pytest.approx(1.0, abs=1e-5), "identified")

    def check(mask_type, sigma=None):
        masked = anon.apply_mask(portrait, mask_type, blur_sigma=sigma, regions=regions)
        np.testing.assert_array_equal(state.masked, masked)
        probs = helpers.predict(tiny_imagenet, resize(masked, (32, 32))[None].astype("float32"))[0]
        np.testing.assert_allclose(state.masked_probabilities, probs, atol=1e-6)
        name, sim, status = recognizer.identify(masked)
        assert state.masked_verdict == (name, pytest.approx(sim, abs=1e-6), status)
        c = state.class_index
        assert state.drop == pytest.approx(state.probabilities[c] - probs[c], abs=1e-6)
        return sim, status

    assert panel.mask_type.value == "yeux" and panel.blur.disabled
    sim_eyes, _ = check("yeux")
    before = png(panel)
    panel.mask_type.value = "visage_complet"
    sim_face, status = check("visage_complet")
    assert png(panel) != before and sim_face < sim_eyes < 1.0
    assert status == "rejected" and "rejeté" in panel.summary.value
    assert "Classe ImageNet" in panel.summary.value and "chute" in panel.summary.value

    panel.mask_type.value = "flou_gaussien"
    assert not panel.blur.disabled
    assert panel.blur.value == pytest.approx(W.default_blur_sigma(state), abs=0.25)
    before = png(panel)
    panel.blur.value = 20.0
    assert state.blur_sigma == 20.0
    check("flou_gaussien", 20.0)
    assert png(panel) != before
    np.testing.assert_array_equal(recognizer.names, ["Grace Hopper"])  # not changed


def test_anonymisation_panel_agrees_with_mask_report(tiny_imagenet, block_means, portrait):
    recognizer = make_recognizer(block_means, threshold=0.95)
    recognizer.register("Grace Hopper", portrait)
    state = W.make_mask_state(tiny_imagenet, recognizer, portrait)
    rows = anon.mask_report(tiny_imagenet, portrait, recognizer=recognizer).as_dicts()
    for row in rows[1:]:
        W.compute_mask(state, row["mask"])
        assert state.drop == pytest.approx(row["drop"], abs=1e-5)
        assert state.masked_verdict[1] == pytest.approx(row["similarity"], abs=1e-5)
        assert (state.masked_verdict[2] == "identified") == row["identified"]


def test_anonymisation_verdict_without_face_is_french(tiny_imagenet, block_means, portrait):
    recognizer = make_recognizer(block_means, detect_faces=True)
    recognizer.register("Grace Hopper", portrait)
    state = W.make_mask_state(tiny_imagenet, recognizer, "chelsea")  # a cat: no face
    W.compute_mask(state, "yeux")
    assert state.masked_verdict[2] == W.NO_FACE
    assert "aucun visage trouvé" in W.mask_summary(state)
    assert W.mask_summary(state).startswith("Classe ImageNet : ")


# --------------------------------------------------------------------------- recognizer
def test_threshold_slider_and_enrolment(block_means, portrait):
    recognizer = make_recognizer(block_means, threshold=0.5)
    alice, bob = person(1), person(9)  # cosine of their embeddings ≈ 0.22
    recognizer.register("Alice", alice)
    panel = W.recognizer_panel(recognizer, bob)
    state = panel.state
    name, sim, status = recognizer.identify(bob)
    assert 0.0 < sim < 0.99
    assert state.result == (name, pytest.approx(sim, abs=1e-6), status)

    before = png(panel)
    panel.threshold.value = round(sim - 0.01, 2)  # below: identified as Alice
    assert state.result[0] == "Alice" and state.result[2] == "identified"
    assert panel.result.value.startswith("identifié : Alice (similarité")
    assert png(panel) != before
    panel.threshold.value = round(sim + 0.01, 2)  # above: rejected
    assert state.result[0] is None and state.result[2] == "rejected"
    assert panel.result.value.startswith("rejeté (meilleure similarité")
    assert recognizer.threshold == 0.5  # the caller's threshold is untouched

    panel.upload.value = upload_value("moi.png", encode_png(bob))  # upload your own face
    key = "moi.png" + W.UPLOAD_SUFFIX
    assert state.image_name == panel.image_picker.value == key and panel.upload.value == ()
    panel.name.value = "Bob"
    panel.enrol.click()
    assert panel.message.value == "" and recognizer.names == ["Alice", "Bob"]
    assert state.result[0] == "Bob" and state.result[1] == pytest.approx(1.0, abs=1e-5)
    assert "2 personne(s)" in panel.status.value

    panel.enrol.click()  # the same name again: French message, nothing enrolled
    assert "« Bob » est déjà enregistré" in panel.message.value
    panel.name.value = "   "
    panel.enrol.click()
    assert "Donnez un nom" in panel.message.value and len(recognizer) == 2


def test_nobody_enrolled_is_said_in_french(block_means):
    panel = W.recognizer_panel(make_recognizer(block_means), person(3))
    assert panel.state.result == (None, 0.0, "nobody enrolled")
    assert panel.result.value == "personne n'est enregistré"


@pytest.mark.parametrize("name, content, text", [
    ("notes.txt", b"pas une photo", "« notes.txt » n'est pas une image lisible"),
    ("vide.png", b"", "« vide.png » est vide"),
    ("chat.png", None, "Aucun visage trouvé"),
])
def test_bad_or_faceless_uploads_show_french_messages(block_means, portrait, name, content, text):
    recognizer = make_recognizer(block_means, detect_faces=True)
    recognizer.register("Grace Hopper", portrait)
    panel = W.recognizer_panel(recognizer)
    state = panel.state
    assert state.image_name == "grace_hopper" and state.result[2] == "identified"
    before = (state.image_name, state.result, png(panel))
    if content is None:  # a real photo without a face
        content = encode_png(helpers.read_image(helpers.sample_path("chelsea")))
    panel.upload.value = upload_value(name, content)  # must not raise
    assert text in panel.message.value
    assert (state.image_name, state.result, png(panel)) == before
    assert panel.image_picker.value == "grace_hopper"
    assert name + W.UPLOAD_SUFFIX not in panel.image_picker.options
    assert name + W.UPLOAD_SUFFIX not in state.image_keys()  # not offered later either

    panel.image_picker.value = "chelsea"  # a bundled photo without a face, too
    assert "Aucun visage trouvé" in panel.message.value and state.image_name == "grace_hopper"
    assert panel.image_picker.value == "grace_hopper"


# --------------------------------------------------------------------------- VGG16
@pytest.mark.slow
def test_tp_panel_on_vgg16(vgg16, monkeypatch):
    monkeypatch.setenv("XAI_COURSE_QUICK", "1")
    tab = W.tp_panel(vgg16)
    assert tab.titles == W.TP_TABS
    grad, occ, filt, anonym, recog = tab.children
    assert grad.layer.value == "block5_conv3"
    assert grad.layer.options == tuple(helpers.conv_layer_names(vgg16))
    state = grad.state
    same(state.maps["gradcam"], helpers.make_gradcam_heatmap(state.batch, vgg16, "block5_conv3"))
    assert state.maps["gradcam"].shape == (14, 14) and len(grad.class_picker.options) == 5
    grad.layer.value = "block4_conv3"
    assert state.maps["gradcam"].shape == (28, 28)
    assert not filt.computed and filt.state.picture is None and not occ.state.maps

    tab.selected_index = 2  # the filter tab computes when first shown
    assert filt.state.picture.shape == (64, 64, 3) and filt.state.layer == "block3_conv3"
    assert filt.filter_index.max == 255
    tab.selected_index = 4
    assert recog.state.result == (None, 0.0, "nobody enrolled") and grad.message.value == ""
