"""``course feedback`` and ``course grades``: what students and the instructor read.

* feedback: nbgrader's HTML feedback per student (``feedback/<student>/<assignment>/``),
  without the graders' answer keys unless asked.
* grades: one CSV per assignment, a row per student and a column per graded cell
  (automatic and manual), the total, and the submission's state; a picture of the
  score distribution per question; and a plain-text table for the terminal.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .answer_keys import HEADING
from .core import COURSE_ID, Course, CourseError, is_automatic


def feedback(course: Course, assignment: str, *, force: bool = True,
             with_answer_keys: bool = False) -> list[Path]:
    """nbgrader's HTML feedback for every autograded submission of ``assignment``.

    The answer keys that ``course autograde`` puts in the autograded notebooks for the
    graders are left out (``StripAnswerKeys``, registered in ``nbgrader_config.py``)
    unless ``with_answer_keys``. Refuses (and removes the pages) when a page still
    shows a key: a course configuration without ``StripAnswerKeys``.
    """
    course.check_assignment(assignment)
    args = ["generate_feedback", assignment] + (["--force"] if force else [])
    if with_answer_keys:
        args.append("--StripAnswerKeys.enabled=False")
    course.nbgrader(*args)
    pages = sorted(course.feedback.glob(f"*/{assignment}/*.html"))
    if not with_answer_keys:
        leaking = [page for page in pages if HEADING in page.read_text("utf-8", errors="replace")]
        if leaking:
            for page in leaking:
                page.unlink()
            raise CourseError(
                f"{len(leaking)} feedback page(s) showed the answer keys (removed): add "
                "`from course.answer_keys import StripAnswerKeys` and "
                "`c.GenerateFeedback.preprocessors.prepend([StripAnswerKeys])` to nbgrader_config.py, "
                "or pass --with-answer-keys if students may read them.")
    return pages


@dataclass
class GradeSheet:
    assignment: str
    questions: list[tuple[str, float, bool]]   # (grade cell, max points, automatic?)
    rows: list[dict]                            # one per student

    @property
    def max_total(self) -> float:
        return sum(points for _, points, _ in self.questions)

    def table(self) -> str:
        """Plain-text table: student, automatic, manual, total, state."""
        auto_max = sum(p for _, p, auto in self.questions if auto)
        lines = [f"{'student':<18}{'automatic':>12}{'manual':>10}{'total':>12}  state",
                 "-" * 64]
        for row in self.rows:
            lines.append(f"{row['student']:<18}{row['auto']:>7g} / {auto_max:<3g}"
                         f"{row['manual']:>8g}  {row['total']:>6g} / {self.max_total:<3g}  {row['state']}")
        return "\n".join(lines)


def grade_sheet(course: Course, assignment: str) -> GradeSheet:
    """Every student's scores on ``assignment``, read from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    course.check_assignment(assignment)
    if not (course.root / "gradebook.db").exists():
        raise CourseError("No gradebook yet: run `course autograde` first.")
    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        try:
            definition = gradebook.find_assignment(assignment)
        except MissingEntry as err:
            raise CourseError(f"The gradebook does not know {assignment}: run `course release`.") from err
        questions = []
        for notebook in definition.notebooks:
            for cell in notebook.grade_cells:
                questions.append((cell.name, float(cell.max_score), is_automatic(cell)))
        automatic = {name for name, _, auto in questions if auto}
        rows = []
        for submission in sorted(definition.submissions, key=lambda s: s.student.id):
            scores, state = {}, []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores[grade.name] = float(grade.score or 0.0)
                if notebook.flagged:
                    state.append("flagged")
                if notebook.needs_manual_grade:
                    state.append("to grade by hand")
            failed = (course.autograded / submission.student.id / assignment / "AUTOGRADE_FAILED.txt").exists()
            if failed:
                state.insert(0, "not gradable")
            auto = sum(v for k, v in scores.items() if k in automatic)
            rows.append({"student": submission.student.id,
                         "timestamp": submission.timestamp.isoformat() if submission.timestamp else "",
                         "auto": auto, "manual": sum(scores.values()) - auto,
                         "total": sum(scores.values()),
                         "state": ", ".join(dict.fromkeys(state)) or "ok", "scores": scores})
    return GradeSheet(assignment, questions, rows)


def write_grades(course: Course, assignment: str, *, plot: bool = True) -> tuple[GradeSheet, list[Path]]:
    """``grades/<assignment>.csv`` (and ``.png``); returns the sheet and the files."""
    sheet = grade_sheet(course, assignment)
    course.grades.mkdir(exist_ok=True)
    path = course.grades / f"{assignment}.csv"
    names = [name for name, _, _ in sheet.questions]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "timestamp", "automatic", "manual", "total", "max", "state", *names])
        writer.writerow(["(max points)", "", "", "", "", sheet.max_total, "",
                         *[points for _, points, _ in sheet.questions]])
        for row in sheet.rows:
            writer.writerow([row["student"], row["timestamp"], row["auto"], row["manual"],
                             row["total"], sheet.max_total, row["state"],
                             *[row["scores"].get(name, 0.0) for name in names]])
    written = [path]
    if plot and sheet.rows:
        written.append(plot_distribution(sheet, course.grades / f"{assignment}.png"))
    return sheet, written


def plot_distribution(sheet: GradeSheet, path: Path) -> Path:
    """Share of the points each student earned, per automatically graded question."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    questions = [(name, points) for name, points, auto in sheet.questions if auto]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(questions) + 2), 4), dpi=100)
    rng = np.random.default_rng(0)
    for i, (name, points) in enumerate(questions):
        shares = np.array([row["scores"].get(name, 0.0) / points for row in sheet.rows])
        ax.bar(i, shares.mean(), color="#9ecae1", width=0.7)
        ax.scatter(i + rng.uniform(-0.2, 0.2, len(shares)), shares, s=14, color="#08519c", zorder=3)
    ax.set_xticks(range(len(questions)), [n for n, _ in questions], rotation=60, ha="right", fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.set_ylabel("part des points obtenue")
    ax.set_title(f"{sheet.assignment} — {len(sheet.rows)} copies : moyenne (barres) et élèves (points)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
