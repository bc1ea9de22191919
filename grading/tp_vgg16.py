"""The TP VGG16's independent correction (``course.verify``): the cases of every test cell.

Instructor side only: never released, not in the package, absent from the sandbox. The
visible cases are the ones the notebook's test cells run; the hidden ones add inputs.
Known-answer models (``helpers.testing``): the red-square detector, a seeded small CNN
whose gradients vary across positions and channels (Grad-CAM's axes), the red/green and
brightness models (occlusion's grey patch and averaging), the mean-colour extractor (the
recognizer's cosines are known in closed form).

``CLAUSES`` (at the end) maps each requirement of the three statements to the test cell
that decides it and to a mistake that violates it; ``tests/test_grading.py`` hands each
mistake in and checks that its cell loses its points. The imports graded cells may use
are the notebook's own import cell (``course.verify.notebook_prelude``).
"""

import numpy as np

import helpers.gradcam
import helpers.occlusion
import helpers.recognizer
from course.verify import (Case, Check, Clause, call, image_file, model, preprocessing, same_as_reference, same_at,
                           same_results, var)
from helpers.testing import colour_image, probe_image, red_green_image, red_square_image, square_mask

GRADED = ["make_gradcam_heatmap", "occlusion_sensitivity", "FaceRecognizer"]


def _gradcam(img_array, model, layer_name, pred_index=None):
    return helpers.gradcam.make_gradcam_heatmap(img_array, model, layer_name, pred_index)


def _occlusion(img, model, patch=25, stride=14):
    return helpers.occlusion.occlusion_sensitivity(img, model, patch, stride, progress=False)


def _recognizer(extractor, threshold=0.5, preprocess=None):
    return helpers.recognizer.FaceRecognizer(extractor, threshold, preprocess=preprocess or (lambda x: x),
                                             detect_faces=False)


REFERENCE = {"make_gradcam_heatmap": _gradcam, "occlusion_sensitivity": _occlusion,
             "FaceRecognizer": _recognizer}

# ------------------------------------------------------------------------------ Grad-CAM
RED = model("red_square_model", size=32)
PROBE = model("gradcam_probe_model")
POOLED = model("gradcam_probe_model", pool=True)   # conv2 is 6×6 for a 12×12 image
X_RED = red_square_image(32)[None].astype(np.float32)
X_PROBE = probe_image()


def gradcam(x, mdl, layer, *pred_index):
    return [call("make_gradcam_heatmap", x, mdl, layer, *pred_index)]


def gradcam_shape(shape):
    def judge(got, ref):
        out = np.asarray(got["out"])
        if out.shape != shape:
            return f"forme {out.shape} au lieu de {shape}"
        if out.dtype.kind != "f" or not np.all(np.isfinite(out)):
            return "la carte doit contenir des flottants finis"
        if out.min() < -1e-6 or abs(out.max() - 1) > 1e-3:
            return "carte normalisée par son maximum attendue (valeurs dans [0, 1], maximum 1)"
        return None
    return judge


def lights_square(got, ref):
    out = np.asarray(got["out"], dtype=float)
    mask = square_mask(32)
    if out.shape != mask.shape or not np.all(np.isfinite(out)):
        return "carte de forme inattendue ou non finie"
    if out[mask].min() < 0.99 or np.abs(out[~mask]).max() > 1e-3:
        return "la carte doit valoir 1 sur le carré et 0 ailleurs"
    return None


def all_zero(got, ref):
    out = np.asarray(got["out"], dtype=float)
    if not np.all(np.isfinite(out)) or not np.allclose(out, 0, atol=1e-3):
        return "carte non nulle : les contributions négatives doivent être coupées (ReLU)"
    return None


GRADCAM_ATOL = 1e-3

