"""Face detection on the bundled photos, the five regions, and per-region tables."""

import cv2
import numpy as np
import pytest

import helpers
from helpers import faces

# Boxes the frontal-face cascade finds on the full-size bundled portraits.
ASTRONAUT_BOX = (178, 67, 92, 92)
GRACE_HOPPER_BOX = (155, 105, 222, 222)


def iou_xywh(a, b):
    ax2, ay2, bx2, by2 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax2, bx2) - max(a[0], b[0]))
    ih = max(0, min(ay2, by2) - max(a[1], b[1]))
    inter = iw * ih
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def scaled(box, fy, fx):
    x, y, w, h = box
    return (x * fx, y * fy, w * fx, h * fy)


@pytest.fixture(scope="module")
def astronaut224():
    image, _ = helpers.load_image(helpers.sample_path("astronaut"), model=None)
    return image


# --------------------------------------------------------------------------- detection
@pytest.mark.parametrize("name, expected", [("astronaut", ASTRONAUT_BOX),
                                            ("grace_hopper", GRACE_HOPPER_BOX)])
def test_one_face_on_each_portrait_where_it_is(name, expected):
    boxes = faces.detect_faces(helpers.sample_path(name))
    assert len(boxes) == 1
    assert all(type(v) is int for v in boxes[0])
    assert iou_xywh(boxes[0], expected) > 0.8


@pytest.mark.parametrize("name", ["chelsea", "coffee"])
def test_no_face_on_cat_or_coffee(name):
    assert faces.detect_faces(helpers.sample_path(name)) == []


@pytest.mark.parametrize("name, expected", [("astronaut", ASTRONAUT_BOX),
                                            ("grace_hopper", GRACE_HOPPER_BOX)])
def test_one_face_at_224(name, expected):
    full = helpers.read_image(helpers.sample_path(name))
    image, _ = helpers.load_image(full, model=None)  # 224×224, as the notebooks use
    boxes = faces.detect_faces(image)
    assert len(boxes) == 1
    target = scaled(expected, 224 / full.shape[0], 224 / full.shape[1])
    assert iou_xywh(boxes[0], target) > 0.5


def test_most_confident_face_first_not_largest():
    # At 448×448 the cascade also fires on the suit with a LARGER box (7 votes against
    # 43): the face must come first all the same.
    image, _ = helpers.load_image(helpers.sample_path("astronaut"), size=(448, 448), model=None)
    boxes = faces.detect_faces(image)
    target = scaled(ASTRONAUT_BOX, 448 / 512, 448 / 512)
    assert iou_xywh(boxes[0], target) > 0.7
    if len(boxes) > 1:
        assert boxes[1][2] * boxes[1][3] > boxes[0][2] * boxes[0][3]


def test_inputs_path_uint8_float_and_batch_agree(astronaut224):
    ref = faces.detect_faces(astronaut224)
    assert faces.detect_faces(astronaut224.astype(np.float32)) == ref
    assert faces.detect_faces(astronaut224[None]) == ref
    before = astronaut224.copy()
    faces.detect_faces(astronaut224)
    np.testing.assert_array_equal(astronaut224, before)


def test_detection_errors(tmp_path):
    with pytest.raises(ValueError, match="scale_factor"):
        faces.detect_faces(np.zeros((64, 64, 3), np.uint8), scale_factor=1.0)
    with pytest.raises(ValueError, match="min_size"):
        faces.detect_faces(np.zeros((64, 64, 3), np.uint8), min_size=0)
    with pytest.raises(FileNotFoundError, match="nope.jpg"):
        faces.detect_faces(tmp_path / "nope.jpg")


def test_missing_cascade_says_install_opencv4(monkeypatch):
    faces._cascade.cache_clear()
    monkeypatch.delattr(cv2, "CascadeClassifier")
    try:
        with pytest.raises(RuntimeError, match="opencv-python-headless>=4.8,<5"):
            faces.detect_faces(np.zeros((64, 64, 3), np.uint8))
    finally:
        monkeypatch.undo()
        faces._cascade.cache_clear()
    assert faces.detect_faces(np.zeros((64, 64, 3), np.uint8)) == []


