"""Where enrolled faces live: a store of (name, embedding) pairs, nothing else.

Face embeddings are biometric data (GDPR art. 9). A store therefore keeps no image,
only ``name``, the embedding and its creation time. Two stores share one interface
(``Store``): ``MemoryStore`` (lost when the process ends) and ``SQLiteStore``, a real
SQLite database whose embeddings are encrypted at rest with Fernet (AES-128-CBC +
HMAC-SHA256, ``cryptography`` package). The key is given as ``key=`` (bytes, or the
path of a key file kept *away* from the database) or by the environment variable
``XAI_COURSE_FACE_KEY``; it is never written into or beside the database.
``remove(name)`` (the right to erasure) deletes the row, with ``secure_delete`` on and a
``VACUUM``, so its bytes are gone from the file.

Names are stored in clear (they are the lookup key); the embeddings are not.
``helpers.FaceRecognizer`` takes any object with the ``Store`` methods.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from .messages import tr

#: Environment variable that may hold the Fernet key of an encrypted face database.
KEY_ENV = "XAI_COURSE_FACE_KEY"

_SCHEMA_VERSION = "1"
_KEY_CHECK = b"xai-course face store key check"


class FaceStoreError(ValueError):
    """A face database that cannot be used: wrong or missing key, corrupt file, other schema."""


class DuplicateNameError(ValueError):
    """The name is already enrolled (remove it first to replace the person)."""


class InvalidNameError(ValueError):
    """The name is blank: a person is enrolled under a non-empty name."""


def duplicate_name(name: str) -> DuplicateNameError:
    """The error of enrolling ``name`` twice, in the course's language."""
    return DuplicateNameError(tr("{name!r} is already enrolled; remove(name) first to replace them.",
                                 name=name))


@runtime_checkable
class Store(Protocol):
    """What ``FaceRecognizer`` needs from a store of enrolled faces."""

    def add(self, name: str, vector: np.ndarray, model_id: str) -> None:
        """Enrol ``name`` with its embedding.

        Args:
            name: the person's name, not enrolled yet.
            vector: (d,) float32 embedding.
            model_id: the extractor that made it (embeddings of two extractors never mix).
        """

    def remove(self, name: str) -> None:
        """Forget ``name`` (its embedding is deleted).

        Args:
            name: an enrolled name.
        """

    def names(self) -> list[str]:
        """The enrolled names.

        Returns:
            The names, in enrolment order.
        """

    def load(self) -> tuple[list[str], np.ndarray | None]:
        """The names and their embeddings.

        Returns:
            ``(names, matrix)``: the (n, d) float32 matrix, rows in the order of
            ``names`` (``None`` when empty).
        """

    def close(self) -> None:
        """Release what the store holds (a database connection)."""


