"""Activation maximisation, filter statistics, receptive fields, architecture tables."""

import keras
import numpy as np
import pytest

import helpers


@pytest.fixture(scope="module")
def small_cnn():
    rng = np.random.default_rng(0)
    inputs = keras.Input((None, None, 3))
    x = keras.layers.Conv2D(6, 3, activation="relu", name="conv1")(inputs)
    x = keras.layers.MaxPooling2D(2, name="pool1")(x)
    x = keras.layers.Conv2D(4, 3, name="conv2")(x)  # linear: every filter has a gradient
    net = keras.Model(inputs, x, name="small_cnn")
    net.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in net.get_weights()])
    return net


def test_red_filter_paints_red():
    """A linear filter of red minus green and blue: its picture must be red."""
    inputs = keras.Input((None, None, 3))
    conv = keras.layers.Conv2D(2, 1, name="colour")
    net = keras.Model(inputs, conv(inputs))
    conv.set_weights([np.array([[1, 0], [-1, 1], [-1, 0]], np.float32).reshape(1, 1, 3, 2),
                      np.zeros(2, np.float32)])
    picture = helpers.visualize_filter(net, "colour", 0, size=24, steps=10, lr=10.0)
    assert picture.shape == (24, 24, 3) and 0 <= picture.min() and picture.max() <= 1
    red, green, blue = picture[..., 0].mean(), picture[..., 1].mean(), picture[..., 2].mean()
    assert red > green + 0.1 and red > blue + 0.1


def test_batched_filters_equal_one_by_one(small_cnn):
    together = helpers.visualize_filter(small_cnn, "conv2", [0, 2, 3], size=20, steps=5, batch_size=2)
    assert together.shape == (3, 20, 20, 3)
    for k, f in enumerate([0, 2, 3]):
        alone = helpers.visualize_filter(small_cnn, "conv2", f, size=20, steps=5)
        np.testing.assert_allclose(together[k], alone, atol=1e-5)


@pytest.mark.parametrize("layer", ["conv1", "conv2"])
def test_only_the_selected_channels_give_the_same_pictures(small_cnn, monkeypatch, layer):
    """The last convolution computes only each picture's own filter: same pictures as
    the whole layer (conv1 follows the input, conv2 a pooling; ReLU and linear)."""
    assert helpers.filters._selected_head(small_cnn, layer) is not None
    fast = helpers.visualize_filter(small_cnn, layer, [0, 1, 3], size=20, steps=6)
    helpers._graph._CACHE.pop(small_cnn, None)
    monkeypatch.setattr(helpers.filters, "_selected_head", lambda model, name: None)
    whole = helpers.visualize_filter(small_cnn, layer, [0, 1, 3], size=20, steps=6)
    helpers._graph._CACHE.pop(small_cnn, None)
    np.testing.assert_allclose(fast, whole, atol=1e-5)


def test_ascent_raises_the_activation(small_cnn):
    extractor = helpers.feature_extractor(small_cnn, "conv2")
    start = helpers.filters.start_images([1], 20, 42)
    raw = start.copy()
    for _ in range(8):
        raw = helpers.filters._ascent_step(small_cnn, "conv2", helpers.models.identity, 2)(raw, np.array([1], np.int32), 1.0).numpy()
    before = extractor(start).numpy()[0, 2:-2, 2:-2, 1].mean()
    after = extractor(raw).numpy()[0, 2:-2, 2:-2, 1].mean()
    assert after > before


def test_zero_steps_is_the_deprocessed_start(small_cnn):
    pic = helpers.visualize_filter(small_cnn, "conv1", 0, size=16, steps=0, seed=5)
    expected = helpers.deprocess(helpers.filters.start_images([0], 16, 5)[0])
    np.testing.assert_allclose(pic, expected, atol=1e-6)


def test_deprocess_standardises():
    x = np.random.default_rng(0).normal(3, 7, (10, 10, 3))
    out = helpers.deprocess(x)
    assert out.mean() == pytest.approx(0.5, abs=0.01) and out.std() == pytest.approx(0.15, abs=0.01)


def test_filter_statistics_known_answers():
    flat = np.full((3, 8, 8, 3), 0.5)
    assert helpers.filter_statistics(flat)["entropy_mean"] == 0.0
    assert helpers.filter_statistics(flat)["variance"] == 0.0
    # two halves: entropy exactly 1 bit; identical pictures: |correlation| 1
    half = np.zeros((2, 8, 8, 3))
    half[:, :4] = 1.0
    stats = helpers.filter_statistics(half)
    assert stats["entropy_mean"] == pytest.approx(1.0) and stats["diversity"] == pytest.approx(1.0)
    assert stats["variance"] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="k >= 2"):
        helpers.filter_statistics(half[:1])


