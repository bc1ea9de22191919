"""What a filter responds to: activation maximisation, and statistics of the pictures.

Gradient ascent in pixel space (Erhan et al., 2009): start from a noisy grey image
``x0 = 0.5 + 0.25·U[0, 1)``, and repeat ``x += lr · g / ||g||₂`` where ``g`` is the
gradient of the mean activation of filter ``f`` (the map cropped by 2 pixels on
each border, to ignore edge effects). Several filters of one layer are optimised
together, one image each, in one compiled step: each image's loss depends on that
image only, so the result equals filter-by-filter ascent.

References:
    Erhan, Bengio, Courville & Vincent, "Visualizing Higher-Layer Features of a Deep
    Network", 2009. Yosinski et al., "How transferable are features in deep neural
    networks?", NeurIPS 2014.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike
from tqdm.auto import tqdm

from . import _checks
from ._graph import cached, require_traceable
from .config import settings
from .messages import N_, tr
from .models import identity, conv_base, get_layer, model_family
from .table import Table


def feature_extractor(model: keras.Model, layer_name: str) -> keras.Model:
    """Sub-model from a flexible-size input to ``layer_name``'s output (shared weights).

    Args:
        model: a CNN (a plain chain of layers, like VGG16).
        layer_name: a spatial layer, e.g. ``"block3_conv3"``.

    Returns:
        A ``keras.Model`` from (n, H, W, 3) to the layer's (n, h, w, filters) output,
        built once per (model, layer).

    Raises:
        ValueError: an unknown or non-spatial layer (the message lists the convolution
            layers).
    """
    return conv_base(model, until=layer_name)


def _selected_head(model, layer_name):
    """``(extractor up to the layer's input, layer)`` when ``layer_name`` is a plain
    Conv2D fed by the layer before it, else ``None``.

    Each picture only needs *its* filter's channel of the last convolution: computing
    the 8 selected channels instead of all 64 (block1_conv2) or 256 (block3_conv3)
    removes most of that layer's work, with the same result.
    """
    layer = get_layer(model, layer_name)
    index = model.layers.index(layer)
    if (type(layer) is not keras.layers.Conv2D or getattr(layer, "groups", 1) != 1
            or layer.data_format != "channels_last" or index == 0):
        return None
    previous = model.layers[index - 1]
    try:
        if layer.input is not previous.output:
            return None
    except (AttributeError, ValueError):
        return None
    if isinstance(previous, keras.layers.InputLayer):
        return (lambda x, training=False: x), layer
    return feature_extractor(model, previous.name), layer


def _ascent_step(model, layer_name, preprocess, crop):
    head = _selected_head(model, layer_name)
    extractor = feature_extractor(model, layer_name) if head is None else head[0]

    def filter_maps(images, filters):
        """(k, h, w): each image's own filter, after the layer's activation."""
        if head is None:
            acts = extractor(preprocess(images), training=False)
            return tf.gather(acts, filters, axis=3, batch_dims=1)
        layer = head[1]
        inputs = extractor(preprocess(images), training=False)
        kernel = tf.gather(layer.kernel, filters, axis=3)                  # (kh, kw, c_in, k)
        out = tf.nn.conv2d(inputs, kernel, strides=list(layer.strides),
                           padding=layer.padding.upper(), dilations=list(layer.dilation_rate))
        own = tf.linalg.diag_part(tf.transpose(out, [1, 2, 0, 3]))          # (h, w, k): image i, filter i
        own = tf.transpose(own, [2, 0, 1])
        if layer.use_bias:
            own = own + tf.gather(layer.bias, filters)[:, None, None]
        return layer.activation(own)

    def build():
        @tf.function(reduce_retracing=True)
        def step(images, filters, lr):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                tape.watch(images)
                maps = filter_maps(images, filters)
                if crop:
                    maps = maps[:, crop:-crop, crop:-crop]
                loss = tf.reduce_sum(tf.reduce_mean(maps, axis=[1, 2]))
            grads = tape.gradient(loss, images)
            norms = tf.sqrt(tf.reduce_sum(tf.square(grads), axis=[1, 2, 3], keepdims=True))
            return images + lr * grads / (norms + 1e-8)

        return step

    return cached(model, ("ascent", layer_name, preprocess, crop), build)


def deprocess(image: ArrayLike) -> np.ndarray:
    """Turn an optimised input into a displayable picture: standardise, ×0.15, +0.5, clip.

    Args:
        image: (H, W, 3) or a stack (k, H, W, 3), any real dtype; each image is
            standardised over all its pixels and channels.

    Returns:
        float32 of the same shape, in [0, 1]; channel order unchanged.
    """
    x = np.asarray(image, dtype=np.float32)
    axes = tuple(range(x.ndim - 3, x.ndim))
    x = (x - x.mean(axis=axes, keepdims=True)) / (x.std(axis=axes, keepdims=True) + 1e-5)
    return np.clip(x * 0.15 + 0.5, 0.0, 1.0).astype(np.float32)


def start_images(filters: Iterable[int], size: int, seed: int) -> np.ndarray:
    """The noisy grey start image of each filter.

    Seeded by ``(seed, filter)``, so a filter gets the same start whether it is
    optimised alone or in a batch.

    Args:
        filters: filter indices.
        size: side of the pictures, pixels.
        seed: the seed shared by all filters.

    Returns:
        float32 (k, size, size, 3), ``0.5 + 0.25·U[0, 1)``.
    """
    return np.stack([
        np.random.default_rng([seed, int(f)]).random((size, size, 3), dtype=np.float32) * 0.25 + 0.5
        for f in filters
    ])


_CHANNELS = ("auto", "rgb", "bgr")


def _input_channels(model: keras.Model, channels: str = "auto",
                    preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None) -> str:
    """Channel order of the space where ``visualize_filter`` optimises its pictures.

    Args:
        model: the CNN whose input space is optimised.
        channels: ``"auto"``, ``"rgb"`` or ``"bgr"``. ``"auto"`` means ``"bgr"`` for
            VGG16 (``models.model_family(model) == "vgg16"``: Keras' Caffe
            preprocessing takes BGR input) and ``"rgb"`` for any other model, or
            whenever ``preprocess`` is given (the picture then lives in raw RGB pixel
            space, before the preprocessing).
        preprocess: the ``preprocess`` argument given to ``visualize_filter``.

    Returns:
        ``"rgb"`` or ``"bgr"``.

    Raises:
        ValueError: ``channels`` is not one of ``"auto"``, ``"rgb"``, ``"bgr"``.
    """
    if not isinstance(channels, str) or channels.lower() not in _CHANNELS:
        raise ValueError(tr("channels must be one of {choices}; got {value!r}.",
                            choices=_CHANNELS, value=channels))
    channels = channels.lower()
    if channels != "auto":
        return channels
    if preprocess is None and model_family(model) == "vgg16":
        return "bgr"
    return "rgb"


def visualize_filter(model: keras.Model, layer_name: str, filter_index: int | Iterable[int],
                     size: int = 128, steps: int = 30, lr: float = 10.0, *, crop: int = 2,
                     preprocess: Callable[[tf.Tensor], tf.Tensor] | None = None,
                     batch_size: int = 8, seed: int | None = None, progress: bool | None = None,
                     channels: str = "auto") -> np.ndarray:
    """Picture that maximises the mean activation of filter(s) of ``layer_name``.

    Args:
        model: a CNN; a fixed-size classifier (VGG16 224×224) is used through its
            flexible-size convolutional base (same weights).
        layer_name: a convolution layer, e.g. ``"block3_conv3"``.
        filter_index: one filter index, or a sequence of them (optimised together).
        size: side of the picture, pixels.
        steps: gradient ascent steps (0 returns the deprocessed start image).
        lr: step length (the gradient is L2-normalised per image).
        crop: pixels ignored on each border of the activation map (reduced when the
            map is too small to crop, e.g. block5 at 64×64).
        preprocess: optional callable applied inside the tape (default none: the
            picture lives in the network's input space, as in the practical).
        batch_size: filters optimised per compiled step.
        seed: seed of the start images (default ``XAI_COURSE_SEED``).
        progress: progress bar over steps (default on, off under nbgrader).
        channels: channel order of the space the picture is optimised in: ``"auto"``
            (``"bgr"`` for VGG16 without ``preprocess``, whose Caffe input space is BGR
            minus the ImageNet mean; ``"rgb"`` otherwise), ``"rgb"`` or ``"bgr"``. A BGR
            picture is flipped to RGB after deprocessing, so the result always displays
            right with ``imshow``; to feed it back to the model, flip it again
            (``picture[..., ::-1]``).

    Returns:
        float32 (size, size, 3) in [0, 1], RGB, for one index; (k, size, size, 3) for k.

    Raises:
        ValueError: an unknown or non-spatial layer, an empty or out-of-range
            ``filter_index``, a bad ``size``/``steps``/``lr``/``batch_size``, or an
            unknown ``channels``.
        TypeError: a ``preprocess`` that cannot run in a TensorFlow graph.

    Reference:
        Erhan, Bengio, Courville & Vincent, "Visualizing Higher-Layer Features of a Deep
        Network", University of Montreal technical report 1341, 2009.
    """
    single = isinstance(filter_index, numbers.Integral) and not isinstance(filter_index, bool)
    indices = [filter_index] if single else list(filter_index)
    if not indices:
        raise ValueError(tr("filter_index is empty: give at least one filter index."))
    n_filters = int(feature_extractor(model, layer_name).output.shape[-1])
    indices = [_checks.class_index(f, n_filters, "filter_index", layer=layer_name)
               for f in indices]
    size = _checks.positive_int(size, "size")
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise ValueError(tr("steps must be an integer >= 0; got {value!r}.", value=steps))
    lr = _checks.non_negative_float(lr, "lr")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    order = _input_channels(model, channels, preprocess)
    if preprocess is not None:
        require_traceable(preprocess, (size, size, 3), "visualize_filter")
    preprocess = identity if preprocess is None else preprocess
    map_side = int(feature_extractor(model, layer_name).compute_output_shape((1, size, size, 3))[1])
    crop = max(0, min(int(crop), (map_side - 1) // 2))
    images = start_images(indices, size, settings().seed if seed is None else seed)
    step = _ascent_step(model, layer_name, preprocess, crop)
    show = settings().progress if progress is None else progress
    out = []
    for start in range(0, len(indices), batch_size):
        x = tf.constant(images[start:start + batch_size])
        filters = tf.constant(indices[start:start + batch_size], tf.int32)
        lr_t = tf.constant(lr, tf.float32)
        bar = tqdm(range(steps), desc=layer_name, unit=tr("step"), leave=False,
                   disable=not show or steps < 2)
        for _ in bar:
            x = step(x, filters, lr_t)
        out.append(x.numpy())
    pictures = deprocess(np.concatenate(out))
    if order == "bgr":
        pictures = np.ascontiguousarray(pictures[..., ::-1])
    return pictures[0] if single else pictures


def filter_statistics(pictures: ArrayLike) -> dict[str, float]:
    """Statistics of a set of filter pictures, computed on their grey levels.

    Every statistic reads the mean of the three channels, so it does not depend on the
    channel order (RGB or BGR).

    Args:
        pictures: (k, H, W, 3) floats in [0, 1], k >= 2 (``visualize_filter``).

    Returns:
        ``entropy_mean``/``entropy_std``: grey-level histogram entropy (50 bins on
        [0, 1], bits); ``diversity``: mean ``|correlation|`` between the grey pictures of
        two different filters (off-diagonal; low = diverse); ``variance``: mean pixel
        variance of a picture.

    Raises:
        ValueError: ``pictures`` is not (k >= 2, H, W, 3).
    """
    x = np.asarray(pictures, dtype=np.float64)
    if x.ndim != 4 or x.shape[-1] != 3 or x.shape[0] < 2:
        raise ValueError(tr("pictures must be (k >= 2, H, W, 3); got shape {shape}.",
                            shape=x.shape))
    grey = x.mean(axis=-1).reshape(len(x), -1)
    entropies = []
    for g in grey:
        counts, _ = np.histogram(g, bins=50, range=(0.0, 1.0))
        p = counts[counts > 0] / counts.sum()
        entropies.append(float(-(p * np.log2(p)).sum()))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(grey)
    off_diagonal = np.abs(corr[~np.eye(len(grey), dtype=bool)])
    return {
        "entropy_mean": float(np.mean(entropies)),
        "entropy_std": float(np.std(entropies)),
        "diversity": float(np.nanmean(off_diagonal)) if np.isfinite(off_diagonal).any() else float("nan"),
        "variance": float(grey.var(axis=1).mean()),
    }


def layer_statistics(model: keras.Model, layer_names: Sequence[str], n_filters: int = 16,
                     size: int = 64, steps: int = 20, **kwargs: Any) -> Table:
    """SPEC 1.4: filter pictures of each layer and their ``filter_statistics``.

    Args:
        model: a CNN (VGG16).
        layer_names: convolution layers, one row each.
        n_filters: the first ``n_filters`` filters of each layer are pictured (>= 2).
        size: side of the pictures, pixels.
        steps: gradient ascent steps.
        **kwargs: passed on to ``visualize_filter`` (``lr``, ``seed``, ``channels``...).

    Returns:
        ``Table`` with one row per layer: entropy mean and std, mean ``|correlation|`` and
        pixel variance (see ``filter_statistics``; unchanged by the channel order).

    Raises:
        ValueError: as ``visualize_filter`` and ``filter_statistics``.
    """
    rows = []
    for name in layer_names:
        pictures = visualize_filter(model, name, list(range(n_filters)), size=size, steps=steps,
                                    **kwargs)
        s = filter_statistics(pictures)
        rows.append((name, s["entropy_mean"], s["entropy_std"], s["diversity"], s["variance"]))
    return Table([N_("layer"), N_("entropy mean (bits)"), N_("entropy std"), N_("mean |corr|"),
                  N_("pixel variance")],
                 rows, title=tr("{n} filters per layer, {size}×{size}, {steps} steps",
                          n=n_filters, size=size, steps=steps),
                 floatfmt=".4f")


def receptive_field(model: keras.Model, layer_name: str) -> int:
    """Theoretical receptive field of ``layer_name``.

    Computed from the kernels and strides of the layers before it:
    ``r += (k - 1)·j; j *= s``.

    Args:
        model: a CNN.
        layer_name: a spatial layer.

    Returns:
        The field's side, pixels.

    Raises:
        ValueError: an unknown or non-spatial layer.
    """
    get_layer(model, layer_name, spatial=True)
    field, jump = 1, 1
    for layer in model.layers:
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        strides = getattr(layer, "strides", None)
        if kernel is not None:
            field += (int(kernel[0]) - 1) * jump
            jump *= int(strides[0]) if strides else 1
        if layer.name == layer_name:
            return field
    raise AssertionError("unreachable: get_layer checked the name")
