"""What a student reads under a graded cell, in the course's language.

The independent correction's feedback (``course.verify``), a kernel restart
(``course.execute``) and a stopped copy (``course.sandbox``) are shown to students in
their feedback: they go through the same gettext catalogue as ``helpers``
(``helpers/locale``), so an English course is one setting (``XAI_COURSE_LANG=en``) away and
a new language one ``.po`` away. Reports, charts and the command line are the
instructor's and stay as they are.
"""

from __future__ import annotations


def tr(template: str, **fields: object) -> str:
    """``helpers.messages.tr``: ``template`` in the course's language, fields filled in.

    ``helpers`` is imported at the first message, not with ``course`` (it imports
    TensorFlow): where verdicts are written the course's reference has already imported
    it, and the other messages (a killed or restarted copy) are rare.

    Args:
        template: the English text, the catalogue's ``msgid``.
        **fields: the values of its ``{fields}``.

    Returns:
        The text to show.
    """
    from helpers.messages import tr as translate

    return translate(template, **fields)
