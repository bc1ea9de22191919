"""Both practicals graded for real: nbgrader generates each assignment, ``course
autograde`` grades a class of submissions, and the gradebook says who earned what.

One body for both practicals; what differs (the correct alternatives, the typical
mistakes and the test cells each must lose, the attacks) lives in
``submissions_<assignment>.py``. Every class is graded as an instructor would grade it:
``course autograde``, kernels in the bubblewrap sandbox, the independent correction.
"""

from __future__ import annotations

import html
import importlib
import re

import nbformat
import pytest

import grading

pytestmark = pytest.mark.slow

PRACTICALS = {name: importlib.import_module(f"submissions_{name}") for name in ("nbj1", "tp_vgg16")}


def cases(select) -> list:
    """``(assignment, student)`` for the submissions ``select(lost)`` keeps, grouped by
    practical so that each class is graded once."""
    return [pytest.param(a, s, id=f"{a}-{s}") for a, m in PRACTICALS.items()
            for s, (_, lost) in m.SUBMISSIONS.items() if select(lost) and s not in m.ATTACKS]


ATTACKERS = [pytest.param(a, s, id=f"{a}-{s}") for a, m in PRACTICALS.items() for s in m.ATTACKS]
HONEST = {a: [s for s, (_, lost) in m.SUBMISSIONS.items() if lost == set()] for a, m in PRACTICALS.items()}


# seconds per cell (--timeout): the endless submission is bounded by it
TIMEOUT = 90
CLAUSE_SUBMISSIONS = {name: grading.clause_submissions(m.ASSIGNMENT, m.NOTEBOOK) for name, m in PRACTICALS.items()}


def _grade_class(course, practical) -> tuple:
    release = grading.generate(course, practical.ASSIGNMENT) / practical.NOTEBOOK
    submissions = {student: grading.answered(release, answers)
                   for student, (answers, _, _) in CLAUSE_SUBMISSIONS[practical.ASSIGNMENT].items()}
    for student, (answers, _) in practical.SUBMISSIONS.items():
        if answers is None:
            submissions[student] = nbformat.read(course / "source_notebooks" / practical.ASSIGNMENT
                                                 / practical.NOTEBOOK, 4)
        elif answers == "release":
            submissions[student] = nbformat.read(release, 4)
        else:  # the correct alternatives, except where a mistake replaces one
            submissions[student] = grading.answered(release, {**practical.CORRECT, **answers})
    return release, grading.autograde(course, practical.ASSIGNMENT, practical.NOTEBOOK, submissions,
                                      timeout=TIMEOUT), course


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """``graded(assignment) -> (release notebook, grading.Graded, course folder)``, each
    class generated and graded once, on first use."""
    done = {}

    def get(assignment: str):
        if assignment not in done:
            done[assignment] = _grade_class(tmp_path_factory.mktemp(assignment), PRACTICALS[assignment])
        return done[assignment]

    return get


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_release_is_the_committed_one(graded, assignment):
    """`release/` is generated from the source notebook: a stale copy fails here."""
    release, _, _ = graded(assignment)
    grading.release_is_fresh(release, assignment)
    text = release.read_text()
    assert not [line for line in PRACTICALS[assignment].SOLUTION_LINES if line in text]


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_the_notebook_has_the_automatic_points(graded, assignment):
    scores = graded(assignment)[1].scores
    assert sum(top for _, top in scores["solution"].values()) == PRACTICALS[assignment].TOTAL


@pytest.mark.parametrize("assignment, student", cases(lambda lost: lost == set()))
def test_correct_implementations_get_full_marks(graded, assignment, student):
    class_ = graded(assignment)[1]
    assert not grading.lost(class_.scores[student]), f"{student} lost {grading.lost(class_.scores[student])}"
    assert not class_.flagged[student], "an honest notebook's own test results agree with the correction"


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_blank_release_scores_zero(graded, assignment):
    """The release's stubs fail every test cell, on its visible checks already (students
    see it), and the notebook's own results agree."""
    class_ = graded(assignment)[1]
    assert sum(got for got, _ in class_.scores["blank"].values()) == 0
    verdicts = class_.results["blank"].verdicts
    assert len(verdicts) == len([c for c in class_.scores["blank"]]) and not any(v.visible_passed for v in verdicts)
    assert not class_.flagged["blank"]


@pytest.mark.parametrize("assignment, student", cases(lambda lost: isinstance(lost, set) and lost))
def test_each_mistake_loses_its_points(graded, assignment, student):
    class_ = graded(assignment)[1]
    expected = PRACTICALS[assignment].SUBMISSIONS[student][1]
    lost = grading.lost(class_.scores[student])
    assert expected <= lost, f"{student}: expected to lose {expected}, lost {lost}"
    assert sum(got for got, _ in class_.scores[student].values()) < PRACTICALS[assignment].TOTAL
    # the visible checks catch it too (students see it before handing in), and the
    # notebook's own test results agree with the independent correction
    result = class_.results[student]
    if student not in PRACTICALS[assignment].FLAGGED:
        assert expected <= {v.cell for v in result.verdicts if not v.visible_passed}
        assert not class_.flagged[student], [v.cell for v in result.verdicts if v.disagrees]


