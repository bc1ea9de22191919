"""Incremental occlusion: recompute only what a patch changes.

A patch at ``(y, x)`` changes the first layers' activations only inside a window
around it (their receptive fields are small). For models whose first layers form a
plain chain (VGG16's blocks, MobileNetV2's stem) the occluded images are run through
that *prefix* on a crop around the patch, pasted into the clean image's activations,
and only the rest of the model runs on the whole activation map. The result is the
same as running every occluded image through the whole model (tested to float
round-off); the work saved is what the crop leaves out.

Geometry, per axis, of a chain of layers with kernel ``k``, stride ``s`` and left
padding ``p``: output ``j`` of the prefix reads image pixels
``[j*S + off, j*S + off + R)`` with ``S *= s``, ``off -= p*S``, ``R += (k - 1)*S``
layer after layer. A crop aligned on ``S`` whose pixels hold that interval (clipped
to the image) computes output ``j`` exactly, so each position's crop is sized to hold
every output the patch touches.

Reference: Nakandala, Kumar & Papakonstantinou, "Incremental and Approximate
Inference for Faster Occlusion-based Deep CNN Explanations", SIGMOD 2019.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from ._graph import cached

_POINTWISE = (
    keras.layers.BatchNormalization, keras.layers.Activation, keras.layers.ReLU,
    keras.layers.LeakyReLU, keras.layers.Dropout, keras.layers.InputLayer,
)
_WINDOWED = (
    keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D, keras.layers.ZeroPadding2D,
)


@dataclass(frozen=True)
class _Axis:
    stride: int = 1
    offset: int = 0
    field: int = 1


@dataclass(frozen=True)
class Plan:
    """How one model is split: prefix layers, cut layer, geometry and the suffix.

    Attributes:
        prefix: the chain's layers up to the cut, input layer excluded.
        suffix: the rest of the model, from the cut layer's output to the model's.
        rows: geometry (stride, offset, receptive field) of the prefix on the rows.
        cols: the same on the columns.
        out_shape: ``(h, w)`` of the prefix's output map on the whole image.
        saving: estimated fraction of the multiply-adds saved, in (0.1, 1).
    """

    prefix: tuple
    suffix: keras.Model
    rows: _Axis
    cols: _Axis
    out_shape: tuple[int, int]
    saving: float


def _window(layer, size: int, axis: int):
    """``(kernel, stride, left pad, output size)`` of ``layer`` on one axis."""
    if isinstance(layer, keras.layers.ZeroPadding2D):
        (top, bottom), (left, right) = layer.padding
        before, after = (top, bottom) if axis == 0 else (left, right)
        return 1, 1, before, size + before + after
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
        kernel, stride = layer.kernel_size[axis], layer.strides[axis]
        dilation = layer.dilation_rate[axis]
        if dilation != 1:
            return None
        kernel = int(kernel)
    else:  # pooling
        kernel, stride = layer.pool_size[axis], layer.strides[axis]
    stride = int(stride)
    if layer.padding == "same":
        out = math.ceil(size / stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return kernel, stride, total // 2, out
    return kernel, stride, 0, (size - kernel) // stride + 1


def _layer_flops(layer, out_h: int, out_w: int) -> float:
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        return out_h * out_w * kh * kw * layer.kernel.shape[-2] * layer.filters
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kh, kw = layer.kernel_size
        return out_h * out_w * kh * kw * layer.output.shape[-1]
    return 0.0


def _chain(model) -> list:
    """The leading layers of ``model`` that form a plain chain of supported layers."""
    layers = list(model.layers)
    if not layers or not isinstance(layers[0], keras.layers.InputLayer):
        return []
    chain, previous = [layers[0]], layers[0]
    for layer in layers[1:]:
        try:
            inputs = layer.input
        except (AttributeError, ValueError):
            break
        if isinstance(inputs, (list, tuple)) or inputs is not previous.output:
            break
        if not isinstance(layer, _POINTWISE + _WINDOWED) or isinstance(
            layer, (keras.layers.InputLayer, keras.layers.Dropout)
        ):
            break
        chain.append(layer)
        previous = layer
    return chain


def _consumers(model):
    """``{id(tensor): number of layers reading it}`` over the model's graph."""
    counts: dict[int, int] = {}
    for layer in model.layers:
        try:
            inputs = layer.input
        except (AttributeError, ValueError):
            continue
        for tensor in inputs if isinstance(inputs, (list, tuple)) else [inputs]:
            counts[id(tensor)] = counts.get(id(tensor), 0) + 1
    return counts


