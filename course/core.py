"""The course folder and the nbgrader commands run in it.

A course is a folder holding ``nbgrader_config.py`` (this repository is one): the source
notebooks, the generated release, the students' submissions, the autograded copies,
feedback, and the gradebook (SQLite). Every ``course`` command works on one, found from
the current folder upwards or given with ``--root``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

COURSE_ID = "xai-course"


class CourseError(RuntimeError):
    """A course command that cannot do its job; the message says what to fix."""


@dataclass(frozen=True)
class Course:
    root: Path

    @classmethod
    def find(cls, root: str | os.PathLike | None = None) -> "Course":
        """The course holding ``root`` (default: the current folder), looking upwards
        for ``nbgrader_config.py``."""
        start = Path(root or Path.cwd()).resolve()
        for folder in (start, *start.parents):
            if (folder / "nbgrader_config.py").is_file():
                return cls(folder)
        raise CourseError(
            f"No nbgrader_config.py in {start} or above: run the command from the course "
            "folder (the repository) or pass --root FOLDER."
        )

    # folders, as nbgrader_config.py names them
    @property
    def source(self) -> Path:
        return self.root / "source_notebooks"

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def grades(self) -> Path:
        return self.root / "grades"

    @property
    def gradebook_url(self) -> str:
        return "sqlite:///" + str(self.root / "gradebook.db")

    def assignments(self) -> list[str]:
        """The assignments: folders of ``source_notebooks/`` holding a notebook."""
        if not self.source.is_dir():
            raise CourseError(f"{self.source} does not exist: this course has no source notebooks.")
        return sorted(p.name for p in self.source.iterdir()
                      if p.is_dir() and any(p.glob("*.ipynb")))

    def check_assignment(self, assignment: str) -> str:
        known = self.assignments()
        if assignment not in known:
            raise CourseError(f"Unknown assignment {assignment!r}: this course has {', '.join(known)}.")
        return assignment

    def students(self, assignment: str) -> list[str]:
        """Students with a collected submission of ``assignment``."""
        if not self.submitted.is_dir():
            return []
        return sorted(p.name for p in self.submitted.iterdir() if (p / assignment).is_dir())

    def nbgrader(self, *args: str, check: bool = True, env: dict | None = None,
                 cwd: Path | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run ``nbgrader ARGS`` in the course (its configuration applies)."""
        return run_nbgrader(args, cwd=cwd or self.root, check=check, env=env, timeout=timeout)


def is_automatic(cell) -> bool:
    """Whether nbgrader scores this grade cell by running it (a test cell): a code
    cell that is not also a solution cell (those, like written answers, are graded by hand)."""
    return cell.cell_type == "code" and not any(
        s.name == cell.name for s in cell.notebook.solution_cells)


def nbgrader_env(extra: dict | None = None) -> dict:
    """The environment for nbgrader: this interpreter's scripts first on PATH (nbgrader
    calls ``alembic`` by name) and TensorFlow's C++ logs off."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra or {})
    return env


def run_nbgrader(args, *, cwd: Path, check: bool = True, env: dict | None = None,
                 timeout: float | None = None, own_session: bool = False) -> subprocess.CompletedProcess:
    """``nbgrader ARGS`` in ``cwd``; ``own_session``: out of the terminal's process
    group, so that Ctrl-C reaches the caller only."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=cwd,
                            env=nbgrader_env(env), capture_output=True, text=True, timeout=timeout,
                            start_new_session=own_session)
    if check and result.returncode != 0:
        raise CourseError(f"`nbgrader {' '.join(args)}` failed in {cwd}:\n"
                          + tail(result.stdout + result.stderr))
    return result


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
