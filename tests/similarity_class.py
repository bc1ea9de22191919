"""The class that ``course similarity`` is tested on (``test_similarity.py``) and measured
on (``benchmarks/similarity.py``).

**Independent students.** The grading corpus (``submissions_nbj1.py``,
``submissions_tp_vgg16.py``) holds, per graded function, a few texts written on their
own (a *lineage*: ``CORRECT_LOOP``, ``HANDOUT_STYLE``, ``MUTATING``…) and many one-line
edits of them (the typical mistakes, the noisy alternatives), which are, by
construction, copies of their lineage's text. The independent students each take one
text per lineage (a mistake where there is one), so that no two hold the same lineage;
their written answers are French texts written separately (``carla``'s of the demo, and
two other authors below). The solution and the blank release are students too: they
must match nobody.

**Copiers.** Each copies one cell of an independent student the way students do
(:data:`COPY_WAYS`): identically, variables renamed, lines reordered, comments and
docstrings changed, the three together, a written answer with its sentences reordered.
Every copied pair must score above every independent pair.

Notebooks are built as ``tests/grading.py`` builds them (the committed release with the
graded cells filled in; the source notebook for the solution), as JSON, without nbgrader.
"""

from __future__ import annotations

import ast
import copy
import difflib
import io
import json
import keyword
import re
import tokenize
from pathlib import Path

import submissions_nbj1 as nbj1
import submissions_tp_vgg16 as tp

from course.submissions import NBJ1_WRITTEN, TP_WRITTEN

ROOT = Path(__file__).resolve().parents[1]
PRACTICALS = {"nbj1": nbj1, "tp_vgg16": tp}

# ------------------------------------------------------------------ other authors' answers
# Two more students write the free-text answers, each on their own (carla, of the demo,
# is the third): the same questions, the same vocabulary of the course, other sentences.
WRITTEN_B = {
    "nbj1": {
        "q7_bruit": "La carte de saillance est très granuleuse. Le gradient varie brutalement d'un pixel "
                    "au voisin, donc on voit des points isolés plutôt que des zones.",
        "q8_difference": "Avec l'occlusion on masque un carré et on mesure la baisse de la probabilité. "
                         "La saillance calcule la dérivée du score par rapport à chaque pixel d'entrée. "
                         "La première est une perturbation, la seconde est locale.",
        "q11_intuitive": "Pour moi l'occlusion se comprend tout de suite. Elle demande beaucoup de passages "
                         "dans le réseau, donc elle est lente. La saillance est rapide mais bruitée.",
        "q13_bonne_explication": "Elle doit être fidèle au modèle et compréhensible par un humain, "
                                 "et on doit pouvoir la vérifier.",
    },
    "tp_vgg16": {
        "q1_paradoxe": "Presque tous les poids sont dans les couches entièrement connectées. Pourtant ce "
                       "sont les convolutions qui extraient les caractéristiques visuelles, et elles se "
                       "transfèrent bien à d'autres tâches.",
        "q6_biais": "Le modèle peut moins bien marcher sur les personnes peu représentées dans la base. "
                    "Il faudrait comparer le taux d'erreur pour chaque groupe sur un jeu de test équilibré.",
        "q10_lecon": "Un bon score ne prouve pas que le réseau regarde au bon endroit. Les méthodes "
                     "d'explication permettent de le vérifier.",
    },
}
WRITTEN_C = {
    "nbj1": {
        "q7_bruit": "Bruitée, avec beaucoup de pixels clairs dispersés sur le fond aussi.",
        "q8_difference": "L'une cache des morceaux de l'image, l'autre utilise le gradient. Cacher "
                         "coûte un calcul par position alors que le gradient se fait en une fois.",
        "q11_intuitive": "Intuitive : l'occlusion. Coûteuse : l'occlusion aussi. Fiable : difficile à "
                         "dire sans vérité terrain.",
        "q13_bonne_explication": "Une explication utile aide à décider si on peut faire confiance à la "
                                 "prédiction du modèle.",
    },
    "tp_vgg16": {
        "q1_paradoxe": "Les couches denses contiennent la majorité des paramètres. Elles servent surtout "
                       "à classer les 1000 classes d'ImageNet, alors que les filtres convolutifs sont "
                       "génériques.",
        "q6_biais": "Si les visages d'entraînement viennent surtout d'un même groupe, les erreurs "
                    "seront plus nombreuses pour les autres. On le mesure groupe par groupe.",
        "q10_lecon": "J'ai appris qu'il faut regarder les cartes d'attention et pas seulement l'exactitude.",
    },
}


