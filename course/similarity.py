"""``course similarity``: which students handed in the same work, question by question.

What is compared, per question, across every pair of students of one assignment:

* each **graded function's cell** (a code cell that nbgrader marks ``solution`` in the
  source notebook: ``occlusion_map``, ``FaceRecognizer``…), tokenised as Python so
  that renamed variables, comments, docstrings and layout change nothing;
* each **written answer** (a markdown cell marked ``solution`` and ``grade``), as
  French text: case and spacing ignored, the order of the sentences too.

**Boilerplate** is not counted: the release's stub of the cell, the source's solution
(the code, or the answer key « **Corrigé.** … »), and, for code, the public code of
``helpers``. A student who follows the statement closely, or hands in the stub, is
not a suspect; an answer with nothing of its own left never matches.

How: copydetect's winnowing fingerprints (Schleimer, Wilkerson and Aiken, *Winnowing:
local algorithms for document fingerprinting*, SIGMOD 2003 — what MOSS does), computed
on this machine: nothing is uploaded. A pair's score on a question is the larger of the
two shares of "own work" (what is left after boilerplate) that the other copy also
holds, with a floor on the amount of own work (:data:`MIN_WORK`) so that two copies
that differ from the solution by the same one-line mistake do not score 100 %.

What the instructor gets (:func:`write_report`): a ranked table, ``similarity/<assignment>.csv``
and one HTML page per flagged pair with the two students' cells side by side, the
matching fragments highlighted. It is evidence for a human to read, never a grade.
"""

from __future__ import annotations

import ast
import csv
import functools
import html
import io
import json
import os
import shutil
import sys
import tempfile
import tokenize
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, TextIO

import numpy as np
from copydetect.detector import CodeFingerprint, compare_files
from copydetect.utils import highlight_overlap

from .core import Course, CourseError

#: Length of the fingerprinted k-grams, in characters of normalised code
#: (:func:`normalise_code`) or text (:func:`normalise_text`); chosen on the test class
#: (``benchmarks/similarity.py --compare``).
K_CODE = 30
K_TEXT = 25
#: Winnowing window, 1 to keep every k-gram. copydetect hashes with Python's ``hash()``,
#: salted per process, so a wider window would pick other fingerprints, and give other
#: scores, at each run; a notebook cell is small enough to keep them all.
WINDOW = 1
#: Characters of own work below which a copy's share is counted against this floor
#: instead (a one-line difference from the solution cannot score 100 %).
MIN_WORK = 120
#: Pairs at or above this score are flagged (table, HTML pages).
THRESHOLD = 0.55
STUBS = ("raise NotImplementedError()", "raise NotImplementedError", "# VOTRE CODE ICI",
         "# YOUR CODE HERE", "VOTRE RÉPONSE ICI", "YOUR ANSWER HERE")
SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Question:
    """One compared cell of the assignment.

    Attributes:
        grade_id: nbgrader's ``grade_id`` of the cell.
        kind: ``"code"`` (a graded function) or ``"text"`` (a written answer).
        boilerplate: texts whose fingerprints are not counted (stub, solution, helpers).
    """

    grade_id: str
    kind: str
    boilerplate: tuple[str, ...] = field(default=(), repr=False)


@dataclass
class Match:
    """Two students' copies of one question and how much of them they share.

    Attributes:
        question: the question's ``grade_id``.
        kind: ``"code"`` or ``"text"``.
        students: the two students, in alphabetical order.
        score: in [0, 1], the larger share of own work held by the other copy.
        shares: each student's share (same order as ``students``).
        slices: for each copy, the ``(start, end)`` character ranges that match.
    """

    question: str
    kind: str
    students: tuple[str, str]
    score: float
    shares: tuple[float, float]
    slices: tuple[list[tuple[int, int]], list[tuple[int, int]]] = field(repr=False, default=((), ()))