GRADCAM_CHECKS = [
    Check("test_gradcam_forme", [
        Case("forme (32, 32), maximum 1, entrée non modifiée", gradcam(X_RED, RED, "detector"),
             gradcam_shape((32, 32)), inputs_unchanged=True),
        Case("image non carrée", gradcam(red_square_image((24, 40), 4, 25, 6)[None].astype(np.float32),
                                               model("red_square_model", size=(24, 40)), "detector"),
             gradcam_shape((24, 40)), hidden=True, inputs_unchanged=True),
        Case("couche deux fois plus petite que l'image : carte (6, 6)", gradcam(X_PROBE, POOLED, "conv2", 0),
             gradcam_shape((6, 6)), hidden=True),
    ]),
    Check("test_gradcam_carre", [
        Case("1 sur le carré, 0 ailleurs", gradcam(X_RED, RED, "detector"), lights_square),
        Case("image non carrée", gradcam(red_square_image((24, 40), 4, 25, 6)[None].astype(np.float32),
                                               model("red_square_model", size=(24, 40)), "detector"),
             same_as_reference(GRADCAM_ATOL), hidden=True),
        Case("carte positive partout : divisée par son maximum (0,5 hors du carré)",
             gradcam(X_RED, model("red_square_model", size=32, gain=0.5, floor=1.0), "detector"),
             same_as_reference(GRADCAM_ATOL), hidden=True),
    ]),
    Check("test_gradcam_relu", [
        Case("classe 1 : carte nulle", gradcam(X_RED, RED, "detector", 1), all_zero),
        *[Case(f"petit réseau, conv1, classe {k}", gradcam(X_PROBE, PROBE, "conv1", k),
               same_as_reference(GRADCAM_ATOL), hidden=True) for k in range(3)],
    ]),
    Check("test_gradcam_classe_par_defaut", [
        Case("la classe 1 est prédite", gradcam(X_RED, model("red_square_model", size=32, gain=-4.0), "detector"),
             lights_square),
        Case("petit réseau, classe prédite", gradcam(X_PROBE, PROBE, "conv2"), same_as_reference(GRADCAM_ATOL),
             hidden=True),
    ]),
    Check("test_gradcam_autres_couches", [
        Case("petit réseau, conv1, classe 0", gradcam(X_PROBE, PROBE, "conv1", 0),
             same_at(np.s_[::3, ::3], GRADCAM_ATOL)),
        *[Case(f"petit réseau, {layer}, classe {k}", gradcam(X_PROBE, PROBE, layer, k),
               same_as_reference(GRADCAM_ATOL), hidden=True)
          for layer in ("conv1", "conv2") for k in (None, 0, 1, 2)],
        Case("couche sous-échantillonnée (conv2 après un max-pooling)", gradcam(X_PROBE, POOLED, "conv2"),
             same_as_reference(GRADCAM_ATOL), hidden=True),
    ]),
]

# ----------------------------------------------------------------------------- occlusion
RED24 = model("red_square_model", size=24)
OCC_ATOL = 1e-4


def occlusion(image, mdl, patch=None, stride=None, positional=False):
    """The call of one case: by keyword (as the notebook's cells), positionally, or with
    the defaults (``patch`` and ``stride`` left out)."""
    if patch is None:
        return [call("occlusion_sensitivity", image, mdl)]
    if positional:
        return [call("occlusion_sensitivity", image, mdl, patch, stride)]
    return [call("occlusion_sensitivity", image, mdl, patch=patch, stride=stride)]


def occlusion_shape(shape):
    def judge(got, ref):
        out = got["out"]
        if not isinstance(out, list) or len(out) != 2:
            return "la fonction doit renvoyer le couple (carte, p0)"
        heat = np.asarray(out[0])
        if heat.shape != shape:
            return f"forme {heat.shape} au lieu de {shape}"
        if heat.dtype.kind != "f":
            return "la carte doit contenir des flottants"
        if abs(float(np.asarray(out[1], dtype=float)) - float(ref["out"][1])) > OCC_ATOL:
            return "p0 n'est pas la probabilité de la classe prédite sur l'image intacte"
        return None
    return judge


def occlusion_square(got, ref):
    heat = np.asarray(got["out"][0], dtype=float)
    if heat.shape != (24, 24) or not np.all(np.isfinite(heat)):
        return "carte de forme inattendue ou non finie"
    y, x = np.unravel_index(np.argmax(heat), heat.shape)
    if not square_mask(24)[y, x]:
        return "le maximum de la carte n'est pas sur le carré rouge"
    if np.abs(heat[18:, :]).max() > 1e-6:
        return "cacher du noir loin du carré ne doit rien changer"
    return None


