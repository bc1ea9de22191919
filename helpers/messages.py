"""Every word the course shows a person, in one place.

The code speaks English; what a student reads is French. ``XAI_COURSE_LANG`` decides
(``fr``, the default of the course, or ``en`` to use the library in English), and this
module is the only place that knows the translations:

* :func:`tr` — a sentence with fields: ``tr("{n} filters per layer", n=16)`` gives
  ``"16 filtres par couche"`` in French. The English template is the key, so the code
  stays readable and a missing translation falls back to English (a test checks that
  every template the package uses has its French, with the same fields).
* :func:`label` — a word shown as is: a table's column, a status (``"identified"`` →
  ``"identifié"``), ``True``/``False`` → ``oui``/``non``.
* :func:`number` — a number as the language writes it: ``4 224`` and ``0,205`` in
  French, ``4,224`` and ``0.205`` in English.

Tables (``helpers.table``) translate their columns, title and values at display time,
so ``table.column("similarity")`` keeps working in both languages. The panels
(``helpers.widgets``) take all their text from here, and turn an exception into a
message by its class (:func:`user_message`), never by parsing its English text.
"""

from __future__ import annotations

import string

from .config import settings

#: French of every English template and label the package shows.
FR: dict[str, str] = {
    # -- values and statuses
    "True": "oui",
    "False": "non",
    "identified": "identifié",
    "rejected": "rejeté",
    "nobody enrolled": "personne n'est enregistré",
    "no face": "aucun visage",
    "error: {message}": "erreur : {message}",
    "none": "aucune",
    "original": "original",
    # -- table columns
    "map": "carte",
    "map A": "carte A",
    "map B": "carte B",
    "spearman": "Spearman",
    "top-{k} IoU": "IoU des {k} premiers",
    "deletion AUC": "AUC suppression",
    "insertion AUC": "AUC insertion",
    "format": "format",
    "size (MB)": "taille (Mo)",
    "latency (ms)": "latence (ms)",
    "cosine to float32": "cosinus avec float32",
    "region": "région",
    "mean": "moyenne",
    "max": "max",
    "{name} mean": "{name} moyenne",
    "{name} max": "{name} max",
    "y1": "y1", "y2": "y2", "x1": "x1", "x2": "x2",
    "mask": "masque",
    "face detected": "visage détecté",
    "top class": "classe en tête",
    "score": "score",
    "p(original class)": "p(classe d'origine)",
    "drop": "chute",
    "similarity": "similarité",
    "identity": "identité",
    "layer": "couche",
    "entropy mean (bits)": "entropie moyenne (bits)",
    "entropy std": "écart-type de l'entropie",
    "mean |corr|": "|corr| moyenne",
    "pixel variance": "variance des pixels",
    "block": "bloc",
    "kind": "type",
    "filters/units": "filtres/neurones",
    "kernel": "noyau",
    "output": "sortie",
    "parameters": "paramètres",
    "conv layers": "couches conv",
    "filters": "filtres",
    "dense units": "neurones denses",
    "share": "part",
    "classifier": "classifieur",
    "stem": "entrée",
    "conv": "conv",
    "dense": "dense",
    "pool": "pool",
    # -- table titles
    "Agreement between maps": "Accord entre les cartes",
    "Faithfulness (deletion: lower is better; insertion: higher is better)":
        "Fidélité (suppression : plus bas est meilleur ; insertion : plus haut est meilleur)",
    "{model}: layers": "{model} : couches",
    "{model}: {total} parameters": "{model} : {total} paramètres",
    "{n} filters per layer, {size}×{size}, {steps} steps":
        "{n} filtres par couche, {size}×{size}, {steps} pas",
    "Regions ({source}), image {height}×{width}": "Régions ({source}), image {height}×{width}",
    "Map per region ({source})": "Carte par région ({source})",
    "given boxes": "boîtes données",
    "Masks — original class: {label} ({p}); regions: {source}":
        "Masques — classe d'origine : {label} ({p}) ; zones : {source}",
    "; enrolled identity: {identity}": " ; identité enregistrée : {identity}",
    "none (original rejected)": "aucune (original rejeté)",
    "; recognizer embeds the face at the original face box":
        " ; la reconnaissance lit le visage à l'emplacement du visage d'origine",
    "{model}: measured on this machine ({threads} CPU threads, batch of {batch}, "
    "median of {runs} runs after {warmup} warm-up calls)":
        "{model} : mesuré sur cette machine ({threads} fils CPU, lot de {batch}, "
        "médiane de {runs} passes après {warmup} passes d'échauffement)",
    " — RANDOM WEIGHTS: sizes and latencies are real, the outputs (and so the cosine) "
    "are not those of the trained network":
        " — POIDS ALÉATOIRES : tailles et latences sont réelles, les sorties (donc le "
        "cosinus) ne sont pas celles du réseau entraîné",
    # -- the random-weights banner
    "⚠️  RANDOM WEIGHTS — {model} was built with seeded random weights "
    "(XAI_COURSE_WEIGHTS=random, for machines without internet).\n"
    "    Predictions and explanations are meaningless; only the mechanics are real. "
    "With internet, unset XAI_COURSE_WEIGHTS to use the ImageNet weights.":
        "⚠️  POIDS ALÉATOIRES — {model} a été construit avec des poids aléatoires "
        "(graine fixée, XAI_COURSE_WEIGHTS=random : machine sans internet).\n"
        "    Prédictions et explications n'ont pas de sens ; seule la mécanique est réelle. "
        "Avec internet, retirez XAI_COURSE_WEIGHTS pour les poids ImageNet.",
    "the model": "le modèle",
    # -- face recognition errors (helpers.recognizer, helpers.face_store)
    "No face found in the image (OpenCV's frontal-face detector needs a frontal, "
    "well-lit face, at least 30 px wide). Use another photo, crop it around the "
    "face, or pass detect_faces=False to embed the whole image on purpose.":
        "Aucun visage trouvé sur cette photo (le détecteur de visages de face d'OpenCV "
        "demande un visage de face, bien éclairé, d'au moins 30 pixels). Choisissez une "
        "autre photo, recadrez-la autour du visage, ou passez detect_faces=False pour "
        "analyser volontairement toute l'image.",
    "{name!r} is already enrolled; remove(name) first to replace them.":
        "{name!r} est déjà enregistré : choisissez un autre nom, ou retirez-le d'abord "
        "(remove(name)).",
    "name is empty: give the person's name, e.g. register('Grace Hopper', img).":
        "Le nom est vide : donnez le nom de la personne, par exemple "
        "register('Grace Hopper', img).",
    # -- panels (helpers.widgets)
    "Image": "Image",
    "Upload a photo": "Téléverser une photo",
    "Upload your face": "Téléverser votre visage",
    "Explained class": "Classe expliquée",
    "Patch size": "Taille du patch",
    "Stride": "Pas",
    "Samples": "Échantillons",
    "Noise": "Bruit",
    "Layer": "Couche",
    "Transparency α": "Transparence α",
    "Filter no.": "Filtre n°",
    "Ascent steps": "Pas de montée",
    "Mask": "Masque",
    "Blur σ (pixels)": "Flou σ (pixels)",
    "Threshold": "Seuil",
    "Name": "Nom",
    "First Last": "Prénom Nom",
    "Enrol this face": "Enregistrer ce visage",
    "your image": "votre image",
    " (uploaded)": " (téléversée)",
    "computing…": "calcul…",
    "error (see the log)": "erreur (voir le journal)",
    "not computed yet": "pas encore calculé",
    "no result": "pas de résultat",
    "no face found": "aucun visage trouvé",
    "Occlusion": "Occlusion",
    "Saliency": "Saillance",
    "SmoothGrad": "SmoothGrad",
    "Grad-CAM": "Grad-CAM",
    "occlusion": "occlusion",
    "saliency": "saillance",
    "Filters": "Filtres",
    "Anonymisation": "Anonymisation",
    "Identification": "Identification",
    "{method}: {seconds}": "{method} : {seconds}",
    " ({n} positions)": " ({n} positions)",
    "Explained class: {label} (p={p})": "Classe expliquée : {label} (p={p})",
    "image": "image",
    "Grad-CAM {layer} ({height}×{width})": "Grad-CAM {layer} ({height}×{width})",
    "overlay (α = {alpha})": "superposition (α = {alpha})",
    "{name} (overlay)": "{name} (superposée)",
    "{layer}, filter {index} ({steps} steps)": "{layer}, filtre {index} ({steps} pas)",
    "{layer}: {n} filters · picture {size}×{size} · {seconds} s":
        "{layer} : {n} filtres · image {size}×{size} · {seconds} s",
    "mask « {mask} »": "masque « {mask} »",
    "regions: {source}": "zones : {source}",
    "analysed face ({height}×{width})": "visage analysé ({height}×{width})",
    "{n} person(s) enrolled": "{n} personne(s) enregistrée(s)",
    "{n} person(s) enrolled: {names}": "{n} personne(s) enregistrée(s) : {names}",
    "identified: {name} (similarity {similarity}{bound})":
        "identifié : {name} (similarité {similarity}{bound})",
    "rejected (best similarity {similarity}{bound})":
        "rejeté (meilleure similarité {similarity}{bound})",
    " ≥ threshold {threshold}": " ≥ seuil {threshold}",
    " < threshold {threshold}": " < seuil {threshold}",
    "ImageNet class: {label} (p={p}) · original class « {original} »: {before} → {after} "
    "(drop {drop})":
        "Classe ImageNet : {label} (p={p}) · classe d'origine « {original} » : {before} → "
        "{after} (chute {drop})",
    "Recognition: without mask {before} · with mask {after}":
        "Reconnaissance : sans masque {before} · avec masque {after}",
    "class {index}": "classe {index}",
    "Interactive panel not built during automatic grading: nobody sees it, and it would "
    "cost several seconds per submission.":
        "Panneau interactif non construit pendant la notation automatique : personne ne "
        "le voit, et il coûterait plusieurs secondes par copie.",
    # -- images
    "No such image file: {path!r}.": "Aucun fichier image {path!r}.",
    "{path!r} is a directory, not an image file.":
        "{path!r} est un dossier, pas un fichier image.",
    # -- panel errors
    "« {name} » holds no file bytes.": "« {name} » ne contient pas les octets d'un fichier.",
    "The file « {name} » is empty (0 bytes): choose a photo.":
        "Le fichier « {name} » est vide (0 octet) : choisissez une photo.",
    "« {name} » is not a readable image: upload a photo (JPEG, PNG, BMP, TIFF or WebP).":
        "« {name} » n'est pas une image lisible : téléversez une photo (JPEG, PNG, BMP, "
        "TIFF ou WebP).",
    "Upload not understood ({kind}): use the « Upload a photo » button.":
        "Téléversement non reconnu ({kind}) : utilisez le bouton « Téléverser une photo ».",
    "No file uploaded.": "Aucun fichier téléversé.",
    "Upload not understood: every file needs a content.":
        "Téléversement non reconnu : chaque fichier doit avoir un contenu.",
    "No image « {source} »: choose among {keys} or give the path of a file.":
        "Aucune image « {source} » : choisissez parmi {keys} ou donnez le chemin d'un fichier.",
    "No image chosen: call {function}(state, ...) first.":
        "Aucune image choisie : appelez {function}(state, ...) d'abord.",
    "No photo: choose or upload a photo first.":
        "Aucune photo : choisissez ou téléversez une photo d'abord.",
    "No Grad-CAM map yet: call compute_gradcam(state, layer).":
        "Pas encore de carte Grad-CAM : appelez compute_gradcam(state, couche).",
    "No filter picture yet: call compute_filter(state, ...).":
        "Pas encore d'image de filtre : appelez compute_filter(state, ...).",
    "No mask yet: call compute_mask(state, kind).":
        "Pas encore de masque : appelez compute_mask(state, type).",
    "« {name} » is already enrolled: choose another name.":
        "« {name} » est déjà enregistré : choisissez un autre nom.",
    "Give a (non-empty) name before enrolling the face.":
        "Donnez un nom (non vide) avant d'enregistrer le visage.",
    "The face recognizer refused the image: {reason}":
        "La reconnaissance faciale a refusé l'image : {reason}",
}