@dataclass
class Report:
    """The result of :func:`compare`: every pair that shares something, best first.

    Attributes:
        assignment: the assignment's name.
        questions: the compared questions, in the notebook's order.
        matches: every pair with a score above 0, by decreasing score.
        texts: ``{student: {grade_id: the copy's text}}`` (what the pages show).
        skipped: ``{student: why}`` for submissions that could not be read.
        threshold: the score from which a pair is flagged.
    """

    assignment: str
    questions: list[Question]
    matches: list[Match]
    texts: dict[str, dict[str, str]]
    skipped: dict[str, str]
    threshold: float = THRESHOLD
    prints: dict = field(default_factory=dict, repr=False)  # (grade_id, student) -> _Print

    @property
    def flagged(self) -> list[Match]:
        return [m for m in self.matches if m.score >= self.threshold]

    def table(self, names: dict[str, str] | None = None) -> str:
        """The flagged pairs as a plain-text table, best first.

        Args:
            names: ``{student: alias}`` to show instead of the names (``--anonymous``).

        Returns:
            The table, or a sentence saying that no pair is flagged.
        """
        shown = names or {}
        rows = self.flagged
        if not rows:
            return f"No pair scores {self.threshold:.0%} or more on any question."
        width = max(len(shown.get(s, s)) for m in rows for s in m.students) + 2
        lines = [f"{'score':>6}  {'question':<24}{'kind':<6}{'student':<{width}}{'student':<{width}}"]
        for m in rows:
            a, b = (shown.get(s, s) for s in m.students)
            lines.append(f"{m.score:>6.0%}  {m.question:<24}{m.kind:<6}{a:<{width}}{b:<{width}}")
        return "\n".join(lines)


# ------------------------------------------------------------------------ reading cells
def cell_text(cell: dict) -> str:
    """A notebook cell's source as one string.

    Args:
        cell: the cell (JSON), its ``source`` a string or a list of lines.

    Returns:
        The source.
    """
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return str(meta["grade_id"]) if meta.get("grade_id") else None


def questions_of(source: dict, release: dict, helpers: tuple[str, ...] = ()) -> list[Question]:
    """The compared questions of an assignment, with their boilerplate.

    Args:
        source: the source notebook (JSON): its ``solution`` cells are the questions
            (code: a graded function; markdown with ``grade``: a written answer).
        release: the student version, whose stubs are boilerplate.
        helpers: the public modules of ``helpers`` (:func:`helpers_code`), boilerplate of
            every code question.

    Returns:
        The questions, in the notebook's order.
    """
    stubs = {_grade_id(c): cell_text(c) for c in release.get("cells", []) if _grade_id(c)}
    found = []
    for cell in source.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = _grade_id(cell)
        if not meta.get("solution") or grade_id is None:
            continue
        if cell.get("cell_type") == "code":
            solution = cell_text(cell)
            typed = "\n".join(line for line in solution.splitlines() if line.strip() not in SOLUTION_MARKERS)
            found.append(Question(grade_id, "code", (stubs.get(grade_id, ""), solution, typed, *helpers)))
        elif cell.get("cell_type") == "markdown" and meta.get("grade"):
            found.append(Question(grade_id, "text", (stubs.get(grade_id, ""), cell_text(cell))))
    return found


def helpers_code(folder: Path | None = None) -> tuple[str, ...]:
    """The public modules of the ``helpers`` package (those whose path has no part
    starting with ``_`` but ``__init__.py``), one text each.

    Args:
        folder: the package's folder (default: the installed ``helpers``, found without
            importing it, which would load TensorFlow).

    Returns:
        The modules' texts, in the order of their paths; none when there is no package.
    """
    if folder is None:
        import importlib.util

        spec = importlib.util.find_spec("helpers")
        if spec is None or not spec.submodule_search_locations:
            return ()
        folder = Path(next(iter(spec.submodule_search_locations)))
    return tuple(p.read_text("utf-8") for p in sorted(folder.rglob("*.py"))
                 if not any(part.startswith("_") and part != "__init__.py"
                            for part in p.relative_to(folder).parts))


