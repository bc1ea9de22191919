"""``course similarity`` on the class built for it (``similarity_class.py``): every copied
pair ranks above every independent one, the independent ones stay below the threshold,
boilerplate never counts, bad input gets a clear message and leaves no half report.

Fast: no nbgrader run, no TensorFlow; notebooks are written as ``nbgrader collect``
leaves them.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from itertools import combinations
from pathlib import Path

import pytest
import similarity_class as sc

from course import similarity, submissions
from course.__main__ import main
from course.core import Course, CourseError

ROOT = Path(__file__).resolve().parents[1]
ASSIGNMENTS = ["nbj1", "tp_vgg16"]


def make_course(tmp_path: Path, assignment: str) -> Course:
    """A scratch course holding the assignment's source and committed release."""
    course = tmp_path / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for folder in ("source_notebooks", "release"):
        shutil.copytree(ROOT / folder / assignment, course / folder / assignment)
    return Course(course)


def questions(assignment: str) -> list[similarity.Question]:
    source, release = sc.notebook_paths(assignment)
    return similarity.questions_of(json.loads(source.read_text("utf-8")), json.loads(release.read_text("utf-8")),
                                   similarity.helpers_code())


def copied_pairs(assignment: str) -> dict[tuple[str, str], str]:
    """``{(student, student): the copied question}`` of the class's copiers."""
    return {tuple(sorted((copier, copied))): grade_id
            for copier, (copied, grade_id, _) in sc.copiers(assignment).items()}


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def class_report(request, tmp_path_factory):
    assignment = request.param
    course = make_course(tmp_path_factory.mktemp(assignment), assignment)
    sc.write_class(course.root, assignment, sc.class_notebooks(assignment))
    report, files = similarity.report_similarity(course, assignment)
    return assignment, course, report, files


# ----------------------------------------------------------------------- separation
def test_every_copy_ranks_above_every_independent_pair(class_report):
    assignment, _, report, _ = class_report
    copied = copied_pairs(assignment)
    scores = {(m.students, m.question): m.score for m in report.matches}
    copies = {pair: scores.get((pair, q), 0.0) for pair, q in copied.items()}
    independent = [m.score for m in report.matches if copied.get(m.students) != m.question]
    assert len(copies) == len(sc.COPY_WAYS)  # one copier per way of copying
    assert min(copies.values()) >= report.threshold, copies
    assert max(independent) < report.threshold, max(independent)
    assert min(copies.values()) > max(independent)
    assert {(m.students, m.question) for m in report.flagged} == {(p, q) for p, q in copied.items()}


def test_each_way_of_copying_is_found_on_its_kind(class_report):
    """Written answers are compared as text, graded functions as code; each copy is
    found on the question copied and on no other."""
    assignment, _, report, _ = class_report
    kinds = {q.grade_id: q.kind for q in report.questions}
    for copier, (copied, grade_id, way) in sc.copiers(assignment).items():
        found = [m for m in report.flagged if copier in m.students]
        assert [(m.question, m.kind) for m in found] == [(grade_id, kinds[grade_id])], (copier, way)
        assert (kinds[grade_id] == "text") == (way == "sentences_reordered")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_corpus_texts_of_different_lineages_are_never_flagged(assignment):
    """Every correct alternative and typical mistake of the grading corpus, against every
    one derived from another independently written text: all below the threshold."""
    by_id = {q.grade_id: q for q in questions(assignment)}
    worst = 0.0
    for function, texts in sc.lineages(assignment).items():
        copies = {f"{lineage}-{i}": {function: text} for i, (lineage, text) in enumerate(texts)}
        report = similarity.compare_copies(copies, [by_id[function]])
        across = [m.score for m in report.matches
                  if m.students[0].split("-")[0] != m.students[1].split("-")[0]]
        worst = max([worst, *across])
        assert len({lineage for lineage, _ in texts}) >= 2
    assert worst < similarity.THRESHOLD, worst


def test_the_solution_and_the_blank_release_match_nobody(class_report):
    _, _, report, _ = class_report
    assert not [m for m in report.matches if {"solution", "blank"} & set(m.students)]


