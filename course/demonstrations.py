"""Demonstrations are not re-run by ``nbgrader autograde``.

A practical's notebook interleaves what is graded (the student's functions and the test
cells, which only call ``helpers.testing``'s small known-answer models) with
*demonstrations*: the student's function on their photo, VGG16 or MobileNetV2 loaded and
run, tables, widgets. No grade depends on them, yet re-running them was most of the cost
of grading a submission (measured in ``benchmarks/grading_profile.py``).

The source notebook tags each such cell ``demonstration`` (locked cells, never a grade or
solution cell). When a submission is autograded:

* :class:`KeepDemonstrationOutputs` (first of nbgrader's sanitizing steps) sets aside the
  outputs the student's own run left in those cells;
* :class:`SkipDemonstrations` (last sanitizing step) restores them, followed by a line
  saying they were not re-run, and tags the cells ``skip-execution``, which nbgrader's
  executor (nbclient) leaves alone. A ``skip-execution`` tag put anywhere else by a
  student is removed first.

Which cells are demonstrations is read from the instructor's **source** notebook, never
from the submission: a student who tags a cell gains nothing. Graders thus see, next to
each written answer, the figures and tables the student wrote it from. Registered in the
course's ``nbgrader_config.py``; ``--SkipDemonstrations.enabled=False`` re-runs
everything.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat import NotebookNode
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor

TAG = "demonstration"          # in the source notebook
SKIP = "skip-execution"         # nbclient's tag for a cell it must not run
_KEPT = "course_demonstration_outputs"
NOTE = ("[Démonstration non ré-exécutée pendant la notation automatique (elle ne compte "
        "pas dans la note) : sorties de la copie rendue.]\n")


def demonstration_ids(notebook: dict) -> set[str]:
    """The ``grade_id`` of every cell the source ``notebook`` tags as a demonstration: a
    locked code cell that is neither graded nor a solution (others are ignored)."""
    found = set()
    for cell in notebook.get("cells", []):
        meta = cell.get("metadata", {})
        grader = meta.get("nbgrader", {})
        if (TAG in meta.get("tags", []) and cell.get("cell_type") == "code" and grader.get("locked")
                and not grader.get("grade") and not grader.get("solution") and grader.get("grade_id")):
            found.add(str(grader["grade_id"]))
    return found


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def source_notebook(config, resources: dict) -> dict:
    """The instructor's source notebook of the notebook nbgrader is processing, as JSON.

    What a step decides from the source (which cells are demonstrations, which are
    private) never comes from the submission.

    Args:
        config: the preprocessor's nbgrader configuration.
        resources: nbgrader's resources (assignment and notebook names).

    Returns:
        The source notebook, or an empty one when there is none.
    """
    info = resources.get("nbgrader", {})
    coursedir = CourseDirectory(config=config)
    folder = Path(coursedir.format_path(coursedir.source_directory, ".", info.get("assignment", "")))
    source = folder / f"{info.get('notebook', '')}.ipynb"
    return json.loads(source.read_text("utf-8")) if source.is_file() else {"cells": []}


class _FromSource(NbGraderPreprocessor):
    def _demonstrations(self, resources: dict) -> set[str]:
        return demonstration_ids(source_notebook(self.config, resources))


class KeepDemonstrationOutputs(_FromSource):
    """Sets aside the submitted outputs of the source's demonstration cells (before
    nbgrader's ``ClearOutput``)."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        ids = self._demonstrations(resources)
        resources[_KEPT] = {_grade_id(c): list(c.get("outputs", [])) for c in nb.cells
                            if c.cell_type == "code" and _grade_id(c) in ids}
        return nb, resources


class SkipDemonstrations(_FromSource):
    """Tags the demonstration cells ``skip-execution`` (removing the tag from any other
    cell) and gives them back their submitted outputs and a note."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        ids = self._demonstrations(resources)
        kept = resources.get(_KEPT, {})  # (nbgrader may apply a step twice: stay idempotent)
        for cell in nb.cells:
            tags = [t for t in cell.get("metadata", {}).get("tags", []) if t != SKIP]
            if cell.cell_type == "code" and _grade_id(cell) in ids:
                tags.append(SKIP)
                cell.outputs = [*kept.get(_grade_id(cell), []),
                                new_output("stream", name="stdout", text=NOTE)]
            if tags or "tags" in cell.get("metadata", {}):
                cell.metadata["tags"] = tags
        return nb, resources