def grey_on_grey(got, ref):
    heat = np.asarray(got["out"][0], dtype=float)
    if heat.shape != (24, 24) or not np.all(np.isfinite(heat)) or np.abs(heat).max() > 1e-5:
        return "un carré gris (128) sur une image grise ne doit rien changer"
    return None


MAP = same_as_reference(OCC_ATOL, item=0)
WIDE = occlusion(red_green_image((16, 28), red=(2, 20), green=(10, 3), red_side=6, green_side=4),
                 model("red_green_model", size=(16, 28), preprocessing="raw"), 6, 4)
FLIP = occlusion(red_square_image(24), model("red_square_model", size=24, gain=8.0, bias=0.2), 8, 4)


def flip_visible(got, ref):
    """What the visible cell checks: p0, then the map at a few stored points."""
    if not isinstance(got["out"], list) or len(got["out"]) != 2:
        return "la fonction doit renvoyer le couple (carte, p0)"
    if abs(float(np.asarray(got["out"][1], dtype=float)) - float(ref["out"][1])) > OCC_ATOL:
        return "p0 n'est pas la probabilité de la classe prédite sur l'image intacte"
    return same_at(np.s_[4:22:3, 8:24:3], 1e-3, item=0)(got, ref)
GREY = np.full((24, 24, 3), 128, np.uint8)
GREY_RED = GREY.copy()
GREY_RED[8:16, 12:20] = (255, 0, 0)

OCCLUSION_CHECKS = [
    Check("test_occlusion_forme", [
        Case("(carte (24, 24), p0), image uint8 non modifiée", occlusion(red_square_image(24), RED24, 6, 4),
             occlusion_shape((24, 24)), inputs_unchanged=True),
        Case("image float32 non modifiée", occlusion(red_square_image(24).astype(np.float32), RED24, 6, 4),
             occlusion_shape((24, 24)), inputs_unchanged=True),
        Case("chemin de fichier (texte)", occlusion(image_file(red_square_image(24, 4, 6, 8)), RED24, 6, 4), MAP,
             hidden=True),
        Case("chemin de fichier (pathlib.Path)", occlusion(image_file(red_square_image(24, 12, 2, 6), as_path=True),
                                                           RED24, 6, 4), MAP, hidden=True),
        Case("appel positionnel (img, model, 7, 3)", occlusion(red_square_image(24, 5, 9, 7), RED24, 7, 3,
                                                               positional=True), MAP, hidden=True),
        Case("valeurs par défaut (patch 25, pas 14)", occlusion(red_square_image(40, 20, 6, 10),
                                                               model("red_square_model", size=40)), MAP, hidden=True),
    ]),
    Check("test_occlusion_carre", [
        Case("maximum sur le carré, fond à 0", occlusion(red_square_image(24), RED24, 6, 4), occlusion_square),
        Case("mêmes valeurs que la référence", occlusion(red_square_image(24), RED24, 6, 4), MAP, hidden=True),
        Case("dernière position : range(0, H - patch, stride) s'arrête avant H - patch",
             occlusion(red_square_image(24, 16, 16, 8), RED24, 8, 4), MAP, hidden=True),
        Case("modèle au prétraitement MobileNetV2 (helpers.get_preprocess)",
             occlusion(red_square_image(24), model("red_square_model", size=24, preprocessing="mobilenet_v2"), 6, 4),
             MAP, hidden=True),
    ]),
    Check("test_occlusion_moyenne", [
        Case("chevauchements moyennés, image 16×28 (x et y)", WIDE,
             same_at(np.s_[0:16:3, 12:28:3], OCC_ATOL, item=0)),
        Case("toute la carte de l'image non carrée", WIDE, MAP, hidden=True),
        Case("autre image non carrée", occlusion(red_square_image((32, 20), 20, 3, 8), model("red_square_model", size=(32, 20)),
                                      7, 4), MAP, hidden=True),
        Case("deux couleurs, autre pas", occlusion(red_green_image(), model("red_green_model", preprocessing="raw"),
                                                  7, 3), MAP, hidden=True),
    ]),
    Check("test_occlusion_gris", [
        Case("carré gris sur image grise : rien ne change", occlusion(GREY, model("brightness_model", size=24), 6, 4),
             grey_on_grey),
        Case("fond gris, la classe 1 est prédite", occlusion(GREY_RED, model("red_square_model", size=24, gain=-4.0),
                                                             6, 4), MAP, hidden=True),
    ]),
    Check("test_occlusion_classe_de_base", [
        Case("cacher le carré fait gagner l'autre classe", FLIP, flip_visible),
        Case("toute la carte quand l'autre classe gagne", FLIP, same_results(OCC_ATOL), hidden=True),
        Case("la classe 1 est prédite", occlusion(red_square_image(24), model("red_square_model", size=24, gain=-4.0),
                                                  6, 4), same_results(OCC_ATOL), hidden=True),
    ]),
]