def language() -> str:
    """The language shown: ``XAI_COURSE_LANG`` (``fr`` by default, or ``en``), read by
    ``helpers.config``."""
    return settings().language


def tr(template: str, **fields) -> str:
    """``template`` in the current language, its ``{fields}`` filled in.

    Args:
        template: the English text, the key of the catalogue (unknown ones stay English).
        **fields: values of the template's fields; numbers are formatted by the caller
            (:func:`number`), so that a field is text in both languages.

    Returns:
        The text to show.
    """
    text = FR.get(template, template) if language() == "fr" else template
    return text.format(**fields) if fields else text


def label(value: object) -> str:
    """A word shown as is (a column, a status, a boolean) in the current language."""
    text = str(value)
    return FR.get(text, text) if language() == "fr" else text


def number(value: float, fmt: str = ".3f") -> str:
    """``value`` formatted with ``fmt`` as the language writes numbers.

    French: decimal comma and a narrow no-break space between thousands
    (``number(4224, ",d")`` → ``"4 224"``, ``number(0.2054)`` → ``"0,205"``).

    Args:
        value: the number.
        fmt: a ``format`` specification; ``","`` in it asks for thousands separators.

    Returns:
        The number as text.
    """
    text = format(value, fmt)
    if language() != "fr":
        return text
    return text.replace(",", "\u202f").replace(".", ",")


def fields(template: str) -> set[str]:
    """Names of the ``{fields}`` of a template (for the catalogue's consistency test)."""
    return {name.split("!")[0].split(":")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}
