"""nbval's comparison with a tolerance on decimals (tests/nbval_numbers.py): what another
CPU may change passes, what a change of the computation changes fails."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbval_numbers
from nbval_numbers import agree, close, harmonise

ROOT = Path(__file__).resolve().parents[1]

TABLE = """Agreement between maps
map A      map B       spearman  top-0.1 IoU
---------  ----------  --------  -----------
occlusion  saillance     -0.213        0.025
saillance  SmoothGrad     0.539        0.206
"""


@pytest.mark.parametrize("stored, fresh", [
    ("0.205", "0.206"),              # the failure seen on a new CPU (one unit)
    ("0.205", "0.203"),              # two units
    ("97.6%", "97.5%"),
    ("p0 = 0.9757", "p0 = 0.9759"),
    ("-0.000", "0.000"),
    ("1.5e-06", "1.6e-06"),
    ("10.6%", "10.6%"),
    ("0,205", "0,206"),              # French decimals
    ("10,6 %", "10,5 %"),
])
def test_what_another_cpu_may_change_agrees(stored, fresh):
    assert agree(stored, fresh)


@pytest.mark.parametrize("stored, fresh", [
    ("0.205", "0.209"),              # four units of the last digit
    ("0.9757", "0.9557"),
    ("97.6%", "96.6%"),
    ("p0 = 0.9757", "p1 = 0.9757"),  # words are exact
    ("4\u202f224 filtres", "4\u202f225 filtres"),  # integers are exact (French thousands)
    ("0,205", "0,209"),              # French decimals, four units
    ("(224, 224, 3)", "(224, 223, 3)"),
    ("identified True", "identified False"),
    ("0.205 0.206", "0.205"),        # as many numbers
    ("1.0", "nan"),
])
def test_what_a_change_of_the_computation_changes_does_not(stored, fresh):
    assert not agree(stored, fresh)


def test_a_wider_number_may_widen_its_column():
    wider = TABLE.replace("  0.539", "10.539").replace("  --------", "---------")
    assert agree(TABLE, TABLE.replace("0.206", "0.207"))
    assert not agree(TABLE, wider)                         # 0.539 -> 10.539 is far off
    assert agree(TABLE.replace("0.539", "9.999"), TABLE.replace("  0.539", "10.000").replace("--------", "---------"))


def test_tolerance_is_relative_for_numbers_printed_with_many_digits():
    assert close("1234.5678", "1234.5690")       # 1e-6 relative
    assert not close("1234.5678", "1237.5678")   # 2.4e-3 relative


def test_harmonise_replaces_only_texts_within_tolerance():
    stored = [nbformat.v4.new_output("stream", name="stdout", text=TABLE),
              nbformat.v4.new_output("execute_result", data={"text/plain": "0.5000"}, execution_count=1)]
    fresh = [nbformat.v4.new_output("stream", name="stdout", text=TABLE.replace("0.206", "0.205")),
             nbformat.v4.new_output("execute_result", data={"text/plain": "0.6000"}, execution_count=1)]
    out = harmonise(fresh, stored)
    assert out[0]["text"] == TABLE                      # within tolerance: the stored text
    assert out[1]["data"]["text/plain"] == "0.6000"     # beyond: left for nbval to report
    assert fresh[0]["text"] != TABLE                    # the fresh outputs are not modified


def _notebook(path: Path, stored_text: str) -> None:
    """A notebook whose cell prints a real helpers table, with ``stored_text`` as its
    stored output."""
    code = ("import numpy as np, helpers\n"
            "rng = np.random.default_rng(0)\n"
            "a = rng.random((16, 16)); b = a + 0.3 * rng.random((16, 16))\n"
            "print(helpers.agreement_table({'a': a, 'b': b}))")
    cell = nbformat.v4.new_code_cell(code, execution_count=1,
                                     outputs=[nbformat.v4.new_output("stream", name="stdout", text=stored_text)])
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)


def _nbval(folder: Path) -> subprocess.CompletedProcess:
    (folder / "conftest.py").write_text(
        f"import sys; sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
        "import nbval_numbers; nbval_numbers.install()\n")
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q",
                           "--rootdir", str(folder), str(folder)], capture_output=True, text=True,
                          cwd=folder, timeout=300, env=dict(os.environ, XAI_COURSE_WEIGHTS="random"))


@pytest.mark.slow
def test_nbval_passes_within_tolerance_and_fails_beyond(tmp_path):
    """Real nbval runs: the fresh output vs stored copies moved by one unit of the last
    digit (passes), by ten (fails), or with a word changed (fails)."""
    import helpers
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.random((16, 16))
    truth = str(helpers.agreement_table({"a": a, "b": a + 0.3 * rng.random((16, 16))})) + "\n"
    number = nbval_numbers.DECIMAL.findall(truth)[0]  # « 0,123 » in French (the default)
    sep = "," if "," in number else "."
    unit = 10.0 ** -nbval_numbers._decimals(number)
    digits = len(number.split(sep)[1])

    def moved(by: float) -> str:
        return f"{float(number.replace(sep, '.')) + by:.{digits}f}".replace(".", sep)

    cases = {"exact": (truth, 0), "one_unit": (truth.replace(number, moved(unit), 1), 0),
             "ten_units": (truth.replace(number, moved(10 * unit), 1), 1),
             "word": ("Z" + truth, 1)}
    for name, (stored, expected) in cases.items():
        folder = tmp_path / name
        folder.mkdir()
        _notebook(folder / "check.ipynb", stored)
        run = _nbval(folder)
        assert (run.returncode != 0) == bool(expected), f"{name}: {run.stdout[-3000:]}"
