"""NBJ1's submissions for the grading tests (``test_grading.py``): the correct
alternatives and the typical mistakes, each with the test cells it must lose.

Two graded functions: ``occlusion_map`` and ``saliency_map``. Correct implementations
written differently (a plain `model.predict` loop, the solution's batches; a
``tf.Variable`` instead of ``watch``, TensorFlow instead of NumPy for the reduction,
``max(max g, -min g)`` for ``max |g|``) get every automatic point; the untouched release
gets none; each typical mistake loses the points of the behaviour it breaks. A mistake
in one function is handed in with a correct version of the other.
"""

from course.submissions import OCCLUSION_LOOP

ASSIGNMENT = "nbj1"
NOTEBOOK = "nbj1_ou_regarde_ia.ipynb"
TOTAL = 16  # automatic points of the notebook: occlusion 10, saliency 6
SALIENCY_CELLS = {"test_saillance_forme", "test_saillance_carre", "test_saillance_normalisation",
                  "test_saillance_canaux", "test_saillance_classe"}
# the solution's own lines: never in the release
SOLUTION_LINES = ["base[c] - p_occ", "carte = np.abs(gradient).max(axis=-1)"]

# a plain loop, one forward pass per position (the demo's students start from it too)
CORRECT_LOOP = OCCLUSION_LOOP


# Occluding in the preprocessed space (one forward pass per position, vectorised
# differently): correct when the patch is the preprocessed value of black.
HANDOUT_STYLE = '''
def occlusion_map(model, img_array, patch_size=30, stride=10):
    preprocess = helpers.get_preprocess(model)
    img = np.asarray(img_array, dtype=np.float32)
    prep = preprocess(img[np.newaxis])[0]
    black = preprocess(np.zeros((1, 1, 1, 3), np.float32))[0, 0, 0]
    base = np.asarray(model(prep[None]))[0]
    c = int(np.argmax(base))
    h, w = img.shape[:2]
    ys, xs = np.arange(0, h - patch_size, stride), np.arange(0, w - patch_size, stride)
    batch = np.repeat(prep[None], len(ys) * len(xs), axis=0)
    for k, (y, x) in enumerate((y, x) for y in ys for x in xs):
        batch[k, y:y + patch_size, x:x + patch_size] = black
    drops = base[c] - np.asarray(model(batch))[:, c]
    heat = np.zeros((h, w), np.float32)
    for k, (y, x) in enumerate((y, x) for y in ys for x in xs):
        heat[y:y + patch_size, x:x + patch_size] = drops[k]
    return (heat - heat.min()) / (np.ptp(heat) + 1e-8)
'''

# Occluding the caller's array in place (what a handout did): float images come back
# with black squares, and each position also hides the squares before it.
MUTATING = '''
def occlusion_map(model, img_array, patch_size=30, stride=10):
    preprocess = helpers.get_preprocess(model)
    img = img_array if img_array.dtype == np.float32 else img_array.astype(np.float32)
    h, w = img.shape[:2]
    p = np.asarray(model(preprocess(img[None].copy())))[0]
    c = np.argmax(p)
    heat = np.zeros((h, w))
    for y in range(0, h - patch_size, stride):
        for x in range(0, w - patch_size, stride):
            img[y:y + patch_size, x:x + patch_size] = 0
            q = np.asarray(model(preprocess(img[None].copy())))[0]
            heat[y:y + patch_size, x:x + patch_size] = p[c] - q[c]
    return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)
'''


def mistake(replace: str, by: str) -> str:
    assert replace in CORRECT_LOOP, replace
    return CORRECT_LOOP.replace(replace, by)


# ------------------------------------------------------------------------------ saliency
# A tf.Variable is watched without tape.watch; the class is chosen before the tape.
SALIENCY_VARIABLE = '''
def saliency_map(model, img_preprocessed, class_index=None):
    x = tf.Variable(np.asarray(img_preprocessed, dtype=np.float32))
    if class_index is None:
        class_index = int(np.argmax(model(x)[0]))
    with tf.GradientTape() as tape:
        score = model(x)[0, class_index]
    g = tape.gradient(score, x).numpy()[0]
    m = np.max(np.abs(g), axis=2)
    if m.max() == m.min():
        return np.zeros(m.shape)
    return (m - m.min()) / (m.max() - m.min())
'''

