"""``course autograde``: every submission graded by nbgrader, N at a time, resumable.

nbgrader grades one submission after the other, in one process, with no progress bar
(jupyter/nbgrader#174, #1456), and one student whose notebook kills the kernel or is
not valid JSON stops nothing but leaves a hole in the gradebook. Here:

* Each submission is a self-contained **task** (the configuration, the assignment's
  source files, the student's files, a snapshot of the gradebook and the assignment's
  independent checks, all as bytes), graded by ``grade_task`` in a scratch course with
  the real ``nbgrader autograde``, whose kernel runs in a bubblewrap sandbox
  (``course.sandbox``); then the graded cells are checked on their own, outside the
  student's kernel (``course.verify``), and those verdicts are the automatic points.
  The result is plain data (scores, comments, flags, verdicts, the autograded files).
  nbgrader is forked from a server that imported it once per worker
  (``course.forkserver``), instead of paying its import for each submission.
* Tasks run on a ``concurrent.futures.Executor``: a local process pool by default, or a
  Dask cluster's workers (``--cluster``, ``course.cluster``) for a class that outgrows
  one machine; a task needs no shared file system and its result is picklable.
* Only this process writes the gradebook and ``autograded/``: one result at a time, as
  it arrives, so nothing is lost or written twice, and an interrupted run resumes
  where it stopped (a submission whose autograded copy matches its timestamp is
  skipped unless ``force``).
* A submission nbgrader cannot grade (kernel death, ``os._exit``, invalid notebook, a
  kernel that cannot be interrupted) gets 0 on its cells, is flagged in the gradebook
  and explained in ``autograded/<student>/<assignment>/AUTOGRADE_FAILED.txt``.
* The autograded notebooks get the source's answer key after each written answer
  (``course.answer_keys``): graders read it in formgrader; ``course feedback`` drops it.
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
from concurrent.futures import (FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor,
                                wait)
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tqdm.auto import tqdm

from . import sandbox
from .core import COURSE_ID, Course, CourseError, is_automatic, tail
from .messages import tr
from .sandbox import Limits

if TYPE_CHECKING:
    from .cluster import Cluster

FAILED = "AUTOGRADE_FAILED.txt"
DEFAULT_CELL_TIMEOUT = 300  # seconds per cell when neither --timeout nor the configuration says
# What `python -m nbgrader autograde` imports: a worker imports it once, in a fork
# server, and forks nbgrader from it for each submission (``course.forkserver``; the
# imports were 2.2 s of every submission)
NBGRADER_MODULES = ("nbgrader.apps", "nbgrader.converters", "nbgrader.preprocessors", "nbclient", "nbconvert",
                    "jupyter_client", "zmq", "sqlalchemy", "alembic", "nbformat",
                    "course.release", "course.answer_keys", "course.demonstrations", "course.execute")


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
    threads: int = 1              # CPU threads for the student's kernel (a Dask worker sets its own)
    checks: bytes | None = None   # grading/<assignment>.py: the independent correction
    isolate: bool = True          # kernel and checks in the bubblewrap sandbox
    limits: Limits = field(default_factory=Limits)
    course_root: str = ""         # the instructor's course folder, hidden in the sandbox


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
    verdicts: list = field(default_factory=list)  # course.verify.Verdict, one per test cell
    flags: list[str] = field(default_factory=list)  # why the notebook is flagged, in French

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


def checks_file(course: Course, assignment: str) -> Path:
    """Where the instructor keeps an assignment's independent checks (``course.verify``)."""
    return course.root / "grading" / f"{assignment}.py"


