"""Native writes to standard error, silenced.

TensorFlow's start-up notices (oneDNN, absl) and TF Lite's runtime logs are written by
C++ straight to file descriptor 2, before or beneath any Python logging setting. They
are harmless but look like errors to a student, and nbgrader scores a test cell 0 when
it writes to stderr. Python exceptions still propagate.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Within the block, file descriptor 2 points to ``os.devnull``.

    Yields:
        Nothing; on exit, file descriptor 2 is restored.
    """
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr file descriptor: nothing to hide
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(saved, 2)
    finally:
        os.close(saved)
