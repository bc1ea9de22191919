"""The TP VGG16's submissions for the grading tests (``test_grading.py``).

Correct implementations written differently (a per-position ``model.predict`` loop,
Grad-CAM in NumPy after the tape, a recognizer with explicit cosine formulas) get every
automatic point; the untouched release gets none; each typical mistake loses the points
of the behaviour it breaks. Every autograde runs the whole notebook (VGG16 with random
weights, quick mode), so mistakes in *different* graded functions that break *different*
tests share one submission, and each lost test is asserted.
"""

from pathlib import Path

from course import submissions as course_submissions

ASSIGNMENT = "tp_vgg16"
NOTEBOOK = "tp_vgg16.ipynb"
TOTAL = 20  # automatic points of the notebook
SOLUTION_LINES = ["compte[compte == 0] = 1", "np.stack(self.empreintes)"]  # never in the release

GRADCAM = '''
def make_gradcam_heatmap(img_array, model, layer_name, pred_index=None):
    grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.output])
    with tf.GradientTape() as tape:
        conv, preds = grad_model(np.asarray(img_array, dtype="float32"))
        if pred_index is None:
            pred_index = np.argmax(preds[0])
        class_score = preds[:, pred_index]
    grads = tape.gradient(class_score, conv).numpy()
    conv = conv.numpy()[0]
    weights = grads.mean(axis=(0, 1, 2))
    heat = np.zeros(conv.shape[:2])
    for k in range(conv.shape[-1]):
        heat += weights[k] * conv[:, :, k]
    heat = np.maximum(heat, 0)
    return heat / (heat.max() + 1e-8)
'''

OCCLUSION = '''
def occlusion_sensitivity(img, model, patch=25, stride=14):
    if isinstance(img, (str, os.PathLike)):
        img = helpers.load_image(img, size=model.input_shape[1:3], model=None)[0]
    prep = helpers.get_preprocess(model)
    img = np.array(img, dtype="float32")
    h, w = img.shape[:2]
    p = model.predict(np.asarray(prep(img[None])), verbose=0)[0]
    c = np.argmax(p)
    total = np.zeros((h, w))
    n = np.zeros((h, w))
    for y in range(0, h - patch, stride):
        for x in range(0, w - patch, stride):
            hidden = img.copy()
            hidden[y:y + patch, x:x + patch] = 128
            q = model.predict(np.asarray(prep(hidden[None])), verbose=0)[0]
            total[y:y + patch, x:x + patch] += p[c] - q[c]
            n[y:y + patch, x:x + patch] += 1
    return total / np.maximum(n, 1), float(p[c])
'''

RECOGNIZER = '''
class FaceRecognizer:
    def __init__(self, extractor, threshold=0.5, preprocess=None):
        self.extractor, self.threshold, self.preprocess = extractor, threshold, preprocess
        self.db = {}

    def embed(self, img):
        x = np.array(img, dtype="float32")[np.newaxis]
        if self.preprocess:
            x = self.preprocess(x)
        e = np.array(self.extractor.predict(x, verbose=0)).flatten()
        return e / np.sqrt(np.sum(e ** 2))

    def register(self, name, img):
        if name in self.db:
            raise ValueError("already enrolled: " + name)
        self.db[name] = self.embed(img)

    def identify(self, img):
        if not self.db:
            return None, 0.0, "nobody enrolled"
        q = self.embed(img)
        best, best_sim = None, 0.0
        for name, e in self.db.items():
            sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))
            if best is None or sim > best_sim:
                best, best_sim = name, sim
        if best is not None and best_sim >= self.threshold:
            return best, best_sim, "identified"
        return None, best_sim, "rejected"
'''


# Other correct ways: Grad-CAM weighted with einsum on tensors; occlusion with every
# occluded image in one batch, positions in the other order, paths told by pathlib (a
# module of the notebook's import cell); a recognizer that keeps a matrix of raw
# embeddings and normalises when it compares.
GRADCAM_EINSUM = '''
def make_gradcam_heatmap(img_array, model, layer_name, pred_index=None):
    inner = tf.keras.Model(model.inputs, [model.get_layer(layer_name).output, model.outputs[0]])
    x = tf.constant(np.asarray(img_array), dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        maps, probs = inner(x)
        k = int(tf.argmax(probs[0])) if pred_index is None else pred_index
        target = probs[0, k]
    g = tape.gradient(target, maps)
    alpha = tf.reduce_mean(g, axis=[0, 1, 2])
    cam = tf.nn.relu(tf.einsum("hwc,c->hw", maps[0], alpha)).numpy()
    return cam / (cam.max() + 1e-8)
'''

