"""The simulated class of ``course demo`` (and of the workflow tests): what each
student hands in, built from the release the student fetched.

Each student is one situation an instructor meets: the right answer, nothing done, a
partly right answer, a typical mistake, a copy that tries to fool the tests, a file
that is not a notebook any more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Student:
    name: str
    story: str                                   # what this copy is, in a few words
    answers: dict[str, str] = field(default_factory=dict)   # grade_id -> cell source
    edits: dict[str, str] = field(default_factory=dict)     # test cells rewritten by the student
    deleted: tuple[str, ...] = ()                # test cells the student deleted
    broken: bool = False                         # the file is no longer valid JSON
    solution: bool = False                       # hand in the solutions of the source


def solution_of(source_notebook: nbformat.NotebookNode, grade_id: str) -> str:
    """The source's answer to ``grade_id``, as a student would type it (no markers)."""
    cell = _cell(source_notebook, grade_id)
    return "\n".join(line for line in cell.source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def _cell(nb: nbformat.NotebookNode, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell {grade_id!r} in the notebook")


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise ValueError(f"{old!r} is not in the solution any more: update course/submissions.py")
    return text.replace(old, new)


def build(student: Student, release_notebook: Path, source_notebook: Path) -> bytes:
    """The bytes of ``student``'s notebook, starting from the fetched release."""
    if student.broken:
        text = release_notebook.read_text("utf-8")
        return text[: len(text) // 2].encode("utf-8")  # a half-saved file
    nb = nbformat.read(release_notebook, as_version=4)
    source = nbformat.read(source_notebook, as_version=4)
    if student.solution:  # the code and the written answers of the source
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                _cell(nb, meta["grade_id"]).source = solution_of(source, meta["grade_id"])
    for grade_id, text in student.answers.items():
        _cell(nb, grade_id).source = text.strip("\n")
    for grade_id, text in student.edits.items():
        _cell(nb, grade_id).source = text
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") not in student.deleted]
    return nbformat.writes(nb).encode("utf-8")


def nbj1_class(source_notebook: Path) -> list[Student]:
    """Six NBJ1 copies (graded functions: ``occlusion_map`` 10 automatic points,
    ``saliency_map`` 6; the partial copies get the saliency right)."""
    source = nbformat.read(source_notebook, as_version=4)
    right = solution_of(source, "occlusion_map")
    saliency = solution_of(source, "saliency_map")
    grey = _replace(right, "x:x + patch_size] = 0", "x:x + patch_size] = 128")
    tampering = grey + '''

# --- what a student might try to get the points anyway ---
import helpers, helpers.occlusion, helpers.testing, numpy
helpers.occlusion_map = helpers.occlusion.occlusion_map = occlusion_map   # "the reference" is mine
helpers.testing.square_mask = lambda *a, **k: numpy.ones((32, 32), bool)   # "the maximum is on the square"
class _Lenient:                                # np.testing that never complains
    def __getattr__(self, name):
        return getattr(numpy, name)
    class testing:
        @staticmethod
        def assert_allclose(*args, **kwargs):
            return None
np = _Lenient()
print = lambda *args, **kwargs: None
'''
    return [
        Student("ada", "the solution", solution=True),
        Student("blaise", "nothing done (the release as fetched)"),
        Student("carla", "partly right: forgets the min-max normalisation",
                {"occlusion_map": _replace(right, "return (carte - carte.min()) / (carte.max() - carte.min() + 1e-8)",
                                           "return carte"), "saliency_map": saliency}),
        Student("dmitri", "typical mistake: x and y swapped",
                {"occlusion_map": _replace(right, "occultees[i, y:y + patch_size, x:x + patch_size] = 0",
                                           "occultees[i, x:x + patch_size, y:y + patch_size] = 0"),
                 "saliency_map": saliency}),
        Student("eve", "grey patch, then tampering: patches helpers and numpy, edits and deletes tests",
                {"occlusion_map": tampering, "saliency_map": saliency},
                edits={"test_occlusion_forme": "pass", "test_occlusion_carre": "assert True"},
                deleted=("test_occlusion_patch_noir",)),
        Student("fatou", "a half-saved file (not valid JSON)", broken=True),
    ]


def tp_vgg16_class(source_notebook: Path) -> list[Student]:
    """Four TP copies (graded: Grad-CAM, occlusion sensitivity, recognizer; 20 points)."""
    source = nbformat.read(source_notebook, as_version=4)
    gradcam = solution_of(source, "make_gradcam_heatmap")
    recognizer = solution_of(source, "FaceRecognizer")
    return [
        Student("ada", "the solution", solution=True),
        Student("blaise", "nothing done (the release as fetched)"),
        Student("carla", "Grad-CAM without ReLU, recognizer with > instead of >=",
                {"make_gradcam_heatmap": _replace(gradcam, "    carte = tf.nn.relu(carte)\n", ""),
                 "FaceRecognizer": _replace(recognizer, "if s >= self.threshold:", "if s > self.threshold:")}),
        Student("eve", "tampering: replaces helpers' Grad-CAM and the test models",
                {"make_gradcam_heatmap": _replace(gradcam, "    carte = tf.nn.relu(carte)\n", "") + '''

import helpers, helpers.gradcam
helpers.gradcam.make_gradcam_heatmap = make_gradcam_heatmap
'''}, edits={"test_gradcam_relu": "pass"}),
    ]


CLASSES = {"nbj1": nbj1_class, "tp_vgg16": tp_vgg16_class}
