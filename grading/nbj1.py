"""NBJ1's independent correction (``course.verify``): the cases of every test cell.

Instructor side only: never released, not in the package, absent from the sandbox. The
visible cases are the ones the notebook's test cells run (students check themselves
with them); the hidden ones add inputs. Known-answer models (``helpers.testing``): the
red-square detector (only red counts), the red/green model (hiding red lowers class 0,
hiding green raises it: the drops are negative and positive), the brightness model
(tells a black patch from a grey one), on square, non-square, float and uint8 images.
The saliency cases add the seeded probe CNN (three classes, gradients that differ from
pixel to pixel and from channel to channel: a sum or a mean over the channels, a missing
absolute value or another class give other maps) and a black image on which the
red-square detector has no gradient at all (the normalisation must not divide by 0).
"""

import numpy as np

import helpers.occlusion
import helpers.saliency
from course.verify import Case, Check, Clause, call, model, same_as_reference, same_at
from helpers.testing import probe_image, red_green_image, red_square_image

GRADED = ["occlusion_map", "saliency_map"]


def _reference(model, img_array, patch_size=30, stride=10):
    return helpers.occlusion.occlusion_map(model, img_array, patch_size, stride, progress=False)


def _saliency_reference(model, img_preprocessed, class_index=None):
    return helpers.saliency.saliency_map(model, img_preprocessed, class_index)


REFERENCE = {"occlusion_map": _reference, "saliency_map": _saliency_reference}

RED = model("red_square_model", size=20, preprocessing="mobilenet_v2")
RED_GREEN = model("red_green_model", size=20)
SQUARE = red_square_image(20, top=6, left=8, side=6)        # rows 6-11, columns 8-13
CENTRED = red_square_image(20, top=8, left=8, side=6)       # one 6×6 patch hides it whole
TWO = red_green_image(20, red=(2, 2), green=(12, 12), red_side=6, green_side=4)
ATOL = 1e-3

def occlusion(mdl, image, patch=None, stride=None, positional=False):
    """The call of one case: by keyword (as the notebook's cells), positionally, or with
    the defaults (``patch`` and ``stride`` left out)."""
    if patch is None:
        return [call("occlusion_map", mdl, image)]
    if positional:
        return [call("occlusion_map", mdl, image, patch, stride)]
    return [call("occlusion_map", mdl, image, patch_size=patch, stride=stride)]


def as_reference(got, ref):
    return same_as_reference(ATOL)(got, ref)


PREPROCESSING = ("vérifiez la référence p0 et le prétraitement : celui du modèle "
                 "(helpers.get_preprocess(model)), appliqué une seule fois, sur l'image 0–255, "
                 "pour l'image intacte comme pour les images occultées")


def hinted(judge, hint=PREPROCESSING):
    """``judge`` whose failure message ends with ``hint`` (what to check first)."""
    def with_hint(got, ref):
        problem = judge(got, ref)
        return f"{problem} ; {hint}" if problem else None
    return with_hint


def shape_and_range(shape):
    def judge(got, ref):
        out = np.asarray(got["out"])
        if out.shape != shape:
            return f"forme {out.shape} au lieu de {shape}"
        if out.dtype.kind != "f":
            return "la carte doit contenir des flottants"
        if not np.all(np.isfinite(out)) or out.min() < -1e-6 or out.max() > 1 + 1e-6:
            return "la carte doit rester dans [0, 1]"
        return None
    return judge


def max_on_square(mask):
    def judge(got, ref):
        out = np.asarray(got["out"], dtype=float)
        if out.shape != mask.shape:
            return "forme inattendue"
        y, x = np.unravel_index(np.argmax(out), out.shape)
        return None if mask[y, x] else "le maximum de la carte n'est pas sur le carré rouge"
    return judge


def min_max(got, ref):
    out = np.asarray(got["out"], dtype=float)
    if out.shape != np.shape(ref["out"]) or not np.all(np.isfinite(out)):
        return "carte de forme inattendue ou non finie"
    if abs(out.min()) > ATOL or abs(out.max() - 1) > ATOL:
        return "le minimum doit valoir 0 et le maximum 1 (normalisation min–max)"
    return None


def all_zero(got, ref):
    out = np.asarray(got["out"], dtype=float)
    if not np.all(np.isfinite(out)) or not np.allclose(out, 0, atol=ATOL):
        return "une position de trop (ou une division par zéro) : la carte doit être nulle"
    return None