# ---------------------------------------------------------------------------- recognizer
EXTRACTOR = model("colour_extractor")
RECO_ATOL = 1e-4


def scenario(threshold, enrolled, queries, embed=(), preprocess=None, positional=False):
    """A recognizer with ``enrolled`` ``[(name, rgb)]``, then ``identify`` each query
    colour (kept as ``q0``, ``q1``…) and ``embed`` each colour of ``embed`` (``e0``…).
    ``threshold=None``: the default one; ``positional``: given as second argument."""
    if threshold is None:
        make = call("FaceRecognizer", EXTRACTOR, keep=None, store="r")
    elif positional:
        make = call("FaceRecognizer", EXTRACTOR, threshold, keep=None, store="r")
    elif preprocess is not None:
        make = call("FaceRecognizer", EXTRACTOR, threshold=threshold, preprocess=preprocessing(preprocess),
                    keep=None, store="r")
    else:
        make = call("FaceRecognizer", EXTRACTOR, threshold=threshold, keep=None, store="r")
    steps = [make]
    steps += [call("r.register", name, colour_image(rgb), keep=None) for name, rgb in enrolled]
    steps += [call("r.identify", colour_image(rgb), keep=f"q{i}") for i, rgb in enumerate(queries)]
    steps += [call("r.embed", colour_image(rgb), keep=f"e{i}") for i, rgb in enumerate(embed)]
    return steps


def unit_norm(got, ref):
    try:
        vector = np.asarray(got["e0"], dtype=float)
        norm = float(np.linalg.norm(np.ravel(vector)))
    except (TypeError, ValueError):
        return "embed doit renvoyer un vecteur de nombres"
    if abs(norm - 1) >= RECO_ATOL:
        return f"norme de l'empreinte {norm:.4f} au lieu de 1"
    return None


def one_dimension(got, ref):
    """The embedding is a 1-D vector of the extractor's size, of norm 1."""
    problem = unit_norm(got, ref)
    shape = np.shape(got["e0"])
    return problem or (None if shape == np.shape(ref["e0"]) else f"empreinte de forme {shape} au lieu de "
                       f"{np.shape(ref['e0'])} (un vecteur à 1 dimension)")


SAME = same_results(RECO_ATOL)


def names_and_statuses(got, ref):
    """What the visible threshold cell checks: who, and the status, not the similarity."""
    for key, expected in ref.values.items():
        value = got.values.get(key)
        if not isinstance(value, list) or len(value) != 3 or [value[0], value[2]] != [expected[0], expected[2]]:
            return f"résultat « {key} » : nom ou statut différent de celui attendu"
    return None
RGB = [("rouge", (255, 0, 0)), ("vert", (0, 255, 0)), ("bleu", (0, 0, 255))]
EXACT = [call("FaceRecognizer", EXTRACTOR, threshold=0.5, keep=None, store="r"),
         call("r.register", "rouge", colour_image((255, 0, 0)), keep=None),
         call("r.identify", colour_image((200, 100, 0)), keep=None, store="first"),
         call("FaceRecognizer", EXTRACTOR, threshold=var("first", 1), keep=None, store="r2"),
         call("r2.register", "rouge", colour_image((255, 0, 0)), keep=None),
         call("r2.identify", colour_image((200, 100, 0)), keep="q0")]

TWICE = [call("FaceRecognizer", EXTRACTOR, threshold=0.5, keep=None, store="r"),
         call("r.register", "rouge", colour_image((255, 0, 0)), keep=None),
         call("r.register", "rouge", colour_image((0, 0, 255)), raises="ValueError", keep="twice"),
         call("r.identify", colour_image((255, 0, 0)), keep="q0")]

