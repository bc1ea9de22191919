"""Every word the course shows a person goes through here: gettext, with Babel.

The code speaks English; what a student reads is French. ``XAI_COURSE_LANG`` decides:
``fr`` (the course's default), ``en`` (the code's own text), or any language with a
catalogue ``helpers/locale/<lang>/LC_MESSAGES/helpers.po`` (no code change needed).

* :func:`tr` — a sentence with fields: ``tr("{n} filters per layer", n=16)`` gives
  ``"16 filtres par couche"``; the English template is the ``msgid``, so a missing
  translation falls back to English. :func:`label` — a word shown as is (a column, a
  status, ``True`` → ``oui``). :func:`N_` — marks a constant, translated where shown.
* :func:`number` — a number as the language writes it, through ``babel.numbers``:
  ``4 224`` (U+202F) and ``0,205`` in French, ``4,224`` and ``0.205`` in English.

The ``.po`` is read at run time (Babel's ``read_po``, ``write_mo`` into memory, then
``gettext.GNUTranslations``), not compiled at build time: it is the only file, with no
compiled twin to go stale; an editable install, the wheel and Colab's ``pip install`` run
the same code with no build step; Babel is needed anyway for numbers. About 20 ms, paid at
a process's first text, not by ``import helpers`` (Babel is imported lazily).
``python -m tools.messages extract`` refreshes the catalogue; ``tests/test_messages.py``
checks it is complete and holds nothing unused.
"""

from __future__ import annotations

import functools
import gettext
import io
import math
import re
from decimal import Decimal

from . import config

DOMAIN = "helpers"
# the format specifications number() writes: sign, thousands, precision, type
_SPEC = re.compile(r"(?P<sign>[+\- ]?)(?P<width>[1-9]\d*)?(?P<group>,?)(?P<rest>(?:\.\d+)?[defg%]?)")


def N_(text: str) -> str:  # noqa: N802 (gettext's name for "mark, translate later")
    """Mark ``text`` for the catalogue, untranslated (a constant shown by :func:`label`).

    Args:
        text: the English text.

    Returns:
        ``text`` unchanged.
    """
    return text


def language() -> str:
    """The language shown: ``XAI_COURSE_LANG``, read by ``helpers.config``.

    Returns:
        ``"fr"`` (default), ``"en"``, or another language with a catalogue.
    """
    return config.settings().language


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The translations of ``lang``, read from its ``.po`` (once per process).

    Args:
        lang: a language code, a folder of ``helpers/locale``.

    Returns:
        The ``gettext`` translations (empty ones, English, where there is no catalogue).
    """
    path = config.LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if lang == "en" or not path.is_file():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as po:
        messages = read_po(po, locale=lang, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, messages)  # untranslated and fuzzy entries stay English
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def tr(template: str, **fields: object) -> str:
    """``template`` in the current language, its ``{fields}`` filled in.

    Args:
        template: the English text, the catalogue's ``msgid`` (unknown ones stay English).
        **fields: values of the template's fields; numbers are formatted by the caller
            (:func:`number`), so that a field is text in every language.

    Returns:
        The text to show.
    """
    text = label(template)
    return text.format(**fields) if fields else text


def label(value: object) -> str:
    """A word shown as is (a column, a status, a boolean) in the current language.

    Args:
        value: the word (any value; ``str(value)`` is the catalogue's key).

    Returns:
        The word in the current language (unknown ones stay as they are).
    """
    text = str(value)
    return catalogue(language()).gettext(text) if text else text  # "" is the .po's header


def number(value: float, fmt: str = ".3f") -> str:
    """``value`` formatted with ``fmt`` as the language writes numbers (``babel.numbers``).

    Python rounds (``format(value, fmt)``: the digits are the same in every language);
    Babel writes them with the locale's symbols. French: decimal comma, U+202F between
    thousands (``number(4224, ",d")`` → ``"4 224"``, ``number(0.2054)`` → ``"0,205"``).

    Args:
        value: the number.
        fmt: a ``format`` specification; ``","`` in it asks for thousands separators, a
            width pads on the left with spaces (``"5.1f"``), as ``format`` does.

    Returns:
        The number as text.

    Raises:
        ValueError: a fill, an alignment or another type (``[+- ][width][,][.N][defg%]``).
    """
    spec = _SPEC.fullmatch(fmt)
    if not spec:
        raise ValueError(f"number() writes [+- ][width][,][.N][defg%] formats; got {fmt!r}.")
    if spec["width"]:
        return number(value, spec["sign"] + spec["group"] + spec["rest"]).rjust(int(spec["width"]))
    plain = format(+value, fmt.replace(",", ""))  # +True is 1, as format(True, ",") reads it
    if not math.isfinite(value):
        return plain
    from babel import numbers

    lang = language()
    sign = plain[0] if plain[0] in "+- " else ""
    body, percent = plain[len(sign):].removesuffix("%"), "%" * plain.endswith("%")
    mantissa, e, exponent = body.partition("e")
    decimals = mantissa.partition(".")[2]
    pattern = ("#,##0" if spec["group"] else "0") + ("." + "0" * len(decimals)) * bool(decimals)
    symbol = {"-": numbers.get_minus_sign_symbol, "+": numbers.get_plus_sign_symbol}.get(sign)
    return ((symbol(lang) if symbol else sign)
            + numbers.format_decimal(Decimal(mantissa), pattern, locale=lang) + e + exponent + percent)

