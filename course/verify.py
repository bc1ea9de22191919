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
3. **Disagreements flagged.** The outcome of each test cell in the student's own run (an
   exception or none; text on stderr is no failure) is compared with the verdict of its
   *visible* cases; when they differ (the kernel was tampered with, or the cell depends
   on another one), or a case did not end in time, the submission is flagged, with the
   reason (``Verdict.flag``).

The checks of an assignment live with the instructor, in ``grading/<assignment>.py``
(never released, never in the package, absent from the sandbox). Such a module defines
``GRADED`` (the names of the graded cells), ``REFERENCE`` (name -> the course's
implementation), ``CHECKS`` (one ``Check`` per test cell) and ``CLAUSES`` (each
requirement of a statement, the cell that decides it and a mistake that violates it).
The graded cells get the notebook's own imports (``notebook_prelude``, read from the
source notebook's import cell). Each case has a time limit (``run_probe``). Feedback
shows each case's label and a message written here — never the hidden inputs, the
reference call, or anything the student's code printed.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import probe, sandbox
from .messages import tr

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


@dataclass(frozen=True)
class Clause:
    """One requirement of a graded function's statement, with what decides it.

    ``function``: the graded cell (its ``grade_id``); ``text``: the requirement, in
    French, as the statement puts it; ``cell``: the test cell whose cases fail when it is
    violated; ``mistake``: ``(old, new)``, a change of the source's solution that violates
    it (and only it, as far as possible): the tests hand it in and check that ``cell``
    loses its points under a real ``course autograde``."""

    function: str
    text: str
    cell: str
    mistake: tuple[str, str]


def mistaken(solution: str, clause: Clause) -> str:
    """The solution's source with ``clause``'s mistake in it (the text must occur once)."""
    old, new = clause.mistake
    if solution.count(old) != 1:
        raise ValueError(f"{clause.function}: the mistake of « {clause.text} » must replace text that occurs "
                         f"once in the solution, found {solution.count(old)} times: {old!r}")
    return solution.replace(old, new)


@dataclass
class Record:
    """What one case's calls returned: ``values[keep]``, the names of the input arrays
    that were modified, and the exception that stopped them, if any."""

    values: dict
    mutated: list = field(default_factory=list)
    error: str | None = None
    blocked: bool = False
    timed_out: float | None = None   # stopped after this many seconds (the case's limit)
    skipped: bool = False            # not run: the function did not end on an earlier case

    def __getitem__(self, key):
        return self.values[key]


@dataclass
class Verdict:
    """One test cell's independent verdict, and what the student's own run of that cell
    said (``kernel_passed``: it ended without an exception; ``kernel_error``: the
    exception's first line; ``None``: not compared)."""

    cell: str
    passed: bool
    messages: list[str]
    visible_passed: bool
    kernel_passed: bool | None = None
    kernel_error: str = ""
    timed_out: bool = False          # a case did not end within its limit
    first_visible_failure: str = ""  # the label and message of the first visible case that failed

    @property
    def disagrees(self) -> bool:
        """The notebook's own run of this cell and the correction's visible cases disagree
        on the outcome (an exception there, none here, or the reverse)."""
        return self.kernel_passed is not None and self.kernel_passed != self.visible_passed

    @property
    def flag(self) -> str:
        """Why this cell flags the notebook for the instructor ("" when it does not)."""
        if self.timed_out:
            return tr("a graded function did not finish within the time allowed")
        if not self.disagrees:
            return ""
        if self.kernel_passed:
            return tr("in the notebook, cell {cell} passed; outside the kernel, the visible case "
                      "{failure}", cell=self.cell, failure=self.first_visible_failure)
        return tr("in the notebook, cell {cell} failed ({error}); outside the kernel, its visible "
                  "cases pass", cell=self.cell, error=self.kernel_error or "exception")


# --------------------------------------------------------------------- writing the checks
def call(function: str, *args, keep: str | None = "out", store: str | None = None, raises: str = "",
         **kwargs) -> dict:
    """A step: ``function(*args, **kwargs)`` (``"r.identify"``: a method of the object an
    earlier step stored as ``r``); ``keep``: record the result under that key; ``store``:
    keep the object for later steps; ``raises``: the built-in exception the statement asks
    for (``"ValueError"``): the record keeps ``["exception", "ValueError"]`` for it or any
    subclass, ``["exception", other name]``, or ``["returned", None]``.
    Arguments: numbers, text, arrays, ``model(...)``, ``var(...)``, ``image_file(...)``,
    ``preprocessing(...)``."""
    step = {"call": function, "args": list(args), "kwargs": kwargs}
    if raises:
        step["raises"] = raises
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


