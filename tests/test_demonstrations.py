"""Demonstration cells are not re-run by autograde (``course.demonstrations``).

Statically: what the source notebooks tag ``demonstration`` is safe to skip (locked,
never graded, and nothing graded reads a name only a demonstration defines). For real:
one submission autograded by ``course autograde`` keeps its demonstration outputs with the
note, is not re-run there, and a ``skip-execution`` tag a student put on a test cell is
ignored.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest

from course.demonstrations import NOTE, SKIP, TAG, demonstration_ids

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(ROOT.glob("source_notebooks/*/*.ipynb"))


def _code(cell) -> str:
    lines = [line for line in "".join(cell["source"]).splitlines() if not line.lstrip().startswith(("%", "!"))]
    return "\n".join(lines)


def _names(code: str) -> tuple[set[str], set[str]]:
    """(names bound, names read) by a cell's code."""
    tree = ast.parse(code)
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return bound, read


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.parent.name)
def test_what_is_tagged_can_be_skipped(path):
    """Every tagged cell is a locked, ungraded code cell; the graded and test cells read no
    name that only demonstrations define."""
    nb = json.loads(path.read_text("utf-8"))
    tagged = [c for c in nb["cells"] if TAG in c["metadata"].get("tags", [])]
    ids = demonstration_ids(nb)
    assert len(tagged) == len(ids) >= 5, "a tagged cell is not a locked, ungraded code cell"
    by_demos, by_others = set(), set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            bound, _ = _names(_code(cell))
            (by_demos if cell in tagged else by_others).update(bound)
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and (meta.get("grade") or meta.get("solution")):
            _, read = _names(_code(cell))
            assert not (read & (by_demos - by_others)), (meta.get("grade_id"), read & by_demos)


def test_a_student_tag_decides_nothing():
    """Cells the submission tags are not what the source tags."""
    nb = {"cells": [{"cell_type": "code", "source": "", "metadata": {
        "tags": [TAG], "nbgrader": {"grade_id": "x", "locked": False, "grade": False, "solution": True}}}]}
    assert demonstration_ids(nb) == set()


@pytest.mark.slow
def test_autograde_keeps_the_students_demonstration_outputs(tmp_path):
    """Real nbgrader: a demonstration cell keeps the student's outputs and the note and is
    not executed; a test cell the student tagged ``skip-execution`` still runs."""
    import grading

    release = grading.generate(tmp_path, "nbj1") / "nbj1_ou_regarde_ia.ipynb"
    from submissions_nbj1 import CORRECT

    nb = grading.answered(release, CORRECT)
    demo = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "p2_demo")
    demo.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ma carte à moi\n")]
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_occlusion_forme")
    test.metadata["tags"] = [SKIP]
    graded = grading.autograde(tmp_path, "nbj1", "nbj1_ou_regarde_ia.ipynb", {"alice": nb})
    assert not grading.lost(graded.scores["alice"]) and not graded.flagged["alice"]
    out = nbformat.reads(graded.results["alice"].files["nbj1_ou_regarde_ia.ipynb"].decode(), 4)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in out.cells}
    texts = ["".join(o.get("text", "")) for o in cells["p2_demo"].outputs]
    assert texts == ["ma carte à moi\n", NOTE]
    assert cells["test_occlusion_forme"].execution_count is not None  # it ran
    assert SKIP not in cells["test_occlusion_forme"].metadata.get("tags", [])