# --------------------------------------------------------------------------- regions
def test_image_regions_are_the_fixed_fractions():
    regions = faces.image_regions((100, 200))
    assert list(regions) == list(faces.REGION_NAMES)
    assert regions.source == faces.SOURCE_FIXED
    assert regions["yeux"] == (25, 40, 50, 150)
    assert regions["cou/vêtements"] == (70, 100, 30, 170)
    assert faces.image_regions(np.zeros((100, 200, 3))).boxes == regions.boxes


def test_face_regions_follow_a_shifted_face():
    box, shape = (60, 40, 50, 50), (224, 224)
    dx, dy = 37, 21
    base = faces.face_regions(box, shape)
    moved = faces.face_regions((60 + dx, 40 + dy, 50, 50), (224 + dy, 224 + dx))
    assert base.source == faces.SOURCE_FACE
    for name in faces.REGION_NAMES:
        y1, y2, x1, x2 = base[name]
        assert moved[name] == (y1 + dy, y2 + dy, x1 + dx, x2 + dx), name


def test_face_regions_are_ordered_down_the_face():
    regions = faces.face_regions((100, 100, 80, 80), (400, 400))
    tops = [regions[n][0] for n in faces.REGION_NAMES]
    assert tops == sorted(tops)
    y1, y2, x1, x2 = regions["yeux"]
    assert 100 < y1 < y2 < 100 + 60 and 100 <= x1 < x2 <= 180  # inside the face box
    assert regions["cou/vêtements"][0] >= 180  # below the box


def test_regions_are_clipped_and_can_be_empty():
    regions = faces.face_regions((10, 160, 40, 40), (200, 60))
    for y1, y2, x1, x2 in regions.values():
        assert 0 <= y1 <= y2 <= 200 and 0 <= x1 <= x2 <= 60
    assert regions["cou/vêtements"][0] == regions["cou/vêtements"][1] == 200  # below the image
    table = faces.region_table(np.ones((200, 60)), regions)
    rows = {r["region"]: r for r in table.as_dicts()}
    assert np.isnan(rows["cou/vêtements"]["mean"])


def test_face_box_outside_image_is_an_error():
    with pytest.raises(ValueError, match="en dehors de l'image"):
        faces.face_regions((300, 10, 40, 40), (224, 224))
    with pytest.raises(ValueError, match="la largeur et la hauteur"):
        faces.face_regions((10, 10, 0, 40), (224, 224))


def test_regions_for_detected_face_follows_padding(astronaut224):
    dx, dy = 40, 30
    padded = cv2.copyMakeBorder(astronaut224, dy, 20, dx, 20, cv2.BORDER_REPLICATE)
    a = faces.regions_for(astronaut224)
    b = faces.regions_for(padded)
    assert a.source == b.source == faces.SOURCE_FACE
    assert abs(b.face_box[0] - a.face_box[0] - dx) <= 6
    assert abs(b.face_box[1] - a.face_box[1] - dy) <= 6
    ya, _, xa, _ = a["yeux"]
    yb, _, xb, _ = b["yeux"]
    assert abs(yb - ya - dy) <= 6 and abs(xb - xa - dx) <= 6


def test_regions_for_without_face_falls_back_and_says_so(cat_image):
    regions = faces.regions_for(cat_image)
    assert regions.source == faces.SOURCE_FIXED
    assert regions.face_box is None
    assert regions.boxes == faces.image_regions(cat_image.shape).boxes
    assert faces.SOURCE_FIXED in str(regions)


# --------------------------------------------------------------------------- tables
def test_region_table_against_hand_computed_values():
    heatmap = np.arange(16, dtype=np.float32).reshape(4, 4)
    regions = {"a": (0, 2, 0, 2), "b": (1, 4, 2, 4)}
    table = faces.region_table(heatmap, regions, shape=(4, 4))
    assert table.columns == ("region", "mean", "max")
    rows = {r["region"]: r for r in table.as_dicts()}
    assert rows["a"]["mean"] == pytest.approx((0 + 1 + 4 + 5) / 4)
    assert rows["a"]["max"] == 5
    assert rows["b"]["mean"] == pytest.approx((6 + 7 + 10 + 11 + 14 + 15) / 6)
    assert rows["b"]["max"] == 15
    # the rest of the image: the 6 pixels in neither box (2, 3, 8, 9, 12, 13)
    assert list(rows) == ["a", "b", faces.REST]
    assert rows[faces.REST]["mean"] == pytest.approx((2 + 3 + 8 + 9 + 12 + 13) / 6)
    assert rows[faces.REST]["max"] == 13


