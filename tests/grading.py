"""A real nbgrader round for the tests: generate an assignment in a temporary course,
submit notebooks for several students, autograde them all, read the gradebook.

Used by the notebooks' grading tests; nothing here is mocked: the nbgrader commands run
as an instructor would run them, the kernels execute the whole notebooks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _env() -> dict:
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")  # alembic
    return env


def nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def generate(course: Path, assignment: str) -> Path:
    """Copy the course's configuration and the assignment's source into ``course`` and
    generate the student version there; returns the release folder."""
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source_notebooks" / assignment, course / "source_notebooks" / assignment,
                    ignore=shutil.ignore_patterns("output_figures", ".ipynb_checkpoints"))
    nbgrader(course, "generate_assignment", assignment, "--force")
    return course / "release" / assignment


def answered(release_notebook: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The student version with the graded cells ``{grade_id: source}`` filled in."""
    nb = nbformat.read(release_notebook, as_version=4)
    for grade_id, source in answers.items():
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = source.strip("\n")
    return nb


def autograde(course: Path, assignment: str, notebook: str,
              submissions: dict[str, nbformat.NotebookNode]) -> dict[str, dict[str, tuple]]:
    """Submit ``{student: notebook}``, autograde, and return each student's automatic
    grades ``{grade cell: (score, max score)}``."""
    for student, nb in submissions.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / notebook)
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")
    nbgrader(course, "autograde", assignment, "--force")

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gradebook:
        for student in submissions:
            graded = gradebook.find_submission_notebook(Path(notebook).stem, assignment, student)
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in graded.grades
                               if g.cell.cell_type == "code"}
    return scores


def lost(grades: dict[str, tuple]) -> set[str]:
    """The grade cells that did not get their full points."""
    return {name for name, (got, top) in grades.items() if got != top}


def release_is_fresh(fresh_notebook: Path, assignment: str) -> None:
    """The committed ``release/`` equals the one nbgrader just generated, holds no
    solution, hidden test or output."""
    fresh = nbformat.read(fresh_notebook, as_version=4)
    committed = nbformat.read(ROOT / "release" / assignment / fresh_notebook.name, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], \
        f"release/{assignment} is stale: run `nbgrader generate_assignment {assignment} --force` and commit it"
    text = "".join(c.source for c in fresh.cells)
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    assert not any(c.get("outputs") for c in fresh.cells if c.cell_type == "code")
