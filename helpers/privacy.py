"""A student's own photos stay on the student's screen, out of the notebook they hand in.

The TP invites students to try the recognizer on their own face. A face is biometric
data (GDPR art. 4(14)); a notebook handed in keeps its outputs, so the figures computed
from those photos would travel to the instructor with the submission. Two layers keep
them out:

* **While the student works**: :func:`private_output` shows everything a cell draws or
  prints inside a :class:`PrivateOutput` widget. The picture lives in the running
  kernel's widget only; the notebook file records the widget's reference and a French
  placeholder (its text form), not the pixels. A front-end that saves widget state
  (Colab, or JupyterLab with *Save widget state* on) would store them: :func:`forget_private_outputs`
  (the TP's last cell) empties every private output before the notebook is saved.
* **When the notebook is handed in or graded**: :func:`strip_private` removes the
  outputs of every cell tagged :data:`PRIVATE_TAG` and the saved widget state, and says
  so in a placeholder. ``course.privacy`` applies it in ``nbgrader submit`` (the
  students' exchange) and in ``course autograde``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets
import nbformat

#: Tag of the cells whose outputs may show a student's own photos (cell metadata
#: ``tags``): their outputs never leave the student's machine.
PRIVATE_TAG = "donnees-personnelles"

#: What the notebook file, the submission and the grader show instead of the pictures.
PLACEHOLDER = ("🔒 Sortie privée : calculée sur vos propres photos, elle reste sur votre écran "
               "et n'est pas enregistrée dans le carnet rendu.")

_LIVE: list[PrivateOutput] = []


class PrivateOutput(ipywidgets.Output):
    """An ``ipywidgets.Output`` whose saved form is :data:`PLACEHOLDER`.

    What is displayed inside shows in the live notebook; the notebook file keeps the
    widget's reference and, as its text form, the placeholder. Every instance is
    remembered so that :func:`forget_private_outputs` can empty it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _LIVE.append(self)

    def __repr__(self) -> str:
        return PLACEHOLDER


@contextmanager
def private_output() -> Iterator[Any]:
    """Show what the ``with`` block draws or prints in a private output widget.

    Usage in a notebook cell tagged :data:`PRIVATE_TAG`::

        with helpers.private_output():
            plots.show_pair(moi_1, moi_2)
            print(verdict)

    Yields:
        The :class:`PrivateOutput` widget, already displayed.
    """
    from IPython.display import display

    widget = PrivateOutput()
    display(widget)
    with widget:
        yield widget


def forget_private_outputs() -> int:
    """Empty every private output of this session (run it before saving the notebook).

    Returns:
        How many private outputs were emptied.
    """
    count = 0
    while _LIVE:
        _LIVE.pop().clear_output()
        count += 1
    return count


def strip_private(notebook: Any) -> tuple[Any, int]:
    """A copy of ``notebook`` without what may show a student's own photos.

    The outputs of the cells tagged :data:`PRIVATE_TAG` become one placeholder output,
    and the saved widget state (``metadata.widgets``, where Colab and JupyterLab keep
    the panels' pictures) is removed. Nothing else changes: nbgrader's cell metadata,
    sources and the other outputs are kept, so grading is unaffected.

    Args:
        notebook: an ``nbformat`` notebook (version 4).

    Returns:
        ``(stripped copy, number of outputs and widget states removed)``.
    """
    stripped = copy.deepcopy(notebook)
    removed = 0
    if "widgets" in stripped.metadata:
        del stripped.metadata["widgets"]
        removed += 1
    placeholder = nbformat.v4.new_output(
        "display_data", data={"text/plain": PLACEHOLDER, "text/markdown": PLACEHOLDER})
    for cell in stripped.cells:
        if cell.cell_type != "code" or PRIVATE_TAG not in cell.metadata.get("tags", ()):
            continue
        private = [o for o in cell.outputs if o.get("data", {}).get("text/plain") != PLACEHOLDER
                   or set(o.get("data", {})) - {"text/plain", "text/markdown",
                                                 "application/vnd.jupyter.widget-view+json"}]
        removed += len(private)
        cell.outputs = [placeholder] if cell.outputs else []
    return stripped, removed
