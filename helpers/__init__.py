"""helpers — every method of the two practicals, computed as arrays.

Compute, then draw: methods return float32 maps; figures live in ``helpers.plots``
and interactive panels in ``helpers.widgets``. See ``helpers.config`` for the
settings (random weights offline, quick demonstrations under nbgrader).
"""

import os as _os

# TensorFlow logs to stderr, and nbgrader scores a test cell 0 when it writes there.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    import tensorflow as _tf  # noqa: F401
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

__all__ = [
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