# Everything in TensorFlow, the scores of the whole batch summed (one image: the same).
SALIENCY_TF = '''
def saliency_map(model, img_preprocessed, class_index=None):
    x = tf.constant(img_preprocessed, dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x, training=False)
        k = tf.argmax(out, axis=-1)[0] if class_index is None else class_index
        total = tf.reduce_sum(tf.gather(out, [k], axis=1))
    sal = tf.reduce_max(tf.abs(tape.gradient(total, x)), axis=-1)[0]
    span = tf.reduce_max(sal) - tf.reduce_min(sal)
    if float(span) == 0.0:
        return tf.zeros_like(sal).numpy()
    return ((sal - tf.reduce_min(sal)) / span).numpy()
'''

# max |g| written max(max g, -min g); the image given as (H, W, 3) works too.
SALIENCY_MAX_MIN = '''
def saliency_map(model, img_preprocessed, class_index=None):
    x = tf.convert_to_tensor(np.reshape(img_preprocessed, (1,) + np.shape(img_preprocessed)[-3:]), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        p = model(x)
        c = int(np.argmax(p.numpy()[0])) if class_index is None else int(class_index)
        s = p[0][c]
    g = tape.gradient(s, x).numpy()[0]
    sal = np.maximum(g.max(axis=-1), -g.min(axis=-1)).astype(np.float64)
    lo, hi = sal.min(), sal.max()
    return np.zeros_like(sal) if hi <= lo else (sal - lo) / (hi - lo)
'''


# Correct, and noisy on stderr in the student's kernel (nbgrader scores such a test cell 0:
# the correction must neither lose their points nor flag them): a tqdm progress bar, a
# NumPy RuntimeWarning on the constant map (0/0, then replaced by zeros); and a saliency
# that returns a tf.Tensor, which the statement accepts.
PROGRESS_BAR = ("from tqdm import tqdm\n" + CORRECT_LOOP).replace(
    "for y in range(0, h - patch_size, stride):", "for y in tqdm(range(0, h - patch_size, stride), desc=\"lignes\"):")
SALIENCY_WARNS = SALIENCY_VARIABLE.replace(
    "    if m.max() == m.min():\n        return np.zeros(m.shape)\n    return (m - m.min()) / (m.max() - m.min())",
    "    out = (m - m.min()) / (m.max() - m.min())\n    return np.where(np.isfinite(out), out, 0.0)")
SALIENCY_TENSOR = SALIENCY_TF.replace("        return tf.zeros_like(sal).numpy()\n    return ((sal - tf.reduce_min(sal)) / span).numpy()",
                                      "        return tf.zeros_like(sal)\n    return (sal - tf.reduce_min(sal)) / span")
assert "tqdm(range" in PROGRESS_BAR and "isfinite" in SALIENCY_WARNS and ".numpy()" not in SALIENCY_TENSOR.split("span =")[1]

# A saliency that never returns, and ignores the interrupt: its cells are stopped at the
# timeout (the kernel restarted, the correction's case killed), it loses the saliency
# points only, its occlusion keeps its own, and the notebook is flagged.
ENDLESS_SALIENCY = '''
import signal

def saliency_map(model, img_preprocessed, class_index=None):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        try:
            pass
        except BaseException:
            pass
'''


def saliency_mistake(replace: str, by: str, source: str = SALIENCY_VARIABLE) -> dict:
    assert replace in source, replace
    return {"saliency_map": source.replace(replace, by)}


CORRECT = {"occlusion_map": CORRECT_LOOP, "saliency_map": SALIENCY_VARIABLE}

# the same loop with Keras' model.predict, one image at a time (slow, and right)
PREDICT_LOOP = CORRECT_LOOP.replace("np.asarray(model(preprocess(img[np.newaxis])))[0]",
                                    "model.predict(preprocess(img[np.newaxis]), verbose=0)[0]").replace(
    "np.asarray(model(preprocess(hidden[np.newaxis])))[0]", "model.predict(preprocess(hidden[np.newaxis]), verbose=0)[0]")




def answer(source: str) -> dict:
    """The graded cell's source, as ``test_grading`` takes answers."""
    return {"occlusion_map": source}

