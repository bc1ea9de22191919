"""Every bad input of the explanation methods raises an error that names the problem."""

import numpy as np
import pytest

import helpers
from helpers.testing import red_square_image, red_square_model


@pytest.fixture(scope="module")
def model():
    return red_square_model(32)


@pytest.fixture
def image():
    return red_square_image(32)


@pytest.mark.parametrize("kwargs, error, text", [
    (dict(patch_size=0), ValueError, "patch size doit être > 0"),
    (dict(patch_size=-3), ValueError, "patch size doit être > 0"),
    (dict(patch_size=32), ValueError, r"patch \(32×32\) doit être plus petit que l'image \(32×32\)"),
    (dict(patch_size=40), ValueError, "plus petit que l'image"),
    (dict(stride=0), ValueError, "stride doit être > 0"),
    (dict(stride=2.5), TypeError, "stride doit être un entier"),
    (dict(batch_size=0), ValueError, "batch_size"),
    (dict(class_index=2), ValueError, "hors limites : le modèle a 2 classes"),
])
def test_occlusion_bad_parameters(model, image, kwargs, error, text):
    args = dict(patch_size=6, stride=2) | kwargs
    with pytest.raises(error, match=text):
        helpers.occlusion_map(model, image, **args)


def test_occlusion_bad_images(model, image):
    with pytest.raises(ValueError, match="2-D"):
        helpers.occlusion_map(model, image[..., 0], 6, 2)
    nan = image.astype(np.float32)
    nan[3, 3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        helpers.occlusion_map(model, nan, 6, 2)
    with pytest.raises(TypeError, match="load_image"):
        helpers.occlusion_map(model, "photo.jpg", 6, 2)
    with pytest.raises(ValueError, match="prend des images 32×32"):
        helpers.occlusion_map(model, np.zeros((40, 40, 3)), 6, 2)
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        helpers.occlusion_sensitivity("nope.jpg", model, 6, 2)
    with pytest.raises(ValueError, match="plus petit que l'image"):
        helpers.occlusion_sensitivity(image, model, patch=33, stride=2)


def test_saliency_bad_inputs(model, image):
    batch = image[None].astype(np.float32)
    with pytest.raises(ValueError, match="hors limites"):
        helpers.saliency_map(model, batch, class_index=5)
    with pytest.raises(ValueError, match="une seule image"):
        helpers.saliency_map(model, np.concatenate([batch, batch]))
    with pytest.raises(ValueError, match=r"\(1, H, W, C\)"):
        helpers.saliency_map(model, batch[0, ..., 0])
    with pytest.raises(TypeError, match="pas un chemin"):
        helpers.saliency_map(model, "cat.jpg")
    with pytest.raises(ValueError, match="n_samples doit être > 0"):
        helpers.smoothgrad(model, batch, n_samples=0)
    with pytest.raises(ValueError, match="noise doit être un nombre fini >= 0"):
        helpers.smoothgrad(model, batch, noise=-0.1)
    with pytest.raises(ValueError, match="NaN"):
        helpers.smoothgrad(model, np.full_like(batch, np.nan))


def test_gradcam_bad_inputs(model, image):
    batch = image[None].astype(np.float32)
    with pytest.raises(ValueError, match=r"pas de couche nommée 'detectr'.*Vouliez-vous dire \['detector'\].*\['detector'\]"):
        helpers.make_gradcam_heatmap(batch, model, "detectr")
    with pytest.raises(ValueError, match="pas spatiale"):
        helpers.make_gradcam_heatmap(batch, model, "pool")
    with pytest.raises(ValueError, match="hors limites"):
        helpers.make_gradcam_heatmap(batch, model, "detector", pred_index=-1)
    with pytest.raises(TypeError, match="layer_name doit être une chaîne"):
        helpers.make_gradcam_heatmap(batch, model, 3)


def test_unknown_vgg_layer_lists_the_conv_layers(vgg16):
    with pytest.raises(ValueError, match="block5_conv3"):
        helpers.make_gradcam_heatmap(np.zeros((1, 224, 224, 3)), vgg16, "block6_conv1")


def test_overlay_bad_inputs(image):
    with pytest.raises(ValueError, match="carte 2-D"):
        helpers.overlay_heatmap(image, np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"alpha doit être dans \[0, 1\]"):
        helpers.overlay_heatmap(image, np.zeros((4, 4)), alpha=1.5)
    with pytest.raises(ValueError, match="NaN"):
        helpers.overlay_heatmap(image, np.full((4, 4), np.nan))


def test_filter_bad_inputs(model):
    with pytest.raises(ValueError, match=r"filter_index=1 est hors limites : la couche 'detector' a 1 filtres"):
        helpers.visualize_filter(model, "detector", 1, size=16, steps=1)
    with pytest.raises(ValueError, match="Vouliez-vous dire"):
        helpers.visualize_filter(model, "detecter", 0)
    with pytest.raises(ValueError, match="filter_index est vide"):
        helpers.visualize_filter(model, "detector", [])
    with pytest.raises(ValueError, match="steps"):
        helpers.visualize_filter(model, "detector", 0, steps=-1)
    with pytest.raises(ValueError, match="size doit être > 0"):
        helpers.visualize_filter(model, "detector", 0, size=0)