def test_receptive_field(small_cnn):
    # conv3 -> 3, pool2 (stride 2) -> 4, conv3 after a jump of 2 -> 8
    assert helpers.receptive_field(small_cnn, "conv1") == 3
    assert helpers.receptive_field(small_cnn, "conv2") == 8


def test_layer_statistics_table(small_cnn):
    table = helpers.layer_statistics(small_cnn, ["conv1", "conv2"], n_filters=3, size=16, steps=2)
    assert table.column("layer") == ["conv1", "conv2"] and len(table.columns) == 5
    assert "conv2" in str(table)


def _channel0_model(name: str = "channel0") -> keras.Model:
    """A 1×1 convolution whose one filter reads input channel 0 only."""
    inputs = keras.Input((None, None, 3))
    conv = keras.layers.Conv2D(1, 1, name="conv")
    net = keras.Model(inputs, conv(inputs), name=name)
    conv.set_weights([np.array([1, 0, 0], np.float32).reshape(1, 1, 3, 1), np.zeros(1, np.float32)])
    return net


@pytest.mark.parametrize("channels, dominant", [("rgb", 0), ("bgr", 2)])
def test_channels_put_the_filter_colour_where_rgb_shows_it(channels, dominant):
    """The filter grows input channel 0: in an RGB input space that is red (index 0);
    in a BGR one (VGG16's Caffe space) it is blue, index 2 once flipped for display."""
    picture = helpers.visualize_filter(_channel0_model(), "conv", 0, size=16, steps=10,
                                       channels=channels)
    means = picture.mean(axis=(0, 1))
    others = [c for c in range(3) if c != dominant]
    assert all(means[dominant] > means[c] + 0.1 for c in others), means


def test_channels_flip_only_the_last_axis_and_auto_follows_the_model():
    rgb = helpers.visualize_filter(_channel0_model(), "conv", [0], size=12, steps=3, channels="rgb")
    bgr = helpers.visualize_filter(_channel0_model(), "conv", [0], size=12, steps=3, channels="bgr")
    np.testing.assert_array_equal(bgr, rgb[..., ::-1])
    # "auto": RGB for a model that is not VGG16 ...
    auto = helpers.visualize_filter(_channel0_model(), "conv", [0], size=12, steps=3)
    np.testing.assert_array_equal(auto, rgb)
    # ... BGR for one named like VGG16, unless a preprocess puts the picture in raw RGB
    vgg_like = _channel0_model("vgg16_like")
    np.testing.assert_array_equal(
        helpers.visualize_filter(vgg_like, "conv", [0], size=12, steps=3), bgr)
    raw = helpers.visualize_filter(vgg_like, "conv", [0], size=12, steps=3,
                                   preprocess=helpers.models.identity)
    np.testing.assert_array_equal(raw, rgb)
    with pytest.raises(ValueError, match="channels"):
        helpers.visualize_filter(vgg_like, "conv", 0, size=12, steps=1, channels="hsv")


def test_auto_channels_on_vgg16_are_bgr(vgg16):
    auto = helpers.visualize_filter(vgg16, "block1_conv2", 0, size=32, steps=2)
    bgr = helpers.visualize_filter(vgg16, "block1_conv2", 0, size=32, steps=2, channels="bgr")
    rgb = helpers.visualize_filter(vgg16, "block1_conv2", 0, size=32, steps=2, channels="rgb")
    np.testing.assert_array_equal(auto, bgr)
    assert not np.allclose(auto, rgb)  # the flip is visible: the test can fail


def test_layer_statistics_do_not_depend_on_the_channel_order(small_cnn):
    """filter_statistics reads grey levels (the channel mean): a flip changes nothing."""
    kwargs = dict(n_filters=3, size=16, steps=2)
    rgb = helpers.layer_statistics(small_cnn, ["conv1", "conv2"], channels="rgb", **kwargs)
    bgr = helpers.layer_statistics(small_cnn, ["conv1", "conv2"], channels="bgr", **kwargs)
    assert rgb.column("layer") == bgr.column("layer")
    np.testing.assert_allclose([r[1:] for r in rgb.rows], [r[1:] for r in bgr.rows], rtol=1e-12)
    pictures = helpers.visualize_filter(small_cnn, "conv2", [0, 1, 2], size=16, steps=2)
    assert not np.array_equal(pictures[..., ::-1], pictures)
    flipped = helpers.filter_statistics(pictures[..., ::-1])
    assert flipped == pytest.approx(helpers.filter_statistics(pictures), rel=1e-12)
