"""Seconds per submission and the speed-up of ``course autograde --jobs N`` (issue 6).

Run from the repository root::

    XAI_COURSE_WEIGHTS=random python -m benchmarks.autograde [--assignment nbj1]
                                                              [--copies 2] [--jobs 1 2]

Builds the simulated class of ``course demo`` (``--copies`` times over, the broken
notebook left out so that every submission really runs), collects it, then grades the
same submissions with each ``--jobs`` value in turn (``--force``), in one run, and
prints a table: wall time, seconds per submission, speed-up over the first value, and
whether every run gave the same grades.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")

from course import submissions  # noqa: E402
from course.autograde import autograde  # noqa: E402
from course.core import COURSE_ID, Course, run_nbgrader  # noqa: E402
from course.release import copy_course, release  # noqa: E402
from course.reports import grade_sheet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def build_class(scratch: Path, assignment: str, copies: int) -> Course:
    course = copy_course(Course(ROOT), scratch / "course", [assignment])
    release(course, [assignment])
    exchange = f"--Exchange.root={scratch / 'exchange'}"
    (scratch / "exchange").mkdir()
    course.nbgrader("release_assignment", assignment, exchange, "--force")
    source = next((course.source / assignment).glob("*.ipynb"))
    students = [s for s in submissions.CLASSES[assignment](source) if not s.broken]
    for copy in range(copies):
        for student in students:
            name = f"{student.name}{copy}"
            home = scratch / "students" / name
            home.mkdir(parents=True)
            run_nbgrader(["fetch_assignment", assignment, f"--course={COURSE_ID}", exchange], cwd=home)
            fetched = home / assignment / source.name
            fetched.write_bytes(submissions.build(student, fetched, source))
            run_nbgrader(["submit", assignment, f"--course={COURSE_ID}", f"--student={name}", exchange],
                         cwd=home)
    course.nbgrader("collect", assignment, exchange)
    return course


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", default="nbj1", choices=sorted(submissions.CLASSES))
    parser.add_argument("--copies", type=int, default=2, help="copies of the demo class (default 2)")
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as scratch:
        course = build_class(Path(scratch), args.assignment, args.copies)
        n = len(course.students(args.assignment))
        rows, sheets = [], []
        for jobs in args.jobs:
            start = time.perf_counter()
            results = autograde(course, args.assignment, jobs=jobs, force=True, progress=False)
            wall = time.perf_counter() - start
            worker = sorted(r.seconds for r in results)[len(results) // 2]
            rows.append((jobs, wall, wall / n, worker))
            sheets.append({r["student"]: r["scores"] for r in grade_sheet(course, args.assignment).rows})
            print(f"--jobs {jobs}: {wall:.1f} s for {n} submissions", flush=True)
    base = rows[0][1]
    same = all(s == sheets[0] for s in sheets)
    print(f"\n## autograde: {args.assignment}, {n} submissions, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, weights={os.environ['XAI_COURSE_WEIGHTS']}\n")
    print("| --jobs | wall (s) | s per submission (wall / n) | median s in a worker | speed-up |")
    print("|---:|---:|---:|---:|---:|")
    for jobs, wall, per, worker in rows:
        print(f"| {jobs} | {wall:.1f} | {per:.1f} | {worker:.1f} | {base / wall:.2f}× |")
    print(f"\nsame grades with every --jobs: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
