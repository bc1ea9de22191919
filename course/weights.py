"""``course weights fetch``: the ImageNet weights and class index, downloaded once.

For a JupyterHub image or a shared volume: download VGG16's and MobileNetV2's ImageNet
weights and Keras' class index into ``KERAS_HOME/models`` so that no student's kernel
downloads 550 MB again. The folder must be writable: when it is not, Keras does not
fail but silently downloads into ``/tmp/.keras`` instead (lost at the next restart),
so this command checks first and checks again where the files landed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from .core import CourseError, tail

CLASS_INDEX_URL = ("https://storage.googleapis.com/download.tensorflow.org/data/"
                   "imagenet_class_index.json")
EXPECTED = {
    "vgg16_weights_tf_dim_ordering_tf_kernels.h5": "VGG16",
    "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5": "MobileNetV2",
    "imagenet_class_index.json": "class index",
}

_DOWNLOAD = f"""
import keras
keras.applications.VGG16(weights="imagenet")
keras.applications.MobileNetV2(weights="imagenet")
keras.utils.get_file("imagenet_class_index.json", {CLASS_INDEX_URL!r}, cache_subdir="models",
                     file_hash="c2c37ea517e94d9795004a39431a14cb")
"""


def default_home() -> Path:
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def _writable(folder: Path) -> None:
    try:
        (folder / "models").mkdir(parents=True, exist_ok=True)
        probe = folder / "models" / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise CourseError(
            f"{folder} is not writable ({err.strerror}). Keras would not fail: it would download "
            "into /tmp/.keras instead, lost at the next restart. Choose a writable folder with "
            "--to, or fix its permissions."
        ) from err


def _online(url: str = CLASS_INDEX_URL, timeout: float = 10.0) -> None:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            pass
    except OSError as err:
        raise CourseError(
            f"Cannot reach {url.split('/')[2]} ({getattr(err, 'reason', err)}): this machine has no "
            "internet, so the ImageNet weights cannot be downloaded here. Fetch them on a machine "
            "with internet and copy the folder, or run the course offline with "
            "XAI_COURSE_WEIGHTS=random (predictions are then meaningless)."
        ) from err


def fetch(to: str | os.PathLike | None = None) -> dict[str, int]:
    """Download the weights into ``to`` (default ``$KERAS_HOME`` or ``~/.keras``);
    returns ``{file: bytes}`` of what is there."""
    home = Path(to).expanduser().resolve() if to else default_home().resolve()
    _writable(home)
    _online()
    env = dict(os.environ, KERAS_HOME=str(home), TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, "-c", _DOWNLOAD], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CourseError("The download failed:\n" + tail(done.stdout + done.stderr))
    found = {name: (home / "models" / name).stat().st_size
             for name in EXPECTED if (home / "models" / name).is_file()}
    missing = [EXPECTED[name] for name in EXPECTED if name not in found]
    if missing:
        raise CourseError(f"{', '.join(missing)} did not land in {home / 'models'}: Keras may have "
                          "used /tmp/.keras; check that KERAS_HOME is writable by this user.")
    return found
