"""``course similarity`` on synthetic promotions, and the library comparison (issue 26).

Run from the repository root::

    python -m benchmarks.similarity                      # 50, 100, 200, 300 students
    python -m benchmarks.similarity --compare            # which method separates best

**Timing.** For each size n and practical, a scratch course holds n collected notebooks
(the committed release, filled in): each graded function is a text of the grading
corpus (``tests/submissions_*.py``: correct alternatives and typical mistakes) with a line of
the student's own (``seed = <random>``): about 20 texts per function for the whole
class, so most pairs share fingerprints and thousands are near copies, flagged, with a
page each: a pessimistic load), each
written answer 20 to 40 words drawn at random from the French of the course's answers
(the answer keys and the test class's authors), and one student in ten hands in a
classmate's notebook copied one of the ways of ``tests/similarity_class.py``. The
figure is the wall time of the whole command (``report_similarity``: read, compare,
write the CSV and the pages), one process, as an instructor runs it.

**Comparison** (``--compare``), on the test class of ``tests/similarity_class.py``: the
lowest score of a copied pair and the highest of an independent pair, per kind, for

* copydetect on our normalisation (:func:`course.similarity.normalise_code`: bound names
  ``V``, used names kept) — what ``course similarity`` does;
* copydetect with its own Python filter (every name ``V``), same k;
* pycode_similar 1.4 (AST per function, difflib on the normalised dump; code only;
  ``pip install pycode_similar==1.4`` to include it);
* for written answers, a word 3-gram Jaccard index against copydetect's character k-grams.
"""

from __future__ import annotations

import argparse
import io
import json
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from contextlib import redirect_stderr, redirect_stdout
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import similarity_class as sc  # noqa: E402

from course import similarity  # noqa: E402
from course.core import Course  # noqa: E402


# --------------------------------------------------------------------------- timing
def french_words(assignment: str) -> list[str]:
    """The words of the course's French answers (keys and the test class's authors)."""
    source = json.loads(sc.notebook_paths(assignment)[0].read_text("utf-8"))
    texts = ["".join(c["source"]) for c in source["cells"] if c["cell_type"] == "markdown"]
    texts += [t for authors in (sc.WRITTEN_B, sc.WRITTEN_C) for t in authors[assignment].values()]
    return re.findall(r"[A-Za-zÀ-ÿ']+", " ".join(texts))


API = ["np.zeros", "np.ones", "np.asarray", "np.array", "np.argmax", "np.max", "np.min", "np.abs",
       "np.mean", "np.sum", "np.repeat", "np.stack", "np.clip", "np.where", "np.maximum", "np.ptp",
       "tf.reduce_mean", "tf.reduce_max", "tf.reduce_sum", "tf.abs", "tf.argmax", "tf.nn.relu",
       "tf.convert_to_tensor", "helpers.get_preprocess", "model", "model.predict", "len", "float", "int"]
METHODS = ["min", "max", "copy", "numpy", "sum", "mean", "astype", "reshape"]


def own_function(rng: random.Random, header: str) -> str:
    """A function of 8 to 16 random statements over the course's API: the stand-in for a
    student's own cell (its k-grams are shared with other students' by chance only)."""
    names = [f"{rng.choice('abcdefghkmpqrstuvwxyz')}{rng.randint(0, 9)}" for _ in range(6)]

    def value() -> str:
        a, b = rng.sample(names, 2)
        return rng.choice([f"{rng.choice(API)}({a})", f"{a}.{rng.choice(METHODS)}()", f"{a} - {b}",
                           f"{rng.choice(API)}({a}, axis={rng.randint(-1, 3)})", f"{a}[{b}:{b} + {rng.randint(2, 40)}]",
                           f"({a} - {b}.min()) / ({b}.max() + {rng.choice(['1e-8', '1e-6', '1e-12'])})"])

    lines = [header]
    for _ in range(rng.randint(8, 16)):
        if rng.random() < 0.2:
            lines.append(f"    for {rng.choice(names)} in range(0, {rng.choice(names)}, {rng.randint(1, 30)}):")
            lines.append(f"        {rng.choice(names)} = {value()}")
        else:
            lines.append(f"    {rng.choice(names)} = {value()}")
    lines.append(f"    return {value()}")
    return "\n".join(lines) + "\n"


