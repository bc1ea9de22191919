"""Answer keys: graders read them next to each written answer, students never do.

The source notebook's manually graded answer cells (nbgrader ``solution`` and ``grade``)
hold the model answer and the marking scheme (« Corrigé » / « Barème »); nbgrader's
release replaces each of them by the stub. After ``course autograde``, the autograded
notebook gets, right after each such answer cell, a markdown cell holding the key of the
same ``grade_id`` taken from the source (:func:`insert_keys`): formgrader shows it to
whoever grades the answer. The cell has no nbgrader metadata (nbgrader grades, checksums
and matches nothing by it) and is marked ``{"course": {"answer_key": grade_id}}``.

``nbgrader generate_feedback`` (and so ``course feedback`` and formgrader's feedback
button) drops the marked cells through :class:`StripAnswerKeys`, registered in the
course's ``nbgrader_config.py``; ``course feedback --with-answer-keys`` keeps them.
"""

from __future__ import annotations

import json

from nbgrader.preprocessors import NbGraderPreprocessor

MARK = "answer_key"
HEADING = "Corrigé et barème — visible des correcteurs"


def is_key(cell: dict) -> bool:
    """Whether ``cell`` is an answer-key cell inserted by :func:`insert_keys`."""
    course = cell.get("metadata", {}).get("course")
    return isinstance(course, dict) and MARK in course


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _manual_answer_id(cell: dict) -> str | None:
    """The ``grade_id`` of a manually graded answer cell (solution and grade), else None."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    if meta.get("solution") and meta.get("grade") and meta.get("grade_id"):
        return str(meta["grade_id"])
    return None


def keys_of(source_notebook: dict) -> dict[str, str]:
    """``{grade_id: key}`` of the source notebook's manually graded answer cells (markdown
    as written; code in a fenced block). Cells left empty or holding a stub give none."""
    keys = {}
    for cell in source_notebook.get("cells", []):
        grade_id = _manual_answer_id(cell)
        text = _text(cell).strip()
        if grade_id is None or not text or text in ("VOTRE RÉPONSE ICI", "YOUR ANSWER HERE"):
            continue
        keys[grade_id] = text if cell.get("cell_type") == "markdown" else f"```python\n{text}\n```"
    return keys


def key_cell(grade_id: str, key: str) -> dict:
    """The markdown cell showing ``key`` to graders (no nbgrader metadata)."""
    quoted = "\n".join(f"> {line}" if line else ">" for line in key.splitlines())
    return {"cell_type": "markdown", "metadata": {"course": {MARK: grade_id}},
            "source": f"#### 🔒 {HEADING} (`{grade_id}`)\n\n{quoted}\n\n"
                      "*Cellule ajoutée après la notation automatique ; retirée du retour aux élèves.*"}


def insert_keys(notebook: bytes, source_notebook: bytes) -> bytes:
    """The autograded ``notebook`` with the source's key after each manually graded answer.

    Key cells already there (a student's forgery, an earlier run) are dropped first; a
    key whose answer cell is missing goes at the end, so graders still see it.
    """
    nb = json.loads(notebook)
    keys = keys_of(json.loads(source_notebook))
    cells, placed = [], set()
    for cell in nb.get("cells", []):
        if is_key(cell):
            continue
        cells.append(cell)
        grade_id = _manual_answer_id(cell)
        if grade_id in keys and grade_id not in placed:
            cells.append(key_cell(grade_id, keys[grade_id]))
            placed.add(grade_id)
    cells += [key_cell(g, k) for g, k in keys.items() if g not in placed]
    if nb.get("nbformat", 4) >= 4 and nb.get("nbformat_minor", 0) >= 5:
        used = {c.get("id") for c in cells}
        for cell in cells:
            if is_key(cell) and "id" not in cell:
                cell["id"] = _free_id("corrige-" + cell["metadata"]["course"][MARK], used)
    nb["cells"] = cells
    return json.dumps(nb, ensure_ascii=False, indent=1).encode("utf-8")


def _free_id(wanted: str, used: set) -> str:
    base = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in wanted)[:56] or "corrige"
    name, n = base, 1
    while name in used:
        n += 1
        name = f"{base}-{n}"
    used.add(name)
    return name


class StripAnswerKeys(NbGraderPreprocessor):
    """Drops the answer-key cells (:func:`insert_keys`) from what students receive.

    Registered in ``nbgrader_config.py``::

        c.GenerateFeedback.preprocessors.prepend([StripAnswerKeys])

    ``--StripAnswerKeys.enabled=False`` (``course feedback --with-answer-keys``) keeps them.
    """

    def preprocess(self, nb, resources):
        nb.cells = [cell for cell in nb.cells if not is_key(cell)]
        return nb, resources
