"""A small table: plain rows that print as text and render as HTML in a notebook.

Pandas-free on purpose (one dependency less on a student's machine); every computed
table of the course (architecture, filter statistics, regions, masks, benchmarks,
production figures) is one of these.
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .messages import N_, label, language, number

#: How booleans are shown, ``label(True)`` looking up ``str(True)`` (marked here for the catalogue).
BOOLEANS = (N_("True"), N_("False"))


class Table:
    """Rows of values under named columns.

    ``table.rows`` are tuples, ``table.column(name)`` one column, ``table.as_dicts()``
    a list of dicts; ``str(table)`` aligned text; ``table.to_markdown()`` for a README.

    Args:
        columns: column names.
        rows: sequences of values, one per column.
        title: optional caption.
        floatfmt: format of floats when printed (the values stay exact).
        headers: the columns as shown, when they are not plain words of
            ``helpers.messages`` (default: each column translated by ``label``).

    Raises:
        ValueError: a row without one value per column.
    """

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "",
                 floatfmt: str = ".3f", headers: Sequence[str] | None = None) -> None:
        self.columns = tuple(str(c) for c in columns)
        if headers is not None and len(headers) != len(self.columns):
            raise ValueError(f"{len(headers)} headers for {len(self.columns)} columns")
        self.headers = None if headers is None else tuple(str(h) for h in headers)
        self.rows = [tuple(r) for r in rows]
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"row {row!r} has {len(row)} values for {len(self.columns)} columns")
        self.title = title
        self.floatfmt = floatfmt

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.rows)

    def column(self, name: str) -> list:
        """The values of one column.

        Args:
            name: a column name, as given (not translated).

        Returns:
            The column's values, one per row, in row order.

        Raises:
            ValueError: no such column.
        """
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def as_dicts(self) -> list[dict]:
        """The rows as dicts.

        Returns:
            One ``{column: value}`` dict per row, in row order.
        """
        return [dict(zip(self.columns, row)) for row in self.rows]

    def _fmt(self, value) -> str:
        """A value as shown, in the course's language (``helpers.messages``)."""
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            return label(value)  # True and False: BOOLEANS
        if isinstance(value, numbers.Integral):
            return number(int(value), ",d")
        if isinstance(value, numbers.Real):
            return number(float(value), self.floatfmt)
        return str(value)

    def _headers(self) -> list[str]:
        """The columns as shown: ``headers`` when given, else each column's label."""
        return list(self.headers) if self.headers else [label(c) for c in self.columns]

    def _cells(self) -> list[list[str]]:
        return [[self._fmt(v) for v in row] for row in self.rows]

    def __str__(self) -> str:
        cells = self._cells()
        headers = self._headers()
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(headers)]

        def line(values):
            return "  ".join(
                v.rjust(w) if _numeric(v) else v.ljust(w) for v, w in zip(values, widths)
            ).rstrip()

        out = [self.title] if self.title else []
        out.append(line(headers))
        out.append("  ".join("-" * w for w in widths))
        out.extend(line(r) for r in cells)
        return "\n".join(out)

    __repr__ = __str__

    def to_markdown(self) -> str:
        """The table as a Markdown table (header, alignment row, one line per row).

        Returns:
            The Markdown text, values formatted as ``str(table)`` shows them.
        """
        cells = self._cells()
        out = ["| " + " | ".join(self._headers()) + " |",
               "|" + "|".join("---:" if cells and _numeric(cells[0][i]) else "---"
                              for i in range(len(self.columns))) + "|"]
        out.extend("| " + " | ".join(r) + " |" for r in cells)
        return "\n".join(out)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self._headers())
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in r) + "</tr>"
            for r in self._cells()
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _numeric(text: str) -> bool:
    """Whether a cell reads as a number (in either language), to right-align it."""
    if language() == "fr":
        text = text.replace("\u202f", "").replace(",", ".")
    else:
        text = text.replace(",", "")
    try:
        float(text.replace("%", "").replace("×", "").strip())
        return True
    except ValueError:
        return False
