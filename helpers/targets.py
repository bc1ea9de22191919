"""What an explanation explains: a *target* turns a model's outputs into one score per image.

* ``ClassScore(index=None, score="probability")``: one class of a classifier, by its
  probability (the model's output) or its logit (the pre-activation of the last layer,
  ``helpers.models.logit_head``). ``index=None``: the clean image's top class.
* ``Similarity(reference)``: the cosine similarity between the embedding a model gives
  (a face extractor, ``helpers.embedding_model``) and a reference embedding (an enrolled
  face, ``FaceRecognizer.enrolled_embedding``). Explaining it shows which parts of a
  face make a one-shot recognizer match it to someone, or reject it.

Occlusion, saliency, SmoothGrad and Grad-CAM take ``target=``; their ``class_index`` /
``pred_index`` and ``score`` arguments are shorthands for a ``ClassScore``. As with
pytorch-grad-cam's target callables and tf-keras-vis' score functions, the method does
not care what the score means — but a target here also says *which tensor of the model*
it reads, so that a logit or a similarity is computed with the model's own layers
(nothing copied or modified).

A target has three parts:

* ``head(model) -> (tensor, columns)``: the symbolic tensor of ``model`` the score reads,
  and ``columns(values) -> (n, k)`` scores computed from that tensor's values;
* ``index``: the column explained (``None`` until ``resolve``);
* ``resolve(columns_of_the_clean_image) -> target`` with ``index`` fixed, checked.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from ._checks import class_index
from ._graph import cached
from .messages import tr
from .models import logit_head

SCORES = ("probability", "logit")


class ClassScore:
    """One class of a classifier: its probability or its logit.

    Args:
        index: the class (an integer), or ``None`` for the clean image's top class.
        score: ``"probability"`` (the model's output) or ``"logit"`` (before the softmax).
        name: the argument's name in error messages (``"class_index"``, ``"pred_index"``).

    Raises:
        TypeError: ``index`` is neither an integer nor ``None``.
        ValueError: ``score`` is neither ``"probability"`` nor ``"logit"``.
    """

    def __init__(self, index: int | None = None, score: str = "probability", *,
                 name: str = "index") -> None:
        if index is not None and (isinstance(index, bool) or not isinstance(index, numbers.Integral)):
            raise TypeError(tr("{name} must be an integer index; got {value!r}.", name=name,
                               value=index))
        self.index = None if index is None else int(index)  # its range is checked by resolve
        if score not in SCORES:
            raise ValueError(tr("score must be 'probability' (the model's output) or 'logit' "
                                "(the score before the last softmax); got {value!r}.",
                                value=score))
        self.score = score
        self.name = name

    @property
    def key(self) -> tuple:
        """What distinguishes this target's compiled functions, ``("class", score)``."""
        return ("class", self.score)

    def head(self, model: keras.Model) -> tuple[Any, Callable[[Any], tf.Tensor]]:
        """The tensor of ``model`` this score reads, and the scores computed from it.

        Args:
            model: a Keras classifier.

        Returns:
            ``(tensor, columns)``: the model's output (probability) or its last layer's
            input (logit), and ``columns(values) -> (n, classes)`` scores.
        """
        if self.score == "logit":
            return logit_head(model)
        return model.output, _same

    def resolve(self, columns: np.ndarray) -> ClassScore:
        """This target with its class fixed on the clean image's scores.

        Args:
            columns: the clean image's scores, (classes,) or (1, classes).

        Returns:
            ``self`` when ``index`` is set (checked), else a ``ClassScore`` of the top
            class.

        Raises:
            ValueError: ``index`` out of range for these scores.
        """
        n = int(np.shape(columns)[-1])
        if self.index is None:
            return ClassScore(int(np.argmax(columns)), self.score, name=self.name)
        class_index(self.index, n, self.name)
        return self

    def __repr__(self) -> str:
        return f"ClassScore({self.index!r}, score={self.score!r})"


class Similarity:
    """Cosine similarity between the model's embedding of an image and ``reference``.

    The model must output embeddings with as many values per image as ``reference``.

    Args:
        reference: an embedding (any shape; flattened), e.g. an enrolled face's
            ``FaceRecognizer.enrolled_embedding(name)``; it need not be normalised.

    Raises:
        ValueError: a zero or non-finite ``reference``.
    """

    index = 0

    def __init__(self, reference: ArrayLike) -> None:
        vector = np.asarray(reference, dtype=np.float64).reshape(-1)
        norm = float(np.linalg.norm(vector)) if vector.size else 0.0
        if not np.isfinite(norm) or norm == 0.0:
            raise ValueError(tr("reference must be a non-zero, finite embedding (e.g. "
                                "recognizer.enrolled_embedding(name))."))
        self.reference = (vector / norm).astype(np.float32)
        self._digest = hashlib.sha1(self.reference.tobytes()).hexdigest()

    @property
    def key(self) -> tuple:
        """What distinguishes this target's compiled functions (the reference's digest)."""
        return ("similarity", self._digest)

    def head(self, model: keras.Model) -> tuple[Any, Callable[[Any], tf.Tensor]]:
        """The embedding tensor of ``model``, and the cosine similarity computed from it.

        Args:
            model: a face extractor (``helpers.embedding_model``).

        Returns:
            ``(model.output, cosine)``: ``cosine(values) -> (n, 1)`` float32.

        Raises:
            ValueError: the model's embedding size differs from the reference's.
        """
        size = int(np.prod(model.output.shape[1:]))
        if size != self.reference.size:
            raise ValueError(tr(
                "{model} gives {size} values per image but the reference embedding has "
                "{reference}: explain a similarity with the extractor that made the "
                "reference (e.g. helpers.embedding_model(vgg)).", model=model.name, size=size,
                reference=self.reference.size))
        reference = tf.constant(self.reference[:, None])

        def cosine(values):
            flat = tf.reshape(tf.cast(values, tf.float32), (tf.shape(values)[0], -1))
            return tf.matmul(tf.math.l2_normalize(flat, axis=1), reference)  # (n, 1)

        return model.output, cosine

    def resolve(self, columns: np.ndarray) -> Similarity:
        """The similarity has one column: nothing to fix.

        Args:
            columns: the clean image's scores (unused).

        Returns:
            ``self``.
        """
        return self

    def __repr__(self) -> str:
        return f"Similarity(<{self.reference.size}-dim reference>)"


def _same(values):
    return values


#: What a method explains (``target=``): any object with ``head``, ``resolve``, ``key``
#: and ``index``, as these two.
Target = ClassScore | Similarity


def as_target(target: Target | None = None, index: int | None = None, score: str = "probability",
              *, index_name: str = "class_index") -> Target:
    """The target a method explains: ``target`` itself, or a ``ClassScore(index, score)``.

    Args:
        target: a ``ClassScore``, a ``Similarity`` (or any object with their
            attributes), or ``None``.
        index: the class, when ``target`` is ``None``.
        score: ``"probability"`` or ``"logit"``, when ``target`` is ``None``.
        index_name: the name of ``index`` in error messages.

    Returns:
        ``target``, or ``ClassScore(index, score)``.

    Raises:
        TypeError: ``target`` is not a target.
        ValueError: both ``target`` and ``index`` (or a non-default ``score``) given.
    """
    if target is None:
        return ClassScore(index, score, name=index_name)
    if not all(hasattr(target, name) for name in ("head", "resolve", "key", "index")):
        raise TypeError(tr("target must be a helpers.ClassScore or helpers.Similarity; got "
                           "{value!r}.", value=target))
    if index is not None:
        raise ValueError(tr("give target= or {name}, not both.", name=index_name))
    if score != "probability":
        raise ValueError(tr("give target= or score=, not both (ClassScore(index, score=...) "
                            "holds both)."))
    return target


def reader(model: keras.Model, target: Target) -> tuple[keras.Model, Callable[[Any], tf.Tensor]]:
    """The model that reads ``target``'s tensor, and the scores computed from its values.

    Args:
        model: a Keras model.
        target: a ``ClassScore`` or ``Similarity``.

    Returns:
        ``(read, columns)``: ``read(batch, training=False)`` gives the values of the
        tensor ``target`` reads — the model itself when it reads the output, else a
        sub-model sharing the model's layers, built once — and ``columns(values)`` the
        (n, k) scores.
    """
    tensor, columns = target.head(model)
    if tensor is model.output:
        return model, columns

    def build():
        return keras.Model(model.input, tensor, name=f"{model.name}_{target.key[0]}_features")

    return cached(model, ("reader", target.key), build), columns


def scores(model: keras.Model, batch: ArrayLike, target: Target | None = None) -> np.ndarray:
    """The scores ``target`` reads on a *preprocessed* batch.

    Args:
        model: a Keras model.
        batch: preprocessed images, (n, H, W, C) or one (H, W, C).
        target: a ``ClassScore`` or ``Similarity``; default the probabilities.

    Returns:
        float32 (n, k): the probabilities (default), the logits
        (``ClassScore(score="logit")``), or the similarities (n, 1) to a reference
        (``Similarity``).
    """
    target = as_target(target)
    read, columns = reader(model, target)
    batch = np.asarray(batch, dtype=np.float32)
    values = read(tf.convert_to_tensor(batch[None] if batch.ndim == 3 else batch), training=False)
    return np.asarray(columns(values), dtype=np.float32)


__all__ = ["ClassScore", "Similarity", "as_target", "reader", "scores"]
