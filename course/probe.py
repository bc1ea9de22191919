"""Call a student's graded functions on the checks' inputs and keep what they return.

``python -m course.probe FOLDER`` runs inside the sandbox (``course.sandbox``), in a
fresh interpreter where the only student code is the graded cells themselves (no
notebook, no IPython hooks, no earlier cell): ``FOLDER/plan.json`` holds the cells, the
prelude (the notebook's imports) and the steps of every case; ``FOLDER/inputs.npz`` their
arrays. It writes ``FOLDER/records.json`` and ``FOLDER/records.npz``: plain values and
arrays, nothing pickled. The verdicts are not made here: ``course.verify`` reads the
records in a process that never ran student code and compares them with the reference.

The same ``run_plan`` computes the reference's records there, so both sides go through
the very same calls.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

# What the sandbox puts in place of the course's reference modules while the graded
# functions are checked (``course.verify`` binds it over them).
BLOCKED_MARK = "REFERENCE_BLOCKED"
BLOCKED_MODULE = f'''"""{BLOCKED_MARK}: hidden while graded functions are checked."""
raise ImportError("{BLOCKED_MARK} " + __name__ + " : pendant la correction, la référence du cours "
                  "n'est pas disponible ; les fonctions notées s'écrivent à la main.")
'''


class NotPlain(TypeError):
    """A graded function returned something that is not numbers, text or None."""


def build_value(spec, arrays: dict, variables: dict, models: dict):
    """An argument described by the plan: a JSON value, ``{"array": key}``,
    ``{"model": [name, kwargs]}`` (a known-answer model of ``helpers.testing``) or
    ``{"var": name}`` (what an earlier step stored; ``"item"``: one element of it)."""
    if isinstance(spec, dict):
        if "array" in spec:
            return np.array(arrays[spec["array"]])  # a fresh copy per call
        if "model" in spec:
            name, kwargs = spec["model"]
            key = json.dumps(spec["model"], sort_keys=True)
            if key not in models:
                import helpers.testing

                models[key] = getattr(helpers.testing, name)(**kwargs)
            return models[key]
        if "var" in spec:
            value = variables[spec["var"]]
            return value[spec["item"]] if "item" in spec else value
        if "tuple" in spec:
            return tuple(build_value(v, arrays, variables, models) for v in spec["tuple"])
    return spec


def plain(value):
    """``value`` as JSON-able data and arrays: tuples/lists stay lists, tensors and
    arrays become ``np.ndarray``, NumPy scalars Python numbers."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    try:
        array = np.asarray(value)
    except Exception as err:  # noqa: BLE001 - any object a student returns
        raise NotPlain(type(value).__name__) from err
    if array.dtype.kind not in "biufU":
        raise NotPlain(type(value).__name__)
    return array


def _blocked(err: BaseException) -> bool:
    seen = 0
    while err is not None and seen < 20:
        if BLOCKED_MARK in str(err):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def run_case(namespace: dict, case: dict, arrays: dict, models: dict, memo: dict | None = None) -> dict:
    """Run one case's steps; returns ``{"values", "mutated", "error", "blocked"}``. A case
    of one call that an earlier case already made (same function, same inputs) reuses
    its record from ``memo``."""
    key = json.dumps(case["steps"], sort_keys=True)
    if memo is not None and len(case["steps"]) == 1 and key in memo:
        return memo[key]
    variables: dict = {}
    record = {"values": {}, "mutated": [], "error": None, "blocked": False}
    if memo is not None and len(case["steps"]) == 1:
        memo[key] = record
    for step in case["steps"]:
        target = step["call"]
        try:
            if "." in target:
                obj, method = target.split(".", 1)
                function = getattr(variables[obj], method)
            else:
                function = namespace[target]
            args = [build_value(a, arrays, variables, models) for a in step.get("args", [])]
            kwargs = {k: build_value(v, arrays, variables, models) for k, v in step.get("kwargs", {}).items()}
            result = function(*args, **kwargs)
            for given, spec in zip(args, step.get("args", [])):
                if isinstance(spec, dict) and "array" in spec and not np.array_equal(given, arrays[spec["array"]]):
                    record["mutated"].append(spec["array"])
            if "as" in step:
                variables[step["as"]] = result
            if "keep" in step:
                record["values"][step["keep"]] = plain(result)
        except BaseException as err:  # noqa: BLE001 - a student's code may raise anything
            if isinstance(err, KeyboardInterrupt):
                raise
            record["error"] = type(err).__name__
            record["blocked"] = _blocked(err)
            break
    return record


def run_plan(namespace: dict, plan: dict, arrays: dict) -> list[dict]:
    models: dict = {}
    memo: dict = {}
    return [run_case(namespace, case, arrays, models, memo) for case in plan["cases"]]


def load_cells(plan: dict) -> tuple[dict, dict]:
    """The namespace after the prelude and the student's graded cells; and, for each
    cell that raised while being defined, the exception's name."""
    from IPython.core.inputtransformer2 import TransformerManager

    namespace: dict = {"__name__": "__main__"}
    exec(compile(plan["prelude"], "<prélude>", "exec"), namespace)  # noqa: S102 - the course's imports
    failures = {}
    for name, source in plan["cells"].items():
        try:
            code = TransformerManager().transform_cell(source)
            exec(compile(code, f"<cellule {name}>", "exec"), namespace)  # noqa: S102 - sandboxed
        except BaseException as err:  # noqa: BLE001
            if isinstance(err, KeyboardInterrupt):
                raise
            failures[name] = "ReferenceBlocked" if _blocked(err) else type(err).__name__
    return namespace, failures


def pack(value, arrays: dict[str, np.ndarray], tag: str):
    """``value`` made JSON-able: each array moved into ``arrays`` and replaced by
    ``{tag: key}``, tuples written ``{"tuple": [...]}``; lists and plain dicts packed item
    by item (a model or variable reference is left as it is)."""
    if isinstance(value, np.ndarray):
        key = f"{tag}{len(arrays)}"
        arrays[key] = value
        return {tag: key}
    if isinstance(value, tuple):
        return {"tuple": [pack(v, arrays, tag) for v in value]}
    if isinstance(value, list):
        return [pack(v, arrays, tag) for v in value]
    if isinstance(value, dict) and not ({"model", "var"} & set(value)):
        return {k: pack(v, arrays, tag) for k, v in value.items()}
    return value


def save(records: list[dict], failures: dict, folder: Path) -> None:
    arrays: dict[str, np.ndarray] = {}
    for record in records:
        record["values"] = {k: pack(v, arrays, "npz") for k, v in record["values"].items()}
    np.savez(folder / "records.npz", **arrays)
    (folder / "records.json").write_text(json.dumps({"cases": records, "cell_errors": failures}), "utf-8")


def load(folder: Path) -> tuple[list[dict], dict]:
    """The records a probe wrote (no pickle: arrays and JSON only)."""
    data = json.loads((folder / "records.json").read_text("utf-8"))
    with np.load(folder / "records.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}

    def decode(value):
        if isinstance(value, dict) and set(value) == {"npz"}:
            return arrays[value["npz"]]
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    for record in data["cases"]:
        record["values"] = {k: decode(v) for k, v in record["values"].items()}
    return data["cases"], data["cell_errors"]


def main(folder: str) -> int:
    folder = Path(folder)
    plan = json.loads((folder / "plan.json").read_text("utf-8"))
    with np.load(folder / "inputs.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    namespace, failures = load_cells(plan)
    save(run_plan(namespace, plan, arrays), failures, folder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