def answers_of(notebook: dict, questions: list[Question]) -> dict[str, str]:
    """The student's text of each question.

    Args:
        notebook: the student's notebook (JSON).
        questions: the questions (:func:`questions_of`).

    Returns:
        ``{grade_id: text}`` for each question whose cell is in ``notebook``.
    """
    wanted = {q.grade_id for q in questions}
    return {g: cell_text(c) for c in notebook.get("cells", []) if (g := _grade_id(c)) in wanted}


# ------------------------------------------------------------------------ fingerprints
def normalise_text(text: str) -> tuple[str, list[tuple[int, int]]]:
    """French prose as compared: lower case, markup and punctuation dropped, one space
    between words, and where each kept character came from in ``text``.

    Args:
        text: a written answer (markdown).

    Returns:
        The normalised text and, for each of its characters, the span of ``text`` it
        comes from.
    """
    out, origin, space = [], [], True
    for i, ch in enumerate(text):
        if ch.isalnum():
            low = ch.lower()
            out.append(low if len(low) == 1 else ch)
            origin.append((i, i + 1))
            space = False
        elif not space:
            out.append(" ")
            origin.append((i, i))
            space = True
    return "".join(out), origin


def local_names(code: str) -> set[str]:
    """The names ``code`` binds itself: arguments, assigned and loop variables, functions
    and classes it defines, exception names (what a copier renames). Imported modules
    are left out: ``np`` stays ``np`` whoever imports it.

    Args:
        code: valid Python.

    Returns:
        The names.

    Raises:
        SyntaxError: when ``code`` is not valid Python.
    """
    tree = ast.parse(code)
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.arguments):
            names |= {a.arg for a in node.posonlyargs + node.args + node.kwonlyargs}
            names |= {a.arg for a in (node.vararg, node.kwarg) if a is not None}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names - {"self"}


