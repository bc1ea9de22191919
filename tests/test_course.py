"""The instructor's workflow, for real: nbgrader's exchange, collect, the parallel and
resumable autograde, feedback, grades, the stale-release check, and a class in which
students do everything a class does (wrong answers, infinite loops, crashes, broken
files, tampering with the tests). A small assignment keeps it fast; the practicals'
own notebooks go through the same path in ``test_demo_class_*``.
"""

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from course import submissions
from course.autograde import autograde
from course.core import COURSE_ID, Course, CourseError, run_nbgrader
from course.release import check, release
from course.reports import feedback, grade_sheet, write_grades

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------- a small course
def _cell(kind, source, grade_id, *, solution=False, grade=False, points=0, locked=False):
    cell = (new_code_cell if kind == "code" else new_markdown_cell)(source)
    cell.metadata["nbgrader"] = {"grade_id": grade_id, "solution": solution, "grade": grade,
                                 "locked": locked, "schema_version": 3,
                                 **({"points": points} if grade else {})}
    return cell


PRISTINE = ('import sys, numpy as np\n'
            'for _mod in [m for m in sys.modules if m.split(".")[0] == "mini_ref"]: del sys.modules[_mod]\n')


def mini_notebook():
    """`scale(x, k)` graded by two test cells (3 points), one written answer (1 point).
    The hidden test compares with a reference module, re-imported fresh as the real
    notebooks re-import helpers."""
    return new_notebook(cells=[
        new_markdown_cell("# Mini-TP"),
        _cell("code", "import numpy as np\nimport mini_ref", "setup", locked=True),
        _cell("code", "def scale(x, k):\n    ### BEGIN SOLUTION\n    return np.asarray(x, float) * k\n"
              "    ### END SOLUTION", "scale", solution=True),
        _cell("code", '"""scale multiplies."""\n' + PRISTINE +
              "assert np.allclose(scale([1, 2], 3), [3, 6])", "test_scale", grade=True, points=1),
        _cell("code", '"""scale agrees with the reference."""\n' + PRISTINE +
              "import mini_ref as _ref\n### BEGIN HIDDEN TESTS\n"
              "np.testing.assert_allclose(scale([[1.5, -2]], -2), _ref.scale([[1.5, -2]], -2))\n"
              "### END HIDDEN TESTS", "test_scale_reference", grade=True, points=2),
        _cell("markdown", "Why?", "why_prompt", locked=True),
        _cell("markdown", MINI_KEY, "why", solution=True, grade=True, points=1),
    ])


MINI_KEY = ("**Corrigé.** Multiplier par k change l'échelle.\n\n"
            "**Barème (1 pt).** 1 pt : « échelle » ; 0,5 pt : « plus grand ».")


MINI_REF = "import numpy as np\n\ndef scale(x, k):\n    return np.asarray(x, float) * k\n"


def make_course(tmp: Path) -> Course:
    root = tmp / "course"
    (root / "source_notebooks" / "mini").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    nbformat.write(mini_notebook(), root / "source_notebooks" / "mini" / "mini.ipynb")
    (root / "source_notebooks" / "mini" / "mini_ref.py").write_text(MINI_REF)
    course = Course(root)
    release(course, ["mini"])
    return course


