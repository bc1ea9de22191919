"""``course autograde``: every submission graded by nbgrader, N at a time, resumable.

nbgrader grades one submission after the other, in one process, with no progress bar
(jupyter/nbgrader#174, #1456), and one student whose notebook kills the kernel or is
not valid JSON stops nothing but leaves a hole in the gradebook. Here:

* Each submission is a self-contained **task** (the configuration, the assignment's
  source files, the student's files and a snapshot of the gradebook, all as bytes),
  graded by ``grade_task`` in a scratch course with the real ``nbgrader autograde``.
  The result is plain data (scores, comments, flags, the autograded files).
* Tasks run on a ``concurrent.futures.Executor``: a local process pool by default. This
  is the seam for a class that outgrows one machine: any executor with the same
  interface runs them unchanged — ``dask.distributed.Client(...).get_executor()``, or
  ``ray.util.multiprocessing.Pool`` behind a ``concurrent.futures`` adapter — since a
  task needs no shared file system and its result is picklable.
* Only this process writes the gradebook and ``autograded/``: one result at a time, as
  it arrives, so nothing is lost or written twice, and an interrupted run resumes
  where it stopped (a submission whose autograded copy matches its timestamp is
  skipped unless ``force``).
* A submission nbgrader cannot grade (kernel death, ``os._exit``, invalid notebook, a
  kernel that cannot be interrupted) gets 0 on its cells, is flagged in the gradebook
  and explained in ``autograded/<student>/<assignment>/AUTOGRADE_FAILED.txt``.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
import time
import warnings
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from .core import COURSE_ID, Course, CourseError, is_automatic, run_nbgrader, tail

FAILED = "AUTOGRADE_FAILED.txt"


@dataclass
class Task:
    """Everything needed to grade one submission, as plain data."""

    assignment: str
    student: str
    config: bytes                 # nbgrader_config.py
    source: dict[str, bytes]      # source_notebooks/<assignment>/..., relative paths
    submission: dict[str, bytes]  # submitted/<student>/<assignment>/...
    gradebook: bytes              # the gradebook, holding the assignment's definition
    timeout: int | None = None    # seconds per cell (Execute.timeout)
    threads: int = 1              # CPU threads for the student's kernel


@dataclass
class Result:
    """What ``grade_task`` found: enough to update the gradebook and write the files."""

    assignment: str
    student: str
    ok: bool
    seconds: float
    timestamp: str | None = None
    notebooks: dict[str, dict] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    reason: str = ""

    @property
    def summary(self) -> str:
        """One line saying why grading failed (the most specific exception seen)."""
        lines = [line.strip() for line in self.reason.splitlines() if line.strip()]
        specific = [line for line in lines if re.match(r"^[\w.]*(Error|Exception|Exit)\b:?", line)]
        return (specific or lines or [""])[-1][:200]

    def score(self) -> tuple[float, float]:
        got = top = 0.0
        for nb in self.notebooks.values():
            for grade in nb["grades"].values():
                if grade["auto_score"] is not None:
                    got += grade["auto_score"]
                top += grade["max_score"] if grade["auto"] else 0.0
        return got, top


SKIPPED = {"output_figures", ".ipynb_checkpoints", "__pycache__"}


def _files(folder: Path) -> dict[str, bytes]:
    """``{relative path: bytes}`` of the files under ``folder``."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and not SKIPPED & set(rel.parts):
            out[str(rel)] = path.read_bytes()
    return out


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def make_task(course: Course, assignment: str, student: str, gradebook: bytes,
              timeout: int | None, threads: int) -> Task:
    return Task(
        assignment=assignment, student=student,
        config=(course.root / "nbgrader_config.py").read_bytes(),
        source=_files(course.source / assignment),
        submission=_files(course.submitted / student / assignment),
        gradebook=gradebook, timeout=timeout, threads=threads,
    )


def grade_task(task: Task) -> Result:
    """Grade one submission with ``nbgrader autograde`` in a scratch course.

    Runs anywhere Python, nbgrader and the course's kernel dependencies are installed
    (a process-pool worker here; a Dask or Ray worker for a larger class). Never
    raises: whatever the submission does, the result says what happened.
    """
    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix=f"autograde-{task.student}-") as scratch:
            result = _grade_in(Path(scratch), task)
    except Exception as err:  # noqa: BLE001 - one submission must not stop the class
        result = Result(task.assignment, task.student, ok=False, seconds=0.0,
                        reason=f"{type(err).__name__}: {err}")
    result.seconds = time.perf_counter() - start
    return result


