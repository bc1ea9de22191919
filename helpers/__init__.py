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
    """Import TensorFlow with its native start-up notices kept off stderr (``_quiet``)."""
    if "tensorflow" in _sys.modules:
        return _sys.modules["tensorflow"]
    from ._quiet import native_stderr_silenced

    with native_stderr_silenced():
        import tensorflow
    return tensorflow


try:
    _tf = _import_tensorflow_quietly()
except ImportError as _err:  # pragma: no cover - depends on the machine
    from . import messages as _messages

    raise ImportError(_messages.tr(
        "helpers needs TensorFlow 2.16+ (Keras 3). On Colab it is already there; "
        "elsewhere: pip install 'xai-course[cpu]' (or '[tf]' for GPU)."
    )) from _err

_tf.get_logger().setLevel("ERROR")

# The public names and the module that defines each. They load on first use (PEP 562):
# `import helpers` costs TensorFlow alone, and a module that is never used (the widgets
# during grading, the recognizer in NBJ1) is never imported.
_PUBLIC = {
    "config": ("Settings", "settings"),
    "images": ("list_samples", "load_image", "read_image", "sample_path", "to_rgb_uint8"),
    "models": ("class_name", "conv_base", "conv_layer_names", "decode_predictions",
               "get_preprocess", "load_model", "predict", "preprocess_mobilenet_v2",
               "preprocess_vgg16"),
    "architecture": ("architecture_table", "block_summary", "parameter_shares"),
    "filters": ("deprocess", "feature_extractor", "filter_statistics", "layer_statistics",
                "receptive_field", "visualize_filter"),
    "gradcam": ("make_gradcam_heatmap",),
    "occlusion": ("occlusion_map", "occlusion_positions", "occlusion_scores",
                  "occlusion_sensitivity"),
    "plots": ("overlay_heatmap",),
    "saliency": ("saliency_map", "smoothgrad"),
    "table": ("Table",),
    "messages": ("number",),
    "targets": ("ClassScore", "Similarity"),
    "faces": ("REGION_NAMES", "Regions", "detect_faces", "face_regions", "image_regions",
              "most_salient_region", "region_table", "regions_for"),
    "anonymisation": ("MASK_TYPES", "apply_mask", "mask_report"),
    "metrics": ("agreement_table", "auc", "deletion_curve", "faithfulness_table",
                "insertion_curve", "spearman", "top_k_iou"),
    "face_store": ("FaceStoreError", "generate_key"),
    "recognizer": ("FaceRecognizer", "embedding_model"),
    "widgets": ("ExplainerState", "anonymisation_panel", "explainer_panel", "filter_panel",
                "gradcam_panel", "nbj1_panel", "occlusion_panel", "recognizer_panel", "tp_panel"),
    "production": ("convert_tflite", "export_saved_model", "production_report", "tflite_embed"),
    "privacy": ("forget_button", "forget_private_outputs", "private_output"),
}
_MODULE_OF = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """``helpers.occlusion_map`` and friends, imported from their module on first use;
    ``helpers.<module>`` (e.g. ``helpers.widgets``) imports that module."""
    import importlib

    module = _MODULE_OF.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if not name.startswith("__"):
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as err:
            if err.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module 'helpers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