def image_file(image: np.ndarray, as_path: bool = False) -> dict:
    """``image`` (uint8 RGB) written as a PNG file where the call runs, and given by its
    path: text, or a ``pathlib.Path`` with ``as_path``."""
    return {"file": np.asarray(image, np.uint8), "as": "path" if as_path else "str"}


def preprocessing(name: str) -> dict:
    """The preprocessing function of a model family (``helpers.get_preprocess(name)``)."""
    return {"preprocess": name}


def close(got, ref, atol: float) -> str | None:
    """Same shape and values as the reference within ``atol``."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    if got.shape != ref.shape:
        return tr("shape differs from the expected one")
    if not np.all(np.isfinite(got)):
        return tr("non-finite values (nan or inf)")
    if not np.allclose(got, ref, atol=atol, rtol=0):
        return tr("values differ from the expected ones")
    return None


def same_at(index, atol: float, key: str = "out", item: int | None = None) -> Callable:
    """A judge: the kept map has the reference's shape and equals it at ``index`` (a
    NumPy index, e.g. ``np.s_[::3, ::3]``): what a visible test cell can show with a few
    stored numbers. Pair it with a hidden ``same_as_reference`` on the same call."""
    def judge(got: Record, ref: Record) -> str | None:
        g, r = got[key], ref[key]
        if item is not None:
            if not isinstance(g, list) or len(g) <= item:
                return tr("the function does not return the expected tuple")
            g, r = g[item], r[item]
        g, r = np.asarray(g, dtype=float), np.asarray(r, dtype=float)
        if g.shape != r.shape:
            return tr("shape differs from the expected one")
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
                return tr("result « {key} » differs from the expected one", key=key)
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
    for attribute in ("GRADED", "REFERENCE", "CHECKS"):
        if not hasattr(module, attribute):
            raise ValueError(f"grading/{name}.py defines no {attribute}")
    return module


def notebook_prelude(notebook: dict, cell: str = "imports") -> str:
    """The import statements of the notebook's import cell (nbgrader ``grade_id``
    ``cell``): what every graded cell may use, read from the notebook itself so that the
    correction and the statement cannot drift apart. Magics and other statements
    (prints, settings) are left out."""
    import ast

    from IPython.core.inputtransformer2 import TransformerManager

    for code in notebook.get("cells", []):
        if code.get("metadata", {}).get("nbgrader", {}).get("grade_id") == cell and code.get("cell_type") == "code":
            source = code.get("source", "")
            source = "".join(source) if isinstance(source, list) else str(source)
            tree = ast.parse(TransformerManager().transform_cell(source))
            return "".join(ast.unparse(node) + "\n" for node in tree.body
                           if isinstance(node, (ast.Import, ast.ImportFrom)))
    raise ValueError(f"the notebook has no code cell with grade_id {cell!r} (its imports)")


def imported_names(prelude: str) -> list[str]:
    """How the statements of ``prelude`` are written in a statement's list: ``os``,
    ``numpy as np``, ``from helpers import plots``…"""
    import ast

    names = []
    for node in ast.parse(prelude).body:
        for alias in node.names:
            name = alias.name + (f" as {alias.asname}" if alias.asname else "")
            names.append(f"from {node.module} import {name}" if isinstance(node, ast.ImportFrom) else name)
    return names


def plan(checks, prelude: str = "") -> tuple[dict, dict[str, np.ndarray]]:
    """The probe's plan (JSON) and its input arrays, from a checks module; ``prelude``:
    the notebook's imports (``notebook_prelude``), run before the graded cells."""
    arrays: dict[str, np.ndarray] = {}

    def encode(value):
        return probe.pack(value, arrays, "array")

    cases = []
    for check in checks.CHECKS:
        for case in check.cases:
            steps = [{**s, "args": [encode(a) for a in s["args"]],
                      "kwargs": {k: encode(v) for k, v in s["kwargs"].items()}} for s in case.steps]
            cases.append({"cell": check.cell, "steps": steps})
    return {"prelude": prelude, "cases": cases}, arrays


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


