"""``course feedback`` and ``course grades``: what students and the instructor read.

* feedback: nbgrader's HTML feedback per student (``feedback/<student>/<assignment>/``),
  without the graders' answer keys unless asked. An answer still waiting for its
  manual grade says so on the page (never "0.0 / 1.0"), and the command warns.
* grades, in ``grades/``:

  - ``<assignment>.csv``: one header, then one row per student: the automatic and
    manual points, the total, the state, and a column per graded cell. A cell waiting
    for its manual grade is **blank** (not 0), and so are the manual and total columns
    of that student until every answer is graded.
  - ``<assignment>_questions.csv``: one row per graded cell: its points, whether it is
    graded automatically or by hand, and the class's mean share of its points.
  - ``moodle.csv``: the whole course for Moodle's grade import (see ``write_moodle``).
  - ``<assignment>.png``: every question's scores (manual ones included) and a
    histogram of the totals.

  A copy nbgrader could not grade ("not gradable": ``AUTOGRADE_FAILED.txt``) has 0
  on every cell in the CSV, as in the gradebook, but is left out of the means and the
  histogram; a cell waiting for its manual grade is left out of its question's mean.
* ``GradeSheet.table``: a plain-text table for the terminal.
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from .answer_keys import HEADING
from .core import COURSE_ID, Course, CourseError, is_automatic

PENDING_FR = "en attente de correction manuelle"


# --------------------------------------------------------------------------- the grades
@dataclass
class GradeSheet:
    """Every student's scores on one assignment.

    Attributes:
        assignment: the assignment's name.
        questions: ``(grade cell, max points, automatic?)`` in the notebook's order.
        rows: one dict per student: ``student``, ``timestamp``, ``auto`` and ``manual``
            (points earned so far), ``total`` (their sum), ``scores`` (grade cell ->
            points, ``None`` while its manual grade is pending), ``pending`` (those cells),
            ``gradable`` (False for a copy nbgrader could not grade) and ``state``.
    """

    assignment: str
    questions: list[tuple[str, float, bool]]
    rows: list[dict]

    @property
    def max_total(self) -> float:
        return sum(points for _, points, _ in self.questions)

    @property
    def gradable(self) -> list[dict]:
        """The rows of the copies nbgrader graded (those the means are taken over)."""
        return [row for row in self.rows if row["gradable"]]

    def question_means(self) -> dict[str, tuple[float | None, int]]:
        """Per grade cell: the mean share of its points and how many copies it is taken
        over: gradable copies whose cell is graded (pending manual cells and not-gradable
        copies are left out); ``(None, 0)`` when no copy counts."""
        means = {}
        for name, points, _ in self.questions:
            got = [row["scores"][name] / points for row in self.gradable
                   if row["scores"].get(name) is not None and points > 0]
            means[name] = (sum(got) / len(got) if got else None, len(got))
        return means

    def table(self) -> str:
        """Plain-text table: student, automatic, manual, total, state. While manual
        grades are pending the manual column reads "<points entered> + <n> pending" and
        the total "pending"."""
        auto_max = sum(p for _, p, auto in self.questions if auto)
        manual_max = self.max_total - auto_max
        lines = [f"{'student':<18}{'automatic':>12}{'manual':>16}{'total':>14}  state", "-" * 76]
        for row in self.rows:
            if row["pending"]:
                manual = f"{row['manual']:g} + {len(row['pending'])} pending"
                total = "pending"
            else:
                manual = f"{row['manual']:g} / {manual_max:g}"
                total = f"{row['total']:g} / {self.max_total:g}"
            lines.append(f"{row['student']:<18}{row['auto']:>7g} / {auto_max:<3g}{manual:>16}"
                         f"{total:>14}  {row['state']}")
        return "\n".join(lines)


def grade_sheet(course: Course, assignment: str) -> GradeSheet:
    """Every student's scores on ``assignment``, read from the gradebook.

    A grade is pending when nbgrader says it needs a manual grade and no grader has
    entered one (formgrader or the Gradebook API set ``manual_score``). An answer left
    as released needs none: nbgrader gives it 0.
    """
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
            scores: dict[str, float | None] = {}
            state = []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    scores[grade.name] = None if pending else float(grade.score or 0.0)
                if notebook.flagged:
                    state.append("flagged")
            pending = [name for name, _, _ in questions if name in scores and scores[name] is None]
            if pending:
                state.append(f"to grade by hand ({len(pending)})")
            failed = (course.autograded / submission.student.id / assignment / "AUTOGRADE_FAILED.txt").exists()
            if failed:
                state.insert(0, "not gradable")
            auto = sum(v for k, v in scores.items() if k in automatic and v is not None)
            manual = sum(v for k, v in scores.items() if k not in automatic and v is not None)
            rows.append({"student": submission.student.id,
                         "timestamp": submission.timestamp.isoformat() if submission.timestamp else "",
                         "auto": auto, "manual": manual, "total": auto + manual,
                         "state": ", ".join(dict.fromkeys(state)) or "ok", "scores": scores,
                         "pending": pending, "gradable": not failed})
    return GradeSheet(assignment, questions, rows)


def write_grades(course: Course, assignment: str, *, plot: bool = True) -> tuple[GradeSheet, list[Path]]:
    """The grades files of ``assignment`` (see the module's docstring) and the course's
    ``grades/moodle.csv``; returns the sheet and the files written.

    In ``grades/<assignment>.csv`` a blank cell is a manual grade not entered yet
    (0 is a grade); the manual and total columns stay blank while any is missing.
    """
    sheet = grade_sheet(course, assignment)
    course.grades.mkdir(exist_ok=True)
    path = course.grades / f"{assignment}.csv"
    names = [name for name, _, _ in sheet.questions]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "timestamp", "automatic", "manual", "total", "max", "state", *names])
        for row in sheet.rows:
            done = not row["pending"]
            writer.writerow([row["student"], row["timestamp"], row["auto"],
                             row["manual"] if done else "", row["total"] if done else "",
                             sheet.max_total, row["state"],
                             *["" if row["scores"].get(name) is None else row["scores"][name]
                               for name in names]])
    written = [path, write_questions(sheet, course.grades / f"{assignment}_questions.csv"),
               write_moodle(course, {assignment: sheet})]
    if plot and sheet.rows:
        written.append(plot_distribution(sheet, course.grades / f"{assignment}.png"))
    return sheet, written


def write_questions(sheet: GradeSheet, path: Path) -> Path:
    """``<assignment>_questions.csv``: per grade cell, its points, ``automatic`` or
    ``manual``, the class's mean share of its points (gradable copies, graded cells;
    blank when none) and how many copies that mean is taken over."""
    means = sheet.question_means()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["question", "points", "grading", "mean_share", "graded_copies"])
        for name, points, auto in sheet.questions:
            mean, count = means[name]
            writer.writerow([name, points, "automatic" if auto else "manual",
                             "" if mean is None else round(mean, 4), count])
    return path


def write_moodle(course: Course, sheets: dict[str, GradeSheet] | None = None) -> Path:
    """``grades/moodle.csv``: the whole course in the form Moodle's grade import reads.

    One header (``username`` and one column per practical, e.g. ``nbj1``), then one row
    per student with the practical's total in points (out of the practical's maximum:
    the ``max`` column of ``grades/<assignment>.csv``). A total is **blank** while a
    manual grade is pending, and for a practical the student did not hand in: Moodle
    reads an empty cell as "no grade". A copy nbgrader could not grade has its
    gradebook total, 0 (re-grade it before importing if it deserves better).

    In Moodle: create one grade item per practical with its maximum grade (Grades >
    Gradebook setup), then Grades > Import > CSV file, upload ``moodle.csv``
    (separator: comma, encoding UTF-8); under "Identify user by" map **from**
    ``username`` **to** "username" (or to "ID number" when nbgrader's student ids are
    the students' ID numbers), and map each practical's column to its grade item.

    Args:
        course: the course.
        sheets: sheets already read (by assignment); the other assignments that have
            submissions in the gradebook are read from it.
    """
    from nbgrader.api import Gradebook, MissingEntry

    sheets = dict(sheets or {})
    if (course.root / "gradebook.db").exists():
        with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
            graded = []
            for assignment in course.assignments():
                try:
                    if gradebook.find_assignment(assignment).submissions:
                        graded.append(assignment)
                except MissingEntry:
                    pass
        for assignment in graded:
            if assignment not in sheets:
                sheets[assignment] = grade_sheet(course, assignment)
    assignments = sorted(sheets)
    totals: dict[str, dict[str, str | float]] = {}
    for assignment in assignments:
        for row in sheets[assignment].rows:
            totals.setdefault(row["student"], {})[assignment] = "" if row["pending"] else row["total"]
    course.grades.mkdir(exist_ok=True)
    path = course.grades / "moodle.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", *assignments])
        for student in sorted(totals):
            writer.writerow([student, *[totals[student].get(a, "") for a in assignments]])
    return path


def plot_distribution(sheet: GradeSheet, path: Path) -> Path:
    """The class on one picture: left, the share of the points each student earned on
    every question (automatic and manual), the bar being the mean; right, a histogram
    of the totals. Not-gradable copies are left out of both (their number is in the
    title); a manual answer not graded yet is left out of its question; a copy with
    pending manual grades counts in the histogram with its points so far, in its own
    colour ("provisoire")."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator
    import numpy as np

    colours = {True: ("#9ecae1", "#08519c"), False: ("#fdd0a2", "#a63603")}
    means = sheet.question_means()
    rows = sheet.gradable
    n = len(sheet.questions)
    fig, (ax, hist) = plt.subplots(1, 2, figsize=(max(9, 0.45 * n + 5), 4.5), dpi=100,
                                   gridspec_kw={"width_ratios": [max(n, 4), 5]})
    rng = np.random.default_rng(0)
    for i, (name, points, auto) in enumerate(sheet.questions):
        bar, dot = colours[auto]
        shares = np.array([row["scores"][name] / points for row in rows
                           if row["scores"].get(name) is not None and points > 0])
        mean, _ = means[name]
        if mean is not None:
            ax.bar(i, mean, color=bar, width=0.7)
        if len(shares):
            ax.scatter(i + rng.uniform(-0.2, 0.2, len(shares)), shares, s=12, color=dot, zorder=3)
    ax.set_xticks(range(n), [f"{name} ({points:g})" for name, points, _ in sheet.questions],
                  rotation=70, ha="right", fontsize=7)
    ax.set_xlim(-0.7, n - 0.3)
    ax.set_ylim(-0.05, 1.3)  # room for the legend above the full marks
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("part des points obtenue")
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colours[True][0], label="automatique"),
                       plt.Rectangle((0, 0), 1, 1, color=colours[False][0], label="manuelle")],
              fontsize=7, loc="upper right", ncol=2)
    ax.set_title("par question : moyenne (barre), copies (points)", fontsize=9)
    complete = [row["total"] for row in rows if not row["pending"]]
    provisional = [row["total"] for row in rows if row["pending"]]
    bins = np.linspace(0, sheet.max_total or 1, 11)
    hist.hist([complete, provisional], bins=bins, stacked=True, color=["#31a354", "#bdbdbd"],
              label=[f"complet ({len(complete)})", f"provisoire ({len(provisional)})"])
    hist.set_xlabel(f"total (sur {sheet.max_total:g})")
    hist.set_ylabel("copies")
    hist.yaxis.set_major_locator(MaxNLocator(integer=True))
    hist.legend(fontsize=7)
    hist.set_title("totaux", fontsize=9)
    failed = len(sheet.rows) - len(rows)
    title = f"{sheet.assignment} — {len(rows)} copie(s) notée(s)"
    if failed:
        title += f", {failed} non notable(s) exclue(s) des moyennes"
    if provisional:
        title += f", {len(provisional)} en attente de correction manuelle"
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


