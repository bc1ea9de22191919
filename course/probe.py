"""Call a student's graded functions on the checks' inputs and keep what they return.

``python -m course.probe FOLDER`` runs inside the sandbox (``course.sandbox``), in a
fresh interpreter where the only student code is the graded cells themselves (no
notebook, no IPython hooks, no earlier cell): ``FOLDER/plan.json`` holds the cells, the
prelude (the notebook's imports), the steps of every case and which of them to run;
``FOLDER/inputs.npz`` their arrays. It says what it is doing in ``FOLDER/progress`` (one
line ``cell NAME`` or ``case I`` before each cell it defines and each case it runs: the
caller's watchdog times each of them, ``course.verify``) and writes each case's record
as soon as it has it, ``FOLDER/records/I.json`` and ``I.npz``: plain values and arrays,
nothing pickled; then ``FOLDER/cells.json``, the cells that failed to define. The
verdicts are not made here: ``course.verify`` reads the records in a process that never
ran student code and compares them with the reference.

The same ``run_plan`` computes the reference's records there, so both sides go through
the very same calls.
"""

from __future__ import annotations

import builtins
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
    ``{"model": [name, kwargs]}`` (a known-answer model of ``helpers.testing``),
    ``{"var": name}`` (what an earlier step stored; ``"item"``: one element of it),
    ``{"file": key, "as": "str" | "path"}`` (the array ``key`` written as a PNG file,
    given by its path as text or as ``pathlib.Path``) or ``{"preprocess": name}``
    (``helpers.get_preprocess(name)``, a function)."""
    if isinstance(spec, dict):
        if "array" in spec:
            return np.array(arrays[spec["array"]])  # a fresh copy per call
        if "file" in spec:
            key = spec["file"]["array"] if isinstance(spec["file"], dict) else spec["file"]
            path = _png(arrays[key], key)
            return path if spec.get("as") == "path" else str(path)
        if "preprocess" in spec:
            import helpers

            return helpers.get_preprocess(spec["preprocess"])
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


def _png(array: np.ndarray, key: str) -> Path:
    """``array`` (H, W, 3 RGB, uint8) as a lossless PNG in a temporary folder."""
    import tempfile

    import cv2

    import hashlib

    array = np.ascontiguousarray(np.asarray(array, np.uint8))
    digest = hashlib.sha256(array.tobytes() + str(array.shape).encode()).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / "course-probe-files"
    folder.mkdir(exist_ok=True)
    path = folder / f"{key}-{digest}.png"
    if not path.is_file():
        ok, data = cv2.imencode(".png", np.ascontiguousarray(array[..., ::-1]))
        if not ok:
            raise ValueError(f"cannot write {key} as PNG")
        path.write_bytes(data.tobytes())
    return path


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
    """Run one case's steps; returns ``{"values", "mutated", "error", "blocked"}``. A step
    marked ``raises`` (an exception's name) records ``["exception", name]`` (that
    exception or a subclass; else the other one's name) or ``["returned", None]``
    instead of stopping the case. A case
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
            if step.get("raises"):  # an exception is the expected outcome: its name is the result
                try:
                    result = ["returned", None]
                    function(*args, **kwargs)
                except Exception as err:  # noqa: BLE001 - which one is what the case checks
                    if _blocked(err):
                        raise
                    expected = getattr(builtins, str(step["raises"]), None)
                    named = isinstance(expected, type) and isinstance(err, expected)
                    result = ["exception", step["raises"] if named else type(err).__name__]
            else:
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


def run_plan(namespace: dict, plan: dict, arrays: dict, progress=None) -> list[dict]:
    """The records of the plan's cases (those listed in ``plan["run"]``, default all), in
    order; ``progress``, when given, is told ``started(index)`` before each case and
    ``finished(index, record)`` after it."""
    models: dict = {}
    memo: dict = {}
    records = []
    for index in plan.get("run", range(len(plan["cases"]))):
        if progress is not None:
            progress.started(index)
        record = run_case(namespace, plan["cases"][index], arrays, models, memo)
        records.append(record)
        if progress is not None:
            progress.finished(index, record)
    return records


def load_cells(plan: dict, started=None) -> tuple[dict, dict]:
    """The namespace after the prelude and the student's graded cells; and, for each
    cell that raised while being defined, the exception's name. ``started(name)`` is
    called before each cell is defined."""
    from IPython.core.inputtransformer2 import TransformerManager

    namespace: dict = {"__name__": "__main__"}
    exec(compile(plan["prelude"], "<prélude>", "exec"), namespace)  # noqa: S102 - the course's imports
    failures = {}
    for name, source in plan["cells"].items():
        if started is not None:
            started(name)
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


def save_case(index: int, record: dict, folder: Path) -> None:
    """One case's record as ``folder/records/INDEX.json`` and ``INDEX.npz`` (no pickle),
    the JSON last: a record whose JSON exists is complete."""
    arrays: dict[str, np.ndarray] = {}
    values = {k: pack(v, arrays, "npz") for k, v in record["values"].items()}
    out = folder / "records"
    out.mkdir(exist_ok=True)
    np.savez(out / f"{index}.npz", **arrays)
    (out / f"{index}.json.tmp").write_text(json.dumps({**record, "values": values}), "utf-8")
    (out / f"{index}.json.tmp").replace(out / f"{index}.json")


def load_case(index: int, folder: Path) -> dict | None:
    """The record a probe wrote for case ``index``, or ``None`` when it has none."""
    path = folder / "records" / f"{index}.json"
    if not path.is_file():
        return None
    record = json.loads(path.read_text("utf-8"))
    with np.load(folder / "records" / f"{index}.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}

    def decode(value):
        if isinstance(value, dict) and set(value) == {"npz"}:
            return arrays[value["npz"]]
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    record["values"] = {k: decode(v) for k, v in record["values"].items()}
    return record


class _Progress:
    """Writes ``cell NAME`` / ``case I`` lines to ``folder/progress`` (flushed at once:
    the watchdog outside reads them) and each case's record as it ends."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.file = open(folder / "progress", "a", encoding="utf-8")  # noqa: SIM115 - lives with the process

    def say(self, line: str) -> None:
        self.file.write(line + "\n")
        self.file.flush()

    def started(self, index: int) -> None:
        self.say(f"case {index}")

    def finished(self, index: int, record: dict) -> None:
        save_case(index, record, self.folder)


def main(folder: str) -> int:
    folder = Path(folder)
    plan = json.loads((folder / "plan.json").read_text("utf-8"))
    with np.load(folder / "inputs.npz", allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    progress = _Progress(folder)
    namespace, failures = load_cells(plan, started=lambda name: progress.say(f"cell {name}"))
    (folder / "cells.json").write_text(json.dumps(failures), "utf-8")
    progress.say("cells done")
    run_plan(namespace, plan, arrays, progress=progress)
    progress.say("end")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