def cell_of(steps: list[dict]) -> str:
    """The graded cell a case's steps call (the first step's function or class)."""
    return steps[0]["call"].split(".")[0]


def run_probe(cells: dict[str, str], checks, scratch: Path, *, course_root: Path | None,
              limits: sandbox.Limits, isolate: bool = True, threads: int = 1, prelude: str = "",
              case_seconds: float = 300.0) -> tuple[list[Record] | None, dict, str]:
    """Run the student's graded cells on every case in the sandbox. Returns
    ``(records or None, cell errors, why it failed)``.

    Each case, and the definition of each cell, has ``case_seconds``: past it the probe
    is killed (whatever the code ignores: SIGINT, exceptions), that case fails as not
    ended, the same function's later cases are not run, and a new probe goes on with the
    other functions' cases. The whole correction is bounded by the number of cases."""
    spec, arrays = plan(checks, prelude)
    spec["cells"] = dict(cells)
    n = len(spec["cases"])
    found: dict[int, Record] = {}
    cell_errors: dict[str, str] = {}
    budget = 60.0 + case_seconds * (n + len(cells) + 1)
    start = time.monotonic()
    attempt = 0
    while True:
        todo = [i for i in range(n) if i not in found]
        if not todo:
            break
        attempt += 1
        work = scratch / ("probe" if attempt == 1 else f"probe{attempt}")
        work.mkdir(parents=True)
        (work / "plan.json").write_text(json.dumps({**spec, "run": todo}), "utf-8")
        np.savez(work / "inputs.npz", **arrays)
        watchdog = _CaseWatchdog(work / "progress", case_seconds, deadline=start + budget)
        argv = [sys.executable, "-m", "course.probe", str(work)]
        if isolate:
            argv = _sandboxed(argv, scratch, work, course_root, attempt)
        remaining = max(1.0, min(limits.seconds, start + budget - time.monotonic()))
        code, output, killed = sandbox.run_watched(
            argv, limits=sandbox.Limits(limits.memory_gb, remaining), cwd=work, env=sandbox.environment(threads),
            watchdog=watchdog)
        for i in todo:
            raw = probe.load_case(i, work)
            if raw is not None:
                found[i] = Record(**raw)
        if (work / "cells.json").is_file():
            cell_errors.update(json.loads((work / "cells.json").read_text("utf-8")))
        stuck = watchdog.stuck
        if stuck is None:
            if killed or code != 0:
                return None, {}, killed or tr("the independent check stopped (code {code})", code=code)
            if any(i not in found for i in todo):
                return None, {}, tr("incomplete results")
            break
        kind, name = stuck
        if kind == "case":
            index = int(name)
            found[index] = Record({}, error="Timeout", timed_out=case_seconds)
            stopped = cell_of(spec["cases"][index]["steps"])
        else:  # a cell that never finishes being defined: its cases are not run
            cell_errors[name] = "Timeout"
            spec["cells"].pop(name, None)
            stopped = name
        for i in range(n):
            if i not in found and cell_of(spec["cases"][i]["steps"]) == stopped:
                found[i] = Record({}, error="Timeout", skipped=True)
    return [found[i] for i in range(n)], cell_errors, ""


class _CaseWatchdog:
    """Reads the probe's ``progress`` file (``course.probe``) at each of
    ``run_watched``'s polls and asks to kill it when the cell it defines or the case it
    runs has taken ``seconds`` (the prelude's imports, before, are bounded by the
    ``deadline`` only), or at the correction's ``deadline``. ``stuck``: ``(kind, name)`` of what was stopped."""

    def __init__(self, progress: Path, seconds: float, deadline: float):
        self.progress, self.seconds, self.deadline = progress, seconds, deadline
        self.current, self.since, self.size = ("start", ""), time.monotonic(), -1
        self.stuck: tuple[str, str] | None = None

    def __call__(self) -> str:
        now = time.monotonic()
        try:
            size = self.progress.stat().st_size
        except OSError:
            size = 0
        if size != self.size:
            self.size = size
            lines = self.progress.read_text("utf-8").splitlines() if size else []
            if lines and lines[-1].count(" ") >= 1:
                kind, name = lines[-1].split(" ", 1)
                if (kind, name) != self.current:
                    self.current, self.since = (kind, name), now
        if self.current[0] in ("case", "cell"):
            if now - self.since > self.seconds:
                self.stuck = self.current
                return tr("the case did not finish in {seconds:g} s", seconds=self.seconds)
        if now > self.deadline:
            return tr("time exceeded for the independent check")
        return ""


