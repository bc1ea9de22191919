"""Answer keys and editable cells of the practicals, read from the notebooks themselves.

* Each written answer of the TP's source holds a model answer and a marking scheme
  (« Corrigé », « Barème (N pt) » with N the cell's points); the release shows only the
  stub; the autograded copy gets the key after the answer (``course.answer_keys``), the
  feedback drops it. The real nbgrader round is ``test_course.py``'s
  ``test_graders_see_the_answer_keys_students_do_not``.
* The cells the statements tell students to edit (their photo, the occlusion square,
  their two photos for a genuine match) are not locked, in the source and the release.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from course.answer_keys import HEADING, StripAnswerKeys, insert_keys, is_key, keys_of

ROOT = Path(__file__).resolve().parents[1]
TP_SOURCE = ROOT / "source_notebooks" / "tp_vgg16" / "tp_vgg16.ipynb"
TP_RELEASE = ROOT / "release" / "tp_vgg16" / "tp_vgg16.ipynb"
RELEASES = sorted((ROOT / "release").glob("*/*.ipynb"))
STUB = "VOTRE RÉPONSE ICI"  # nbgrader_config.py: ClearSolutions.text_stub


def _meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def _manual_answers(nb) -> list:
    return [c for c in nb.cells if _meta(c).get("solution") and _meta(c).get("grade")]


# --------------------------------------------------------------------------- the keys
def test_every_written_answer_of_the_tp_has_a_key_worth_its_points():
    nb = nbformat.read(TP_SOURCE, 4)
    answers = _manual_answers(nb)
    assert len(answers) == 10 and sum(_meta(c)["points"] for c in answers) == 18
    for cell in answers:
        assert cell.cell_type == "markdown", _meta(cell)["grade_id"]
        text = cell.source
        assert text.startswith("**Corrigé.** ") and STUB not in text, _meta(cell)["grade_id"]
        scheme = re.findall(r"^\*\*Barème \((\d+(?:,\d+)?) pt\)\.\*\* ", text, re.MULTILINE)
        assert len(scheme) == 1, _meta(cell)["grade_id"]
        assert float(scheme[0].replace(",", ".")) == _meta(cell)["points"], _meta(cell)["grade_id"]
        assert re.search(r"\d+(?:,\d+)? pt : ", text.split("**Barème", 1)[1]), _meta(cell)["grade_id"]


def test_grade_ids_are_unique_and_the_points_unchanged():
    nb = nbformat.read(TP_SOURCE, 4)
    ids = [_meta(c)["grade_id"] for c in nb.cells if _meta(c)]
    assert len(ids) == len(set(ids))
    automatic = sum(_meta(c)["points"] for c in nb.cells
                    if _meta(c).get("grade") and not _meta(c).get("solution"))
    assert automatic == 20  # README: 20 automatic / 18 manual points


@pytest.mark.parametrize("release", RELEASES, ids=[p.parent.name for p in RELEASES])
def test_the_release_shows_only_the_stub(release):
    """nbgrader's ClearSolutions replaces each written answer (a solution markdown cell
    without delimiters) by the stub: no key reaches students."""
    text = release.read_text("utf-8")
    assert "Corrigé" not in text and "Barème" not in text
    nb = nbformat.read(release, 4)
    answers = _manual_answers(nb)
    assert answers and all(c.source == STUB for c in answers)


def test_the_tp_ends_with_its_credits():
    last = nbformat.read(TP_SOURCE, 4).cells[-1]
    assert last.cell_type == "markdown" and last.source.startswith("## Crédits")
    assert "Nagpal, Singh, Singh & Vatsa" in last.source and "Pchambet/cnn-explainability-workshop" in last.source
    assert "Master TRIED" in last.source and "Apache-2.0" in last.source


# --------------------------------------------------------------------------- course.answer_keys
def _nb(*cells) -> bytes:
    return json.dumps({"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def _answer(grade_id, text, cell_type="markdown"):
    return {"cell_type": cell_type, "id": grade_id, "source": text, "metadata": {"nbgrader": {
        "grade_id": grade_id, "solution": True, "grade": True, "locked": False, "points": 1,
        "schema_version": 3}}, **({"outputs": [], "execution_count": None} if cell_type == "code" else {})}


def test_keys_follow_their_answers_and_forged_keys_are_dropped():
    source = _nb(_answer("q1", "**Corrigé.** Oui.\n\n**Barème (1 pt).** 1 pt : oui."),
                 _answer("q2", STUB), _answer("q3", "return 3", "code"), _answer("q4", "Gone."))
    forged = {"cell_type": "markdown", "id": "x", "source": "**Corrigé.** Moi.",
              "metadata": {"course": {"answer_key": "q1"}}}
    graded = _nb(_answer("q2", "ma réponse"), forged, _answer("q1", "ma réponse"), _answer("q3", "return 4", "code"))
    assert set(keys_of(json.loads(source))) == {"q1", "q3", "q4"}  # a stub is no key
    cells = json.loads(insert_keys(graded, source))["cells"]
    kinds = [(c["metadata"].get("nbgrader", {}).get("grade_id"), c["metadata"].get("course")) for c in cells]
    assert kinds == [("q2", None), ("q1", None), (None, {"answer_key": "q1"}),
                     ("q3", None), (None, {"answer_key": "q3"}), (None, {"answer_key": "q4"})]
    assert "Moi." not in json.dumps(cells) and HEADING in cells[2]["source"]
    assert "> **Barème (1 pt).** 1 pt : oui." in cells[2]["source"] and "```python\n> return 3" in cells[4]["source"]
    assert cells[1]["source"] == "ma réponse"  # the student's answer is untouched
    assert len({c["id"] for c in cells}) == len(cells)
    nbformat.validate(nbformat.reads(insert_keys(graded, source).decode(), 4))
    again = insert_keys(insert_keys(graded, source), source)  # idempotent
    assert again == insert_keys(graded, source)


def test_the_feedback_preprocessor_strips_the_keys():
    source = _nb(_answer("q1", "**Corrigé.** Oui."))
    nb = nbformat.reads(insert_keys(_nb(_answer("q1", "non")), source).decode(), 4)
    assert sum(map(is_key, nb.cells)) == 1
    stripped, _ = StripAnswerKeys()(nb, {})
    assert [c.source for c in stripped.cells] == ["non"]
    kept, _ = StripAnswerKeys(enabled=False)(nbformat.reads(insert_keys(_nb(_answer("q1", "non")), source).decode(), 4), {})
    assert len(kept.cells) == 2


# --------------------------------------------------------------------------- editable cells
# cell id -> what the statement before it tells students to change there
EDITABLE = {
    "p0-photo": ("PHOTO = ", "NOM = "),        # « remplacez helpers.sample_path("astronaut") »
    "p2-occ-reglages": ("CARRE, PAS_OCC = ",),  # « essayez d'autres valeurs »
    "p3-mes-photos": ("MES_PHOTOS = ",),        # « indiquez leurs chemins »
}


@pytest.mark.parametrize("path", [TP_SOURCE, TP_RELEASE], ids=["source", "release"])
def test_cells_the_statements_ask_to_edit_are_editable(path):
    nb = nbformat.read(path, 4)
    by_id = {c.get("id"): i for i, c in enumerate(nb.cells)}
    for cell_id, assignments in EDITABLE.items():
        cell = nb.cells[by_id[cell_id]]
        assert cell.cell_type == "code", cell_id
        assert not _meta(cell).get("locked") and not _meta(cell).get("grade"), cell_id
        # editable, but not deletable: later locked cells read what it assigns
        assert cell.metadata.get("editable", True) and cell.metadata.get("deletable") is False, cell_id
        assert all(a in cell.source for a in assignments), cell_id
        statement = next(c for c in reversed(nb.cells[:by_id[cell_id]]) if c.cell_type == "markdown")
        assert "modifiable" in statement.source, cell_id
        # what the student edits there is not assigned again in a locked cell
        for other in nb.cells:
            if other is not cell and other.cell_type == "code":
                assert not any(re.search(rf"^{re.escape(a)}", other.source, re.MULTILINE)
                               for a in assignments), (cell_id, other.source[:60])
    # every statement inviting an edit is followed by an editable cell
    for i, cell in enumerate(nb.cells[:-1]):
        if cell.cell_type == "markdown" and re.search(r"cellule (suivante|modifiable)", cell.source):
            following = [c for c in nb.cells[i + 1:] if c.cell_type == "code"]
            assert following and any(c.get("id") in EDITABLE for c in following[:2]), cell.source[:80]
