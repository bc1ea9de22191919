"""What the instructor and the students read after grading (issue 14, item 5): the grades
files (pending manual cells blank, not 0; the questions file; Moodle's import file), the
picture, the terminal table and the feedback pages while manual grades are pending.

A real gradebook: the small course of ``test_course``, graded by the real ``course
autograde``, and manual grades entered through nbgrader's Gradebook API as formgrader
enters them (``course.demo.grade_by_hand``).
"""

import csv
from pathlib import Path

import nbformat
import pytest
from test_course import RIGHT, make_course

from course import submissions
from course.autograde import autograde
from course.core import Course
from course.demo import grade_by_hand
from course.reports import (PENDING_FR, GradeSheet, feedback, grade_sheet, mark_pending,
                            plot_distribution, write_grades, write_moodle)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

ANSWER = "Parce que multiplier par k change l'échelle."
CLASS = {  # student: (scale's code, written answer to "why", manual grade entered)
    "graded": (RIGHT, ANSWER, (0.5, "Bien, mais « échelle » mérite une phrase.")),
    "graded_zero": ("def scale(x, k):\n    return x", "Je ne sais pas.", (0.0, "Relisez le cours.")),
    "pending": (RIGHT, ANSWER, None),
    "blank": (None, None, None),         # the answer left as released: nbgrader gives it 0
    "broken": (RIGHT, ANSWER, None),     # not gradable (half-saved file)
}


def _student(name: str) -> submissions.Student:
    code, written, manual = CLASS[name]
    return submissions.Student(name, name, {"scale": code} if code else {}, broken=name == "broken",
                               written={"why": written} if written else {},
                               manual_grades={"why": manual} if manual else {})


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("reports"))
    release_nb, source_nb = course.release / "mini" / "mini.ipynb", course.source / "mini" / "mini.ipynb"
    for name in CLASS:
        folder = course.submitted / name / "mini"
        folder.mkdir(parents=True)
        (folder / "mini.ipynb").write_bytes(submissions.build(_student(name), release_nb, source_nb))
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")
    results = autograde(course, "mini", jobs=2, timeout=15, progress=False)
    assert {r.student for r in results if not r.ok} == {"broken"}
    for name in CLASS:
        if CLASS[name][2]:
            assert grade_by_hand(course, "mini", _student(name)) == CLASS[name][2][0]
    return course


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_sheet_knows_pending_from_zero(graded):
    sheet = {row["student"]: row for row in grade_sheet(graded, "mini").rows}
    assert sheet["pending"]["pending"] == ["why"] and sheet["pending"]["scores"]["why"] is None
    assert sheet["graded"]["scores"]["why"] == 0.5 and not sheet["graded"]["pending"]
    assert sheet["graded_zero"]["scores"]["why"] == 0.0 and not sheet["graded_zero"]["pending"]
    assert sheet["blank"]["scores"]["why"] == 0.0 and not sheet["blank"]["pending"]
    assert sheet["graded"]["total"] == 3.5 and sheet["graded"]["manual"] == 0.5
    assert not sheet["broken"]["gradable"] and sheet["broken"]["state"].startswith("not gradable")
    assert "to grade by hand" in sheet["pending"]["state"]
    assert "to grade by hand" not in sheet["graded"]["state"]


def test_grades_csv_leaves_pending_cells_blank(graded):
    sheet, files = write_grades(graded, "mini")
    names = {path.name for path in files}
    assert names == {"mini.csv", "mini_questions.csv", "moodle.csv", "mini.png"}
    rows = _csv(graded.grades / "mini.csv")
    assert [r["student"] for r in rows] == sorted(CLASS)  # one row per student, nothing else
    by = {r["student"]: r for r in rows}
    assert by["pending"]["why"] == "" and by["pending"]["manual"] == "" and by["pending"]["total"] == ""
    assert float(by["pending"]["automatic"]) == 3 and float(by["pending"]["test_scale_reference"]) == 2
    assert float(by["graded_zero"]["why"]) == 0 and float(by["graded_zero"]["total"]) == 0
    assert float(by["blank"]["why"]) == 0 and float(by["blank"]["total"]) == 0
    assert float(by["graded"]["why"]) == 0.5 and float(by["graded"]["total"]) == 3.5
    assert float(by["broken"]["total"]) == 0 and by["broken"]["state"].startswith("not gradable")
    assert all(float(r["max"]) == 4 for r in rows)


