"""Anonymisation masks: geometry, no mutation, only their region, and the measures."""

import cv2
import keras
import numpy as np
import pytest

import helpers
from helpers import anonymisation as anon
from helpers import faces
from helpers.images import resize


@pytest.fixture(scope="module")
def portrait():
    image, _ = helpers.load_image(helpers.sample_path("grace_hopper"), model=None)
    return image


@pytest.mark.parametrize("mask_type", anon.MASK_TYPES)
def test_mask_never_mutates_and_changes_only_its_region(portrait, mask_type):
    before = portrait.copy()
    out = anon.apply_mask(portrait, mask_type)
    np.testing.assert_array_equal(portrait, before)
    assert out.dtype == np.uint8 and out.shape == portrait.shape
    regions = anon.mask_regions(portrait)
    assert regions.source == faces.SOURCE_FACE
    area = anon.mask_area(regions, mask_type)
    np.testing.assert_array_equal(out[~area], portrait[~area])
    changed = np.any(out != portrait, axis=-1)
    assert changed[area].mean() > 0.9  # the mask really acts on its whole area
    if mask_type != "flou_gaussien":
        assert np.all(out[area] == 0)


def test_mask_areas_nest_and_use_the_shared_regions(portrait):
    regions = anon.mask_regions(portrait)
    eyes = anon.mask_area(regions, "yeux")
    eyes_nose = anon.mask_area(regions, "yeux+nez")
    face = anon.mask_area(regions, "visage_complet")
    np.testing.assert_array_equal(eyes, regions.mask("yeux"))
    np.testing.assert_array_equal(eyes_nose, regions.mask("yeux") | regions.mask("nez"))
    assert eyes.sum() < eyes_nose.sum() < face.sum()
    assert np.all(face[eyes_nose])
    np.testing.assert_array_equal(face, anon.mask_area(regions, "flou_gaussien"))
    assert not np.any(face & regions.mask("cou/vêtements"))