@pytest.mark.parametrize("assignment, student", ATTACKERS)
def test_attacks_earn_no_more_than_their_honest_work(graded, assignment, student):
    """Each attacker's own work is the stub ``stub_only`` also hands in: its tampering,
    delegation or snooping adds nothing."""
    scores = graded(assignment)[1].scores
    earned = sum(got for got, _ in scores[student].values())
    assert earned <= sum(got for got, _ in scores["stub_only"].values()), (student, scores[student])


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_attackers_do_not_touch_the_honest_grades(graded, assignment):
    """The honest students graded in the same class as the attackers (in parallel, some
    after them) keep every point; nothing is missing from the gradebook; and the
    attackers left nothing behind on this machine."""
    class_, course = graded(assignment)[1], graded(assignment)[2]
    for student in HONEST[assignment]:
        assert not grading.lost(class_.scores[student]), student
    assert set(class_.scores) == set(PRACTICALS[assignment].SUBMISSIONS) | set(CLAUSE_SUBMISSIONS[assignment])
    slowest = max(class_.results.values(), key=lambda r: r.seconds)
    assert slowest.seconds < 600, f"{slowest.student} took {slowest.seconds:.0f} s to grade"
    # an attacker may write in its own folder, nowhere else
    assert not [p for p in course.rglob("pwned.txt") if "writes_elsewhere" not in p.parts]
    assert not list(grading.ROOT.glob("**/pwned.txt"))
    import subprocess
    orphans = subprocess.run(["pgrep", "-f", "sleep 600"], capture_output=True, text=True).stdout.split()
    assert not orphans, "a student's process outlived its grading"


CLAUSE_CASES = [pytest.param(a, s, id=f"{a}-{s}") for a, group in CLAUSE_SUBMISSIONS.items() for s in group]


@pytest.mark.parametrize("assignment, student", CLAUSE_CASES)
def test_every_clause_decides_a_grade(graded, assignment, student):
    """Each clause of each statement (``grading/<assignment>.py``'s ``CLAUSES``): the
    solution with that clause's mistake loses the points of the cell the table names,
    under a real ``course autograde`` (one mistake per graded function per submission)."""
    answers, cells, clauses = CLAUSE_SUBMISSIONS[assignment][student]
    lost = grading.lost(graded(assignment)[1].scores[student])
    missed = [f"{c.function}: « {c.text} » ({c.cell})" for c in clauses if c.cell not in lost]
    assert not missed, f"mistakes that keep their points: {missed}"


def test_an_endless_function_is_bounded_and_loses_its_points_only(graded):
    """A saliency_map that never returns and ignores SIGINT: graded within about twice the
    cell timeout (the kernel restarted, the correction's case killed) while the class goes
    on at --jobs 2; it loses the saliency points, keeps the occlusion ones, and is flagged
    with the reason."""
    class_ = graded("nbj1")[1]
    result = class_.results["endless_saliency"]
    assert result.seconds < 2 * TIMEOUT + 60, f"{result.seconds:.0f} s"
    scores = class_.scores["endless_saliency"]
    assert grading.lost(scores) == PRACTICALS["nbj1"].SALIENCY_CELLS
    assert class_.flagged["endless_saliency"]
    assert any("ne s'est pas terminée" in flag or "redémarré" in flag for flag in result.flags), result.flags
    verdict = next(v for v in result.verdicts if v.cell == "test_saillance_forme")
    assert any(f"ne s'est pas terminée en {TIMEOUT} s" in m for m in verdict.messages), verdict.messages


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_flags_never_fire_on_correct_work(graded, assignment):
    """Correct work, stderr included (progress bars, warnings, logs): no flag, no reason."""
    class_ = graded(assignment)[1]
    for student in HONEST[assignment]:
        assert not class_.flagged[student] and not class_.results[student].flags, (student,
                                                                                    class_.results[student].flags)


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_delegation_and_tampering_are_flagged(graded, assignment):
    """Where the in-kernel tests passed but the independent correction did not, the
    gradebook flags the notebook for the instructor."""
    class_ = graded(assignment)[1]
    for student in PRACTICALS[assignment].FLAGGED:
        assert class_.flagged[student], student


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_feedback_shows_verdicts_not_hidden_checks(graded, assignment):
    """The students' feedback (nbgrader's HTML, generated by `course feedback`) shows
    each test's docstring and the independent verdict, never the solutions, the hidden
    cases or what an attacker printed from the course's files. The graders' answer keys
    (after each written answer of the autograded notebook) are not in it either."""
    import json

    from course.answer_keys import HEADING, is_key, keys_of
    from course.core import Course
    from course.reports import feedback

    course = graded(assignment)[2]
    practical = PRACTICALS[assignment]
    source = json.loads((course / "source_notebooks" / assignment / practical.NOTEBOOK).read_text())
    autograded = json.loads((course / "autograded" / "solution" / assignment / practical.NOTEBOOK).read_text())
    keys = [c["metadata"]["course"]["answer_key"] for c in autograded["cells"] if is_key(c)]
    assert sorted(keys) == sorted(keys_of(source))
    pages = feedback(Course(course), assignment)
    checks = (course / "grading" / f"{assignment}.py").read_text().splitlines()
    hidden_labels = [line.split('"')[1] for line in checks if "hidden=True" in line and 'Case("' in line]
    hidden_code = [line.strip() for line in checks if len(line.strip()) > 40 and not line.strip().startswith("#")]
    for page in pages:
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        student = page.parent.parent.name
        assert "Correction indépendante" in text, student
        assert HEADING not in text, student
        assert not [line for line in hidden_code if line in text], student
        if student == "solution":  # it handed in the solutions: they are in its own feedback
            assert not [label for label in hidden_labels if f"« {label} »" in text]
        else:  # a student's feedback quotes its own code (the demo's are built from the
            # solutions), never a solution line it did not write
            own = (course / "submitted" / student / assignment / practical.NOTEBOOK).read_text()
            assert not [line for line in practical.SOLUTION_LINES if line in text and line not in own], student