def test_questions_file_says_points_grading_and_means(graded):
    write_grades(graded, "mini", plot=False)
    rows = _csv(graded.grades / "mini_questions.csv")
    assert [(r["question"], float(r["points"]), r["grading"]) for r in rows] == [
        ("test_scale", 1, "automatic"), ("test_scale_reference", 2, "automatic"), ("why", 1, "manual")]
    why = rows[2]
    # graded 0.5, graded_zero 0, blank 0; the pending answer and the broken copy are left out
    assert int(why["graded_copies"]) == 3 and float(why["mean_share"]) == pytest.approx(0.5 / 3, abs=1e-4)
    # the automatic question over the four gradable copies (graded, pending right; the others 0)
    assert int(rows[1]["graded_copies"]) == 4 and float(rows[1]["mean_share"]) == 0.5


def test_moodle_file_has_one_column_per_practical(graded):
    write_grades(graded, "mini", plot=False)
    rows = _csv(graded.grades / "moodle.csv")
    assert list(rows[0]) == ["username", "mini"]
    by = {r["username"]: r["mini"] for r in rows}
    assert by == {"graded": "3.5", "graded_zero": "0.0", "pending": "", "blank": "0.0", "broken": "0.0"}


def test_moodle_file_covers_the_whole_course(tmp_path):
    """Two practicals: a student who did not hand one in, or whose total is pending, is blank."""
    def sheet(name, rows):
        return GradeSheet(name, [("q", 10.0, True)], [
            {"student": s, "total": t, "pending": ["q"] if t is None else [], "gradable": True}
            for s, t in rows])

    course = Course(tmp_path)  # no gradebook: only the sheets given
    path = write_moodle(course, {"tp_vgg16": sheet("tp_vgg16", [("ada", 7.0), ("bob", None)]),
                                 "nbj1": sheet("nbj1", [("ada", 9.5), ("cy", 0.0)])})
    assert path.read_text("utf-8").splitlines() == [
        "username,nbj1,tp_vgg16", "ada,9.5,7.0", "bob,,", "cy,0.0,"]


def test_table_shows_pending_as_pending(graded):
    table = grade_sheet(graded, "mini").table()
    line = {row.split()[0]: row for row in table.splitlines()[2:]}
    assert "pending" in line["pending"] and "pending" not in line["graded"]
    assert "3.5 / 4" in line["graded"] and "0.5 / 1" in line["graded"]


def test_feedback_marks_pending_answers_and_warns(graded, capsys):
    pages = feedback(graded, "mini")
    assert {p.parts[-3] for p in pages} == set(CLASS) - {"broken"}
    warning = capsys.readouterr().err
    assert "manual grades pending for 1 student(s): pending (why)" in warning
    pending = (graded.feedback / "pending" / "mini" / "mini.html").read_text("utf-8")
    assert PENDING_FR in pending and "Score provisoire : 3.0 / 4.0 ; 1 point(s)" in pending
    assert "Score: 0.0 / 1.0" not in pending  # nbgrader's misleading 0 for the ungraded answer
    done = (graded.feedback / "graded" / "mini" / "mini.html").read_text("utf-8")
    assert PENDING_FR not in done and "Score: 3.5 / 4.0" in done and "mérite une phrase" in done
    blank = (graded.feedback / "blank" / "mini" / "mini.html").read_text("utf-8")
    assert PENDING_FR not in blank  # nothing written: 0, a grade, not pending


