"""The interactive panels, without a browser: set a widget's ``.value`` as the browser
would, then check what was computed (against the ``helpers`` method called with the same
arguments) and that what is drawn (the PNG bytes of the picture) changed."""

import datetime as dt

import cv2
import keras
import ipywidgets
import numpy as np
import pytest
from matplotlib.figure import Figure

import helpers
from helpers import widgets as W
from helpers.images import resize
from helpers.testing import red_square_image, red_square_model, square_mask

SIZE, TOP, LEFT, SIDE = 32, 8, 12, 8


@pytest.fixture(scope="module")
def model():
    return red_square_model(SIZE)


@pytest.fixture(scope="module")
def three_classes():
    """A small 3-class classifier (fixed weights), where each class has its own gradient
    (the red-square model's two softmax classes share |gradient|)."""
    rng = np.random.default_rng(7)
    inputs = keras.Input((16, 16, 3))
    conv = keras.layers.Conv2D(4, 3, padding="same", activation="relu")
    dense = keras.layers.Dense(3, activation="softmax")
    outputs = dense(keras.layers.GlobalAveragePooling2D()(conv(inputs)))
    net = keras.Model(inputs, outputs, name="three_classes")
    conv.set_weights([rng.normal(0, 0.01, (3, 3, 3, 4)).astype(np.float32), np.zeros(4, np.float32)])
    dense.set_weights([rng.normal(0, 1.0, (4, 3)).astype(np.float32), np.zeros(3, np.float32)])
    return net


@pytest.fixture
def image():
    return red_square_image(SIZE, TOP, LEFT, SIDE)


@pytest.fixture
def panel(model, image):
    return W.nbj1_panel(model, image)


def png(panel) -> bytes:
    return bytes(panel.picture.value)


def upload_value(name: str, content: bytes):
    """What ipywidgets 8's FileUpload holds after the browser sent one file."""
    return ({"name": name, "type": "image/png", "size": len(content),
             "content": memoryview(content),
             "last_modified": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)},)


