"""Shared fixtures. Tests run offline: seeded random weights, bundled photos."""

import os

os.environ["XAI_COURSE_WEIGHTS"] = "random"
os.environ.setdefault("XAI_COURSE_SEED", "42")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import helpers  # noqa: E402


@pytest.fixture(scope="session")
def vgg16():
    """Random-weight VGG16 (one instance for the whole run: ~2 GB)."""
    return helpers.load_model("vgg16")


@pytest.fixture(scope="session")
def mobilenet():
    return helpers.load_model("mobilenet_v2")


@pytest.fixture(scope="session")
def cat_image():
    """The bundled cat photo, RGB uint8 224×224."""
    image, _ = helpers.load_image(helpers.sample_path("chelsea"), model=None)
    return image


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _full_size_defaults(monkeypatch):
    """`make test` sets XAI_COURSE_QUICK=1 for the notebooks that nbval runs; the
    project's own tests choose quick mode explicitly where they want it."""
    monkeypatch.delenv("XAI_COURSE_QUICK", raising=False)


def pytest_collection_modifyitems(config, items):
    """Whatever builds VGG16 (~2 GB, seconds to build) belongs to the slow tier, so that
    `pytest -m "not slow"` stays a quick check for developers."""
    for item in items:
        if "vgg16" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def interruptible():
    """Child processes that Ctrl-C can reach. A test run started in the background
    (``cmd &``, ``nohup``) inherits SIGINT *ignored*, and so would every child it starts:
    installing Python's handler here for the test's duration means children start with
    the default disposition again (handlers are reset on exec; "ignored" is not)."""
    import signal

    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)