def _grade_in(root: Path, task: Task) -> Result:
    (root / "nbgrader_config.py").write_bytes(task.config)
    (root / "gradebook.db").write_bytes(task.gradebook)
    _write(root / "source_notebooks" / task.assignment, task.source)
    _write(root / "submitted" / task.student / task.assignment, task.submission)
    args = ["autograde", task.assignment, "--student", task.student, "--force",
            f"--CourseDirectory.root={root}",
            f"--CourseDirectory.db_url=sqlite:///{root / 'gradebook.db'}"]
    if task.timeout:
        args.append(f"--Execute.timeout={int(task.timeout)}")
    threads = str(max(1, task.threads))
    env = {"OMP_NUM_THREADS": threads, "TF_NUM_INTRAOP_THREADS": threads,
           "TF_NUM_INTEROP_THREADS": "1", "NBGRADER_EXECUTION": "autograde"}
    done = run_nbgrader(args, cwd=root, check=False, env=env, own_session=True)
    result = _read_result(root, task)
    graded = root / "autograded" / task.student / task.assignment
    if done.returncode == 0 and graded.is_dir():
        result.files = _files(graded)
    else:
        result.ok = False
        result.reason = _reason(done.stdout + done.stderr)
    return result


def _reason(log: str) -> str:
    lines = [line for line in log.splitlines()
             if any(k in line for k in ("Error", "error", "Dead", "died", "Timeout", "Unreadable",
                                        "not valid", "Exception", "unresponsive"))]
    return tail("\n".join(lines) if lines else log, 12)


def _read_result(root: Path, task: Task) -> Result:
    from nbgrader.api import Gradebook, MissingEntry

    result = Result(task.assignment, task.student, ok=True, seconds=0.0)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}", COURSE_ID) as gradebook:
        assignment = gradebook.find_assignment(task.assignment)
        try:
            submission = gradebook.find_submission(task.assignment, task.student)
            result.timestamp = submission.timestamp.isoformat() if submission.timestamp else None
        except MissingEntry:
            submission = None
        for notebook in assignment.notebooks:
            grades, comments, flagged, penalty = {}, {}, False, None
            if submission is not None:
                graded = gradebook.find_submission_notebook(notebook.name, task.assignment, task.student)
                flagged, penalty = graded.flagged, graded.late_submission_penalty
                for grade in graded.grades:
                    grades[grade.name] = _grade(grade.cell, grade.auto_score, grade.needs_manual_grade)
                comments = {c.name: c.auto_comment for c in graded.comments}
            else:  # nbgrader stopped before it created the submission
                for cell in notebook.grade_cells:
                    grades[cell.name] = _grade(cell, None, True)
            result.notebooks[notebook.name] = {"grades": grades, "comments": comments,
                                               "flagged": flagged, "late_penalty": penalty}
    return result


def _grade(cell, auto_score, needs_manual) -> dict:
    return {"auto_score": auto_score, "needs_manual_grade": bool(needs_manual),
            "max_score": float(cell.max_score), "auto": is_automatic(cell)}