SUBMISSIONS = {
    # name: ({graded cell: source} replacing the correct alternative, None for the source
    #        notebook, "release" for the blank release; test cells expected to be lost)
    "solution": (None, set()),
    "plain_loop": ({}, set()),  # the correct alternative above
    "predict_loop": (answer(PREDICT_LOOP), set()),
    "preprocessed_space": (answer(HANDOUT_STYLE), set()),
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
                        {"test_occlusion_grille"}),
    "max_only": (answer(mistake("return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)",
                                "return heat / (heat.max() + 1e-8)")), {"test_occlusion_normalisation"}),
    "no_epsilon": (answer(mistake("(heat.max() - heat.min() + 1e-8)", "(heat.max() - heat.min())")),
                   {"test_occlusion_grille"}),
    "floor_grid": (answer(mistake("for y in range(0, h - patch_size, stride):",
                                  "for y in [i * stride for i in range((h - patch_size) // stride)]:")
                          .replace("for x in range(0, w - patch_size, stride):",
                                   "for x in [j * stride for j in range((w - patch_size) // stride)]:")),
                   {"test_occlusion_grille"}),
    "red_channel_only": (answer(mistake("hidden[y:y + patch_size, x:x + patch_size, :] = 0",
                                        "hidden[y:y + patch_size, x:x + patch_size, 0] = 0")),
                         {"test_occlusion_reference"}),
    "black_after_preprocessing": (answer(HANDOUT_STYLE.replace(
        "black = preprocess(np.zeros((1, 1, 1, 3), np.float32))[0, 0, 0]", "black = 0.0")),
        {"test_occlusion_patch_noir"}),
    "mutates_its_input": (answer(MUTATING), {"test_occlusion_forme"}),
    # the preprocessing forgotten, or applied twice to the intact image only (p0 is wrong)
    "not_preprocessed": (answer(mistake("preprocess = helpers.get_preprocess(model)", "preprocess = np.asarray")),
                         {"test_occlusion_classe_de_base", "test_occlusion_reference"}),
    "p0_preprocessed_twice": (answer(mistake("p = np.asarray(model(preprocess(img[np.newaxis])))[0]",
                                             "p = np.asarray(model(preprocess(preprocess(img[np.newaxis]))))[0]")),
                              {"test_occlusion_classe_de_base"}),
    # saliency: correct alternatives
    "saliency_tensorflow": ({"saliency_map": SALIENCY_TF}, set()),
    "noisy_on_stderr": ({"occlusion_map": PROGRESS_BAR, "saliency_map": SALIENCY_WARNS}, set()),
    "saliency_returns_a_tensor": ({"saliency_map": SALIENCY_TENSOR}, set()),
    "endless_saliency": ({"saliency_map": ENDLESS_SALIENCY}, SALIENCY_CELLS),
    "saliency_max_min": ({"saliency_map": SALIENCY_MAX_MIN}, set()),
    # saliency: typical mistakes
    "saliency_score_outside_tape": (saliency_mistake(
        "    with tf.GradientTape() as tape:\n        score = model(x)[0, class_index]\n",
        "    with tf.GradientTape() as tape:\n        preds = model(x)\n    score = preds[0, class_index]\n"),
        SALIENCY_CELLS),
    "saliency_sum_over_channels": (saliency_mistake("np.max(np.abs(g), axis=2)", "np.sum(np.abs(g), axis=2)"),
                                   {"test_saillance_canaux"}),
    "saliency_mean_over_channels": (saliency_mistake("np.max(np.abs(g), axis=2)", "np.mean(np.abs(g), axis=2)"),
                                    {"test_saillance_canaux"}),
    "saliency_no_abs": (saliency_mistake("np.max(np.abs(g), axis=2)", "np.max(g, axis=2)"),
                        {"test_saillance_canaux"}),
    "saliency_squared": (saliency_mistake("np.max(np.abs(g), axis=2)", "np.max(g ** 2, axis=2)"),
                         {"test_saillance_canaux"}),
    "saliency_red_channel": (saliency_mistake("np.max(np.abs(g), axis=2)", "np.abs(g[..., 0])"),
                             {"test_saillance_canaux"}),
    "saliency_ignores_class_index": (saliency_mistake("    if class_index is None:\n", "    if True:\n"),
                                     {"test_saillance_classe"}),
    "saliency_class_zero_is_none": (saliency_mistake("if class_index is None:", "if not class_index:"),
                                    {"test_saillance_classe"}),
    "saliency_no_normalisation": (saliency_mistake("    return (m - m.min()) / (m.max() - m.min())", "    return m"),
                                  {"test_saillance_normalisation"}),
    "saliency_divides_by_zero": (saliency_mistake("    if m.max() == m.min():\n        return np.zeros(m.shape)\n",
                                                  ""),
                                 {"test_saillance_normalisation"}),
    "saliency_keeps_the_batch_axis": (saliency_mistake("g = tape.gradient(score, x).numpy()[0]\n    m = np.max(np.abs(g), axis=2)",
                                                       "g = tape.gradient(score, x).numpy()\n    m = np.max(np.abs(g), axis=3)"),
                                      {"test_saillance_forme"}),
}


