"""Sphinx configuration of the course's documentation (``make docs``).

Sphinx with MyST: the pages are Markdown (the README's sections moved here as they
were), the reference is generated from the docstrings by autodoc + napoleon (Google
style, as the code writes them). The build is offline (no intersphinx inventory is
fetched) and strict: ``make docs`` runs ``sphinx-build -W --keep-going -n``, so a broken
link, a page missing from the table of contents, a cross-reference to nothing or a
malformed docstring fails it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Importing helpers for autodoc must not try to download weights or print TF notices.
os.environ.setdefault("XAI_COURSE_WEIGHTS", "random")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

project = "Où regarde un CNN ?"
author = "the xai-course team"
copyright = "2026, the xai-course team"
language = "en"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# Google-style docstrings, types from the annotations.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
# NumPy's ArrayLike is a long union: show its name.
autodoc_type_aliases = {"ArrayLike": "ArrayLike"}
autodoc_member_order = "bysource"
# Our docstrings only: an override without one (e.g. of nbclient's) shows no foreign text.
autodoc_inherit_docstrings = False
autodoc_default_options = {"members": None, "show-inheritance": None}

# Strict cross-references (-n) for what this project defines; the libraries it builds on
# have no inventory offline, so references into them are not checked.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(keras|tf|tensorflow|np|numpy|PIL|ipywidgets|matplotlib|nbformat|nbgrader|"
               r"nbclient|jupyter_client|traitlets|dask|distributed|pandas|collections|typing|gettext|babel|"
               r"pathlib|os|subprocess|threading|concurrent|dataclasses|enum|types|io|re|"
               r"sqlalchemy|cv2|copydetect|numpy\.typing)(\..*)?"),
    (r"py:.*", r"(ArrayLike|NDArray|Path|Callable|Iterable|Iterator|Sequence|Mapping|Any|"
               r"Literal|Self|PathLike|Figure|Axes|Model|Layer|Tensor|Widget|Executor|Future|"
               r"TypeAliasForwardRef|'ArrayLike')"),
    # private base classes named by show-inheritance
    (r"py:class", r".*\._[A-Za-z]\w*"),
    (r"py:.*", r"(int|float|str|bool|bytes|dict|list|tuple|set|frozenset|object|type|None|"
               r"Exception|ValueError|TypeError|KeyError|RuntimeError|OSError|ImportError|"
               r"FileNotFoundError|TimeoutError|BaseException|optional)"),
]

html_theme = "furo"
html_title = "Où regarde un CNN ?"
html_static_path: list[str] = []
