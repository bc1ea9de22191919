"""Production (SPEC part 4): export, TF Lite quantisation, and MEASURED figures.

The handout quoted figures (model ~528 MB → ~60 MB with INT8, CPU ~200 ms → ~50 ms);
``production_report`` measures them on the student's machine instead:

* sizes on disk: the TensorFlow SavedModel folder, the TF Lite float32 file and the
  TF Lite file with dynamic-range quantisation (weights stored as 8-bit integers,
  ``tf.lite.Optimize.DEFAULT`` without a representative dataset);
* median CPU latency of each over ``runs`` calls after ``warmup`` calls;
* cosine similarity of each output to the float32 SavedModel's output for the same
  input: how much the quantisation changes the embedding.

``export_saved_model`` writes each variable once through ``tf.saved_model.save``.
(Keras 3.15's ``model.export`` stores every variable twice — keras-team/keras#23553 —
so its folder is twice the model's size, which would spoil the measurement.)

``tf.lite`` (``TFLiteConverter``, ``Interpreter``) still ships with TensorFlow 2.21;
its interpreter warns that it moves to the ``ai-edge-litert`` package. The warning
and the runtime's "XNNPACK delegate" line are kept off stderr, which nbgrader scores
as a failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

from . import _checks
from ._quiet import native_stderr_silenced
from .config import settings
from .messages import N_, tr
from .table import Table

import keras  # noqa: E402  (after helpers/__init__ quietened TensorFlow)
import tensorflow as tf  # noqa: E402

#: Name of the output tensor in the exported serving signature.
OUTPUT_NAME = "output"
_MB = 1024 * 1024


# --------------------------------------------------------------------------- helpers
def dir_size(path: str | os.PathLike) -> int:
    """Size on disk of a folder or a file.

    Args:
        path: a folder (its files are summed, recursively) or a file.

    Returns:
        The total size in bytes.
    """
    p = Path(path)
    if p.is_file():
        return p.stat().st_size
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())


def _input_spec(model: keras.Model) -> tf.TensorSpec:
    shape = tuple(model.input_shape) if not isinstance(model.input_shape, list) else None
    if shape is None or len(shape) < 2:
        raise ValueError(tr("{model} must have a single input; its inputs are {inputs}.",
                            model=model.name, inputs=model.input_shape))
    if any(d is None for d in shape[1:]):
        raise ValueError(tr(
            "{model} has input shape {shape}: TF Lite and the measurements need a fixed "
            "size. Export a model with a fixed input, e.g. "
            "helpers.recognizer.embedding_model(vgg16) (224×224).", model=model.name,
            shape=shape))
    return tf.TensorSpec((None,) + tuple(int(d) for d in shape[1:]), tf.float32, name="input")


# --------------------------------------------------------------------------- export
def export_saved_model(model: keras.Model, path: str | os.PathLike, *, overwrite: bool = False) -> Path:
    """Export ``model`` as a TensorFlow SavedModel (for TF Serving, TF Lite, C++).

    The folder holds ``saved_model.pb`` (the graph) and ``variables/`` (each weight
    once); its one signature ``serving_default`` maps ``input`` (n, H, W, C) float32 —
    the already preprocessed batch — to ``output``.

    Args:
        model: a Keras model with a fixed input size (batch size free), e.g.
            ``helpers.recognizer.embedding_model(vgg16)``.
        path: folder to create.
        overwrite: replace an existing SavedModel folder (only a folder that holds a
            ``saved_model.pb``; any other existing path is refused).

    Returns:
        The folder's ``Path``. Its size: ``helpers.production.dir_size(path)``.

    Raises:
        TypeError: ``model`` is not a Keras model, or ``path`` not a path.
        ValueError: a model without a single, fixed-size input.
        FileExistsError: ``path`` exists (and is not a SavedModel to overwrite).
    """
    if not isinstance(model, keras.Model):
        raise TypeError(tr("model must be a Keras model; got {kind}.", kind=type(model).__name__))
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(tr("path must be a folder path; got {kind}.", kind=type(path).__name__))
    out = Path(path)
    spec = _input_spec(model)
    if out.exists():
        if not (overwrite and out.is_dir() and (out / "saved_model.pb").exists()):
            if overwrite:
                raise FileExistsError(tr(
                    "{path!r} already exists. Choose a new folder (overwrite=True only replaces "
                    "a SavedModel folder).", path=str(out)))
            raise FileExistsError(tr(
                "{path!r} already exists. Choose a new folder, or pass overwrite=True to "
                "replace a SavedModel.", path=str(out)))
        shutil.rmtree(out)

    module = tf.Module()
    module.weights = [v.value if hasattr(v, "value") else v for v in model.weights]

    @tf.function(input_signature=[spec])
    def serve(x):
        return {OUTPUT_NAME: model(x, training=False)}

    module.serve = serve
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tf.saved_model.save(module, str(out), signatures={"serving_default": serve})
    return out


def _as_saved_model(source, workdir: Path) -> Path:
    if isinstance(source, keras.Model):
        return export_saved_model(source, workdir / "saved_model")
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(tr("source must be a SavedModel folder or a Keras model; got {kind}.",
                           kind=type(source).__name__))
    folder = Path(source)
    if not (folder / "saved_model.pb").is_file():
        raise FileNotFoundError(tr(
            "{path!r} is not a SavedModel folder (no saved_model.pb): create one with "
            "helpers.production.export_saved_model(model, path).", path=str(folder)))
    return folder


def convert_tflite(source: str | os.PathLike | keras.Model, path: str | os.PathLike,
                   quantize: bool = True) -> Path:
    """Convert a SavedModel (or a Keras model) to a TF Lite flat buffer.

    Args:
        source: a SavedModel folder (``export_saved_model``) or a Keras model (exported
            to a temporary folder first).
        path: the ``.tflite`` file to write (replaced if it exists).
        quantize: ``True``: dynamic-range quantisation — weights stored as 8-bit
            integers (about 4× smaller), activations computed in float
            (``tf.lite.Optimize.DEFAULT``, no representative dataset). ``False``: float32.

    Returns:
        The file's ``Path``.

    Raises:
        TypeError: ``path`` is not a path, or ``source`` neither a folder nor a model.
        IsADirectoryError: ``path`` is a folder.
        FileNotFoundError: ``source`` is not a SavedModel folder.
        RuntimeError: the converter failed (its last error lines are shown).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(tr("path must be a file path; got {kind}.", kind=type(path).__name__))
    out = Path(path)
    if out.is_dir():
        raise IsADirectoryError(tr("{path!r} is a folder; give a file name like 'model.tflite'.",
                                   path=str(out)))
    with tempfile.TemporaryDirectory(prefix="xai_tflite_") as tmp:
        folder = _as_saved_model(source, Path(tmp))
        partial = Path(tmp) / "model.tflite"
        # The converter runs in a child process: its working memory (~0.3 GB for the
        # VGG16 extractor) leaves with it instead of raising a notebook kernel's peak,
        # and its log lines stay out of the notebook's stderr.
        child = subprocess.run(
            [sys.executable, "-c", _CONVERT_SCRIPT, str(folder), str(partial), "1" if quantize else "0"],
            capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
        )
        if child.returncode != 0 or not partial.is_file():
            raise RuntimeError(tr("TF Lite conversion of {path!r} failed:\n{log}",
                                  path=str(folder), log=child.stderr[-2000:]))
        out.write_bytes(partial.read_bytes())
    return out