def test_mask_follows_a_given_face_box_when_shifted(portrait):
    box = (60, 40, 80, 80)
    dx, dy = 25, 15
    shifted = cv2.copyMakeBorder(portrait, dy, 0, dx, 0, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    a = anon.apply_mask(portrait, "yeux+nez", face_box=box)
    b = anon.apply_mask(shifted, "yeux+nez", face_box=(box[0] + dx, box[1] + dy, 80, 80))
    np.testing.assert_array_equal(b[dy:, dx:], a)


def test_without_face_the_fixed_fractions_are_used(cat_image):
    out = anon.apply_mask(cat_image, "yeux")
    y1, y2, x1, x2 = faces.image_regions(cat_image.shape)["yeux"]
    expected = cat_image.copy()
    expected[y1:y2, x1:x2] = 0
    np.testing.assert_array_equal(out, expected)
    # detect=False skips detection even on a portrait
    portrait, _ = helpers.load_image(helpers.sample_path("astronaut"), model=None)
    assert anon.mask_regions(portrait, detect=False).source == faces.SOURCE_FIXED


def test_blur_strength_is_monotone(portrait):
    area = anon.mask_area(anon.mask_regions(portrait), "flou_gaussien")
    inner = cv2.erode(area.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    changes, sharpness = [], []
    for sigma in (1.0, 3.0, 6.0, 12.0):
        out = anon.apply_mask(portrait, "flou_gaussien", blur_sigma=sigma)
        changes.append(np.abs(out.astype(float) - portrait)[area].mean())
        sharpness.append(cv2.Laplacian(cv2.cvtColor(out, cv2.COLOR_RGB2GRAY), cv2.CV_64F)[inner].var())
    assert np.all(np.diff(changes) > 0)
    assert np.all(np.diff(sharpness) < 0)


def test_path_input_and_bad_inputs(portrait):
    out = anon.apply_mask(helpers.sample_path("astronaut"), "visage_complet")
    assert out.shape == (512, 512, 3)
    with pytest.raises(ValueError, match=r"yeux\+nez.*visage_complet.*flou_gaussien"):
        anon.apply_mask(portrait, "eyes")
    with pytest.raises(ValueError, match="blur_sigma"):
        anon.apply_mask(portrait, "flou_gaussien", blur_sigma=0)
    with pytest.raises(ValueError, match="blur_sigma"):
        anon.apply_mask(portrait, "flou_gaussien", blur_sigma=-2.0)
    with pytest.raises(ValueError, match="face_box"):
        anon.apply_mask(portrait, "yeux", face_box=(1, 2, 3))
    with pytest.raises(ValueError, match="une image 100×100 mais img fait 224×224"):
        anon.apply_mask(portrait, "yeux", regions=faces.image_regions((100, 100)))


# --------------------------------------------------------------------------- measures
def tiny_imagenet_model():
    """A 32×32 model with 1000 softmax outputs (seeded): cheap and exactly comparable."""
    rng = np.random.default_rng(3)
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.AveragePooling2D(4)(inputs)
    x = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(1000, activation="softmax")
    model = keras.Model(inputs, dense(x), name="tiny")
    dense.set_weights([rng.standard_normal((192, 1000)).astype("float32") * 0.02,
                       np.zeros(1000, "float32")])
    return model


def test_mask_report_matches_a_direct_computation(portrait):
    model = tiny_imagenet_model()
    table = anon.mask_report(model, portrait)
    assert table.columns == ("mask", "face detected", "top class", "score",
                             "p(original class)", "drop")
    assert table.column("mask") == ["original"] + list(anon.MASK_TYPES)
    assert faces.SOURCE_FACE in table.title
    regions = anon.mask_regions(portrait)
    images = [portrait] + [anon.apply_mask(portrait, m, regions=regions) for m in anon.MASK_TYPES]
    probs = np.stack([helpers.predict(model, resize(im, (32, 32))[None].astype("float32"))[0]
                      for im in images])
    base = int(np.argmax(probs[0]))
    for row, p in zip(table.as_dicts(), probs):
        top = int(np.argmax(p))
        assert row["top class"] == helpers.class_name(top)
        assert row["score"] == pytest.approx(p[top], abs=1e-5)
        assert row["drop"] == pytest.approx(probs[0, base] - p[base], abs=1e-5)
    assert table.as_dicts()[0]["drop"] == 0.0


def test_mask_report_with_the_real_recognizer(vgg16):
    from helpers.recognizer import FaceRecognizer, embedding_model

    image = helpers.read_image(helpers.sample_path("astronaut"))
    recognizer = FaceRecognizer(embedding_model(vgg16), threshold=0.5)
    recognizer.register("Eileen Collins", image)
    table = anon.mask_report(vgg16, image, recognizer=recognizer,
                             mask_types=["yeux", "visage_complet"])
    assert table.columns[-3:] == ("similarity", "identity", "identified")
    rows = table.as_dicts()
    assert [r["mask"] for r in rows] == ["original", "yeux", "visage_complet"]
    assert rows[0]["face detected"] is True and rows[2]["face detected"] is False
    assert rows[0]["similarity"] == pytest.approx(1.0, abs=1e-3)
    assert rows[0]["identity"] == "Eileen Collins" and rows[0]["identified"] is True
    assert rows[0]["drop"] == 0.0
    # the masked faces are embedded at the original face box, although the cascade no
    # longer finds them, and a mask never makes a face MORE like the enrolled one
    for row in rows[1:]:
        assert np.isfinite(row["similarity"]) and row["similarity"] < 1.0 - 1e-3
    assert "Eileen Collins" in table.title and "emplacement du visage d'origine" in table.title
    assert recognizer.detect_faces is True  # the caller's recognizer is untouched
    assert recognizer.names == ["Eileen Collins"]

    # no face anywhere: the fixed fractions, and the recognizer's own error is reported
    cat = anon.mask_report(vgg16, helpers.sample_path("chelsea"), recognizer=recognizer,
                           mask_types=["yeux"])
    assert faces.SOURCE_FIXED in cat.title
    assert all(r["identified"] is False for r in cat.as_dicts())
    assert cat.as_dicts()[0]["identity"] == "no face"  # NoFaceError: a verdict (« aucun visage »)
    with pytest.raises(TypeError, match="identify"):
        anon.mask_report(vgg16, image, recognizer=object())
