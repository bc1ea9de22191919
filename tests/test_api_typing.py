"""The public API is fully typed and documented in one style (Google: Args/Returns).

For each module below, its public names (``__all__`` when the module defines one, else
the public functions and classes it defines itself) are walked: every parameter and
the return of each function, method and constructor must carry an annotation, and the
docstring must hold ``Args:`` when there are parameters besides ``self``/``cls`` and
``Returns:`` (or ``Yields:``) when the function returns something.

The list is explicit, so that a new module joins it on purpose.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect

import pytest

import helpers  # noqa: F401 - the package's import-time setup (quiet TensorFlow)

MODULES = [
    "helpers._graph", "helpers._incremental", "helpers._quiet", "helpers.anonymisation",
    "helpers.architecture", "helpers.config", "helpers.faces", "helpers.face_store",
    "helpers.filters", "helpers.gradcam", "helpers.metrics", "helpers.models",
    "helpers.occlusion", "helpers.plots", "helpers.production", "helpers.recognizer",
    "helpers.saliency", "helpers.table", "helpers.targets", "helpers.testing",
    "helpers._checks", "helpers.images", "helpers.messages",
    "helpers.widgets._base", "helpers.widgets.explainer", "helpers.widgets.gradcam",
    "helpers.widgets.filters", "helpers.widgets.anonymisation", "helpers.widgets.recognizer",
    "helpers.widgets.tp", "course.similarity",
]

# return annotations that need no Returns: section
_NOTHING = {"None", "NoReturn", "Iterator[None]", "Generator[None, None, None]"}


def public_names(module) -> list[str]:
    """``__all__``, else the public functions and classes defined in ``module``."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return sorted(name for name, obj in vars(module).items()
                  if not name.startswith("_")
                  and (inspect.isfunction(inspect.unwrap(obj)) or inspect.isclass(obj))
                  and getattr(obj, "__module__", None) == module.__name__)


def _annotation(value) -> str:
    return value if isinstance(value, str) else inspect.formatannotation(value)


def _callables(module):
    """``(qualified name, function, docstring to read)`` for each public callable."""
    for name in public_names(module):
        obj = getattr(module, name)
        if inspect.isfunction(inspect.unwrap(obj)):  # functools.lru_cache wraps some
            yield f"{module.__name__}.{name}", obj, inspect.getdoc(obj) or ""
        elif inspect.isclass(obj):
            init = vars(obj).get("__init__")
            if getattr(obj, "_is_protocol", False):
                init = None  # typing.Protocol's own __init__, not the project's
            if init is not None and inspect.isfunction(init):
                # a dataclass documents its fields under Attributes:, the class holds it
                doc = "\n".join(filter(None, [inspect.getdoc(obj),
                                              None if dataclasses.is_dataclass(obj)
                                              else inspect.getdoc(init)]))
                if dataclasses.is_dataclass(obj):
                    doc = doc.replace("Attributes:", "Args:")
                yield f"{module.__name__}.{name}.__init__", init, doc
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                if isinstance(member, (staticmethod, classmethod)):
                    member = member.__func__
                if isinstance(member, property):
                    yield f"{module.__name__}.{name}.{attr}", member.fget, "Returns:"
                elif inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member, inspect.getdoc(member) or ""


def _problems(qualname: str, fn, doc: str) -> list[str]:
    problems = []
    signature = inspect.signature(fn, follow_wrapped=True)
    params = [p for i, p in enumerate(signature.parameters.values())
              if not (i == 0 and p.name in ("self", "cls"))]
    for p in params:
        if p.annotation is inspect.Parameter.empty:
            problems.append(f"{qualname}: parameter {p.name!r} has no annotation")
    if signature.return_annotation is inspect.Signature.empty:
        problems.append(f"{qualname}: the return has no annotation")
    elif (_annotation(signature.return_annotation) not in _NOTHING
          and "Returns:" not in doc and "Yields:" not in doc):
        problems.append(f"{qualname}: the docstring has no 'Returns:'")
    if params and "Args:" not in doc:
        problems.append(f"{qualname}: the docstring has no 'Args:'")
    if not doc.strip():
        problems.append(f"{qualname}: no docstring")
    return problems


@pytest.mark.parametrize("module_name", MODULES)
def test_public_api_is_typed_and_documented(module_name):
    module = importlib.import_module(module_name)
    problems = [p for q, fn, doc in _callables(module) for p in _problems(q, fn, doc)]
    assert not problems, "\n".join(problems)


def test_the_walk_sees_what_it_should():
    """The check can fail: an unannotated, undocumented function is caught, and the
    walk finds the methods of a class and a module's ``__all__``."""

    def bare(x, y=1):
        return x + y

    assert len(_problems("bare", bare, inspect.getdoc(bare) or "")) == 5
    recognizer = importlib.import_module("helpers.recognizer")
    names = {q for q, _, _ in _callables(recognizer)}
    assert "helpers.recognizer.FaceRecognizer.__init__" in names
    assert "helpers.recognizer.FaceRecognizer.register" in names
    metrics = importlib.import_module("helpers.metrics")
    assert public_names(metrics) == list(metrics.__all__)
