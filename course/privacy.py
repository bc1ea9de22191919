"""A student's own photos never travel with the notebook they hand in.

The TP lets students try the recognizer on their own face (optional, announced by a
notice in the notebook). The cells whose outputs can show such a photo, or a figure
computed from it, are tagged ``donnees-personnelles`` (:data:`PRIVATE_TAG`)
in the source notebook, and draw through ``helpers.private_output()``. Three nbgrader
steps, registered in the course's ``nbgrader_config.py``, make sure none of it is kept:

* :class:`PrivateSubmit` — ``nbgrader submit`` (the exchange's submit step, on the
  student's server) hands in a copy whose tagged cells' outputs and saved widget state
  are replaced by a placeholder, and leaves image files out of the submission. On a hub,
  the same line goes in the students' system-wide ``nbgrader_config.py``.
* :class:`StripPrivateOutputs` — ``course autograde`` (the first sanitizing step) strips
  the same outputs from a submission that arrived another way (collected by hand, from
  Colab), before anything is graded or stored: the autograded notebook, the gradebook's
  copy and the feedback never hold them. The tagged cells are read from the
  instructor's source notebook, plus any the student tagged.
* :class:`ClearRunState` — ``course release``: the student version carries nothing of
  the instructor's run (saved widget state, execution timestamps).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.preprocessors import NbGraderPreprocessor

from .demonstrations import source_notebook

#: Tag of the cells whose outputs may show a student's own photos (cell metadata ``tags``).
PRIVATE_TAG = "donnees-personnelles"

#: What the submission, the grader and the feedback show instead of those outputs.
PLACEHOLDER = ("🔒 Sortie non rendue : elle montrait des photos personnelles de l'étudiant·e "
               "ou des figures calculées à partir d'elles (données biométriques, RGPD art. 9), "
               "qui restent sur sa machine.")

#: Files left out of a submission, since photos have no place in what is handed in
#: (the practicals' own pictures ship with the course package).
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".heic",
                            ".heif", ".tif", ".tiff"})


#: The line of a students' ``nbgrader_config.py`` (on a hub: the system-wide
#: ``/etc/jupyter/nbgrader_config.py`` of the students' image) that makes their
#: ``nbgrader submit`` hand in a copy without private outputs.
STUDENT_CONFIG = 'c.ExchangeFactory.submit = "course.privacy.PrivateSubmit"\n'


def private_ids(source: dict) -> set[str]:
    """``grade_id`` of the cells of a source notebook tagged :data:`PRIVATE_TAG`.

    Args:
        source: the source notebook, as JSON.

    Returns:
        The ids (cells without one cannot be matched in a submission and are skipped).
    """
    found = set()
    for cell in source.get("cells", []):
        meta = cell.get("metadata", {})
        grade_id = meta.get("nbgrader", {}).get("grade_id")
        if PRIVATE_TAG in meta.get("tags", []) and grade_id:
            found.add(str(grade_id))
    return found


def strip_private(notebook: NotebookNode) -> tuple[NotebookNode, int]:
    """A copy of ``notebook`` without what may show a student's own photos.

    The outputs of the cells tagged :data:`PRIVATE_TAG` become one placeholder output,
    and the saved widget state (``metadata.widgets``, where Colab and JupyterLab keep the
    panels' pictures) is removed. Sources, nbgrader's metadata and every other output
    are kept, so grading is unaffected; stripping twice changes nothing more.

    Args:
        notebook: an ``nbformat`` notebook (version 4); not modified.

    Returns:
        ``(stripped copy, number of outputs and widget states removed)``.
    """
    stripped = copy.deepcopy(notebook)
    removed = 0
    if "widgets" in stripped.metadata:
        del stripped.metadata["widgets"]
        removed += 1
    for cell in stripped.cells:
        if cell.cell_type != "code" or PRIVATE_TAG not in cell.metadata.get("tags", ()):
            continue
        kept = [o for o in cell.outputs if o.get("data", {}).get("text/plain") == PLACEHOLDER]
        removed += len(cell.outputs) - len(kept)
        if len(cell.outputs) > len(kept):
            cell.outputs = [nbformat.v4.new_output(
                "display_data", data={"text/plain": PLACEHOLDER, "text/markdown": PLACEHOLDER})]
    return stripped, removed


def strip_notebook_file(path: Path) -> int:
    """Strip a notebook file in place (see :func:`strip_private`).

    Args:
        path: an ``.ipynb`` file.

    Returns:
        How many outputs and widget states were removed (0: the file is left untouched).
    """
    notebook = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    stripped, removed = strip_private(notebook)
    if removed:
        nbformat.write(stripped, path)
    return removed


class PrivateSubmit(ExchangeSubmit):
    """nbgrader's submit, handing in neither private outputs nor image files."""

    def do_copy(self, src: str, dest: str, log=None) -> None:
        """Copy as nbgrader does, then clean the copy (never the student's own files).

        Args:
            src: the student's assignment folder.
            dest: the copy nbgrader just made (the exchange's inbound or its cache).
            log: nbgrader's logger, passed through.
        """
        super().do_copy(src, dest, log)
        for path in sorted(Path(dest).rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                path.unlink()
                self.log.info("Left out of the submission (a photo stays with you): %s",
                              path.relative_to(dest))
            elif path.is_file() and path.suffix == ".ipynb":
                try:
                    removed = strip_notebook_file(path)
                except (nbformat.reader.NotJSONError, ValueError, KeyError) as err:
                    # a half-saved file is handed in as it is, as nbgrader does (and graded 0)
                    self.log.warning("Could not read %s to leave out private outputs: %s",
                                     path.relative_to(dest), err)
                    continue
                if removed:
                    self.log.info("Private outputs not handed in: %s (%d removed)",
                                  path.relative_to(dest), removed)


class StripPrivateOutputs(NbGraderPreprocessor):
    """Replaces private outputs and saved widget state by a placeholder before grading."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Tag the source's private cells in the submission, then strip every tagged one.

        Args:
            nb: the submitted notebook.
            resources: nbgrader's resources (assignment and notebook names).

        Returns:
            The stripped notebook and the resources.
        """
        ids = private_ids(source_notebook(self.config, resources))
        for cell in nb.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            tags = cell.get("metadata", {}).get("tags", [])
            if grade_id in ids and PRIVATE_TAG not in tags:
                cell.metadata["tags"] = [*tags, PRIVATE_TAG]
        stripped, removed = strip_private(nb)
        if removed:
            self.log.info("Private outputs removed before grading: %d", removed)
        return stripped, resources


class ClearRunState(NbGraderPreprocessor):
    """Leaves the instructor's run out of the student version: its saved widget state
    (the panels' pictures) and its cells' execution timestamps."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        """Drop ``metadata.widgets`` and every cell's ``metadata.execution``.

        Args:
            nb: the notebook being released.
            resources: nbgrader's resources.

        Returns:
            The notebook without them, and the resources.
        """
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            cell.metadata.pop("execution", None)
        return nb, resources
