"""Where one submission's grading time goes, and what the course's two cuts save.

Run from the repository root::

    XAI_COURSE_WEIGHTS=random python -m benchmarks.grading_profile [--assignment nbj1 tp_vgg16]
                                                                    [--repeat 1]

Builds ``course demo``'s class of each practical (its broken notebook left out), then
grades each submission **one at a time** (``grade_task``, the function a worker of
``course autograde`` runs, in the bubblewrap sandbox) three times: as nbgrader would by
default, every cell re-run (``--SkipDemonstrations.enabled=False``) by a ``python -m
nbgrader`` started afresh; the cells tagged ``demonstration`` skipped
(``course.demonstrations``), nbgrader still started afresh; and as the course grades,
demonstrations skipped and nbgrader forked from a server that imported it once
(``course.forkserver``; started before the timings, as a worker starts it once). For each
mode it prints the median seconds of:

* the whole task (what ``course autograde`` reports per submission);
* the ``nbgrader autograde`` process, split into the kernel's cells (from nbclient's
  execution timestamps: the imports cell, which pays the kernel's TensorFlow import; the
  demonstrations; the student's graded cells and the test cells) and the rest (process
  start, nbgrader's import and its passes, kernel start and shutdown, writing the gradebook);
* the independent correction's probe (a fresh sandboxed interpreter: imports, the
  graded cells, the calls), which runs at the same time as nbgrader;
* everything else in the task (scratch course, reading the gradebook, judging, keys):
  the task's time minus the longer of the two.

and whether every mode gave every student the same grades. The course's reference
records are computed once per process, before the timings (as a worker does once).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")

from course import autograde as ag  # noqa: E402
from course import forkserver, sandbox, submissions, verify  # noqa: E402
from course.core import Course  # noqa: E402
from course.demonstrations import NOTE, TAG  # noqa: E402
from course.release import copy_course, release  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RERUN_ALL = b"\nc.SkipDemonstrations.enabled = False\nc.KeepDemonstrationOutputs.enabled = False\n"


def build_class(scratch: Path, assignment: str) -> tuple[Course, list[str]]:
    """The demo class of ``assignment`` in ``scratch``, submitted and collected."""
    course = copy_course(Course(ROOT), scratch / "course", [assignment])
    release(course, [assignment])
    source = next((course.source / assignment).glob("*.ipynb"))
    handed_out = course.root / "release" / assignment / source.name
    names = []
    for student in submissions.CLASSES[assignment](source):
        if student.broken:
            continue
        folder = course.submitted / student.name / assignment
        folder.mkdir(parents=True)
        (folder / source.name).write_bytes(submissions.build(student, handed_out, source))
        (folder / "timestamp.txt").write_text("2026-11-30 10:00:00.000000 UTC")
        names.append(student.name)
    return course, names


def _cells(result: ag.Result, source: dict) -> dict[str, float]:
    """Seconds in the kernel per kind of cell, from nbclient's execution timestamps."""
    demos = {c["metadata"].get("nbgrader", {}).get("grade_id") for c in source["cells"]
             if TAG in c["metadata"].get("tags", [])}
    name = next(n for n in result.files if n.endswith(".ipynb") and "/" not in n)
    out = {"imports": 0.0, "demonstrations": 0.0, "graded and tests": 0.0}
    for cell in json.loads(result.files[name])["cells"]:
        if cell.get("cell_type") != "code":
            continue
        texts = "".join("".join(o.get("text", "")) for o in cell.get("outputs", []))
        timing = cell.get("metadata", {}).get("execution", {})
        if NOTE in texts or "shell.execute_reply" not in timing:
            continue  # not run now (its timestamps, if any, are the student's)
        seconds = (datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
                   - datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))).total_seconds()
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        kind = ("imports" if grade_id in ("installation", "imports") else
                "demonstrations" if grade_id in demos else "graded and tests")
        out[kind] += seconds
    return out


# the three ways of grading compared: (demonstrations skipped, nbgrader forked)
MODES = {"every cell re-run, nbgrader started afresh": (False, False),
         "demonstrations skipped, nbgrader started afresh": (True, False),
         "demonstrations skipped, nbgrader forked (the course)": (True, True)}


