"""The simulated class of ``course demo`` (and of the workflow tests): what each
student hands in, built from the release the student fetched.

Each student is one situation an instructor meets: the right answer, nothing done, a
partly right answer, a typical mistake, a copy that tries to fool the tests, a file
that is not a notebook any more, a copy of a classmate's work (``gaspard`` hands in
``carla``'s, variables renamed and sentences reordered: ``course similarity`` flags
the pair; the grader, who has not read the similarity report yet, gives the copied
answers carla's points). One student (``carla``) also writes the free-text
answers, in French, and carries the manual grade a grader would give them
(``Student.manual_grades``), which ``course demo`` enters through nbgrader's gradebook
as formgrader does; the other written answers handed in (``ada``'s, the source's keys)
stay pending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Student:
    name: str
    story: str                                   # what this copy is, in a few words
    answers: dict[str, str] = field(default_factory=dict)   # grade_id -> cell source
    edits: dict[str, str] = field(default_factory=dict)     # test cells rewritten by the student
    deleted: tuple[str, ...] = ()                # test cells the student deleted
    broken: bool = False                         # the file is no longer valid JSON
    solution: bool = False                       # hand in the solutions of the source
    written: dict[str, str] = field(default_factory=dict)   # grade_id -> free-text answer (markdown)
    manual_grades: dict[str, tuple[float, str]] = field(default_factory=dict)  # grade_id -> (points, comment)


def solution_of(source_notebook: nbformat.NotebookNode, grade_id: str) -> str:
    """The source's answer to ``grade_id``, as a student would type it (no markers)."""
    cell = _cell(source_notebook, grade_id)
    return "\n".join(line for line in cell.source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def _cell(nb: nbformat.NotebookNode, grade_id: str):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell {grade_id!r} in the notebook")


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise ValueError(f"{old!r} is not in the solution any more: update course/submissions.py")
    return text.replace(old, new)


def build(student: Student, release_notebook: Path, source_notebook: Path) -> bytes:
    """The bytes of ``student``'s notebook, starting from the fetched release."""
    if student.broken:
        text = release_notebook.read_text("utf-8")
        return text[: len(text) // 2].encode("utf-8")  # a half-saved file
    nb = nbformat.read(release_notebook, as_version=4)
    source = nbformat.read(source_notebook, as_version=4)
    if student.solution:  # the code and the written answers of the source
        for cell in source.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution"):
                _cell(nb, meta["grade_id"]).source = solution_of(source, meta["grade_id"])
    for grade_id, text in {**student.answers, **student.written}.items():
        _cell(nb, grade_id).source = text.strip("\n")
    for grade_id, text in student.edits.items():
        _cell(nb, grade_id).source = text
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") not in student.deleted]
    return nbformat.writes(nb).encode("utf-8")


# carla's free-text answers (French, as a student writes them) and the manual grade a
# grader gives each: (points, comment). ``course demo`` enters them in the gradebook.
NBJ1_WRITTEN = {
    "q1_avant": "Je m'attends à un chat, et je pense que le réseau va regarder la tête, surtout les yeux.",
    "q2_juste": "Oui, il trouve un chat. Les deux classes suivantes sont aussi des chats, donc proches.",
    "q3_cacher": "La probabilité baisse un peu quand on cache une zone, mais pas pareil partout.",
    "q4_zones": "La tête compte le plus. Avec un carré plus grand la carte devient plus floue.",
    "q5_humain": "Oui, il regarde la tête comme nous.",
    "q6_brillants": "Pas vraiment, les pixels brillants sont un peu partout.",
    "q7_bruit": "Elle est bruitée, à cause du gradient qui change beaucoup d'un pixel à l'autre.",
    "q8_difference": "L'occlusion enlève une région et regarde la sortie ; la saillance regarde le gradient "
                     "de chaque pixel.",
    "q9_lisible": "Oui, c'est plus lisse car on fait une moyenne. Avec noise=0 c'est la saillance simple.",
    "q10_accord": "Elles sont à peu près d'accord sur la tête.",
    "q11_intuitive": "L'occlusion est la plus intuitive et la plus coûteuse ; la plus fiable, je ne sais pas.",
    "q12_classe": "Les cartes changent un peu.",
    "q13_bonne_explication": "Une bonne explication montre ce que le modèle a regardé pour décider.",
}
NBJ1_MANUAL = {
    "q1_avant": (1.0, "Hypothèse claire, faite avant le résultat."),
    "q2_juste": (1.0, "Juste."),
    "q3_cacher": (0.5, "Citez les baisses du tableau : lesquelles sont fortes ?"),
    "q4_zones": (0.5, "Et un pas plus grand ?"),
    "q5_humain": (0.5, "En partie seulement : le pelage (la texture) compte aussi."),
    "q6_brillants": (0.0, "Comparez aux zones de l'occlusion : elles se recouvrent en partie."),
    "q7_bruit": (1.0, "Bien vu."),
    "q8_difference": (1.0, "C'est la distinction attendue."),
    "q9_lisible": (0.5, "Et avec un bruit très fort ?"),
    "q10_accord": (0.0, "Il fallait s'appuyer sur le tableau d'accord."),
    "q11_intuitive": (1.0, "Bien : comptez aussi les passages dans le réseau."),
    "q12_classe": (0.5, "Que dit ce changement de ce qu'est une explication ?"),
    "q13_bonne_explication": (1.0, "Il manque « fidèle » et « vérifiable »."),
}
TP_WRITTEN = {
    "q1_paradoxe": "La plupart des paramètres sont dans les couches denses, mais la vision se fait dans les "
                   "convolutions ; on les réutilise parce qu'elles détectent des motifs généraux.",
    "q2_hierarchie": "Les premiers filtres montrent des couleurs et des traits, les derniers des motifs plus "
                     "compliqués, car le champ récepteur grandit.",
    "q3_biais_imagenet": "Grad-CAM regarde surtout le nez. Ce n'est pas surprenant, le réseau ne connaît pas "
                         "les visages.",
    "q4_gradcam_occlusion": "Pas tout à fait les mêmes régions. Je choisirais l'occlusion, qui n'a besoin que "
                            "des prédictions.",
    "q5_masques": "Aucun masque ne fait perdre l'identification ici, donc un bandeau ne suffit pas.",
    "q6_biais": "Si certains groupes sont peu présents dans les données d'entraînement. On peut mesurer les "
                "erreurs par groupe.",
    "q7_seuil": "Elle est au-dessus du seuil. Je choisirais le seuil avec des exemples.",
    "q8_one_shot": "Une seule photo suffit et on peut ajouter quelqu'un sans réentraîner.",
    "q9_production": "La quantification rend le modèle plus petit et plus rapide, le cosinus change peu. "
                     "Je prendrais TF Lite.",
    "q10_lecon": "La précision ne dit pas ce que le modèle regarde ; les cartes le montrent.",
}
TP_MANUAL = {
    "q1_paradoxe": (2.0, "Très bien ; citez aussi le chiffre (89,4 %)."),
    "q2_hierarchie": (1.5, "Et l'entropie du tableau ?"),
    "q3_biais_imagenet": (1.0, "Reliez à la partie 1, et que montrerait VGGFace ?"),
    "q4_gradcam_occlusion": (1.5, "Bon choix, à justifier avec les deux tableaux."),
    "q5_masques": (2.0, "Juste."),
    "q6_biais": (1.0, "Quelle expérience, précisément (quelle mesure, par groupe) ?"),
    "q7_seuil": (0.5, "À quelle distance du seuil ? Quelles erreurs le seuil arbitre-t-il ?"),
    "q8_one_shot": (0.5, "Il manque une limite des empreintes ImageNet."),
    "q9_production": (1.0, "Et les précautions RGPD ?"),
    "q10_lecon": (2.0, "Bien dit."),
}


# A correct occlusion written as a student would: her own loop, not the solution's
# batches. The grading tests start from it too (``tests/submissions_nbj1.py``'s
# CORRECT_LOOP and its typical mistakes).
OCCLUSION_LOOP = '''
def occlusion_map(model, img_array, patch_size=30, stride=10):
    preprocess = helpers.get_preprocess(model)
    img = np.array(img_array, dtype="float32")
    h, w = img.shape[0], img.shape[1]
    p = np.asarray(model(preprocess(img[np.newaxis])))[0]
    c = np.argmax(p)
    heat = np.zeros((h, w))
    for y in range(0, h - patch_size, stride):
        for x in range(0, w - patch_size, stride):
            hidden = img.copy()
            hidden[y:y + patch_size, x:x + patch_size, :] = 0
            q = np.asarray(model(preprocess(hidden[np.newaxis])))[0]
            heat[y:y + patch_size, x:x + patch_size] = p[c] - q[c]
    return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)
'''
# carla's: that loop without the min-max normalisation (the tests' ``no_normalisation``)
CARLA_OCCLUSION = OCCLUSION_LOOP.replace(
    "return (heat - heat.min()) / (heat.max() - heat.min() + 1e-8)", "return heat")
# gaspard's: carla's, every variable renamed
GASPARD_RENAMES = {"preprocess": "prep", "img": "picture", "h": "rows", "w": "cols",
                   "p": "probs", "c": "best", "heat": "result", "y": "i", "x": "j",
                   "hidden": "masked", "q": "new_probs"}
GASPARD_OCCLUSION = re.sub(r"\b(" + "|".join(GASPARD_RENAMES) + r")\b",
                           lambda name: GASPARD_RENAMES[name.group(1)], CARLA_OCCLUSION)


def reordered(text: str) -> str:
    """A written answer copied the lazy way: its sentences (or clauses after ";") in
    another order; an answer of one sentence is copied as it is."""
    import re

    parts = [p.strip() for p in re.split(r"(?<=[.;!?])\s+", text.strip()) if p.strip()]
    return " ".join(parts[1:] + parts[:1]) if len(parts) > 1 else text


def nbj1_class(source_notebook: Path) -> list[Student]:
    """Seven NBJ1 copies (graded functions: ``occlusion_map`` 10 automatic points,
    ``saliency_map`` 6; the partial copies get the saliency right; 14 manual points:
    ``ada`` hands in the keys, left pending, ``carla`` her own answers, graded by hand)."""
    source = nbformat.read(source_notebook, as_version=4)
    right = solution_of(source, "occlusion_map")
    saliency = solution_of(source, "saliency_map")
    grey = _replace(right, "x:x + patch_size] = 0", "x:x + patch_size] = 128")
    tampering = grey + '''

# --- what a student might try to get the points anyway ---
import helpers, helpers.occlusion, helpers.testing, numpy
helpers.occlusion_map = helpers.occlusion.occlusion_map = occlusion_map   # "the reference" is mine
helpers.testing.square_mask = lambda *a, **k: numpy.ones((32, 32), bool)   # "the maximum is on the square"
class _Lenient:                                # np.testing that never complains
    def __getattr__(self, name):
        return getattr(numpy, name)
    class testing:
        @staticmethod
        def assert_allclose(*args, **kwargs):
            return None
np = _Lenient()
print = lambda *args, **kwargs: None
'''
    return [
        Student("ada", "the solution", solution=True),
        Student("blaise", "nothing done (the release as fetched)"),
        Student("carla", "partly right: her own loop, forgets the min-max normalisation; writes every "
                "free-text answer, graded by hand",
                {"occlusion_map": CARLA_OCCLUSION, "saliency_map": saliency},
                written=NBJ1_WRITTEN, manual_grades=NBJ1_MANUAL),
        Student("dmitri", "typical mistake: x and y swapped",
                {"occlusion_map": _replace(right, "occultees[i, y:y + patch_size, x:x + patch_size] = 0",
                                           "occultees[i, x:x + patch_size, y:y + patch_size] = 0"),
                 "saliency_map": saliency}),
        Student("eve", "grey patch, then tampering: patches helpers and numpy, edits and deletes tests",
                {"occlusion_map": tampering, "saliency_map": saliency},
                edits={"test_occlusion_forme": "pass", "test_occlusion_carre": "assert True"},
                deleted=("test_occlusion_patch_noir",)),
        Student("fatou", "a half-saved file (not valid JSON)", broken=True),
        Student("gaspard", "copies carla: her loop with the variables renamed, her written answers with "
                "the sentences reordered",
                {"occlusion_map": GASPARD_OCCLUSION, "saliency_map": saliency},
                written={q: reordered(text) for q, text in NBJ1_WRITTEN.items()}, manual_grades=NBJ1_MANUAL),
    ]


def tp_vgg16_class(source_notebook: Path) -> list[Student]:
    """Five TP copies (graded: Grad-CAM, occlusion sensitivity, recognizer; 20 automatic
    points; 18 manual points: ``ada`` hands in the keys, left pending, ``carla`` her own
    answers, graded by hand)."""
    source = nbformat.read(source_notebook, as_version=4)
    gradcam = solution_of(source, "make_gradcam_heatmap")
    recognizer = solution_of(source, "FaceRecognizer")
    return [
        Student("ada", "the solution", solution=True),
        Student("blaise", "nothing done (the release as fetched)"),
        Student("carla", "Grad-CAM without ReLU, recognizer with > instead of >=; writes every free-text "
                "answer, graded by hand",
                {"make_gradcam_heatmap": _replace(gradcam, "    carte = tf.nn.relu(carte)\n", ""),
                 "FaceRecognizer": _replace(recognizer, "if s >= self.threshold:", "if s > self.threshold:")},
                written=TP_WRITTEN, manual_grades=TP_MANUAL),
        Student("gaspard", "copies carla: her written answers with the sentences reordered (her code is "
                "the solution's, one line changed: boilerplate, not flagged)",
                {"make_gradcam_heatmap": _replace(gradcam, "    carte = tf.nn.relu(carte)\n", "")
                 .replace("carte", "heatmap"),
                 "FaceRecognizer": _replace(recognizer, "if s >= self.threshold:", "if s > self.threshold:")},
                written={q: reordered(text) for q, text in TP_WRITTEN.items()}, manual_grades=TP_MANUAL),
        Student("eve", "tampering: replaces helpers' Grad-CAM and the test models",
                {"make_gradcam_heatmap": _replace(gradcam, "    carte = tf.nn.relu(carte)\n", "") + '''

import helpers, helpers.gradcam
helpers.gradcam.make_gradcam_heatmap = make_gradcam_heatmap
'''}, edits={"test_gradcam_relu": "pass"}),
    ]


CLASSES = {"nbj1": nbj1_class, "tp_vgg16": tp_vgg16_class}
