"""Faithfulness (deletion/insertion) on a known-answer model, and map agreement."""

import keras
import numpy as np
import pytest

import helpers
from helpers import metrics

SIZE = 32
SQUARE = (slice(8, 16), slice(12, 20))  # 8×8 red square: 64 of 1024 pixels


@pytest.fixture(scope="module")
def red_square_model():
    """p(class 1) = sigmoid(2·96·g − 6), g = mean over pixels of ReLU((R − G − B) / 255).

    Grey pixels give 0; the full red square gives g = 1/16, p ≈ 0.998; no red, p ≈ 0.002.
    """
    inputs = keras.Input((SIZE, SIZE, 3))
    conv = keras.layers.Conv2D(1, 1, activation="relu")
    dense = keras.layers.Dense(2, activation="softmax")
    outputs = dense(keras.layers.GlobalAveragePooling2D()(conv(inputs)))
    model = keras.Model(inputs, outputs, name="red_square")
    conv.set_weights([np.array([1.0, -1.0, -1.0], "float32").reshape(1, 1, 3, 1) / 255,
                      np.zeros(1, "float32")])
    dense.set_weights([np.array([[-96.0, 96.0]], "float32"), np.array([3.0, -3.0], "float32")])
    return model


@pytest.fixture(scope="module")
def red_square_image():
    image = np.full((SIZE, SIZE, 3), 100, np.uint8)
    image[SQUARE] = (255, 0, 0)
    return image


@pytest.fixture(scope="module")
def true_map():
    heatmap = np.zeros((SIZE, SIZE), np.float32)
    heatmap[SQUARE] = 1.0
    return heatmap


def random_map(seed=0):
    return np.random.default_rng(seed).random((SIZE, SIZE)).astype(np.float32)


def test_known_answer_model(red_square_model, red_square_image):
    p = helpers.predict(red_square_model, red_square_image[None].astype("float32"))[0]
    assert p[1] > 0.99
    grey = np.full_like(red_square_image, 100)
    assert helpers.predict(red_square_model, grey[None].astype("float32"))[0, 1] < 0.01


def test_deletion_of_the_true_map_beats_random(red_square_model, red_square_image, true_map):
    fr, true_scores = metrics.deletion_curve(red_square_model, red_square_image, true_map, steps=32)
    assert fr.shape == true_scores.shape == (33,)
    assert fr[0] == 0.0 and fr[-1] == 1.0
    # 2/32 of the pixels = the 64 square pixels: the score has collapsed
    assert true_scores[0] > 0.99 and true_scores[2] < 0.01
    true_auc = metrics.auc(fr, true_scores)
    random_aucs = [metrics.auc(*metrics.deletion_curve(red_square_model, red_square_image,
                                                       random_map(s), steps=32))
                   for s in range(3)]
    assert true_auc < 0.05
    assert min(random_aucs) > true_auc + 0.3
    worst = metrics.auc(*metrics.deletion_curve(red_square_model, red_square_image,
                                                1 - true_map, steps=32))
    assert worst > max(random_aucs)  # square removed last: the least faithful order


def test_insertion_of_the_true_map_beats_random(red_square_model, red_square_image, true_map):
    fr, scores = metrics.insertion_curve(red_square_model, red_square_image, true_map,
                                         steps=32, baseline=0)
    assert scores[0] < 0.01 and scores[2] > 0.99 and scores[-1] > 0.99
    true_auc = metrics.auc(fr, scores)
    rand_auc = metrics.auc(*metrics.insertion_curve(red_square_model, red_square_image,
                                                    random_map(), steps=32, baseline=0))
    assert true_auc > 0.95 and true_auc > rand_auc + 0.3
    # default baseline: the blurred image (RISE); the true map still wins
    blur_true = metrics.auc(*metrics.insertion_curve(red_square_model, red_square_image, true_map))
    blur_rand = metrics.auc(*metrics.insertion_curve(red_square_model, red_square_image, random_map()))
    assert blur_true > blur_rand


def test_curve_matches_a_plain_loop_and_ignores_batch_size(red_square_model, red_square_image):
    heatmap = random_map(5)
    heatmap[0, :4] = heatmap[0, 4]  # ties: broken in raster order
    steps = 7
    fr, scores = metrics.deletion_curve(red_square_model, red_square_image, heatmap,
                                        steps=steps, baseline=50, batch_size=3)
    order = sorted(range(SIZE * SIZE), key=lambda i: (-heatmap.ravel()[i], i))
    expected = []
    for k in range(steps + 1):
        image = red_square_image.astype(np.float32).reshape(-1, 3).copy()
        image[order[:round(k / steps * SIZE * SIZE)]] = 50
        p = helpers.predict(red_square_model, image.reshape(1, SIZE, SIZE, 3))[0, 1]
        expected.append(p)
    np.testing.assert_allclose(scores, expected, atol=1e-6)
    for batch_size in (1, 2, 16):
        _, other = metrics.deletion_curve(red_square_model, red_square_image, heatmap,
                                          steps=steps, baseline=50, batch_size=batch_size)
        np.testing.assert_allclose(other, scores, atol=1e-6)


