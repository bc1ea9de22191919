"""One place decides the language: every text the package shows is in the gettext
catalogue (extracted with Babel), with its French, and nothing else is."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import numpy as np
import pytest

from helpers import config, messages
from helpers.table import Table
from tools import messages as catalogues

ROOT = Path(__file__).resolve().parents[1]
PO_HEADER = 'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\n'


def write_german(locale: Path, entries: str) -> Path:
    """``locale``/de/LC_MESSAGES/helpers.po: the header, then ``entries`` (.po text)."""
    po = locale / "de" / "LC_MESSAGES" / "helpers.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO_HEADER + entries, encoding="utf-8")
    return po


def test_every_text_shown_has_its_translation_and_the_catalogue_holds_nothing_else():
    """Babel's extractor (tr, label, N_) against each .po: a text without translation, a
    translation with other {fields}, a fuzzy entry, or an entry no code uses fails."""
    template = catalogues.extract()
    assert len(template) > 300  # the scan sees the package's texts
    assert "{n} person(s) enrolled" in template and "identified" in template  # tr and N_
    assert catalogues.languages() == ["fr"]
    problems = [line for lang in catalogues.languages() for line in catalogues.problems(template, lang)]
    assert not problems, "\n".join(problems)


def test_the_check_finds_each_kind_of_problem(tmp_path, monkeypatch):
    """A catalogue with a missing, a wrong-field, a fuzzy and an unused entry is refused."""
    from babel.messages.catalog import Catalog

    template = Catalog(fuzzy=False)
    for text in ("{n} filters", "layer", "image", "mask"):
        template.add(text, locations=[("helpers/x.py", 1)])
    po = write_german(tmp_path, 'msgid "{n} filters"\nmsgstr "{k} Filter"\n\n'
                                'msgid "image"\nmsgstr "Bild"\n\n'
                                '#, fuzzy\nmsgid "mask"\nmsgstr "Maske"\n\n'
                                'msgid "old text"\nmsgstr "alter Text"\n')
    monkeypatch.setattr(catalogues, "LOCALE", tmp_path)
    monkeypatch.setattr(catalogues, "ROOT", tmp_path)
    found = catalogues.problems(template, "de")
    assert len(found) == 4, found
    assert "has fields ['k'], the English ['n']" in found[0]
    assert "no de translation for 'layer'" in found[1]
    assert "'mask' is marked fuzzy" in found[2]
    assert "obsolete entry 'old text'" in found[3]


def test_extract_adds_new_texts_and_drops_unused_ones(tmp_path, monkeypatch):
    """The maintainer command keeps translations still used, adds new texts untranslated."""
    from babel.messages.catalog import Catalog

    template = Catalog(fuzzy=False)
    template.add("image", locations=[("helpers/x.py", 1)])
    template.add("new text", locations=[("helpers/x.py", 2)])
    po = write_german(tmp_path, 'msgid "image"\nmsgstr "Bild"\n\n'
                                'msgid "old text"\nmsgstr "alter Text"\n')
    monkeypatch.setattr(catalogues, "LOCALE", tmp_path)
    catalogues.write(catalogues.update(template, "de"), "de")
    text = po.read_text(encoding="utf-8")
    assert 'msgid "image"\nmsgstr "Bild"' in text
    assert 'msgid "new text"\nmsgstr ""' in text and "old text" not in text


def test_tr_and_N__take_literal_texts():
    """Babel extracts literals only: tr(f"...") or N_(variable) would escape the catalogue."""
    for path in sorted([*ROOT.joinpath("helpers").rglob("*.py"), *ROOT.joinpath("course").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("tr", "N_") and node.args):
                arg = node.args[0]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: {node.func.id}() takes a literal text, so that "
                    "Babel extracts it")


def test_a_new_catalogue_is_a_new_language(tmp_path, monkeypatch):
    """English is one setting away, and another language one .po away: no code changes."""
    locale = tmp_path / "locale"
    shutil.copytree(config.LOCALE_DIR, locale)
    write_german(locale, 'msgid "{n} person(s) enrolled"\nmsgstr "{n} Person(en) registriert"\n')
    monkeypatch.setattr(config, "LOCALE_DIR", locale)
    config.languages.cache_clear()
    try:
        assert config.languages() == ("de", "fr", "en")
        monkeypatch.setenv("XAI_COURSE_LANG", "de")
        assert messages.tr("{n} person(s) enrolled", n=2) == "2 Person(en) registriert"
        assert messages.label("identified") == "identified"  # not translated yet: English
        assert messages.number(4224.5, ",.1f") == "4.224,5"  # Babel's German symbols
        monkeypatch.setenv("XAI_COURSE_LANG", "en")
        assert messages.tr("{n} person(s) enrolled", n=2) == "2 person(s) enrolled"
    finally:
        monkeypatch.undo()
        config.languages.cache_clear()
        messages.catalogue.cache_clear()


def test_language_switch(monkeypatch):
    monkeypatch.delenv("XAI_COURSE_LANG", raising=False)
    assert messages.language() == "fr"
    assert messages.tr("{n} person(s) enrolled", n=2) == "2 personne(s) enregistrée(s)"
    assert messages.label("identified") == "identifié" and messages.label(True) == "oui"
    assert messages.label("tabby") == "tabby"  # a name outside the catalogue is left as is
    monkeypatch.setenv("XAI_COURSE_LANG", "en")
    assert messages.tr("{n} person(s) enrolled", n=2) == "2 person(s) enrolled"
    assert messages.label("identified") == "identified"
    monkeypatch.setenv("XAI_COURSE_LANG", "de")
    with pytest.raises(ValueError, match="XAI_COURSE_LANG"):
        messages.language()


@pytest.mark.parametrize("value, fmt, fr, en", [
    (4224, ",d", "4\u202f224", "4,224"),
    (138357544, ",d", "138\u202f357\u202f544", "138,357,544"),
    (0.2054, ".3f", "0,205", "0.205"),
    (-1.5, ".1f", "-1,5", "-1.5"),
    (0.106, ".1%", "10,6%", "10.6%"),
    (97.63, "5.1f", " 97,6", " 97.6"),                 # a width pads on the left, as format does
    (4224, "7,d", "  4\u202f224", "  4,224"),
])
def test_numbers_as_each_language_writes_them(monkeypatch, value, fmt, fr, en):
    monkeypatch.setenv("XAI_COURSE_LANG", "fr")
    assert messages.number(value, fmt) == fr
    monkeypatch.setenv("XAI_COURSE_LANG", "en")
    assert messages.number(value, fmt) == en


def test_tables_speak_the_language_and_keep_their_keys(monkeypatch):
    table = Table(("region", "similarity", "identified", "parameters"),
                  [("nez", 0.5, True, 4224), ("yeux", np.float32(0.25), False, np.int64(10))])
    monkeypatch.setenv("XAI_COURSE_LANG", "fr")
    text = str(table)
    assert "région" in text and "similarité" in text and "identifié" in text
    assert "0,500" in text and "oui" in text and "non" in text and "4\u202f224" in text
    assert "<th>paramètres</th>" in table._repr_html_()
    assert table.column("similarity") == [0.5, np.float32(0.25)]  # keys stay the code's
    lines = text.splitlines()
    assert lines[2].endswith("4\u202f224") and lines[3].endswith(" 10")  # numbers right-aligned
    monkeypatch.setenv("XAI_COURSE_LANG", "en")
    text = str(table)
    assert "region" in text and "0.500" in text and "True" in text and "4,224" in text


def test_errors_follow_the_language(monkeypatch):
    """A student's errors are French by default and English with XAI_COURSE_LANG=en,
    with the same values in both."""
    import keras

    from helpers.models import get_layer
    from helpers.occlusion import occlusion_positions

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Conv2D(2, 3, name="detector")(inputs), name="tiny")

    def errors() -> tuple[str, str]:
        with pytest.raises(ValueError) as patch:
            occlusion_positions(32, 32, 40, 4)
        with pytest.raises(ValueError) as layer:
            get_layer(model, "detecter")
        return str(patch.value), str(layer.value)

    monkeypatch.delenv("XAI_COURSE_LANG", raising=False)
    patch, layer = errors()
    assert patch == ("Le patch (40×40) doit être plus petit que l'image (32×32) : choisissez "
                     "une taille de patch plus petite.")
    assert layer == ("tiny n'a pas de couche nommée 'detecter'. Vouliez-vous dire ['detector'] ? "
                     "Ses couches de convolution sont : ['detector'].")
    monkeypatch.setenv("XAI_COURSE_LANG", "en")
    patch, layer = errors()
    assert patch == ("The patch (40×40) must be smaller than the image (32×32): choose a "
                     "smaller patch size.")
    assert layer == ("tiny has no layer named 'detecter'. Did you mean ['detector']? "
                     "Its convolution layers are: ['detector'].")
