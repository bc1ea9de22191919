"""One-shot face recognition (SPEC part 3): embeddings, cosine similarity, a store.

The pipeline of SPEC 3.1, the same for enrolment and recognition::

    photo → face detection (largest-vote box, small margin) → resize 224×224
          → preprocessing → frozen VGG16 up to block5_pool → flatten (25 088 dims)
          → L2 normalisation → database  |  cosine similarity against the database

``FaceRecognizer.register(name, img)`` enrols one photo per person (one-shot);
``identify(img)`` returns ``(name, similarity, status)`` from ONE matrix product of
the query embedding with every enrolled embedding (1-nearest-neighbour by cosine).

Face embeddings are biometric data (GDPR art. 9). The store therefore keeps no
image, only ``name``, the embedding and its creation time. In memory by default; with
``store="faces.db"`` a real SQLite database whose embeddings are encrypted at rest
with Fernet (AES-128-CBC + HMAC-SHA256, ``cryptography`` package). The key is given
as ``key=`` (bytes, or the path of a key file kept *away* from the database) or by
the environment variable ``XAI_COURSE_FACE_KEY``; it is never written into or beside
the database. ``remove(name)`` (the right to erasure) deletes the row, with
``secure_delete`` on and a ``VACUUM``, so its bytes are gone from the file.

Names are stored in clear (they are the lookup key); the embeddings are not.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import weakref
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from . import _checks
from .images import as_rgb, resize
from .models import get_preprocess, model_family

import keras  # noqa: E402  (after helpers/__init__ quietened TensorFlow)
import tensorflow as tf  # noqa: E402

#: Environment variable that may hold the Fernet key of an encrypted face database.
KEY_ENV = "XAI_COURSE_FACE_KEY"
#: ``identify`` status when the best similarity reaches the threshold (``>=``).
IDENTIFIED = "identified"
#: ``identify`` status when the best similarity is below the threshold.
REJECTED = "rejected"
#: ``identify`` status when nobody is enrolled (the name is then ``None``, similarity 0.0).
NOBODY_ENROLLED = "nobody enrolled"
#: Margin added around the detected face box, as a fraction of its width/height per side.
FACE_MARGIN = 0.1
#: Input size used when the extractor's input has no fixed size.
DEFAULT_SIZE = (224, 224)

_SCHEMA_VERSION = "1"
_KEY_CHECK = b"xai-course face store key check"
_EMBEDDINGS: "weakref.WeakKeyDictionary[keras.Model, keras.Model]" = weakref.WeakKeyDictionary()


class FaceStoreError(ValueError):
    """A face database that cannot be used: wrong or missing key, corrupt file, other schema."""


# --------------------------------------------------------------------------- extractor
def embedding_model(model: keras.Model, layer_name: str = "block5_pool") -> keras.Model:
    """The face-embedding extractor: VGG16's ``block5_pool`` output, flattened.

    Built from ``model``'s own layers (the same variables: no second load, no copy of
    the weights) and cached per model, so calling it again is free.

    Args:
        model: the VGG16 classifier (``helpers.load_model("vgg16")``), 224×224 input.
        layer_name: the spatial layer whose output is flattened (default
            ``"block5_pool"``: 7×7×512 = 25 088 dims).

    Returns:
        A Keras model named ``"vgg16_embedding"`` (so ``helpers.get_preprocess`` gives
        it the VGG16 preprocessing) mapping a preprocessed batch (n, 224, 224, 3) to
        embeddings (n, 25 088), float32, not normalised.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"embedding_model needs a Keras model (helpers.load_model('vgg16')); got {type(model).__name__}."
        )
    if layer_name == "block5_pool" and model in _EMBEDDINGS:
        return _EMBEDDINGS[model]
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(
            f"{model.name} has no layer {layer_name!r}: embedding_model expects the VGG16 "
            "classifier from helpers.load_model('vgg16') (its last pooling layer is 'block5_pool')."
        )
    features = model.get_layer(layer_name).output
    flat = keras.layers.Flatten(name="embedding")(features)
    family = model_family(model) or "vgg16"
    extractor = keras.Model(model.input, flat, name=f"{family}_embedding")
    if layer_name == "block5_pool":
        _EMBEDDINGS[model] = extractor
    return extractor


