"""Production (SPEC part 4): SavedModel export, TF Lite (float and 8-bit weights), measures.

The main tests use a small CNN with seeded weights (fast); one slow test runs the whole
report on the VGG16 face extractor (25 088 dims), whose sizes are known in advance:
14 714 688 float32 parameters = 58.9 MB, about a quarter of that with 8-bit weights.
"""

import numpy as np
import pytest
import tensorflow as tf
import keras

from helpers import production
from helpers.production import (
    convert_tflite,
    dir_size,
    export_saved_model,
    production_report,
    tflite_embed,
)
from helpers.table import Table


@pytest.fixture(scope="module")
def small():
    """A small CNN (406 560 parameters, mostly in a dense layer that quantisation packs)."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(16, 3, activation="relu")(inputs)
    x = keras.layers.Conv2D(32, 3, strides=2, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    model = keras.Model(inputs, keras.layers.Dense(64)(x), name="small_cnn")
    rng = np.random.default_rng(0)
    for var in model.weights:
        shape = tuple(var.shape)
        if len(shape) > 1:
            scale = np.sqrt(2.0 / np.prod(shape[:-1]))
        else:
            scale = 0.1
        var.assign((rng.standard_normal(shape) * scale).astype(np.float32))
    return model


@pytest.fixture(scope="module")
def batch():
    return np.random.default_rng(1).uniform(-1, 1, (3, 32, 32, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def report(small, batch, tmp_path_factory):
    """The whole report on the small CNN, run once (one export, two TF Lite conversions)
    for every test of its files: ``(table, folder holding the artefacts)``."""
    folder = tmp_path_factory.mktemp("prod")
    return production_report(small, batch, runs=3, warmup=1, workdir=folder), folder


@pytest.fixture(scope="module")
def artefacts(report):
    _, folder = report
    return folder / "saved_model", folder / "float32.tflite", folder / "int8_weights.tflite"


def _cos(a, b):
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_saved_model_round_trip(small, batch, artefacts):
    saved, _, _ = artefacts
    assert (saved / "saved_model.pb").is_file()
    loaded = tf.saved_model.load(str(saved))
    out = loaded.signatures["serving_default"](input=tf.constant(batch))["output"].numpy()
    np.testing.assert_allclose(out, small(batch).numpy(), rtol=1e-5, atol=1e-5)


def test_saved_model_stores_each_weight_once(small, artefacts):
    """Keras' model.export stores every variable twice (keras-team/keras#23553)."""
    saved, _, _ = artefacts
    stored = sum(int(np.prod(shape)) for name, shape in tf.train.list_variables(str(saved / "variables" / "variables"))
                 if not name.startswith("_CHECKPOINTABLE"))
    assert stored == small.count_params()
    data = dir_size(saved / "variables")
    assert small.count_params() * 4 <= data < small.count_params() * 4 * 1.05


def test_tflite_float_matches_keras(small, batch, artefacts):
    _, float_file, _ = artefacts
    out = tflite_embed(float_file, batch)
    assert out.shape == (3, 64) and out.dtype == np.float32
    np.testing.assert_allclose(out, small(batch).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tflite_embed(float_file, batch[:1]), out[:1], rtol=1e-5, atol=1e-5)


def test_tflite_quantised_is_smaller_and_close(small, batch, artefacts):
    _, float_file, int8_file = artefacts
    assert dir_size(int8_file) < 0.3 * dir_size(float_file)  # measured 0.25: weights 4 → 1 byte
    assert dir_size(float_file) > small.count_params() * 4  # the float file holds float32 weights
    quant = tflite_embed(int8_file, batch)
    ref = small(batch).numpy()
    cos = _cos(quant, ref)
    assert np.all(cos > 0.99)  # measured ≈ 0.9999
    assert not np.allclose(quant, ref, atol=1e-6)  # really quantised: not bit-identical


def test_convert_from_a_keras_model(small, batch, tmp_path):
    path = convert_tflite(small, tmp_path / "direct.tflite", quantize=False)
    np.testing.assert_allclose(tflite_embed(path, batch), small(batch).numpy(), rtol=1e-4, atol=1e-4)


def test_production_report_measures_the_files(small, batch, report):
    table, tmp_path = report
    assert isinstance(table, Table)
    assert table.columns == ("format", "size (MB)", "latency (ms)", "cosine to float32")
    assert table.column("format") == ["SavedModel (float32)", "TF Lite float32", "TF Lite int8 weights"]
    sizes = table.column("size (MB)")
    mb = 1024 * 1024
    assert sizes[0] == pytest.approx(dir_size(tmp_path / "saved_model") / mb)
    assert sizes[1] == pytest.approx(dir_size(tmp_path / "float32.tflite") / mb)
    assert sizes[2] == pytest.approx(dir_size(tmp_path / "int8_weights.tflite") / mb)
    assert sizes[2] < 0.3 * sizes[1]
    assert all(ms > 0 for ms in table.column("latency (ms)"))
    cos = table.column("cosine to float32")
    assert cos[0] == 1.0 and cos[1] == pytest.approx(1.0, abs=1e-5)
    assert 0.99 < cos[2] < 1.0 + 1e-6
    ref = small(batch).numpy()
    assert cos[2] == pytest.approx(float(np.min(_cos(tflite_embed(tmp_path / "int8_weights.tflite", batch), ref))),
                                   abs=1e-4)
    assert "POIDS ALÉATOIRES" in table.title  # conftest sets XAI_COURSE_WEIGHTS=random
    assert "lot de 3" in table.title


