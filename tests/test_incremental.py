"""Incremental occlusion (recompute only the layers a patch touches) gives the same
outputs as running every occluded image through the whole model, on chains with every
supported layer geometry, and steps aside when it cannot be exact."""

import keras
import numpy as np
import pytest

import helpers
from helpers import _incremental


def chain_model(kind: str, height: int = 48, width: int = 40, seed: int = 0):
    """Small classifiers whose first layers are a chain, then a head; random weights."""
    keras.utils.set_random_seed(seed)
    L = keras.layers
    inputs = keras.Input((height, width, 3))
    if kind == "vgg":  # stride-1 'same' convs and 2×2 pools, as VGG16's blocks
        x = L.Conv2D(16, 3, padding="same", activation="relu")(inputs)
        x = L.Conv2D(16, 3, padding="same", activation="relu")(x)
        x = L.MaxPooling2D(2)(x)
        x = L.Conv2D(24, 3, padding="same", activation="relu")(x)
        x = L.AveragePooling2D(2)(x)
    elif kind == "mobilenet":  # strided 'same' conv, BN, ReLU, depthwise, ZeroPadding
        x = L.Conv2D(16, 3, strides=2, padding="same")(inputs)
        x = L.BatchNormalization()(x)
        x = L.ReLU(6.0)(x)
        x = L.DepthwiseConv2D(3, padding="same")(x)
        x = L.Conv2D(24, 1)(x)
        x = L.ZeroPadding2D(((0, 1), (0, 1)))(x)
        x = L.DepthwiseConv2D(3, strides=2, padding="valid")(x)
        x = L.Activation("relu")(x)
    elif kind == "valid":  # 'valid' convs and a non-square kernel: the grid shrinks
        x = L.Conv2D(16, (3, 5), padding="valid", activation="relu")(inputs)
        x = L.Conv2D(16, 3, padding="valid", activation="relu")(x)
        x = L.MaxPooling2D(2, strides=1)(x)
    else:
        raise ValueError(kind)
    skip = L.Conv2D(24, 1)(x)  # a branch: the chain must stop before it
    y = L.Conv2D(24, 3, padding="same", activation="relu")(x)
    x = L.Add()([skip, y])
    x = L.Flatten()(x)  # every position counts: a patch moves the outputs
    outputs = L.Dense(7)(x)
    return keras.Model(inputs, outputs, name=f"chain_{kind}")


def scale(batch):
    return batch / 127.5 - 1.0


@pytest.fixture
def photo(rng):
    return rng.uniform(0, 255, (48, 40, 3)).astype(np.float32)


@pytest.mark.parametrize("kind", ["vgg", "mobilenet", "valid"])
@pytest.mark.parametrize("patch,stride,fill", [(5, 3, 0.0), (9, 4, 128.0), (1, 1, 255.0)])
def test_incremental_equals_whole_image_passes(kind, patch, stride, fill, photo):
    model = chain_model(kind)
    assert _incremental.plan(model, 48, 40, patch) is not None
    positions = helpers.occlusion_positions(48, 40, patch, stride)
    whole = helpers.occlusion_scores(model, photo, positions, patch, fill, preprocess=scale,
                                     incremental=False, progress=False)
    fast = helpers.occlusion_scores(model, photo, positions, patch, fill, preprocess=scale,
                                    incremental=True, batch_size=7, progress=False)
    assert whole.std(axis=0).max() > 1e-4  # the patches do change the outputs
    np.testing.assert_allclose(fast, whole, rtol=1e-4, atol=1e-6)


def test_patches_at_the_borders_and_off_grid_positions(photo):
    model = chain_model("mobilenet")
    positions = np.array([[0, 0], [43, 35], [0, 35], [43, 0], [17, 3], [1, 1]])
    whole = helpers.occlusion_scores(model, photo, positions, 5, 0.0, preprocess=scale,
                                     incremental=False, progress=False)
    fast = helpers.occlusion_scores(model, photo, positions, 5, 0.0, preprocess=scale,
                                    incremental=True, progress=False)
    np.testing.assert_allclose(fast, whole, rtol=1e-4, atol=1e-6)