def darker_half(got, ref):
    out = np.asarray(got["out"], dtype=float)
    if out.shape != (20, 20) or not out[:, :5].mean() > 0.25:
        return "le carré doit être noir (0 avant prétraitement), pas gris"
    return None


GREY_WHITE = np.full((20, 20, 3), 128.0, np.float32)     # left half mid-grey,
GREY_WHITE[:, 10:] = 255.0                                  # right half white
CORNER = red_square_image(20, top=15, left=15, side=5)      # no position covers it
EDGE = red_square_image(20, top=14, left=14, side=6)        # only the last position does
WIDE = occlusion(model("red_green_model", size=(16, 28)),
                       red_green_image((16, 28), red=(2, 20), green=(10, 3), red_side=6, green_side=4), 6, 4)
FLIP = occlusion(model("red_square_model", size=20, gain=8.0, bias=0.2, preprocessing="mobilenet_v2"),
                 CENTRED, 6, 4)


CHECKS = [
    Check("test_occlusion_forme", [
        Case("forme (20, 20), flottants dans [0, 1], image uint8 non modifiée", occlusion(RED, SQUARE, 6, 4),
             shape_and_range((20, 20)), inputs_unchanged=True),
        Case("image float32 non modifiée", occlusion(RED, SQUARE.astype(np.float32), 6, 4),
             shape_and_range((20, 20)), inputs_unchanged=True),
        Case("image non carrée", occlusion(model("red_square_model", size=(16, 28), preprocessing="mobilenet_v2"),
                                           red_square_image((16, 28), 4, 18, 6), 6, 6),
             shape_and_range((16, 28)), hidden=True, inputs_unchanged=True),
    ]),
    Check("test_occlusion_carre", [
        Case("maximum sur le carré rouge", occlusion(RED, CENTRED, 6, 4), max_on_square(CENTRED[..., 0] > 0)),
        Case("mêmes valeurs que la référence", occlusion(RED, CENTRED, 6, 4), as_reference, hidden=True),
        Case("carré ailleurs", occlusion(RED, red_square_image(20, 10, 2, 6), 6, 4), as_reference, hidden=True),
    ]),
    Check("test_occlusion_normalisation", [
        Case("baisses positives et négatives : min 0, max 1", occlusion(RED_GREEN, TWO, 6, 4), min_max),
        Case("grand carré", occlusion(RED, red_square_image(20, 2, 2, 14), 6, 4), min_max, hidden=True),
    ]),
    Check("test_occlusion_reference", [
        Case("chevauchements écrasés, image 16×28 (x et y)", WIDE, same_at(np.s_[0:10:2, 14:28:2], ATOL)),
        Case("toute la carte de l'image non carrée", WIDE, as_reference, hidden=True),
        Case("toutes les couleurs cachées", occlusion(RED_GREEN, TWO, 6, 4), as_reference, hidden=True),
        Case("autre image non carrée", occlusion(model("red_square_model", size=(24, 16), preprocessing="mobilenet_v2"),
                                      red_square_image((24, 16), 14, 3, 6), 6, 4), as_reference, hidden=True),
        Case("image float32 de valeurs non entières",
             occlusion(RED_GREEN, TWO.astype(np.float32) * np.float32(0.7), 6, 4), as_reference, hidden=True),
        Case("appel positionnel (model, img_array, 7, 3)", occlusion(RED_GREEN, TWO, 7, 3, positional=True),
             as_reference, hidden=True),
        Case("valeurs par défaut (patch_size 30, stride 10)",
             occlusion(model("red_square_model", size=48, preprocessing="mobilenet_v2"),
                       red_square_image(48, 28, 4, 10)), as_reference, hidden=True),
    ]),
    Check("test_occlusion_classe_de_base", [
        Case("cacher le carré fait gagner l'autre classe", FLIP, hinted(same_at(np.s_[4:16:2, 4:16:2], ATOL))),
        Case("toute la carte quand l'autre classe gagne", FLIP, hinted(as_reference), hidden=True),
        Case("la classe 1 est prédite", occlusion(model("red_square_model", size=20, gain=-4.0,
                                                        preprocessing="mobilenet_v2"), SQUARE, 6, 4),
             hinted(as_reference), hidden=True),
    ]),
    Check("test_occlusion_patch_noir", [
        Case("carré noir sur une image mi-grise mi-blanche",
             occlusion(model("brightness_model", size=20), GREY_WHITE, 5, 5), darker_half),
        Case("valeurs avec un carré noir", occlusion(model("brightness_model", size=20), GREY_WHITE, 4, 4),
             as_reference, hidden=True),
    ]),
    Check("test_occlusion_grille", [
        Case("le coin jamais couvert reste à 0", occlusion(RED, CORNER, 5, 5), all_zero),
        Case("la dernière position de range(0, H - patch, stride)", occlusion(RED, EDGE, 6, 5),
             same_at(np.s_[9:20:2, 9:20:2], ATOL)),
        Case("toute la carte près du bord", occlusion(RED, EDGE, 6, 5), as_reference, hidden=True),
        Case("pas qui ne divise pas la taille", occlusion(RED, red_square_image(20, 13, 2, 6), 6, 4),
             as_reference, hidden=True),
        Case("carré sur les dernières lignes, jamais couvert", occlusion(RED, red_square_image(20, 15, 2, 5), 5, 5),
             as_reference, hidden=True),
        Case("carré sur les dernières colonnes, jamais couvert", occlusion(RED, red_square_image(20, 2, 15, 5), 5, 5),
             as_reference, hidden=True),
    ]),
]


