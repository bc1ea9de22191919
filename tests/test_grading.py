"""Both practicals graded for real: nbgrader generates each assignment, ``course
autograde`` grades a class of submissions, and the gradebook says who earned what.

One body for both practicals; what differs (the correct alternatives, the typical
mistakes and the test cells each must lose) lives in ``submissions_<assignment>.py``.
"""

from __future__ import annotations

import importlib

import nbformat
import pytest

import grading

pytestmark = pytest.mark.slow

PRACTICALS = {name: importlib.import_module(f"submissions_{name}") for name in ("nbj1", "tp_vgg16")}


def cases(select) -> list:
    """``(assignment, student)`` for the submissions ``select(lost)`` keeps, grouped by
    practical so that each class is graded once."""
    return [pytest.param(a, s, id=f"{a}-{s}") for a, m in PRACTICALS.items()
            for s, (_, lost) in m.SUBMISSIONS.items() if select(lost)]


def _grade_class(course, practical) -> tuple:
    release = grading.generate(course, practical.ASSIGNMENT) / practical.NOTEBOOK
    submissions = {}
    for student, (answers, _) in practical.SUBMISSIONS.items():
        if answers is None:
            submissions[student] = nbformat.read(course / "source_notebooks" / practical.ASSIGNMENT
                                                 / practical.NOTEBOOK, 4)
        elif answers == "release":
            submissions[student] = nbformat.read(release, 4)
        else:  # the correct alternatives, except where a mistake replaces one
            submissions[student] = grading.answered(release, {**practical.CORRECT, **answers})
    return release, grading.autograde(course, practical.ASSIGNMENT, practical.NOTEBOOK, submissions)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """``graded(assignment) -> (release notebook, {student: {grade cell: (score, max)}})``,
    each class generated and graded once, on first use."""
    done = {}

    def get(assignment: str):
        if assignment not in done:
            done[assignment] = _grade_class(tmp_path_factory.mktemp(assignment), PRACTICALS[assignment])
        return done[assignment]

    return get


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_release_is_the_committed_one(graded, assignment):
    """`release/` is generated from the source notebook: a stale copy fails here."""
    release, _ = graded(assignment)
    grading.release_is_fresh(release, assignment)
    text = release.read_text()
    assert not [line for line in PRACTICALS[assignment].SOLUTION_LINES if line in text]


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_the_notebook_has_the_automatic_points(graded, assignment):
    _, scores = graded(assignment)
    assert sum(top for _, top in scores["solution"].values()) == PRACTICALS[assignment].TOTAL


@pytest.mark.parametrize("assignment, student", cases(lambda lost: lost == set()))
def test_correct_implementations_get_full_marks(graded, assignment, student):
    _, scores = graded(assignment)
    assert not grading.lost(scores[student]), f"{student} lost {grading.lost(scores[student])}"


@pytest.mark.parametrize("assignment", PRACTICALS)
def test_blank_release_scores_zero(graded, assignment):
    _, scores = graded(assignment)
    assert sum(got for got, _ in scores["blank"].values()) == 0


@pytest.mark.parametrize("assignment, student", cases(lambda lost: isinstance(lost, set) and lost))
def test_each_mistake_loses_its_points(graded, assignment, student):
    _, scores = graded(assignment)
    expected = PRACTICALS[assignment].SUBMISSIONS[student][1]
    lost = grading.lost(scores[student])
    assert expected <= lost, f"{student}: expected to lose {expected}, lost {lost}"
    assert sum(got for got, _ in scores[student].values()) < PRACTICALS[assignment].TOTAL