def make_task(course: Course, assignment: str, student: str, gradebook: bytes,
              timeout: int | None, threads: int, *, isolate: bool = True,
              limits: Limits = Limits()) -> Task:
    """The task grading ``student``'s submission: the course's files read into bytes."""
    checks = checks_file(course, assignment)
    return Task(
        assignment=assignment, student=student,
        config=(course.root / "nbgrader_config.py").read_bytes(),
        source=_files(course.source / assignment),
        submission=_files(course.submitted / student / assignment),
        gradebook=gradebook, timeout=timeout, threads=threads,
        checks=checks.read_bytes() if checks.is_file() else None,
        isolate=isolate, limits=limits, course_root=str(course.root),
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
    """nbgrader in a scratch course, the kernel in the sandbox; then the independent
    correction of the graded functions (``course.verify``), whose verdicts replace the
    in-kernel ones."""
    course = root / "course"
    (course / "source_notebooks" / task.assignment).mkdir(parents=True)
    (course / "nbgrader_config.py").write_bytes(task.config)
    (course / "gradebook.db").write_bytes(task.gradebook)
    _write(course / "source_notebooks" / task.assignment, task.source)
    _write(course / "submitted" / task.student / task.assignment, task.submission)
    notebook_dir = course / "autograded" / task.student / task.assignment
    args = [sys.executable, "-m", "nbgrader", "autograde", task.assignment, "--student", task.student,
            "--force", f"--CourseDirectory.root={course}",
            f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"]
    if task.timeout:
        args.append(f"--Execute.timeout={int(task.timeout)}")
    extra = {}
    if task.isolate:
        kernel = root / "kernel"
        kernel.mkdir()
        sandbox.kernelspec(root / "jupyter", notebook_dir=notebook_dir, runtime=kernel,
                           course_root=Path(task.course_root) if task.course_root else None)
        extra["JUPYTER_PATH"] = str(root / "jupyter")
        args += ["--KernelManager.transport=ipc", f"--KernelManager.ip={kernel / 'ipc'}",
                 f"--KernelManager.connection_file={kernel / 'connection.json'}"]
    # the independent correction needs nothing from nbgrader's run: its probe runs at the
    # same time, in its own sandbox (the submission's wall time is the longer of the two)
    with ThreadPoolExecutor(max_workers=1) as pool:
        correction = pool.submit(_correct, root, task) if task.checks is not None else None
        code, log, killed = sandbox.run_watched(args, limits=task.limits, cwd=course,
                                                env=sandbox.environment(task.threads, extra),
                                                preload=NBGRADER_MODULES)
        result = _read_result(course, task)
        if code == 0 and notebook_dir.is_dir() and not killed:
            result.files = _files(notebook_dir)
        else:
            result.ok = False
            result.reason = killed or _reason(log)
            return result
        if correction is not None:
            _verify(task, result, correction.result())
    _add_answer_keys(task, result)
    return result


def _add_answer_keys(task: Task, result: Result) -> None:
    """Each manually graded answer of the autograded notebooks followed by the source's
    answer key (``course.answer_keys``): formgrader shows it, the feedback drops it."""
    from .answer_keys import insert_keys

    for name, data in task.source.items():
        if name.endswith(".ipynb") and "/" not in name and name in result.files:
            result.files[name] = insert_keys(result.files[name], data)


def _correct(root: Path, task: Task) -> tuple:
    """The independent correction's evidence: the student's graded cells called in a fresh
    sandbox (``verify.run_probe``), and the reference's records on the same calls.
    Returns ``(checks, records, cell errors, failure, reference records)``."""
    import json

    from . import verify

    checks = verify.load_checks(task.checks, task.assignment)
    name = next(n for n in task.source if n.endswith(".ipynb") and "/" not in n)
    notebook = json.loads(task.submission.get(name, b"{}") or b"{}")
    cells = verify.graded_cells(notebook, checks.GRADED)
    prelude = verify.notebook_prelude(json.loads(task.source[name]))  # the source's import cell
    records, cell_errors, failure = verify.run_probe(
        cells, checks, root, course_root=Path(task.course_root) if task.course_root else None,
        limits=task.limits, isolate=task.isolate, threads=task.threads, prelude=prelude,
        case_seconds=float(task.timeout or DEFAULT_CELL_TIMEOUT))
    return checks, records, cell_errors, failure, verify.references(checks, task.checks)


def _verify(task: Task, result: Result, correction: tuple) -> None:
    """The independent correction's verdicts, judged here against the reference, set the
    automatic scores. The notebook is flagged when a test cell's outcome in the student's
    own run (an exception or none: text on stderr is not a failure) differs from its
    visible cases' verdict, or when a graded function did not end in time; each reason
    is kept in ``result.flags``."""
    from . import verify

    checks, records, cell_errors, failure, refs = correction
    name = next(n for n in task.source if n.endswith(".ipynb") and "/" not in n)
    verdicts = verify.judge(checks, records, refs, cell_errors, failure)
    grades = result.notebooks[Path(name).stem]["grades"]
    outcomes = kernel_outcomes(result.files.get(name, b"{}"))
    for verdict in verdicts:
        grade = grades[verdict.cell]
        if verdict.cell in outcomes:
            verdict.kernel_passed, verdict.kernel_error = outcomes[verdict.cell]
        grade["auto_score"] = grade["max_score"] if verdict.passed else 0.0
    result.verdicts = verdicts
    result.flags = [v.flag for v in verdicts if v.flag and not v.timed_out]
    if stopped := [v.cell for v in verdicts if v.timed_out]:
        result.flags.insert(0, tr("a graded function did not finish within the time allowed "
                                  "(cells {cells})", cells=", ".join(stopped)))
    if restarted := outcomes.get(RESTARTED):
        result.flags.insert(0, restarted[1])
    if result.flags:
        result.notebooks[Path(name).stem]["flagged"] = True
    if name in result.files:
        result.files[name] = verify.annotate(result.files[name], verdicts)


RESTARTED = "(noyau redémarré)"


def kernel_outcomes(notebook: bytes) -> dict[str, tuple[bool, str]]:
    """``{test cell: (ended without an exception, the exception's line)}`` in the
    student's own run of the notebook (the autograded copy). Cells run after the kernel
    had to be restarted (``course.execute``) are left out: they ran without the cells
    before them. The restart itself is under ``RESTARTED``, with its reason."""
    import json

    from .execute import KERNEL_RESTARTED

    outcomes: dict[str, tuple[bool, str]] = {}
    for cell in json.loads(notebook or b"{}").get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        restart = [o for o in errors if o.get("ename") == KERNEL_RESTARTED]
        if restart:
            outcomes[RESTARTED] = (False, restart[0].get("evalue", ""))
            break
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and cell["metadata"]["nbgrader"].get("grade") and not cell["metadata"]["nbgrader"].get("solution"):
            line = f"{errors[0].get('ename', '')}: {errors[0].get('evalue', '')}".strip(": ")[:160] if errors else ""
            outcomes[grade_id] = (not errors, line)
    return outcomes


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


def autograde(course: Course, assignment: str, *, jobs: int | None = None, force: bool = False,
              timeout: int | None = None, students: list[str] | None = None,
              executor: Executor | None = None, progress: bool = True, isolate: bool = True,
              limits: Limits = Limits(), cluster: Cluster | None = None) -> list[Result]:
    """Grade every collected submission of ``assignment``; returns the new results.

    Args:
        jobs: submissions graded at once (worker processes of the local pool; with a
            cluster, tasks handed out at once). Default: 1, or the cluster's threads.
        force: re-grade submissions already graded.
        timeout: seconds per cell before the kernel is interrupted (default: the
            configuration's ``Execute.timeout``).
        students: only these students (default: every collected submission).
        executor: where tasks run (default: a local process pool of ``jobs`` workers).
        isolate: run every student's code in the bubblewrap sandbox (``course.sandbox``);
            refused when bubblewrap does not work here. ``False`` only for a trusted class.
        limits: memory and wall-clock caps per submission.
        cluster: grade on this Dask cluster's workers (``course.cluster.connect``),
            each checked first as this machine is (bubblewrap, nbgrader).

    Raises:
        CourseError: nothing to grade, no sandbox, or a task lost by the engine (a Dask
            worker that died too often): those submissions stay ungraded, for a rerun.
    """
    course.check_assignment(assignment)
    if jobs is None:
        jobs = cluster.threads if cluster is not None else 1
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
    try:
        if cluster is not None:
            cluster.check(isolate, NBGRADER_MODULES)  # every worker, as sandbox.check() here
        elif isolate:
            sandbox.check()
            if progress:
                print(f"course autograde: sandbox: {sandbox.describe()}", file=sys.stderr, flush=True)
    except sandbox.SandboxUnavailable as err:
        raise CourseError(f"{err} Students' code would run unconfined (reading the solutions, "
                          "changing other grades); to grade anyway, trusted submissions only: "
                          "--no-sandbox.") from None
    if not isolate:
        print("course autograde: WARNING: --no-sandbox: students' code runs with your rights and can "
              "read the solutions, the gradebook and other students' files.", file=sys.stderr, flush=True)
    if not checks_file(course, assignment).is_file():
        print(f"course autograde: WARNING: no {checks_file(course, assignment).relative_to(course.root)}: "
              "the automatic points are the in-kernel test results, which a student's code can change.",
              file=sys.stderr, flush=True)
    if timeout is None:
        timeout = configured_timeout(course)
    tasks = [make_task(course, assignment, s, gradebook, timeout, threads, isolate=isolate, limits=limits)
             for s in todo]
    own = executor is None
    if cluster is not None and own:
        executor = cluster.executor()
    elif own:
        executor = ProcessPoolExecutor(max_workers=jobs, initializer=_start_worker,
                                       mp_context=multiprocessing.get_context("spawn"))
    results, lost = [], []
    bar = tqdm(total=len(tasks), desc=f"autograde {assignment}", unit="submission",
               disable=not progress)

    def keep(future: Future, task: Task) -> None:
        try:
            result = future.result()
        except Exception as err:  # grade_task never raises: the engine lost the task
            lost.append(f"{task.student} ({type(err).__name__}: {err})")
            return
        record(course, result)
        results.append(result)
        got, top = result.score()
        bar.set_postfix_str(f"{result.student}: {got:g}/{top:g}" + ("" if result.ok else " FAILED"))
        bar.update()

    # never more than `jobs` tasks handed out: on Ctrl-C nothing queued is left to run
    waiting = list(reversed(tasks))
    running: dict[Future, Task] = {}
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                task = waiting.pop()
                running[executor.submit(grade_task, task)] = task
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                keep(future, running.pop(future))
    except KeyboardInterrupt:
        # Ctrl-C: nothing new starts; what is being graded is finished and kept (a
        # second Ctrl-C abandons it). The next run resumes with the rest.
        print(f"\ninterrupted: finishing the {len(running)} submission(s) being graded "
              "(Ctrl-C again to abandon them)", file=sys.stderr, flush=True)
        try:
            for future in list(running):
                keep(future, running.pop(future))
        except KeyboardInterrupt:
            pass
        raise
    finally:
        bar.close()
        if own:
            executor.shutdown(wait=True, cancel_futures=True)
    if lost:
        raise CourseError(f"{len(lost)} submission(s) not graded, their task lost by the engine: "
                          f"{'; '.join(lost)}. The others are recorded; run again to grade these.")
    return sorted(results, key=lambda r: r.student)


def configured_timeout(course: Course) -> int:
    """The course's ``c.Execute.timeout`` (seconds per cell), read from its
    ``nbgrader_config.py`` as nbgrader reads it; ``DEFAULT_CELL_TIMEOUT`` when unset."""
    from traitlets.config.loader import PyFileConfigLoader

    try:
        config = PyFileConfigLoader("nbgrader_config.py", path=str(course.root)).load_config()
        timeout = config.Execute.get("timeout") if "Execute" in config else None
    except Exception:  # noqa: BLE001 - an unreadable configuration is nbgrader's to report
        timeout = None
    return int(timeout) if timeout else DEFAULT_CELL_TIMEOUT


def _start_worker() -> None:
    """Workers leave Ctrl-C to the instructor's process, which decides what stops; each
    starts its nbgrader fork server now, while the first task is being prepared."""
    from . import forkserver

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    forkserver.warm(NBGRADER_MODULES)