def generate_key(path: str | os.PathLike | None = None) -> bytes:
    """A new random Fernet key for an encrypted face database.

    Args:
        path: optional file to write the key to (created with owner-only permissions;
            an existing file is never overwritten). Keep it away from the database:
            a key stored beside the data protects nothing.

    Returns:
        The key (44 url-safe base64 bytes). Keep it secret; without it the database
        cannot be read. ``os.environ["XAI_COURSE_FACE_KEY"] = key.decode()`` is one
        way to give it to ``FaceRecognizer`` without a file.

    Raises:
        FileExistsError: ``path`` already exists.
    """
    from cryptography.fernet import Fernet

    key = Fernet.generate_key()
    if path is not None:
        p = Path(path)
        if p.exists():
            raise FileExistsError(tr("{path!r} already exists: generate_key never overwrites a key "
                                     "file.", path=str(p)))
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

    def __init__(self) -> None:
        self._names: list[str] = []
        self._vectors: list[np.ndarray] = []
        self.model_id: str | None = None
        self.dim: int | None = None

    def add(self, name: str, vector: np.ndarray, model_id: str) -> None:
        """Store ``vector`` under the new ``name``.

        Args:
            name: the person's name, not enrolled yet.
            vector: (d,) float32 embedding (copied).
            model_id: the extractor that made it.

        Raises:
            ValueError: ``name`` is already enrolled, or the
                store holds embeddings of another size or extractor.
        """
        self._check_model(vector, model_id)
        if name in self._names:
            raise duplicate_name(name)
        self._names.append(name)
        self._vectors.append(np.array(vector, dtype=np.float32))
        self.model_id, self.dim = model_id, int(vector.shape[0])

    def _check_model(self, vector, model_id):
        if self.dim is not None and (vector.shape[0] != self.dim or model_id != self.model_id):
            raise ValueError(tr(
                "This store holds {dim}-dim embeddings of {model!r}; got a {got_dim}-dim "
                "embedding of {got_model!r}. Embeddings of different extractors cannot be "
                "compared: use a new store.", dim=self.dim, model=self.model_id,
                got_dim=vector.shape[0], got_model=model_id))

    def remove(self, name: str) -> None:
        """Forget ``name``.

        Args:
            name: an enrolled name.

        Raises:
            ValueError: ``name`` is not enrolled.
        """
        if name not in self._names:
            raise ValueError(tr("{name!r} is not enrolled; enrolled: {names}.", name=name,
                                names=self.names()))
        i = self._names.index(name)
        del self._names[i]
        del self._vectors[i]

    def names(self) -> list[str]:
        """The enrolled names.

        Returns:
            The names, in enrolment order.
        """
        return list(self._names)

    def load(self) -> tuple[list[str], np.ndarray | None]:
        """The names and their embeddings.

        Returns:
            ``(names, matrix)``: the (n, d) float32 matrix, rows in the order of
            ``names`` (``None`` when empty).
        """
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
        TypeError: ``path`` is not a file path, or ``key`` neither bytes, a path nor None.
        FileNotFoundError: the database's folder does not exist.
    """

    def __init__(self, path: str | os.PathLike, key: bytes | str | os.PathLike | None = None) -> None:
        from cryptography.fernet import Fernet

        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(tr("store must be a file path (str or Path); got {kind}.",
                               kind=type(path).__name__))
        self.path = Path(path)
        if self.path.is_dir():
            raise FaceStoreError(tr("store={path!r} is a directory; give a file name like "
                                    "'faces.db'.", path=str(self.path)))
        if not self.path.parent.exists():
            raise FileNotFoundError(tr("The folder of store={path!r} does not exist.",
                                       path=str(self.path)))
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
            raise FaceStoreError(tr(
                "{path!r} is not a face database (SQLite says: {error}). Give another file "
                "name, or delete the file if it is yours and disposable.",
                path=str(self.path), error=err)) from None
        if not tables:
            self._create()
            return
        if tables != {"meta", "people"}:
            raise FaceStoreError(tr(
                "{path!r} is an SQLite database but not a face store (tables {tables}). Use a "
                "new file for the recognizer.", path=str(self.path), tables=sorted(tables)))
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            columns = [row[1] for row in conn.execute("PRAGMA table_info(people)")]
        except sqlite3.DatabaseError as err:
            raise FaceStoreError(tr("{path!r} is damaged ({error}).", path=str(self.path),
                                    error=err)) from None
        if meta.get("schema") != _SCHEMA_VERSION or columns != ["id", "name", "embedding", "created"] \
                or "key_check" not in meta:
            raise FaceStoreError(tr(
                "{path!r} has an unknown face-store schema (version {version!r}, columns "
                "{columns}). Use a new file.", path=str(self.path), version=meta.get("schema"),
                columns=columns))
        self._decrypt(meta["key_check"].encode("ascii"), what=tr("the key check"))
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
            raise FaceStoreError(tr(
                "wrong key for the face database {path!r}: {what} cannot be decrypted (or the "
                "file was tampered with). Use the key it was created with.",
                path=str(self.path), what=what)) from None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise FaceStoreError(tr("The face database {path!r} is closed.",
                                    path=str(self.path)))
        return self._conn

    # -- interface
    def add(self, name: str, vector: np.ndarray, model_id: str) -> None:
        """Encrypt and store ``vector`` under the new ``name``.

        Args:
            name: the person's name, not enrolled yet.
            vector: (d,) float32 embedding.
            model_id: the extractor that made it (kept in the database's metadata).

        Raises:
            ValueError: ``name`` is already enrolled, or the
                database holds embeddings of another size or extractor.
            FaceStoreError: the store is closed.
        """
        conn = self._db()
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        if self.dim is not None and (vector.shape[0] != self.dim or model_id != self.model_id):
            raise ValueError(tr(
                "{path!r} holds {dim}-dim embeddings of {model!r}; got a {got_dim}-dim "
                "embedding of {got_model!r}. Embeddings of different extractors cannot be "
                "compared: use another database file.", path=str(self.path), dim=self.dim,
                model=self.model_id, got_dim=vector.shape[0], got_model=model_id))
        if conn.execute("SELECT 1 FROM people WHERE name = ?", (name,)).fetchone():
            raise duplicate_name(name)
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
        """Delete ``name``'s row, then VACUUM: the bytes are gone from the file.

        Args:
            name: an enrolled name.

        Raises:
            ValueError: ``name`` is not enrolled.
            FaceStoreError: the store is closed.
        """
        conn = self._db()
        with conn:
            deleted = conn.execute("DELETE FROM people WHERE name = ?", (name,)).rowcount
        if not deleted:
            raise ValueError(tr("{name!r} is not enrolled; enrolled: {names}.", name=name,
                                names=self.names()))
        conn.execute("VACUUM")
        self._cache = None

    def names(self) -> list[str]:
        """The enrolled names.

        Returns:
            The names, in enrolment order.
        """
        return [row[0] for row in self._db().execute("SELECT name FROM people ORDER BY id")]

    def load(self) -> tuple[list[str], np.ndarray | None]:
        """Every embedding, decrypted; cached until the next ``add``/``remove``.

        Returns:
            ``(names, matrix)``: the (n, d) float32 matrix, rows in the order of
            ``names`` (``None`` when empty).

        Raises:
            FaceStoreError: the store is closed, the key does not decrypt an embedding,
                or an embedding has the wrong size (a damaged database).
        """
        if self._cache is None:
            rows = self._db().execute("SELECT name, embedding FROM people ORDER BY id").fetchall()
            names, vectors = [], []
            for name, token in rows:
                raw = self._decrypt(bytes(token), what=tr("the embedding of {name!r}", name=name))
                vector = np.frombuffer(raw, dtype=np.float32)
                if self.dim is not None and vector.shape[0] != self.dim:
                    raise FaceStoreError(tr(
                        "The embedding of {name!r} in {path!r} has {size} values instead of "
                        "{dim}: the database is damaged.", name=name, path=str(self.path),
                        size=vector.shape[0], dim=self.dim))
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
            raise FaceStoreError(tr(
                "The face database {path!r} is encrypted and no key was given: pass "
                "key=<bytes or key-file path> or set the environment variable {variable}. "
                "Create a key once with helpers.generate_key() and keep it safe.",
                path=str(db_path), variable=KEY_ENV))
        raw, origin = env.encode("ascii", "replace"), f"${KEY_ENV}"
    elif isinstance(key, (bytes, bytearray)):
        raw, origin = bytes(key).strip(), "key"
    elif isinstance(key, (str, os.PathLike)):
        key_path = Path(key)
        if not key_path.is_file():
            hint = (tr(" (it looks like a key itself: pass it as bytes, key.encode())")
                    if isinstance(key, str) and len(key.strip()) == 44 else "")
            raise FaceStoreError(tr("Key file {path!r} not found{hint}.", path=str(key_path),
                                    hint=hint))
        if key_path.resolve().parent == db_path.resolve().parent:
            raise FaceStoreError(tr(
                "The key file {path!r} is in the same folder as the database: a key "
                "stored beside the data it protects protects nothing. Move it elsewhere.",
                path=str(key_path)))
        raw, origin = key_path.read_bytes().strip(), tr("key file {path!r}", path=str(key_path))
    else:
        raise TypeError(tr("key must be bytes, a key-file path or None; got {kind}.",
                           kind=type(key).__name__))
    try:
        from cryptography.fernet import Fernet

        Fernet(raw)
    except (ValueError, TypeError):
        raise FaceStoreError(tr(
            "{origin} is not a Fernet key (44 url-safe base64 characters); create one with "
            "helpers.generate_key().", origin=origin)) from None
    return raw


__all__ = ["KEY_ENV", "FaceStoreError", "Store", "MemoryStore", "SQLiteStore", "generate_key"]