def generate_key(path=None) -> bytes:
    """A new random Fernet key for an encrypted face database.

    Args:
        path: optional file to write the key to (created with owner-only permissions;
            an existing file is never overwritten). Keep it away from the database:
            a key stored beside the data protects nothing.

    Returns:
        The key (44 url-safe base64 bytes). Keep it secret; without it the database
        cannot be read. ``os.environ["XAI_COURSE_FACE_KEY"] = key.decode()`` is one
        way to give it to ``FaceRecognizer`` without a file.
    """
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    if path is not None:
        p = Path(path)
        if p.exists():
            raise FileExistsError(f"{str(p)!r} already exists: generate_key never overwrites a key file.")
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
    return key


# --------------------------------------------------------------------------- stores
class MemoryStore:
    """Enrolled embeddings kept in memory (lost when the Python process ends).

    The store interface shared with ``SQLiteStore``: ``add``, ``remove``, ``names``,
    ``load`` (names and the (n, d) embedding matrix), ``close``.
    """

    def __init__(self):
        self._names: list[str] = []
        self._vectors: list[np.ndarray] = []
        self.model_id: str | None = None
        self.dim: int | None = None

    def add(self, name: str, vector: np.ndarray, model_id: str) -> None:
        """Store ``vector`` (1-D float32) under the new ``name``."""
        self._check_model(vector, model_id)
        if name in self._names:
            raise ValueError(f"{name!r} is already enrolled; remove(name) first to replace them.")
        self._names.append(name)
        self._vectors.append(np.array(vector, dtype=np.float32))
        self.model_id, self.dim = model_id, int(vector.shape[0])

    def _check_model(self, vector, model_id):
        if self.dim is not None and (vector.shape[0] != self.dim or model_id != self.model_id):
            raise ValueError(
                f"This store holds {self.dim}-dim embeddings of {self.model_id!r}; got a "
                f"{vector.shape[0]}-dim embedding of {model_id!r}. Embeddings of different "
                "extractors cannot be compared: use a new store."
            )

    def remove(self, name: str) -> None:
        """Forget ``name`` (ValueError if not enrolled)."""
        if name not in self._names:
            raise ValueError(f"{name!r} is not enrolled; enrolled: {self.names()}.")
        i = self._names.index(name)
        del self._names[i]
        del self._vectors[i]

    def names(self) -> list[str]:
        """Enrolled names, in enrolment order."""
        return list(self._names)

    def load(self) -> tuple[list[str], np.ndarray | None]:
        """``(names, matrix)``: the matrix (n, d) float32, rows in the order of ``names``
        (``None`` when empty)."""
        if not self._names:
            return [], None
        return list(self._names), np.stack(self._vectors)

    def close(self) -> None:
        """Nothing to release."""

    def __repr__(self) -> str:
        return f"MemoryStore({len(self._names)} enrolled)"


