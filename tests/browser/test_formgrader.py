"""Manual grading in formgrader, as an instructor does it (issue 14): a small class graded
by the real ``course autograde``, JupyterLab started from the course folder, *Nbgrader →
Formgrader* in headless Chromium, a score and a comment typed on a written answer; then
nbgrader's gradebook, ``course grades`` and ``nbgrader export`` must all hold them.

The class is the mini assignment of ``tests/test_course.py`` (3 automatic points, one
written answer ``why`` worth 1 point) with two students, so the right row is checked:
``ada`` (right code, a written answer, graded by hand here) and ``bob`` (wrong code, the
written answer left as released, which nbgrader scores 0 itself; untouched here).
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ARTIFACTS, jupyterlab_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ASSIGNMENT = "mini"
QUESTION = "why"             # the written answer's grade_id (1 point)
STUDENT, OTHER = "ada", "bob"
ANSWER = "Multiplier par k change l'échelle des valeurs."
SCORE = 0.5                  # typed in formgrader: automatic 3 + manual 0.5
TOTAL = 3.5
COMMENT = "Idée juste ; précisez pourquoi l'échelle change (relu dans formgrader)."


def _env() -> dict:
    return dict(os.environ, XAI_COURSE_WEIGHTS="random",
                PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))


def _run(args, cwd) -> subprocess.CompletedProcess:
    result = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """The mini course released, two submissions handed in, graded by `course autograde`."""
    from course import submissions
    from test_course import RIGHT, make_course  # tests/ is on sys.path (rootdir conftest)

    course = make_course(tmp_path_factory.mktemp("formgrader"))
    release_nb = course.release / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    source_nb = course.source / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    for student in (submissions.Student(STUDENT, "right, with a written answer",
                                        {"scale": RIGHT, QUESTION: ANSWER}),
                    submissions.Student(OTHER, "wrong, no written answer",
                                        {"scale": "def scale(x, k):\n    return x"})):
        folder = course.submitted / student.name / ASSIGNMENT
        folder.mkdir(parents=True)
        (folder / f"{ASSIGNMENT}.ipynb").write_bytes(submissions.build(student, release_nb, source_nb))
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")
    _run([sys.executable, "-m", "course", "--root", str(course.root), "autograde", ASSIGNMENT,
          "--jobs", "2", "--timeout", "30"], cwd=course.root)
    return course


@pytest.fixture
def course_lab(graded_course, tmp_path):
    """``(base_url, token)``: JupyterLab started from the course folder, as the README says
    (requested before ``bare_page``, so a failure's screenshot is taken while it runs)."""
    with jupyterlab_in(graded_course.root, tmp_path / "jupyter-home",
                       ARTIFACTS / "jupyterlab-formgrader.log") as server:
        yield server


def _grade(course, student):
    from nbgrader.api import Gradebook

    from course.core import COURSE_ID

    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        grade = gradebook.find_grade(QUESTION, ASSIGNMENT, ASSIGNMENT, student)
        comment = gradebook.find_comment(QUESTION, ASSIGNMENT, ASSIGNMENT, student)
        total = gradebook.find_submission(ASSIGNMENT, student).score
        return (grade.manual_score, grade.needs_manual_grade, comment.manual_comment, total)


def _row(path: Path, student: str, key: str) -> dict:
    """The row of ``student`` (found by ``key``, its identifier column), as a dict."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row.get(key) == student]
    assert len(rows) == 1, f"{path}: {len(rows)} rows for {student}:\n{path.read_text()}"
    return rows[0]


def test_a_manual_score_and_comment_reach_the_gradebook_grades_and_export(graded_course, course_lab,
                                                                         bare_page):
    course, (base, token), page = graded_course, course_lab, bare_page
    from course.answer_keys import HEADING

    # autograde left the written answers to grade by hand
    assert _grade(course, STUDENT) == (None, True, None, 3.0)
    other = _grade(course, OTHER)  # an unchanged answer: nbgrader scores it 0 itself
    assert other == (None, False, None, 0.0)

    # in the instructor's JupyterLab: Nbgrader → Formgrader → Manual Grading → … → the student
    page.goto(f"{base}/lab?token={token}")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.get_by_role("menuitem", name="Formgrader", exact=True).click()
    formgrader = page.frame_locator("#formgrader iframe")
    formgrader.get_by_role("link", name="Manual Grading").click()
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click()  # the assignment
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click()  # its notebook
    formgrader.get_by_role("link", name="Submission #2").wait_for()  # both rows listed
    formgrader.get_by_role("button", name="Show All Names").click()
    formgrader.get_by_role("link", name=STUDENT, exact=True).click()

    # the submission page: the student's answer, the answer key under it, the boxes
    score = formgrader.locator(f"input.score#{QUESTION}")
    comment = formgrader.locator(f"textarea.comment#{QUESTION}-comment")
    score.wait_for()
    assert formgrader.get_by_text(ANSWER).count() == 1
    assert formgrader.get_by_text(HEADING).count() >= 1
    score.click()
    score.fill(str(SCORE))
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url
                              and r.request.method == "PUT") as saved:
        comment.click()  # leaving the box saves it (its "change" event)
    assert saved.value.ok and saved.value.json()["manual_score"] == SCORE
    comment.fill(COMMENT)
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url
                              and r.request.method == "PUT") as saved:
        score.click()
    assert saved.value.ok and saved.value.json()["manual_comment"] == COMMENT

    # reloaded, formgrader shows what it saved (wait for the new page's boxes to fill)
    formgrader.locator("body").evaluate(
        "() => { window.__before_reload = true; setTimeout(() => location.reload(), 0); }")
    page.wait_for_function("""() => {
        const frame = document.querySelector('#formgrader iframe').contentWindow;
        if (!frame || frame.__before_reload || frame.document.readyState !== 'complete') return false;
        const score = frame.document.querySelector('input.score#%(q)s');
        const comment = frame.document.querySelector('textarea.comment#%(q)s-comment');
        return score && comment && score.value !== '' && comment.value !== '';
    }""" % {"q": QUESTION})
    assert float(score.input_value()) == SCORE
    assert comment.input_value() == COMMENT
    page.screenshot(path=str(ARTIFACTS / "formgrader-manual-grade.png"))

    # nbgrader's gradebook
    assert _grade(course, STUDENT) == (SCORE, False, COMMENT, TOTAL)
    assert _grade(course, OTHER) == other  # the other student is untouched

    # course grades: the student's row, found by its first column, columns by name
    result = _run([sys.executable, "-m", "course", "--root", str(course.root), "grades", ASSIGNMENT],
                  cwd=course.root)
    line = next(text for text in result.stdout.splitlines() if text.split()[:1] == [STUDENT])
    assert re.search(r"\b3[.,]5\b", line), result.stdout  # the total on screen
    path = course.grades / f"{ASSIGNMENT}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        first_column = next(csv.reader(handle))[0]
    row = _row(path, STUDENT, first_column)
    assert float(row["total"]) == TOTAL
    assert float(row[QUESTION]) == SCORE
    if "manual" in row:
        assert float(row["manual"]) == SCORE

    # nbgrader export, run from the course folder (where it finds nbgrader_config.py)
    result = _run([sys.executable, "-m", "nbgrader", "export"], cwd=course.root)
    written = re.search(r"Exporting grades to (\S+)", result.stdout + result.stderr)
    assert written, result.stdout + result.stderr
    exported = course.root / written.group(1)
    row = _row(exported, STUDENT, "student_id")
    assert row["assignment"] == ASSIGNMENT
    assert float(row["raw_score"]) == TOTAL and float(row["score"]) == TOTAL
    assert float(_row(exported, OTHER, "student_id")["score"]) == 0.0


def test_started_elsewhere_formgrader_sees_no_course(graded_course, tmp_path, bare_page):
    """What the README tells the instructor who started JupyterLab in another folder (here
    the one above the course, with an exchange configured for the user): formgrader finds
    no `nbgrader_config.py`, so it says the course id is not set and lists no assignment."""
    page, elsewhere = bare_page, graded_course.root.parent
    home = tmp_path / "jupyter-home"
    (home / "config").mkdir(parents=True)
    (tmp_path / "exchange").mkdir()
    (home / "config" / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(tmp_path / 'exchange')!r}\n")
    with jupyterlab_in(elsewhere, home, ARTIFACTS / "jupyterlab-elsewhere.log") as (base, token):
        with page.expect_response(
                lambda r: r.url.split("?")[0].endswith("/formgrader/api/assignments")) as listed:
            page.goto(f"{base}/formgrader?token={token}")
        assert listed.value.json() == []
        warning = page.locator("#warning-course-id")
        assert "course id has not been set" in warning.inner_text()
        assert page.get_by_role("link", name=ASSIGNMENT, exact=True).count() == 0
