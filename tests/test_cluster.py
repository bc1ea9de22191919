"""``course autograde --cluster`` on a real Dask ``LocalCluster`` (two worker processes):
the local pool's grades, resume after Ctrl-C, a worker killed mid-task (a retry, not a
lost or doubled grade), the sandbox checked on every worker, and clean errors. The
small course of ``test_course`` keeps it cheap (a few seconds per submission).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from test_course import CLASS, EXPECTED, hand_in, make_course

import course.autograde as autograde_module
from course import sandbox
from course.__main__ import main
from course.autograde import autograde
from course.cluster import _threads_per_task, connect
from course.core import CourseError
from course.reports import grade_sheet

pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")  # a dependency of distributed
pytestmark = pytest.mark.slow

SMALL = ["right", "wrong", "patches_the_reference"]


@pytest.fixture(scope="module")
def cluster():
    with connect("local:2") as engine:
        yield engine


@pytest.fixture(scope="module")
def small_class(tmp_path_factory):
    """Three collected submissions of the small course (each test grades with force)."""
    course = make_course(tmp_path_factory.mktemp("class"))
    hand_in(course, {name: CLASS[name] for name in SMALL})
    return course


def scores(course) -> dict:
    return {row["student"]: row["scores"] for row in grade_sheet(course, "mini").rows}


def automatic(course) -> dict[str, float]:
    return {row["student"]: row["auto"] for row in grade_sheet(course, "mini").rows}


def test_the_cluster_gives_the_local_pools_grades_and_resumes(cluster, small_class):
    course = small_class
    autograde(course, "mini", jobs=2, force=True, timeout=15, progress=False)
    pool = scores(course)
    with connect(cluster.client.scheduler.address) as remote:  # a running scheduler, by its address
        assert remote.threads == 2
        again = autograde(course, "mini", cluster=remote, force=True, timeout=15, progress=False)
        assert sorted(r.student for r in again) == sorted(SMALL)
        assert scores(course) == pool
        assert automatic(course) == {name: EXPECTED[name] for name in SMALL}
        assert autograde(course, "mini", cluster=remote, progress=False) == []  # all graded: resumes at the end


def test_a_worker_killed_mid_task_costs_a_retry(cluster, small_class, monkeypatch):
    """SIGKILL to a worker process while it runs nbgrader (then to what it started, as
    when a node is lost): Dask gives the task to a worker again; every submission is
    recorded exactly once, with its grade."""
    course = small_class
    recorded = Counter()
    record = autograde_module.record
    monkeypatch.setattr(autograde_module, "record",
                        lambda c, result: (recorded.update([result.student]), record(c, result)))
    workers = cluster.client.run(os.getpid)
    killed = []

    def kill_a_worker_while_it_grades() -> None:
        deadline = time.time() + 120
        while time.time() < deadline:
            for pid in workers.values():
                try:
                    worker = psutil.Process(pid)
                    tree = worker.children(recursive=True)
                    # the student's kernel runs: nbgrader is grading (forked, its command
                    # line is its fork server's, `course.forkserver`)
                    if any("ipykernel_launcher" in " ".join(p.cmdline()) for p in tree):
                        worker.kill()  # first the worker: it must not report its task as failed
                        for process in tree:
                            process.kill()
                        killed.append(pid)
                        return
                except psutil.Error:
                    continue
            time.sleep(0.2)

    killer = threading.Thread(target=kill_a_worker_while_it_grades)
    killer.start()
    results = autograde(course, "mini", cluster=cluster, force=True, timeout=15, progress=False)
    killer.join()
    assert killed, "no worker was caught grading"
    assert sorted(r.student for r in results) == sorted(SMALL)
    assert recorded == Counter(SMALL)
    assert automatic(course) == {name: EXPECTED[name] for name in SMALL}
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny restarts the killed worker


def test_ctrl_c_finishes_what_the_workers_grade_then_resumes(cluster, tmp_path, interruptible):
    """Ctrl-C in the instructor's terminal reaches the local workers too: they keep
    grading what they hold, it is recorded, and the next run grades the rest. ``--jobs 1``:
    one task handed out at a time although two workers wait."""
    small = {f"s{i}": CLASS["right" if i % 2 else "wrong"] for i in range(4)}
    course = make_course(tmp_path)
    hand_in(course, small)
    env = dict(os.environ, PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
    run = subprocess.Popen([sys.executable, "-m", "course", "--root", str(course.root), "autograde",
                            "mini", "--cluster", "local:2", "--jobs", "1"], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.time() + 300
    while time.time() < deadline and not any(course.autograded.glob("s*/mini/mini.ipynb")):
        time.sleep(0.3)
    os.killpg(run.pid, signal.SIGINT)  # the whole terminal: caller and workers
    _, err = run.communicate(timeout=180)
    assert run.returncode == 130 and "Traceback" not in err, err[-3000:]
    in_flight = int(err.split("finishing the ")[1].split()[0])
    done_first = {p.parent.name for p in course.autograded.glob("s*/mini")}
    assert in_flight == 1 and len(done_first) >= 2  # the one being graded was kept
    assert len(done_first) < len(small)
    second = autograde(course, "mini", cluster=cluster, progress=False)
    assert {r.student for r in second} == set(small) - done_first
    assert automatic(course) == {f"s{i}": 3.0 if i % 2 else 0.0 for i in range(4)}


def test_a_worker_without_a_working_sandbox_is_refused(cluster, small_class, monkeypatch):
    course = small_class
    monkeypatch.setattr(autograde_module, "grade_task", None)  # nothing may be graded

    def break_it() -> None:  # on each worker (sent by value)
        def broken() -> None:
            raise sandbox.SandboxUnavailable("bubblewrap (bwrap) is not installed: test.")

        sandbox.working_check, sandbox.check = sandbox.check, broken

    def mend_it() -> None:
        sandbox.check = sandbox.working_check

    cluster.client.run(break_it)
    try:
        with pytest.raises(CourseError, match=r"On Dask worker tcp://.*not installed.*--no-sandbox"):
            autograde(course, "mini", cluster=cluster, force=True, progress=False)
    finally:
        cluster.client.run(mend_it)


def test_kernel_threads_share_a_hosts_cpus_among_its_workers():
    reports = [{"host": "a", "cpus": 8, "nthreads": 1}, {"host": "a", "cpus": 8, "nthreads": 1},
               {"host": "b", "cpus": 16, "nthreads": 4}, {"host": "c", "cpus": 1, "nthreads": 2}]
    assert _threads_per_task(reports) == {"a": 4, "b": 4, "c": 1}


def test_missing_dask_and_unreachable_scheduler_are_explained(small_class, monkeypatch, capsys):
    base = ["--root", str(small_class.root), "autograde", "mini", "--force", "--cluster"]
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "distributed", None)  # as if not installed
        assert main([*base, "local:2"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'xai-course[cluster]'" in err and "Traceback" not in err
    assert main([*base, "local:two"]) == 2
    err = capsys.readouterr().err
    assert "local:N" in err and "Traceback" not in err
    with pytest.raises(CourseError, match="No Dask scheduler answers at tcp://127.0.0.1:9"):
        connect("tcp://127.0.0.1:9", timeout=2)  # the command line waits 10 s
