"""The peers' benchmark (``benchmarks.peers``, ``make bench-peers``) still runs with
``helpers`` alone: no peer is installed in the course's environment, so this checks the
alignment code (the small CNN, every method's ``helpers`` side and the references built
from ``helpers``' own building blocks), not the peers themselves. And SmoothGrad's batch
size follows the input size."""

import numpy as np
import pytest

import helpers
from benchmarks import peers
from helpers.saliency import activation_bytes, smoothgrad_batch_size
from helpers.testing import red_square_image, red_square_model


def test_only_ours_runs_every_method_on_the_small_cnn(tmp_path, capsys):
    out = tmp_path / "peers.md"
    rc = peers.main(["--only-ours", "--quick", "--models", "small_cnn", "--no-memory",
                     "--out", str(out)])
    assert rc == 0  # every comparison made (helpers vs its own references) agrees
    report = out.read_text(encoding="utf-8")
    for method in peers.METHODS:
        assert f"| {method} | small_cnn |" in report
    assert "Peers: none (--only-ours)" in report
    assert "disagree" not in report
    assert "| smoothgrad | small_cnn | (helpers' own reference) |" in capsys.readouterr().out


def test_every_method_has_its_alignment_stated_and_a_builder():
    assert set(peers.ALIGNMENTS) == set(peers.METHODS) == set(peers.BUILDERS)
    assert set(peers.METHOD_MODELS) == set(peers.METHODS)


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


def test_unknown_method_is_refused():
    with pytest.raises(SystemExit):
        peers.parse(["--only", "lime"])
