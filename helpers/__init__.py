"""helpers — every method of the two practicals, computed as arrays.

Compute, then draw: methods return float32 maps; figures live in ``helpers.plots``
and interactive panels in ``helpers.widgets``. See ``helpers.config`` for the
settings (random weights offline, quick demonstrations under nbgrader).
"""

import os as _os
import sys as _sys

# TensorFlow logs to stderr, and nbgrader scores a test cell 0 when it writes there.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _import_tensorflow_quietly():
    """Import TensorFlow with its native start-up notices (oneDNN, absl) kept off stderr.

    Those lines are written by C++ before any Python logging setting applies; they are
    harmless but look like errors to a student. Python exceptions still propagate.
    """
    if "tensorflow" in _sys.modules:
        return _sys.modules["tensorflow"]
    try:
        _sys.stderr.flush()
        saved = _os.dup(2)
    except (OSError, ValueError):  # no real stderr file descriptor: nothing to hide
        import tensorflow
        return tensorflow
    devnull = _os.open(_os.devnull, _os.O_WRONLY)
    try:
        _os.dup2(devnull, 2)
        import tensorflow
    finally:
        _os.dup2(saved, 2)
        _os.close(saved)
        _os.close(devnull)
    return tensorflow


try:
    _tf = _import_tensorflow_quietly()
except ImportError as _err:  # pragma: no cover - depends on the machine
    raise ImportError(
        "helpers needs TensorFlow 2.16+ (Keras 3). On Colab it is already there; "
        "elsewhere: pip install 'xai-course[cpu]' (or '[tf]' for GPU)."
    ) from _err

_tf.get_logger().setLevel("ERROR")

from .config import Settings, settings  # noqa: E402
from .images import list_samples, load_image, read_image, sample_path, to_rgb_uint8  # noqa: E402
from .models import (  # noqa: E402
    class_name,
    conv_base,
    conv_layer_names,
    decode_predictions,
    get_preprocess,
    load_model,
    predict,
    preprocess_mobilenet_v2,
    preprocess_vgg16,
)
from .architecture import architecture_table, block_summary, parameter_shares  # noqa: E402
from .filters import (  # noqa: E402
    deprocess,
    feature_extractor,
    filter_statistics,
    layer_statistics,
    receptive_field,
    visualize_filter,
)
from .gradcam import make_gradcam_heatmap  # noqa: E402
from .occlusion import occlusion_map, occlusion_positions, occlusion_scores, occlusion_sensitivity  # noqa: E402
from .plots import overlay_heatmap  # noqa: E402
from .saliency import saliency_map, smoothgrad  # noqa: E402
from .table import Table  # noqa: E402
from .faces import (  # noqa: E402
    REGION_NAMES,
    Regions,
    detect_faces,
    face_regions,
    image_regions,
    most_salient_region,
    region_table,
    regions_for,
)
from .anonymisation import MASK_TYPES, apply_mask, mask_report  # noqa: E402
from .metrics import (  # noqa: E402
    agreement_table,
    auc,
    deletion_curve,
    faithfulness_table,
    insertion_curve,
    spearman,
    top_k_iou,
)
from .recognizer import FaceRecognizer, FaceStoreError, embedding_model, generate_key  # noqa: E402
from .widgets import (  # noqa: E402
    ExplainerState,
    anonymisation_panel,
    explainer_panel,
    filter_panel,
    gradcam_panel,
    nbj1_panel,
    occlusion_panel,
    recognizer_panel,
    tp_panel,
)
from .production import convert_tflite, export_saved_model, production_report, tflite_embed  # noqa: E402

__all__ = [
    "ExplainerState",
    "explainer_panel",
    "nbj1_panel",
    "occlusion_panel",
    "gradcam_panel",
    "filter_panel",
    "anonymisation_panel",
    "recognizer_panel",
    "tp_panel",
    "REGION_NAMES",
    "Regions",
    "detect_faces",
    "face_regions",
    "image_regions",
    "most_salient_region",
    "region_table",
    "regions_for",
    "MASK_TYPES",
    "apply_mask",
    "mask_report",
    "agreement_table",
    "auc",
    "deletion_curve",
    "faithfulness_table",
    "insertion_curve",
    "spearman",
    "top_k_iou",
    "FaceRecognizer",
    "FaceStoreError",
    "embedding_model",
    "generate_key",
    "convert_tflite",
    "export_saved_model",
    "production_report",
    "tflite_embed",
    "Table",
    "architecture_table",
    "block_summary",
    "parameter_shares",
    "deprocess",
    "feature_extractor",
    "filter_statistics",
    "layer_statistics",
    "receptive_field",
    "visualize_filter",
    "make_gradcam_heatmap",
    "occlusion_map",
    "occlusion_positions",
    "occlusion_scores",
    "occlusion_sensitivity",
    "overlay_heatmap",
    "saliency_map",
    "smoothgrad",
    "Settings",
    "settings",
    "list_samples",
    "load_image",
    "read_image",
    "sample_path",
    "to_rgb_uint8",
    "class_name",
    "conv_base",
    "conv_layer_names",
    "decode_predictions",
    "get_preprocess",
    "load_model",
    "predict",
    "preprocess_mobilenet_v2",
    "preprocess_vgg16",
]
