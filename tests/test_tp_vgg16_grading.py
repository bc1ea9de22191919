"""TP VGG16 graded for real: nbgrader generates the assignment, autogrades submissions,
and the gradebook says who earned what.

Correct implementations written differently (a per-position ``model.predict`` loop,
Grad-CAM in NumPy after the tape, a recognizer with explicit cosine formulas) get every
automatic point; the untouched release gets none; each typical mistake loses the points
of the behaviour it breaks. Every autograde runs the whole notebook (VGG16 with random
weights, quick mode), so mistakes in *different* graded functions that break *different*
tests share one submission, and each lost test is asserted.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENT = "tp_vgg16"
NOTEBOOK = "tp_vgg16.ipynb"
TOTAL = 20  # automatic points of the notebook

GRADCAM = '''
def make_gradcam_heatmap(img_array, model, layer_name, pred_index=None):
    grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.output])
    with tf.GradientTape() as tape:
        conv, preds = grad_model(np.asarray(img_array, dtype="float32"))
        if pred_index is None:
            pred_index = np.argmax(preds[0])
        class_score = preds[:, pred_index]
    grads = tape.gradient(class_score, conv).numpy()
    conv = conv.numpy()[0]
    weights = grads.mean(axis=(0, 1, 2))
    heat = np.zeros(conv.shape[:2])
    for k in range(conv.shape[-1]):
        heat += weights[k] * conv[:, :, k]
    heat = np.maximum(heat, 0)
    return heat / (heat.max() + 1e-8)
'''

OCCLUSION = '''
def occlusion_sensitivity(img, model, patch=25, stride=14):
    prep = helpers.get_preprocess(model)
    img = np.array(img, dtype="float32")
    h, w = img.shape[:2]
    p = model.predict(np.asarray(prep(img[None])), verbose=0)[0]
    c = np.argmax(p)
    total = np.zeros((h, w))
    n = np.zeros((h, w))
    for y in range(0, h - patch, stride):
        for x in range(0, w - patch, stride):
            hidden = img.copy()
            hidden[y:y + patch, x:x + patch] = 128
            q = model.predict(np.asarray(prep(hidden[None])), verbose=0)[0]
            total[y:y + patch, x:x + patch] += p[c] - q[c]
            n[y:y + patch, x:x + patch] += 1
    return total / np.maximum(n, 1), float(p[c])
'''

RECOGNIZER = '''
class FaceRecognizer:
    def __init__(self, extractor, threshold=0.5, preprocess=None):
        self.extractor, self.threshold, self.preprocess = extractor, threshold, preprocess
        self.db = {}

    def embed(self, img):
        x = np.array(img, dtype="float32")[np.newaxis]
        if self.preprocess:
            x = self.preprocess(x)
        e = np.array(self.extractor.predict(x, verbose=0)).flatten()
        return e / np.sqrt(np.sum(e ** 2))

    def register(self, name, img):
        self.db[name] = self.embed(img)

    def identify(self, img):
        q = self.embed(img)
        best, best_sim = None, 0.0
        for name, e in self.db.items():
            sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))
            if best is None or sim > best_sim:
                best, best_sim = name, sim
        if best is not None and best_sim >= self.threshold:
            return best, best_sim, "identified"
        return None, best_sim, "rejected"
'''


def mistake(source: str, replace: str, by: str) -> str:
    assert replace in source, replace
    return source.replace(replace, by)


NO_RELU = mistake(GRADCAM, "heat = np.maximum(heat, 0)", "pass")
WRONG_AXES = mistake(GRADCAM, "grads.mean(axis=(0, 1, 2))", "grads.mean(axis=(0, 1))")
WRONG_CLASS = mistake(GRADCAM, "pred_index = np.argmax(preds[0])", "pred_index = 0")
NOT_AVERAGED = mistake(OCCLUSION, "total / np.maximum(n, 1)", "total")
OCCLUDED_ARGMAX = mistake(OCCLUSION, "p[c] - q[c]", "p[c] - q[np.argmax(q)]")
EUCLIDEAN = mistake(RECOGNIZER, "sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))",
                    "sim = float(1 - np.linalg.norm(e - q))")
UNNORMALISED = mistake(RECOGNIZER, "return e / np.sqrt(np.sum(e ** 2))", "return e").replace(
    "sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))", "sim = float(np.dot(e, q))")
STRICT = mistake(RECOGNIZER, "best_sim >= self.threshold", "best_sim > self.threshold")

SUBMISSIONS = {
    # name: ({graded cell: source} replacing the correct alternatives, None for the source
    #        notebook, "release" for the blank release; tests expected to be lost)
    "solution": (None, set()),
    "alternatives": ({}, set()),  # every graded cell: the correct alternatives above
    "blank": ("release", "all"),
    "no_relu+not_averaged+euclidean": (
        {"make_gradcam_heatmap": NO_RELU, "occlusion_sensitivity": NOT_AVERAGED, "FaceRecognizer": EUCLIDEAN},
        {"test_gradcam_relu", "test_occlusion_moyenne", "test_reco_cosinus"}),
    "wrong_axes+occluded_argmax+unnormalised": (
        {"make_gradcam_heatmap": WRONG_AXES, "occlusion_sensitivity": OCCLUDED_ARGMAX,
         "FaceRecognizer": UNNORMALISED},
        {"test_gradcam_autres_couches", "test_occlusion_classe_de_base", "test_reco_normalisation"}),
    "wrong_class+strict_threshold": (
        {"make_gradcam_heatmap": WRONG_CLASS, "FaceRecognizer": STRICT},
        {"test_gradcam_classe_par_defaut", "test_reco_seuil"}),
}


def _env():
    env = dict(os.environ, XAI_COURSE_WEIGHTS="random")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _nbgrader(course: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                            capture_output=True, text=True, timeout=3600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


CORRECT = {"make_gradcam_heatmap": GRADCAM, "occlusion_sensitivity": OCCLUSION, "FaceRecognizer": RECOGNIZER}


def _with_solutions(release: Path, sources: dict) -> nbformat.NotebookNode:
    """The release with every graded cell answered: the correct alternatives, except
    where ``sources`` gives another answer (a mistake)."""
    nb = nbformat.read(release, as_version=4)
    for grade_id, source in {**CORRECT, **sources}.items():
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        cell.source = source.strip("\n")
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "source_notebooks" / ASSIGNMENT, course / "source_notebooks" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("output_figures", ".ipynb_checkpoints"))
    _nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    release = course / "release" / ASSIGNMENT / NOTEBOOK
    for student, (sources, _) in SUBMISSIONS.items():
        folder = course / "submitted" / student.replace("+", "_") / ASSIGNMENT
        folder.mkdir(parents=True)
        if sources is None:
            shutil.copy(course / "source_notebooks" / ASSIGNMENT / NOTEBOOK, folder / NOTEBOOK)
        elif sources == "release":
            shutil.copy(release, folder / NOTEBOOK)
        else:
            nbformat.write(_with_solutions(release, sources), folder / NOTEBOOK)
        (folder / "timestamp.txt").write_text("2026-11-22 10:00:00.000000 UTC")
    _nbgrader(course, "autograde", ASSIGNMENT, "--force")

    from nbgrader.api import Gradebook

    scores = {}
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gradebook:
        for student in SUBMISSIONS:
            notebook = gradebook.find_submission_notebook(NOTEBOOK[:-6], ASSIGNMENT, student.replace("+", "_"))
            scores[student] = {g.name: (g.auto_score, g.max_score) for g in notebook.grades
                               if g.cell.cell_type == "code"}
    return course, release, scores


def test_release_is_the_committed_one(graded):
    """`release/` is generated from the source notebook: a stale copy fails here."""
    _, release, _ = graded
    fresh = nbformat.read(release, as_version=4)
    committed = nbformat.read(ROOT / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], \
        "release/tp_vgg16 is stale: run `nbgrader generate_assignment tp_vgg16 --force` and commit it"
    text = json.dumps(fresh.dict())
    assert "BEGIN HIDDEN TESTS" not in text and "BEGIN SOLUTION" not in text
    assert "compte[compte == 0] = 1" not in text and "np.stack(self.empreintes)" not in text  # solution lines
    assert not any(o for c in fresh.cells if c.cell_type == "code" for o in c.outputs)


def test_the_notebook_has_the_automatic_points(graded):
    _, _, scores = graded
    assert sum(max_score for _, max_score in scores["solution"].values()) == TOTAL


@pytest.mark.parametrize("student", ["solution", "alternatives"])
def test_correct_implementations_get_full_marks(graded, student):
    _, _, scores = graded
    lost = {name for name, (got, top) in scores[student].items() if got != top}
    assert not lost, f"{student} lost {lost}"


def test_blank_release_scores_zero(graded):
    _, _, scores = graded
    assert sum(got for got, _ in scores["blank"].values()) == 0


@pytest.mark.parametrize("student", [s for s, (_, lost) in SUBMISSIONS.items() if isinstance(lost, set) and lost])
def test_each_mistake_loses_its_points(graded, student):
    _, _, scores = graded
    expected = SUBMISSIONS[student][1]
    lost = {name for name, (got, top) in scores[student].items() if got != top}
    assert expected <= lost, f"{student}: expected to lose {expected}, lost {lost}"
    assert sum(got for got, _ in scores[student].values()) < TOTAL