# ---------------------------------------------------------------------- gradient saliency
def saliency(mdl, batch, **kwargs):
    return [call("saliency_map", mdl, batch, **kwargs)]


def mobilenet_batch(image):
    """``image`` (0–255) preprocessed like MobileNetV2's input: a (1, H, W, 3) float32 batch."""
    return (np.asarray(image, np.float32)[None] / np.float32(127.5) - np.float32(1)).astype(np.float32)


PROBE = model("gradcam_probe_model", size=12, seed=0)
PROBE_OTHER = model("gradcam_probe_model", size=12, seed=3)   # predicts class 2 on PROBE_2
PROBE_1, PROBE_2 = probe_image(12, seed=1), probe_image(12, seed=2)   # PROBE predicts class 1 on both
RED_BATCH = mobilenet_batch(CENTRED)
# p(class 0) = 1 − 1e-6 on CENTRED: the gradient is about 1e-7, where « + 1e-8 » changes the map by 10 %
SATURATED = model("red_square_model", size=20, gain=80.0, preprocessing="mobilenet_v2")
BLACK_BATCH = mobilenet_batch(np.zeros((20, 20, 3), np.uint8))  # the detector's ReLU is off everywhere


def positive_where(mask):
    """The map is 1 on ``mask`` and 0 elsewhere (what the red-square detector's gradient is)."""
    def judge(got, ref):
        out = np.asarray(got["out"], dtype=float)
        if out.shape != mask.shape:
            return f"forme {out.shape} au lieu de {mask.shape}"
        if not np.all(np.isfinite(out)):
            return "valeurs non finies (nan ou inf)"
        if not (np.allclose(out[mask], 1, atol=ATOL) and np.allclose(out[~mask], 0, atol=ATOL)):
            return "la carte doit valoir 1 sur le carré rouge et 0 ailleurs"
        return None
    return judge


def saliency_zero(got, ref):
    out = np.asarray(got["out"], dtype=float)
    if out.shape != (20, 20):
        return f"forme {out.shape} au lieu de (20, 20)"
    if not np.all(np.isfinite(out)) or not np.allclose(out, 0, atol=ATOL):
        return "gradient nul partout : la carte doit être nulle (pas de division par zéro)"
    return None


CHANNELS = "vérifiez la valeur absolue, puis le maximum (pas la somme ni la moyenne) sur les canaux"
CLASS = "la carte doit expliquer la classe demandée (class_index, y compris 0), la classe prédite par défaut"

