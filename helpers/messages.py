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
message by its class (``Panel.user_error``), never by parsing its English text.
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
    "IoU of the top {percent} %": "IoU des {percent} % les plus forts",
    "deletion AUC": "AUC suppression",
    "insertion AUC": "AUC insertion",
    "format": "format",
    "size (MB)": "taille (Mio)",
    "SavedModel (float32)": "SavedModel (float32)",
    "TF Lite float32": "TF Lite float32",
    "TF Lite int8 weights": "TF Lite, poids int8",
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
        "médiane de {runs} passes après {warmup} appel(s) d'échauffement)",
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
    "Patch size": "Côté du carré",
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
    # -- argument checks (helpers._checks)
    "{name} must be an image array (H×W×3); got {kind}. "
    "Load a file first with helpers.load_image(path).":
        "{name} doit être un tableau image (H×W×3) ; reçu : {kind}. "
        "Chargez d'abord le fichier avec helpers.load_image(chemin).",
    "{name} is 2-D {shape}: a grayscale image has no colour axis. "
    "Use helpers.load_image(...) (it converts grayscale to RGB) or np.stack([img]*3, -1).":
        "{name} est en 2-D {shape} : une image en niveaux de gris n'a pas d'axe de couleur. "
        "Utilisez helpers.load_image(...) (qui la convertit en RGB) ou np.stack([img]*3, -1).",
    "{name} must have shape (H, W, 3); got {shape}.":
        "{name} doit avoir la forme (H, W, 3) ; reçu : {shape}.",
    "{name} is empty: shape {shape}.": "{name} est vide : forme {shape}.",
    "{name} must hold numbers; got dtype {dtype}.":
        "{name} doit contenir des nombres ; type reçu : {dtype}.",
    "{name} contains NaN or infinite pixels: clean the image first.":
        "{name} contient des pixels NaN ou infinis : nettoyez d'abord l'image.",
    "{name} must be an array, not a path: use helpers.load_image(path) first.":
        "{name} doit être un tableau, pas un chemin : utilisez d'abord "
        "helpers.load_image(chemin).",
    "{name} must have shape (1, H, W, C) or (H, W, C); got {shape}.":
        "{name} doit avoir la forme (1, H, W, C) ou (H, W, C) ; reçu : {shape}.",
    "{name} must hold a single image; got a batch of {n}.":
        "{name} doit contenir une seule image ; reçu : un lot de {n}.",
    "{name} contains NaN or infinite values.": "{name} contient des valeurs NaN ou infinies.",
    "{name} must be an integer; got {value!r}.": "{name} doit être un entier ; reçu : {value!r}.",
    "{name} must be > 0; got {value}.": "{name} doit être > 0 ; reçu : {value}.",
    "{name} must be a number; got {value!r}.": "{name} doit être un nombre ; reçu : {value!r}.",
    "{name} must be a finite number >= 0; got {value}.":
        "{name} doit être un nombre fini >= 0 ; reçu : {value}.",
    "{name} must be a number in [0, 1]; got {value!r}.":
        "{name} doit être un nombre dans [0, 1] ; reçu : {value!r}.",
    "{name} must be in [0, 1]; got {value}.": "{name} doit être dans [0, 1] ; reçu : {value}.",
    "{name} must be an integer index; got {value!r}.":
        "{name} doit être un indice entier ; reçu : {value!r}.",
    "{name}={value} is out of range: layer {layer!r} has {n} filters (0 to {last}).":
        "{name}={value} est hors limites : la couche {layer!r} a {n} filtres (de 0 à {last}).",
    "{name}={value} is out of range: the model has {n} classes (0 to {last}).":
        "{name}={value} est hors limites : le modèle a {n} classes (de 0 à {last}).",
    "{name} must be a 2-D map (H, W); got shape {shape}.":
        "{name} doit être une carte 2-D (H, W) ; forme reçue : {shape}.",
    "{name} is empty.": "{name} est vide.",
    # -- images
    "{name} is {height}×{width} but the model takes {size_h}×{size_w} images: resize it, "
    "e.g. helpers.load_image(photo, size=({size_h}, {size_w})), or pass the file's path.":
        "{name} fait {height}×{width} mais le modèle prend des images {size_h}×{size_w} : "
        "redimensionnez-la, par exemple helpers.load_image(photo, size=({size_h}, {size_w})), "
        "ou passez le chemin du fichier.",
    "No bundled photo named {name!r}; choose one of {choices}.":
        "Aucune photo fournie nommée {name!r} : choisissez parmi {choices}.",
    "path must be a str or Path; got {kind}.":
        "path doit être un str ou un Path ; reçu : {kind}.",
    "to_rgb_uint8 takes an array; use read_image(path) for a file.":
        "to_rgb_uint8 prend un tableau ; pour un fichier, utilisez read_image(chemin).",
    "An image must hold numbers; got dtype {dtype}.":
        "Une image doit contenir des nombres ; type reçu : {dtype}.",
    "An image must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); got shape {shape}.":
        "Une image doit être (H, W), (H, W, 1), (H, W, 3) ou (H, W, 4) ; forme reçue : "
        "{shape}.",
    "The image is empty: shape {shape}.": "L'image est vide : forme {shape}.",
    "The image contains NaN or infinite pixels.":
        "L'image contient des pixels NaN ou infinis.",
    "size must be (height, width) or None; got {value!r}.":
        "size doit être (hauteur, largeur) ou None ; reçu : {value!r}.",
    "size must be positive; got {value!r}.": "size doit être positif ; reçu : {value!r}.",
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
    # -- occlusion
    "The patch ({patch}×{patch}) must be smaller than the image ({height}×{width}): "
    "choose a smaller patch size.":
        "Le patch ({patch}×{patch}) doit être plus petit que l'image ({height}×{width}) : "
        "choisissez une taille de patch plus petite.",
    "{model} cannot be occluded incrementally (its first layers are not a "
    "plain chain, or the preprocessing mixes pixels or is not TensorFlow): use "
    "incremental=None.":
        "{model} ne peut pas être occulté de façon incrémentale (ses premières couches ne "
        "forment pas une simple chaîne, ou le prétraitement mélange les pixels ou n'est pas "
        "écrit en TensorFlow) : utilisez incremental=None.",
    # -- filters
    "channels must be one of {choices}; got {value!r}.":
        "channels doit valoir l'une des options {choices} ; reçu : {value!r}.",
    "filter_index is empty: give at least one filter index.":
        "filter_index est vide : donnez au moins un indice de filtre.",
    "steps must be an integer >= 0; got {value!r}.":
        "steps doit être un entier >= 0 ; reçu : {value!r}.",
    "pictures must be (k >= 2, H, W, 3); got shape {shape}.":
        "pictures doit avoir la forme (k >= 2, H, W, 3) ; forme reçue : {shape}.",
    # -- models
    "Unknown model name {name!r}; choose one of {choices}.":
        "Nom de modèle inconnu {name!r} : choisissez parmi {choices}.",
    "model must be a name, a Keras model, a callable or None; got {value!r}.":
        "model doit être un nom, un modèle Keras, une fonction ou None ; reçu : {value!r}.",
    "Unknown model {name!r}; choose one of {choices}.":
        "Modèle inconnu {name!r} : choisissez parmi {choices}.",
    "weights must be 'imagenet', 'random' or a path; got {value!r}.":
        "weights doit valoir 'imagenet', 'random' ou un chemin ; reçu : {value!r}.",
    "Could not get the ImageNet weights of {name} ({kind}: {error}).\n"
    "Without internet, set XAI_COURSE_WEIGHTS=random (seeded random weights) "
    "or pass weights='/path/to/file.h5'. With internet, check that KERAS_HOME "
    "(default ~/.keras) is writable.":
        "Impossible d'obtenir les poids ImageNet de {name} ({kind} : {error}).\n"
        "Sans internet, définissez XAI_COURSE_WEIGHTS=random (poids aléatoires, graine "
        "fixée) ou passez weights='/chemin/vers/fichier.h5'. Avec internet, vérifiez que "
        "KERAS_HOME (par défaut ~/.keras) est accessible en écriture.",
    "weights={value!r} is neither 'imagenet', 'random' nor an existing file.":
        "weights={value!r} n'est ni 'imagenet', ni 'random', ni un fichier existant.",
    "layer_name must be a string; got {value!r}.":
        "layer_name doit être une chaîne de caractères ; reçu : {value!r}.",
    " Did you mean {close}?": " Vouliez-vous dire {close} ?",
    "{model} has no layer named {layer!r}.{hint} Its convolution layers are: {convs}.":
        "{model} n'a pas de couche nommée {layer!r}.{hint} Ses couches de convolution "
        "sont : {convs}.",
    "Layer {layer!r} has output shape {shape}: it is not spatial (needs (batch, h, w, "
    "channels)). Use a convolution layer, e.g. {examples}.":
        "La couche {layer!r} a une sortie de forme {shape} : elle n'est pas spatiale (il "
        "faut (batch, h, w, canaux)). Utilisez une couche de convolution, par exemple "
        "{examples}.",
    "{model} is not a plain chain of layers ({layer!r} cannot be re-applied "
    "alone): build the model with input_shape=(None, None, 3) instead.":
        "{model} n'est pas une simple chaîne de couches ({layer!r} ne peut pas être "
        "réappliquée seule) : construisez plutôt le modèle avec "
        "input_shape=(None, None, 3).",
    "score='logit' needs a Keras model with layers; got {kind}.":
        "score='logit' demande un modèle Keras avec des couches ; reçu : {kind}.",
    "{model}'s last layer {layer!r} ({kind}, activation {activation}) is not understood: "
    "score='logit' needs a last Dense layer with a softmax/sigmoid activation, a "
    "Softmax/Activation layer, or a linear output.":
        "La dernière couche de {model}, {layer!r} ({kind}, activation {activation}), n'est "
        "pas reconnue : score='logit' demande une dernière couche Dense avec une activation "
        "softmax/sigmoid, une couche Softmax/Activation, ou une sortie linéaire.",
    "decode_predictions expects ImageNet predictions of shape (n, 1000); got {shape}.":
        "decode_predictions attend des prédictions ImageNet de forme (n, 1000) ; "
        "reçu : {shape}.",
    # -- metrics
    "baseline must be a number, 'blur' or an image; got {value!r}.":
        "baseline doit être un nombre, 'blur' ou une image ; reçu : {value!r}.",
    "blur_sigma must be > 0 for baseline='blur'.":
        "blur_sigma doit être > 0 avec baseline='blur'.",
    "baseline must be finite; got {value}.": "baseline doit être fini ; reçu : {value}.",
    "baseline image has shape {shape}; the image has {image_shape}.":
        "l'image baseline a la forme {shape} ; l'image a la forme {image_shape}.",
    "The model must output (batch, classes) scores; got shape {shape}.":
        "Le modèle doit sortir des scores (batch, classes) ; forme reçue : {shape}.",
    "fractions and scores must be 1-D of the same length; got {a} and {b}.":
        "fractions et scores doivent être en 1-D et de même longueur ; reçu : {a} et {b}.",
    "auc needs at least 2 points.": "auc demande au moins 2 points.",
    "fractions and scores must be finite.": "fractions et scores doivent être finis.",
    "fractions must be increasing.": "fractions doit être croissant.",
    "{name: 2-D map}": "{nom: carte 2-D}",
    "maps must be a non-empty dict {example}.":
        "maps doit être un dict non vide {example}.",
    "k must be > 0 (a fraction of the pixels, e.g. 0.1).":
        "k doit être > 0 (une fraction des pixels, par exemple 0.1).",
    "maps must be a dict {example} with at least two maps.":
        "maps doit être un dict {example} d'au moins deux cartes.",
    # -- _graph
    "{method} differentiates through preprocess=, so it must be written with "
    "TensorFlow operations (e.g. lambda x: tf.cast(x, tf.float32) / 255); this one "
    "cannot run in a TensorFlow graph (NumPy?). Or preprocess the image yourself and "
    "leave preprocess=None.":
        "{method} dérive à travers preprocess=, qui doit donc être écrit avec des "
        "opérations TensorFlow (par exemple lambda x: tf.cast(x, tf.float32) / 255) ; "
        "celui-ci ne peut pas s'exécuter dans un graphe TensorFlow (NumPy ?). Sinon, "
        "prétraitez l'image vous-même et laissez preprocess=None.",
    # -- targets
    "score must be 'probability' (the model's output) or 'logit' "
    "(the score before the last softmax); got {value!r}.":
        "score doit valoir 'probability' (la sortie du modèle) ou 'logit' (le score avant "
        "le dernier softmax) ; reçu : {value!r}.",
    "reference must be a non-zero, finite embedding (e.g. "
    "recognizer.enrolled_embedding(name)).":
        "reference doit être un embedding non nul et fini (par exemple "
        "recognizer.enrolled_embedding(nom)).",
    "{model} gives {size} values per image but the reference embedding has "
    "{reference}: explain a similarity with the extractor that made the "
    "reference (e.g. helpers.embedding_model(vgg)).":
        "{model} donne {size} valeurs par image mais l'embedding de référence en a "
        "{reference} : expliquez une similarité avec l'extracteur qui a produit la "
        "référence (par exemple helpers.embedding_model(vgg)).",
    "target must be a helpers.ClassScore or helpers.Similarity; got {value!r}.":
        "target doit être un helpers.ClassScore ou un helpers.Similarity ; reçu : {value!r}.",
    "give target= or {name}, not both.":
        "donnez target= ou {name}, pas les deux.",
    "give target= or score=, not both (ClassScore(index, score=...) holds both).":
        "donnez target= ou score=, pas les deux (ClassScore(index, score=...) contient "
        "les deux).",
    # -- faces
    "This OpenCV ({version}) has no Haar cascades (cv2.CascadeClassifier / "
    "cv2.data were removed in OpenCV 5). Install OpenCV 4: "
    "pip install 'opencv-python-headless>=4.8,<5'.":
        "Cet OpenCV ({version}) n'a pas de cascades de Haar (cv2.CascadeClassifier et "
        "cv2.data ont disparu dans OpenCV 5). Installez OpenCV 4 : "
        "pip install 'opencv-python-headless>=4.8,<5'.",
    "OpenCV's face cascade {path!r} is missing. Reinstall OpenCV 4 with its data: "
    "pip install --force-reinstall 'opencv-python-headless>=4.8,<5'.":
        "La cascade de visages d'OpenCV {path!r} est absente. Réinstallez OpenCV 4 avec ses "
        "données : pip install --force-reinstall 'opencv-python-headless>=4.8,<5'.",
    "OpenCV could not load the face cascade {path!r} (corrupt file?). Reinstall "
    "OpenCV 4: pip install --force-reinstall 'opencv-python-headless>=4.8,<5'.":
        "OpenCV n'a pas pu charger la cascade de visages {path!r} (fichier corrompu ?). "
        "Réinstallez OpenCV 4 : pip install --force-reinstall "
        "'opencv-python-headless>=4.8,<5'.",
    "scale_factor must be a number > 1 (e.g. 1.1); got {value!r}.":
        "scale_factor doit être un nombre > 1 (par exemple 1.1) ; reçu : {value!r}.",
    "No region {name!r}; the regions are {names}.":
        "Aucune région {name!r} ; les régions sont {names}.",
    "shape must be (height, width) or an image shape; got {value!r}.":
        "shape doit être (hauteur, largeur) ou la forme d'une image ; reçu : {value!r}.",
    "shape must be (height, width[, channels]) with positive sizes; got {value!r}.":
        "shape doit être (hauteur, largeur[, canaux]) avec des tailles positives ; "
        "reçu : {value!r}.",
    "face_box must be (x, y, w, h); got {value!r}.":
        "face_box doit être (x, y, w, h) ; reçu : {value!r}.",
    "face_box must be (x, y, w, h) — 4 numbers; got {value!r}.":
        "face_box doit être (x, y, w, h), soit 4 nombres ; reçu : {value!r}.",
    "face_box must hold numbers (x, y, w, h); got {value!r}.":
        "face_box doit contenir des nombres (x, y, w, h) ; reçu : {value!r}.",
    "face_box width and height must be > 0; got {value!r}.":
        "la largeur et la hauteur de face_box doivent être > 0 ; reçu : {value!r}.",
    "face_box {box!r} lies outside the image ({height}×{width}): was it found "
    "on a different image size? Detect the face on the image you analyse.":
        "face_box {box!r} est en dehors de l'image ({height}×{width}) : a-t-il été trouvé "
        "sur une image d'une autre taille ? Détectez le visage sur l'image que vous "
        "analysez.",
    "shape {shape} differs from the regions' image shape {regions_shape}.":
        "shape {shape} diffère de la forme de l'image des régions, {regions_shape}.",
    "Plain dict regions need shape=(height, width) of the image they refer to "
    "(or use helpers.faces.regions_for / face_regions / image_regions).":
        "Des régions données en simple dict demandent shape=(hauteur, largeur) de l'image "
        "à laquelle elles se rapportent (ou utilisez helpers.faces.regions_for / "
        "face_regions / image_regions).",
    "{name: (y1, y2, x1, x2)}": "{nom: (y1, y2, x1, x2)}",
    "regions must be a Regions or a dict {example}; got {kind}.":
        "regions doit être un Regions ou un dict {example} ; reçu : {kind}.",
    "regions is empty: give at least one region.":
        "regions est vide : donnez au moins une région.",
    "region {name!r} must be a box (y1, y2, x1, x2); got {box!r}.":
        "la région {name!r} doit être une boîte (y1, y2, x1, x2) ; reçu : {box!r}.",
    "region {name!r} must be 4 integers (y1, y2, x1, x2) in pixels; got {box!r}.":
        "la région {name!r} doit être 4 entiers (y1, y2, x1, x2) en pixels ; reçu : {box!r}.",
    "region {name!r} = {box!r} is not a box inside the {height}×{width} image: "
    "need 0 <= y1 <= y2 <= {height} and 0 <= x1 <= x2 <= {width}.":
        "la région {name!r} = {box!r} n'est pas une boîte à l'intérieur de l'image "
        "{height}×{width} : il faut 0 <= y1 <= y2 <= {height} et 0 <= x1 <= x2 <= {width}.",
    "heatmap_or_maps is an empty dict: give at least one map.":
        "heatmap_or_maps est un dict vide : donnez au moins une carte.",
    "map {name!r}": "carte {name!r}",
    "stat must be 'mean' or 'max'; got {value!r}.":
        "stat doit valoir 'mean' ou 'max' ; reçu : {value!r}.",
    "Every region is empty: the regions do not overlap the image.":
        "Toutes les régions sont vides : elles ne recouvrent pas l'image.",
    # -- anonymisation
    "Unknown mask_type {value!r}; choose one of {choices}.":
        "mask_type inconnu {value!r} : choisissez parmi {choices}.",
    "The face regions are all empty: the face box is outside the image.":
        "Les régions du visage sont toutes vides : la boîte du visage est en dehors de "
        "l'image.",
    "regions must be a helpers.faces.Regions (from regions_for, face_regions...).":
        "regions doit être un helpers.faces.Regions (donné par regions_for, "
        "face_regions...).",
    "regions must be a helpers.faces.Regions (from mask_regions or regions_for).":
        "regions doit être un helpers.faces.Regions (donné par mask_regions ou "
        "regions_for).",
    "regions were made for a {height}×{width} image but img is "
    "{img_height}×{img_width}: compute them on this image.":
        "regions a été calculé pour une image {height}×{width} mais img fait "
        "{img_height}×{img_width} : calculez les régions sur cette image.",
    "blur_sigma must be > 0 (a standard deviation in pixels, e.g. 8).":
        "blur_sigma doit être > 0 (un écart-type en pixels, par exemple 8).",
    "recognizer must have an identify(img) method (helpers.FaceRecognizer).":
        "recognizer doit avoir une méthode identify(img) (helpers.FaceRecognizer).",
    "The model must output one probability vector per image, shape (n, classes); "
    "got {shape}.":
        "Le modèle doit sortir un vecteur de probabilités par image, de forme "
        "(n, classes) ; reçu : {shape}.",
    # -- production
    "{model} must have a single input; its inputs are {inputs}.":
        "{model} doit avoir une seule entrée ; ses entrées sont {inputs}.",
    "{model} has input shape {shape}: TF Lite and the measurements need a fixed "
    "size. Export a model with a fixed input, e.g. "
    "helpers.recognizer.embedding_model(vgg16) (224×224).":
        "{model} a une entrée de forme {shape} : TF Lite et les mesures demandent une "
        "taille fixe. Exportez un modèle à entrée fixe, par exemple "
        "helpers.recognizer.embedding_model(vgg16) (224×224).",
    "model must be a Keras model; got {kind}.":
        "model doit être un modèle Keras ; reçu : {kind}.",
    "path must be a folder path; got {kind}.":
        "path doit être le chemin d'un dossier ; reçu : {kind}.",
    "{path!r} already exists. Choose a new folder (overwrite=True only replaces "
    "a SavedModel folder).":
        "{path!r} existe déjà. Choisissez un nouveau dossier (overwrite=True ne remplace "
        "qu'un dossier SavedModel).",
    "{path!r} already exists. Choose a new folder, or pass overwrite=True to "
    "replace a SavedModel.":
        "{path!r} existe déjà. Choisissez un nouveau dossier, ou passez overwrite=True "
        "pour remplacer un SavedModel.",
    "source must be a SavedModel folder or a Keras model; got {kind}.":
        "source doit être un dossier SavedModel ou un modèle Keras ; reçu : {kind}.",
    "{path!r} is not a SavedModel folder (no saved_model.pb): create one with "
    "helpers.production.export_saved_model(model, path).":
        "{path!r} n'est pas un dossier SavedModel (pas de saved_model.pb) : créez-en un "
        "avec helpers.production.export_saved_model(model, chemin).",
    "path must be a file path; got {kind}.":
        "path doit être le chemin d'un fichier ; reçu : {kind}.",
    "{path!r} is a folder; give a file name like 'model.tflite'.":
        "{path!r} est un dossier ; donnez un nom de fichier comme 'model.tflite'.",
    "TF Lite conversion of {path!r} failed:\n{log}":
        "La conversion TF Lite de {path!r} a échoué :\n{log}",
    "No TF Lite file {path!r}: create it with helpers.production.convert_tflite(...).":
        "Aucun fichier TF Lite {path!r} : créez-le avec "
        "helpers.production.convert_tflite(...).",
    "The TF Lite model takes batches of shape (n, {dims}); got {shape}. Pass the "
    "preprocessed batch (helpers.load_image gives it).":
        "Le modèle TF Lite prend des lots de forme (n, {dims}) ; reçu : {shape}. Passez le "
        "lot prétraité (helpers.load_image le donne).",
    "warmup must be an integer >= 0; got {value!r}.":
        "warmup doit être un entier >= 0 ; reçu : {value!r}.",
    "image_batch must have shape (n, {dims}) for {model}; got {shape}. Pass the "
    "preprocessed batch (helpers.load_image).":
        "image_batch doit avoir la forme (n, {dims}) pour {model} ; reçu : {shape}. Passez "
        "le lot prétraité (helpers.load_image).",
    "image_batch is empty or holds NaN/infinite values.":
        "image_batch est vide ou contient des valeurs NaN ou infinies.",
    # -- face_store
    "{path!r} already exists: generate_key never overwrites a key file.":
        "{path!r} existe déjà : generate_key n'écrase jamais un fichier de clé.",
    "This store holds {dim}-dim embeddings of {model!r}; got a {got_dim}-dim "
    "embedding of {got_model!r}. Embeddings of different extractors cannot be "
    "compared: use a new store.":
        "Ce stockage contient des embeddings de dimension {dim} de {model!r} ; reçu : un "
        "embedding de dimension {got_dim} de {got_model!r}. Les embeddings de deux "
        "extracteurs différents ne se comparent pas : utilisez un nouveau stockage.",
    "{name!r} is not enrolled; enrolled: {names}.":
        "{name!r} n'est pas enregistré ; personnes enregistrées : {names}.",
    "store must be a file path (str or Path); got {kind}.":
        "store doit être le chemin d'un fichier (str ou Path) ; reçu : {kind}.",
    "store={path!r} is a directory; give a file name like 'faces.db'.":
        "store={path!r} est un dossier ; donnez un nom de fichier comme 'faces.db'.",
    "The folder of store={path!r} does not exist.":
        "Le dossier de store={path!r} n'existe pas.",
    "{path!r} is not a face database (SQLite says: {error}). Give another file "
    "name, or delete the file if it is yours and disposable.":
        "{path!r} n'est pas une base de visages (SQLite dit : {error}). Donnez un autre "
        "nom de fichier, ou supprimez le fichier s'il est à vous et jetable.",
    "{path!r} is an SQLite database but not a face store (tables {tables}). Use a "
    "new file for the recognizer.":
        "{path!r} est une base SQLite mais pas une base de visages (tables {tables}). "
        "Utilisez un nouveau fichier pour la reconnaissance.",
    "{path!r} is damaged ({error}).": "{path!r} est endommagé ({error}).",
    "{path!r} has an unknown face-store schema (version {version!r}, columns "
    "{columns}). Use a new file.":
        "{path!r} a un schéma de base de visages inconnu (version {version!r}, colonnes "
        "{columns}). Utilisez un nouveau fichier.",
    "the key check": "le contrôle de la clé",
    "the embedding of {name!r}": "l'embedding de {name!r}",
    "wrong key for the face database {path!r}: {what} cannot be decrypted (or the "
    "file was tampered with). Use the key it was created with.":
        "mauvaise clé pour la base de visages {path!r} : {what} ne peut pas être déchiffré "
        "(ou le fichier a été modifié). Utilisez la clé avec laquelle elle a été créée.",
    "The face database {path!r} is closed.": "La base de visages {path!r} est fermée.",
    "{path!r} holds {dim}-dim embeddings of {model!r}; got a {got_dim}-dim "
    "embedding of {got_model!r}. Embeddings of different extractors cannot be "
    "compared: use another database file.":
        "{path!r} contient des embeddings de dimension {dim} de {model!r} ; reçu : un "
        "embedding de dimension {got_dim} de {got_model!r}. Les embeddings de deux "
        "extracteurs différents ne se comparent pas : utilisez un autre fichier de base.",
    "The embedding of {name!r} in {path!r} has {size} values instead of "
    "{dim}: the database is damaged.":
        "L'embedding de {name!r} dans {path!r} a {size} valeurs au lieu de {dim} : la base "
        "est endommagée.",
    "The face database {path!r} is encrypted and no key was given: pass "
    "key=<bytes or key-file path> or set the environment variable {variable}. "
    "Create a key once with helpers.generate_key() and keep it safe.":
        "La base de visages {path!r} est chiffrée et aucune clé n'a été donnée : passez "
        "key=<octets ou chemin du fichier de clé> ou définissez la variable d'environnement "
        "{variable}. Créez une clé une fois avec helpers.generate_key() et gardez-la en "
        "lieu sûr.",
    " (it looks like a key itself: pass it as bytes, key.encode())":
        " (cela ressemble à une clé : passez-la en octets, key.encode())",
    "Key file {path!r} not found{hint}.": "Fichier de clé {path!r} introuvable{hint}.",
    "The key file {path!r} is in the same folder as the database: a key "
    "stored beside the data it protects protects nothing. Move it elsewhere.":
        "Le fichier de clé {path!r} est dans le même dossier que la base : une clé rangée à "
        "côté des données qu'elle protège ne protège rien. Déplacez-la ailleurs.",
    "key file {path!r}": "le fichier de clé {path!r}",
    "key must be bytes, a key-file path or None; got {kind}.":
        "key doit être des octets, le chemin d'un fichier de clé ou None ; reçu : {kind}.",
    "{origin} is not a Fernet key (44 url-safe base64 characters); create one with "
    "helpers.generate_key().":
        "{origin} n'est pas une clé Fernet (44 caractères base64 url-safe) ; créez-en une "
        "avec helpers.generate_key().",
    # -- recognizer
    "embedding_model needs a Keras model (helpers.load_model('vgg16')); got {kind}.":
        "embedding_model demande un modèle Keras (helpers.load_model('vgg16')) ; "
        "reçu : {kind}.",
    "{model} has no layer {layer!r}: embedding_model expects the VGG16 classifier from "
    "helpers.load_model('vgg16') (its last pooling layer is 'block5_pool').":
        "{model} n'a pas de couche {layer!r} : embedding_model attend le classifieur VGG16 "
        "de helpers.load_model('vgg16') (sa dernière couche de pooling est 'block5_pool').",
    "extractor must be a Keras model giving embeddings, e.g. "
    "helpers.recognizer.embedding_model(helpers.load_model('vgg16')); got {kind}.":
        "extractor doit être un modèle Keras qui donne des embeddings, par exemple "
        "helpers.recognizer.embedding_model(helpers.load_model('vgg16')) ; reçu : {kind}.",
    "{name!r} is a classifier (it ends with 'predictions'): its output is "
    "1000 class probabilities, not a face embedding. Use "
    "helpers.recognizer.embedding_model(model) (block5_pool, 25 088 dims).":
        "{name!r} est un classifieur (il se termine par 'predictions') : sa sortie est "
        "1000 probabilités de classes, pas un embedding de visage. Utilisez "
        "helpers.recognizer.embedding_model(model) (block5_pool, 25 088 dimensions).",
    "preprocess must be a function, a model name or None; got {value!r}.":
        "preprocess doit être une fonction, un nom de modèle ou None ; reçu : {value!r}.",
    "detect_faces must be True, False or a function; got {value!r}.":
        "detect_faces doit valoir True, False ou une fonction ; reçu : {value!r}.",
    "extractor must take image batches (n, H, W, 3); its input is {shape}.":
        "extractor doit prendre des lots d'images (n, H, W, 3) ; son entrée est {shape}.",
    "key= only applies to a database store (store='faces.db').":
        "key= ne s'applique qu'à une base de données (store='faces.db').",
    "key= is for a database path; this store object is already open.":
        "key= accompagne le chemin d'une base ; cet objet de stockage est déjà ouvert.",
    "store must be None, a database path or a store object (with add, "
    "remove, names, load and close: see helpers.face_store.Store); "
    "got {value!r}.":
        "store doit être None, le chemin d'une base ou un objet de stockage (avec add, "
        "remove, names, load et close : voir helpers.face_store.Store) ; reçu : {value!r}.",
    "The extractor {name!r} returned an all-zero (or non-finite) embedding for this "
    "image: cosine similarity is undefined. Check the image and the preprocessing.":
        "L'extracteur {name!r} a renvoyé un embedding entièrement nul (ou non fini) pour "
        "cette image : la similarité cosinus n'est pas définie. Vérifiez l'image et le "
        "prétraitement.",
    "The store holds {dim}-dim embeddings but {name!r} gives {got_dim} dims: they "
    "come from different extractors.":
        "Le stockage contient des embeddings de dimension {dim} mais {name!r} en donne "
        "{got_dim} : ils viennent d'extracteurs différents.",
    "name must be a string; got {kind}.":
        "name doit être une chaîne de caractères ; reçu : {kind}.",
    "The face box {box} lies outside the image of shape {shape}.":
        "La boîte du visage {box} est en dehors de l'image de forme {shape}.",
    # -- panels' argument errors (helpers.widgets)
    "{model} has no convolution layer: Grad-CAM and filter pictures "
    "need a CNN (e.g. helpers.load_model('vgg16')).":
        "{model} n'a pas de couche de convolution : Grad-CAM et les images de filtres "
        "demandent un CNN (par exemple helpers.load_model('vgg16')).",
    "{model} has no convolution layer {layer!r}; its convolution "
    "layers are: {names}.":
        "{model} n'a pas de couche de convolution {layer!r} ; ses couches de convolution "
        "sont : {names}.",
    "occlusion must be one of {choices}; got {value!r}.":
        "occlusion doit valoir l'une des options {choices} ; reçu : {value!r}.",
    "Unknown method {value!r}; choose among {choices}.":
        "Méthode inconnue {value!r} : choisissez parmi {choices}.",
    "Unknown methods {values}; choose among {choices}.":
        "Méthodes inconnues {values} : choisissez parmi {choices}.",
    "recognizer must be a helpers.FaceRecognizer (identify and register).":
        "recognizer doit être un helpers.FaceRecognizer (avec identify et register).",
}


def language() -> str:
    """The language shown: ``XAI_COURSE_LANG`` (``fr`` by default, or ``en``), read by
    ``helpers.config``.

    Returns:
        ``"fr"`` or ``"en"``.
    """
    return settings().language


def tr(template: str, **fields: object) -> str:
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
    """A word shown as is (a column, a status, a boolean) in the current language.

    Args:
        value: the word (any value; ``str(value)`` is the catalogue's key).

    Returns:
        The word in the current language (unknown ones stay as they are).
    """
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
    """Names of the ``{fields}`` of a template (for the catalogue's consistency test).

    Args:
        template: a text with ``str.format`` fields.

    Returns:
        The fields' names, without conversion (``!r``) or format (``:.3f``) parts.
    """
    return {name.split("!")[0].split(":")[0]
            for _, name, _, _ in string.Formatter().parse(template) if name}