def test_the_chain_stops_before_a_skip_connection():
    model = chain_model("vgg")
    plan = _incremental.plan(model, 48, 40, 5)
    last = plan.prefix[-1]
    assert not isinstance(last, keras.layers.Add)
    # the cut's output feeds exactly one layer; the branch's 1×1 conv is in the suffix
    assert all(layer.name != "add" for layer in plan.prefix)


def test_large_patches_fall_back_when_nothing_is_saved(photo):
    model = chain_model("vgg")
    assert _incremental.plan(model, 48, 40, 39) is None  # the crop is the whole image
    positions = helpers.occlusion_positions(48, 40, 39, 4)
    with pytest.raises(ValueError, match="de façon incrémentale"):
        helpers.occlusion_scores(model, photo, positions, 39, 0.0, incremental=True)
    auto = helpers.occlusion_scores(model, photo, positions, 39, 0.0, preprocess=scale,
                                    progress=False)
    whole = helpers.occlusion_scores(model, photo, positions, 39, 0.0, preprocess=scale,
                                     incremental=False, progress=False)
    np.testing.assert_array_equal(auto, whole)


def test_a_preprocessing_that_mixes_pixels_is_never_cropped(photo):
    model = chain_model("vgg")

    def standardise(batch):  # per-image statistics: a crop would see other numbers
        return (batch - keras.ops.mean(batch, axis=(1, 2, 3), keepdims=True)) / 64.0

    positions = helpers.occlusion_positions(48, 40, 5, 5)
    with pytest.raises(ValueError, match="le prétraitement mélange les pixels"):
        helpers.occlusion_scores(model, photo, positions, 5, 0.0, preprocess=standardise,
                                 incremental=True)
    auto = helpers.occlusion_scores(model, photo, positions, 5, 0.0, preprocess=standardise,
                                    progress=False)
    whole = helpers.occlusion_scores(model, photo, positions, 5, 0.0, preprocess=standardise,
                                     incremental=False, progress=False)
    np.testing.assert_array_equal(auto, whole)


def test_models_without_a_leading_chain_are_run_whole(photo):
    inputs = keras.Input((48, 40, 3))
    a = keras.layers.Conv2D(4, 3, padding="same")(inputs)
    b = keras.layers.Conv2D(4, 1)(inputs)  # the input itself branches
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Add()([a, b]))
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    assert _incremental.plan(model, 48, 40, 5) is None
    scores = helpers.occlusion_scores(model, photo, [[0, 0], [10, 10]], 5, 0.0,
                                      preprocess=scale, progress=False)
    assert scores.shape == (2, 3)


def test_the_input_and_the_model_are_left_untouched(photo):
    model = chain_model("mobilenet")
    before = [w.numpy().copy() for w in model.weights]
    copy = photo.copy()
    helpers.occlusion_scores(model, photo, [[3, 3]], 5, 0.0, preprocess=scale, incremental=True)
    np.testing.assert_array_equal(photo, copy)
    for w, b in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), b)


@pytest.mark.slow
@pytest.mark.parametrize("name,patch,stride,fill", [("vgg16", 25, 42, 128.0),
                                                    ("mobilenet_v2", 30, 40, 0.0)])
def test_the_practicals_models_are_split_and_exact(request, name, patch, stride, fill, cat_image):
    model = request.getfixturevalue("vgg16" if name == "vgg16" else "mobilenet")
    plan = _incremental.plan(model, 224, 224, patch)
    assert plan is not None and plan.saving > 0.1
    positions = helpers.occlusion_positions(224, 224, patch, stride)
    image = cat_image.astype(np.float32)
    whole = helpers.occlusion_scores(model, image, positions, patch, fill, incremental=False,
                                     batch_size=8, progress=False)
    fast = helpers.occlusion_scores(model, image, positions, patch, fill, batch_size=8,
                                    progress=False)
    np.testing.assert_allclose(fast, whole, rtol=1e-4, atol=1e-6)
