"""The main job runs end to end (quick mode) and writes its figures."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow


def test_demo_writes_every_figure(tmp_path):
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random")
    result = subprocess.run([sys.executable, "-m", "course", "demo", "--quick", "--out", str(tmp_path)],
                            capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "RANDOM WEIGHTS" in result.stdout  # never silent about random weights
    assert "89.4 %" in result.stdout  # VGG16's dense share, computed
    written = sorted(p.name for p in tmp_path.glob("*.png"))
    assert written == ["nbj1_methods.png", "tp_filters.png", "tp_gradcam.png", "tp_occlusion.png"]
    assert all((tmp_path / name).stat().st_size > 10_000 for name in written)


def test_unknown_command_fails():
    result = subprocess.run([sys.executable, "-m", "course", "nope"], capture_output=True, text=True)
    assert result.returncode != 0 and "invalid choice" in result.stderr