def test_report_title_says_random_weights_only_when_they_are(monkeypatch):
    assert "POIDS ALÉATOIRES" in production._report_title("m", 2, 1, 3, 1)  # conftest: random
    monkeypatch.setenv("XAI_COURSE_WEIGHTS", "imagenet")
    title = production._report_title("m", 2, 1, 3, 1)
    assert "ALÉATOIRES" not in title and title.startswith("m : mesuré sur cette machine (2 fils CPU")
    monkeypatch.setenv("XAI_COURSE_LANG", "en")  # the library in English
    title = production._report_title("m", 2, 1, 3, 1)
    assert "RANDOM" not in title and title.startswith("m: measured on this machine (2 CPU threads")


def test_report_uses_the_median(small, batch, monkeypatch):
    ticks = iter(np.cumsum([0.0] + [0.001, 0.0] * 100))  # every call lasts exactly 1 ms
    monkeypatch.setattr(production.time, "perf_counter", lambda: float(next(ticks)))
    ms, _ = production._median_ms(lambda x: x, batch, runs=5, warmup=2)
    assert ms == pytest.approx(1.0)
    durations = iter([0.0, 0.003, 0.0, 0.001, 0.0, 0.100, 0.0, 0.002, 0.0, 0.004])
    clock = [0.0]

    def fake_clock():
        clock[0] += next(durations)
        return clock[0]

    monkeypatch.setattr(production.time, "perf_counter", fake_clock)
    ms, _ = production._median_ms(lambda x: x, batch, runs=5, warmup=0)
    assert ms == pytest.approx(3.0)  # median of 3, 1, 100, 2, 4 ms: an outlier does not count


def test_errors(small, batch, tmp_path):
    flexible = keras.Model(*(lambda i: (i, keras.layers.Conv2D(2, 3)(i)))(keras.Input((None, None, 3))),
                           name="flexible")
    with pytest.raises(ValueError, match="taille fixe"):
        export_saved_model(flexible, tmp_path / "flex")
    with pytest.raises(FileNotFoundError, match="SavedModel"):
        convert_tflite(tmp_path / "nothing", tmp_path / "x.tflite")
    with pytest.raises(FileNotFoundError, match="convert_tflite"):
        tflite_embed(tmp_path / "missing.tflite", batch)
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="existe déjà.*overwrite=True pour remplacer"):
        export_saved_model(small, tmp_path / "taken")
    with pytest.raises(FileExistsError, match="ne remplace qu'un dossier SavedModel"):
        export_saved_model(small, tmp_path / "taken", overwrite=True)  # not a SavedModel: kept
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"
    with pytest.raises(ValueError, match=r"\(n, 32, 32, 3\)"):
        production_report(small, batch[:, :16], runs=1, warmup=0)
    with pytest.raises(ValueError, match="runs"):
        production_report(small, batch, runs=0)
    with pytest.raises(TypeError, match="modèle Keras"):
        export_saved_model(lambda x: x, tmp_path / "f")


def test_tflite_input_shape_error(artefacts, batch):
    _, float_file, _ = artefacts
    with pytest.raises(ValueError, match=r"\(n, 32, 32, 3\)"):
        tflite_embed(float_file, batch[:, :, :, :1])


def test_overwrite_replaces_a_saved_model(small, tmp_path):
    export_saved_model(small, tmp_path / "sm")
    export_saved_model(small, tmp_path / "sm", overwrite=True)
    assert (tmp_path / "sm" / "saved_model.pb").is_file()


@pytest.mark.slow
def test_vgg16_extractor_report(vgg16, tmp_path):
    import helpers
    from helpers.recognizer import embedding_model

    extractor = embedding_model(vgg16)
    _, batch = helpers.load_image(helpers.sample_path("astronaut"))
    table = production_report(extractor, batch, runs=3, warmup=1, workdir=tmp_path)
    saved_mb, float_mb, int8_mb = table.column("size (MB)")
    params_mb = 14_714_688 * 4 / 2**20  # 56.1 MiB of float32 weights
    assert params_mb <= saved_mb < params_mb * 1.02  # each weight once (not twice: 112 MiB)
    assert params_mb * 0.99 < float_mb < params_mb * 1.02  # (equal zero biases are merged)
    assert 0.24 * float_mb < int8_mb < 0.27 * float_mb
    cos = table.column("cosine to float32")
    assert cos[1] > 0.99999 and cos[2] > 0.99  # measured ≈ 0.9996 with random weights
    assert tflite_embed(tmp_path / "int8_weights.tflite", batch).shape == (1, 25088)


def test_min_cosine_is_the_worst_image():
    ref = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    other = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert production._min_cosine(ref, other) == pytest.approx(np.sqrt(0.5))


def test_tflite_steps_write_nothing_on_stderr(tmp_path):
    """nbgrader scores a cell 0 when it writes on stderr: the TF Lite interpreter's
    deprecation warning and its 'XNNPACK delegate' line must stay quiet (fresh process:
    both are printed once per process)."""
    import subprocess
    import sys

    code = (
        "import numpy as np, keras, helpers\n"
        "from helpers.production import production_report\n"
        "i = keras.Input((8, 8, 3)); m = keras.Model(i, keras.layers.Flatten()(keras.layers.Conv2D(4, 3)(i)))\n"
        "import sys; sys.stderr.write('<<START>>'); sys.stderr.flush()\n"
        "production_report(m, np.ones((1, 8, 8, 3), np.float32), runs=1, warmup=1)\n"
        "sys.stderr.write('<<END>>')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    during = result.stderr.split("<<START>>", 1)[1].split("<<END>>", 1)[0]
    assert during == "", during