CHECKS += [
    Check("test_saillance_forme", [
        Case("forme (20, 20), flottants dans [0, 1], lot non modifié", saliency(RED, RED_BATCH),
             shape_and_range((20, 20)), inputs_unchanged=True),
        Case("image non carrée", saliency(model("red_square_model", size=(16, 28), preprocessing="mobilenet_v2"),
                                          mobilenet_batch(red_square_image((16, 28), 4, 18, 6))),
             shape_and_range((16, 28)), hidden=True, inputs_unchanged=True),
    ]),
    Check("test_saillance_carre", [
        Case("1 sur le carré rouge, 0 ailleurs", saliency(RED, RED_BATCH), positive_where(CENTRED[..., 0] > 0)),
        Case("carré ailleurs, image non carrée",
             saliency(model("red_square_model", size=(16, 28), preprocessing="mobilenet_v2"),
                      mobilenet_batch(red_square_image((16, 28), 4, 18, 6))),
             positive_where(red_square_image((16, 28), 4, 18, 6)[..., 0] > 0), hidden=True),
        Case("la classe 1 est prédite", saliency(model("red_square_model", size=20, gain=-4.0,
                                                       preprocessing="mobilenet_v2"), mobilenet_batch(SQUARE)),
             as_reference, hidden=True),
        Case("modèle au prétraitement MobileNetV2 : le lot n'est pas prétraité une seconde fois",
             saliency(model("gradcam_probe_model", size=12, seed=0, preprocessing="mobilenet_v2"), PROBE_1),
             as_reference, hidden=True),
    ]),
    Check("test_saillance_normalisation", [
        Case("minimum 0, maximum 1", saliency(PROBE, PROBE_1), min_max),
        Case("gradient nul partout : carte nulle", saliency(RED, BLACK_BATCH), saliency_zero),
        Case("autre image", saliency(PROBE, PROBE_2), min_max, hidden=True),
        Case("gradient minuscule (score saturé) : sans epsilon, 1 sur le carré",
             saliency(SATURATED, RED_BATCH), positive_where(CENTRED[..., 0] > 0), hidden=True),
    ]),
    Check("test_saillance_canaux", [
        Case("valeurs connues (|gradient|, maximum sur les canaux)", saliency(PROBE, PROBE_1),
             hinted(same_at(np.s_[0:12:3, 0:12:3], ATOL), CHANNELS)),
        Case("toute la carte", saliency(PROBE, PROBE_1), hinted(as_reference, CHANNELS), hidden=True),
        Case("autre modèle, autre image", saliency(PROBE_OTHER, PROBE_2), hinted(as_reference, CHANNELS),
             hidden=True),
    ]),
    Check("test_saillance_classe", [
        Case("class_index=0 (la classe prédite est 1)", saliency(PROBE, PROBE_2, class_index=0),
             hinted(same_at(np.s_[1:12:3, 1:12:3], ATOL), CLASS)),
        Case("toute la carte de la classe 0", saliency(PROBE, PROBE_2, class_index=0),
             hinted(as_reference, CLASS), hidden=True),
        Case("class_index=2", saliency(PROBE, PROBE_1, class_index=2), hinted(as_reference, CLASS), hidden=True),
        Case("par défaut, la classe prédite (ici 2)", saliency(PROBE_OTHER, PROBE_2),
             hinted(as_reference, CLASS), hidden=True),
        Case("class_index en troisième argument", [call("saliency_map", PROBE, PROBE_1, 2)],
             hinted(as_reference, CLASS), hidden=True),
    ]),
]