def test_the_same_one_line_mistake_on_the_solution_is_not_flagged():
    """Two students who hand in the solution with the same typical mistake share only
    one line of their own: the floor on own work keeps them far below the threshold."""
    source = json.loads(sc.notebook_paths("nbj1")[0].read_text("utf-8"))
    cell = next(c for c in source["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "occlusion_map")
    solution = similarity.cell_text(cell)
    mistaken = solution.replace("return (carte - carte.min()) / (carte.max() - carte.min() + 1e-8)", "return carte")
    assert mistaken != solution
    report = similarity.compare_copies({"a": {"occlusion_map": mistaken}, "b": {"occlusion_map": mistaken},
                                        "c": {"occlusion_map": solution}}, questions("nbj1"))
    assert all(m.score < 0.5 * similarity.THRESHOLD for m in report.matches), report.matches
    assert not [m for m in report.matches if "c" in m.students]


def test_stub_only_and_empty_answers_never_match():
    qs = questions("nbj1")
    release = json.loads(sc.notebook_paths("nbj1")[1].read_text("utf-8"))
    stubs = similarity.answers_of(release, qs)
    copies = {"stub1": stubs, "stub2": dict(stubs), "empty1": {q.grade_id: "" for q in qs},
              "empty2": {q.grade_id: "  \n" for q in qs}}
    assert similarity.compare_copies(copies, qs).matches == []


# ----------------------------------------------------------------------- normalisation
def test_renaming_and_comments_leave_the_normalised_code_unchanged():
    text = sc.nbj1.HANDOUT_STYLE
    normal, origin = similarity.normalise_code(text)
    assert similarity.normalise_code(sc.recomment(sc.rename_variables(text)))[0] == normal
    # the names it uses kept (np.repeat, helpers.get_preprocess), those it binds written V
    assert "V=np.repeat(V[None]," in normal and "V=helpers.get_preprocess(V)" in normal
    assert len(origin) == len(normal)
    # a different API call is a different text
    assert similarity.normalise_code(text.replace("np.repeat", "np.tile"))[0] != normal


def test_invalid_python_is_compared_as_text():
    assert similarity.normalise_code("def f(:\n  return") is None
    report = similarity.compare_copies({"a": {"occlusion_map": "def f(:\n" + sc.nbj1.MUTATING},
                                        "b": {"occlusion_map": "def f(:\n" + sc.nbj1.MUTATING}}, questions("nbj1"))
    assert report.matches and report.matches[0].score == 1.0


def test_text_normalisation_ignores_case_spacing_and_punctuation():
    a, origin = similarity.normalise_text("  L'occlusion  CACHE\nune zone ; la saillance...")
    assert a == "l occlusion cache une zone la saillance "
    assert [len(origin), origin[0]] == [len(a), (2, 3)]


def test_slices_map_back_to_the_original_text():
    answer = sc.WRITTEN_B["nbj1"]["q8_difference"]
    copy = sc.reorder_sentences(answer)
    report = similarity.compare_copies({"a": {"q8_difference": answer}, "b": {"q8_difference": copy}},
                                       questions("nbj1"))
    (match,) = report.matches
    similarity.fill_slices(report, [match])
    marked = "".join(answer[s:e] for s, e in match.slices[0])
    assert "dérivée du score par rapport à chaque pixel" in marked


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_scores_are_copydetects_overlap(assignment):
    """The all-pairs computation gives copydetect's own shares (compare_files), with
    the floor on own work, for every pair of the class, matched or not."""
    from copydetect.detector import compare_files

    qs = questions(assignment)
    copies = {s: similarity.answers_of(nb, qs) for s, nb in sc.class_notebooks(assignment).items()}
    report = similarity.compare_copies(copies, qs)
    found = {(m.question, m.students): m.shares for m in report.matches}
    checked = 0
    for q in qs:
        held = sorted(s for (g, s) in report.prints if g == q.grade_id)
        for a, b in combinations(held, 2):
            pa, pb = report.prints[q.grade_id, a], report.prints[q.grade_id, b]
            _, (sa, sb), _ = compare_files(pa.fingerprint, pb.fingerprint)
            expected = (sa * min(1, pa.work / similarity.MIN_WORK), sb * min(1, pb.work / similarity.MIN_WORK))
            assert found.get((q.grade_id, (a, b)), (0.0, 0.0)) == pytest.approx(expected), (q.grade_id, a, b)
            checked += 1
    assert checked >= 25 and len(found) >= 10


# ----------------------------------------------------------------------- outputs
def test_the_csv_and_the_pages(class_report):
    assignment, course, report, files = class_report
    rows = list(csv.DictReader((course.root / "similarity" / f"{assignment}.csv").open(encoding="utf-8")))
    assert len(rows) == len(report.matches) and rows[0]["rank"] == "1"
    assert [float(r["score"]) for r in rows] == sorted((float(r["score"]) for r in rows), reverse=True)
    assert sum(r["flagged"] == "yes" for r in rows) == len(sc.COPY_WAYS)
    pages = sorted((course.root / "similarity" / assignment).glob("*.html"))
    assert pages == sorted(files[1:]) and len(pages) == len(sc.COPY_WAYS)
    copier, (copied, grade_id, _) = "copy_identical", sc.copiers(assignment)["copy_identical"]
    page = (course.root / "similarity" / assignment / "--".join(sorted((copier, copied)))).with_suffix(".html")
    text = page.read_text("utf-8")
    assert "<mark>" in text and grade_id in text and "never a grade change" in text
    assert text.count("<td><pre>") == 2 * text.count("<h2")


def test_anonymous_hides_every_name(tmp_path, capsys):
    course = make_course(tmp_path, "nbj1")
    notebooks = sc.class_notebooks("nbj1")
    sc.write_class(course.root, "nbj1", notebooks)
    assert main(["--root", str(course.root), "similarity", "nbj1", "--anonymous"]) == 0
    shown = capsys.readouterr().out
    written = [p.name for p in (course.root / "similarity").rglob("*")]
    written += [p.read_text("utf-8") for p in (course.root / "similarity").rglob("*.*")]
    assert "student-0" in shown and re.search(r"student-\d{3}--student-\d{3}\.html", " ".join(written))
    for student in set(notebooks) - {"solution", "blank"}:  # words the pages use anyway
        assert student not in shown and not any(student in text for text in written), student


def test_the_cli_prints_the_ranked_table(tmp_path, capsys):
    course = make_course(tmp_path, "tp_vgg16")
    sc.write_class(course.root, "tp_vgg16", sc.class_notebooks("tp_vgg16"))
    assert main(["--root", str(course.root), "similarity", "tp_vgg16", "--threshold", "0.9"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.strip().endswith(("einsum_matrix", "no_relu_batch"))]
    scores = [int(line.split("%")[0]) for line in lines]
    assert scores == sorted(scores, reverse=True) and min(scores) >= 90 and len(scores) == 5
    assert "never a grade change" in out


def test_the_help_states_the_default_threshold(capsys):
    with pytest.raises(SystemExit):
        main(["similarity", "--help"])
    assert f"default {similarity.THRESHOLD:g}:" in " ".join(capsys.readouterr().out.split())


@pytest.mark.parametrize("value", ["0", "1.5", "half"])
def test_a_threshold_outside_0_1_is_refused(tmp_path, capsys, value):
    with pytest.raises(SystemExit):
        main(["--root", str(tmp_path), "similarity", "nbj1", "--threshold", value])
    assert "--threshold" in capsys.readouterr().err and not list(tmp_path.iterdir())


# ----------------------------------------------------------------------- bad input
def test_a_broken_notebook_and_a_missing_one_are_left_out_with_a_message(tmp_path, capsys):
    course = make_course(tmp_path, "nbj1")
    sc.write_class(course.root, "nbj1", sc.class_notebooks("nbj1"))
    broken = course.submitted / "fatou" / "nbj1"
    broken.mkdir(parents=True)
    (broken / sc.nbj1.NOTEBOOK).write_text('{"cells": [', "utf-8")
    (course.submitted / "gus" / "nbj1").mkdir(parents=True)
    assert main(["--root", str(course.root), "similarity", "nbj1"]) == 0
    err = capsys.readouterr().err
    assert "fatou left out:" in err and "is not a notebook" in err and sc.nbj1.NOTEBOOK in err
    assert "gus left out: no notebook in" in err
    rows = list(csv.DictReader((course.root / "similarity" / "nbj1.csv").open(encoding="utf-8")))
    assert not {"fatou", "gus"} & ({r["student_a"] for r in rows} | {r["student_b"] for r in rows})


def test_an_empty_class_is_refused_and_writes_nothing(tmp_path, capsys):
    course = make_course(tmp_path, "nbj1")
    assert main(["--root", str(course.root), "similarity", "nbj1"]) == 2
    assert "No submission of nbj1" in capsys.readouterr().err
    assert not (course.root / "similarity").exists()


def test_a_class_of_unreadable_notebooks_is_refused(tmp_path, capsys):
    course = make_course(tmp_path, "nbj1")
    for student in ("a", "b"):
        folder = course.submitted / student / "nbj1"
        folder.mkdir(parents=True)
        (folder / sc.nbj1.NOTEBOOK).write_bytes(b"\xff\xfe not json")
    assert main(["--root", str(course.root), "similarity", "nbj1"]) == 2
    err = capsys.readouterr().err
    assert "None of the 2 submissions" in err and "a: " in err
    assert not (course.root / "similarity").exists()


def test_a_new_report_replaces_the_old_one_whole(tmp_path):
    """A failed run leaves the previous report as it was; a new one replaces it (pages
    of pairs no longer flagged go)."""
    course = make_course(tmp_path, "nbj1")
    sc.write_class(course.root, "nbj1", sc.class_notebooks("nbj1"))
    similarity.report_similarity(course, "nbj1")
    out = course.root / "similarity"
    before = (out / "nbj1.csv").read_text("utf-8")
    shutil.rmtree(course.submitted / "copy_identical")
    (course.submitted / "handout_style" / "nbj1" / sc.nbj1.NOTEBOOK).write_text("{", "utf-8")
    shutil.move(course.submitted, tmp_path / "elsewhere")
    with pytest.raises(CourseError):
        similarity.report_similarity(course, "nbj1")
    assert (out / "nbj1.csv").read_text("utf-8") == before and len(list((out / "nbj1").iterdir())) == 6
    shutil.move(tmp_path / "elsewhere", course.submitted)
    similarity.report_similarity(course, "nbj1")
    assert len(list((out / "nbj1").iterdir())) == 4  # identical and paraphrased copies of handout_style gone
    assert sorted(p.name for p in out.iterdir()) == ["nbj1", "nbj1.csv"]  # no staging left


def test_the_autograded_copies_are_read_where_nothing_was_collected(tmp_path):
    course = make_course(tmp_path, "tp_vgg16")
    sc.write_class(course.root, "tp_vgg16", sc.class_notebooks("tp_vgg16"))
    shutil.move(course.submitted, course.autograded)
    report = similarity.compare(course, "tp_vgg16")
    assert len(report.texts) == len(sc.class_notebooks("tp_vgg16"))
    assert {(m.students, m.question) for m in report.flagged} == set(copied_pairs("tp_vgg16").items())


def test_the_order_of_the_students_changes_nothing():
    copies = {s: similarity.answers_of(nb, questions("nbj1")) for s, nb in sc.class_notebooks("nbj1").items()}
    forward = similarity.compare_copies(copies, questions("nbj1")).matches
    backward = similarity.compare_copies(dict(reversed(list(copies.items()))), questions("nbj1")).matches
    assert [(m.students, m.question, m.score) for m in forward] == [(m.students, m.question, m.score)
                                                                      for m in backward]


# ----------------------------------------------------------------------- the demo class
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_demo_class_flags_gaspard_and_carla_only(tmp_path, assignment):
    """``course demo``'s students as they hand in (``submissions.build``): gaspard copies
    carla and is flagged with her; nobody else is, the broken file is left out."""
    course = make_course(tmp_path, assignment)
    source = next((course.source / assignment).glob("*.ipynb"))
    release = course.release / assignment / source.name
    students = submissions.CLASSES[assignment](source)
    for student in students:
        folder = course.submitted / student.name / assignment
        folder.mkdir(parents=True)
        (folder / source.name).write_bytes(submissions.build(student, release, source))
    report = similarity.compare(course, assignment)
    assert {m.students for m in report.flagged} == {("carla", "gaspard")}
    kinds = {m.kind for m in report.flagged}
    assert kinds == ({"code", "text"} if assignment == "nbj1" else {"text"}), kinds
    assert set(report.skipped) == ({"fatou"} if assignment == "nbj1" else set())
    assert all(set(pair) <= {"carla", "gaspard", "dmitri", "eve"} for pair in
               (m.students for m in report.matches)), [m.students for m in report.matches]


def test_no_pair_of_the_demo_class_but_the_copy_comes_close():
    """Between independent demo students, nothing reaches half the threshold."""
    assignment = "nbj1"
    source, release = sc.notebook_paths(assignment)
    copies = {}
    for student in submissions.CLASSES[assignment](source):
        if not student.broken:
            nb = json.loads(submissions.build(student, release, source))
            copies[student.name] = similarity.answers_of(nb, questions(assignment))
    report = similarity.compare_copies(copies, questions(assignment))
    others = [m.score for m in report.matches if m.students != ("carla", "gaspard")]
    assert max(others, default=0) < similarity.THRESHOLD / 2, others
    assert len(list(combinations(copies, 2))) == 15