def normalise_code(code: str) -> tuple[str, list[tuple[int, int]]] | None:
    """Python as compared: the tokens without comments, docstrings or layout, every name
    the code binds itself written ``V``, string literals ``S``; the names it only uses
    (``np``, ``tf.GradientTape``, ``.shape``, ``argmax``) kept, since they are what
    independent solutions differ by.

    Args:
        code: a graded function's cell.

    Returns:
        The normalised code and, for each of its characters, the span of ``code`` it
        comes from (its token); None when ``code`` is not valid Python (it is then
        compared as text).
    """
    try:
        own = local_names(code)
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (SyntaxError, tokenize.TokenError, ValueError):
        return None
    starts = [0]
    for line in code.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out: list[str] = []
    origin: list[tuple[int, int]] = []
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER, tokenize.ENCODING}
    previous, statement_start = None, True
    for i, tok in enumerate(tokens):
        if tok.type in skip:
            if tok.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                statement_start = True
            continue
        at, end = starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1]
        if tok.type == tokenize.STRING:
            # a string alone on its line is a docstring (or a comment written as one)
            after = next((t.type for t in tokens[i + 1:] if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
            if statement_start and after in (tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.DEDENT):
                continue
            text = "S"
        elif tok.type == tokenize.NAME and tok.string in own and previous != ".":
            text = "V"
        else:
            text = tok.string
        if out and text[0].isalnum() and out[-1][-1].isalnum():
            out.append(" ")
            origin.append((at, at))
        out.append(text)
        origin.extend([(at, end)] * len(text))
        previous, statement_start = tok.string, False
    return "".join(out), origin


@dataclass
class _Print:
    """A copy's fingerprint (copydetect's) and how to map its slices back."""

    fingerprint: CodeFingerprint
    origin: list[tuple[int, int]]  # normalised character -> the span of the original it comes from

    @property
    def work(self) -> float:
        return float(self.fingerprint.token_coverage)


def _fingerprint(text: str, kind: str, boilerplate: np.ndarray | None = None,
                 window: int | None = None) -> _Print:
    window = WINDOW if window is None else window
    found = normalise_code(text) if kind == "code" else None
    if found is None:
        found = normalise_text(text)
    normal, origin = found
    k = K_CODE if kind == "code" else K_TEXT
    fp = CodeFingerprint("cell.txt", k, window, boilerplate=boilerplate, filter=False,
                         fp=io.StringIO(normal))
    return _Print(fp, origin)


def boilerplate_hashes(question: Question) -> np.ndarray:
    """Every k-gram hash of the question's boilerplate (window 1: none skipped).

    Args:
        question: the question, with its boilerplate texts.

    Returns:
        The hashes, sorted (copydetect's ``boilerplate`` argument).
    """
    hashes: set[int] = set()
    for text in question.boilerplate:
        if text.strip():
            hashes |= _all_hashes(text, question.kind, K_CODE if question.kind == "code" else K_TEXT)
    return np.array(sorted(hashes), dtype=np.int64)


@functools.lru_cache(maxsize=256)
def _all_hashes(text: str, kind: str, k: int) -> frozenset[int]:
    # cached: helpers' modules are the boilerplate of every code question
    return frozenset(_fingerprint(text, kind, window=1).fingerprint.hashes)


def _slices(found: np.ndarray, origin: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """copydetect's matching slices of the normalised text, as spans of the original."""
    pairs = [(int(a), int(b)) for a, b in zip(*found)] if len(found) and len(found[0]) else []
    spans = []
    for a, b in pairs:
        if a < len(origin) and b > a:
            start, end = origin[a][0], origin[min(b, len(origin)) - 1][1]
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
    return spans


# ------------------------------------------------------------------------ comparing
def compare_copies(copies: dict[str, dict[str, str]], questions: list[Question], *,
                   threshold: float = THRESHOLD, assignment: str = "",
                   skipped: dict[str, str] | None = None) -> Report:
    """Compare every pair of students on every question.

    Args:
        copies: ``{student: {grade_id: text}}``; a question a student did not hand in
            is left out of that student's pairs.
        questions: the questions and their boilerplate (:func:`questions_of`).
        threshold: score from which a pair is flagged.
        assignment: the assignment's name, for the report.
        skipped: submissions that could not be read, carried into the report.

    Returns:
        The :class:`Report`; its matches are sorted by decreasing score, then question
        and students (the order does not depend on the order of ``copies``).
    """
    matches: list[Match] = []
    prints: dict[tuple[str, str], _Print] = {}
    for question in questions:
        boilerplate = boilerplate_hashes(question)
        held: dict[str, _Print] = {}
        for student in sorted(copies):
            text = copies[student].get(question.grade_id, "")
            if not _has_own_words(text):
                continue
            found = _fingerprint(text, question.kind, boilerplate)
            if found.work > 0:
                held[student] = prints[question.grade_id, student] = found
        matches += _score_pairs(question, held)
    matches.sort(key=lambda m: (-m.score, m.question, m.students))
    return Report(assignment, questions, matches, copies, dict(skipped or {}), threshold, prints)


def _score_pairs(question: Question, prints: dict[str, _Print]) -> list[Match]:
    """The matches of one question: every pair of ``prints`` that shares a fingerprint.

    A pair's overlap is copydetect's (:func:`copydetect.detector.compare_files`: the
    characters covered by the k-grams that the other copy also holds, over the
    characters covered by all the copy's k-grams), computed for all pairs at once:
    a students × shared-fingerprints matrix finds the pairs sharing any, then one
    indexing per pair marks the matching positions (the slices for the pages are
    copydetect's own, computed for the pairs shown, :func:`fill_slices`).
    """
    students = list(prints)
    if len(students) < 2:
        return []
    k = prints[students[0]].fingerprint.k
    counts: dict[int, int] = defaultdict(int)
    for found in prints.values():
        for h in found.fingerprint.hashes:
            counts[h] += 1
    column = {h: i for i, h in enumerate(h for h, n in counts.items() if n > 1)}
    shared = len(column)
    if not shared:
        return []
    holds = np.zeros((len(students), shared + 1), dtype=bool)  # last column: held by one only
    positions, columns = [], []
    for row, student in enumerate(students):
        index = prints[student].fingerprint.hash_idx
        cols = [column.get(h, shared) for h in index for _ in index[h]]
        pos = [p for h in index for p in index[h]]
        holds[row, cols] = True
        positions.append(np.asarray(pos, dtype=np.int64))
        columns.append(np.asarray(cols, dtype=np.int64))
    holds[:, shared] = False
    together = holds[:, :shared].astype(np.float32)
    common = np.triu(together @ together.T, 1)
    found = []
    for i, j in zip(*np.nonzero(common > 0)):
        a, b = students[i], students[j]
        overlap = (_covered(positions[i][holds[j, columns[i]]], k), _covered(positions[j][holds[i, columns[j]]], k))
        shares = tuple(float(o / p.work * min(1.0, p.work / MIN_WORK)) for o, p in zip(overlap, (prints[a], prints[b])))
        score = min(1.0, max(shares))
        if score > 0:
            found.append(Match(question.grade_id, question.kind, (a, b), score, shares))
    return found


def _covered(starts: np.ndarray, k: int) -> int:
    """Characters covered by the k-grams starting at ``starts`` (copydetect's overlap)."""
    if not len(starts):
        return 0
    gaps = np.diff(np.sort(starts))
    return int(k + np.minimum(gaps, k).sum())


def fill_slices(report: Report, matches: list[Match]) -> None:
    """Set each match's ``slices`` (the matching spans of both copies) with copydetect's
    :func:`~copydetect.detector.compare_files`.

    Args:
        report: the report the matches come from (it holds the fingerprints).
        matches: the matches to fill in, in place.
    """
    for m in matches:
        pa, pb = (report.prints[m.question, s] for s in m.students)
        _, _, (slices_a, slices_b) = compare_files(pa.fingerprint, pb.fingerprint)
        m.slices = (_slices(slices_a, pa.origin), _slices(slices_b, pb.origin))


def _has_own_words(text: str) -> bool:
    rest = text
    for stub in STUBS:
        rest = rest.replace(stub, "")
    return bool(rest.strip())


def read_class(course: Course, assignment: str) -> tuple[dict[str, dict], dict[str, str], Path]:
    """The students' notebooks of ``assignment``: the collected ones (``submitted/``),
    or, where nothing was collected, the autograded ones.

    Args:
        course: the course.
        assignment: the assignment's name.

    Returns:
        ``{student: notebook JSON}``, ``{student: why it was skipped}`` (not JSON, no
        notebook, several notebooks), and the folder read.

    Raises:
        CourseError: when no student handed in this assignment.
    """
    folder = course.submitted if course.students(assignment) else course.autograded
    students = sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir()) if folder.is_dir() else []
    if not students:
        raise CourseError(f"No submission of {assignment} in {course.submitted} or {course.autograded}: "
                          f"run `nbgrader collect {assignment}` first.")
    notebooks, skipped = {}, {}
    for student in students:
        found = sorted((folder / student / assignment).glob("*.ipynb"))
        if not found:
            skipped[student] = f"no notebook in {folder / student / assignment}"
            continue
        if len(found) > 1:
            skipped[student] = f"{len(found)} notebooks in {folder / student / assignment}; keep one"
            continue
        try:
            notebook = json.loads(found[0].read_text("utf-8"))
            if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
                raise ValueError("it has no list of cells")
        except (ValueError, UnicodeDecodeError) as err:
            skipped[student] = f"{found[0]} is not a notebook ({str(err).splitlines()[0]})"
            continue
        notebooks[student] = notebook
    return notebooks, skipped, folder


def compare(course: Course, assignment: str, *, threshold: float = THRESHOLD) -> Report:
    """Compare the collected submissions of ``assignment`` (see the module's docstring).

    Args:
        course: the course.
        assignment: the assignment's name.
        threshold: score from which a pair is flagged.

    Returns:
        The :class:`Report` (nothing written yet: :func:`write_report`).

    Raises:
        CourseError: unknown assignment, no submission, or no readable one.
    """
    course.check_assignment(assignment)
    source_path = next((course.source / assignment).glob("*.ipynb"))
    release_path = course.release / assignment / source_path.name
    if not release_path.is_file():
        raise CourseError(f"{release_path} is missing: run `course release {assignment}` first "
                          "(the release's stubs are boilerplate).")
    source = json.loads(source_path.read_text("utf-8"))
    release = json.loads(release_path.read_text("utf-8"))
    questions = questions_of(source, release, helpers_code())
    notebooks, skipped, folder = read_class(course, assignment)
    if not notebooks:
        raise CourseError(f"None of the {len(skipped)} submissions of {assignment} in {folder} "
                          "could be read:\n" + "\n".join(f"  {s}: {why}" for s, why in skipped.items()))
    copies = {student: answers_of(nb, questions) for student, nb in notebooks.items()}
    return compare_copies(copies, questions, threshold=threshold, assignment=assignment, skipped=skipped)


# ------------------------------------------------------------------------ writing
def aliases(students: Iterable[str]) -> dict[str, str]:
    """``student-001``… in alphabetical order of the names (``--anonymous``).

    Args:
        students: the names.

    Returns:
        ``{name: alias}``.
    """
    ordered = sorted(students)
    width = max(3, len(str(len(ordered))))
    return {s: f"student-{i:0{width}d}" for i, s in enumerate(ordered, 1)}


def page(report: Report, matches: list[Match], names: dict[str, str]) -> str:
    """The HTML page of one pair: the two cells of each question side by side, the
    matching fragments highlighted.

    Args:
        report: the report (its texts and threshold).
        matches: every match of the pair, best first, slices filled (:func:`fill_slices`).
        names: ``{student: name shown}``.

    Returns:
        The page.
    """
    pair = matches[0].students
    a, b = (names.get(s, s) for s in pair)
    sections = []
    for m in matches:
        cells = []
        for student, slices in zip(pair, m.slices):
            text = report.texts[student][m.question]
            marked = _highlight(text, slices)
            cells.append(f"<td><pre>{marked}</pre></td>")
        flag = " flagged" if m.score >= report.threshold else ""
        sections.append(
            f'<h2 class="q{flag}">{html.escape(m.question)} ({m.kind}): {m.score:.0%}</h2>\n'
            f"<p>Share of each copy's own work found in the other: {m.shares[0]:.0%} and {m.shares[1]:.0%}.</p>\n"
            f"<table><tr><th>{html.escape(a)}</th><th>{html.escape(b)}</th></tr>\n<tr>{''.join(cells)}</tr></table>")
    title = f"{report.assignment}: {a} and {b}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ width: 100%; border-collapse: collapse; table-layout: fixed; }}
td, th {{ border: 1px solid #ccc; vertical-align: top; padding: .4em; }}
pre {{ white-space: pre-wrap; margin: 0; font-size: 90%; }}
mark {{ background: #ffd54f; }}
h2.flagged {{ color: #b71c1c; }}
.note {{ background: #eef; padding: .6em; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">Highlighted: fragments found in both copies that are not in the statement, the stub,
the solution or the course's <code>helpers</code>. This is evidence for a person to read and weigh
(a shared idea, a shared source, help given), never a grade change by itself.</p>
{chr(10).join(sections)}
</body></html>
"""


def _highlight(text: str, slices) -> str:
    if not slices:
        return html.escape(text)
    merged = np.array([[s for s, _ in slices], [e for _, e in slices]])
    order = np.argsort(merged[0])
    marked, _ = highlight_overlap(text, merged[:, order], "<mark>", "</mark>", escape_html=True)
    return marked


def write_report(course: Course, report: Report, *, anonymous: bool = False) -> list[Path]:
    """Write ``similarity/<assignment>.csv`` and ``similarity/<assignment>/<a>--<b>.html``
    (one page per flagged pair), replacing an earlier report only once all is rendered.

    Args:
        course: the course (outputs go to its ``similarity/`` folder).
        report: what :func:`compare` found.
        anonymous: show ``student-001``… instead of the names (in the CSV and the pages too).

    Returns:
        The paths written.
    """
    names = aliases(report.texts) if anonymous else {s: s for s in report.texts}
    out = course.root / "similarity"
    out.mkdir(exist_ok=True)
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["rank", "question", "kind", "student_a", "student_b", "score", "share_a", "share_b", "flagged"])
    for rank, m in enumerate(report.matches, 1):
        a, b = (names[s] for s in m.students)
        writer.writerow([rank, m.question, m.kind, a, b, f"{m.score:.3f}", f"{m.shares[0]:.3f}",
                         f"{m.shares[1]:.3f}", "yes" if m.score >= report.threshold else ""])
    pairs = sorted({m.students for m in report.flagged})
    pairs_set = set(pairs)
    by_pair: dict[tuple[str, str], list[Match]] = defaultdict(list)
    for m in report.matches:
        if m.students in pairs_set:
            by_pair[m.students].append(m)
    fill_slices(report, [m for shown in by_pair.values() for m in shown])
    pages = {f"{names[a]}--{names[b]}.html": page(report, by_pair[a, b], names) for a, b in pairs}
    # everything is rendered: now replace the old report, each part in one rename
    staging = Path(tempfile.mkdtemp(prefix=f".{report.assignment}-", dir=out))
    try:
        for name, text in pages.items():
            (staging / name).write_text(text, "utf-8")
        csv_tmp = out / f".{report.assignment}.csv.tmp"
        csv_tmp.write_text(rows.getvalue(), "utf-8")
        folder = out / report.assignment
        old = None
        if folder.exists():
            old = out / f".{report.assignment}-old-{os.getpid()}"
            folder.rename(old)
        staging.rename(folder)
        os.replace(csv_tmp, out / f"{report.assignment}.csv")
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out / f"{report.assignment}.csv"] + [out / report.assignment / name for name in pages]


def report_similarity(course: Course, assignment: str, *, threshold: float | None = None,
                      anonymous: bool = False, out: TextIO | None = None) -> tuple[Report, list[Path]]:
    """``course similarity``: compare, print the ranked table, write the report.

    Args:
        course: the course.
        assignment: the assignment to compare.
        threshold: score from which a pair is flagged (default :data:`THRESHOLD`).
        anonymous: aliases instead of names everywhere.
        out: where to print (default: standard output).

    Returns:
        The report and the files written.
    """
    out = out or sys.stdout
    report = compare(course, assignment, threshold=THRESHOLD if threshold is None else threshold)
    names = aliases(report.texts) if anonymous else {}
    for student, why in report.skipped.items():
        print(f"course similarity: warning: {names.get(student, student)} left out: {why}", file=sys.stderr)
    files = write_report(course, report, anonymous=anonymous)
    compared = len(report.texts)
    print(f"{assignment}: {compared} submissions, {len(report.questions)} questions compared, "
          f"{len(report.flagged)} pairs flagged at {report.threshold:.0%} or more", file=out)
    print(report.table(names), file=out)
    print(f"wrote {files[0]} and {len(files) - 1} HTML pages in {files[0].with_suffix('')}", file=out)
    print("A flagged pair is a reason to read both copies side by side, never a grade change by itself.",
          file=out)
    return report, files