def synthetic_class(assignment: str, n: int, seed: int = 0, load: str = "own") -> dict[str, dict]:
    """``{student: notebook}``: n students, one in ten a copier (see the module's docstring)."""
    rng = random.Random(seed)
    source, release = (json.loads(p.read_text("utf-8")) for p in sc.notebook_paths(assignment))
    questions = similarity.questions_of(source, release)
    corpus = {function: [text for _, text in texts] for function, texts in sc.lineages(assignment).items()}
    words = french_words(assignment)
    students = [f"s{i:03d}" for i in range(n)]
    answers: dict[str, dict[str, str]] = {}
    for student in students:
        own = {}
        for q in questions:
            if q.kind == "code" and load == "corpus":  # a corpus text, and a line of one's own
                text = rng.choice(corpus[q.grade_id])
                own[q.grade_id] = text.replace("):\n", f"):\n    seed = {rng.randint(0, 10**6)}\n", 1)
            elif q.kind == "code":
                header = next(line for line in q.boilerplate[0].splitlines() if line.startswith(("def ", "class ")))
                own[q.grade_id] = own_function(rng, header if header.startswith("def ") else "def f(x, y):")
            else:
                own[q.grade_id] = ". ".join(" ".join(rng.choices(words, k=rng.randint(6, 12)))
                                            for _ in range(rng.randint(2, 4))).capitalize() + "."
        answers[student] = own
    ways = list(sc.COPY_WAYS)
    for copier in rng.sample(students, n // 10):
        copied = rng.choice([s for s in students if s != copier])
        way = rng.choice(ways)
        copy = {}
        for q in questions:
            text = answers[copied][q.grade_id]
            change = sc.COPY_WAYS["sentences_reordered" if q.kind == "text" else
                                  (way if way != "sentences_reordered" else "identical")]
            try:
                copy[q.grade_id] = change(text)
            except AssertionError:  # nothing to reorder in this text
                copy[q.grade_id] = text
        answers[copier] = copy
    return {student: sc.answered(release, own) for student, own in answers.items()}


def time_class(assignment: str, n: int, load: str = "own") -> dict:
    notebooks = synthetic_class(assignment, n, load=load)
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as scratch:
        root = Path(scratch)
        shutil.copy(ROOT / "nbgrader_config.py", root)
        for folder in ("source_notebooks", "release"):
            shutil.copytree(ROOT / folder / assignment, root / folder / assignment)
        sc.write_class(root, assignment, notebooks)
        course = Course(root)
        similarity._all_hashes.cache_clear()  # each run pays for helpers' fingerprints
        start, cpu = time.perf_counter(), time.process_time()
        with redirect_stdout(io.StringIO()):
            report, files = similarity.report_similarity(course, assignment)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"n": n, "seconds": seconds, "cpu": cpu, "questions": len(report.questions), "matches": len(report.matches),
            "flagged": len(report.flagged), "pages": len(files) - 1}


# --------------------------------------------------------------------------- comparison
def _split(report, assignment: str, kind: str) -> tuple[float, float]:
    copied = {tuple(sorted((c, o))): g for c, (o, g, _) in sc.copiers(assignment).items()}
    scores = {(m.students, m.question): m.score for m in report.matches if m.kind == kind}
    copies = [scores.get((pair, q), 0.0) for pair, q in copied.items()
              if any(x.grade_id == q and x.kind == kind for x in report.questions)]
    independent = [s for (pair, q), s in scores.items() if copied.get(pair) != q]
    return min(copies), max(independent, default=0.0)


def _pairs(assignment: str, kind: str):
    """``(copies, questions, copied pairs)`` of the test class for one kind."""
    source, release = (json.loads(p.read_text("utf-8")) for p in sc.notebook_paths(assignment))
    questions = [q for q in similarity.questions_of(source, release, similarity.helpers_code()) if q.kind == kind]
    copies = {s: similarity.answers_of(nb, questions) for s, nb in sc.class_notebooks(assignment).items()}
    return copies, questions


def score_copydetect_filter(assignment: str) -> tuple[float, float]:
    """copydetect's own Python filter (every name V), same k, same boilerplate."""
    from copydetect.detector import CodeFingerprint

    original = similarity._fingerprint

    def own_filter(text, kind, boilerplate=None, window=None):
        window = similarity.WINDOW if window is None else window
        fp = CodeFingerprint("cell.py", similarity.K_CODE, window, boilerplate=boilerplate,
                             language="python", fp=io.StringIO(text))
        return similarity._Print(fp, [(i, i + 1) for i in range(len(text))])

    copies, questions = _pairs(assignment, "code")
    similarity._fingerprint = own_filter
    similarity._all_hashes.cache_clear()
    try:
        report = similarity.compare_copies(copies, questions)
    finally:
        similarity._fingerprint = original
        similarity._all_hashes.cache_clear()
    return _split(report, assignment, "code")


