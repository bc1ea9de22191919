"""The independent correction: every automatic grade decided outside the student's kernel.

nbgrader grades a test cell by running it in the student's kernel, where the student's
code ran first and can change anything (``builtins``, import hooks, IPython's input
transformers, ``numpy.testing``, a thread patching modules): no verdict made in there
can be trusted. So the automatic points come from here instead:

1. **Calls, in the sandbox.** ``course.probe`` runs in a fresh sandboxed interpreter with
   the notebook's imports and the student's *graded cells only*, the course's reference
   modules replaced by a file that refuses to import (a graded function must be written
   by hand: delegating to ``helpers.occlusion_map`` or subclassing
   ``helpers.FaceRecognizer`` fails there). It calls the graded functions on each case's
   inputs and writes what they return as plain arrays and JSON.
2. **Verdicts, here.** This process, which never ran student code, computes the course's
   reference on the same calls and lets each case's judge compare. A grade cell earns its
   points when every one of its cases passes.
3. **Disagreements flagged.** The in-kernel result of each test cell (nbgrader's score)
   is compared with the verdict of its *visible* cases; when they differ (the kernel was
   tampered with, or the cell depends on another one), the submission is flagged.

The checks of an assignment live with the instructor, in ``grading/<assignment>.py``
(never released, never in the package, absent from the sandbox). Such a module defines
``PRELUDE`` (the notebook's imports), ``GRADED`` (the names of the graded cells),
``REFERENCE`` (name -> the course's implementation) and ``CHECKS`` (one ``Check`` per
test cell). Feedback shows each case's label and a message written here — never the
hidden inputs, the reference call, or anything the student's code printed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import probe, sandbox

# The helpers modules a graded function may use (models, images, the known-answer
# models, and what they import: argument checks, settings, the quiet TensorFlow import);
# every other module of helpers implements a method and is hidden in the probe.
ALLOWED_HELPERS = {"__init__", "_checks", "_quiet", "config", "images", "messages", "models", "table",
                   "testing", "plots"}


@dataclass
class Case:
    """One call sequence and how to judge it.

    ``steps``: the calls (see ``call``); ``judge(got, ref)`` returns ``None`` when the
    student's record ``got`` is right, else a message in French; ``label`` says in
    French what the case checks (shown in the feedback); ``hidden``: not in the notebook;
    ``inputs_unchanged``: modifying the caller's arrays fails the case.
    """

    label: str
    steps: list[dict]
    judge: Callable[["Record", "Record"], str | None]
    hidden: bool = False
    inputs_unchanged: bool = False  # also fails when the function modifies its input arrays


@dataclass
class Check:
    """The cases of one test cell (``cell``: its nbgrader ``grade_id``)."""

    cell: str
    cases: list[Case]


@dataclass
class Record:
    """What one case's calls returned: ``values[keep]``, the names of the input arrays
    that were modified, and the exception that stopped them, if any."""

    values: dict
    mutated: list = field(default_factory=list)
    error: str | None = None
    blocked: bool = False

    def __getitem__(self, key):
        return self.values[key]


@dataclass
class Verdict:
    cell: str
    passed: bool
    messages: list[str]
    visible_passed: bool
    kernel_passed: bool | None = None

    @property
    def disagrees(self) -> bool:
        return self.kernel_passed is not None and self.kernel_passed != self.visible_passed


# --------------------------------------------------------------------- writing the checks
def call(function: str, *args, keep: str | None = "out", store: str | None = None, **kwargs) -> dict:
    """A step: ``function(*args, **kwargs)`` (``"r.identify"``: a method of the object an
    earlier step stored as ``r``); ``keep``: record the result under that key; ``store``:
    keep the object for later steps. Arguments: numbers, text, arrays, ``model(...)``,
    ``var(...)``."""
    step = {"call": function, "args": list(args), "kwargs": kwargs}
    if keep:
        step["keep"] = keep
    if store:
        step["as"] = store
    return step


def model(name: str, **kwargs) -> dict:
    """A known-answer model of ``helpers.testing``, built where the call runs."""
    return {"model": [name, kwargs]}


def var(name: str, item: int | None = None) -> dict:
    """What an earlier step stored (``store=name``), or its ``item``-th element."""
    return {"var": name} if item is None else {"var": name, "item": item}


def close(got, ref, atol: float) -> str | None:
    """Same shape and values as the reference within ``atol``."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    if got.shape != ref.shape:
        return "forme différente de celle attendue"
    if not np.all(np.isfinite(got)):
        return "valeurs non finies (nan ou inf)"
    if not np.allclose(got, ref, atol=atol, rtol=0):
        return "valeurs différentes de celles attendues"
    return None


