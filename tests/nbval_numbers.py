"""nbval with numbers compared to a tolerance, so that stored outputs hold on any CPU.

nbval compares a fresh run of each cell with the outputs stored in the notebook, as
text. TensorFlow's floating-point results differ between machines (instruction sets,
oneDNN kernels, thread counts), so a printed ``0.205`` can come back as ``0.206``: the
notebook is right on both machines, but plain text comparison fails on one of them.

Here a fresh output that differs from the stored one is accepted when, and only when:

* everything but its decimal numbers is the same text (words, class names, integers,
  shapes, booleans, table structure; runs of spaces and of dashes may change length,
  since a wider number widens its column), and
* each decimal number is within ``max(ULPS × one unit of the last printed digit,
  RELATIVE × |stored value|)`` of the stored one.

Integers (``224``, ``138,357,544``, ``5 positions``) are compared exactly. Anything
further off fails as in plain nbval, with nbval's own diff. ``install()`` patches
nbval's comparison; ``source_notebooks/conftest.py`` calls it.
"""

from __future__ import annotations

import copy
import math
import re

# One unit of the last printed digit covers rounding of the same value on two machines
# (0.2054 vs 0.2056); two units leave room for a discrete measure (a top-10 % IoU
# counts pixels) moving by a pixel or two. RELATIVE covers numbers printed with more
# digits than float32 arithmetic guarantees after a deep network.
ULPS = 2
RELATIVE = 2e-3

# A decimal point or a French decimal comma (the notebooks write « 0,205 »; thousands are
# separated by a narrow no-break space, « 4 224 », so a comma between digits is decimal).
DECIMAL = re.compile(r"[-+]?\d+[.,]\d+(?:[eE][-+]?\d+)?")
_SPACES = re.compile(r"[ \t]+")
_DASHES = re.compile(r"-{2,}")


def _decimals(number: str) -> int:
    """Digits printed after the point, corrected by the exponent (``1.5e-3`` → 4)."""
    mantissa, _, exponent = number.lower().replace(",", ".").partition("e")
    return len(mantissa.split(".")[1]) - (int(exponent) if exponent else 0)


def close(stored: str, fresh: str, ulps: float = ULPS, relative: float = RELATIVE) -> bool:
    """Whether the printed decimal ``fresh`` is within tolerance of ``stored``."""
    a, b = float(stored.replace(",", ".")), float(fresh.replace(",", "."))
    if not (math.isfinite(a) and math.isfinite(b)):
        return stored == fresh
    unit = 10.0 ** -_decimals(stored)
    return abs(a - b) <= max(ulps * unit, relative * abs(a)) * (1 + 1e-9)


def _frame(text: str) -> list[str]:
    """The text between the decimal numbers, with column padding squashed."""
    return [_DASHES.sub("--", _SPACES.sub(" ", part)) for part in DECIMAL.split(text)]


def agree(stored: str, fresh: str, ulps: float = ULPS, relative: float = RELATIVE) -> bool:
    """Same text but for decimal numbers, each of them within tolerance."""
    if stored == fresh:
        return True
    stored_numbers, fresh_numbers = DECIMAL.findall(stored), DECIMAL.findall(fresh)
    if len(stored_numbers) != len(fresh_numbers) or _frame(stored) != _frame(fresh):
        return False
    return all(close(a, b, ulps, relative) for a, b in zip(stored_numbers, fresh_numbers))


def _text_fields(outputs, skip) -> dict:
    """``{key: [(output index, field path)]}`` grouped as nbval groups outputs."""
    fields: dict = {}
    for i, output in enumerate(outputs):
        if output.get("output_type") == "stream":
            fields.setdefault(("stream", output.get("name")), []).append((i, ("text",)))
        for mime, value in (output.get("data") or {}).items():
            if mime not in skip and isinstance(value, str):
                fields.setdefault(mime, []).append((i, ("data", mime)))
    return fields


def _get(output, path):
    for key in path:
        output = output[key]
    return output


def _set(output, path, value):
    for key in path[:-1]:
        output = output[key]
    output[path[-1]] = value


def harmonise(fresh: list, stored: list, sanitize=lambda s: s, skip=()) -> list:
    """A copy of ``fresh`` where each text that agrees with its stored counterpart
    within tolerance is replaced by the stored text (the rest is left to nbval)."""
    fresh = copy.deepcopy(fresh)
    fresh_fields, stored_fields = _text_fields(fresh, skip), _text_fields(stored, skip)
    for key, places in fresh_fields.items():
        for (i, path), (j, stored_path) in zip(places, stored_fields.get(key, [])):
            new, old = _get(fresh[i], path), _get(stored[j], stored_path)
            if new != old and agree(sanitize(old), sanitize(new)):
                _set(fresh[i], path, old)
    return fresh


def install() -> None:
    """Make nbval's cell comparison go through :func:`harmonise` first."""
    from nbval.plugin import IPyNbCell

    original = IPyNbCell.compare_outputs
    if getattr(original, "_with_tolerance", False):
        return

    def compare_outputs(self, test, ref, skip_compare=None):
        skip = skip_compare or self.parent.skip_compare
        return original(self, harmonise(test, ref, self.sanitize, skip), ref, skip_compare)

    compare_outputs._with_tolerance = True
    IPyNbCell.compare_outputs = compare_outputs
