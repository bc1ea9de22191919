"""One-shot face recognizer (SPEC part 3) and its encrypted SQLite store.

Semantics (threshold, ranking, rejection, one matrix product, storage) are tested on a
known-answer extractor: ``tiny_block_means`` averages each 8×8 block of a 32×32 image
preprocessed to [-1, 1], so every embedding and similarity can be computed by hand
with NumPy. Random-weight VGG16 cannot separate people (its block5_pool features are
all positive after ReLU: measured cosine astronaut vs Grace Hopper ≈ 0.95, an
augmented astronaut vs herself ≈ 0.98–0.99), so it is used for the shape and
integration tests (marked slow), where only the ranking is asserted.
"""

import os
import sqlite3

import cv2
import keras
import numpy as np
import pytest

import helpers
from helpers import faces as faces_mod
from helpers.images import read_image, resize
from helpers.face_store import (KEY_ENV, DuplicateNameError, FaceStoreError, InvalidNameError,
                                MemoryStore, SQLiteStore, generate_key)
from helpers.recognizer import (FACE_MARGIN, IDENTIFIED, NOBODY_ENROLLED, REJECTED, FaceRecognizer,
                                NoFaceError, embedding_model)


# --------------------------------------------------------------------------- fixtures
def _raw_preprocess(batch):
    """[0, 255] → [-1, 1]: the tiny extractor's explicit preprocessing."""
    return np.asarray(batch, np.float32) / 127.5 - 1.0


@pytest.fixture(scope="module")
def tiny():
    """Known answer: 32×32×3 → mean of each 8×8 block → 4·4·3 = 48 dims."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.AveragePooling2D(8)(inputs)
    return keras.Model(inputs, keras.layers.Flatten()(x), name="tiny_block_means")


def _expected_embedding(image):
    """The tiny extractor computed by hand: resize, [-1, 1], 8×8 block means, L2-normalise."""
    small = resize(helpers.to_rgb_uint8(image), (32, 32)).astype(np.float64) / 127.5 - 1.0
    v = small.reshape(4, 8, 4, 8, 3).mean(axis=(1, 3)).reshape(-1)
    return v / np.linalg.norm(v)


def _person(seed, size=256):
    """A synthetic 'face': a smooth random colour layout (block structure survives resizing)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
    return cv2.resize(coarse, (size, size), interpolation=cv2.INTER_NEAREST)


