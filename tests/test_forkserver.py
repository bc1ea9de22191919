"""The fork server (``course.forkserver``): a command forked from it behaves as the same
``python -m`` started afresh, a server is reused, the watchdog still holds, nothing
outlives the worker that started it, and a server that cannot start falls back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from course import forkserver, sandbox

PRELOAD = ("colorsys",)  # a module nothing else here imports: its presence proves the preload

REPORT = textwrap.dedent("""
    import json, os, sys
    print(json.dumps({
        "argv": sys.argv[1:], "cwd": os.getcwd(), "path0": sys.path[0], "x": os.environ.get("X"),
        "secret": os.environ.get("FORKSERVER_TEST_SECRET"), "stdin": sys.stdin.read(),
        "own_session": os.getsid(0) == os.getpid(), "name": __name__,
        "preloaded": "colorsys" in sys.modules, "ppid": os.getppid()}))
    print("to stderr", file=sys.stderr)
    sys.exit(int(sys.argv[1]))
""")


@pytest.fixture(autouse=True)
def _fresh_servers():
    forkserver.close_all()
    forkserver._failed.clear()
    yield
    forkserver.close_all()


def _module(folder: Path) -> list[str]:
    (folder / "report_me.py").write_text(REPORT)
    return [sys.executable, "-m", "report_me"]


def _forked(argv, cwd, env) -> tuple[int, str]:
    proc = forkserver.start(argv, cwd=cwd, env=env, preload=PRELOAD)
    output, _ = proc.communicate()
    return proc.returncode, output


def test_a_forked_command_is_the_same_as_python_m(tmp_path, monkeypatch):
    monkeypatch.setenv("FORKSERVER_TEST_SECRET", "the server's own environment")
    argv = _module(tmp_path) + ["3", "un argument"]
    env = {**{k: v for k, v in os.environ.items() if k != "FORKSERVER_TEST_SECRET"}, "X": "x"}
    fresh = subprocess.run(argv, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, start_new_session=True)
    code, output = _forked(argv, tmp_path, env)
    assert (code, fresh.returncode) == (3, 3)
    lines = output.splitlines()
    assert "to stderr" in lines and fresh.stderr.strip() == "to stderr"  # both streams, one log
    got = json.loads(next(line for line in lines if line.startswith("{")))
    want = json.loads(fresh.stdout)
    for key in ("argv", "cwd", "path0", "x", "secret", "stdin", "own_session", "name"):
        assert got[key] == want[key], key
    assert got["secret"] is None and got["path0"] == str(tmp_path) and got["own_session"]
    assert got["preloaded"] and not want["preloaded"]


def test_one_server_forks_every_command_of_a_worker(tmp_path):
    argv = _module(tmp_path) + ["0"]
    parents = set()
    for _ in range(3):
        code, output = _forked(argv, tmp_path, dict(os.environ))
        assert code == 0
        parents.add(json.loads(output.splitlines()[0])["ppid"])
    assert len(parents) == 1 and len(forkserver._idle) == 1
    assert forkserver._idle[0].proc.pid in parents


def test_the_watchdog_kills_a_forked_command_and_its_children(tmp_path):
    script = tmp_path / "sleeper.py"
    script.write_text("import subprocess, sys\n"
                      "subprocess.run([sys.executable, '-c', 'import time; time.sleep(600)  # grandchild'])\n")
    start = time.monotonic()
    code, _, killed = sandbox.run_watched([sys.executable, "-m", "sleeper"], cwd=tmp_path, env=dict(os.environ),
                                          limits=sandbox.Limits(seconds=3), preload=PRELOAD)
    assert code == -signal.SIGKILL and killed.startswith("temps dépassé")
    assert time.monotonic() - start < 30
    assert not [p for p in psutil.process_iter(["cmdline"]) if "# grandchild" in " ".join(p.info["cmdline"] or [])]
    # the server survived its child's death and forks the next one
    code, output, _ = sandbox.run_watched(_module(tmp_path) + ["0"], cwd=tmp_path, env=dict(os.environ),
                                          limits=sandbox.Limits(), preload=PRELOAD)
    assert code == 0 and json.loads(output.splitlines()[0])["preloaded"]


def test_nothing_outlives_the_worker(tmp_path):
    """A worker killed while its command runs: the server sees its pipe close and kills
    the command, which would otherwise run on (nbgrader until its time limit)."""
    (tmp_path / "sleeper.py").write_text("import time\nprint('started', flush=True)\ntime.sleep(600)\n")
    worker = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import os, sys, time
        from pathlib import Path
        from course import forkserver
        proc = forkserver.start([sys.executable, "-m", "sleeper"], cwd=Path({str(tmp_path)!r}),
                                env=dict(os.environ), preload={PRELOAD!r})
        print(proc._server.proc.pid, proc.pid, flush=True)
        proc.communicate()
    """)], stdout=subprocess.PIPE, text=True)
    server, child = (int(pid) for pid in worker.stdout.readline().split())
    assert psutil.pid_exists(child)
    worker.kill()
    worker.wait()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and any(_running(pid) for pid in (server, child)):
        time.sleep(0.1)
    assert not _running(server) and not _running(child)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_server_that_cannot_start_says_why_and_the_command_runs_afresh(tmp_path):
    with pytest.raises(forkserver.Unavailable, match="no_such_module_here"):
        forkserver.start(_module(tmp_path) + ["0"], cwd=tmp_path, env=dict(os.environ),
                         preload=("no_such_module_here",))
    with pytest.raises(forkserver.Unavailable):  # remembered: not paid twice
        forkserver.start(_module(tmp_path) + ["0"], cwd=tmp_path, env=dict(os.environ),
                         preload=("no_such_module_here",))
    code, output, killed = sandbox.run_watched(_module(tmp_path) + ["4"], cwd=tmp_path, env=dict(os.environ),
                                               limits=sandbox.Limits(), preload=("no_such_module_here",))
    assert (code, killed) == (4, "") and json.loads(output.splitlines()[0])["argv"] == ["4"]
    with pytest.raises(ValueError, match="python -m"):
        forkserver.start([sys.executable, "-c", "pass"], cwd=tmp_path, env={}, preload=PRELOAD)
