"""A student's own photos stay on the student's screen, out of the notebook they hand in.

The TP invites students to try the recognizer on their own face. A face is biometric
data (GDPR art. 4(14)); a notebook handed in keeps its outputs, so the figures computed
from those photos would travel to the instructor with the submission. Two layers keep
them out:

* **While the student works**: :func:`private_output` shows everything a cell draws or
  prints inside a :class:`PrivateOutput` widget. The picture lives in the running
  kernel's widget only; the notebook file records the widget's reference and a French
  placeholder (its text form), not the pixels. A front-end that saves widget state
  (Colab, or JupyterLab with *Save widget state* on) would store them:
  :func:`forget_private_outputs` (the TP's last cell) empties every private output
  before the notebook is saved.
* **When the notebook is handed in or graded**: ``course.privacy`` removes the outputs
  of every cell tagged ``donnees-personnelles`` and the saved widget state, in
  ``nbgrader submit`` (the students' exchange) and in ``course autograde``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets

#: What the notebook file keeps instead of the pictures (the widget's text form).
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

    def _repr_mimebundle_(self, **kwargs: Any) -> dict | None:
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None:
            bundle["text/plain"] = PLACEHOLDER  # ipywidgets would cut it at 110 characters
        return bundle


@contextmanager
def private_output() -> Iterator[Any]:
    """Show what the ``with`` block draws or prints in a private output widget.

    Usage in a notebook cell tagged ``donnees-personnelles``::

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