def _sandboxed(argv: list[str], scratch: Path, work: Path, course_root: Path | None, attempt: int) -> list[str]:
    """``argv`` in the sandbox, the helpers modules of the methods replaced by a file
    that refuses to import (``helpers_blocklist``)."""
    hidden = scratch / f"blocked{attempt}"
    hidden.mkdir()
    stub = hidden / "blocked_module.py"
    stub.write_text(probe.BLOCKED_MODULE, "utf-8")
    replace = helpers_blocklist(stub)
    pycache = hidden / "empty"
    pycache.mkdir()
    cache = sandbox.package_dir("helpers") / "__pycache__"
    if cache.is_dir():
        replace[cache] = pycache
    home = work / "home"
    home.mkdir()
    return sandbox.command(argv, writable=[work], chdir=work, course_root=course_root, home=home, replace=replace)


def judge(checks, records: list[Record] | None, refs: list[Record], cell_errors: dict,
          failure: str = "") -> list[Verdict]:
    """One verdict per check (test cell) from the probe's records."""
    verdicts, index = [], 0
    for check in checks.CHECKS:
        verdict = Verdict(check.cell, True, [], True)
        for case in check.cases:
            got, ref = (records[index] if records else None), refs[index]
            index += 1
            problem = _problem(case, got, ref, cell_errors, failure)
            if problem:
                verdict.passed = False
                verdict.messages.append(
                    tr("hidden case « {label} »: {problem}", label=case.label, problem=problem)
                    if case.hidden else
                    tr("visible case « {label} »: {problem}", label=case.label, problem=problem))
                if not case.hidden and verdict.visible_passed:
                    verdict.visible_passed = False
                    verdict.first_visible_failure = tr("« {label} » fails: {problem}",
                                                       label=case.label, problem=problem)
            if got is not None and (got.timed_out or got.skipped):
                verdict.timed_out = True
        verdicts.append(verdict)
    return verdicts


def _problem(case: Case, got: Record | None, ref: Record, cell_errors: dict, failure: str) -> str | None:
    if got is None:
        return failure or tr("not checked")
    cell_error = cell_errors.get(cell_of(case.steps))
    if cell_error == "Timeout":
        return tr("the graded cell did not finish while being defined (stopped)")
    if got.timed_out:
        return tr("the function did not finish in {seconds:g} s (stopped)", seconds=got.timed_out)
    if got.skipped:
        return tr("not run: the function did not finish on an earlier case")
    if got.blocked or (got.error and cell_error == "ReferenceBlocked"):
        return tr("the function uses the course's reference (helpers): graded functions are "
                  "written by hand")
    if got.error:
        if cell_error:
            return tr("the graded cell does not run on its own, outside the notebook ({error})",
                      error=cell_error)
        if got.error == "NotPlain":
            return tr("the function returns neither numbers, nor an array, nor text")
        return tr("the function raised {error}", error=got.error)
    if case.inputs_unchanged and got.mutated:
        return tr("the function modifies the image array it is given (work on a copy)")
    try:
        return case.judge(got, ref)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        return tr("unexpected result ({kind})", kind=type(err).__name__)


def annotate(notebook: bytes, verdicts: list[Verdict]) -> bytes:
    """The autograded notebook with each test cell's independent verdict appended to its
    outputs (what the feedback and formgrader show)."""
    nb = json.loads(notebook)
    by_cell = {v.cell: v for v in verdicts}
    for cell in nb.get("cells", []):
        verdict = by_cell.get(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
        if verdict is None or cell.get("cell_type") != "code":
            continue
        lines = [tr("Independent correction (outside your kernel): passed.") if verdict.passed
                 else tr("Independent correction (outside your kernel): failed.")]
        lines += [f"  - {m}" for m in verdict.messages]
        if verdict.flag:
            lines.append("  ! " + tr("Reported to the instructor: {flag}.", flag=verdict.flag))
        cell.setdefault("outputs", []).append(
            {"output_type": "stream", "name": "stdout", "text": "\n".join(lines) + "\n"})
    return json.dumps(nb, ensure_ascii=False, indent=1).encode("utf-8")
