"""The peers' benchmark (``benchmarks.peers``, ``make bench-peers``) still runs with
``helpers`` alone: no peer is installed in the course's environment, so this checks the
alignment code (the small CNN, every method's ``helpers`` side and the references built
from ``helpers``' own building blocks), not the peers themselves. And SmoothGrad's batch
size follows the input size."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import helpers
from helpers.saliency import activation_bytes, smoothgrad_batch_size
from helpers.testing import red_square_image, red_square_model


ROOT = Path(__file__).resolve().parents[1]
METHODS = ("saliency", "smoothgrad", "gradcam", "occlusion_tp", "occlusion_nbj1",
           "deletion_insertion", "activation_max")


def run_peers(*args):
    """The benchmark in its own process (it sets XAI_COURSE_LANG=en for its report, which
    must not leak into the other tests)."""
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def test_only_ours_runs_every_method_on_the_small_cnn(tmp_path):
    out = tmp_path / "peers.md"
    proc = run_peers("-m", "benchmarks.peers", "--only-ours", "--quick", "--models", "small_cnn",
                     "--no-memory", "--out", str(out))
    assert proc.returncode == 0, proc.stderr[-2000:]  # helpers vs its own references agree
    report = out.read_text(encoding="utf-8")
    for method in METHODS:
        assert f"| {method} | small_cnn |" in report
    assert "Peers: none (--only-ours)" in report
    assert "disagree" not in report
    assert "Per method and model, against the fastest peer:" in report
    assert "| smoothgrad | small_cnn | (helpers' own reference) |" in proc.stdout


def test_every_method_has_its_alignment_a_builder_and_refuses_unknown_ones():
    proc = run_peers("-c", """
from benchmarks import peers
assert peers.METHODS == %r
assert set(peers.ALIGNMENTS) == set(peers.METHODS) == set(peers.BUILDERS) == set(peers.METHOD_MODELS)
try:
    peers.parse(["--only", "lime"])
except SystemExit as stop:
    assert stop.code == 2
else:
    raise AssertionError("--only lime accepted")
""" % (METHODS,))
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_short_calls_are_timed_in_loops_and_cells_escape_pipes():
    proc = run_peers("-c", """
import time
from benchmarks import peers
calls = []
def quick():
    calls.append(1)
    time.sleep(0.005)
n = peers.loop_length(quick, first=0.01)
assert 20 <= n <= 60, n             # about LOOP_SECONDS (0.25 s) of 5 ms calls
assert peers.loop_length(quick, first=3.0) == 1 and len(calls) == 1  # a long call: no estimate
assert peers.cell("max_c|grad|") == "max_c\\\\|grad\\\\|"
rows = [peers.Result("saliency", "m", "a", "w", delta=0.0, peer_time=2.0, ours_time=1.0),
        peers.Result("saliency", "m", "b", "w", delta=1.0, peer_time=0.5, ours_time=1.0)]
table = peers.summary(rows)
assert "| saliency | m | b | 0.500 | 1.000 | 2.00× | **NO** |" in table, table
""")
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_smoothgrad_batch_follows_the_input_size():
    model = red_square_model(None)  # fully convolutional: any input size
    small = smoothgrad_batch_size(model, (32, 32, 3), 20)
    assert small == 20  # a small input: every copy in one call
    assert activation_bytes(model, (512, 512, 3)) > activation_bytes(model, (32, 32, 3))
    tight = smoothgrad_batch_size(model, (32, 32, 3), 20,
                                  budget=activation_bytes(model, (32, 32, 3)) * 6)
    assert tight == 5  # room for 6: 20 copies as 4 equal calls of 5, not 6+6+6+2


def test_smoothgrad_default_batch_gives_the_same_map():
    model = red_square_model(32)
    batch = red_square_image(32, 8, 12, 8)[None].astype(np.float32)
    auto = helpers.smoothgrad(model, batch, n_samples=9, noise=20.0, seed=3)
    np.testing.assert_allclose(auto, helpers.smoothgrad(model, batch, n_samples=9, noise=20.0,
                                                        seed=3, batch_size=2), atol=1e-6)