# ------------------------------------------------------------------------------ clauses
# Every requirement of the two statements, the test cell that decides it, and a change of
# the source's solution that violates it (tests/test_grading.py hands each one in). Not
# clauses: p0 itself (a constant offset of the map, undone by the min–max normalisation)
# and the batch size (speed and memory, not the result).
O, S = "occlusion_map", "saliency_map"
CLAUSES = [
    # occlusion
    Clause(O, "prétraitement helpers.get_preprocess(model) avant chaque prédiction", "test_occlusion_classe_de_base",
           ("preprocess = helpers.get_preprocess(model)", "preprocess = np.asarray")),
    Clause(O, "classe c : la classe prédite sur l'image intacte", "test_occlusion_classe_de_base",
           ("c = int(np.argmax(base))", "c = 0")),
    Clause(O, "la classe c reste fixée pour les images occultées", "test_occlusion_classe_de_base",
           ("training=False))[:, c]", "training=False)).max(axis=1)")),
    Clause(O, "baisse p0 - p_occultée (pas l'inverse)", "test_occlusion_carre",
           ("= base[c] - p_occ", "= p_occ - base[c]")),
    Clause(O, "carré noir (0 avant prétraitement)", "test_occlusion_patch_noir",
           ("x:x + patch_size] = 0\n", "x:x + patch_size] = 128\n")),
    Clause(O, "les trois canaux cachés", "test_occlusion_reference",
           ("occultees[i, y:y + patch_size, x:x + patch_size] = 0",
            "occultees[i, y:y + patch_size, x:x + patch_size, 0] = 0")),
    Clause(O, "coins dans range(0, H - patch_size, stride)", "test_occlusion_grille",
           ("range(0, H - patch_size, stride)", "range(0, H - patch_size + 1, stride)")),
    Clause(O, "coins dans range(0, W - patch_size, stride)", "test_occlusion_grille",
           ("range(0, W - patch_size, stride)", "range(0, W - patch_size + 1, stride)")),
    Clause(O, "y pour les lignes, x pour les colonnes", "test_occlusion_reference",
           ("occultees[i, y:y + patch_size, x:x + patch_size] = 0",
            "occultees[i, x:x + patch_size, y:y + patch_size] = 0")),
    Clause(O, "une position plus tardive écrase les précédentes", "test_occlusion_reference",
           ("carte[y:y + patch_size, x:x + patch_size] = base[c] - p_occ",
            "carte[y:y + patch_size, x:x + patch_size] += base[c] - p_occ")),
    Clause(O, "normalisation min–max", "test_occlusion_normalisation",
           ("return (carte - carte.min()) / (carte.max() - carte.min() + 1e-8)",
            "return carte / (carte.max() + 1e-8)")),
    Clause(O, "+ 1e-8 : une carte constante ne divise pas par zéro", "test_occlusion_grille",
           ("(carte.max() - carte.min() + 1e-8)", "(carte.max() - carte.min())")),
    Clause(O, "carte (H, W) de la taille de l'image", "test_occlusion_forme",
           ("    carte = np.zeros((H, W), dtype=np.float32)", "    carte = np.zeros((W, H), dtype=np.float32)")),
    Clause(O, "l'image donnée n'est pas modifiée", "test_occlusion_forme",
           ("            occultees[i, y:y + patch_size, x:x + patch_size] = 0",
            "            image[y:y + patch_size, x:x + patch_size] = 0\n            occultees[i] = image")),
    Clause(O, "paramètres dans l'ordre (model, img_array, patch_size, stride)", "test_occlusion_reference",
           ("def occlusion_map(model, img_array, patch_size=30, stride=10):",
            "def occlusion_map(model, img_array, stride=10, patch_size=30):")),
    Clause(O, "valeurs par défaut patch_size=30, stride=10", "test_occlusion_reference",
           ("def occlusion_map(model, img_array, patch_size=30, stride=10):",
            "def occlusion_map(model, img_array, patch_size=32, stride=8):")),
    # saliency
    Clause(S, "le lot est déjà prétraité : pas de second prétraitement", "test_saillance_carre",
           ("x = tf.convert_to_tensor(img_preprocessed, dtype=tf.float32)",
            "x = tf.convert_to_tensor(helpers.get_preprocess(model)(img_preprocessed), dtype=tf.float32)")),
    Clause(S, "par défaut, la classe prédite", "test_saillance_classe",
           ("class_index = int(tf.argmax(probas[0]))", "class_index = 0")),
    Clause(S, "class_index is None, pas not class_index (la classe 0 existe)", "test_saillance_classe",
           ("if class_index is None:", "if not class_index:")),
    Clause(S, "valeur absolue du gradient", "test_saillance_canaux",
           ("carte = np.abs(gradient).max(axis=-1)", "carte = gradient.max(axis=-1)")),
    Clause(S, "maximum sur les canaux (pas la moyenne)", "test_saillance_canaux",
           ("carte = np.abs(gradient).max(axis=-1)", "carte = np.abs(gradient).mean(axis=-1)")),
    Clause(S, "normalisation min–max", "test_saillance_normalisation",
           ("return (carte - bas) / (haut - bas)", "return carte / haut")),
    Clause(S, "sans epsilon", "test_saillance_normalisation",
           ("return (carte - bas) / (haut - bas)", "return (carte - bas) / (haut - bas + 1e-8)")),
    Clause(S, "carte constante : des zéros", "test_saillance_normalisation",
           ("    if haut == bas:\n        return np.zeros_like(carte)\n", "")),
    Clause(S, "carte (H, W) de l'image 0 du lot", "test_saillance_forme",
           ("gradient = ruban.gradient(score, x)[0].numpy()", "gradient = ruban.gradient(score, x).numpy()")),
    Clause(S, "le lot donné n'est pas modifié", "test_saillance_forme",
           ("    x = tf.convert_to_tensor(img_preprocessed, dtype=tf.float32)",
            "    np.clip(img_preprocessed, -0.5, 0.5, out=img_preprocessed)\n"
            "    x = tf.convert_to_tensor(img_preprocessed, dtype=tf.float32)")),
    Clause(S, "le score pris dans le ruban", "test_saillance_forme",
           ("        score = probas[:, class_index]              # dans le ruban\n"
            "    gradient = ruban.gradient(score, x)[0].numpy()",
            "    score = probas[:, class_index]\n    gradient = ruban.gradient(score, x)[0].numpy()")),
]