# ----------------------------------------------------------------------- the gradebook side
def record(course: Course, result: Result) -> None:
    """Write one result into the course's gradebook and ``autograded/`` (this process
    only). A failed submission gets 0 on every cell, is flagged, and says why."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SAWarning

    with warnings.catch_warnings(), Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        # nbgrader's own session handling warns when a submission is created; harmless
        warnings.simplefilter("ignore", SAWarning)
        gradebook.update_or_create_student(result.student)
        kwargs = {"timestamp": result.timestamp} if result.timestamp else {}
        submission = gradebook.update_or_create_submission(result.assignment, result.student, **kwargs)
        for graded in submission.notebooks:
            data = result.notebooks.get(graded.notebook.name)
            for grade in graded.grades:
                found = data["grades"].get(grade.name) if data else None
                if not result.ok or data is None:
                    grade.auto_score, grade.needs_manual_grade = 0.0, False
                elif found is not None:
                    grade.auto_score = found["auto_score"]
                    grade.needs_manual_grade = found["needs_manual_grade"]
            if data:
                for comment in graded.comments:
                    if comment.name in data["comments"]:
                        comment.auto_comment = data["comments"][comment.name]
                if data["late_penalty"] is not None:
                    graded.late_submission_penalty = data["late_penalty"]
            graded.flagged = bool(data and data["flagged"]) or not result.ok
        gradebook.db.commit()
    # the files last, swapped in at once: a crash before this line re-grades on resume
    final = course.autograded / result.student / result.assignment
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=course.autograded))
    try:
        if result.ok:
            _write(staging, result.files)
        else:  # the files as handed in, aside (nbgrader's feedback must not read them)
            submitted = course.submitted / result.student / result.assignment
            _write(staging / "as_submitted", _files(submitted))
            if (submitted / "timestamp.txt").is_file():
                shutil.copy(submitted / "timestamp.txt", staging / "timestamp.txt")
            (staging / FAILED).write_text(
                f"nbgrader could not grade this submission; it gets 0 and is flagged.\n\n"
                f"{result.reason}\n", "utf-8")
        if final.exists():
            shutil.rmtree(final)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def already_graded(course: Course, assignment: str, student: str) -> bool:
    """Whether ``autograded/`` holds this very submission (same timestamp), graded."""
    graded = course.autograded / student / assignment
    stamp = course.submitted / student / assignment / "timestamp.txt"
    if not graded.is_dir():
        return False
    copy = graded / "timestamp.txt"
    if stamp.is_file() != copy.is_file():
        return False
    if stamp.is_file() and stamp.read_bytes() != copy.read_bytes():
        return False  # submitted again since: grade the new one
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
        try:
            gradebook.find_submission(assignment, student)
        except MissingEntry:
            return False
    return True


def _prepare_gradebook(course: Course, assignment: str) -> bytes:
    """The gradebook must know the assignment (nbgrader ``generate_assignment`` writes
    it); regenerate it when missing. Returns a snapshot for the tasks."""
    from nbgrader.api import Gradebook, MissingEntry

    db = course.root / "gradebook.db"
    known = False
    if db.exists():
        with Gradebook(course.gradebook_url, COURSE_ID) as gradebook:
            try:
                gradebook.find_assignment(assignment)
                known = True
            except MissingEntry:
                pass
    if not known:
        course.nbgrader("generate_assignment", assignment, "--force")
    return db.read_bytes()


def autograde(course: Course, assignment: str, *, jobs: int = 1, force: bool = False,
              timeout: int | None = None, students: list[str] | None = None,
              executor: Executor | None = None, progress: bool = True) -> list[Result]:
    """Grade every collected submission of ``assignment``; returns the new results.

    Args:
        jobs: submissions graded at once (worker processes of the default executor).
        force: re-grade submissions already graded.
        timeout: seconds per cell before the kernel is interrupted (default: the
            configuration's ``Execute.timeout``).
        students: only these students (default: every collected submission).
        executor: where tasks run (default: a local process pool of ``jobs`` workers).
    """
    course.check_assignment(assignment)
    if jobs < 1:
        raise CourseError(f"--jobs must be at least 1, not {jobs}.")
    everyone = course.students(assignment)
    if students:
        unknown = sorted(set(students) - set(everyone))
        if unknown:
            raise CourseError(f"No collected submission of {assignment} for {', '.join(unknown)}: "
                              "run `nbgrader collect` first (submitted/<student>/<assignment>/).")
    todo = [s for s in (students or everyone)
            if force or not already_graded(course, assignment, s)]
    if not everyone:
        raise CourseError(f"No submission of {assignment} in {course.submitted}: collect them first.")
    if not todo:
        return []
    course.autograded.mkdir(exist_ok=True)
    gradebook = _prepare_gradebook(course, assignment)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    tasks = [make_task(course, assignment, s, gradebook, timeout, threads) for s in todo]
    own = executor is None
    if own:
        executor = ProcessPoolExecutor(max_workers=jobs, initializer=_ignore_ctrl_c,
                                       mp_context=multiprocessing.get_context("spawn"))
    results = []
    bar = tqdm(total=len(tasks), desc=f"autograde {assignment}", unit="submission",
               disable=not progress)

    def keep(result: Result) -> None:
        record(course, result)
        results.append(result)
        got, top = result.score()
        bar.set_postfix_str(f"{result.student}: {got:g}/{top:g}" + ("" if result.ok else " FAILED"))
        bar.update()

    # never more than `jobs` tasks handed out: on Ctrl-C nothing queued is left to run
    waiting = list(reversed(tasks))
    running: set = set()
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                running.add(executor.submit(grade_task, waiting.pop()))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                keep(future.result())
    except KeyboardInterrupt:
        # Ctrl-C: nothing new starts; what is being graded is finished and kept (a
        # second Ctrl-C abandons it). The next run resumes with the rest.
        print(f"\ninterrupted: finishing the {len(running)} submission(s) being graded "
              "(Ctrl-C again to abandon them)", file=sys.stderr, flush=True)
        try:
            for future in running:
                keep(future.result())
        except KeyboardInterrupt:
            pass
        raise
    finally:
        bar.close()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    return sorted(results, key=lambda r: r.student)


def _ignore_ctrl_c() -> None:
    """Workers leave Ctrl-C to the instructor's process, which decides what stops."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