RIGHT = "def scale(x, k):\n    return np.multiply(x, k, dtype=float)"
CLASS = {
    # student: (what the answer cell holds, test cells rewritten, test cells deleted, broken file)
    "right": (RIGHT, {}, (), False),
    "wrong": ("def scale(x, k):\n    return np.asarray(x, float) + k", {}, (), False),
    "blank": (None, {}, (), False),
    "loops_forever": ("def scale(x, k):\n    while True:\n        pass", {}, (), False),
    "ignores_interrupts": ("import signal\ndef scale(x, k):\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                           "    while True:\n        pass", {}, (), False),
    "kills_the_kernel": (RIGHT + "\nimport os\nos._exit(1)", {}, (), False),
    "calls_sys_exit": (RIGHT + "\nimport sys\nsys.exit(3)", {}, (), False),
    "broken_json": (RIGHT, {}, (), True),
    "edits_tests": ("def scale(x, k):\n    return x", {"test_scale": "pass", "test_scale_reference": "pass"}, (), False),
    "deletes_tests": ("def scale(x, k):\n    return x", {}, ("test_scale", "test_scale_reference"), False),
    "patches_the_reference": (
        "def scale(x, k):\n    return np.asarray(x, float) - k\n"
        "import mini_ref\nmini_ref.scale = scale\n"
        "class _Lenient:\n    def __getattr__(self, name):\n        return getattr(__import__('numpy'), name)\n"
        "    class testing:\n        assert_allclose = staticmethod(lambda *a, **k: None)\n"
        "np = _Lenient()\nprint = None", {}, (), False),
}
EXPECTED = {  # automatic points out of 3 (the written answer is graded by hand)
    "right": 3, "wrong": 0, "blank": 0, "loops_forever": 0, "ignores_interrupts": 0, "kills_the_kernel": 0,
    "calls_sys_exit": 3, "broken_json": 0, "edits_tests": 0, "deletes_tests": 0,
    "patches_the_reference": 0,
}
NOT_GRADABLE = {"kills_the_kernel", "broken_json"}


def submit_class(course: Course, tmp: Path, students=CLASS) -> None:
    """Release to a local exchange; each student fetches, answers, submits; collect."""
    exchange = f"--Exchange.root={tmp / 'exchange'}"
    (tmp / "exchange").mkdir(exist_ok=True)
    course.nbgrader("release_assignment", "mini", exchange, "--force")
    for name, (answer, edits, deleted, broken) in students.items():
        home = tmp / "students" / name
        home.mkdir(parents=True)
        run_nbgrader(["fetch_assignment", "mini", f"--course={COURSE_ID}", exchange], cwd=home)
        fetched = home / "mini" / "mini.ipynb"
        student = submissions.Student(name, name, {"scale": answer} if answer else {}, edits, deleted, broken)
        fetched.write_bytes(submissions.build(student, fetched, course.source / "mini" / "mini.ipynb"))
        run_nbgrader(["submit", "mini", f"--course={COURSE_ID}", f"--student={name}", exchange], cwd=home)
    course.nbgrader("collect", "mini", exchange)


def hand_in(course: Course, students: dict) -> None:
    """The collected submissions written straight into ``submitted/`` (as ``collect``
    leaves them), for tests of the grading engine that need no exchange."""
    release_nb = course.release / "mini" / "mini.ipynb"
    for name, (answer, edits, deleted, broken) in students.items():
        folder = course.submitted / name / "mini"
        folder.mkdir(parents=True)
        student = submissions.Student(name, name, {"scale": answer} if answer else {}, edits, deleted, broken)
        (folder / "mini.ipynb").write_bytes(submissions.build(student, release_nb, course.source / "mini" / "mini.ipynb"))
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")


def automatic(course: Course) -> dict[str, float]:
    sheet = grade_sheet(course, "mini")
    return {row["student"]: row["auto"] for row in sheet.rows}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("class")
    course = make_course(tmp)
    submit_class(course, tmp)
    results = autograde(course, "mini", jobs=2, timeout=15, progress=False)
    return course, results


# --------------------------------------------------------------------------- the class
def test_every_submission_gets_what_it_earns(graded_class):
    course, _ = graded_class
    assert automatic(course) == {s: float(p) for s, p in EXPECTED.items()}


def test_nothing_is_lost_or_written_twice(graded_class):
    course, results = graded_class
    from nbgrader.api import Gradebook

    assert sorted(r.student for r in results) == sorted(CLASS)
    with Gradebook(course.gradebook_url, COURSE_ID) as gb:
        submissions_ = gb.find_assignment("mini").submissions
        assert sorted(s.student.id for s in submissions_) == sorted(CLASS)
        for sub in submissions_:
            grades = sub.notebooks[0].grades
            assert sorted(g.name for g in grades) == ["test_scale", "test_scale_reference", "why"]
    assert sorted(p.name for p in course.autograded.iterdir()) == sorted(CLASS)


def test_a_submission_nbgrader_cannot_grade_is_flagged_with_the_reason(graded_class):
    course, results = graded_class
    failed = {r.student for r in results if not r.ok}
    assert failed == NOT_GRADABLE
    sheet = {row["student"]: row for row in grade_sheet(course, "mini").rows}
    for student in NOT_GRADABLE:
        assert sheet[student]["state"].startswith("not gradable") and "flagged" in sheet[student]["state"]
        why = (course.autograded / student / "mini" / "AUTOGRADE_FAILED.txt").read_text()
        assert "0 and is flagged" in why
    assert "ok" in sheet["right"]["state"] or "by hand" in sheet["right"]["state"]


def test_an_infinite_loop_is_interrupted_cell_by_cell(graded_class):
    course, _ = graded_class
    nb = nbformat.read(course.autograded / "loops_forever" / "mini" / "mini.ipynb", 4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    for cell in tests:  # each test that calls the looping function is stopped, the next one runs
        assert any(o.get("ename") in ("KeyboardInterrupt", "CellTimeoutError") for o in cell.outputs)


def test_a_cell_that_ignores_the_interrupt_gets_its_kernel_restarted(graded_class):
    """SIGINT ignored: at the timeout the kernel is restarted (course.execute) instead of
    every later cell waiting its own timeout; the cell says so, the next ones run in the
    new kernel (without the student's function), and the submission is graded in about
    one timeout."""
    from course.execute import KERNEL_RESTARTED

    course, results = graded_class
    result = next(r for r in results if r.student == "ignores_interrupts")
    assert result.ok and result.seconds < 15 + 60, result.seconds
    nb = nbformat.read(course.autograded / "ignores_interrupts" / "mini" / "mini.ipynb", 4)
    first, second = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    assert [o.get("ename") for o in first.outputs if o.output_type == "error"][-1] == KERNEL_RESTARTED
    assert "redémarré" in first.outputs[-1]["evalue"]
    assert [o.get("ename") for o in second.outputs if o.output_type == "error"] == ["NameError"]


def test_edited_and_deleted_tests_are_restored(graded_class):
    course, _ = graded_class
    for student in ("edits_tests", "deletes_tests"):
        nb = nbformat.read(course.autograded / student / "mini" / "mini.ipynb", 4)
        ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
        assert "test_scale" in ids and "test_scale_reference" in ids
        test = nb.cells[ids.index("test_scale_reference")]
        assert "_ref.scale" in test.source and test.outputs[-1]["output_type"] == "error"


def test_feedback_and_grades_for_the_instructor(graded_class):
    course, _ = graded_class
    pages = feedback(course, "mini")
    assert {p.parts[-3] for p in pages} == set(CLASS) - NOT_GRADABLE
    assert "scale agrees with the reference" in (course.feedback / "right" / "mini" / "mini.html").read_text()
    sheet, files = write_grades(course, "mini")
    rows = list(csv.DictReader(files[0].open()))
    assert [r["student"] for r in rows] == sorted(CLASS) and float(rows[0]["max"]) == 4
    by_student = {r["student"]: r for r in rows}
    assert float(by_student["right"]["test_scale_reference"]) == 2
    assert float(by_student["wrong"]["automatic"]) == 0
    png = course.grades / "mini.png"
    assert png in files and png.stat().st_size > 5000
    assert {course.grades / "mini_questions.csv", course.grades / "moodle.csv"} <= set(files)
    assert "right" in sheet.table() and "not gradable" in sheet.table()


def test_graded_submissions_are_skipped_unless_forced(graded_class):
    course, _ = graded_class
    assert autograde(course, "mini", jobs=2, progress=False) == []
    again = autograde(course, "mini", students=["right"], force=True, progress=False)
    assert [r.student for r in again] == ["right"] and automatic(course)["right"] == 3


def test_graders_see_the_answer_keys_students_do_not(graded_class, tmp_path):
    """After autograde, the source's key follows each written answer in the autograded
    notebook (no nbgrader metadata); nbgrader still validates and exports, formgrader's
    page shows the key, the students' feedback does not (unless --with-answer-keys)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader import nbgraderformat
    from nbgrader.server_extensions.formgrader import handlers

    from course.answer_keys import HEADING

    course, _ = graded_class
    path = course.autograded / "right" / "mini" / "mini.ipynb"
    nb = nbformat.read(path, 4)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    key = nb.cells[ids.index("why") + 1]
    assert key.cell_type == "markdown" and key.metadata == {"course": {"answer_key": "why"}}
    assert HEADING in key.source and "> **Barème (1 pt).**" in key.source
    assert sum("course" in c.metadata for c in nb.cells) == 1
    assert nb.cells[ids.index("why")].source == "VOTRE RÉPONSE ICI"  # the student's answer, untouched
    nbgraderformat.reads(path.read_text(), 4)  # nbgrader's reader validates its metadata
    course.nbgrader("export", "--to", str(tmp_path / "grades.csv"))
    assert "right" in (tmp_path / "grades.csv").read_text()
    # formgrader renders a submission with this exporter and template (its SubmissionHandler)
    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    page, _ = exporter.from_filename(str(path), resources={
        "assignment_id": "mini", "notebook_id": "mini", "submission_id": "x", "index": 0, "total": 1,
        "base_url": "/", "student": "right", "last_name": None, "first_name": None,
        "notebook_path": "autograded/right/mini/mini.ipynb"})
    assert HEADING in page and "change l" in page

    def shown(pages):
        return {p.parts[-3] for p in pages if HEADING in p.read_text() or "change l" in p.read_text()}

    try:
        assert shown(feedback(course, "mini", with_answer_keys=True)) == set(CLASS) - NOT_GRADABLE
        env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
        cli = subprocess.run([sys.executable, "-m", "course", "--root", str(course.root), "feedback", "mini"],
                             capture_output=True, text=True, env=env)
        assert cli.returncode == 0, cli.stderr
    finally:
        pages = feedback(course, "mini")
    assert pages and not shown(pages)
    # a course whose configuration forgets the preprocessor: nothing leaks, it says why
    config = (course.root / "nbgrader_config.py").read_text()
    try:
        (course.root / "nbgrader_config.py").write_text(
            config.replace("c.GenerateFeedback.preprocessors.prepend([StripAnswerKeys])", ""))
        with pytest.raises(CourseError, match="StripAnswerKeys"):
            feedback(course, "mini")
        assert not shown(course.feedback.glob("*/mini/*.html"))
    finally:
        (course.root / "nbgrader_config.py").write_text(config)
        feedback(course, "mini")


# --------------------------------------------------------------------------- engine properties
def test_parallel_equals_sequential(graded_class):
    """The class graded two at a time (the fixture) and the same submissions graded
    again one at a time: identical scores, cell by cell."""
    course, _ = graded_class
    small = ["right", "wrong", "blank", "patches_the_reference", "calls_sys_exit"]
    parallel = {r["student"]: r["scores"] for r in grade_sheet(course, "mini").rows if r["student"] in small}
    again = autograde(course, "mini", students=small, jobs=1, force=True, progress=False)
    assert sorted(r.student for r in again) == sorted(small)
    sequential = {r["student"]: r["scores"] for r in grade_sheet(course, "mini").rows if r["student"] in small}
    assert sequential == parallel


def test_an_interrupted_run_resumes(tmp_path, interruptible):
    small = {f"s{i}": CLASS["right" if i % 2 else "wrong"] for i in range(5)}
    course = make_course(tmp_path)
    hand_in(course, small)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    run = subprocess.Popen([sys.executable, "-m", "course", "--root", str(course.root), "autograde",
                            "mini", "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not any(course.autograded.glob("s*/mini/mini.ipynb")):
        time.sleep(0.5)
    os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in the instructor's terminal
    run.wait(timeout=120)
    done_first = {p.parent.name for p in course.autograded.glob("s*/mini")}
    assert 1 <= len(done_first) <= 2  # the first, and the one being graded at Ctrl-C
    second = autograde(course, "mini", jobs=2, progress=False)
    assert {r.student for r in second} == set(small) - done_first
    assert automatic(course) == {f"s{i}": 3.0 if i % 2 else 0.0 for i in range(5)}


def test_autograde_explains_what_is_missing(tmp_path):
    course = make_course(tmp_path)
    with pytest.raises(CourseError, match="collect them first"):
        autograde(course, "mini")
    with pytest.raises(CourseError, match="Unknown assignment 'nope'"):
        autograde(course, "nope")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    with pytest.raises(CourseError, match="nbgrader_config.py"):
        Course.find(elsewhere)


# --------------------------------------------------------------------------- release, weights, CLI
def test_a_stale_release_is_caught(tmp_path):
    course = make_course(tmp_path)
    check(course)  # freshly generated: fine
    nb = nbformat.read(course.source / "mini" / "mini.ipynb", 4)
    nb.cells[0].source = "# Mini-TP, corrected title"
    nbformat.write(nb, course.source / "mini" / "mini.ipynb")
    with pytest.raises(CourseError, match="1 cell\\(s\\) differ"):
        check(course)
    result = subprocess.run([sys.executable, "-m", "course", "--root", str(course.root), "release", "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "course release" in result.stderr


def test_weights_fetch_says_why_it_cannot_work_here(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = subprocess.run([sys.executable, "-m", "course", "weights", "fetch", "--to", str(blocker / "keras")],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "not writable" in result.stderr and "/tmp/.keras" in result.stderr
    result = subprocess.run([sys.executable, "-m", "course", "weights", "fetch", "--to", str(tmp_path / "keras")],
                            capture_output=True, text=True, timeout=120)
    # these machines have no internet: a clear message, not a traceback
    assert result.returncode == 2 and "no internet" in result.stderr and "Traceback" not in result.stderr


def test_methods_tour_writes_every_figure(tmp_path):
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random")
    result = subprocess.run([sys.executable, "-m", "course", "methods", "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "POIDS ALÉATOIRES" in result.stdout  # never silent about random weights (in French)
    assert "89.4 %" in result.stdout  # VGG16's dense share, computed
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == ["nbj1_methods.png", "tp_filters.png", "tp_gradcam.png", "tp_occlusion.png"]
    assert all((tmp_path / name).stat().st_size > 10_000 for name in written)


def test_unknown_command_fails():
    result = subprocess.run([sys.executable, "-m", "course", "nope"], capture_output=True, text=True)
    assert result.returncode != 0 and "invalid choice" in result.stderr


# --------------------------------------------------------------------------- the real practicals
def test_demo_class_on_nbj1(tmp_path):
    """`course demo`: the real NBJ1 notebook through the whole workflow; the tampering
    copy earns exactly what its (grey-patch) code earns; one student's written answers
    are graded by hand (the scripted grader), the others' stay pending and show so."""
    home = tmp_path / "instructor_home"
    home.mkdir()
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random", HOME=str(home))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env["PATH"]
    result = subprocess.run([sys.executable, "-m", "course", "demo", "--jobs", "2", "--workdir",
                             str(tmp_path / "demo")], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # the fake students' submissions are cached under the demo's folder, not in the home's
    assert any((tmp_path / "demo" / "nbgrader_cache").rglob("*.ipynb"))
    assert not (home / ".local" / "share" / "jupyter" / "nbgrader_cache").exists()
    tmp_path = tmp_path / "demo"
    course = Course(tmp_path / "course")
    sheet = {r["student"]: r for r in grade_sheet(course, "nbj1").rows}
    assert sheet["ada"]["auto"] == 16 and sheet["blaise"]["auto"] == 0
    assert 0 < sheet["carla"]["auto"] < 16 and 0 < sheet["dmitri"]["auto"] < 16
    lost_by_eve = {k for k, v in sheet["eve"]["scores"].items() if k.startswith("test_") and v == 0}
    assert lost_by_eve == {"test_occlusion_patch_noir"}, lost_by_eve
    assert sheet["fatou"]["auto"] == 0 and sheet["fatou"]["state"].startswith("not gradable")
    assert "step" in result.stdout and "total" in result.stdout
    # the manual path: carla's written answers graded by the demo's scripted grader,
    # ada's (the keys) still pending, shown so in the table, the files and the pages
    manual = submissions.NBJ1_MANUAL
    carla, ada = sheet["carla"], sheet["ada"]
    assert not carla["pending"] and carla["manual"] == sum(points for points, _ in manual.values())
    assert carla["total"] == carla["auto"] + carla["manual"]
    assert sorted(ada["pending"]) == sorted(manual) and "to grade by hand" in ada["state"]
    assert not sheet["blaise"]["pending"] and sheet["blaise"]["manual"] == 0
    table = {line.split()[0]: line for line in result.stdout.splitlines() if "/ 16" in line}
    assert "13 pending" in table["ada"] and "pending" not in table["carla"]
    assert "manual grades pending for 1 student(s): ada (" in result.stderr
    grades = {r["student"]: r for r in csv.DictReader((course.grades / "nbj1.csv").open())}
    assert grades["ada"]["q1_avant"] == "" and grades["ada"]["total"] == ""
    assert float(grades["carla"]["q1_avant"]) == manual["q1_avant"][0] and grades["carla"]["total"] != ""
    moodle = {r["username"]: r["nbj1"] for r in csv.DictReader((course.grades / "moodle.csv").open())}
    assert moodle["ada"] == "" and float(moodle["carla"]) == carla["total"] and float(moodle["fatou"]) == 0
    pages = {name: (course.feedback / name / "nbj1" / "nbj1_ou_regarde_ia.html").read_text("utf-8")
             for name in ("ada", "carla")}
    assert "en attente de correction manuelle" in pages["ada"]
    assert "en attente de correction manuelle" not in pages["carla"] and manual["q3_cacher"][1] in pages["carla"]
    # the demo ends with the similarity step: gaspard's copy of carla, and nothing else, flagged
    assert result.stdout.index("== instructor: similarity") > result.stdout.index("== instructor: grades")
    flagged = [r for r in csv.DictReader((course.root / "similarity" / "nbj1.csv").open(encoding="utf-8"))
               if r["flagged"] == "yes"]
    assert flagged and {(r["student_a"], r["student_b"]) for r in flagged} == {("carla", "gaspard")}
    assert "occlusion_map" in {r["question"] for r in flagged}
    assert (course.root / "similarity" / "nbj1" / "carla--gaspard.html").is_file()


@pytest.mark.parametrize("command", [["demo"], ["autograde", "mini"]])
@pytest.mark.parametrize("jobs", ["0", "-2", "two"])
def test_jobs_below_one_is_refused_before_any_work(tmp_path, command, jobs):
    result = subprocess.run([sys.executable, "-m", "course", "--root", str(tmp_path), *command,
                             "--jobs", jobs, *(["--workdir", str(tmp_path / "demo")]
                                               if command == ["demo"] else [])],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "--jobs" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "demo").exists() and list(tmp_path.iterdir()) == []  # nothing was made
