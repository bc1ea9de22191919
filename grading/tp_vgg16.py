"""The TP VGG16's independent correction (``course.verify``): the cases of every test cell.

Instructor side only: never released, not in the package, absent from the sandbox. The
visible cases are the ones the notebook's test cells run; the hidden ones add inputs.
Known-answer models (``helpers.testing``): the red-square detector, a seeded small CNN
whose gradients vary across positions and channels (Grad-CAM's axes), the red/green and
brightness models (occlusion's grey patch and averaging), the mean-colour extractor (the
recognizer's cosines are known in closed form).
"""

import numpy as np

import helpers.gradcam
import helpers.occlusion
import helpers.recognizer
from course.verify import Case, Check, call, model, same_as_reference, same_at, same_results, var
from helpers.testing import colour_image, probe_image, red_green_image, red_square_image, square_mask

PRELUDE = "import os\nimport helpers\nimport keras\nimport numpy as np\nimport tensorflow as tf\n"
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
    ]),
    Check("test_gradcam_carre", [
        Case("1 sur le carré, 0 ailleurs", gradcam(X_RED, RED, "detector"), lights_square),
        Case("image non carrée", gradcam(red_square_image((24, 40), 4, 25, 6)[None].astype(np.float32),
                                               model("red_square_model", size=(24, 40)), "detector"),
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
    ]),
]

# ----------------------------------------------------------------------------- occlusion
RED24 = model("red_square_model", size=24)
OCC_ATOL = 1e-4


def occlusion(image, mdl, patch, stride):
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
    ]),
    Check("test_occlusion_carre", [
        Case("maximum sur le carré, fond à 0", occlusion(red_square_image(24), RED24, 6, 4), occlusion_square),
        Case("mêmes valeurs que la référence", occlusion(red_square_image(24), RED24, 6, 4), MAP, hidden=True),
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


def scenario(threshold, enrolled, queries, embed=()):
    """A recognizer with ``enrolled`` ``[(name, rgb)]``, then ``identify`` each query
    colour (kept as ``q0``, ``q1``…) and ``embed`` each colour of ``embed`` (``e0``…)."""
    steps = [call("FaceRecognizer", EXTRACTOR, threshold=threshold, keep=None, store="r")]
    steps += [call("r.register", name, colour_image(rgb), keep=None) for name, rgb in enrolled]
    steps += [call("r.identify", colour_image(rgb), keep=f"q{i}") for i, rgb in enumerate(queries)]
    steps += [call("r.embed", colour_image(rgb), keep=f"e{i}") for i, rgb in enumerate(embed)]
    return steps


def unit_norm(got, ref):
    try:
        norm = float(np.linalg.norm(np.ravel(np.asarray(got["e0"], dtype=float))))
    except (TypeError, ValueError):
        return "embed doit renvoyer un vecteur de nombres"
    return None if abs(norm - 1) < RECO_ATOL else f"norme de l'empreinte {norm:.4f} au lieu de 1"


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

RECOGNIZER_CHECKS = [
    Check("test_reco_soi_meme", [
        Case("soi-même : identifié, similarité 1", scenario(0.5, [("rouge", (255, 0, 0))], [(255, 0, 0)]), SAME),
        Case("plusieurs personnes", scenario(0.5, RGB, [(0, 0, 255)]), SAME, hidden=True),
    ]),
    Check("test_reco_cosinus", [
        Case("jaune contre rouge : cos 45°", scenario(0.5, [("rouge", (200, 0, 0))], [(100, 100, 0)]), SAME),
        Case("gris contre rouge, bleu contre rouge",
             scenario(0.5, [("rouge", (200, 0, 0))], [(90, 90, 90), (0, 0, 90)]), SAME, hidden=True),
    ]),
    Check("test_reco_normalisation", [
        Case("empreinte de norme 1", scenario(0.5, [], [], embed=[(30, 40, 0)]), unit_norm),
        Case("même direction, 6 fois plus clair", scenario(0.5, [("rouge sombre", (40, 10, 0))], [(240, 60, 0)]),
             SAME, hidden=True),
    ]),
    Check("test_reco_meilleur", [
        Case("le plus proche de trois", scenario(0.5, RGB, [(30, 200, 10)]), SAME),
        Case("un orange sombre parmi quatre", scenario(0.5, RGB + [("orange", (250, 120, 0))], [(25, 12, 0)]),
             SAME, hidden=True),
    ]),
    Check("test_reco_seuil", [
        Case("0.89 < seuil 0.99 : rejet", scenario(0.99, [("rouge", (255, 0, 0))], [(200, 100, 0)]),
             names_and_statuses),
        Case("seuil 1 et image identique : identifié (>=)", scenario(1.0, [("rouge", (255, 0, 0))], [(255, 0, 0)]),
             names_and_statuses),
        Case("seuil égal à la similarité exacte", EXACT, SAME, hidden=True),
    ]),
    Check("test_reco_base_vide", [
        Case("personne d'enregistré", scenario(0.5, [], [(255, 0, 0)]), SAME),
    ]),
]

CHECKS = GRADCAM_CHECKS + OCCLUSION_CHECKS + RECOGNIZER_CHECKS