def plan(model: keras.Model, height: int, width: int, patch: int) -> Plan | None:
    """The cheapest split of ``model`` for ``patch``-sized occlusions, or ``None``.

    Args:
        model: the classifier to occlude.
        height: image height, pixels.
        width: image width, pixels.
        patch: side of the square patch, pixels.

    Returns:
        The split, or ``None`` when the model's input size is not fixed to
        ``(height, width)``, when it does not start with a chain of supported layers,
        or when no cut saves at least a tenth of the multiply-adds.
    """
    if tuple(model.input_shape[1:3]) != (height, width):
        return None  # the cost estimate needs every layer's size: fixed-size models only
    chain = _chain(model)
    if len(chain) < 2:
        return None
    consumers = _consumers(model)
    axes = [_Axis(), _Axis()]
    sizes = [height, width]
    flops_at, geometry = [], []
    for layer in chain:
        if isinstance(layer, _WINDOWED):
            for a in range(2):
                window = _window(layer, sizes[a], a)
                if window is None:
                    return None
                kernel, stride, pad, out = window
                ax = axes[a]
                axes[a] = _Axis(ax.stride * stride, ax.offset - pad * ax.stride,
                                ax.field + (kernel - 1) * ax.stride)
                sizes[a] = out
        flops_at.append(_layer_flops(layer, sizes[0], sizes[1]))
        geometry.append((tuple(axes), tuple(sizes)))
    total = _model_flops(model)
    if total <= 0:
        return None
    best, best_cost = None, total * 0.9
    prefix_flops = 0.0
    for i, layer in enumerate(chain):
        prefix_flops += flops_at[i]
        if consumers.get(id(layer.output), 0) != 1:
            break  # a skip connection leaves from here: the chain ends
        if isinstance(layer, keras.layers.InputLayer):
            continue
        (rows, cols), (out_h, out_w) = geometry[i]
        # 'same' padding must split the same way on the crop as on the whole image
        if height % rows.stride or width % cols.stride:
            continue
        crop_h = _crop_size(rows, height, out_h, patch)
        crop_w = _crop_size(cols, width, out_w, patch)
        cost = prefix_flops * (crop_h * crop_w) / (height * width) + (total - prefix_flops)
        if cost < best_cost:
            best, best_cost = i, cost
    if best is None:
        return None
    cut = chain[best]
    (rows, cols), out_shape = geometry[best]
    suffix = keras.Model(cut.output, model.output, name=f"{model.name}_after_{cut.name}")
    prefix = tuple(layer for layer in chain[: best + 1]
                   if not isinstance(layer, keras.layers.InputLayer))
    return Plan(prefix, suffix, rows, cols, out_shape, 1.0 - best_cost / total)


