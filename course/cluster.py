"""``course autograde --cluster``: the grading tasks on a ``dask.distributed`` cluster.

``connect("local:N")`` starts a ``LocalCluster`` of N worker processes here (one thread
each); any other address is a running scheduler (``tcp://host:8786``, or the
``scheduler_address`` of a dask-gateway or dask-kubernetes cluster). ``Cluster.check``
asks every worker whether it can grade (nbgrader installed, bubblewrap working) and
``Cluster.executor`` sends the tasks there: ``course.autograde.autograde`` does the rest
(gradebook, resume, Ctrl-C) exactly as with its local pool. A task carries its files as
bytes and its result is plain data, so workers need the course's image but no shared
file system; Dask reschedules the task of a worker that dies, and grading it again
changes nothing. Dask is optional: ``pip install 'xai-course[cluster]'``.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from collections import defaultdict
from concurrent.futures import Executor, Future
from typing import Any, Callable

from . import sandbox
from .core import CourseError

INSTALL = "pip install 'xai-course[cluster]'"


class Cluster:
    """A connection to a Dask cluster (started here for ``local:N``); close it after use.

    Attributes:
        address: what the instructor gave (``local:2``, ``tcp://…``).
        client: the ``distributed.Client``.
    """

    def __init__(self, address: str, client: Any, local: Any = None) -> None:
        self.address = address
        self.client = client
        self._local = local
        self._plan: dict[str, int] | None = None

    @property
    def threads(self) -> int:
        """How many submissions it grades at once (the workers' threads, all together)."""
        return sum(self.client.nthreads().values())

    def check(self, isolate: bool, preload: tuple[str, ...] = ()) -> None:
        """Ask every worker whether it can grade; also plans the kernels' CPU threads.

        Args:
            isolate: whether bubblewrap must work there (the sandbox of each submission).
            preload: what a worker that can grade imports now, in its fork server
                (``course.forkserver``), while the tasks travel.

        Raises:
            CourseError: a worker cannot run the course's code or lacks nbgrader.
            sandbox.SandboxUnavailable: ``isolate`` and bubblewrap fails on a worker.
        """
        try:
            reports = self.client.run(_worker_report, isolate, preload)
        except Exception as err:  # noqa: BLE001 - whatever a worker's import raised
            raise CourseError(f"The Dask workers at {self.address} cannot run the course's code "
                              f"({type(err).__name__}: {err}): they need the course's image (the "
                              "xai-course package, nbgrader, bubblewrap, TensorFlow).") from None
        for worker, report in sorted(reports.items()):
            if report["problem"]:
                raise CourseError(f"Dask worker {worker} cannot grade: {report['problem']}.")
            if report["sandbox"]:
                raise sandbox.SandboxUnavailable(f"On Dask worker {worker}: {report['sandbox']}")
        self._plan = _threads_per_task(reports.values())

    def executor(self) -> Executor:
        """Where ``course.autograde.autograde`` sends its tasks.

        Returns:
            A ``concurrent.futures.Executor`` running ``fn(task)`` on the workers, the
            task's ``threads`` set to the CPUs of the worker's host shared among its
            workers' threads (``dask.system.CPU_COUNT``, which follows cgroup limits,
            e.g. a pod's).
        """
        if self._plan is None:
            self._plan = _threads_per_task(self.client.run(_worker_report, False).values())
        return _DaskExecutor(self.client, self._plan)

    def close(self) -> None:
        """Disconnect; a ``local:N`` cluster is stopped."""
        self.client.close()
        if self._local is not None:
            # a busy machine may take over the nanny's 4 s to stop a worker: it kills it then
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            self._local.close()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(address: str, *, timeout: float = 10.0, wait_for_workers: float = 60.0) -> Cluster:
    """Start ``local:N`` (N worker processes, one thread each) or join a running scheduler.

    Args:
        address: ``local:N`` or a scheduler address such as ``tcp://10.0.0.5:8786``.
        timeout: seconds to reach the scheduler.
        wait_for_workers: seconds to wait for a first worker (an adaptive cluster may
            have none yet).

    Returns:
        The connection; ``close()`` it (or use it in a ``with`` block).

    Raises:
        CourseError: Dask is not installed, the address is wrong or nothing answers
            there, or no worker joins.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CourseError(f"--cluster needs Dask, which is not installed here: {INSTALL}") from None
    if address.startswith("local:"):
        n = address.removeprefix("local:")
        if not n.isdigit() or int(n) < 1:
            raise CourseError(f"--cluster local:N needs a number of workers N >= 1, not {address!r}.")
        local = LocalCluster(n_workers=int(n), threads_per_worker=1, processes=True,
                             dashboard_address=None)
        client = Client(local)
        # Ctrl-C in the instructor's terminal reaches these processes too: they leave it
        # to this process, which finishes what is being graded (course.autograde)
        client.register_plugin(_IgnoreCtrlC(), name="course-ignore-ctrl-c")
        return Cluster(address, client, local)
    if "://" not in address and ":" not in address:
        raise CourseError(f"--cluster: {address!r} is neither local:N nor a scheduler address "
                          "(tcp://host:8786).")
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as err:
        raise CourseError(f"No Dask scheduler answers at {address} ({err}). Is it running, and is "
                          "the address the one it printed (tcp://host:port)?") from None
    try:
        client.wait_for_workers(1, timeout=wait_for_workers)
    except TimeoutError:
        client.close()
        raise CourseError(f"The Dask scheduler at {address} has no worker (waited "
                          f"{wait_for_workers:g} s): start or scale some.") from None
    return Cluster(address, client)


class _DaskExecutor(Executor):
    """``submit(fn, task)`` runs ``fn(task)`` on a worker, ``task.threads`` set there."""

    def __init__(self, client: Any, plan: dict[str, int]) -> None:
        self._inner = client.get_executor(pure=False)
        self._plan = plan

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> Future:
        return self._inner.submit(_on_worker, fn, self._plan, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._inner.shutdown(wait=wait)


def _on_worker(fn: Callable, plan: dict[str, int], task: Any) -> Any:
    """On a worker: ``fn(task)`` with the kernel's threads taken from this worker's host."""
    from dask.system import CPU_COUNT
    from distributed import get_worker
    from distributed.comm import get_address_host

    worker = get_worker()
    threads = plan.get(get_address_host(worker.address)) or max(1, CPU_COUNT // worker.state.nthreads)
    return fn(dataclasses.replace(task, threads=threads))


def _worker_report(isolate: bool, preload: tuple[str, ...] = (), dask_worker: Any = None) -> dict:
    """On a worker (``client.run``): its host, CPUs, threads, and what stops it grading."""
    import importlib.util

    from dask.system import CPU_COUNT
    from distributed.comm import get_address_host

    problem = "" if importlib.util.find_spec("nbgrader") else "nbgrader is not installed"
    found = ""
    if isolate and not problem:
        try:
            sandbox.check()
        except sandbox.SandboxUnavailable as err:
            found = str(err)
    if preload and not problem and not found:
        from . import forkserver

        forkserver.warm(tuple(preload))
    return {"host": get_address_host(dask_worker.address), "cpus": CPU_COUNT,
            "nthreads": dask_worker.state.nthreads, "problem": problem, "sandbox": found}


def _threads_per_task(reports: Any) -> dict[str, int]:
    """``{host: kernel threads per task}``: a host's CPUs shared among its worker threads
    (``local:2`` on 2 cores: 1 each, as ``--jobs 2`` gives)."""
    cpus: dict[str, int] = {}
    slots: dict[str, int] = defaultdict(int)
    for report in reports:
        cpus[report["host"]] = max(cpus.get(report["host"], 1), report["cpus"])
        slots[report["host"]] += report["nthreads"]
    return {host: max(1, cpus[host] // slots[host]) for host in cpus}


try:
    from distributed.diagnostics.plugin import WorkerPlugin as _Plugin
except ImportError:  # Dask missing: connect() says so
    _Plugin = object


class _IgnoreCtrlC(_Plugin):
    """A ``local:N`` worker (and any restarted one) ignores Ctrl-C, as the local pool's
    workers do: the instructor's process decides what stops."""

    def setup(self, worker: Any) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)