def same_at(index, atol: float, key: str = "out", item: int | None = None) -> Callable:
    """A judge: the kept map has the reference's shape and equals it at ``index`` (a
    NumPy index, e.g. ``np.s_[::3, ::3]``): what a visible test cell can show with a few
    stored numbers. Pair it with a hidden ``same_as_reference`` on the same call."""
    def judge(got: Record, ref: Record) -> str | None:
        g, r = got[key], ref[key]
        if item is not None:
            if not isinstance(g, list) or len(g) <= item:
                return "la fonction ne renvoie pas le tuple attendu"
            g, r = g[item], r[item]
        g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
        if g.shape != r.shape:
            return "forme différente de celle attendue"
        return close(g[index], r[index], atol)
    return judge


def same_as_reference(atol: float, key: str = "out", item: int | None = None) -> Callable:
    """A judge: the kept value (or its ``item``-th element) equals the reference's, whole."""
    return same_at(..., atol, key, item)


def same_results(atol: float) -> Callable:
    """A judge: every kept value equals the reference's (texts and ``None`` exactly,
    numbers and arrays within ``atol``, tuples element by element)."""
    def same(g, r) -> bool:
        if isinstance(r, list):
            return isinstance(g, list) and len(g) == len(r) and all(same(a, b) for a, b in zip(g, r))
        if r is None or isinstance(r, str):
            return g == r
        try:
            g, r = np.ravel(np.asarray(g, dtype=float)), np.ravel(np.asarray(r, dtype=float))
        except (TypeError, ValueError):
            return False
        return g.shape == r.shape and bool(np.all(np.isfinite(g))) and np.allclose(g, r, atol=atol, rtol=0)

    def judge(got: Record, ref: Record) -> str | None:
        for key, expected in ref.values.items():
            if key not in got.values or not same(got[key], expected):
                return f"résultat « {key} » différent de celui attendu"
        return None
    return judge


# ------------------------------------------------------------------------------ running
def load_checks(source: bytes, name: str):
    """The checks module of an assignment, from its source (``grading/<name>.py``)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"grading_{name}.py"
        path.write_bytes(source)
        spec = importlib.util.spec_from_file_location(f"grading_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    for attribute in ("PRELUDE", "GRADED", "REFERENCE", "CHECKS"):
        if not hasattr(module, attribute):
            raise ValueError(f"grading/{name}.py defines no {attribute}")
    return module


def plan(checks) -> tuple[dict, dict[str, np.ndarray]]:
    """The probe's plan (JSON) and its input arrays, from a checks module."""
    arrays: dict[str, np.ndarray] = {}

    def encode(value):
        return probe.pack(value, arrays, "array")

    cases = []
    for check in checks.CHECKS:
        for case in check.cases:
            steps = [{**s, "args": [encode(a) for a in s["args"]],
                      "kwargs": {k: encode(v) for k, v in s["kwargs"].items()}} for s in case.steps]
            cases.append({"cell": check.cell, "steps": steps})
    return {"prelude": checks.PRELUDE, "cases": cases}, arrays


_REFERENCES: dict[bytes, list[Record]] = {}


def references(checks, source: bytes) -> list[Record]:
    """The reference's records for every case (computed once per process)."""
    if source not in _REFERENCES:
        spec, arrays = plan(checks)
        raw = probe.run_plan(dict(checks.REFERENCE), spec, arrays)
        for record, case in zip(raw, spec["cases"]):
            if record["error"]:
                raise RuntimeError(f"the course's reference fails a case of {case['cell']}: {record['error']}")
        _REFERENCES[source] = [Record(**r) for r in raw]
    return _REFERENCES[source]


def graded_cells(notebook: dict, names) -> dict[str, str]:
    """The student's source of each graded cell (by nbgrader ``grade_id``)."""
    found = {}
    for cell in notebook.get("cells", []):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in names and cell.get("cell_type") == "code":
            source = cell.get("source", "")
            found[grade_id] = "".join(source) if isinstance(source, list) else str(source)
    return found


def helpers_blocklist(stub: Path) -> dict[Path, Path]:
    """``{reference module: stub}`` for every helpers module a graded function may not use:
    a module file is replaced by ``stub``; a subpackage (``helpers/widgets/``) by a folder
    whose ``__init__.py`` is ``stub`` (``run_probe`` also hides ``__pycache__``, their
    compiled copies)."""
    folder = sandbox.package_dir("helpers")
    blocked = {path: stub for path in folder.glob("*.py") if path.stem not in ALLOWED_HELPERS}
    for package in sorted(p.parent for p in folder.glob("*/__init__.py")):
        if package.name not in ALLOWED_HELPERS:
            hidden = stub.parent / f"blocked_package_{package.name}"
            hidden.mkdir(exist_ok=True)
            shutil.copyfile(stub, hidden / "__init__.py")
            blocked[package] = hidden
    return blocked