OCCLUSION_BATCH = '''
def occlusion_sensitivity(img, model, patch=25, stride=14):
    if isinstance(img, (str, pathlib.Path)):
        img = helpers.load_image(pathlib.Path(img), size=model.input_shape[1:3], model=None)[0]
    pre = helpers.get_preprocess(model)
    base = np.asarray(img, dtype=np.float32).copy()
    H, W = base.shape[:2]
    probs = np.asarray(model(pre(base[None])))[0]
    c = int(probs.argmax())
    spots = [(y, x) for x in range(0, W - patch, stride) for y in range(0, H - patch, stride)]
    batch = np.stack([base] * len(spots))
    for i, (y, x) in enumerate(spots):
        batch[i, y:y + patch, x:x + patch, :] = 128
    drops = probs[c] - np.asarray(model(pre(batch)))[:, c]
    total, count = np.zeros((H, W)), np.zeros((H, W))
    for (y, x), d in zip(spots, drops):
        total[y:y + patch, x:x + patch] += d
        count[y:y + patch, x:x + patch] += 1
    return np.where(count > 0, total / np.maximum(count, 1), 0.0), probs[c]
'''

RECOGNIZER_MATRIX = '''
class FaceRecognizer:
    def __init__(self, extractor, threshold=0.5, preprocess=None):
        self.extractor = extractor
        self.threshold = threshold
        self.preprocess = preprocess or (lambda batch: batch)
        self.names, self.raw = [], np.zeros((0, 0))

    def _raw(self, img):
        batch = self.preprocess(np.asarray(img, dtype=np.float32)[None])
        return np.ravel(np.asarray(self.extractor(batch)))

    def embed(self, img):
        v = self._raw(img)
        return v / np.linalg.norm(v)

    def register(self, name, img):
        if name in self.names:
            raise ValueError(f"{name} is enrolled already")
        v = self._raw(img)[None]
        self.raw = v if not self.names else np.concatenate([self.raw, v])
        self.names.append(name)

    def identify(self, img):
        if not self.names:
            return None, 0.0, "nobody enrolled"
        q = self._raw(img)
        sims = self.raw @ q / (np.linalg.norm(self.raw, axis=1) * np.linalg.norm(q))
        i = int(np.argmax(sims))
        if sims[i] >= self.threshold:
            return self.names[i], float(sims[i]), "identified"
        return None, float(sims[i]), "rejected"
'''


# Correct, and noisy on stderr in the student's kernel (nbgrader scores such a test cell 0:
# the correction must neither lose their points nor flag them): a Grad-CAM that warns and
# returns a tf.Tensor, an occlusion with a tqdm progress bar, a recognizer that logs.
GRADCAM_WARNS = GRADCAM_EINSUM.replace(
    "    cam = tf.nn.relu(tf.einsum(\"hwc,c->hw\", maps[0], alpha)).numpy()\n    return cam / (cam.max() + 1e-8)",
    "    cam = tf.nn.relu(tf.einsum(\"hwc,c->hw\", maps[0], alpha))\n"
    "    warnings.warn(\"Grad-CAM : carte calculée\")\n"
    "    return cam / (tf.reduce_max(cam) + 1e-8)")
assert "warnings.warn" in GRADCAM_WARNS
OCCLUSION_PROGRESS = ("from tqdm import tqdm\n" + OCCLUSION).replace(
    "for y in range(0, h - patch, stride):", "for y in tqdm(range(0, h - patch, stride), desc=\"occlusion\"):")
assert "tqdm(range" in OCCLUSION_PROGRESS
RECOGNIZER_LOGS = RECOGNIZER.replace(
    "        self.db[name] = self.embed(img)\n",
    "        self.db[name] = self.embed(img)\n        import sys\n        print(\"enregistré :\", name, file=sys.stderr)\n")
assert "sys.stderr" in RECOGNIZER_LOGS


def mistake(source: str, replace: str, by: str) -> str:
    assert replace in source, replace
    return source.replace(replace, by)


NO_RELU = mistake(GRADCAM, "heat = np.maximum(heat, 0)", "pass")
WRONG_AXES = mistake(GRADCAM, "grads.mean(axis=(0, 1, 2))", "grads.mean(axis=(0, 1))")
WRONG_CLASS = mistake(GRADCAM, "pred_index = np.argmax(preds[0])", "pred_index = 0")
NOT_AVERAGED = mistake(OCCLUSION, "total / np.maximum(n, 1)", "total")
OCCLUDED_ARGMAX = mistake(OCCLUSION, "p[c] - q[c]", "p[c] - q[np.argmax(q)]")
EUCLIDEAN = mistake(RECOGNIZER, "sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))",
                    "sim = float(1 - np.linalg.norm(e - q))")
