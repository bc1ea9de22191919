"""NBJ1's submissions for the grading tests (``test_grading.py``): the correct
alternatives and the typical mistakes, each with the test cells it must lose.

Correct implementations written differently (a plain `model.predict` loop, the
solution's batches) get every automatic point; the untouched release gets none; each
typical mistake loses the points of the behaviour it breaks.
"""

ASSIGNMENT = "nbj1"
NOTEBOOK = "nbj1_ou_regarde_ia.ipynb"
TOTAL = 10  # automatic points of the notebook
SOLUTION_LINES = ["base[c] - p_occ"]  # the solution's own lines: never in the release

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


CORRECT = {"occlusion_map": CORRECT_LOOP}




def answer(source: str) -> dict:
    """The graded cell's source, as ``test_grading`` takes answers."""
    return {"occlusion_map": source}

SUBMISSIONS = {
    # name: ({graded cell: source} replacing the correct alternative, None for the source
    #        notebook, "release" for the blank release; test cells expected to be lost)
    "solution": (None, set()),
    "plain_loop": ({}, set()),  # the correct alternative above
    "blank": ("release", "all"),
    "wrong_class": (answer(mistake("p[c] - q[c]", "p[c] - q[np.argmax(q)]")),
                    {"test_occlusion_classe_de_base"}),
    "no_normalisation": (answer(mistake("return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)",
                                        "return heat")),
                         {"test_occlusion_normalisation"}),
    "x_y_swapped": (answer(mistake("hidden[y:y + patch_size, x:x + patch_size, :] = 0",
                                   "hidden[x:x + patch_size, y:y + patch_size, :] = 0")),
                    {"test_occlusion_reference"}),
    "grey_patch": (answer(mistake("patch_size, :] = 0", "patch_size, :] = 128")), {"test_occlusion_patch_noir"}),
    "averaged": (answer(mistake("heat[y:y + patch_size, x:x + patch_size] = p[c] - q[c]",
                                "heat[y:y + patch_size, x:x + patch_size] += p[c] - q[c]; "
                                "count[y:y + patch_size, x:x + patch_size] += 1")
                        .replace("    heat = np.zeros((h, w))\n",
                                 "    heat = np.zeros((h, w)); count = np.zeros((h, w))\n")
                        .replace("    return (heat", "    heat = heat / np.maximum(count, 1)\n    return (heat")),
                 {"test_occlusion_reference"}),
    "off_by_one_grid": (answer(mistake("range(0, h - patch_size, stride)", "range(0, h - patch_size + 1, stride)")
                               .replace("range(0, w - patch_size, stride)", "range(0, w - patch_size + 1, stride)")),
                        {"test_occlusion_grille", "test_occlusion_reference"}),
}