def profile(course: Course, assignment: str, students: list[str], skip: bool,
            fork: bool) -> tuple[list[dict], dict]:
    """Grade each student once; per-phase seconds and the grades."""
    gradebook = ag._prepare_gradebook(course, assignment)
    source = json.loads(next((course.source / assignment).glob("*.ipynb")).read_text("utf-8"))
    rows, grades = [], {}
    clock: dict[str, float] = {}
    watched = sandbox.run_watched

    def timed(argv, *args, **kwargs):
        if not fork:
            kwargs["preload"] = ()  # `python -m nbgrader` started afresh, as before the fork server
        start = time.perf_counter()
        try:
            return watched(argv, *args, **kwargs)
        finally:  # the probe runs alongside nbgrader, in another thread
            clock["probe" if "course.probe" in argv else "nbgrader"] = time.perf_counter() - start

    sandbox.run_watched = timed
    try:
        for student in students:
            task = ag.make_task(course, assignment, student, gradebook, None, os.cpu_count() or 1)
            if not skip:
                task.config += RERUN_ALL
            clock.clear()
            result = ag.grade_task(task)
            if not result.ok or len(clock) != 2:
                raise SystemExit(f"{student}: not graded ({result.summary})")
            cells = _cells(result, source)
            nbgrader, probe = clock["nbgrader"], clock["probe"]
            rows.append({"task": result.seconds, "nbgrader autograde": nbgrader, **cells,
                         "nbgrader's own": nbgrader - sum(cells.values()), "probe (alongside nbgrader)": probe,
                         "rest of the task": result.seconds - max(nbgrader, probe)})
            grades[student] = {g: d["auto_score"] for nb in result.notebooks.values()
                               for g, d in nb["grades"].items()}
            print(f"  {student:<10} {'skipped' if skip else 're-run '} {'forked' if fork else 'afresh'} "
                  f"{result.seconds:6.1f} s", flush=True)
    finally:
        sandbox.run_watched = watched
    return rows, grades


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", nargs="+", default=["nbj1", "tp_vgg16"], choices=sorted(submissions.CLASSES))
    parser.add_argument("--repeat", type=int, default=1, help="grade the class this many times per mode")
    args = parser.parse_args(argv)
    same_everywhere = True
    for assignment in args.assignment:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as scratch:
            course, students = build_class(Path(scratch), assignment)
            checks = ag.checks_file(course, assignment).read_bytes()
            verify.references(verify.load_checks(checks, assignment), checks)  # once per process
            forkserver.warm(ag.NBGRADER_MODULES)  # once per worker
            table: dict[str, list[dict]] = {mode: [] for mode in MODES}
            grades: dict[str, dict] = {}
            for _ in range(args.repeat):
                for mode, (skip, fork) in MODES.items():  # interleaved: the machine's load hits every mode
                    rows, grades[mode] = profile(course, assignment, students, skip, fork)
                    table[mode] += rows
        last = list(MODES)[-1]
        same = all(g == grades[last] for g in grades.values())
        same_everywhere &= same
        phases = list(table[last][0])
        print(f"\n## Grading one {assignment} submission: median seconds over {len(table[last])} gradings "
              f"({len(students)} submissions × {args.repeat}), one at a time, "
              f"{platform.machine()}, {os.cpu_count()} cores\n")
        print("| phase | " + " | ".join(f"{mode} (s)" for mode in MODES) + " | ratio, first / last |")
        print("|---|" + "---:|" * (len(MODES) + 1))
        for phase in phases:
            medians = [statistics.median(r[phase] for r in table[mode]) for mode in MODES]
            ratio = f"{medians[0] / medians[-1]:.2f}×" if medians[-1] > 0.05 else "—"
            print(f"| {phase} | " + " | ".join(f"{m:.1f}" for m in medians) + f" | {ratio} |")
        print(f"\nsame grades in every mode: {'yes' if same else 'NO'}")
    return 0 if same_everywhere else 1


if __name__ == "__main__":
    raise SystemExit(main())