# ------------------------------------------------------------------------------- attacks
# Each attacker's own work is nothing (a stub, or the course's function called for it);
# the rest of its graded cell tries to change grades, read what it must not, or hang the
# grading. Each must earn 0 automatic points, and the honest students of the same class
# keep their grades (test_grading checks both).
STUB = "def occlusion_map(model, img_array, patch_size=30, stride=10):\n    return np.zeros(np.shape(img_array)[:2])\n"


# what an attacker would search: every notebook, script and database outside the packages
FIND = '''
def _course_files(suffixes):
    import os
    roots = {"/tmp", "/root", "/home", "/work", os.path.abspath(os.path.join(os.getcwd(), "../../.."))}
    for root in roots:
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = [d for d in subfolders if d not in (".venv", "site-packages", ".git", "proc")]
            for name in files:
                if name.endswith(suffixes):
                    yield os.path.join(folder, name)
'''


def attack(code: str) -> dict:
    """A stub followed by ``code`` (run in the student's kernel; harmless elsewhere)."""
    return answer(STUB + FIND + "try:\n" + "".join(f"    {line}\n" for line in code.strip("\n").splitlines())
                  + "except Exception:\n    pass\n")


ATTACKS = {
    # the course's own function, called or wrapped
    "delegates": answer("def occlusion_map(*args, **kwargs):\n    return helpers.occlusion_map(*args, **kwargs)\n"),
    "delegates_to_the_module": answer(
        "import helpers.occlusion as ref\n"
        "def occlusion_map(model, img_array, patch_size=30, stride=10):\n"
        "    return ref.occlusion_map(model, img_array, patch_size, stride, progress=False)\n"),
    # the in-kernel test cells neutralised
    "input_transformer": attack('''
get_ipython().input_transformers_cleanup.append(
    lambda lines: ["pass\\n"] if any("assert" in l for l in lines) else lines)
'''),
    "run_cell_override": attack('''
_ip = get_ipython(); _orig = _ip.run_cell
_ip.run_cell = lambda raw_cell, *a, **k: _orig("pass" if "assert" in raw_cell else raw_cell, *a, **k)
'''),
    "pre_run_cell_hook": attack('''
def _neutralise(*_):
    np.testing.assert_allclose = lambda *a, **k: None
    np.allclose = lambda *a, **k: True
get_ipython().events.register("pre_run_cell", _neutralise)
'''),
    "import_hook": attack('''
import builtins, types
_real_import = builtins.__import__
def _fake(name, *a, **k):
    module = _real_import(name, *a, **k)
    if name == "helpers.testing":
        module.red_square_model = lambda *x, **y: None
    return module
builtins.__import__ = _fake
class _Finder:
    def find_spec(self, name, path=None, target=None):
        return None
import sys; sys.meta_path.insert(0, _Finder())
'''),
    "patching_thread": attack('''
import threading, time
def _patch():
    while True:
        np.testing.assert_allclose = lambda *a, **k: None
        time.sleep(0.01)
threading.Thread(target=_patch, daemon=True).start()
'''),
    # other students' grades, the solutions, the machine
    "rewrites_helpers": attack('''
import helpers.occlusion
open(helpers.occlusion.__file__, "a").write("\\nraise SystemExit('sabotage')\\n")
'''),
    "reads_the_solutions": attack('''
import os
for _path in _course_files((".ipynb", ".py")):
    _text = open(_path, errors="ignore").read()
    if "BEGIN SOLUTION" in _text or "CHECKS = " in _text:
        print(_text)
'''),
    "writes_elsewhere": attack('''
import os, sqlite3
for _path in _course_files((".ipynb", ".db")):
    try:
        if _path.endswith(".db"):
            _db = sqlite3.connect(_path)
            _db.execute("update grade set manual_score = 99")
            _db.commit()
        else:
            open(os.path.join(os.path.dirname(_path), "pwned.txt"), "w").write("x")
    except Exception:
        pass
'''),
    "orphan_process": attack('''
import subprocess, sys
subprocess.Popen(["sleep", "600"], start_new_session=True, stdout=sys.__stdout__, stderr=sys.__stderr__)
'''),
    "network": attack('''
import urllib.request
print(urllib.request.urlopen("https://pypi.org", timeout=5).status)
'''),
}

for _name, _answers in ATTACKS.items():
    SUBMISSIONS[_name] = (_answers, "attack")
SUBMISSIONS["stub_only"] = (answer(STUB), "stub")  # the attackers' own work, alone

# attackers whose notebook passes its own tests: the gradebook must flag them
FLAGGED = ["delegates", "delegates_to_the_module", "input_transformer", "endless_saliency"]