def refused_twice(got, ref):
    """What the visible cell checks: the second ``register`` raised a ValueError, and the
    first photo still identifies its name (the similarity is other cells' business)."""
    if got.values.get("twice") != ref["twice"]:
        return "enregistrer deux fois le même nom doit lever une ValueError"
    name = got.values.get("q0")
    if not isinstance(name, list) or not name or name[0] != ref["q0"][0]:
        return "la première photo enregistrée sous ce nom doit rester"
    return None


RECOGNIZER_CHECKS = [
    Check("test_reco_soi_meme", [
        Case("soi-même : identifié, similarité 1", scenario(0.5, [("rouge", (255, 0, 0))], [(255, 0, 0)]), SAME),
        Case("plusieurs personnes", scenario(0.5, RGB, [(0, 0, 255)]), SAME, hidden=True),
    ]),
    Check("test_reco_cosinus", [
        Case("jaune contre rouge : cos 45°", scenario(0.5, [("rouge", (200, 0, 0))], [(100, 100, 0)]), SAME),
        Case("gris contre rouge, bleu contre rouge",
             scenario(0.5, [("rouge", (200, 0, 0))], [(90, 90, 90), (0, 0, 90)]), SAME, hidden=True),
        Case("avec un prétraitement (preprocess appliqué au lot)",
             scenario(0.5, [("rouge", (200, 0, 0))], [(100, 100, 0)], embed=[(30, 40, 0)], preprocess="mobilenet_v2"),
             SAME, hidden=True),
    ]),
    Check("test_reco_normalisation", [
        Case("empreinte de norme 1", scenario(0.5, [], [], embed=[(30, 40, 0)]), unit_norm),
        Case("même direction, 6 fois plus clair", scenario(0.5, [("rouge sombre", (40, 10, 0))], [(240, 60, 0)]),
             SAME, hidden=True),
        Case("empreinte à 1 dimension", scenario(0.5, [], [], embed=[(10, 200, 30)]), one_dimension, hidden=True),
    ]),
    Check("test_reco_meilleur", [
        Case("le plus proche de trois", scenario(0.5, RGB, [(30, 200, 10)]), SAME),
        Case("un orange sombre parmi quatre", scenario(0.5, RGB + [("orange", (250, 120, 0))], [(25, 12, 0)]),
             SAME, hidden=True),
    ]),
    Check("test_reco_seuil", [
        Case("0,89 < seuil 0,99 : rejet", scenario(0.99, [("rouge", (255, 0, 0))], [(200, 100, 0)]),
             names_and_statuses),
        Case("seuil 1 et image identique : identifié (>=)", scenario(1.0, [("rouge", (255, 0, 0))], [(255, 0, 0)]),
             names_and_statuses),
        Case("seuil égal à la similarité exacte", EXACT, SAME, hidden=True),
        Case("seuil par défaut 0,5 : cos 0,51 identifié, cos 0,49 rejeté",
             scenario(None, [("rouge", (255, 0, 0))], [(150, 250, 0), (140, 250, 0)]), SAME, hidden=True),
        Case("seuil en deuxième argument : FaceRecognizer(extractor, 0.99)",
             scenario(0.99, [("rouge", (255, 0, 0))], [(200, 100, 0)], positional=True), SAME, hidden=True),
    ]),
    Check("test_reco_base_vide", [
        Case("personne d'enregistré", scenario(0.5, [], [(255, 0, 0)]), SAME),
        Case("nom déjà enregistré : ValueError, la première photo reste", TWICE, refused_twice),
    ]),
]

CHECKS = GRADCAM_CHECKS + OCCLUSION_CHECKS + RECOGNIZER_CHECKS

