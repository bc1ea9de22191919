"""NBJ1's notebook read as a teacher signs it: answer keys, editable cells, graded cells
and credits, from the source and the committed release (no kernel, no model).

* Each of the 13 written answers of the source holds a model answer and a marking scheme
  (« Corrigé », « Barème (N pt) » with N the cell's points); the release shows the stub.
* The cells the statements tell students to edit (their photo, the occlusion square and
  stride, SmoothGrad's noise and copies) are plain cells, editable but not deletable in the
  source and the release, and what they set is not set again in a locked cell; the other code cells that
  are not answers stay locked.
* Both graded functions have their test cells, and ``grading/nbj1.py`` checks exactly
  those cells.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "source_notebooks" / "nbj1" / "nbj1_ou_regarde_ia.ipynb"
RELEASE = ROOT / "release" / "nbj1" / "nbj1_ou_regarde_ia.ipynb"
STUB = "VOTRE RÉPONSE ICI"  # nbgrader_config.py: ClearSolutions.text_stub

# cell id -> what the statement before it tells students to change there
EDITABLE = {
    "p1-photo": ("PHOTO = ",),               # « remplacez helpers.sample_path("chelsea") »
    "p2-occ-reglages": ("COTE, PAS = ",),    # « essayez d'autres valeurs »
    "p4-sg-reglages": ("BRUIT, N_COPIES = ",),  # « essayez BRUIT = 0, puis un bruit très fort »
}


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _manual_answers(nb) -> list:
    return [c for c in nb.cells if _meta(c).get("solution") and _meta(c).get("grade")]


def test_every_written_answer_has_a_key_worth_its_points():
    answers = _manual_answers(nbformat.read(SOURCE, 4))
    assert len(answers) == 13 and sum(_meta(c)["points"] for c in answers) == 14
    for cell in answers:
        grade_id = _meta(cell)["grade_id"]
        assert cell.cell_type == "markdown", grade_id
        text = cell.source
        assert text.startswith("**Corrigé.** ") and STUB not in text, grade_id
        scheme = re.findall(r"^\*\*Barème \((\d+(?:,\d+)?) pt\)\.\*\* ", text, re.MULTILINE)
        assert len(scheme) == 1, grade_id
        assert float(scheme[0].replace(",", ".")) == _meta(cell)["points"], grade_id
        # how the points split: each part worth at most the cell's points
        parts = [float(p.replace(",", ".")) for p in re.findall(r"(\d+(?:,\d+)?) pt : ", text.split("**Barème", 1)[1])]
        assert parts and max(parts) <= _meta(cell)["points"], grade_id


def test_the_release_shows_only_the_stub():
    text = RELEASE.read_text("utf-8")
    assert "Corrigé" not in text and "Barème" not in text
    assert "### BEGIN SOLUTION" not in text and "carte = np.abs(gradient).max(axis=-1)" not in text
    answers = _manual_answers(nbformat.read(RELEASE, 4))
    assert len(answers) == 13 and all(c.source == STUB for c in answers)


@pytest.mark.parametrize("path", [SOURCE, RELEASE], ids=["source", "release"])
def test_cells_the_statements_ask_to_edit_are_editable(path):
    nb = nbformat.read(path, 4)
    by_id = {c.get("id"): i for i, c in enumerate(nb.cells)}
    for cell_id, assignments in EDITABLE.items():
        cell = nb.cells[by_id[cell_id]]
        assert cell.cell_type == "code" and not _meta(cell).get("locked"), cell_id
        # editable, but not deletable: later locked cells read what it sets (JupyterLab honours it)
        assert cell.metadata.get("editable", True) and cell.metadata.get("deletable") is False, cell_id
        assert all(a in cell.source for a in assignments) and "✏️ Cellule modifiable" in cell.source, cell_id
        statement = next(c for c in reversed(nb.cells[:by_id[cell_id]]) if c.cell_type == "markdown")
        assert "modifiable" in statement.source, cell_id
        for other in nb.cells:  # what the student sets there is not set again in a locked cell
            if other is not cell and other.cell_type == "code":
                assert not any(re.search(rf"^{re.escape(a)}", other.source, re.MULTILINE)
                               for a in assignments), (cell_id, other.source[:60])
    # every other code cell is locked (read-only in the release) or is an answer
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("id") not in EDITABLE:
            assert _meta(cell).get("locked") or _meta(cell).get("solution") or _meta(cell).get("grade"), cell.source[:60]
            if path == RELEASE and not _meta(cell).get("solution"):
                assert cell.metadata.get("editable") is False, cell.source[:60]
    # every statement inviting an edit is followed by an editable cell
    for i, cell in enumerate(nb.cells[:-1]):
        if cell.cell_type == "markdown" and re.search(r"modifiez la cellule|cellule modifiable|[Ee]ssayez", cell.source):
            following = [c for c in nb.cells[i + 1:] if c.cell_type == "code"]
            assert following and any(c.get("id") in EDITABLE for c in following[:2]), cell.source[:80]


def test_graded_functions_and_their_checks():
    """Students write ``occlusion_map`` and ``saliency_map`` (the saliency tape is theirs:
    no cell calls ``helpers.saliency_map`` before their function exists); the grading
    module checks exactly the notebook's test cells, with their points."""
    nb = nbformat.read(SOURCE, 4)
    spec = importlib.util.spec_from_file_location("grading_nbj1", ROOT / "grading" / "nbj1.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    solutions = [_meta(c)["grade_id"] for c in nb.cells if _meta(c).get("solution") and c.cell_type == "code"]
    assert solutions == checks.GRADED == ["occlusion_map", "saliency_map"]
    tests = {_meta(c)["grade_id"]: _meta(c)["points"] for c in nb.cells
             if _meta(c).get("grade") and not _meta(c).get("solution")}
    assert list(tests) == [check.cell for check in checks.CHECKS]
    assert sum(tests.values()) == 16
    assert sum(p for name, p in tests.items() if name.startswith("test_saillance")) == 6
    text = "\n".join(c.source for c in nb.cells)
    assert "with tf.GradientTape() as ruban:" in text
    first = min(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "helpers.saliency_map(" in c.source)
    graded = next(i for i, c in enumerate(nb.cells) if _meta(c).get("grade_id") == "saliency_map")
    assert first > graded
    demo = next(c for c in nb.cells if _meta(c).get("grade_id") == "p3_demo")
    assert "carte_saillance = saliency_map(modele, lot)" in demo.source


def test_the_notebook_ends_with_its_credits():
    last = nbformat.read(SOURCE, 4).cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Crédits")
    assert "Christie Vassilian" in last.source and "CC BY-NC-ND 4.0" in last.source
    assert "sont les nôtres" in last.source
