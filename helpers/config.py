"""Run-time settings, read from the environment in one place.

Every knob that changes how much work a notebook does, or where the weights come
from, is here, so that no method reads ``os.environ`` itself:

``XAI_COURSE_WEIGHTS``
    ``imagenet`` (default): ImageNet weights through Keras' own cache (``KERAS_HOME``).
    ``random``: seeded random weights, for machines without internet and for CI.
    A visible warning is printed every time a model is built with random weights.
``XAI_COURSE_SEED``
    Seed of the random weights and of every stochastic method (default ``42``).
``NBGRADER_EXECUTION``
    Set by nbgrader while it executes a notebook (``autograde``, ``validate``...).
    Heavy demonstration cells shrink (``settings().quick``) and progress bars are
    off; hidden tests never shrink.
``XAI_COURSE_QUICK``
    ``1`` forces the shrunk demonstrations outside nbgrader (nbval, CI).
``XAI_COURSE_LANG``
    The language of every text shown (tables, panels, warnings, errors a student can
    fix): ``fr`` (default, the course's), ``en`` (the code's own English), or any
    language with a catalogue ``helpers/locale/<lang>/LC_MESSAGES/helpers.po``.
    ``helpers.messages`` translates.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

WEIGHTS_CHOICES = ("imagenet", "random")
# the files shipped with the package: sample photos, ImageNet class names, the face detector
DATA_DIR = Path(__file__).resolve().parent / "data"
# the gettext catalogues: <lang>/LC_MESSAGES/helpers.po (English is the code's own text)
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages a course can be shown in: one per catalogue, and English.

    A new catalogue ``helpers/locale/<lang>/LC_MESSAGES/helpers.po`` is a new language,
    without code changes.

    Returns:
        The languages' codes (folder names under ``LOCALE_DIR``), ``"en"`` last.
    """
    found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/helpers.po"))
    return (*found, "en")


@dataclass(frozen=True)
class Settings:
    """A snapshot of the settings (see the module docstring).

    Attributes:
        weights: ``"imagenet"`` or ``"random"`` (``XAI_COURSE_WEIGHTS``).
        seed: seed of random weights and stochastic methods (``XAI_COURSE_SEED``).
        grading: True while nbgrader executes the notebook (``NBGRADER_EXECUTION``).
        quick: True when demonstrations shrink (grading or ``XAI_COURSE_QUICK``).
        language: one of :func:`languages` (``XAI_COURSE_LANG``).
    """

    weights: str
    seed: int
    grading: bool
    quick: bool
    language: str = "fr"

    @property
    def progress(self) -> bool:
        """Whether long loops show a progress bar (never while nbgrader runs)."""
        return not self.grading


def settings() -> Settings:
    """Read the settings from the environment (cheap; call it where needed).

    Returns:
        The current ``Settings``.

    Raises:
        ValueError: ``XAI_COURSE_WEIGHTS`` is not one of ``WEIGHTS_CHOICES``,
            ``XAI_COURSE_SEED`` is not an integer, or ``XAI_COURSE_LANG`` is not one of
            :func:`languages`.
    """
    weights = os.environ.get("XAI_COURSE_WEIGHTS", "imagenet").strip().lower() or "imagenet"
    if weights not in WEIGHTS_CHOICES:
        raise ValueError(
            f"XAI_COURSE_WEIGHTS={weights!r} is not understood: use one of {WEIGHTS_CHOICES}."
        )
    raw_seed = os.environ.get("XAI_COURSE_SEED", "42")
    try:
        seed = int(raw_seed)
    except ValueError:
        raise ValueError(f"XAI_COURSE_SEED={raw_seed!r} must be an integer.") from None
    grading = bool(os.environ.get("NBGRADER_EXECUTION"))
    quick = grading or os.environ.get("XAI_COURSE_QUICK", "") not in ("", "0")
    language = os.environ.get("XAI_COURSE_LANG", "fr").strip().lower() or "fr"
    if language not in languages():
        raise ValueError(f"XAI_COURSE_LANG={language!r} is not understood: use one of {languages()}.")
    return Settings(weights=weights, seed=seed, grading=grading, quick=quick, language=language)
