"""Keep the gettext catalogues (``helpers/locale/<lang>/LC_MESSAGES/helpers.po``) in step
with the code, with Babel.

Every text a person reads is an English literal in a call to ``tr``, ``label`` or ``N_``
(``helpers.messages``); Babel's Python extractor finds them in ``helpers/`` and
``course/``. Usage, from the repository's root::

    python -m tools.messages extract      # add new texts to every .po, drop unused ones
    python -m tools.messages init de      # a new language: helpers/locale/de/.../helpers.po
    python -m tools.messages check        # exit 1 on a missing or wrong translation

``extract`` keeps every translation whose English text is still used, adds the new
texts with an empty ``msgstr`` (they show in English until translated), and removes the
entries nobody uses any more. ``check`` is what ``tests/test_messages.py`` asserts.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "helpers" / "locale"
DOMAIN = "helpers"
#: Where texts are shown from: the library and the instructor side's feedback.
SOURCES = ("helpers", "course")
#: The functions whose first argument is a text to translate (helpers.messages).
KEYWORDS = {"tr": None, "label": None, "N_": None}
WIDTH = 88


def extract() -> Catalog:
    """Every translatable text of the package, with where it is used.

    Returns:
        A Babel catalogue (a template: no translations) whose ``msgid`` are the texts.
    """
    template = Catalog(project="xai-course", domain=DOMAIN, fuzzy=False)
    for source in SOURCES:
        for filename, line, text, comments, context in extract_from_dir(
                ROOT / source, [("**.py", "python")], keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)):
            if text:
                flags = ("python-brace-format",) if "{" in text else ()
                template.add(text, locations=[(f"{source}/{filename}", line)], auto_comments=comments,
                             context=context, flags=flags)
    return template


def path(lang: str) -> Path:
    """The ``.po`` of a language (it may not exist yet)."""
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def languages() -> list[str]:
    """The languages that have a catalogue."""
    return sorted(p.parent.parent.name for p in LOCALE.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def read(lang: str) -> Catalog:
    """The catalogue of ``lang`` as it is on disk."""
    with path(lang).open("rb") as po:
        return read_po(po, locale=lang, domain=DOMAIN)


def write(catalog: Catalog, lang: str) -> None:
    """Write ``catalog`` as the ``.po`` of ``lang`` (unused entries dropped)."""
    path(lang).parent.mkdir(parents=True, exist_ok=True)
    with path(lang).open("wb") as po:
        write_po(po, catalog, width=WIDTH, ignore_obsolete=True, include_previous=False,
                 include_lineno=False)  # files only: a code edit does not churn the .po


def update(template: Catalog, lang: str) -> Catalog:
    """``lang``'s catalogue brought in step with ``template`` (not written)."""
    catalog = read(lang)
    catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
    return catalog


def init(template: Catalog, lang: str) -> Catalog:
    """A new, empty catalogue for ``lang`` holding every text of ``template``."""
    if path(lang).exists():
        raise SystemExit(f"{path(lang)} exists: use `extract` to update it.")
    catalog = Catalog(locale=lang, project="xai-course", domain=DOMAIN, fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    return catalog


def fields(template: str) -> set[str]:
    """Names of the ``{fields}`` of a template (a translation must keep its English's).

    Args:
        template: a text with ``str.format`` fields.

    Returns:
        The fields' names, without conversion (``!r``) or format (``:.3f``) parts.
    """
    return {name.split("!")[0].split(":")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}


def problems(template: Catalog, lang: str) -> list[str]:
    """What is wrong with ``lang``'s catalogue against the code.

    Args:
        template: the texts the code uses (:func:`extract`).
        lang: a language with a catalogue.

    Returns:
        One line per text without translation, translation whose ``{fields}`` differ
        from its English, fuzzy entry, or entry the code no longer uses; empty when sound.
    """
    catalog = read(lang)
    used = {m.id for m in template if m.id}
    out = []
    for message in template:
        if not message.id:
            continue
        where = ", ".join(f"{f}:{n}" for f, n in message.locations)
        entry = catalog.get(message.id)
        if entry is None or not entry.string:
            out.append(f"{where}: no {lang} translation for {message.id!r}")
        elif entry.fuzzy:
            out.append(f"{where}: the {lang} translation of {message.id!r} is marked fuzzy")
        elif fields(entry.string) != fields(message.id):
            out.append(f"{where}: the {lang} translation of {message.id!r} has fields "
                       f"{sorted(fields(entry.string))}, the English {sorted(fields(message.id))}")
    out += [f"{path(lang).relative_to(ROOT)}: obsolete entry {m.id!r} (no code uses it)"
            for m in catalog if m.id and m.id not in used]
    out += [f"{path(lang).relative_to(ROOT)}: obsolete entry {m!r} (#~)" for m in catalog.obsolete]
    return out


def main(argv: list[str] | None = None) -> int:
    """The command line (see the module docstring).

    Args:
        argv: ``extract``, ``check`` or ``init <lang>``.

    Returns:
        The exit status.
    """
    args = sys.argv[1:] if argv is None else argv
    template = extract()
    if args == ["extract"]:
        for lang in languages():
            catalog = update(template, lang)
            write(catalog, lang)
            todo = sum(1 for m in catalog if m.id and not m.string)
            print(f"{path(lang).relative_to(ROOT)}: {len(template)} texts, {todo} to translate")
        return 0
    if len(args) == 2 and args[0] == "init":
        write(init(template, args[1]), args[1])
        print(f"{path(args[1]).relative_to(ROOT)}: {len(template)} texts to translate")
        return 0
    if args == ["check"]:
        found = [line for lang in languages() for line in problems(template, lang)]
        print("\n".join(found) or f"{len(template)} texts, translated in {', '.join(languages())}")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