class SQLiteStore:
    """Enrolled embeddings in an SQLite file, each encrypted with Fernet.

    Schema (no image, ever)::

        meta(key TEXT PRIMARY KEY, value TEXT)       -- schema version, extractor id,
                                                     -- dim, an encrypted key check
        people(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL,
               embedding BLOB NOT NULL,              -- Fernet token of the float32 bytes
               created TEXT NOT NULL)                -- ISO 8601, UTC

    Args:
        path: the database file (created when missing).
        key: the Fernet key as bytes, or the path of a key file; ``None`` reads the
            environment variable ``XAI_COURSE_FACE_KEY``. A key file in the same
            folder as the database is refused.

    Raises:
        FaceStoreError: missing or malformed key, wrong key, a file that is not an
            SQLite database, or an SQLite database that is not a face store.
    """

    def __init__(self, path, key=None):
        from cryptography.fernet import Fernet

        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"store must be a file path (str or Path); got {type(path).__name__}.")
        self.path = Path(path)
        if self.path.is_dir():
            raise FaceStoreError(f"store={str(self.path)!r} is a directory; give a file name like 'faces.db'.")
        if not self.path.parent.exists():
            raise FileNotFoundError(f"The folder of store={str(self.path)!r} does not exist.")
        self._fernet = Fernet(_resolve_key(key, self.path))
        self._conn = None
        self._cache: tuple[list[str], np.ndarray | None] | None = None
        self.model_id: str | None = None
        self.dim: int | None = None
        conn = sqlite3.connect(self.path)
        try:
            self._conn = conn
            self._open()
        except BaseException:
            conn.close()
            self._conn = None
            raise

    # -- opening
    def _open(self) -> None:
        conn = self._conn
        try:
            conn.execute("PRAGMA secure_delete = ON")
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as err:
            raise FaceStoreError(
                f"{str(self.path)!r} is not a face database (SQLite says: {err}). "
                "Give another file name, or delete the file if it is yours and disposable."
            ) from None
        if not tables:
            self._create()
            return
        if tables != {"meta", "people"}:
            raise FaceStoreError(
                f"{str(self.path)!r} is an SQLite database but not a face store (tables "
                f"{sorted(tables)}). Use a new file for the recognizer."
            )
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            columns = [row[1] for row in conn.execute("PRAGMA table_info(people)")]
        except sqlite3.DatabaseError as err:
            raise FaceStoreError(f"{str(self.path)!r} is damaged ({err}).") from None
        if meta.get("schema") != _SCHEMA_VERSION or columns != ["id", "name", "embedding", "created"] \
                or "key_check" not in meta:
            raise FaceStoreError(
                f"{str(self.path)!r} has an unknown face-store schema (version "
                f"{meta.get('schema')!r}, columns {columns}). Use a new file."
            )
        self._decrypt(meta["key_check"].encode("ascii"), what="the key check")
        self.model_id = meta.get("model")
        self.dim = int(meta["dim"]) if meta.get("dim") else None

    def _create(self) -> None:
        token = self._fernet.encrypt(_KEY_CHECK).decode("ascii")
        with self._conn:
            self._conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            self._conn.execute(
                "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, "
                "embedding BLOB NOT NULL, created TEXT NOT NULL)"
            )
            self._conn.executemany("INSERT INTO meta VALUES (?, ?)",
                                   [("schema", _SCHEMA_VERSION), ("key_check", token)])

    def _decrypt(self, token: bytes, what: str) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise FaceStoreError(
                f"wrong key for the face database {str(self.path)!r}: {what} cannot be "
                "decrypted (or the file was tampered with). Use the key it was created with."
            ) from None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise FaceStoreError(f"The face database {str(self.path)!r} is closed.")
        return self._conn

    # -- interface
    def add(self, name: str, vector: np.ndarray, model_id: str) -> None:
        """Encrypt and store ``vector`` (1-D float32) under the new ``name``."""
        conn = self._db()
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        if self.dim is not None and (vector.shape[0] != self.dim or model_id != self.model_id):
            raise ValueError(
                f"{str(self.path)!r} holds {self.dim}-dim embeddings of {self.model_id!r}; got "
                f"a {vector.shape[0]}-dim embedding of {model_id!r}. Embeddings of different "
                "extractors cannot be compared: use another database file."
            )
        if conn.execute("SELECT 1 FROM people WHERE name = ?", (name,)).fetchone():
            raise ValueError(f"{name!r} is already enrolled; remove(name) first to replace them.")
        token = self._fernet.encrypt(vector.tobytes())
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with conn:
            conn.execute("INSERT INTO people (name, embedding, created) VALUES (?, ?, ?)",
                         (name, token, created))
            if self.dim is None:
                conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                 [("model", model_id), ("dim", str(vector.shape[0]))])
        self.model_id, self.dim = model_id, int(vector.shape[0])
        self._cache = None

    def remove(self, name: str) -> None:
        """Delete ``name``'s row, then VACUUM: the bytes are gone from the file."""
        conn = self._db()
        with conn:
            deleted = conn.execute("DELETE FROM people WHERE name = ?", (name,)).rowcount
        if not deleted:
            raise ValueError(f"{name!r} is not enrolled; enrolled: {self.names()}.")
        conn.execute("VACUUM")
        self._cache = None

    def names(self) -> list[str]:
        """Enrolled names, in enrolment order."""
        return [row[0] for row in self._db().execute("SELECT name FROM people ORDER BY id")]

    def load(self) -> tuple[list[str], np.ndarray | None]:
        """``(names, matrix)``: every embedding decrypted, (n, d) float32 (``None`` when
        empty). Cached until the next ``add``/``remove``."""
        if self._cache is None:
            rows = self._db().execute("SELECT name, embedding FROM people ORDER BY id").fetchall()
            names, vectors = [], []
            for name, token in rows:
                raw = self._decrypt(bytes(token), what=f"the embedding of {name!r}")
                vector = np.frombuffer(raw, dtype=np.float32)
                if self.dim is not None and vector.shape[0] != self.dim:
                    raise FaceStoreError(
                        f"The embedding of {name!r} in {str(self.path)!r} has {vector.shape[0]} "
                        f"values instead of {self.dim}: the database is damaged."
                    )
                names.append(name)
                vectors.append(vector)
            self._cache = (names, np.stack(vectors) if vectors else None)
        names, matrix = self._cache
        return list(names), matrix

    def close(self) -> None:
        """Close the database connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __repr__(self) -> str:
        state = "closed" if self._conn is None else f"{len(self.names())} enrolled"
        return f"SQLiteStore({str(self.path)!r}, {state})"


def _resolve_key(key, db_path: Path) -> bytes:
    """The Fernet key from ``key`` (bytes or key-file path) or ``XAI_COURSE_FACE_KEY``."""
    if key is None:
        env = os.environ.get(KEY_ENV, "").strip()
        if not env:
            raise FaceStoreError(
                f"The face database {str(db_path)!r} is encrypted and no key was given: pass "
                f"key=<bytes or key-file path> or set the environment variable {KEY_ENV}. "
                "Create a key once with helpers.recognizer.generate_key() and keep it safe."
            )
        raw, origin = env.encode("ascii", "replace"), f"${KEY_ENV}"
    elif isinstance(key, (bytes, bytearray)):
        raw, origin = bytes(key).strip(), "key"
    elif isinstance(key, (str, os.PathLike)):
        key_path = Path(key)
        if not key_path.is_file():
            hint = (" (it looks like a key itself: pass it as bytes, key.encode())"
                    if isinstance(key, str) and len(key.strip()) == 44 else "")
            raise FaceStoreError(f"Key file {str(key_path)!r} not found{hint}.")
        if key_path.resolve().parent == db_path.resolve().parent:
            raise FaceStoreError(
                f"The key file {str(key_path)!r} is in the same folder as the database: a key "
                "stored beside the data it protects protects nothing. Move it elsewhere."
            )
        raw, origin = key_path.read_bytes().strip(), f"key file {str(key_path)!r}"
    else:
        raise TypeError(f"key must be bytes, a key-file path or None; got {type(key).__name__}.")
    try:
        from cryptography.fernet import Fernet

        Fernet(raw)
    except (ValueError, TypeError):
        raise FaceStoreError(
            f"{origin} is not a Fernet key (44 url-safe base64 characters); create one with "
            "helpers.recognizer.generate_key()."
        ) from None
    return raw


# --------------------------------------------------------------------------- recognizer
class FaceRecognizer:
    """One-shot face recognition: 1-nearest-neighbour by cosine similarity.

    Args:
        extractor: a Keras model mapping a preprocessed image batch (n, H, W, 3) to
            embeddings (n, ...) — normally ``embedding_model(helpers.load_model("vgg16"))``.
        threshold: similarity needed to be identified, in [0, 1] (``>=``, equality counts).
        preprocess: function applied to the raw 0–255 batch before the extractor, or a
            model name (``"vgg16"``, ``"mobilenet_v2"``). Default: the preprocessing of the
            extractor's family when its name tells it (``vgg16...``, ``mobilenetv2...``),
            else the VGG16 preprocessing (the course's network). Give it explicitly for
            any other extractor.
        detect_faces: ``True``: crop the face found by ``helpers.faces.detect_faces``
            (the most confident box, with a ``FACE_MARGIN`` margin) before resizing;
            ``False``: embed the whole image; or a function ``img -> [(x, y, w, h), ...]``.
        store: ``None`` (in memory), a database file path (encrypted SQLite, see
            ``SQLiteStore``), or a store object (``MemoryStore``/``SQLiteStore``).
        key: Fernet key (bytes) or key-file path for a database ``store``; default the
            environment variable ``XAI_COURSE_FACE_KEY``.

    ``identify`` returns ``(name, similarity, status)``: status ``"identified"`` (name
    of the best match, similarity >= threshold), ``"rejected"`` (name ``None``, the best
    similarity is below the threshold; see ``similarities`` for every score) or
    ``"nobody enrolled"`` (name ``None``, similarity 0.0).

    Use it as a context manager (or call ``close()``) to close a database store.
    """

    def __init__(self, extractor: keras.Model, threshold: float = 0.5, *,
                 preprocess: Callable | str | None = None,
                 detect_faces: bool | Callable = True, store=None, key=None):
        if not isinstance(extractor, keras.Model):
            raise TypeError(
                "extractor must be a Keras model giving embeddings, e.g. "
                f"helpers.recognizer.embedding_model(helpers.load_model('vgg16')); got {type(extractor).__name__}."
            )
        if any(layer.name == "predictions" for layer in extractor.layers):
            raise ValueError(
                f"{extractor.name!r} is a classifier (it ends with 'predictions'): its output is "
                "1000 class probabilities, not a face embedding. Use "
                "helpers.recognizer.embedding_model(model) (block5_pool, 25 088 dims)."
            )
        self.extractor = extractor
        self.threshold = threshold
        if preprocess is None:
            family = model_family(extractor)
            preprocess = get_preprocess(family or "vgg16")
        elif isinstance(preprocess, str):
            preprocess = get_preprocess(preprocess)
        elif not callable(preprocess):
            raise TypeError(f"preprocess must be a function, a model name or None; got {preprocess!r}.")
        self.preprocess = preprocess
        if not (isinstance(detect_faces, bool) or callable(detect_faces)):
            raise TypeError(f"detect_faces must be True, False or a function; got {detect_faces!r}.")
        self.detect_faces = detect_faces
        shape = tuple(extractor.input_shape)
        if len(shape) != 4:
            raise ValueError(f"extractor must take image batches (n, H, W, 3); its input is {shape}.")
        self.input_size = (shape[1], shape[2]) if shape[1] and shape[2] else DEFAULT_SIZE
        if store is None:
            self.store = MemoryStore()
        elif isinstance(store, (MemoryStore, SQLiteStore)):
            if key is not None:
                raise ValueError("key= is for a database path; this store object is already open.")
            self.store = store
        elif isinstance(store, (str, os.PathLike)):
            self.store = SQLiteStore(store, key=key)
        else:
            raise TypeError(f"store must be None, a database path or a store object; got {store!r}.")
        if key is not None and isinstance(self.store, MemoryStore):
            raise ValueError("key= only applies to a database store (store='faces.db').")

    # -- settings
    @property
    def threshold(self) -> float:
        """Similarity needed to be identified, in [0, 1] (``>=``)."""
        return self._threshold

    @threshold.setter
    def threshold(self, value: float) -> None:
        self._threshold = _checks.fraction(value, "threshold")

    @property
    def model_id(self) -> str:
        """What the store records about the extractor: ``"<name>:<dim>"``."""
        dim = int(np.prod(self.extractor.output_shape[1:]))
        return f"{self.extractor.name}:{dim}"

    @property
    def names(self) -> list[str]:
        """Enrolled names, in enrolment order."""
        return self.store.names()

    def __len__(self) -> int:
        return len(self.store.names())

    def __contains__(self, name) -> bool:
        return name in self.store.names()

    # -- pipeline
    def face_image(self, img) -> np.ndarray:
        """The exact image that is embedded: face crop (if detecting) resized to the input.

        Args:
            img: a file path or an image array (H, W, 3), any dtype
                ``helpers.to_rgb_uint8`` accepts.

        Returns:
            RGB uint8 (input_h, input_w, 3), e.g. (224, 224, 3).

        Raises:
            ValueError: ``detect_faces`` is on and no face is found.
        """
        image = as_rgb(img)
        if self.detect_faces is not False:
            image = _crop_face(image, self.detect_faces)
        return resize(image, self.input_size)

    def embed(self, img) -> np.ndarray:
        """The L2-normalised embedding of the face in ``img``.

        Args:
            img: a file path or an image array (H, W, 3).

        Returns:
            float32 (d,), unit norm (d = 25 088 for VGG16 ``block5_pool``).
        """
        face = self.face_image(img)
        batch = self.preprocess(face[None].astype(np.float32))
        out = self.extractor(tf.convert_to_tensor(batch, tf.float32), training=False)
        vector = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError(
                f"The extractor {self.extractor.name!r} returned an all-zero (or non-finite) "
                "embedding for this image: cosine similarity is undefined. Check the image "
                "and the preprocessing."
            )
        return vector / np.float32(norm)

    # -- database
    def register(self, name: str, img) -> None:
        """Enrol ``name`` with one photo (one-shot): only the embedding is stored.

        Args:
            name: a non-blank name (surrounding spaces are removed), not yet enrolled.
            img: a file path or an image array (H, W, 3).

        Raises:
            ValueError: blank or duplicate name, no face found.
        """
        name = _check_name(name)
        if name in self.store.names():
            raise ValueError(f"{name!r} is already enrolled; remove(name) first to replace them.")
        self.store.add(name, self.embed(img), self.model_id)

    def remove(self, name: str) -> None:
        """Forget ``name`` (GDPR right to erasure): their embedding is deleted.

        Raises:
            ValueError: ``name`` is not enrolled.
        """
        self.store.remove(_check_name(name))

    def enrolled_embedding(self, name: str) -> np.ndarray:
        """The stored (L2-normalised) embedding of ``name``, e.g. to explain a match
        (the cosine similarity to it is a score like a class probability).

        Returns:
            float32 (d,), a copy.
        """
        name = _check_name(name)
        names, matrix = self.store.load()
        if name not in names:
            raise ValueError(f"{name!r} is not enrolled; enrolled: {names}.")
        return np.array(matrix[names.index(name)], dtype=np.float32)

    def similarities(self, img) -> dict[str, float]:
        """Cosine similarity of ``img``'s face to every enrolled person.

        Returns:
            ``{name: similarity}`` in enrolment order (empty when nobody is enrolled).
        """
        names, sims = self._scores(self.embed(img))
        return dict(zip(names, (float(s) for s in sims)))

    def _scores(self, query: np.ndarray) -> tuple[list[str], np.ndarray]:
        names, matrix = self.store.load()
        if matrix is None:
            return [], np.zeros(0, np.float32)
        if matrix.shape[1] != query.shape[0]:
            raise ValueError(
                f"The store holds {matrix.shape[1]}-dim embeddings but {self.extractor.name!r} "
                f"gives {query.shape[0]} dims: they come from different extractors."
            )
        sims = matrix @ query  # ONE matrix product: (n, d) @ (d,) -> (n,)
        return names, np.clip(sims, -1.0, 1.0)

    def identify(self, img) -> tuple[str | None, float, str]:
        """Who is in ``img``: the enrolled person with the highest cosine similarity.

        Args:
            img: a file path or an image array (H, W, 3).

        Returns:
            ``(name, similarity, status)``: ``(best, s, "identified")`` when
            ``s >= threshold``; ``(None, s, "rejected")`` otherwise;
            ``(None, 0.0, "nobody enrolled")`` when the store is empty. Ties go to the
            earliest enrolled.
        """
        names, sims = self._scores(self.embed(img))
        if not names:
            return None, 0.0, NOBODY_ENROLLED
        best = int(np.argmax(sims))
        similarity = float(sims[best])
        if similarity >= self.threshold:
            return names[best], similarity, IDENTIFIED
        return None, similarity, REJECTED

    def close(self) -> None:
        """Close the store (a database connection); the recognizer is unusable after."""
        self.store.close()

    def __enter__(self) -> "FaceRecognizer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"FaceRecognizer({self.extractor.name!r}, threshold={self._threshold}, "
                f"{len(self)} enrolled, store={self.store!r})")


def _check_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string; got {type(name).__name__}.")
    stripped = name.strip()
    if not stripped:
        raise ValueError("name is empty: give the person's name, e.g. register('Grace Hopper', img).")
    return stripped


def _crop_face(image: np.ndarray, detector) -> np.ndarray:
    """Crop the first box of ``detector`` with a ``FACE_MARGIN`` margin, clipped to the image."""
    if detector is True:
        from .faces import detect_faces as detector
    boxes = list(detector(image))
    if not boxes:
        raise ValueError(
            "No face found in the image (OpenCV's frontal-face detector needs a frontal, "
            "well-lit face, at least 30 px wide). Use another photo, crop it around the "
            "face, or pass detect_faces=False to embed the whole image on purpose."
        )
    x, y, w, h = (int(v) for v in boxes[0])
    height, width = image.shape[:2]
    dx, dy = int(round(FACE_MARGIN * w)), int(round(FACE_MARGIN * h))
    x1, y1 = max(0, x - dx), max(0, y - dy)
    x2, y2 = min(width, x + w + dx), min(height, y + h + dy)
    if x2 <= x1 or y2 <= y1:
        raise ValueError(f"The face box {(x, y, w, h)} lies outside the image of shape {image.shape}.")
    return image[y1:y2, x1:x2].copy()