def encode_png(rgb: np.ndarray) -> bytes:
    ok, buffer = cv2.imencode(".png", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    assert ok
    return buffer.tobytes()


def same(a, b):
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def raw(image):
    return image[None].astype(np.float32)  # the red-square model takes raw pixels


# ----------------------------------------------------------------------- the first view
def test_panel_starts_with_every_map_of_the_top_class(panel, model, image):
    state = panel.state
    p = panel.params()
    assert (p["patch"], p["stride"], p["n_samples"]) == (4, 3, 10)  # 30/20 scaled to 32 px
    assert state.class_index == int(np.argmax(model(raw(image)).numpy()[0])) == 0
    assert list(state.maps) == ["occlusion", "saliency", "smoothgrad"]
    same(state.maps["occlusion"], helpers.occlusion_map(model, image, p["patch"], p["stride"]))
    same(state.maps["saliency"], helpers.saliency_map(model, raw(image)))
    same(state.maps["smoothgrad"], helpers.smoothgrad(model, raw(image), p["n_samples"], p["noise"]))
    occ = state.maps["occlusion"]
    assert square_mask(SIZE, TOP, LEFT, SIDE)[np.unravel_index(np.argmax(occ), occ.shape)]
    assert png(panel).startswith(b"\x89PNG") and len(png(panel)) > 1000
    assert "occlusion :" in panel.status.value and "SmoothGrad :" in panel.status.value
    assert panel.message.value == ""


def test_render_draws_the_stored_maps_in_order(panel):
    fig = W.render(panel.state)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles[:4] == ["image", "Occlusion", "Saillance", "SmoothGrad"]
    assert "classe 0 (p=0,6" in fig._suptitle.get_text()
    panel.state.maps.pop("saliency")
    titles = [ax.get_title() for ax in W.render(panel.state).axes if ax.get_title()]
    assert "Saillance" not in titles and "Occlusion" in titles


# ----------------------------------------------------------------------- sliders
def test_patch_and_stride_sliders_rerun_occlusion_only(panel, model, image):
    state = panel.state
    before_png, before_map, saliency = png(panel), state.maps["occlusion"], state.maps["saliency"]
    panel.patch.value = 6
    assert state.params["occlusion"] == {"patch": 6, "stride": 3}
    same(state.maps["occlusion"], helpers.occlusion_map(model, image, 6, 3))
    assert not np.allclose(state.maps["occlusion"], before_map)
    assert png(panel) != before_png
    assert state.maps["saliency"] is saliency  # the other methods were not re-run

    before_png, before_map = png(panel), state.maps["occlusion"]
    panel.stride.value = 5
    same(state.maps["occlusion"], helpers.occlusion_map(model, image, 6, 5))
    assert not np.allclose(state.maps["occlusion"], before_map)
    assert png(panel) != before_png
    assert "(36 positions)" in panel.status.value  # range(0, 26, 5) has 6 values


def test_noise_and_samples_sliders_rerun_smoothgrad(panel, model, image):
    state = panel.state
    before_png, before_map, occlusion = png(panel), state.maps["smoothgrad"], state.maps["occlusion"]
    panel.samples.value = 3
    same(state.maps["smoothgrad"], helpers.smoothgrad(model, raw(image), 3, panel.noise.value))
    assert not np.allclose(state.maps["smoothgrad"], before_map)
    assert png(panel) != before_png

    before_png, before_map = png(panel), state.maps["smoothgrad"]
    panel.noise.value = 63.75
    assert state.params["smoothgrad"] == {"n_samples": 3, "noise": 63.75}
    same(state.maps["smoothgrad"], helpers.smoothgrad(model, raw(image), 3, 63.75))
    assert not np.allclose(state.maps["smoothgrad"], before_map)
    assert png(panel) != before_png
    assert state.maps["occlusion"] is occlusion


def test_default_noise_is_in_the_models_units():
    assert W.noise_scale(helpers.preprocess_mobilenet_v2) == pytest.approx(1.0)
    assert W.noise_scale(helpers.preprocess_vgg16) == pytest.approx(127.5)
    assert W.default_params((224, 224), quick=False, scale=1.0) == {
        "patch": 30, "stride": 20, "n_samples": 10, "noise": pytest.approx(0.2)}


def test_quick_setting_shrinks_the_defaults(monkeypatch, model, image):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("XAI_COURSE_QUICK", "0")
    full = W.default_params((224, 224))
    monkeypatch.setenv("XAI_COURSE_QUICK", "1")
    quick = W.default_params((224, 224))
    n_positions = [len(helpers.occlusion_positions(224, 224, p["patch"], p["stride"]))
                   for p in (full, quick)]
    assert n_positions == [100, 25]
    assert quick["n_samples"] < full["n_samples"] == 10
    assert W.nbj1_panel(model, image).samples.value == quick["n_samples"]


def test_panels_are_not_built_while_nbgrader_grades(monkeypatch, model, image):
    """Under nbgrader nobody sees a panel: a line of text, nothing computed."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    calls = []
    monkeypatch.setattr(W, "make_state", lambda *a, **k: calls.append(a))
    for panel in (W.nbj1_panel(model, image), W.tp_panel(model, image=image)):
        assert isinstance(panel, ipywidgets.HTML) and "notation automatique" in panel.value
    assert calls == []


# ----------------------------------------------------------------------- classes
def test_top_classes_never_exceed_the_model_outputs(panel, model, image):
    probs = model(raw(image)).numpy()[0]
    rows = W.top_classes(panel.state, k=5)
    assert [r[0] for r in rows] == [0, 1]
    assert [r[1] for r in rows] == ["classe 0", "classe 1"]
    np.testing.assert_allclose([r[2] for r in rows], probs[[0, 1]], rtol=1e-6)
    assert panel.class_picker.options == tuple(
        (f"classe {i} (p={probs[i]:.3f})".replace(".", ","), i) for i in (0, 1))  # French decimals
    assert len(W.top_classes(panel.state, k=1)) == 1
    with pytest.raises(ValueError):
        W.top_classes(panel.state, k=0)


def test_class_chooser_sets_the_class_of_all_three_methods(three_classes):
    rng = np.random.default_rng(3)
    picture = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    panel = W.nbj1_panel(three_classes, picture)
    state, p = panel.state, panel.params()
    order = np.argsort(-three_classes(raw(picture)).numpy()[0])
    assert [value for _, value in panel.class_picker.options] == list(order)  # 3 ≤ top 5
    chosen = int(order[-1])  # the least likely class
    before = {k: v for k, v in state.maps.items()}
    before_png = png(panel)

    panel.class_picker.value = chosen
    assert state.class_index == chosen
    same(state.maps["occlusion"],
         helpers.occlusion_map(three_classes, picture, p["patch"], p["stride"], class_index=chosen))
    same(state.maps["saliency"], helpers.saliency_map(three_classes, raw(picture), chosen))
    same(state.maps["smoothgrad"], helpers.smoothgrad(three_classes, raw(picture), p["n_samples"],
                                                      p["noise"], class_index=chosen))
    for name in ("occlusion", "saliency", "smoothgrad"):
        assert not np.allclose(state.maps[name], before[name]), name
    assert png(panel) != before_png


def test_choose_class_rejects_a_class_the_model_lacks(panel):
    with pytest.raises(ValueError, match="hors limites"):
        W.choose_class(panel.state, 2)


# ----------------------------------------------------------------------- photos
def test_image_picker_loads_a_bundled_photo(panel, model):
    before_png = png(panel)
    panel.image_picker.value = "coffee"
    state = panel.state
    expected = resize(helpers.read_image(helpers.sample_path("coffee")), (SIZE, SIZE))
    assert state.image_name == "coffee"
    np.testing.assert_array_equal(state.image, expected)
    np.testing.assert_array_equal(state.batch, raw(expected))
    np.testing.assert_allclose(state.probabilities, model(raw(expected)).numpy()[0], rtol=1e-6)
    assert panel.class_picker.value == state.class_index == int(np.argmax(state.probabilities))
    p = panel.params()
    same(state.maps["occlusion"], helpers.occlusion_map(model, expected, p["patch"], p["stride"]))
    same(state.maps["saliency"], helpers.saliency_map(model, raw(expected)))
    assert png(panel) != before_png


def test_unknown_photo_name_is_explained_in_french(model):
    state = W.make_state(model)
    with pytest.raises(FileNotFoundError, match="Aucune image « licorne »"):
        W.choose_image(state, "licorne")


def test_uploading_a_png_makes_it_current(panel, model):
    photo = red_square_image((48, 64), top=20, left=30, side=12)
    panel.upload.value = upload_value("carré.png", encode_png(photo))
    state = panel.state
    key = "carré.png" + W.UPLOAD_SUFFIX
    assert panel.message.value == ""
    assert state.image_name == panel.image_picker.value == key
    assert (key, key) in panel.image_picker.options and panel.image_picker.label == key
    np.testing.assert_array_equal(state.image, resize(photo, (SIZE, SIZE)))  # RGB, not BGR
    p = panel.params()
    same(state.maps["occlusion"], helpers.occlusion_map(model, state.image, p["patch"], p["stride"]))
    assert panel.upload.value == ()  # cleared, so the same file can be sent again

    panel.image_picker.value = "chelsea"
    panel.image_picker.value = key  # the upload stays in the picker
    np.testing.assert_array_equal(state.image, resize(photo, (SIZE, SIZE)))


@pytest.mark.parametrize("name, content, text", [
    ("notes.txt", b"ceci n'est pas une photo", "« notes.txt » n'est pas une image lisible"),
    ("vide.png", b"", "« vide.png » est vide"),
    ("coupée.png", b"\x89PNG\r\n\x1a\n\x00\x00", "« coupée.png » n'est pas une image lisible"),
])
def test_a_bad_upload_shows_a_french_message(panel, name, content, text):
    state = panel.state
    before = (state.image_name, state.image.copy(), dict(state.maps), png(panel))
    panel.upload.value = upload_value(name, content)  # must not raise
    assert text in panel.message.value
    assert state.image_name == before[0] and panel.image_picker.value == before[0]
    np.testing.assert_array_equal(state.image, before[1])
    assert state.maps == before[2] and png(panel) == before[3]
    assert name + W.UPLOAD_SUFFIX not in panel.image_picker.options
    assert "calcul" not in panel.status.value

    panel.patch.value = 6  # the panel still works, and the message goes away
    assert panel.message.value == ""


@pytest.mark.parametrize("form", ["memoryview", "bytes", "dict", "gray", "rgba"])
def test_decode_upload_reads_every_form_in_rgb(form):
    rgb = np.random.default_rng(0).integers(0, 256, (10, 14, 3), dtype=np.uint8)
    content = encode_png(rgb)
    expected = rgb
    if form == "gray":
        ok, buf = cv2.imencode(".png", rgb[..., 0])
        content, expected = buf.tobytes(), np.stack([rgb[..., 0]] * 3, -1)
    if form == "rgba":
        bgra = np.dstack([rgb[..., ::-1], np.full((10, 14), 9, np.uint8)])
        content = cv2.imencode(".png", bgra)[1].tobytes()
    upload = {"memoryview": memoryview(content), "bytes": content,
              "dict": {"name": "x.png", "content": memoryview(content)}}.get(
        form, upload_value("x.png", content))
    [(key, decoded)] = W.decode_upload(upload)
    assert key.endswith(W.UPLOAD_SUFFIX)
    np.testing.assert_array_equal(decoded, expected)


def test_callbacks_never_mutate_the_callers_image(model, image):
    original = image.copy()
    panel = W.nbj1_panel(model, image)
    assert not np.shares_memory(panel.state.image, image)
    panel.patch.value = 6
    panel.samples.value = 2
    panel.class_picker.value = 1
    panel.image_picker.value = "astronaut"
    W.render(panel.state)
    np.testing.assert_array_equal(image, original)
    image[:] = 0  # the caller reuses the array: the panel kept its own copy
    panel.image_picker.value = W.GIVEN_IMAGE
    np.testing.assert_array_equal(panel.state.image, original)


# ----------------------------------------------------------------------- reuse (TP VGG16)
def test_occlusion_panel_with_the_tp_definition(model, image):
    panel = W.occlusion_panel(model, image, occlusion="sensitivity")
    assert list(panel.state.maps) == ["occlusion"]
    shown = [w for box in panel.children for w in getattr(box, "children", [])]
    assert panel.patch in shown and panel.noise not in shown
    panel.stride.value = 4
    expected, _ = helpers.occlusion_sensitivity(image, model, panel.patch.value, 4)
    same(panel.state.maps["occlusion"], expected)


# ----------------------------------------------------------------------- MobileNetV2
@pytest.mark.slow
def test_nbj1_panel_on_mobilenet(mobilenet, monkeypatch):
    monkeypatch.setenv("XAI_COURSE_QUICK", "1")  # 25 occluded images, 4 noisy copies
    panel = W.nbj1_panel(mobilenet)
    state = panel.state
    assert state.image_name == "chelsea" and state.image.shape == (224, 224, 3)
    names = [name for _, name, _ in helpers.decode_predictions(state.probabilities[None])[0]]
    labels = [label for label, _ in panel.class_picker.options]
    assert len(labels) == 5 and all(l.startswith(n + " (p=") for l, n in zip(labels, names))
    second = panel.class_picker.options[1][1]
    panel.class_picker.value = second
    expected = helpers.occlusion_map(mobilenet, state.image, 40, 40, class_index=second)
    same(state.maps["occlusion"], expected)
    assert state.maps["saliency"].shape == state.maps["smoothgrad"].shape == (224, 224)
    assert panel.message.value == "" and "(25 positions)" in panel.status.value
