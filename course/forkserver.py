"""``python -m nbgrader`` without paying nbgrader's import for every submission.

Importing nbgrader takes about 2.2 s on a 2-core machine (its package imports its
Jupyter server extensions: tornado, jupyter_server), and ``course autograde`` used to
start one ``python -m nbgrader autograde`` per submission: a sixth of a submission's
grading time was that import. Here a worker starts, once, a small **fork server**: a
fresh interpreter that imports the modules named (``preload``), then waits on a pipe.
For each command it forks; the child is a process that has already imported nbgrader
and behaves as ``python -m module args`` started afresh would (own session, working
folder, environment, ``sys.argv``, output to a file, stdin from ``/dev/null``) and exits
with its code. The server is single-threaded, so forking it is safe (unlike forking a
process-pool or Dask worker, which runs threads).

``start(argv, ...)`` returns a ``Forked`` handle that looks like ``subprocess.Popen``
for what ``sandbox.run_watched`` needs (``pid``, ``poll``, ``communicate``), so the
watchdog on the child's process tree is the same. A child dies with its server
(``PR_SET_PDEATHSIG``), and a server whose caller's pipe closes (the worker died) kills
the child it runs and exits: nothing outlives the worker that started it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

READY = "ready"


class Unavailable(RuntimeError):
    """The fork server could not start or stopped answering."""


class Forked:
    """A command forked from a server: the subset of ``Popen`` that callers use."""

    def __init__(self, server: Server, pid: int, log: Path):
        self.pid, self.returncode = pid, None
        self._server, self._log = server, log

    def poll(self) -> int | None:
        return self.returncode

    def communicate(self) -> tuple[str, None]:
        """Wait for the exit (reported by the server); the child's stdout and stderr."""
        try:
            self.returncode = self._server.wait()
        finally:
            _release(self._server)
        try:
            return self._log.read_text("utf-8", errors="replace"), None
        finally:
            self._log.unlink(missing_ok=True)


class Server:
    """One fork server process: one command at a time."""

    def __init__(self, preload: tuple[str, ...]):
        self.preload = preload
        self.errors = tempfile.TemporaryFile("w+", encoding="utf-8")  # an import that fails says why
        # its own session (a terminal's Ctrl-C is the caller's business); "/" as working
        # folder and -P: nothing is imported from whatever folder the caller was in
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", __name__, *preload], cwd="/",
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.errors,
                                     text=True, start_new_session=True)
        self.ready = False

    def start(self, argv: list[str], *, cwd: Path, env: dict) -> Forked:
        if not self.ready:
            line = self.proc.stdout.readline().strip()
            if line != READY:
                self.errors.seek(0)
                why = self.errors.read().strip().splitlines()
                self.close()
                raise Unavailable(f"the fork server did not start ({why[-1] if why else line or 'no answer'})")
            self.ready = True
        fd, log = tempfile.mkstemp(prefix="forked-", suffix=".log")
        os.close(fd)
        request = {"argv": argv, "cwd": str(cwd), "env": env, "log": log}
        try:
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
            answer = self.proc.stdout.readline().split()
        except OSError as err:
            answer = [str(err)]
        if len(answer) != 2 or answer[0] != "pid":
            self.close()
            Path(log).unlink(missing_ok=True)
            raise Unavailable(f"the fork server did not fork ({' '.join(answer) or 'no answer'})")
        return Forked(self, int(answer[1]), Path(log))

    def wait(self) -> int:
        answer = self.proc.stdout.readline().split()
        if len(answer) != 2 or answer[0] != "exit":
            self.close()
            raise Unavailable("the fork server stopped while its command ran")
        return int(answer[1])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        self.errors.close()
        if self.proc.poll() is None:
            self.proc.stdin.close()  # the server kills its child, if any, and exits
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_idle: list[Server] = []
_failed: dict[tuple[str, ...], str] = {}  # preloads whose server could not start, and why
_lock = threading.Lock()


def start(argv: list[str], *, cwd: Path, env: dict, preload: tuple[str, ...]) -> Forked:
    """Run ``argv`` (``[python, "-m", module, *args]``) forked from a server that has
    imported ``preload``; an idle server is reused, else one is started (the first call
    of a worker pays the imports). Raises ``Unavailable`` when no server can fork."""
    if len(argv) < 3 or argv[1] != "-m":
        raise ValueError(f"a fork server runs `python -m module ...`, not {argv[:3]}")
    with _lock:
        if preload in _failed:
            raise Unavailable(_failed[preload])
        server = next((s for s in _idle if s.preload == preload and s.alive()), None)
        if server is not None:
            _idle.remove(server)
    server = server or Server(preload)
    try:
        return server.start(argv, cwd=cwd, env=env)
    except Unavailable as err:
        if not server.ready:  # it could not even import: do not try again in this process
            with _lock:
                _failed[preload] = str(err)
        raise


def warm(preload: tuple[str, ...]) -> None:
    """Start a server now, so that its imports run while the caller does other work."""
    with _lock:
        if not any(s.preload == preload and s.alive() for s in _idle):
            _idle.append(Server(preload))


def _release(server: Server) -> None:
    if server.alive():
        with _lock:
            _idle.append(server)


def close_all() -> None:
    with _lock:
        servers, _idle[:] = list(_idle), []
    for server in servers:
        server.close()


# --------------------------------------------------------------------- the server itself
def _serve(preload: list[str]) -> None:
    import importlib
    import select

    for module in preload:
        importlib.import_module(module)
    requests, replies = sys.stdin.buffer, sys.stdout
    print(READY, file=replies, flush=True)
    while True:
        line = requests.readline()
        if not line:
            return  # the caller is gone
        pid = _fork(json.loads(line))
        print(f"pid {pid}", file=replies, flush=True)
        while True:  # wait for the child, or for the caller to go (then kill the child)
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                print(f"exit {os.waitstatus_to_exitcode(status)}", file=replies, flush=True)
                break
            if select.select([requests], [], [], 0.05)[0] and not requests.peek(1):
                _kill_session(pid)
                os.waitpid(pid, 0)
                return


def _kill_session(pid: int) -> None:
    import signal

    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _fork(request: dict) -> int:
    server = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        _die_with_parent(server)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(request["log"], os.O_WRONLY | os.O_TRUNC)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(null)
        os.close(log)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        code = _run_module(request["argv"][2], request["argv"][3:], request["cwd"])
    except BaseException:  # noqa: BLE001 - the child reports, whatever happened
        import traceback

        traceback.print_exc()
    finally:
        os._exit(code)


def _run_module(module: str, args: list[str], cwd: str) -> int:
    """What ``python -m module args`` run in ``cwd`` does, in this process."""
    import atexit
    import runpy

    sys.argv = [module, *args]
    sys.path.insert(0, cwd)  # as `python -m` puts the working folder first
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if not isinstance(stop.code, (int, type(None))):
            print(stop.code, file=sys.stderr)
    atexit._run_exitfuncs()  # what the interpreter's exit would run (logging's flush...)
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def _die_with_parent(server: int) -> None:
    """SIGKILL this child when its server (pid ``server``) dies (Linux)."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != server:  # the server died before the prctl (the child was
        os._exit(1)             # re-parented, to init or to a subreaper)


if __name__ == "__main__":
    _serve(sys.argv[1:])
