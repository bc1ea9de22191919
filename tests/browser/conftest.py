"""A real JupyterLab and a real browser for the notebooks' widgets.

* ``lab``: JupyterLab on loopback (free port, random token), the project's virtual
  environment as kernel, offline weights and quick mode, serving a scratch copy of the
  notebooks; stopped (its whole process group) whatever happens.
* ``page``: headless Chromium from Debian (``/usr/bin/chromium``) driven by Playwright
  from PyPI — no browser download.

Without Chromium or Playwright the tier is skipped, unless ``XAI_COURSE_BROWSER=required``
(as ``.ci/run`` sets), where it fails instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("XAI_COURSE_CHROMIUM", "/usr/bin/chromium")
# This closed network refuses Chromium's background connections; without these flags
# Chromium keeps retrying them.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--disable-dev-shm-usage"]
ARTIFACTS = Path(os.environ.get("XAI_COURSE_ARTIFACTS", ROOT / "tests" / "artifacts"))


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install playwright)"
    return None


@pytest.fixture(scope="session")
def browser_ready():
    reason = _missing()
    if reason:
        if os.environ.get("XAI_COURSE_BROWSER") == "required":
            pytest.fail(f"browser tier required but {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def lab(browser_ready, tmp_path_factory):
    """``(base_url, token, root)`` of a JupyterLab serving copies of the notebooks."""
    root = tmp_path_factory.mktemp("lab")
    for kind, folder in (("release", ROOT / "release"), ("source", ROOT / "source_notebooks")):
        shutil.copytree(folder, root / kind, ignore=shutil.ignore_patterns("output_figures", ".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter-home")
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random", XAI_COURSE_QUICK="1",
               TF_CPP_MIN_LOG_LEVEL="2", JUPYTER_CONFIG_DIR=str(home / "config"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    # No news pop-up over the widgets; every cell in the DOM (no virtual scrolling).
    for plugin, values in (("apputils-extension/notification", {"fetchNews": "false"}),
                           ("notebook-extension/tracker", {"windowingMode": "none"})):
        path = home / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    with _serve(root, env, port, token, ARTIFACTS / "jupyterlab.log", "/api/status",
                ["--LabApp.expose_app_in_browser=True"]) as base:
        yield base, token, root


@contextlib.contextmanager
def _serve(folder: Path, env: dict, port: int, token: str, log: Path, ready: str, extra: list[str]):
    """A JupyterLab server started from ``folder`` (its working folder and root), its
    output in ``log``; yields its base URL once ``ready`` (an API path) answers; stopped
    with its whole process group, whatever happens."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1",
             f"--port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
             "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--ServerApp.port_retries=0", "--allow-root", *extra],
            cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.time() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{base}{ready}?token={token}", timeout=2):
                        break
                except OSError:
                    if server.poll() is not None or time.time() > deadline:
                        raise RuntimeError(f"JupyterLab did not start ({ready}):\n" + log.read_text()[-3000:])
                    time.sleep(0.5)
            yield base
        finally:
            _stop(server)


def _stop(server: subprocess.Popen) -> None:
    """Stop the server and everything it started (kernels), whatever state it is in."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="session")
def chromium(browser_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium, lab, request):
    """A fresh browser page; afterwards a screenshot when the test failed, and every
    kernel shut down (one TP kernel holds 2.5 GB)."""
    with _browser_page(chromium, request, timeout_ms=120_000) as page:
        try:
            yield page
        finally:
            _shutdown_kernels(lab)


@contextlib.contextmanager
def _browser_page(chromium, request, *, timeout_ms: int):
    """A fresh page in its own browser context; a screenshot in tests/artifacts when the
    test failed; the context closed whatever happens."""
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=False)
        context.close()


def _shutdown_kernels(lab) -> None:
    base, token, _ = lab
    with urllib.request.urlopen(f"{base}/api/kernels?token={token}", timeout=10) as reply:
        kernels = json.load(reply)
    for kernel in kernels:
        request = urllib.request.Request(f"{base}/api/kernels/{kernel['id']}?token={token}",
                                         method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# --------------------------------------------------------------------------- formgrader (issue 14)
# JupyterLab started *from a course folder*, as an instructor starts it to grade by hand:
# nbgrader's formgrader reads `nbgrader_config.py` from the folder the server starts in.
@contextlib.contextmanager
def jupyterlab_in(folder: Path, home: Path, log: Path):
    """``(base_url, token)`` of a JupyterLab started from ``folder`` (its working folder
    and root), with the venv's server extensions (formgrader among them) and a scratch
    Jupyter home (no ``~/.jupyter/nbgrader_config.py`` of this machine); stopped, with
    its whole process group, whatever happens."""
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random", TF_CPP_MIN_LOG_LEVEL="2",
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    path = home / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"fetchNews": "false"}))  # no news pop-up over formgrader
    with _serve(folder, env, port, token, log, "/formgrader/api/status", []) as base:
        yield base, token


@pytest.fixture
def bare_page(chromium, request):
    """A fresh browser page on no particular server; a screenshot when the test failed."""
    with _browser_page(chromium, request, timeout_ms=60_000) as page:
        yield page
