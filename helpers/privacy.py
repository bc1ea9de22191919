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
  :func:`forget_button` (the TP's last cell) offers a button that empties every private
  output and closes the panels before the notebook is saved; a button, so that *Run all*
  does not close the panels the student is using.
* **When the notebook is handed in or graded**: ``course.privacy`` removes the outputs
  of every cell tagged ``donnees-personnelles`` and the saved widget state, in
  ``nbgrader submit`` (the students' exchange) and in ``course autograde``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ipywidgets

from .messages import tr

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
        widget = _LIVE.pop()
        widget.clear_output()  # the front-end's copy (what Colab saves)
        widget.outputs = ()  # the kernel's copy
        count += 1
    return count


def _close(widget: Any) -> int:
    """Close ``widget`` and every widget inside it; how many were closed."""
    closed = sum(_close(child) for child in getattr(widget, "children", ()))
    widget.close()
    return closed + 1


def forget_button(*panels: Any) -> ipywidgets.VBox:
    """A button that forgets this session's photos when the student clicks it.

    A click empties every :class:`PrivateOutput` (:func:`forget_private_outputs`) and
    closes ``panels`` with every widget inside them (a photo uploaded in a panel lives in
    its widgets' state, which Colab saves), then says what it did. Nothing happens until
    the click: *Run all* leaves the panels working.

    Args:
        panels: the panels to close (``None`` entries, e.g. a panel never created, are
            skipped).

    Returns:
        The button and its message, in a box to display.
    """
    button = ipywidgets.Button(description=tr("Forget my photos"), icon="eraser",
                               layout=ipywidgets.Layout(width="auto"))
    said = ipywidgets.HTML()

    def forget(_: Any) -> None:
        closed = sum(1 for panel in panels if panel is not None and _close(panel))
        emptied = forget_private_outputs()
        said.value = tr("{emptied} private frame(s) emptied, {closed} panel(s) closed: you can "
                        "save and hand in the notebook.", emptied=emptied, closed=closed)

    button.on_click(forget)
    return ipywidgets.VBox([button, said])

