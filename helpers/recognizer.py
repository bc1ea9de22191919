"""One-shot face recognition (SPEC part 3): embeddings, cosine similarity, a store.

The pipeline of SPEC 3.1, the same for enrolment and recognition::

    photo → face detection (largest-vote box, small margin) → resize 224×224
          → preprocessing → frozen VGG16 up to block5_pool → flatten (25 088 dims)
          → L2 normalisation → database  |  cosine similarity against the database

``FaceRecognizer.register(name, img)`` enrols one photo per person (one-shot);
``identify(img)`` returns ``(name, similarity, status)`` from ONE matrix product of
the query embedding with every enrolled embedding (1-nearest-neighbour by cosine).

The embeddings live in a store (``helpers.face_store``): in memory by default, or an
encrypted SQLite database with ``store="faces.db"``; any object with the ``Store``
methods works.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from ._graph import cached
from .face_store import InvalidNameError, MemoryStore, SQLiteStore, Store, duplicate_name
from .images import as_rgb, resize
from .messages import N_, tr
from .models import get_preprocess, model_family

import keras  # noqa: E402  (after helpers/__init__ quietened TensorFlow)
import tensorflow as tf  # noqa: E402

#: ``identify`` status when the best similarity reaches the threshold (``>=``).
IDENTIFIED = N_("identified")
#: ``identify`` status when the best similarity is below the threshold.
REJECTED = N_("rejected")
#: ``identify`` status when nobody is enrolled (the name is then ``None``, similarity 0.0).
NOBODY_ENROLLED = N_("nobody enrolled")
#: Status of a photo in which no face was found (``NoFaceError``), in reports and panels.
NO_FACE = N_("no face")
#: Margin added around the detected face box, as a fraction of its width/height per side.
FACE_MARGIN = 0.1
#: Input size used when the extractor's input has no fixed size.
DEFAULT_SIZE = (224, 224)



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

    Raises:
        TypeError: ``model`` is not a Keras model.
        ValueError: ``model`` has no layer ``layer_name``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(tr(
            "embedding_model needs a Keras model (helpers.load_model('vgg16')); got {kind}.",
            kind=type(model).__name__))
    return cached(model, ("embedding", layer_name), lambda: _build_embedding_model(model, layer_name))


def _build_embedding_model(model: keras.Model, layer_name: str) -> keras.Model:
    names = [layer.name for layer in model.layers]
    if layer_name not in names:
        raise ValueError(tr(
            "{model} has no layer {layer!r}: embedding_model expects the VGG16 classifier from "
            "helpers.load_model('vgg16') (its last pooling layer is 'block5_pool').",
            model=model.name, layer=layer_name))
    features = model.get_layer(layer_name).output
    flat = keras.layers.Flatten(name="embedding")(features)
    family = model_family(model) or "vgg16"
    return keras.Model(model.input, flat, name=f"{family}_embedding")


# --------------------------------------------------------------------------- recognizer
class NoFaceError(ValueError):
    """No face was found where the recognizer needs one (it embeds faces, not photos)."""


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
            ``helpers.face_store.SQLiteStore``), or any object with the
            ``helpers.face_store.Store`` methods.
        key: Fernet key (bytes) or key-file path for a database ``store``; default the
            environment variable ``XAI_COURSE_FACE_KEY``.

    ``identify`` returns ``(name, similarity, status)``: status ``"identified"`` (name
    of the best match, similarity >= threshold), ``"rejected"`` (name ``None``, the best
    similarity is below the threshold; see ``similarities`` for every score) or
    ``"nobody enrolled"`` (name ``None``, similarity 0.0).

    Use it as a context manager (or call ``close()``) to close a database store.

    Raises:
        TypeError: an extractor that is not a Keras model, or a ``preprocess``,
            ``detect_faces`` or ``store`` of the wrong kind.
        ValueError: a classifier as extractor, an extractor that does not take image
            batches, a threshold outside [0, 1], or ``key`` without a database path.
        helpers.face_store.FaceStoreError: a database that cannot be opened (key,
            schema).
    """

    def __init__(self, extractor: keras.Model, threshold: float = 0.5, *,
                 preprocess: Callable[[np.ndarray], Any] | str | None = None,
                 detect_faces: bool | Callable[[np.ndarray], Sequence[Sequence[int]]] = True,
                 store: str | os.PathLike | Store | None = None,
                 key: bytes | str | os.PathLike | None = None) -> None:
        if not isinstance(extractor, keras.Model):
            raise TypeError(tr(
                "extractor must be a Keras model giving embeddings, e.g. "
                "helpers.recognizer.embedding_model(helpers.load_model('vgg16')); got {kind}.",
                kind=type(extractor).__name__))
        if any(layer.name == "predictions" for layer in extractor.layers):
            raise ValueError(tr(
                "{name!r} is a classifier (it ends with 'predictions'): its output is "
                "1000 class probabilities, not a face embedding. Use "
                "helpers.recognizer.embedding_model(model) (block5_pool, 25 088 dims).",
                name=extractor.name))
        self.extractor = extractor
        self.threshold = threshold
        if preprocess is None:
            family = model_family(extractor)
            preprocess = get_preprocess(family or "vgg16")
        elif isinstance(preprocess, str):
            preprocess = get_preprocess(preprocess)
        elif not callable(preprocess):
            raise TypeError(tr("preprocess must be a function, a model name or None; got "
                               "{value!r}.", value=preprocess))
        self.preprocess = preprocess
        if not (isinstance(detect_faces, bool) or callable(detect_faces)):
            raise TypeError(tr("detect_faces must be True, False or a function; got {value!r}.",
                               value=detect_faces))
        self.detect_faces = detect_faces
        shape = tuple(extractor.input_shape)
        if len(shape) != 4:
            raise ValueError(tr("extractor must take image batches (n, H, W, 3); its input is "
                                "{shape}.", shape=shape))
        self.input_size = (shape[1], shape[2]) if shape[1] and shape[2] else DEFAULT_SIZE
        if store is None:
            if key is not None:
                raise ValueError(tr("key= only applies to a database store (store='faces.db')."))
            self.store = MemoryStore()
        elif isinstance(store, (str, os.PathLike)):
            self.store = SQLiteStore(store, key=key)
        elif isinstance(store, Store):
            if key is not None:
                raise ValueError(tr("key= is for a database path; this store object is already "
                                    "open."))
            self.store = store
        else:
            raise TypeError(tr("store must be None, a database path or a store object (with add, "
                               "remove, names, load and close: see helpers.face_store.Store); "
                               "got {value!r}.", value=store))

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
        """What the store records about the extractor, ``"<name>:<dim>"``."""
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
    def face_image(self, img: str | os.PathLike | ArrayLike) -> np.ndarray:
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

    def embed(self, img: str | os.PathLike | ArrayLike) -> np.ndarray:
        """The L2-normalised embedding of the face in ``img``.

        Args:
            img: a file path or an image array (H, W, 3).

        Returns:
            float32 (d,), unit norm (d = 25 088 for VGG16 ``block5_pool``).

        Raises:
            ValueError: no face found (``detect_faces`` on), or an all-zero embedding.
        """
        face = self.face_image(img)
        batch = self.preprocess(face[None].astype(np.float32))
        out = self.extractor(tf.convert_to_tensor(batch, tf.float32), training=False)
        vector = np.asarray(keras.ops.convert_to_numpy(out), dtype=np.float32).reshape(-1)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError(tr(
                "The extractor {name!r} returned an all-zero (or non-finite) embedding for this "
                "image: cosine similarity is undefined. Check the image and the preprocessing.",
                name=self.extractor.name))
        return vector / np.float32(norm)

    # -- database
    def register(self, name: str, img: str | os.PathLike | ArrayLike) -> None:
        """Enrol ``name`` with one photo (one-shot): only the embedding is stored.

        Args:
            name: a non-blank name (surrounding spaces are removed), not yet enrolled.
            img: a file path or an image array (H, W, 3).

        Raises:
            ValueError: blank or duplicate name, no face found.
        """
        name = _check_name(name)
        if name in self.store.names():
            raise duplicate_name(name)
        self.store.add(name, self.embed(img), self.model_id)

    def remove(self, name: str) -> None:
        """Forget ``name`` (GDPR right to erasure): their embedding is deleted.

        Args:
            name: an enrolled name (surrounding spaces are removed).

        Raises:
            ValueError: ``name`` is not enrolled.
        """
        self.store.remove(_check_name(name))

    def enrolled_embedding(self, name: str) -> np.ndarray:
        """The stored (L2-normalised) embedding of ``name``, e.g. to explain a match.

        The cosine similarity to it is a score like a class probability
        (``helpers.Similarity``).

        Args:
            name: an enrolled name.

        Returns:
            float32 (d,), a copy.

        Raises:
            ValueError: ``name`` is not enrolled.
        """
        name = _check_name(name)
        names, matrix = self.store.load()
        if name not in names:
            raise ValueError(tr("{name!r} is not enrolled; enrolled: {names}.", name=name,
                                names=names))
        return np.array(matrix[names.index(name)], dtype=np.float32)

    def similarities(self, img: str | os.PathLike | ArrayLike) -> dict[str, float]:
        """Cosine similarity of ``img``'s face to every enrolled person.

        Args:
            img: a file path or an image array (H, W, 3).

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
            raise ValueError(tr(
                "The store holds {dim}-dim embeddings but {name!r} gives {got_dim} dims: they "
                "come from different extractors.", dim=matrix.shape[1],
                name=self.extractor.name, got_dim=query.shape[0]))
        sims = matrix @ query  # ONE matrix product: (n, d) @ (d,) -> (n,)
        return names, np.clip(sims, -1.0, 1.0)

    def identify(self, img: str | os.PathLike | ArrayLike) -> tuple[str | None, float, str]:
        """Who is in ``img``: the enrolled person with the highest cosine similarity.

        Args:
            img: a file path or an image array (H, W, 3).

        Returns:
            ``(name, similarity, status)``: ``(best, s, "identified")`` when
            ``s >= threshold``; ``(None, s, "rejected")`` otherwise;
            ``(None, 0.0, "nobody enrolled")`` when the store is empty. Ties go to the
            earliest enrolled.

        Raises:
            ValueError: no face found (``detect_faces`` on), or a store made by another
                extractor.
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
        raise TypeError(tr("name must be a string; got {kind}.", kind=type(name).__name__))
    stripped = name.strip()
    if not stripped:
        raise InvalidNameError(
            tr("name is empty: give the person's name, e.g. register('Grace Hopper', img)."))
    return stripped


def _crop_face(image: np.ndarray, detector) -> np.ndarray:
    """Crop the first box of ``detector`` with a ``FACE_MARGIN`` margin, clipped to the image."""
    if detector is True:
        from .faces import detect_faces as detector
    boxes = list(detector(image))
    if not boxes:
        raise NoFaceError(tr(
            "No face found in the image (OpenCV's frontal-face detector needs a frontal, "
            "well-lit face, at least 30 px wide). Use another photo, crop it around the "
            "face, or pass detect_faces=False to embed the whole image on purpose."))
    x, y, w, h = (int(v) for v in boxes[0])
    height, width = image.shape[:2]
    dx, dy = int(round(FACE_MARGIN * w)), int(round(FACE_MARGIN * h))
    x1, y1 = max(0, x - dx), max(0, y - dy)
    x2, y2 = min(width, x + w + dx), min(height, y + h + dy)
    if x2 <= x1 or y2 <= y1:
        raise ValueError(tr("The face box {box} lies outside the image of shape {shape}.",
                            box=(x, y, w, h), shape=image.shape))
    return image[y1:y2, x1:x2].copy()