def test_a_page_that_cannot_be_marked_is_not_kept():
    assert mark_pending("<html>Score: 0.0 / 1.0</html>", {"why": 1.0}) is None
    page = ('<h4>mini (Score: 3.0 / 4.0)</h4><li><a href="#why">Written response</a> (Score: 0.0 / 1.0)</li>'
            '<a name="why"></a><div class="panel-heading"><span class="nbgrader-label">Student\'s answer'
            '</span><span class="pull-right">\n Score: 0.0 / 1.0 <a href="#top">(Top)</a></span></div>')
    marked = mark_pending(page, {"why": 1.0})
    assert marked.lower().count(PENDING_FR) == 3 and "Score: 0.0" not in marked


def _made_up_sheet() -> GradeSheet:
    questions = [("t", 2.0, True), ("w", 4.0, False)]
    rows = [
        {"student": "a", "scores": {"t": 2.0, "w": 4.0}, "pending": [], "gradable": True},
        {"student": "b", "scores": {"t": 1.0, "w": None}, "pending": ["w"], "gradable": True},
        {"student": "c", "scores": {"t": 0.0, "w": 0.0}, "pending": [], "gradable": False},  # not gradable
    ]
    for row in rows:
        row["auto"] = row["scores"]["t"]
        row["manual"] = row["scores"]["w"] or 0.0
        row["total"] = row["auto"] + row["manual"]
        row["state"] = "ok" if row["gradable"] else "not gradable, flagged"
        row["timestamp"] = ""
    return GradeSheet("x", questions, rows)


def test_means_leave_out_not_gradable_copies_and_pending_cells():
    means = _made_up_sheet().question_means()
    assert means["t"] == (0.75, 2)  # a and b; c (not gradable) is not a 0 in the mean
    assert means["w"] == (1.0, 1)   # a only; b's answer is not graded yet


def test_the_picture_shows_every_question_and_the_totals(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    saved = {}
    original = plt.Figure.savefig

    def keep(fig, *args, **kwargs):
        saved["fig"] = fig
        return original(fig, *args, **kwargs)

    plt.Figure.savefig = keep
    try:
        path = plot_distribution(_made_up_sheet(), tmp_path / "x.png")
    finally:
        plt.Figure.savefig = original
    assert path.stat().st_size > 5000
    questions, totals = saved["fig"].axes
    assert [t.get_text() for t in questions.get_xticklabels()] == ["t (2)", "w (4)"]  # manual one included
    heights = [p.get_height() for p in questions.patches]
    assert heights == [0.75, 1.0]
    title = saved["fig"]._suptitle.get_text()
    assert "2 copie(s) notée(s)" in title and "1 non notable(s) exclue(s)" in title
    assert "1 en attente" in title
    assert sum(p.get_height() for p in totals.patches) == 2  # a (complete) and b (provisional)


@pytest.mark.parametrize("assignment", ["nbj1", "tp_vgg16"])
def test_demo_student_answers_and_is_graded_on_every_written_question(assignment, tmp_path):
    """``course demo``'s class: one student writes every free-text answer (her own, not
    the key) and carries a manual grade for each, within the cell's points."""
    source_nb = next((ROOT / "source_notebooks" / assignment).glob("*.ipynb"))
    release_nb = next((ROOT / "release" / assignment).glob("*.ipynb"))
    source = nbformat.read(source_nb, 4)
    manual = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in source.cells
              if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade")}
    students = submissions.CLASSES[assignment](source_nb)
    writers = {s.name: s for s in students if s.manual_grades}
    assert set(writers) == {"carla", "gaspard"}  # gaspard hands in carla's answers (course similarity's case)
    carla = writers["carla"]
    assert set(carla.written) == set(carla.manual_grades) == set(manual)
    assert all(0 <= points <= manual[name] for name, (points, _) in carla.manual_grades.items())
    assert all(comment for _, comment in carla.manual_grades.values())
    nb = nbformat.reads(submissions.build(carla, release_nb, source_nb).decode("utf-8"), 4)
    handed = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in nb.cells}
    assert all(handed[name] == text for name, text in carla.written.items())
    assert not any("Corrigé" in text for text in carla.written.values())