def run_probe(cells: dict[str, str], checks, scratch: Path, *, course_root: Path | None,
              limits: sandbox.Limits, isolate: bool = True,
              threads: int = 1) -> tuple[list[Record] | None, dict, str]:
    """Run the student's graded cells on every case in the sandbox. Returns
    ``(records or None, cell errors, why it failed)``."""
    work = scratch / "probe"
    work.mkdir(parents=True)
    spec, arrays = plan(checks)
    spec["cells"] = cells
    (work / "plan.json").write_text(json.dumps(spec), "utf-8")
    np.savez(work / "inputs.npz", **arrays)
    argv = [sys.executable, "-m", "course.probe", str(work)]
    env = sandbox.environment(threads)
    if isolate:
        stub = scratch / "blocked_module.py"
        stub.write_text(probe.BLOCKED_MODULE, "utf-8")
        replace = helpers_blocklist(stub)
        pycache = scratch / "empty"
        pycache.mkdir()
        cache = sandbox.package_dir("helpers") / "__pycache__"
        if cache.is_dir():
            replace[cache] = pycache
        home = work / "home"
        home.mkdir()
        argv = sandbox.command(argv, writable=[work], chdir=work, course_root=course_root, home=home,
                               replace=replace)
    code, output, killed = sandbox.run_watched(argv, limits=limits, cwd=work, env=env)
    if killed or code != 0 or not (work / "records.json").is_file():
        return None, {}, killed or f"la vérification indépendante s'est arrêtée (code {code})"
    try:
        raw, cell_errors = probe.load(work)
    except (OSError, ValueError, KeyError) as err:
        return None, {}, f"résultats illisibles ({type(err).__name__})"
    if len(raw) != len(spec["cases"]):
        return None, {}, "résultats incomplets"
    return [Record(**r) for r in raw], cell_errors, ""


def judge(checks, records: list[Record] | None, refs: list[Record], cell_errors: dict,
          failure: str = "") -> list[Verdict]:
    """One verdict per check (test cell) from the probe's records."""
    verdicts, index = [], 0
    for check in checks.CHECKS:
        messages, passed, visible_passed = [], True, True
        for case in check.cases:
            got, ref = (records[index] if records else None), refs[index]
            index += 1
            problem = _problem(case, got, ref, cell_errors, failure)
            if problem:
                passed = False
                visible_passed = visible_passed and case.hidden
                where = "cas caché" if case.hidden else "cas visible"
                messages.append(f"{where} « {case.label} » : {problem}")
        verdicts.append(Verdict(check.cell, passed, messages, visible_passed))
    return verdicts


def _problem(case: Case, got: Record | None, ref: Record, cell_errors: dict, failure: str) -> str | None:
    if got is None:
        return failure or "non vérifié"
    cell_error = cell_errors.get(case.steps[0]["call"].split(".")[0])  # the graded cell it calls
    if got.blocked or (got.error and cell_error == "ReferenceBlocked"):
        return ("la fonction utilise la référence du cours (helpers) : les fonctions notées "
                "s'écrivent à la main")
    if got.error:
        if cell_error:
            return f"la cellule notée ne s'exécute pas seule, hors du carnet ({cell_error})"
        if got.error == "NotPlain":
            return "la fonction ne renvoie ni nombres, ni tableau, ni texte"
        return f"la fonction a levé {got.error}"
    if case.inputs_unchanged and got.mutated:
        return "la fonction modifie le tableau image qu'on lui donne (travaillez sur une copie)"
    try:
        return case.judge(got, ref)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        return f"résultat inattendu ({type(err).__name__})"


def annotate(notebook: bytes, verdicts: list[Verdict]) -> bytes:
    """The autograded notebook with each test cell's independent verdict appended to its
    outputs (what the feedback and formgrader show)."""
    nb = json.loads(notebook)
    by_cell = {v.cell: v for v in verdicts}
    for cell in nb.get("cells", []):
        verdict = by_cell.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        if verdict is None or cell.get("cell_type") != "code":
            continue
        lines = [f"Correction indépendante (hors de votre noyau) : {'réussi' if verdict.passed else 'échoué'}."]
        lines += [f"  - {m}" for m in verdict.messages]
        if verdict.disagrees:
            lines.append("  ! Le résultat de cette cellule dans votre carnet diffère : signalé à l'enseignant.")
        cell.setdefault("outputs", []).append(
            {"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"})
    return json.dumps(nb, ensure_ascii=False, indent=1).encode("utf-8")
