"""The notebooks' first cell installs the course package where it is missing (Colab),
from one configurable place, without touching the TensorFlow already there."""

import json
import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def install_cell(notebook: Path) -> str:
    cells = json.loads(notebook.read_text())["cells"]
    return "".join(next(c["source"] for c in cells
                        if c["metadata"].get("nbgrader", {}).get("grade_id") == "installation"))


def test_first_cell_installs_helpers_and_keeps_tensorflow(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(wheels), str(ROOT)], check=True, capture_output=True, timeout=600)
    wheel = next(wheels.glob("xai_course-*.whl"))

    # A "Colab": TensorFlow, Keras, NumPy... importable (our venv's packages on the path),
    # but no helpers (the editable install's finder is not loaded from a plain path entry).
    colab = tmp_path / "colab"
    venv.create(colab, with_pip=True)
    python = colab / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "colab_preinstalled.pth").write_text(site.getsitepackages()[0] + "\n")
    probe = "import importlib.util as u; print(u.find_spec('helpers') is None, u.find_spec('tensorflow').origin)"
    before = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=True,
                            cwd=tmp_path).stdout.split()
    assert before[0] == "True", "helpers must be absent before the cell runs"

    cell = install_cell(ROOT / "source_notebooks" / "nbj1" / "nbj1_ou_regarde_ia.ipynb")
    env = dict(os.environ, XAI_COURSE_PACKAGE=str(wheel))
    run = subprocess.run([str(python), "-c", cell], capture_output=True, text=True, env=env, timeout=900,
                         cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "Installation de" in run.stdout

    after = subprocess.run([str(python), "-c", probe + "; import helpers; print(helpers.__file__)"],
                           capture_output=True, text=True, env=dict(os.environ, XAI_COURSE_WEIGHTS="random"),
                           check=True, cwd=tmp_path).stdout.split()
    assert after[0] == "False"
    assert after[1] == before[1], "TensorFlow must be the one that was already there"
    assert after[2].startswith(str(colab)), "helpers comes from the freshly installed wheel"
    listed = subprocess.run([str(python), "-m", "pip", "list", "--path", purelib, "--format", "json"],
                            capture_output=True, text=True, check=True).stdout
    installed = {d["name"].lower() for d in json.loads(listed)}
    assert "xai-course" in installed and not any(n.startswith("tensorflow") for n in installed)

    again = subprocess.run([str(python), "-c", cell], capture_output=True, text=True, env=env, timeout=300,
                           cwd=tmp_path)
    assert again.returncode == 0 and "Installation" not in again.stdout  # nothing to do twice