def test_coarse_map_is_resized_and_class_index_is_used(red_square_model, red_square_image):
    coarse = np.zeros((4, 4), np.float32)
    coarse[1, 1:3] = 1.0  # the 8×8 cells over the square (rows 8–16, cols 8–24)
    fr, scores = metrics.deletion_curve(red_square_model, red_square_image, coarse, steps=16)
    assert metrics.auc(fr, scores) < 0.1
    fr, other = metrics.deletion_curve(red_square_model, red_square_image, coarse, steps=16,
                                       class_index=0)
    np.testing.assert_allclose(other, 1 - scores, atol=1e-6)


def test_curve_bad_inputs(red_square_model, red_square_image, true_map):
    with pytest.raises(ValueError, match="2-D"):
        metrics.deletion_curve(red_square_model, red_square_image, np.zeros((SIZE, SIZE, 3)))
    with pytest.raises(ValueError, match="prend des images 32×32"):
        metrics.deletion_curve(red_square_model, np.zeros((40, 40, 3)), true_map)
    with pytest.raises(ValueError, match="hors limites"):
        metrics.deletion_curve(red_square_model, red_square_image, true_map, class_index=2)
    with pytest.raises(ValueError, match="baseline"):
        metrics.insertion_curve(red_square_model, red_square_image, true_map, baseline="grey")
    with pytest.raises(ValueError, match="steps"):
        metrics.deletion_curve(red_square_model, red_square_image, true_map, steps=0)


def test_auc_known_values():
    assert metrics.auc([0, 1], [1, 1]) == pytest.approx(1.0)
    assert metrics.auc([0, 0.5, 1], [1, 0, 0]) == pytest.approx(0.25)
    assert metrics.auc(np.linspace(0, 1, 11), np.linspace(0, 1, 11)) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="même longueur"):
        metrics.auc([0, 1], [1, 0, 0])
    with pytest.raises(ValueError, match="croissant"):
        metrics.auc([1, 0], [1, 0])


def test_faithfulness_table(red_square_model, red_square_image, true_map):
    table = metrics.faithfulness_table(red_square_model, red_square_image,
                                       {"true": true_map, "random": random_map()}, steps=8)
    rows = {r["map"]: r for r in table.as_dicts()}
    assert rows["true"]["deletion AUC"] < rows["random"]["deletion AUC"]
    assert rows["true"]["insertion AUC"] > rows["random"]["insertion AUC"]


# --------------------------------------------------------------------------- agreement
def test_spearman_known_answers():
    a = np.arange(12, dtype=float).reshape(3, 4)
    assert metrics.spearman(a, a) == pytest.approx(1.0)
    assert metrics.spearman(a, -a) == pytest.approx(-1.0)
    assert metrics.spearman(a, a ** 3 + 5) == pytest.approx(1.0)  # monotone: same ranks
    # ties take average ranks: x = [1, 2, 2, 3] → ranks [1, 2.5, 2.5, 4]
    x = np.array([[1.0, 2.0, 2.0, 3.0]])
    y = np.array([[1.0, 2.0, 3.0, 4.0]])
    rx = np.array([1, 2.5, 2.5, 4]) - 2.5
    ry = np.array([1, 2, 3, 4]) - 2.5
    expected = (rx @ ry) / np.sqrt((rx @ rx) * (ry @ ry))
    assert metrics.spearman(x, y) == pytest.approx(expected)
    assert expected == pytest.approx(0.9486833, abs=1e-6)
    assert np.isnan(metrics.spearman(np.ones((3, 3)), a[:, :3]))


def test_spearman_resizes_the_smaller_map():
    small = np.array([[0.0, 1.0], [2.0, 3.0]])
    large = np.kron(small, np.ones((8, 8)))  # the same map at 16×16
    assert metrics.spearman(small, large) > 0.9
    assert metrics.spearman(large, small) == pytest.approx(metrics.spearman(small, large))
    with pytest.raises(ValueError, match="2-D"):
        metrics.spearman(np.zeros(5), small)


def test_top_k_iou_known_answers():
    a = np.arange(100, dtype=float).reshape(10, 10)
    assert metrics.top_k_iou(a, a, k=0.1) == 1.0
    assert metrics.top_k_iou(a, -a, k=0.1) == 0.0
    # top 10 of a: 90..99; of b: shifted by 5 positions → 5 shared of 15
    b = np.roll(a.ravel(), -5).reshape(10, 10)
    b_top = set(np.argsort(-b.ravel(), kind="stable")[:10])
    a_top = set(range(90, 100))
    assert metrics.top_k_iou(a, b, k=0.1) == pytest.approx(len(a_top & b_top) / len(a_top | b_top))
    # constant map: ties in raster order → the first 10 pixels
    assert metrics.top_k_iou(np.zeros((10, 10)), -a, k=0.1) == 1.0
    with pytest.raises(ValueError, match="k doit être > 0"):
        metrics.top_k_iou(a, a, k=0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        metrics.top_k_iou(a, a, k=1.5)


def test_agreement_table():
    a = np.arange(16, dtype=float).reshape(4, 4)
    table = metrics.agreement_table({"A": a, "B": a, "C": -a})
    rows = table.as_dicts()
    assert [(r["map A"], r["map B"]) for r in rows] == [("A", "B"), ("A", "C"), ("B", "C")]
    assert rows[0]["spearman"] == pytest.approx(1.0) and rows[1]["spearman"] == pytest.approx(-1.0)
