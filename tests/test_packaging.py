"""The dependency pins: one list, stated twice (pyproject for pip, environment.yml for
a JupyterHub image), must agree."""

import pathlib
import re
import tomllib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]


def normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_has_the_pyproject_pins_and_the_package():
    """A hub image built from environment.yml has the course package itself (so the
    notebooks' first cell finds it installed) and no test tools."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    expected = project["dependencies"] + extras["tf"] + extras["course"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "." in pip  # the repository's own package (conda runs pip from this folder)
    assert sorted(map(normalise, (p for p in pip if p != "."))) == sorted(map(normalise, expected))
    names = {re.split(r"[<>=!\[]", p)[0].lower() for p in pip}
    assert not names & {"pytest", "nbval", "playwright"}


def test_cpu_and_gpu_extras_pin_the_same_tensorflow():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["cpu"][0].replace("tensorflow-cpu", "tensorflow") == extras["tf"][0]


def test_opencv_is_capped_below_5():
    """OpenCV 5 has no CascadeClassifier and ships no Haar cascades."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("opencv-python-headless") and "<5" in d for d in deps)


def test_tensorflow_is_not_a_core_dependency():
    """Installing on Colab must not replace Colab's TensorFlow."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not any(d.startswith("tensorflow") for d in deps)


def test_the_wheel_holds_exactly_helpers_with_its_data_and_course(tmp_path):
    """What `pip install` puts on a student's machine: the two packages, the bundled
    photos and class names, the translation catalogues, nothing else (no tests, notebooks,
    benchmarks or tools)."""
    import subprocess
    import sys
    import zipfile

    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                            "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    assert "Warning" not in build.stderr and "!!" not in build.stderr, build.stderr  # no setuptools walls
    wheel = next(tmp_path.glob("xai_course-*.whl"))
    names = {n for n in zipfile.ZipFile(wheel).namelist() if ".dist-info/" not in n}

    def files(pattern):
        return {p.relative_to(ROOT).as_posix() for p in ROOT.glob(pattern)}

    expected = (files("helpers/*.py") | files("helpers/widgets/*.py") | files("helpers/data/*")
                | files("helpers/locale/*/LC_MESSAGES/helpers.po") | files("course/*.py"))
    assert names == expected
    assert "helpers/widgets/__init__.py" in names  # the panels' package ships
    assert "helpers/data/imagenet_class_index.json" in names and "helpers/data/chelsea.jpg" in names
    assert "helpers/locale/fr/LC_MESSAGES/helpers.po" in names  # the French, read at run time


def test_the_first_cells_tensorflow_advice_matches_the_cpu_extra():
    """The no-TensorFlow message names the range the package accepts."""
    import json

    cpu = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["cpu"][0]
    for notebook in ROOT.glob("source_notebooks/*/*.ipynb"):
        cells = json.loads(notebook.read_text())["cells"]
        first = "".join(next(c["source"] for c in cells
                             if c["metadata"].get("nbgrader", {}).get("grade_id") == "installation"))
        assert f'%pip install \\"{normalise(cpu)}\\"' in first, notebook
