"""One place decides the language: every template the package shows has its French."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from helpers import messages
from helpers.table import Table

HELPERS = Path(messages.__file__).parent


def _templates() -> list[tuple[str, int, str]]:
    """(file, line, template) of every ``tr("...")`` call in helpers/."""
    found = []
    for path in sorted(HELPERS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "tr" and node.args):
                arg = node.args[0]
                assert isinstance(arg, ast.Constant) and isinstance(arg.value, str), (
                    f"{path.name}:{node.lineno}: tr() takes a literal template, so that the "
                    "catalogue can be checked")
                found.append((path.name, node.lineno, arg.value))
    return found


def test_every_template_has_its_french_with_the_same_fields():
    templates = _templates()
    assert len(templates) > 40  # the scan sees the package's calls
    missing = [f"{f}:{n}: {t!r}" for f, n, t in templates if t not in messages.FR]
    assert not missing, "templates without French:\n" + "\n".join(missing)
    for f, n, t in templates:
        assert messages.fields(messages.FR[t]) == messages.fields(t), f"{f}:{n}: {t!r}"


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
