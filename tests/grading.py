"""A real nbgrader round for the tests: generate an assignment in a temporary course,
submit notebooks for several students, autograde them all, read the gradebook.

Used by the notebooks' grading tests; nothing here is mocked: the ``course`` commands
run as an instructor would run them (nbgrader underneath), the kernels execute the
whole notebooks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course.autograde import autograde as course_autograde
from course.core import Course
from course.release import compare, copy_course, release

ROOT = Path(__file__).resolve().parents[1]


def generate(course: Path, assignment: str) -> Path:
    """A scratch course in ``course`` with the repository's configuration and the
    assignment's source, its student version generated; returns the release folder."""
    copy_course(Course(ROOT), course, [assignment])
    release(Course(course), [assignment])
    return course / "release" / assignment


def answered(release_notebook: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with the graded cells ``{grade_id: source}`` filled in."""
    nb = nbformat.read(release_notebook, as_version=4)
    for grade_id, source in answers.items():
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = source.strip("\n")
    return nb


@dataclass
class Graded:
    """A graded class: each student's automatic grades ``{grade cell: (score, max)}``,
    whether the gradebook flags the notebook, and ``course autograde``'s results."""

    scores: dict[str, dict[str, tuple]]
    flagged: dict[str, bool]
    results: dict
    seconds: float


def autograde(course: Path, assignment: str, notebook: str,
              submissions: dict[str, nbformat.NotebookNode], timeout: int | None = None) -> Graded:
    """Submit ``{student: notebook}`` and autograde them (``course autograde``, two at a
    time, in the sandbox; ``timeout``: seconds per cell, as ``--timeout``)."""
    for student, nb in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / notebook)
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")
    start = time.perf_counter()
    results = course_autograde(Course(course), assignment, jobs=2, progress=False, timeout=timeout)
    seconds = time.perf_counter() - start
    failed = [r.student for r in results if not r.ok]
    assert not failed, f"nbgrader could not grade {failed}: {[r.reason for r in results if not r.ok]}"

    from nbgrader.api import Gradebook

    scores, flagged = {}, {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gradebook:
        for student in submissions:
            graded = gradebook.find_submission_notebook(Path(notebook).stem, assignment, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in graded.grades
                               if g.cell.cell_type == "code"}
            flagged[student] = graded.flagged
    return Graded(scores, flagged, {r.student: r for r in results}, seconds)


def clause_submissions(assignment: str, notebook: str) -> dict[str, tuple[dict, set, list]]:
    """The submissions that each violate clauses of the statements (``CLAUSES`` of
    ``grading/<assignment>.py``): the source's solution with one clause's mistake per
    graded function, so that one class holds every clause. ``{student: (answers, the
    cells they must lose, the clauses)}``."""
    from course import verify

    checks = verify.load_checks((ROOT / "grading" / f"{assignment}.py").read_bytes(), assignment)
    source = nbformat.read(ROOT / "source_notebooks" / assignment / notebook, 4)
    solution = verify.graded_cells(source, checks.GRADED)
    by_function: dict[str, list] = {}
    for clause in checks.CLAUSES:
        by_function.setdefault(clause.function, []).append(clause)
    out = {}
    for i in range(max(len(c) for c in by_function.values())):
        group = [clauses[i] for clauses in by_function.values() if i < len(clauses)]
        answers = {c.function: verify.mistaken(solution[c.function], c) for c in group}
        out[f"clauses_{i:02d}"] = (answers, {c.cell for c in group}, group)
    return out


def lost(grades: dict[str, tuple]) -> set[str]:
    """The grade cells that did not get their full points."""
    return {name for name, (got, top) in grades.items() if got != top}


def release_is_fresh(fresh_notebook: Path, assignment: str) -> None:
    """The committed ``release/`` equals the one nbgrader just generated, holds no
    solution, hidden test or output."""
    problems = compare(fresh_notebook.parent, ROOT / "release" / assignment)
    assert not problems, "\n".join(problems) + "\nrun `python -m course release` and commit release/"