# ------------------------------------------------------------------ the ways students copy
def rename_variables(code: str) -> str:
    """``code`` with every argument and local variable renamed (``img`` -> ``img_v2``…),
    as a student does with find-and-replace."""
    tree = ast.parse(code)
    names = {a.arg for node in ast.walk(tree) if isinstance(node, ast.arguments)
             for a in node.args + node.kwonlyargs if a.arg != "self"}
    names |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    names -= set(keyword.kwlist)
    out, previous = [], None
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        text = tok.string
        if tok.type == tokenize.NAME and text in names and previous != ".":
            text = {"x": "inp", "y": "row", "c": "cls", "k": "idx"}.get(text, "mon_" + text)
        out.append((tok.type, text))
        previous = tok.string
    renamed = tokenize.untokenize(out)
    assert renamed != code and ast.parse(renamed)
    return renamed


def reorder_lines(code: str) -> str:
    """``code`` with pairs of consecutive independent one-line assignments swapped (the
    second neither reads nor writes what the first assigns), wherever there is one."""
    lines = code.splitlines()
    candidates = set()
    for node in ast.walk(ast.parse(code)):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for first, second in zip(body, body[1:]):
            if not (isinstance(first, ast.Assign) and isinstance(second, ast.Assign)):
                continue
            if first.end_lineno != first.lineno or second.lineno != first.lineno + 1 \
                    or second.end_lineno != second.lineno:
                continue
            written = {n.id for t in first.targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            used = {n.id for n in ast.walk(second) if isinstance(n, ast.Name)}
            if not written & used:
                candidates.add(first.lineno - 1)
    swapped = -2
    for i in sorted(candidates):
        if i > swapped + 1:
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            swapped = i
    assert swapped >= 0, "no two independent assignments to swap"
    reordered = "\n".join(lines) + "\n"
    assert ast.parse(reordered)
    return reordered


def recomment(code: str) -> str:
    """``code`` with a new docstring and a comment on every statement line."""
    out = []
    for line in code.splitlines():
        out.append(line)
        stripped = line.strip()
        if stripped.startswith(("def ", "class ")) and stripped.endswith(":"):
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            out.append(f'{indent}"""Ma version, écrite pour le TP (voir le cours, partie 2)."""')
        elif stripped and not stripped.startswith(("#", '"""', "'''")) and not stripped.endswith(("(", "[", ",")):
            out[-1] = f"{line}  # étape"
    commented = "\n".join(out) + "\n"
    assert ast.parse(commented)
    return commented


def reorder_sentences(text: str) -> str:
    """A written answer paraphrased the lazy way: its sentences in another order."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s.strip()]
    assert len(sentences) > 1, text
    return " ".join(sentences[1:] + sentences[:1])


COPY_WAYS = {
    "identical": lambda t: t,
    "renamed": rename_variables,
    "reordered": reorder_lines,
    "recommented": recomment,
    "all_three": lambda t: recomment(reorder_lines(rename_variables(t))),
    "sentences_reordered": reorder_sentences,
}


# ------------------------------------------------------------------ the class
def independent(assignment: str) -> dict[str, dict[str, str]]:
    """``{student: {grade_id: text}}`` of the students who worked on their own
    (``"solution"`` and ``"blank"`` are the source and the release)."""
    if assignment == "nbj1":
        return {
            "loop_wrong_class": {"occlusion_map": nbj1.SUBMISSIONS["wrong_class"][0]["occlusion_map"],
                                 "saliency_map": nbj1.SALIENCY_TF, **NBJ1_WRITTEN},
            "handout_style": {"occlusion_map": nbj1.HANDOUT_STYLE,
                              "saliency_map": nbj1.SUBMISSIONS["saliency_sum_over_channels"][0]["saliency_map"],
                              **WRITTEN_B["nbj1"]},
            "mutating": {"occlusion_map": nbj1.MUTATING, "saliency_map": nbj1.SALIENCY_MAX_MIN,
                         **WRITTEN_C["nbj1"]},
            "endless_saliency": {"saliency_map": nbj1.ENDLESS_SALIENCY},
        }
    return {
        "no_relu_batch": {"make_gradcam_heatmap": tp.NO_RELU, "occlusion_sensitivity": tp.OCCLUSION_BATCH,
                          "FaceRecognizer": tp.STRICT, **TP_WRITTEN},
        "einsum_matrix": {"make_gradcam_heatmap": tp.GRADCAM_EINSUM, "occlusion_sensitivity": tp.NOT_AVERAGED,
                          "FaceRecognizer": tp.RECOGNIZER_MATRIX, **WRITTEN_B["tp_vgg16"]},
        "written_only": dict(WRITTEN_C["tp_vgg16"]),
    }


def copiers(assignment: str) -> dict[str, tuple[str, str, str]]:
    """``{copier: (the student copied, grade_id, way)}``: one copy per way of copying."""
    if assignment == "nbj1":
        return {
            "copy_identical": ("handout_style", "occlusion_map", "identical"),
            "copy_renamed": ("mutating", "saliency_map", "renamed"),
            "copy_reordered": ("loop_wrong_class", "occlusion_map", "reordered"),
            "copy_recommented": ("loop_wrong_class", "saliency_map", "recommented"),
            "copy_all_three": ("mutating", "occlusion_map", "all_three"),
            "copy_paraphrased": ("handout_style", "q8_difference", "sentences_reordered"),
        }
    return {
        "copy_identical": ("einsum_matrix", "FaceRecognizer", "identical"),
        "copy_renamed": ("no_relu_batch", "occlusion_sensitivity", "renamed"),
        "copy_reordered": ("no_relu_batch", "FaceRecognizer", "reordered"),
        "copy_recommented": ("einsum_matrix", "make_gradcam_heatmap", "recommented"),
        "copy_all_three": ("einsum_matrix", "occlusion_sensitivity", "all_three"),
        "copy_paraphrased": ("einsum_matrix", "q1_paradoxe", "sentences_reordered"),
    }


def notebook_paths(assignment: str) -> tuple[Path, Path]:
    """The source notebook and the committed release of ``assignment``."""
    name = PRACTICALS[assignment].NOTEBOOK
    return ROOT / "source_notebooks" / assignment / name, ROOT / "release" / assignment / name


def answered(release: dict, answers: dict[str, str]) -> dict:
    """The release notebook with the cells ``{grade_id: text}`` filled in (as
    ``tests/grading.py`` does, on the JSON)."""
    nb = copy.deepcopy(release)
    for cell in nb["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id].strip("\n")
    return nb


def class_notebooks(assignment: str) -> dict[str, dict]:
    """``{student: notebook JSON}``: the independent students, the solution, the blank
    release and the copiers."""
    source_path, release_path = notebook_paths(assignment)
    release = json.loads(release_path.read_text("utf-8"))
    own = independent(assignment)
    notebooks = {student: answered(release, answers) for student, answers in own.items()}
    notebooks["solution"] = json.loads(source_path.read_text("utf-8"))
    notebooks["blank"] = release
    for copier, (copied, grade_id, way) in copiers(assignment).items():
        notebooks[copier] = answered(release, {grade_id: COPY_WAYS[way](own[copied][grade_id])})
    return notebooks


def write_class(course: Path, assignment: str, notebooks: dict[str, dict]) -> None:
    """Put ``notebooks`` where ``nbgrader collect`` puts submissions in ``course``."""
    name = PRACTICALS[assignment].NOTEBOOK
    for student, nb in notebooks.items():
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(json.dumps(nb, ensure_ascii=False, indent=1), "utf-8")


def lineages(assignment: str) -> dict[str, list[tuple[str, str]]]:
    """``{graded function: [(lineage, text)…]}``: every correct alternative and typical
    mistake of the grading corpus for that function (the attacks left out), labelled with
    the independently written text it derives from: the base it is most alike (a text
    made by ``.replace`` on a base is over half alike; the independent bases are under
    40 % alike), or, alike to none, its own."""
    module = PRACTICALS[assignment]
    bases = {"nbj1": {"occlusion_map": ("CORRECT_LOOP", "HANDOUT_STYLE", "MUTATING"),
                      "saliency_map": ("SALIENCY_VARIABLE", "SALIENCY_TF", "SALIENCY_MAX_MIN", "ENDLESS_SALIENCY")},
             "tp_vgg16": {"make_gradcam_heatmap": ("GRADCAM", "GRADCAM_EINSUM"),
                          "occlusion_sensitivity": ("OCCLUSION", "OCCLUSION_BATCH"),
                          "FaceRecognizer": ("RECOGNIZER", "RECOGNIZER_MATRIX")}}[assignment]
    source = json.loads(notebook_paths(assignment)[0].read_text("utf-8"))
    solutions = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in source["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    attacks = getattr(module, "ATTACKS", {})
    found: dict[str, list[tuple[str, str]]] = {}
    for function, names in bases.items():
        known = {n: getattr(module, n) for n in names}
        known["SOLUTION"] = solutions[function]
        texts = {text: name for name, text in known.items()}
        for student, (answers, _) in module.SUBMISSIONS.items():
            if isinstance(answers, dict) and function in answers and student not in attacks:
                texts.setdefault(answers[function], student)
        labelled = []
        for text, name in sorted(texts.items()):
            ratios = {n: difflib.SequenceMatcher(None, text, base).ratio() for n, base in known.items()}
            best = max(ratios, key=ratios.get)
            labelled.append((best if ratios[best] > 0.5 else name, text))
        found[function] = labelled
    return found
