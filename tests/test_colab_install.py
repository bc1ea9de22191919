"""The notebooks' first cell, on machines as students have them: a Colab runtime (a
stand-in ``google.colab``, TensorFlow and NumPy already there, the course package
missing), a notebook whose package source was never set, a failed install, and a
machine without TensorFlow. Each runs in a fresh virtual environment, the cell executed
by IPython as a kernel would; the package source comes from the course's configuration
through a real ``course release``."""

import json
import os
import re
import site
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from course.core import Course
from course.release import INSTALL_CELL, copy_course, release, write_package

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = Path("nbj1") / "nbj1_ou_regarde_ia.ipynb"
SITE = Path(site.getsitepackages()[0])
PROBE = ("import importlib.metadata as m, importlib.util as u\n"
         "print(u.find_spec('helpers') is not None)\n"
         "for n in ('tensorflow', 'numpy', 'ipywidgets'):\n"
         "    s, d = u.find_spec(n), m.packages_distributions().get(n)\n"
         "    print(n, s.origin if s else None, m.version(d[0]) if d else None)\n")


def install_cell(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == INSTALL_CELL)


def machine(folder: Path, *, without: tuple[str, ...] = (), pip: bool = True) -> Path:
    """A fresh virtual environment that sees this one's packages except the course's
    own and ``without`` (a folder of links to them, as Colab's preinstalled packages)."""
    shelf = folder / "preinstalled"
    shelf.mkdir(parents=True)
    hidden = ("xai_course", "__editable__", *without)
    for entry in SITE.iterdir():
        if not entry.name.startswith(hidden) and entry.suffix != ".pth":
            (shelf / entry.name).symlink_to(entry)
    venv.create(folder / "venv", with_pip=pip)
    python = folder / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "preinstalled.pth").write_text(str(shelf) + "\n")
    return python


def run_cell(python: Path, cell: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    """The cell as a kernel runs it (IPython: exceptions shown as the kernel shows them)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")} | (env or {})
    return subprocess.run([str(python), "-m", "IPython", "--colors=NoColor", "--no-banner", "-c", cell],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=900)


def probe(python: Path, cwd: Path) -> list[str]:
    return subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, check=True,
                          cwd=cwd).stdout.splitlines()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True, timeout=600)
    return next(out.glob("xai_course-*.whl"))


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """A Colab-like runtime: fresh venv, TensorFlow/NumPy/ipywidgets preinstalled, no
    course package, and a stand-in ``google.colab`` that records the widget manager."""
    folder = tmp_path_factory.mktemp("colab")
    python = machine(folder)
    stub = folder / "stub" / "google" / "colab"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("")
    (stub / "output.py").write_text(
        "import os\n"
        "def enable_custom_widget_manager():\n"
        "    with open(os.environ['COLAB_LOG'], 'a') as f:\n"
        "        f.write('custom widget manager\\n')\n")
    log = folder / "colab.log"
    env = {"PYTHONPATH": str(folder / "stub"), "COLAB_LOG": str(log)}
    return python, folder, env, log


def released_cell(tmp: Path, package: str) -> str:
    """The first cell of NBJ1 as `course release` writes it with ``c.InstallCell.package``."""
    course = copy_course(Course(ROOT), tmp, ["nbj1"])
    with open(course.root / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.InstallCell.package = {package!r}\n")
    release(course, ["nbj1"])
    return install_cell(course.release / NOTEBOOK)


def assert_french_stop(run: subprocess.CompletedProcess, *phrases: str) -> None:
    out = run.stdout + run.stderr
    assert run.returncode != 0, out  # "Run all" stops here...
    assert "⛔" in out and "Traceback" not in out, out  # ...on a message, with no traceback
    assert not re.search(r"^\w*(Error|Exception)\b", out, re.MULTILINE) and "PreparationArretee" not in out, out
    for phrase in phrases:
        assert phrase in out, out


def test_unset_package_source_says_what_to_do(colab):
    """The committed release: no package source set in this repository's configuration."""
    python, folder, env, log = colab
    cell = install_cell(ROOT / "release" / NOTEBOOK)
    assert 'PAQUET_DU_COURS = ""' in cell
    run = run_cell(python, cell, folder, env)
    assert_french_stop(run, "n'est pas installé", "Demandez-la à votre enseignant", "%pip install")
    assert "custom widget manager" in log.read_text()  # widgets enabled before anything else
    assert probe(python, folder)[0] == "False"


def test_failed_install_says_what_happened_and_what_to_do(colab):
    python, folder, env, _ = colab
    missing = folder / "nowhere" / "xai_course-0.1.0-py3-none-any.whl"
    cell = write_package(install_cell(ROOT / "source_notebooks" / NOTEBOOK), str(missing))
    run = run_cell(python, cell, folder, env)
    assert_french_stop(run, "a échoué", "Ce qu'en dit pip", "accès à Internet", "enseignant")
    assert probe(python, folder)[0] == "False"


def test_colab_first_click_installs_and_keeps_what_colab_ships(colab, wheel, tmp_path):
    python, folder, env, log = colab
    cell = released_cell(tmp_path / "course", str(wheel))
    assert f'PAQUET_DU_COURS = "{wheel}"' in cell
    before = probe(python, folder)
    assert before[0] == "False"

    run = run_cell(python, cell, folder, env)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out
    assert "Installation du paquet du cours depuis" in out and "Traceback" not in out
    accepted = out.split("Versions acceptées par le cours :")[1].splitlines()[0]
    for name in ("tensorflow", "numpy", "ipywidgets", "keras"):
        assert name in accepted, accepted
    assert "gardés tels quels" in out, out

    after = probe(python, folder)
    assert after[0] == "True"
    assert after[1:] == before[1:], "TensorFlow, NumPy and ipywidgets must be the ones already there"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    listed = subprocess.run([str(python), "-m", "pip", "list", "--path", purelib, "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    installed = {d["name"].lower() for d in json.loads(listed)}
    assert "xai-course" in installed
    assert not installed & {"tensorflow", "tensorflow-cpu", "numpy", "ipywidgets", "keras"}
    where = subprocess.run([str(python), "-c", "import helpers; print(helpers.__file__)"], capture_output=True,
                           text=True, check=True, cwd=folder, env=dict(os.environ, XAI_COURSE_WEIGHTS="random"))
    assert where.stdout.strip().startswith(purelib)
    french = subprocess.run([str(python), "-c", "from helpers.messages import label, number; "
                             "print(label('identified'), number(4224, ',d'), number(0.2054))"],
                            capture_output=True, text=True, check=True, cwd=folder,
                            env=dict(os.environ, XAI_COURSE_WEIGHTS="random"))
    assert french.stdout.strip() == "identifié 4\u202f224 0,205"  # the wheel's catalogue, read by Babel

    again = run_cell(python, cell, folder, env)  # the next session: nothing to install
    assert again.returncode == 0 and (again.stdout + again.stderr).strip() == "", again.stdout + again.stderr
    assert log.read_text().count("custom widget manager") >= 3  # every run enables Colab's widgets


def test_no_tensorflow_says_how_to_get_it(tmp_path):
    python = machine(tmp_path, without=("tensorflow",), pip=False)
    assert probe(python, tmp_path)[1].split()[1] == "None"  # TensorFlow really is absent
    run = run_cell(python, install_cell(ROOT / "release" / NOTEBOOK), tmp_path)
    assert_french_stop(run, "TensorFlow n'est pas installé", "%pip install", "redémarrez le noyau")