def _augment(image, shift=6, crop=4, brightness=1.08):
    """A light augmentation: a shift (reflected border), a border crop, brighter."""
    h, w = image.shape[:2]
    matrix = np.float32([[1, 0, shift], [0, 1, -shift // 2]])
    out = cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REFLECT)
    out = out[crop:h - crop, crop:w - crop]
    return np.clip(out.astype(np.float32) * brightness, 0, 255).astype(np.uint8)


def _tiny_recognizer(tiny, threshold=0.8, **kwargs):
    kwargs.setdefault("detect_faces", False)
    return FaceRecognizer(tiny, threshold, preprocess=_raw_preprocess, **kwargs)


@pytest.fixture
def key_dir(tmp_path):
    """Keys live in their own folder, away from the databases."""
    d = tmp_path / "keys"
    d.mkdir()
    return d


@pytest.fixture
def db_path(tmp_path):
    d = tmp_path / "db"
    d.mkdir()
    return d / "faces.db"


# --------------------------------------------------------------------------- embeddings
def test_embed_is_the_hand_computed_normalised_embedding(tiny):
    rec = _tiny_recognizer(tiny)
    img = _person(1)
    v = rec.embed(img)
    assert v.dtype == np.float32 and v.shape == (48,)
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(v, _expected_embedding(img), atol=1e-5)


def test_embed_accepts_paths_float_and_batched_images(tiny, tmp_path):
    rec = _tiny_recognizer(tiny)
    img = _person(2)
    path = tmp_path / "p.png"
    cv2.imwrite(str(path), img[:, :, ::-1])
    ref = rec.embed(img)
    np.testing.assert_allclose(rec.embed(path), ref, atol=1e-6)
    np.testing.assert_allclose(rec.embed(str(path)), ref, atol=1e-6)
    np.testing.assert_allclose(rec.embed(img.astype(np.float64)), ref, atol=1e-6)
    np.testing.assert_allclose(rec.embed(img[None]), ref, atol=1e-6)


def test_embed_does_not_mutate_the_input(tiny):
    rec = _tiny_recognizer(tiny)
    img = _person(3)
    before = img.copy()
    rec.register("a", img)
    rec.identify(img)
    np.testing.assert_array_equal(img, before)


def test_all_zero_embedding_is_a_clear_error(tiny):
    rec = FaceRecognizer(tiny, preprocess=lambda batch: batch * 0.0, detect_faces=False)
    with pytest.raises(ValueError, match="entièrement nul"):
        rec.register("alice", _person(1))
    assert rec.names == []


# --------------------------------------------------------------------------- identification
def test_self_identification_is_one(tiny):
    rec = _tiny_recognizer(tiny)
    rec.register("alice", _person(1))
    rec.register("bob", _person(2))
    name, sim, status = rec.identify(_person(1))
    assert (name, status) == ("alice", IDENTIFIED)
    assert sim == pytest.approx(1.0, abs=1e-3)
    assert isinstance(sim, float)


def test_augmented_copy_matches_and_another_person_is_rejected(tiny):
    rec = _tiny_recognizer(tiny, threshold=0.8)
    alice, bob, carol = _person(1), _person(2), _person(3)
    rec.register("alice", alice)
    rec.register("bob", bob)
    sims = rec.similarities(_augment(alice))
    # measured: alice ≈ 0.98, bob ≈ -0.16 — the augmentation keeps the identity
    assert sims["alice"] > 0.9 > 0.5 > sims["bob"]
    name, sim, status = rec.identify(_augment(alice))
    assert (name, status) == ("alice", IDENTIFIED)
    assert sim == pytest.approx(sims["alice"], abs=1e-6)
    name, sim, status = rec.identify(carol)
    assert (name, status) == (None, REJECTED)
    assert sim < 0.8
    assert sim == pytest.approx(max(_expected_embedding(carol) @ _expected_embedding(p) for p in (alice, bob)),
                                abs=1e-5)


def test_threshold_equality_counts_as_identified(tiny):
    rec = _tiny_recognizer(tiny, threshold=0.0)
    rec.register("alice", _person(1))
    query = _augment(_person(1))
    sim = rec.similarities(query)["alice"]
    rec.threshold = sim  # exactly the similarity: >= identifies
    assert rec.identify(query) == ("alice", sim, IDENTIFIED)
    rec.threshold = float(np.nextafter(sim, 2.0))  # the next float up: rejected
    assert rec.identify(query) == (None, sim, REJECTED)


def test_empty_database_answers_nobody_enrolled(tiny):
    rec = _tiny_recognizer(tiny)
    assert rec.identify(_person(1)) == (None, 0.0, NOBODY_ENROLLED)
    assert rec.similarities(_person(1)) == {}
    assert rec.names == [] and len(rec) == 0


def test_identify_equals_a_loop_of_dot_products(tiny):
    rec = _tiny_recognizer(tiny, threshold=0.0)
    people = {f"p{i}": _person(10 + i) for i in range(6)}
    for name, img in people.items():
        rec.register(name, img)
    query = _augment(people["p3"], shift=10, brightness=1.2)
    q = rec.embed(query)
    loop = {name: float(q @ rec.embed(img)) for name, img in people.items()}
    sims = rec.similarities(query)
    assert list(sims) == list(people)
    for name in people:
        assert sims[name] == pytest.approx(loop[name], abs=1e-6)
    best = max(loop, key=loop.get)
    name, sim, _ = rec.identify(query)
    assert name == best == "p3" and sim == pytest.approx(loop[best], abs=1e-6)


class _CountingMatrix(np.ndarray):
    products = 0

    def __matmul__(self, other):
        type(self).products += 1
        return np.asarray(self) @ np.asarray(other)


def test_identify_is_one_matrix_product(tiny):
    rec = _tiny_recognizer(tiny, threshold=0.0)
    for i in range(5):
        rec.register(f"p{i}", _person(20 + i))
    load = rec.store.load

    def counting_load():
        names, matrix = load()
        return names, matrix.view(_CountingMatrix)

    rec.store.load = counting_load
    _CountingMatrix.products = 0
    name, _, _ = rec.identify(_person(22))
    assert name == "p2"
    assert _CountingMatrix.products == 1  # a loop over people would make 5


def test_names_remove_and_contains(tiny):
    rec = _tiny_recognizer(tiny)
    for i, name in enumerate(["carol", "alice", "bob"]):
        rec.register(name, _person(i))
    assert rec.names == ["carol", "alice", "bob"]  # enrolment order
    assert "alice" in rec and "zoe" not in rec
    rec.remove("alice")
    assert rec.names == ["carol", "bob"]
    assert rec.identify(_person(1))[0] != "alice"
    with pytest.raises(ValueError, match="n'est pas enregistré"):
        rec.remove("alice")
    np.testing.assert_allclose(rec.enrolled_embedding("bob"), _expected_embedding(_person(2)), atol=1e-6)
    with pytest.raises(ValueError, match="n'est pas enregistré"):
        rec.enrolled_embedding("alice")
    rec.register("alice", _person(1))  # enrolling again after erasure works
    assert rec.identify(_person(1))[0] == "alice"


# --------------------------------------------------------------------------- argument errors
@pytest.mark.parametrize("bad", [-0.01, 1.01, float("nan"), float("inf")])
def test_threshold_out_of_range(tiny, bad):
    with pytest.raises(ValueError, match="threshold"):
        _tiny_recognizer(tiny, threshold=bad)
    rec = _tiny_recognizer(tiny)
    with pytest.raises(ValueError, match="threshold"):
        rec.threshold = bad


@pytest.mark.parametrize("bad", ["0.5", None, True, [0.5]])
def test_threshold_not_a_number(tiny, bad):
    with pytest.raises(TypeError, match="threshold"):
        _tiny_recognizer(tiny, threshold=bad)


@pytest.mark.parametrize("ok", [0, 1, 0.0, 1.0, np.float32(0.7)])
def test_threshold_bounds_accepted(tiny, ok):
    assert _tiny_recognizer(tiny, threshold=ok).threshold == pytest.approx(float(ok))


def test_duplicate_and_blank_names(tiny):
    rec = _tiny_recognizer(tiny)
    rec.register("alice", _person(1))
    with pytest.raises(DuplicateNameError):
        rec.register("alice", _person(2))
    with pytest.raises(DuplicateNameError):
        rec.register("  alice ", _person(2))  # surrounding spaces are not a new name
    for blank in ["", "   ", "\t\n"]:
        with pytest.raises(InvalidNameError):
            rec.register(blank, _person(2))
    with pytest.raises(TypeError, match="name"):
        rec.register(42, _person(2))
    assert rec.names == ["alice"]


def test_extractor_errors(tiny):
    with pytest.raises(TypeError, match="modèle Keras"):
        FaceRecognizer(lambda x: x)
    head = keras.layers.Dense(10, activation="softmax", name="predictions")(tiny.output)
    classifier = keras.Model(tiny.input, head, name="vgg16_like_classifier")
    with pytest.raises(ValueError, match="embedding_model"):
        FaceRecognizer(classifier)  # a classifier (like VGG16 itself), not an extractor
    with pytest.raises(TypeError, match="detect_faces"):
        FaceRecognizer(tiny, detect_faces="yes")
    with pytest.raises(TypeError, match="preprocess"):
        FaceRecognizer(tiny, preprocess=3)


def test_default_preprocess_follows_the_extractor_name(tiny):
    vgg_named = keras.Model(tiny.inputs, tiny.outputs, name="vgg16_like")
    mob_named = keras.Model(tiny.inputs, tiny.outputs, name="mobilenetv2_like")
    assert FaceRecognizer(vgg_named, detect_faces=False).preprocess is helpers.preprocess_vgg16
    assert FaceRecognizer(mob_named, detect_faces=False).preprocess is helpers.preprocess_mobilenet_v2
    assert FaceRecognizer(tiny, detect_faces=False).preprocess is helpers.preprocess_vgg16
    assert FaceRecognizer(tiny, preprocess="mobilenet_v2").preprocess is helpers.preprocess_mobilenet_v2


# --------------------------------------------------------------------------- face cropping
def test_face_is_cropped_with_margin_before_resizing(tiny):
    rec = _tiny_recognizer(tiny, detect_faces=True)
    photo = read_image(helpers.sample_path("astronaut"))
    x, y, w, h = faces_mod.detect_faces(photo)[0]
    dx, dy = round(FACE_MARGIN * w), round(FACE_MARGIN * h)
    crop = photo[max(0, y - dy):y + h + dy, max(0, x - dx):x + w + dx]
    np.testing.assert_array_equal(rec.face_image(photo), resize(crop, (32, 32)))
    np.testing.assert_allclose(rec.embed(photo), _expected_embedding(crop), atol=1e-5)
    # the whole image would give another embedding: the crop really happens
    assert abs(float(rec.embed(photo) @ _expected_embedding(photo))) < 0.999


def test_face_crop_is_clipped_to_the_image(tiny):
    img = _person(4, size=100)
    rec = _tiny_recognizer(tiny, detect_faces=lambda image: [(0, 0, 50, 50), (40, 40, 10, 10)])
    np.testing.assert_array_equal(rec.face_image(img), resize(img[0:55, 0:55], (32, 32)))
    rec = _tiny_recognizer(tiny, detect_faces=lambda image: [(60, 70, 40, 30)])
    np.testing.assert_array_equal(rec.face_image(img), resize(img[67:100, 56:100], (32, 32)))


def test_no_face_is_a_clear_error_not_a_whole_image_embedding(tiny):
    rec = _tiny_recognizer(tiny, detect_faces=True)
    with pytest.raises(NoFaceError):
        rec.register("cat", helpers.sample_path("chelsea"))
    assert rec.names == []
    rec.register("eileen", helpers.sample_path("astronaut"))
    with pytest.raises(NoFaceError):
        rec.identify(helpers.sample_path("coffee"))


def test_two_portraits_detected_and_told_apart_by_the_known_answer_extractor(tiny):
    rec = _tiny_recognizer(tiny, threshold=0.9, detect_faces=True)
    rec.register("eileen", helpers.sample_path("astronaut"))
    rec.register("grace", helpers.sample_path("grace_hopper"))
    assert rec.identify(helpers.sample_path("grace_hopper"))[:1] == ("grace",)
    shifted = _augment(read_image(helpers.sample_path("astronaut")), shift=8, crop=6, brightness=1.05)
    sims = rec.similarities(shifted)
    assert sims["eileen"] > sims["grace"]


# --------------------------------------------------------------------------- encrypted store
def test_database_persists_and_round_trips(tiny, db_path, key_dir):
    key = generate_key(key_dir / "face.key")
    assert (key_dir / "face.key").read_bytes() == key
    assert oct((key_dir / "face.key").stat().st_mode & 0o777) == "0o600"
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        rec.register("alice", _person(1))
        rec.register("bob", _person(2))
        expected = rec.similarities(_person(1))
    with _tiny_recognizer(tiny, store=db_path, key=key_dir / "face.key") as rec:
        assert rec.names == ["alice", "bob"]
        assert rec.similarities(_person(1)) == pytest.approx(expected, abs=1e-7)
        assert rec.identify(_person(2))[:1] == ("bob",)


def test_key_from_environment(tiny, db_path, monkeypatch):
    key = generate_key()
    monkeypatch.setenv(KEY_ENV, key.decode())
    with _tiny_recognizer(tiny, store=db_path) as rec:
        rec.register("alice", _person(1))
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        assert rec.names == ["alice"]


def test_schema_stores_no_image_and_encrypts_embeddings(tiny, db_path):
    key = generate_key()
    images = [_person(i, size=256) for i in range(3)]  # 196 KB of pixels each
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        for i, img in enumerate(images):
            rec.register(f"person{i}", img)
        vectors = [rec.embed(img) for img in images]
    conn = sqlite3.connect(db_path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    columns = [(row[1], row[2]) for row in conn.execute("PRAGMA table_info(people)")]
    rows = conn.execute("SELECT name, embedding, created FROM people").fetchall()
    conn.close()
    assert tables == {"meta", "people"}
    assert columns == [("id", "INTEGER"), ("name", "TEXT"), ("embedding", "BLOB"), ("created", "TEXT")]
    for _, token, created in rows:
        assert bytes(token).startswith(b"gAAAAA")  # a Fernet token, not raw floats
        assert len(token) < 400  # 48 float32 = 192 bytes, encrypted and base64: ~330
        assert created.endswith("+00:00")
    raw = db_path.read_bytes()
    for img, vector in zip(images, vectors):
        assert vector.tobytes() not in raw  # encrypted at rest
        assert img[:8, :8].tobytes() not in raw
    assert len(raw) < 32 * 1024  # a few pages: three 196 KB images are not in there


def test_erasure_removes_the_bytes_from_the_file(tiny, db_path):
    key = generate_key()
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        rec.register("Alice Martin", _person(1))
        rec.register("Bob Durand", _person(2))
        conn = sqlite3.connect(db_path)
        tokens = dict(conn.execute("SELECT name, embedding FROM people"))
        conn.close()
        before = db_path.read_bytes()
        assert b"Alice Martin" in before and bytes(tokens["Alice Martin"]) in before
        rec.remove("Alice Martin")
        after = db_path.read_bytes()
        assert b"Alice Martin" not in after
        assert bytes(tokens["Alice Martin"]) not in after
        assert bytes(tokens["Alice Martin"])[-40:] not in after  # not even a fragment
        assert b"Bob Durand" in after and bytes(tokens["Bob Durand"]) in after
        assert rec.names == ["Bob Durand"]
    assert not (db_path.parent / (db_path.name + "-journal")).exists()


def test_erasure_vacuums_the_file(db_path):
    """Large embeddings span overflow pages: remove must VACUUM them out of the file."""
    inputs = keras.Input((32, 32, 3))
    pixels = keras.Model(inputs, keras.layers.Flatten()(inputs), name="tiny_pixels")  # 3072 dims
    with _tiny_recognizer(pixels, store=db_path, key=generate_key()) as rec:
        for i in range(3):
            rec.register(f"p{i}", _person(i))
        size_before = db_path.stat().st_size
        rec.remove("p1")
        conn = sqlite3.connect(db_path)
        free_pages = conn.execute("PRAGMA freelist_count").fetchone()[0]
        conn.close()
        assert free_pages == 0  # no deleted page left behind
        assert db_path.stat().st_size < size_before - 12 * 1024  # one ~16 KB token gone
        assert rec.names == ["p0", "p2"]


def test_wrong_key(tiny, db_path):
    with _tiny_recognizer(tiny, store=db_path, key=generate_key()) as rec:
        rec.register("alice", _person(1))
    with pytest.raises(FaceStoreError, match="mauvaise clé"):
        _tiny_recognizer(tiny, store=db_path, key=generate_key())
    assert issubclass(FaceStoreError, ValueError)


def test_wrong_key_on_an_empty_database(tiny, db_path):
    _tiny_recognizer(tiny, store=db_path, key=generate_key()).close()
    with pytest.raises(FaceStoreError, match="mauvaise clé"):
        _tiny_recognizer(tiny, store=db_path, key=generate_key())


def test_tampered_embedding_is_detected(tiny, db_path):
    key = generate_key()
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        rec.register("alice", _person(1))
    conn = sqlite3.connect(db_path)
    other = generate_key()
    from cryptography.fernet import Fernet
    forged = Fernet(other).encrypt(np.ones(48, np.float32).tobytes())
    conn.execute("UPDATE people SET embedding = ? WHERE name = 'alice'", (forged,))
    conn.commit()
    conn.close()
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        with pytest.raises(FaceStoreError, match="mauvaise clé|modifié"):
            rec.identify(_person(1))


def test_missing_key(tiny, db_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(FaceStoreError, match=KEY_ENV):
        _tiny_recognizer(tiny, store=db_path)
    assert not db_path.exists()  # nothing created without a key


def test_malformed_key_and_missing_key_file(tiny, db_path, key_dir, monkeypatch):
    with pytest.raises(FaceStoreError, match="pas une clé Fernet"):
        _tiny_recognizer(tiny, store=db_path, key=b"not-a-key")
    monkeypatch.setenv(KEY_ENV, "nope")
    with pytest.raises(FaceStoreError, match="pas une clé Fernet"):
        _tiny_recognizer(tiny, store=db_path)
    with pytest.raises(FaceStoreError, match="introuvable"):
        _tiny_recognizer(tiny, store=db_path, key=key_dir / "missing.key")
    with pytest.raises(FaceStoreError, match="en octets"):
        _tiny_recognizer(tiny, store=db_path, key=generate_key().decode())
    with pytest.raises(TypeError, match="key"):
        _tiny_recognizer(tiny, store=db_path, key=12345)


def test_key_file_beside_the_database_is_refused(tiny, db_path):
    generate_key(db_path.parent / "face.key")
    with pytest.raises(FaceStoreError, match="même dossier"):
        _tiny_recognizer(tiny, store=db_path, key=db_path.parent / "face.key")


def test_generate_key_never_overwrites(key_dir):
    generate_key(key_dir / "k")
    with pytest.raises(FileExistsError):
        generate_key(key_dir / "k")


def test_corrupt_file_is_a_clear_error(tiny, db_path):
    db_path.write_bytes(os.urandom(4096))
    with pytest.raises(FaceStoreError, match="pas une base de visages"):
        _tiny_recognizer(tiny, store=db_path, key=generate_key())


def test_other_sqlite_database_is_refused(tiny, db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE photos (id INTEGER, pixels BLOB)")
    conn.commit()
    conn.close()
    with pytest.raises(FaceStoreError, match="base SQLite mais pas une base de visages"):
        _tiny_recognizer(tiny, store=db_path, key=generate_key())


def test_store_from_another_extractor_is_refused(tiny, db_path):
    key = generate_key()
    with _tiny_recognizer(tiny, store=db_path, key=key) as rec:
        rec.register("alice", _person(1))
    inputs = keras.Input((32, 32, 3))
    other = keras.Model(inputs, keras.layers.Flatten()(keras.layers.AveragePooling2D(16)(inputs)),
                        name="tiny_coarse")
    with FaceRecognizer(other, preprocess=_raw_preprocess, detect_faces=False, store=db_path, key=key) as rec:
        with pytest.raises(ValueError, match="extracteurs différents"):
            rec.identify(_person(1))
        with pytest.raises(ValueError, match="ne se comparent pas"):
            rec.register("bob", _person(2))


def test_store_argument_errors(tiny, db_path):
    with pytest.raises(TypeError, match="store"):
        _tiny_recognizer(tiny, store=3)
    with pytest.raises(ValueError, match="key="):
        _tiny_recognizer(tiny, key=generate_key())  # a key without a database
    with pytest.raises(FaceStoreError, match="est un dossier"):
        _tiny_recognizer(tiny, store=db_path.parent, key=generate_key())
    rec = _tiny_recognizer(tiny, store=MemoryStore())
    assert isinstance(rec.store, MemoryStore)
    store = SQLiteStore(db_path, key=generate_key())
    rec = _tiny_recognizer(tiny, store=store)
    rec.register("alice", _person(1))
    rec.close()
    with pytest.raises(FaceStoreError, match="fermée"):
        rec.names


def test_duplicate_name_in_the_database(tiny, db_path):
    with _tiny_recognizer(tiny, store=db_path, key=generate_key()) as rec:
        rec.register("alice", _person(1))
        with pytest.raises(DuplicateNameError):
            rec.register("alice", _person(2))
        with pytest.raises(DuplicateNameError):
            rec.store.add("alice", rec.embed(_person(2)), rec.model_id)  # the store checks too
        assert rec.names == ["alice"]


# --------------------------------------------------------------------------- VGG16 (slow)
@pytest.mark.slow
def test_embedding_model_shares_vgg16_weights(vgg16):
    emb = embedding_model(vgg16)
    assert emb is embedding_model(vgg16)  # cached
    assert emb.output_shape == (None, 7 * 7 * 512)
    assert emb.name.startswith("vgg16")
    assert helpers.get_preprocess(emb) is helpers.preprocess_vgg16
    assert emb.get_layer("block5_conv3") is vgg16.get_layer("block5_conv3")
    assert emb.count_params() == 14_714_688  # the conv base only, no dense layers
    with pytest.raises(ValueError, match="block5_pool"):
        embedding_model(keras.Model(vgg16.input, vgg16.get_layer("block1_pool").output, name="stub"))


@pytest.mark.slow
def test_vgg16_recognizer_on_the_bundled_portraits(vgg16):
    rec = FaceRecognizer(embedding_model(vgg16), threshold=0.5)
    rec.register("eileen", helpers.sample_path("astronaut"))
    rec.register("grace", helpers.sample_path("grace_hopper"))
    v = rec.embed(helpers.sample_path("astronaut"))
    assert v.shape == (25088,) and v.dtype == np.float32
    assert np.linalg.norm(v) == pytest.approx(1.0, abs=1e-5)
    name, sim, status = rec.identify(helpers.sample_path("astronaut"))
    assert (name, status) == ("eileen", IDENTIFIED) and sim == pytest.approx(1.0, abs=1e-3)
    # an augmented photo (detected again, then embedded) still ranks its own person first;
    # with random weights every similarity is high (measured ≈ 0.99 vs ≈ 0.95)
    shifted = _augment(read_image(helpers.sample_path("astronaut")), shift=10, crop=10, brightness=1.1)
    sims = rec.similarities(shifted)
    assert sims["eileen"] > sims["grace"]
    darker = _augment(read_image(helpers.sample_path("grace_hopper")), shift=-8, crop=8, brightness=0.9)
    sims = rec.similarities(darker)
    assert sims["grace"] > sims["eileen"]
    with pytest.raises(NoFaceError):
        rec.identify(helpers.sample_path("chelsea"))