def test_the_rows_tile_the_image_so_the_hot_spot_is_never_missed():
    """The named regions of a portrait cover a small part of it; a map hot only in the
    background is found by the « reste de l'image » row, never by a named region."""
    regions = faces.image_regions((224, 224))
    covered = np.zeros((224, 224), bool)
    for y1, y2, x1, x2 in regions.values():
        covered[y1:y2, x1:x2] = True
    background = np.zeros((224, 224), np.float32)
    background[~covered] = 1.0
    rows = {r["region"]: r for r in faces.region_table(background, regions).as_dicts()}
    assert rows[faces.REST]["mean"] == 1.0 and all(rows[n]["max"] == 0.0 for n in faces.REGION_NAMES)
    assert faces.most_salient_region(background, regions) == faces.REST
    assert faces.region_stats(background, regions, rest=False).keys() == set(faces.REGION_NAMES)
    # the boxes touch the image's every row: with the rest they account for every pixel
    pixels = sum((y2 - y1) * (x2 - x1) for y1, y2, x1, x2 in regions.values())
    assert pixels + int((~covered).sum()) == 224 * 224


def test_region_table_resizes_a_coarse_map_bilinearly():
    # (2, 2) → (4, 4) with pixel centres aligned: the columns become 0, .25, .75, 1.
    heatmap = np.array([[0.0, 1.0], [0.0, 1.0]])
    table = faces.region_table(heatmap, {"left": (0, 4, 0, 2), "right": (0, 4, 2, 4)}, shape=(4, 4))
    rows = {r["region"]: r for r in table.as_dicts()}
    assert np.isnan(rows[faces.REST]["mean"])  # left and right cover the whole image
    assert rows["left"]["mean"] == pytest.approx(0.125)
    assert rows["left"]["max"] == pytest.approx(0.25)
    assert rows["right"]["mean"] == pytest.approx(0.875)


def test_region_table_with_several_maps_and_regions_object():
    regions = faces.face_regions((60, 40, 80, 80), (224, 224))
    eyes = regions.mask("yeux").astype(np.float32)
    table = faces.region_table({"block4": eyes, "block5": 1 - eyes}, regions)
    assert table.columns == ("region", "block4 mean", "block4 max", "block5 mean", "block5 max")
    rows = {r["region"]: r for r in table.as_dicts()}
    assert rows["yeux"]["block4 mean"] == 1.0 and rows["yeux"]["block5 max"] == 0.0
    assert rows["nez"]["block4 max"] == 0.0
    assert "yeux" in str(table)
    assert faces.most_salient_region(eyes, regions) == "yeux"


def test_region_table_bad_inputs():
    regions = faces.image_regions((10, 10))
    with pytest.raises(ValueError, match="2-D"):
        faces.region_table(np.zeros((10, 10, 3)), regions)
    with pytest.raises(ValueError, match="à l'intérieur de l'image 10×10"):
        faces.region_table(np.zeros((10, 10)), {"a": (0, 11, 0, 5)}, shape=(10, 10))
    with pytest.raises(ValueError, match="à l'intérieur"):
        faces.region_table(np.zeros((10, 10)), {"a": (5, 2, 0, 5)}, shape=(10, 10))
    with pytest.raises(ValueError, match="4 entiers"):
        faces.region_table(np.zeros((10, 10)), {"a": (0, 2, 0)}, shape=(10, 10))
    with pytest.raises(ValueError, match="4 entiers"):
        faces.region_table(np.zeros((10, 10)), {"a": (0, 2.5, 0, 3)}, shape=(10, 10))
    with pytest.raises(ValueError, match="shape="):
        faces.region_table(np.zeros((10, 10)), {"a": (0, 2, 0, 3)})
    with pytest.raises(ValueError, match="NaN"):
        faces.region_table(np.full((10, 10), np.nan), regions)