# ------------------------------------------------------------------------------ clauses
# Every requirement of the three statements, the test cell that decides it, and a change
# of the source's solution that violates it (tests/test_grading.py hands each one in).
# Not clauses: the reduction of the weighted channels by a sum or a mean, and the
# epsilon of the recognizer's norm (a constant factor, undone by the normalisation);
# the `watch_accessed_variables` advice (memory, not the result).
G, O, R = "make_gradcam_heatmap", "occlusion_sensitivity", "FaceRecognizer"
CLAUSES = [
    # Grad-CAM
    Clause(G, "la couche layer_name (pas une couche fixe)", "test_gradcam_autres_couches",
           ("couche = model.get_layer(layer_name)", "couche = model.get_layer(model.layers[1].name)")),
    Clause(G, "par défaut, la classe prédite", "test_gradcam_classe_par_defaut",
           ("pred_index = int(tf.argmax(preds[0]))", "pred_index = 0")),
    Clause(G, "la classe pred_index quand elle est donnée", "test_gradcam_relu",
           ("        if pred_index is None:\n", "        if True:\n")),
    Clause(G, "gradients moyennés sur (lot, hauteur, largeur) : un poids par canal", "test_gradcam_autres_couches",
           ("tf.reduce_mean(gradients, axis=(0, 1, 2))", "tf.reduce_mean(gradients, axis=(0, 3))[..., None]")),
    Clause(G, "canaux pondérés par leur poids", "test_gradcam_autres_couches",
           ("activations[0] * poids", "activations[0]")),
    Clause(G, "ReLU", "test_gradcam_relu", ("    carte = tf.nn.relu(carte)\n", "")),
    Clause(G, "divisée par son maximum (pas min–max)", "test_gradcam_carre",
           ("(carte / (tf.reduce_max(carte) + 1e-8))",
            "((carte - tf.reduce_min(carte)) / (tf.reduce_max(carte) - tf.reduce_min(carte) + 1e-8))")),
    Clause(G, "+ 1e-8 : une carte nulle reste nulle, sans division par zéro", "test_gradcam_relu",
           ("(tf.reduce_max(carte) + 1e-8)", "tf.reduce_max(carte)")),
    Clause(G, "à la résolution de la couche (pas redimensionnée)", "test_gradcam_forme",
           ("    return (carte / (tf.reduce_max(carte) + 1e-8)).numpy()",
            "    carte = tf.image.resize(carte[..., None], tf.shape(x)[1:3])[..., 0]\n"
            "    return (carte / (tf.reduce_max(carte) + 1e-8)).numpy()")),
    Clause(G, "le lot donné n'est pas modifié", "test_gradcam_forme",
           ("    x = tf.convert_to_tensor(img_array, dtype=tf.float32)",
            "    np.clip(img_array, 0, 0.5, out=img_array)\n    x = tf.convert_to_tensor(img_array, dtype=tf.float32)")),
    # occlusion
    Clause(O, "un chemin de fichier est chargé avec helpers.load_image", "test_occlusion_forme",
           ("    if isinstance(img, (str, os.PathLike)):\n", "    if isinstance(img, bytes):\n")),
    Clause(O, "prétraitement helpers.get_preprocess(model) avant chaque prédiction", "test_occlusion_carre",
           ("pretraiter = helpers.get_preprocess(model)", "pretraiter = np.asarray")),
    Clause(O, "classe c : la classe prédite sur l'image intacte", "test_occlusion_classe_de_base",
           ("c = int(np.argmax(probas))", "c = 0")),
    Clause(O, "la classe c reste fixée pour les images occultées", "test_occlusion_classe_de_base",
           ("pretraiter(occultees))[:, c]", "pretraiter(occultees)).max(axis=1)")),
    Clause(O, "p0 : la probabilité de c sur l'image intacte, renvoyée", "test_occlusion_forme",
           ("return (somme / compte).astype(np.float32), p0", "return (somme / compte).astype(np.float32), 1.0")),
    Clause(O, "baisse p0 - p_occultée (pas l'inverse)", "test_occlusion_carre",
           ("somme[y:y + patch, x:x + patch] += p0 - p_occ", "somme[y:y + patch, x:x + patch] += p_occ - p0")),
    Clause(O, "carré gris (128)", "test_occlusion_gris",
           ("occultees[i, y:y + patch, x:x + patch] = 128.0", "occultees[i, y:y + patch, x:x + patch] = 0.0")),
    Clause(O, "les trois canaux cachés", "test_occlusion_moyenne",
           ("occultees[i, y:y + patch, x:x + patch] = 128.0", "occultees[i, y:y + patch, x:x + patch, 0] = 128.0")),
    Clause(O, "coins dans range(0, H - patch, stride)", "test_occlusion_carre",
           ("range(0, H - patch, stride)", "range(0, H - patch + 1, stride)")),
    Clause(O, "y pour les lignes, x pour les colonnes", "test_occlusion_moyenne",
           ("for y in range(0, H - patch, stride) for x in range(0, W - patch, stride)",
            "for x in range(0, H - patch, stride) for y in range(0, W - patch, stride)")),
    Clause(O, "baisses ajoutées à une carte somme, puis moyennées (somme / compte)", "test_occlusion_moyenne",
           ("return (somme / compte).astype(np.float32), p0", "return somme.astype(np.float32), p0")),
    Clause(O, "là où compte vaut 0, on prend 1", "test_occlusion_carre", ("    compte[compte == 0] = 1\n", "")),
    Clause(O, "carte non normalisée", "test_occlusion_moyenne",
           ("return (somme / compte).astype(np.float32), p0",
            "return (somme / compte / (somme / compte).max()).astype(np.float32), p0")),
    Clause(O, "carte (H, W) de la taille de l'image", "test_occlusion_forme",
           ("return (somme / compte).astype(np.float32), p0",
            "return (somme / compte).astype(np.float32)[:H - patch, :W - patch], p0")),
    Clause(O, "paramètres dans l'ordre (img, model, patch, stride)", "test_occlusion_forme",
           ("def occlusion_sensitivity(img, model, patch=25, stride=14):",
            "def occlusion_sensitivity(img, model, stride=14, patch=25):")),
    Clause(O, "valeurs par défaut patch=25, stride=14", "test_occlusion_forme",
           ("def occlusion_sensitivity(img, model, patch=25, stride=14):",
            "def occlusion_sensitivity(img, model, patch=24, stride=12):")),
    Clause(O, "l'image donnée n'est pas modifiée", "test_occlusion_forme",
           ("            occultees[i, y:y + patch, x:x + patch] = 128.0",
            "            image[y:y + patch, x:x + patch] = 128.0\n            occultees[i] = image")),
    # recognizer
    Clause(R, "preprocess appliqué au lot img[None] quand il est donné", "test_reco_cosinus",
           ("        if self.preprocess is not None:\n            x = self.preprocess(x)\n", "")),
    Clause(R, "empreinte normalisée L2", "test_reco_normalisation",
           ("return v / (np.linalg.norm(v) + 1e-12)", "return v")),
    Clause(R, "empreinte à 1 dimension", "test_reco_normalisation",
           ("        return v / (np.linalg.norm(v) + 1e-12)",
            "        return v[None] / (np.linalg.norm(v) + 1e-12)")),
    Clause(R, "similarité cosinus (pas une distance)", "test_reco_cosinus",
           ("similarites = np.stack(self.empreintes) @ self.embed(img)",
            "similarites = 1 - np.linalg.norm(np.stack(self.empreintes) - self.embed(img), axis=1)")),
    Clause(R, "la personne la plus proche", "test_reco_meilleur",
           ("meilleur = int(np.argmax(similarites))", "meilleur = len(self.noms) - 1")),
    Clause(R, "le nom renvoyé est celui de la personne trouvée", "test_reco_soi_meme",
           ('return self.noms[meilleur], s, "identified"', 'return self.noms[0], s, "identified"')),
    Clause(R, "seuil inclusif (>=)", "test_reco_seuil", ("if s >= self.threshold:", "if s > self.threshold:")),
    Clause(R, "en dessous du seuil : (None, similarité, \"rejected\")", "test_reco_seuil",
           ('return None, s, "rejected"', 'return self.noms[meilleur], s, "rejected"')),
    Clause(R, "seuil par défaut 0,5", "test_reco_seuil",
           ("def __init__(self, extractor, threshold=0.5, preprocess=None):",
            "def __init__(self, extractor, threshold=0.6, preprocess=None):")),
    Clause(R, "paramètres dans l'ordre (extractor, threshold, preprocess)", "test_reco_seuil",
           ("def __init__(self, extractor, threshold=0.5, preprocess=None):",
            "def __init__(self, extractor, preprocess=None, threshold=0.5):")),
    Clause(R, "base vide : (None, 0.0, \"nobody enrolled\") sans erreur", "test_reco_base_vide",
           ('return None, 0.0, "nobody enrolled"', 'return None, 0.0, "rejected"')),
    Clause(R, "un nom déjà enregistré lève une ValueError", "test_reco_base_vide",
           ("        if name in self.noms:\n", "        if False:\n")),
]
