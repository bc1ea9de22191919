"""NBJ1 graded for real: nbgrader generates the assignment, autogrades submissions, and
the gradebook says who earned what.

Correct implementations written differently (a plain `model.predict` loop, the
solution's batches) get every automatic point; the untouched release gets none; each
typical mistake is a submission that loses the points of the behaviour it breaks.
"""

import nbformat
import pytest

import grading

pytestmark = pytest.mark.slow

ASSIGNMENT = "nbj1"
NOTEBOOK = "nbj1_ou_regarde_ia.ipynb"
GRADED_CELL = "occlusion_map"
TOTAL = 10  # automatic points of the notebook

CORRECT_LOOP = '''
def occlusion_map(model, img_array, patch_size=30, stride=10):
    preprocess = helpers.get_preprocess(model)
    img = np.array(img_array, dtype="float32")
    h, w = img.shape[0], img.shape[1]
    p = model.predict(np.asarray(preprocess(img[np.newaxis])), verbose=0)[0]
    c = np.argmax(p)
    heat = np.zeros((h, w))
    for y in range(0, h - patch_size, stride):
        for x in range(0, w - patch_size, stride):
            hidden = img.copy()
            hidden[y:y + patch_size, x:x + patch_size, :] = 0
            q = model.predict(np.asarray(preprocess(hidden[np.newaxis])), verbose=0)[0]
            heat[y:y + patch_size, x:x + patch_size] = p[c] - q[c]
    return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)
'''


def mistake(replace: str, by: str) -> str:
    assert replace in CORRECT_LOOP, replace
    return CORRECT_LOOP.replace(replace, by)


SUBMISSIONS = {
    # name: (solution cell source or None for the source notebook's own, lost test cells)
    "solution": (None, set()),
    "plain_loop": (CORRECT_LOOP, set()),
    "blank": ("release", "all"),
    "wrong_class": (mistake("p[c] - q[c]", "p[c] - q[np.argmax(q)]"),
                    {"test_occlusion_classe_de_base"}),
    "no_normalisation": (mistake("return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)", "return heat"),
                         {"test_occlusion_normalisation"}),
    "x_y_swapped": (mistake("hidden[y:y + patch_size, x:x + patch_size, :] = 0",
                            "hidden[x:x + patch_size, y:y + patch_size, :] = 0"),
                    {"test_occlusion_reference"}),
    "grey_patch": (mistake("patch_size, :] = 0", "patch_size, :] = 128"), {"test_occlusion_patch_noir"}),
    "averaged": (mistake("heat[y:y + patch_size, x:x + patch_size] = p[c] - q[c]",
                         "heat[y:y + patch_size, x:x + patch_size] += p[c] - q[c]; "
                         "count[y:y + patch_size, x:x + patch_size] += 1")
                 .replace("    heat = np.zeros((h, w))\n", "    heat = np.zeros((h, w)); count = np.zeros((h, w))\n")
                 .replace("    return (heat", "    heat = heat / np.maximum(count, 1)\n    return (heat"),
                 {"test_occlusion_reference"}),
    "off_by_one_grid": (mistake("range(0, h - patch_size, stride)", "range(0, h - patch_size + 1, stride)")
                        .replace("range(0, w - patch_size, stride)", "range(0, w - patch_size + 1, stride)"),
                        {"test_occlusion_grille", "test_occlusion_reference"}),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("course")
    release = grading.generate(course, ASSIGNMENT) / NOTEBOOK
    submissions = {}
    for student, (source, _) in SUBMISSIONS.items():
        if source is None:
            submissions[student] = nbformat.read(course / "source_notebooks" / ASSIGNMENT / NOTEBOOK, 4)
        elif source == "release":
            submissions[student] = nbformat.read(release, 4)
        else:
            submissions[student] = grading.answered(release, {GRADED_CELL: source})
    return release, grading.autograde(course, ASSIGNMENT, NOTEBOOK, submissions)


def test_release_is_the_committed_one(graded):
    """`release/` is generated from the source notebook: a stale copy fails here."""
    release, _ = graded
    grading.release_is_fresh(release, ASSIGNMENT)
    assert "base[c] - p_occ" not in release.read_text()  # the solution's own line


def test_the_notebook_has_the_automatic_points(graded):
    _, scores = graded
    assert sum(max_score for _, max_score in scores["solution"].values()) == TOTAL


@pytest.mark.parametrize("student", ["solution", "plain_loop"])
def test_correct_implementations_get_full_marks(graded, student):
    _, scores = graded
    assert not grading.lost(scores[student]), f"{student} lost {grading.lost(scores[student])}"


def test_blank_release_scores_zero(graded):
    _, scores = graded
    assert sum(got for got, _ in scores["blank"].values()) == 0


@pytest.mark.parametrize("student", [s for s, (_, lost) in SUBMISSIONS.items() if isinstance(lost, set) and lost])
def test_each_mistake_loses_its_points(graded, student):
    _, scores = graded
    expected = SUBMISSIONS[student][1]
    lost = grading.lost(scores[student])
    assert expected <= lost, f"{student}: expected to lose {expected}, lost {lost}"
    assert sum(got for got, _ in scores[student].values()) < TOTAL
