"""The structure of a CNN, computed from the model (SPEC 1.2): layers by block, totals,
and where the parameters are (the "parameter paradox" of VGG16: most of them sit in
the dense layers, while the convolutions do the seeing)."""

from __future__ import annotations

import re

import keras

from .messages import N_, number, tr
from .table import Table


def _kind(layer) -> str:
    if isinstance(layer, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D)):
        return N_("conv")
    if isinstance(layer, keras.layers.Dense):
        return N_("dense")
    if isinstance(layer, (keras.layers.MaxPooling2D, keras.layers.AveragePooling2D,
                          keras.layers.GlobalAveragePooling2D, keras.layers.GlobalMaxPooling2D)):
        return N_("pool")
    return layer.__class__.__name__.lower()


def architecture_table(model: keras.Model) -> Table:
    """The layers that matter, by block.

    Args:
        model: a built Keras model (VGG16...).

    Returns:
        ``Table`` with one row per conv, pool and dense layer: block, name, kind,
        filters or units, kernel, output shape, parameters.
    """
    rows = []
    for layer in model.layers:
        kind = _kind(layer)
        if kind not in ("conv", "dense", "pool"):
            continue
        match = re.match(r"block_?\d+", layer.name)
        block = match.group(0) if match else (N_("classifier") if kind == "dense" else N_("stem"))
        width = getattr(layer, "filters", None) or getattr(layer, "units", None) or ""
        kernel = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
        kernel = "×".join(str(k) for k in kernel) if kernel else ""
        shape = "×".join(str(d) for d in layer.output.shape[1:])
        rows.append((block, layer.name, kind, width, kernel, shape, int(layer.count_params())))
    return Table([N_("block"), N_("layer"), N_("kind"), N_("filters/units"), N_("kernel"), N_("output"),
                  N_("parameters")],
                 rows, title=tr("{model}: layers", model=model.name))


def parameter_shares(model: keras.Model) -> dict[str, int | float | None]:
    """Totals and shares computed from the model.

    Args:
        model: a built Keras model (VGG16...).

    Returns:
        dict with ``conv_layers``, ``conv_filters``, ``dense_layers``, ``dense_units``,
        ``conv_params``, ``dense_params``, ``total_params``, ``conv_share`` and
        ``dense_share`` (fractions of all parameters), ``input_side``, ``last_map_side``,
        ``first_filters``, ``last_filters`` (the inverted pyramid).
    """
    convs = [l for l in model.layers if _kind(l) == "conv"]
    dense = [l for l in model.layers if _kind(l) == "dense"]
    conv_params = sum(int(l.count_params()) for l in convs)
    dense_params = sum(int(l.count_params()) for l in dense)
    total = int(model.count_params())
    spatial = [l for l in model.layers if len(l.output.shape) == 4]
    return {
        "conv_layers": len(convs),
        "conv_filters": sum(int(getattr(l, "filters", 0) or 0) for l in convs),
        "dense_layers": len(dense),
        "dense_units": sum(int(l.units) for l in dense),
        "conv_params": conv_params,
        "dense_params": dense_params,
        "total_params": total,
        "conv_share": conv_params / total if total else 0.0,
        "dense_share": dense_params / total if total else 0.0,
        "input_side": model.input_shape[1],
        "last_map_side": spatial[-1].output.shape[1] if spatial else None,
        "first_filters": int(convs[0].filters) if convs and hasattr(convs[0], "filters") else None,
        "last_filters": int(convs[-1].filters) if convs and hasattr(convs[-1], "filters") else None,
    }


def block_summary(model: keras.Model) -> Table:
    """The layers of ``architecture_table`` summed block by block.

    Args:
        model: a built Keras model (VGG16...).

    Returns:
        ``Table`` with one row per block: conv layers, filters, dense units, output
        shape, parameters and share of all parameters.
    """
    total = model.count_params()
    blocks: dict[str, list] = {}
    for block, _, kind, width, _, shape, params in architecture_table(model).rows:
        entry = blocks.setdefault(block, [0, 0, 0, "", 0])
        if kind == "conv":
            entry[0] += 1
            entry[1] += int(width)
        elif kind == "dense":
            entry[2] += int(width)
        entry[3] = shape
        entry[4] += params
    rows = [(b, e[0], e[1], e[2], e[3], e[4], f"{number(100 * e[4] / total, '.1f')} %")
            for b, e in blocks.items()]
    return Table([N_("block"), N_("conv layers"), N_("filters"), N_("dense units"), N_("output"),
                  N_("parameters"), N_("share")],
                 rows, title=tr("{model}: {total} parameters", model=model.name,
                                total=number(total, ",d")))