def score_pycode_similar(assignment: str) -> tuple[float, float] | None:
    """pycode_similar: each pair's share of the smaller function found in the other
    (UnifiedDiff on the normalised AST, as its command line does); the solution is not
    boilerplate there (no such option), so pairs holding it are left out."""
    try:
        import pycode_similar
    except ImportError:
        return None
    copies, questions = _pairs(assignment, "code")
    copied = {tuple(sorted((c, o))): g for c, (o, g, _) in sc.copiers(assignment).items()}
    stubs = {q.grade_id: q.boilerplate[0] for q in questions}
    copy_scores, independent = [], []
    for q in questions:
        holders = {s: a[q.grade_id] for s, a in copies.items()
                   if a.get(q.grade_id, "").strip() and a[q.grade_id] != stubs[q.grade_id] and s != "solution"}
        names = sorted(holders)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                try:
                    result = pycode_similar.detect([holders[a], holders[b]], diff_method=pycode_similar.UnifiedDiff,
                                                   keep_prints=False, module_level=False)
                    score = pycode_similar.summarize(result[0][1])[0]
                except Exception:  # noqa: BLE001 - pycode_similar raises on code it cannot parse
                    continue
                (copy_scores if copied.get((a, b)) == q.grade_id else independent).append(score)
    return min(copy_scores), max(independent)


def score_word_ngrams(assignment: str, n: int = 3) -> tuple[float, float]:
    """Written answers: Jaccard index of the word 3-grams (boilerplate 3-grams removed)."""
    copies, questions = _pairs(assignment, "text")
    copied = {tuple(sorted((c, o))): g for c, (o, g, _) in sc.copiers(assignment).items()}

    def grams(text: str) -> set:
        words = similarity.normalise_text(text)[0].split()
        return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}

    copy_scores, independent = [], []
    for q in questions:
        boiler = set().union(*(grams(t) for t in q.boilerplate))
        sets = {s: grams(a.get(q.grade_id, "")) - boiler for s, a in copies.items()}
        names = sorted(s for s, g in sets.items() if g)
        for i, a in enumerate(names):
            for b in names[i + 1:]:
                score = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
                (copy_scores if copied.get((a, b)) == q.grade_id else independent).append(score)
    return min(copy_scores), max([0.0, *independent])


def compare_methods() -> list[tuple[str, str, str, float, float]]:
    """``(practical, kind, method, lowest copied pair, highest independent pair)``."""
    rows = []
    for assignment in ("nbj1", "tp_vgg16"):
        for kind in ("code", "text"):
            copies, questions = _pairs(assignment, kind)
            chosen = _split(similarity.compare_copies(copies, questions), assignment, kind)
            rows.append((assignment, kind, "copydetect, course normalisation (chosen)", *chosen))
        rows.append((assignment, "code", "copydetect, its own Python filter", *score_copydetect_filter(assignment)))
        found = score_pycode_similar(assignment)
        if found is not None:
            rows.append((assignment, "code", "pycode_similar 1.4 (UnifiedDiff)", *found))
        rows.append((assignment, "text", "word 3-gram Jaccard", *score_word_ngrams(assignment)))
    return rows


# --------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 300])
    parser.add_argument("--assignment", nargs="+", default=["nbj1", "tp_vgg16"])
    parser.add_argument("--compare", action="store_true", help="the method comparison on the test class")
    parser.add_argument("--load", choices=["own", "corpus"], default="own",
                        help="graded functions: random code of each student's own (default), or texts of "
                             "the grading corpus (most pairs near copies: a stress test)")
    parser.add_argument("--out", type=Path, default=None, help="append the Markdown tables to this file")
    args = parser.parse_args(argv)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = []
    if args.compare:
        lines += [f"## method comparison on the test class ({stamp})", "",
                  "| practical | kind | method | lowest copied pair | highest independent pair | gap |",
                  "|---|---|---|---:|---:|---:|"]
        for assignment, kind, method, low, high in compare_methods():
            lines.append(f"| {assignment} | {kind} | {method} | {low:.2f} | {high:.2f} | {low - high:+.2f} |")
    else:
        lines += [f"## course similarity, synthetic classes, --load {args.load} ({stamp}, {platform.machine()}, "
                  f"{len(__import__('os').sched_getaffinity(0))} cores, Python {platform.python_version()})", "",
                  "| practical | students | questions | pairs with a score > 0 | flagged | pages | wall s | CPU s |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for assignment in args.assignment:
            for n in args.sizes:
                with redirect_stderr(io.StringIO()):
                    r = time_class(assignment, n, args.load)
                lines.append(f"| {assignment} | {r['n']} | {r['questions']} | {r['matches']} | {r['flagged']} "
                             f"| {r['pages']} | {r['seconds']:.1f} | {r['cpu']:.1f} |")
                print(lines[-1], flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with args.out.open("a", encoding="utf-8") as out:
            out.write("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