_CONVERT_SCRIPT = """
import sys, warnings
import tensorflow as tf
folder, out, quantize = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
converter = tf.lite.TFLiteConverter.from_saved_model(folder)
if quantize:
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    flatbuffer = converter.convert()
with open(out, "wb") as handle:
    handle.write(flatbuffer)
"""


# --------------------------------------------------------------------------- running
class _TFLiteRunner:
    """A TF Lite interpreter kept ready for repeated calls (batch size resized on demand)."""

    def __init__(self, path, num_threads: int | None = None):
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(tr(
                "No TF Lite file {path!r}: create it with helpers.production.convert_tflite(...).",
                path=str(p)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "tf.lite.Interpreter is deprecated" (LiteRT)
            self.interpreter = tf.lite.Interpreter(model_path=str(p), num_threads=num_threads)
        self._input = self.interpreter.get_input_details()[0]
        self._output = self.interpreter.get_output_details()[0]
        self._shape = None

    def __call__(self, batch) -> np.ndarray:
        x = np.asarray(batch, dtype=np.float32)
        expected = tuple(int(d) for d in self._input["shape_signature"][1:])
        if x.ndim != len(expected) + 1 or any(e != -1 and e != s for e, s in zip(expected, x.shape[1:])):
            raise ValueError(tr(
                "The TF Lite model takes batches of shape (n, {dims}); got {shape}. Pass the "
                "preprocessed batch (helpers.load_image gives it).",
                dims=", ".join(map(str, expected)), shape=x.shape))
        interp = self.interpreter
        if self._shape != x.shape:
            interp.resize_tensor_input(self._input["index"], list(x.shape))
            with native_stderr_silenced():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU."
                interp.allocate_tensors()
            self._shape = x.shape
        interp.set_tensor(self._input["index"], x)
        interp.invoke()
        return np.array(interp.get_tensor(self._output["index"]), dtype=np.float32)


def tflite_embed(path: str | os.PathLike, batch: ArrayLike) -> np.ndarray:
    """Run a TF Lite model on ``batch`` (one call to the TF Lite interpreter).

    Args:
        path: a ``.tflite`` file (``convert_tflite``).
        batch: float32 (n, H, W, C), preprocessed as the model expects.

    Returns:
        The model's output, float32 (n, ...) — e.g. (n, 25 088) embeddings.

    Raises:
        FileNotFoundError: no such ``.tflite`` file.
        ValueError: a batch whose shape the model does not take.
    """
    return _TFLiteRunner(path)(batch)


def _median_ms(fn, x, runs: int, warmup: int) -> tuple[float, np.ndarray]:
    out = None
    for _ in range(warmup):
        out = fn(x)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = fn(x)
        times.append(time.perf_counter() - start)
    return 1000.0 * statistics.median(times), out


def _min_cosine(reference: np.ndarray, other: np.ndarray) -> float:
    a = reference.reshape(len(reference), -1).astype(np.float64)
    b = other.reshape(len(other), -1).astype(np.float64)
    denom = np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)
    cos = np.where(denom > 0, np.sum(a * b, axis=1) / np.where(denom > 0, denom, 1.0), 0.0)
    return float(np.min(cos))


def production_report(model: keras.Model, image_batch: ArrayLike, *, runs: int = 20,
                      warmup: int = 3, workdir: str | os.PathLike | None = None) -> Table:
    """Export, convert, and measure: the handout's production table, measured here.

    Args:
        model: Keras model with a fixed input size, e.g.
            ``helpers.recognizer.embedding_model(vgg16)``.
        image_batch: float32 (n, H, W, C): the preprocessed input the model takes
            (``helpers.load_image(path)[1]``).
        runs: timed calls per format (the median is reported).
        warmup: untimed calls first (graph tracing, memory allocation, caches).
        workdir: folder to keep the artefacts in (``saved_model/``, ``float32.tflite``,
            ``int8_weights.tflite``); default a temporary folder, deleted afterwards.

    Returns:
        A ``Table`` with one row per format — ``"SavedModel (float32)"``,
        ``"TF Lite float32"``, ``"TF Lite int8 weights"`` — and the columns
        ``"format"``, ``"size (MB)"`` (measured on disk, MB = 2**20 bytes),
        ``"latency (ms)"`` (median CPU time of one call on the whole batch) and
        ``"cosine to float32"`` (worst image of the batch, against the SavedModel).
        With random weights (``XAI_COURSE_WEIGHTS=random``) the title says that sizes
        and latencies are real but the outputs are not.

    Raises:
        TypeError: ``model`` is not a Keras model.
        ValueError: bad ``runs``/``warmup``, a model without a fixed-size input, or an
            ``image_batch`` of the wrong shape, empty or not finite.
    """
    runs = _checks.positive_int(runs, "runs")
    if isinstance(warmup, bool) or not isinstance(warmup, int) or warmup < 0:
        raise ValueError(tr("warmup must be an integer >= 0; got {value!r}.", value=warmup))
    if not isinstance(model, keras.Model):
        raise TypeError(tr("model must be a Keras model; got {kind}.", kind=type(model).__name__))
    spec = _input_spec(model)
    x = np.asarray(image_batch, dtype=np.float32)
    if x.ndim != len(spec.shape) or tuple(x.shape[1:]) != tuple(spec.shape[1:]):
        raise ValueError(tr(
            "image_batch must have shape (n, {dims}) for {model}; got {shape}. Pass the "
            "preprocessed batch (helpers.load_image).", dims=", ".join(map(str, spec.shape[1:])),
            model=model.name, shape=x.shape))
    if len(x) == 0 or not np.all(np.isfinite(x)):
        raise ValueError(tr("image_batch is empty or holds NaN/infinite values."))

    with contextlib.ExitStack() as stack:
        if workdir is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="xai_prod_")))
        else:
            folder = Path(workdir)
            folder.mkdir(parents=True, exist_ok=True)
        saved = export_saved_model(model, folder / "saved_model", overwrite=True)
        float_file = convert_tflite(saved, folder / "float32.tflite", quantize=False)
        int8_file = convert_tflite(saved, folder / "int8_weights.tflite", quantize=True)

        loaded = tf.saved_model.load(str(saved))
        signature = loaded.signatures["serving_default"]

        def run_saved(batch):
            return signature(input=tf.constant(batch))[OUTPUT_NAME].numpy()

        threads = os.cpu_count() or 1
        float_runner = _TFLiteRunner(float_file, num_threads=threads)
        int8_runner = _TFLiteRunner(int8_file, num_threads=threads)
        saved_ms, reference = _median_ms(run_saved, x, runs, warmup)
        float_ms, float_out = _median_ms(float_runner, x, runs, warmup)
        int8_ms, int8_out = _median_ms(int8_runner, x, runs, warmup)
        rows = [
            (N_("SavedModel (float32)"), dir_size(saved) / _MB, saved_ms, 1.0),
            (N_("TF Lite float32"), dir_size(float_file) / _MB, float_ms, _min_cosine(reference, float_out)),
            (N_("TF Lite int8 weights"), dir_size(int8_file) / _MB, int8_ms, _min_cosine(reference, int8_out)),
        ]
        del loaded, signature, float_runner, int8_runner

    return Table([N_("format"), N_("size (MB)"), N_("latency (ms)"), N_("cosine to float32")], rows,
                 title=_report_title(model.name, threads, len(x), runs, warmup), floatfmt=".4f")


def _report_title(name: str, threads: int, batch: int, runs: int, warmup: int) -> str:
    title = tr("{model}: measured on this machine ({threads} CPU threads, batch of {batch}, "
               "median of {runs} runs after {warmup} warm-up calls)",
               model=name, threads=threads, batch=batch, runs=runs, warmup=warmup)
    if settings().weights == "random":
        title += tr(" — RANDOM WEIGHTS: sizes and latencies are real, the outputs (and so the "
                    "cosine) are not those of the trained network")
    return title