# --------------------------------------------------------------------------- the feedback
def feedback(course: Course, assignment: str, *, force: bool = True,
             with_answer_keys: bool = False) -> list[Path]:
    """nbgrader's HTML feedback for every autograded submission of ``assignment``.

    The answer keys that ``course autograde`` puts in the autograded notebooks for the
    graders are left out (``StripAnswerKeys``, registered in ``nbgrader_config.py``)
    unless ``with_answer_keys``. Refuses (and removes the pages) when a page still
    shows a key: a course configuration without ``StripAnswerKeys``.

    Manual grades still pending (written answers not graded in formgrader yet): every
    page is written, as nbgrader does, but a pending answer reads « en attente de
    correction manuelle » instead of nbgrader's "0.0 / 1.0", and the page's total says
    it is provisional and how many points are still to grade; a warning on stderr names
    the students and questions. Pages are only files in ``feedback/``: students see
    them when the instructor runs ``nbgrader release_feedback``, which is better done
    once the warning is gone (grade in formgrader, then run ``course feedback`` again).
    A page whose pending answers cannot be marked (another feedback template) is
    removed rather than shown with a misleading 0.
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
    pending = pending_grades(course, assignment)
    unmarked = []
    for page in pages:
        cells = pending.get(page.parts[-3], {}).get(page.stem)
        if not cells:
            continue
        marked = mark_pending(page.read_text("utf-8"), cells)
        if marked is None:
            page.unlink()
            unmarked.append(page)
        else:
            page.write_text(marked, "utf-8")
    if pending:
        listed = "; ".join(f"{student} ({', '.join(c for cells in notebooks.values() for c in cells)})"
                           for student, notebooks in sorted(pending.items()))
        print(f"course feedback: warning: {assignment}: manual grades pending for {len(pending)} "
              f"student(s): {listed}. Their pages mark those answers as awaiting grading and give a "
              "provisional total; grade them in formgrader and run `course feedback` again before "
              "`nbgrader release_feedback`.", file=sys.stderr)
    if unmarked:
        raise CourseError(f"{len(unmarked)} feedback page(s) with pending manual grades could not be "
                          "marked as such (their feedback template is not nbgrader's) and were removed: "
                          + ", ".join(str(p) for p in unmarked))
    return [page for page in pages if page.exists()]


def pending_grades(course: Course, assignment: str) -> dict[str, dict[str, dict[str, float]]]:
    """Manual grades not entered yet: student -> notebook -> grade cell -> max points."""
    from nbgrader.api import Gradebook, MissingEntry

    pending: dict[str, dict[str, dict[str, float]]] = {}
    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        try:
            submissions = gradebook.find_assignment(assignment).submissions
        except MissingEntry:
            return {}
        for submission in submissions:
            for notebook in submission.notebooks:
                cells = {grade.name: float(grade.max_score) for grade in notebook.grades
                         if grade.needs_manual_grade and grade.manual_score is None}
                if cells:
                    pending.setdefault(submission.student.id, {})[notebook.name] = cells
    return pending


_SCORE = r"Score: -?[\d.]+ / ([\d.]+)"


def mark_pending(html: str, cells: dict[str, float]) -> str | None:
    """A feedback page (nbgrader's ``feedback`` template) with ``cells`` (grade cell ->
    max points) shown as awaiting manual grading, and its total as provisional; ``None``
    when a cell's score is not found where the template puts it."""
    for name in cells:
        ident = re.escape(name)
        # the table of contents at the top, then the cell's own heading
        html, toc = re.subn(rf'(<a href="#{ident}">[^<]*</a> \()Score: -?[\d.]+ / ([\d.]+)\)',
                            rf"\1{PENDING_FR}, sur \2)", html, count=1)
        html, heading = re.subn(rf'(<a name="{ident}"></a>\s*<div class="panel-heading">(?:(?!</div>).)*?)'
                                + _SCORE, rf"\1<b>{PENDING_FR.capitalize()}</b> (sur \2)", html,
                                count=1, flags=re.S)
        if not (toc and heading):
            return None
    missing = sum(cells.values())
    html, total = re.subn(r"(<h4>[^<]*)\(Score: (-?[\d.]+) / ([\d.]+)\)</h4>",
                          rf"\1(Score provisoire : \2 / \3 ; {missing:g} point(s) {PENDING_FR})</h4>",
                          html, count=1)
    return html if total else None
