"""The README stays a five-minute read that points into the documentation site.

The site itself is built strictly by ``make docs`` (``sphinx-build -W -n``), which
``.ci/run`` runs: a broken link, a missing page or a bad docstring fails CI there.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_is_short():
    assert len(README.splitlines()) <= 150


def test_every_relative_link_of_the_readme_exists():
    targets = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if not re.match(r"[a-z]+://", t)]
    assert local, "the README links into docs/"
    missing = [t for t in local if not (ROOT / t).exists()]
    assert not missing, missing


def test_every_guide_the_readme_names_is_a_page_of_the_site():
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").rglob("*.md")
             if "_build" not in p.parts}
    linked = {t for t in re.findall(r"\]\((docs/[^)#\s]+\.md)\)", README)}
    assert linked and linked <= pages, linked - pages


def test_system_packages_are_named_once_in_the_readme():
    """A newcomer reads the prerequisites in one place; the guides do not repeat them."""
    assert "sudo apt-get install chromium" in README and "python3-venv" in README
    repeated = [p.name for p in (ROOT / "docs").rglob("*.md")
                if "_build" not in p.parts and "apt-get install" in p.read_text(encoding="utf-8")]
    assert not repeated, repeated


def test_every_file_the_documentation_names_exists():
    """A guide that names ``tests/test_x.py`` or ``course/x.py`` names a real file (stale
    claims about the code start as stale paths)."""
    generated = {"docs/_build/html/index.html", "tests/artifacts/"}
    pages = [ROOT / "README.md"] + [p for p in (ROOT / "docs").rglob("*.md") if "_build" not in p.parts]
    pattern = r"`((?:helpers|course|tests|benchmarks|grading|tools|source_notebooks|release|docs)/[\w./-]*)`"
    missing = [f"{page.relative_to(ROOT)}: {path}" for page in pages
               for path in set(re.findall(pattern, page.read_text(encoding="utf-8")))
               if path not in generated and not (ROOT / path).exists()]
    assert not missing, missing
