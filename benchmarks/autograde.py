"""The local pool against a Dask cluster, per practical (issue 6, issue 14).

Run from the repository root (the full run, ≥ 20 submissions per practical)::

    XAI_COURSE_WEIGHTS=random python -m benchmarks.autograde --assignment nbj1 tp_vgg16 \\
        --copies 4 --jobs 2 --cluster local:2

For each assignment, builds the simulated class of ``course demo`` (``--copies`` times
over, the broken notebook left out so that every submission really runs), collects it,
then grades the same submissions with each engine in turn (``--force``): the local
pool for each ``--jobs`` value, then each ``--cluster`` (``local:N`` started here, or a
scheduler address; Dask needed: ``pip install 'xai-course[cluster]'``). Prints a table
per assignment: wall time, seconds per submission, median seconds in a worker,
speed-up over the first engine, peak memory per worker, whether every engine gave the
same grades, and a projection for 300 students.

Peak memory per worker: the largest resident memory (RSS) reached by one worker's
process tree (the worker, the nbgrader it starts, the sandboxed kernel and the
independent check), summed over the tree and sampled every 0.25 s, so pages shared by
several processes count once per process. Only workers on this machine are measured.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Callable

os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")

from course import submissions  # noqa: E402
from course.autograde import autograde  # noqa: E402
from course.core import COURSE_ID, Course, run_nbgrader  # noqa: E402
from course.release import copy_course, release  # noqa: E402
from course.reports import grade_sheet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = 300  # the projection


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


class PeakMemory:
    """Samples, in a thread, the RSS of each child process tree of this process (a pool
    worker, a ``local:N`` worker) for which ``keep(pid)``, and keeps each tree's peak,
    in bytes."""

    def __init__(self, keep: Callable[[int], bool], every: float = 0.25) -> None:
        self.keep = keep
        self.every = every
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            for pid, rss in _trees().items():
                if self.keep(pid):
                    self.peaks[pid] = max(rss, self.peaks.get(pid, 0))

    def worker_peak(self) -> int | None:
        """The largest peak of one worker's tree (None: no worker on this machine)."""
        return max(self.peaks.values(), default=None)


def _trees() -> dict[int, int]:
    """``{child pid: RSS of the child and its descendants}`` (psutil, else /proc)."""
    try:
        import psutil
    except ImportError:
        return _trees_proc()
    out = {}
    for child in psutil.Process().children():
        try:
            if "resource_tracker" in " ".join(child.cmdline()):
                continue
            total = child.memory_info().rss
            for process in child.children(recursive=True):
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            out[child.pid] = total
        except psutil.Error:
            pass
    return out


def _trees_proc() -> dict[int, int]:
    parent, rss, cmd = {}, {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
            cmd[int(entry.name)] = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        parent[int(entry.name)] = int(fields["PPid"])
        rss[int(entry.name)] = int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    out = {}
    for pid in [p for p, pp in parent.items() if pp == os.getpid() and b"resource_tracker" not in cmd[p]]:
        tree, todo = 0, [pid]
        while todo:
            current = todo.pop()
            tree += rss.get(current, 0)
            todo += [p for p, pp in parent.items() if pp == current]
        out[pid] = tree
    return out


def _hours(seconds: float) -> str:
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60):02d}"


def _gib(size: int | None) -> str:
    return "n/a (remote)" if size is None else f"{size / 2**30:.2f} GiB"


def bench(assignment: str, copies: int, engines: list[tuple[str, dict, Callable[[int], bool]]]) -> bool:
    """Grade one simulated class with every engine; print its table. Returns: same grades."""
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as scratch:
        course = build_class(Path(scratch), assignment, copies)
        n = len(course.students(assignment))
        rows, sheets = [], []
        for name, kwargs, workers in engines:
            with PeakMemory(workers) as memory:
                start = time.perf_counter()
                results = autograde(course, assignment, force=True, progress=False, **kwargs)
                wall = time.perf_counter() - start
            worker = statistics.median(r.seconds for r in results)
            rows.append((name, wall, wall / n, worker, memory.worker_peak()))
            sheets.append({r["student"]: r["scores"] for r in grade_sheet(course, assignment).rows})
            print(f"{assignment}, {name}: {wall:.1f} s for {n} submissions", flush=True)
    base = rows[0][1]
    same = all(s == sheets[0] for s in sheets)
    print(f"\n## autograde: {assignment}, {n} submissions, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, weights={os.environ['XAI_COURSE_WEIGHTS']}\n")
    print(f"| engine | wall (s) | s per submission (wall / n) | median s in a worker | speed-up "
          f"| peak memory per worker | {STUDENTS} students |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, wall, per, worker, peak in rows:
        print(f"| {name} | {wall:.1f} | {per:.1f} | {worker:.1f} | {base / wall:.2f}× | {_gib(peak)} "
              f"| {_hours(STUDENTS * per)} |")
    print(f"\nsame grades with every engine: {'yes' if same else 'NO'}")
    work = STUDENTS * statistics.median(row[3] for row in rows)
    print(f"projection, {STUDENTS} students: {_hours(work)} of worker time ({STUDENTS} × the median "
          f"seconds in a worker), so about {_hours(work / 10)} on 10 one-thread workers like these, "
          f"{_hours(work / 30)} on 30 (memory: one such peak per worker thread)\n", flush=True)
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assignment", nargs="+", default=["nbj1"], choices=sorted(submissions.CLASSES))
    parser.add_argument("--copies", type=int, default=2, help="copies of the demo class (default 2)")
    parser.add_argument("--jobs", type=int, nargs="*", default=[2], help="local pool sizes (default 2)")
    parser.add_argument("--cluster", nargs="*", default=["local:2"],
                        help="Dask clusters: local:N or a scheduler address (default local:2)")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        clusters, dask_pids = [], set()
        if args.cluster:
            from course.cluster import connect

            for address in args.cluster:
                start = time.perf_counter()
                cluster = stack.enter_context(connect(address))
                pids = set(cluster.client.run(os.getpid).values())  # measured if they are ours
                dask_pids |= pids
                print(f"--cluster {address}: {cluster.threads} worker threads, ready in "
                      f"{time.perf_counter() - start:.1f} s (not counted below)", flush=True)
                clusters.append((f"--cluster {address}", {"cluster": cluster}, pids.__contains__))
        engines = [(f"--jobs {jobs}", {"jobs": jobs}, lambda pid: pid not in dask_pids) for jobs in args.jobs]
        engines += clusters
        same = [bench(assignment, args.copies, engines) for assignment in args.assignment]
    return 0 if all(same) else 1


if __name__ == "__main__":
    raise SystemExit(main())
