"""The clause tables and the prelude, without running nbgrader (fast).

``grading/<assignment>.py`` maps each requirement of a graded function's statement to
the test cell that decides it and to a mistake of the source's solution
(``course.verify.Clause``); ``test_grading.py`` hands every mistake in to a real
``course autograde``. Here: the table is complete and well formed, and the imports the
correction gives a graded cell are the notebook's own, exactly those its statements list.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course import verify

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = {"nbj1": "nbj1_ou_regarde_ia.ipynb", "tp_vgg16": "tp_vgg16.ipynb"}


def _checks(assignment):
    return verify.load_checks((ROOT / "grading" / f"{assignment}.py").read_bytes(), assignment)


def _source(assignment):
    return nbformat.read(ROOT / "source_notebooks" / assignment / NOTEBOOKS[assignment], 4)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_every_clause_has_a_cell_and_a_mistake_of_the_solution(assignment):
    checks = _checks(assignment)
    cells = {check.cell for check in checks.CHECKS}
    solution = verify.graded_cells(_source(assignment), checks.GRADED)
    assert checks.CLAUSES
    for clause in checks.CLAUSES:
        assert clause.function in checks.GRADED, clause
        assert clause.cell in cells, clause
        wrong = verify.mistaken(solution[clause.function], clause)  # the text occurs exactly once
        assert wrong != solution[clause.function]
        compile(wrong, clause.text, "exec")  # a mistake of behaviour, not of syntax
    texts = [(c.function, c.text) for c in checks.CLAUSES]
    assert len(texts) == len(set(texts)), "a clause listed twice"


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_every_test_cell_decides_at_least_one_clause(assignment):
    """A test cell no clause points at would grade nothing the statement asks."""
    checks = _checks(assignment)
    decided = {clause.cell for clause in checks.CLAUSES}
    assert [check.cell for check in checks.CHECKS if check.cell not in decided] == []


def test_a_mistake_that_does_not_apply_once_is_refused():
    clause = verify.Clause("f", "deux fois", "test_f", ("x", "y"))
    with pytest.raises(ValueError, match="once"):
        verify.mistaken("x + x", clause)


@pytest.mark.parametrize("assignment", NOTEBOOKS)
def test_the_statements_list_the_notebooks_own_imports(assignment):
    """The correction's prelude is read from the import cell; every statement that says
    what a graded cell may import lists exactly those imports."""
    notebook = _source(assignment)
    prelude = verify.notebook_prelude(notebook)
    names = verify.imported_names(prelude)
    assert "numpy as np" in names and "helpers" in names
    statements = [c.source for c in notebook.cells if c.cell_type == "markdown" and "imports du carnet" in c.source]
    assert statements
    for text in statements:
        listed = re.search(r"imports du carnet, ceux de sa cellule d'imports \(([^)]*)\)", text)
        assert listed, text[:200]
        assert re.findall(r"`([^`]+)`", listed.group(1)) == names


def test_the_prelude_keeps_imports_and_drops_the_rest():
    notebook = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "imports"}},
                           "source": "%matplotlib inline\nimport os, pathlib\nfrom helpers import plots\n"
                                     "import numpy as np\nprint('hello')\nX = 1\n"}]}
    prelude = verify.notebook_prelude(notebook)
    assert prelude == "import os, pathlib\nfrom helpers import plots\nimport numpy as np\n"
    assert verify.imported_names(prelude) == ["os", "pathlib", "from helpers import plots", "numpy as np"]
    with pytest.raises(ValueError, match="imports"):
        verify.notebook_prelude({"cells": []})
