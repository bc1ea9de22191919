"""nbval on the source notebooks compares decimal numbers with a tolerance, so that the
stored outputs hold on any CPU (see ``tests/nbval_numbers.py``)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import nbval_numbers  # noqa: E402

nbval_numbers.install()