def _model_flops(model) -> float:
    total = 0.0
    for layer in model.layers:
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
            shape = layer.output.shape
            total += _layer_flops(layer, shape[1], shape[2])
        elif isinstance(layer, keras.layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return total


def _touched(axis: _Axis, start, patch: int, out_size: int):
    """Outputs ``[lo, hi)`` whose receptive field meets pixels ``[start, start+patch)``."""
    lo = np.floor_divide(start - axis.offset - axis.field, axis.stride) + 1
    hi = -np.floor_divide(-(start + patch - axis.offset), axis.stride)
    return np.clip(lo, 0, out_size), np.clip(hi, 0, out_size)


def _needed(axis: _Axis, lo, hi, size: int):
    """Aligned pixel span ``[c0, c1)`` holding the fields of outputs ``[lo, hi)``."""
    first = np.maximum(lo * axis.stride + axis.offset, 0)
    last = np.minimum((hi - 1) * axis.stride + axis.offset + axis.field, size)
    c0 = (first // axis.stride) * axis.stride
    c1 = np.minimum(-(-last // axis.stride) * axis.stride, size)
    return c0, c1


def _crop_size(axis: _Axis, size: int, out_size: int, patch: int) -> int:
    starts = np.arange(0, max(size - patch, 1))
    lo, hi = _touched(axis, starts, patch, out_size)
    c0, c1 = _needed(axis, lo, hi, size)
    return int((c1 - c0).max())


def crops(plan_: Plan, positions: np.ndarray, patch: int, height: int,
          width: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int], np.ndarray]:
    """Where each occluded image is cropped, and which prefix outputs its patch touches.

    Args:
        plan_: the split (``plan``).
        positions: (n, 2) int, the patches' top-left corners ``(y, x)``.
        patch: side of the square patch, pixels.
        height: image height, pixels.
        width: image width, pixels.

    Returns:
        ``(cy, cx, (crop_h, crop_w), windows)``: crop origins, (n,) int32 each (pixels);
        the crop size common to the batch; the touched output windows
        ``(r0, r1, c0, c1)``, (n, 4) int32, in the prefix's output grid.
    """
    out_h, out_w = plan_.out_shape
    ys, xs = positions[:, 0], positions[:, 1]
    r0, r1 = _touched(plan_.rows, ys, patch, out_h)
    q0, q1 = _touched(plan_.cols, xs, patch, out_w)
    cy0, cy1 = _needed(plan_.rows, r0, r1, height)
    cx0, cx1 = _needed(plan_.cols, q0, q1, width)
    size_h = int((cy1 - cy0).max())
    size_w = int((cx1 - cx0).max())
    # one crop size for the batch: grow the small crops (still exact) inside the image
    cy = np.minimum(cy0, height - size_h)
    cx = np.minimum(cx0, width - size_w)
    return (cy.astype(np.int32), cx.astype(np.int32), (size_h, size_w),
            np.stack([r0, r1, q0, q1], axis=1).astype(np.int32))


def forward(model: keras.Model, plan_: Plan,
            preprocess: Callable[[tf.Tensor], tf.Tensor]) -> tuple[Callable[..., Any],
                                                                 Callable[..., Any]]:
    """The compiled functions of incremental occlusion, built once per model.

    Args:
        model: the model ``plan_`` splits.
        plan_: the split (``plan``).
        preprocess: applied to raw pixels before the prefix (traceable).

    Returns:
        ``(clean, run)``: ``clean(image)`` is the prefix's output on the clean (H, W, 3)
        image, (1, h, w, C); ``run(image, base, ys, xs, cy, cx, windows, patch, fill,
        crop_h, crop_w)`` the model's outputs on the occluded images, (n, classes).
    """

    def build():
        def prefix(x):
            for layer in plan_.prefix:
                x = layer(x, training=False) if _takes_training(layer) else layer(x)
            return x

        @tf.function(reduce_retracing=True)
        def clean(image):
            return prefix(preprocess(image[None]))

        @tf.function(reduce_retracing=True)
        def run(image, base, ys, xs, cy, cx, windows, patch, fill, crop_h, crop_w):
            stride_h, stride_w = plan_.rows.stride, plan_.cols.stride
            rows = tf.range(crop_h)[None, :] + cy[:, None]             # (B, ch) pixel rows
            cols = tf.range(crop_w)[None, :] + cx[:, None]             # (B, cw)
            crop = tf.gather(tf.gather(image, rows), cols, axis=2, batch_dims=1)  # (B,ch,cw,3)
            ys_, xs_ = ys[:, None, None], xs[:, None, None]
            r, c = rows[:, :, None], cols[:, None, :]
            inside = (r >= ys_) & (r < ys_ + patch) & (c >= xs_) & (c < xs_ + patch)
            mask = tf.cast(inside, crop.dtype)[..., None]
            crop = crop * (1.0 - mask) + fill * mask
            part = prefix(preprocess(crop))                              # (B, oh, ow, C)
            out_h, out_w = tf.shape(base)[1], tf.shape(base)[2]
            grid_r = tf.range(out_h)[None, :]
            grid_c = tf.range(out_w)[None, :]
            local_r = tf.clip_by_value(grid_r - (cy // stride_h)[:, None], 0, tf.shape(part)[1] - 1)
            local_c = tf.clip_by_value(grid_c - (cx // stride_w)[:, None], 0, tf.shape(part)[2] - 1)
            spread = tf.gather(tf.gather(part, local_r, axis=1, batch_dims=1), local_c,
                               axis=2, batch_dims=1)                     # (B, H', W', C)
            in_r = (grid_r >= windows[:, 0:1]) & (grid_r < windows[:, 1:2])
            in_c = (grid_c >= windows[:, 2:3]) & (grid_c < windows[:, 3:4])
            touched = (in_r[:, :, None] & in_c[:, None, :])[..., None]
            activations = tf.where(touched, spread, base)
            return plan_.suffix(activations, training=False)

        return clean, run

    return cached(model, ("incremental", preprocess, plan_.prefix[-1].name), build)


def _takes_training(layer) -> bool:
    return isinstance(layer, (keras.layers.BatchNormalization, keras.layers.Dropout))