UNNORMALISED = mistake(RECOGNIZER, "return e / np.sqrt(np.sum(e ** 2))", "return e").replace(
    "sim = float(np.dot(e, q) / (np.linalg.norm(e) * np.linalg.norm(q)))", "sim = float(np.dot(e, q))")
STRICT = mistake(RECOGNIZER, "best_sim >= self.threshold", "best_sim > self.threshold")

SUBMISSIONS = {
    # name: ({graded cell: source} replacing the correct alternatives, None for the source
    #        notebook, "release" for the blank release; tests expected to be lost)
    "solution": (None, set()),
    "alternatives": ({}, set()),  # every graded cell: the correct alternatives above
    "other_alternatives": ({"make_gradcam_heatmap": GRADCAM_EINSUM, "occlusion_sensitivity": OCCLUSION_BATCH,
                            "FaceRecognizer": RECOGNIZER_MATRIX}, set()),
    "noisy_on_stderr": ({"make_gradcam_heatmap": GRADCAM_WARNS, "occlusion_sensitivity": OCCLUSION_PROGRESS,
                         "FaceRecognizer": RECOGNIZER_LOGS}, set()),
    "blank": ("release", "all"),
    "no_relu__not_averaged__euclidean": (
        {"make_gradcam_heatmap": NO_RELU, "occlusion_sensitivity": NOT_AVERAGED, "FaceRecognizer": EUCLIDEAN},
        {"test_gradcam_relu", "test_occlusion_moyenne", "test_reco_cosinus"}),
    "wrong_axes__occluded_argmax__unnormalised": (
        {"make_gradcam_heatmap": WRONG_AXES, "occlusion_sensitivity": OCCLUDED_ARGMAX,
         "FaceRecognizer": UNNORMALISED},
        {"test_gradcam_autres_couches", "test_occlusion_classe_de_base", "test_reco_normalisation"}),
    "wrong_class__strict_threshold": (
        {"make_gradcam_heatmap": WRONG_CLASS, "FaceRecognizer": STRICT},
        {"test_gradcam_classe_par_defaut", "test_reco_seuil"}),
}


CORRECT = {"make_gradcam_heatmap": GRADCAM, "occlusion_sensitivity": OCCLUSION, "FaceRecognizer": RECOGNIZER}



# Delegation: the course's class or function used in place of the student's own. Each
# loses the points of what it delegates, and the gradebook flags the notebook (its own
# tests pass in the kernel, where the reference exists).
SUBCLASS = '''
class FaceRecognizer(helpers.FaceRecognizer):
    def __init__(self, extractor, threshold=0.5, preprocess=None):
        super().__init__(extractor, threshold, preprocess=preprocess or (lambda x: x), detect_faces=False)
'''
WRAPPER = '''
def make_gradcam_heatmap(img_array, model, layer_name, pred_index=None):
    from helpers.gradcam import make_gradcam_heatmap as reference
    return reference(img_array, model, layer_name, pred_index)
'''
RECOGNIZER_CELLS = {"test_reco_soi_meme", "test_reco_cosinus", "test_reco_normalisation", "test_reco_meilleur",
                    "test_reco_seuil", "test_reco_base_vide"}
GRADCAM_CELLS = {"test_gradcam_forme", "test_gradcam_carre", "test_gradcam_relu", "test_gradcam_classe_par_defaut",
                 "test_gradcam_autres_couches"}
SUBMISSIONS["subclass_and_wrapper"] = ({"FaceRecognizer": SUBCLASS, "make_gradcam_heatmap": WRAPPER},
                                       RECOGNIZER_CELLS | GRADCAM_CELLS)
# `course demo --assignment tp_vgg16`'s partly right student, as the demo builds it from
# the source's solutions: it loses the ReLU and the threshold cells (the missing ReLU may
# also fail a hidden known-value case of the other-layers cell), never all of Grad-CAM as the
# demo's copy once did, through an IndentationError.
_DEMO = {s.name: s for s in course_submissions.tp_vgg16_class(
    Path(__file__).resolve().parents[1] / "source_notebooks" / "tp_vgg16" / "tp_vgg16.ipynb")}
SUBMISSIONS["demo_carla"] = (dict(_DEMO["carla"].answers), {"test_gradcam_relu", "test_reco_seuil"})
ATTACKS: dict = {}  # the tampering corpus is NBJ1's (the same sandbox grades both)
FLAGGED = ["subclass_and_wrapper"]
