"""fastnn._validation is the one place arguments are checked, and errors name public classes."""

from __future__ import annotations

import ast
import inspect
import pathlib
import re

import numpy as np
import pytest

import fastnn
import fastnn.reference as ref
from fastnn import _validation

ROOT = pathlib.Path(fastnn.__file__).parent
IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])
X = np.random.default_rng(0).standard_normal((8, 2))
Y = X[:, :1] * 0.5
LABELS = np.array([0, 1] * 4)


# --- unknown keywords name the public class and suggest a spelling -------------------------------

KEYWORD_CASES = [
    ("MLP.fit", lambda nn: nn.MLP((2, 1), seed=0).fit(X, Y, epoch=3), "epochs"),
    ("MLP.fit", lambda nn: nn.MLP((2, 1), seed=0).fit(X, Y, learning_rat=0.1), "learning_rate"),
    ("MLP.fit", lambda nn: nn.MLP((2, 1), seed=0).fit(X, Y, batchsize=2), "batch_size"),
    ("MLP.fit", lambda nn: nn.MLP((2, 1), seed=0).fit(X, Y, patiance=2), "patience"),
    ("MLP", lambda nn: nn.MLP((2, 1), activatons="tanh"), "activations"),
    ("MLP", lambda nn: nn.MLP((2, 1), seeds=0), "seed"),
    ("Classifier.fit", lambda nn: nn.Classifier((3,)).fit(X, LABELS, epoch=3), "epochs"),
    ("Classifier.fit", lambda nn: nn.Classifier((3,)).fit(X, LABELS, patiance=2), "patience"),
    ("Classifier.fit", lambda nn: nn.Classifier((3,)).fit(X, LABELS, clipnorm=1.0), "clip_norm"),
    ("Classifier", lambda nn: nn.Classifier((3,), activaton="tanh"), "activation"),
    ("Classifier", lambda nn: nn.Classifier((3,), sead=0), "seed"),
]


@IMPLEMENTATIONS
@pytest.mark.parametrize("public, call, suggestion", KEYWORD_CASES)
def test_unknown_keywords_name_the_public_class(nn, public, call, suggestion):
    with pytest.raises(TypeError) as info:
        call(nn)
    message = str(info.value)
    assert message.startswith(f"{public}() got an unexpected keyword argument"), message
    assert message.endswith(f"did you mean {suggestion!r}?"), message
    assert "Base" not in message


@IMPLEMENTATIONS
def test_other_binding_errors_name_the_public_class_too(nn):
    with pytest.raises(TypeError, match=r"^MLP\.fit\(\) missing a required argument: 'y'"):
        nn.MLP((2, 1)).fit(X)
    with pytest.raises(TypeError, match=r"^MLP\.fit\(\) got an unexpected keyword argument 'zz'$"):
        nn.MLP((2, 1)).fit(X, Y, zz=1)
    with pytest.raises(TypeError, match=r"^Classifier\.fit\(\) missing a required argument: 'y'"):
        nn.Classifier((3,)).fit(X)
    # a TypeError from inside the method is not rewritten
    with pytest.raises(TypeError, match=r"^epochs must be an integer"):
        nn.MLP((2, 1)).fit(X, Y, epochs="3")


@IMPLEMENTATIONS
def test_classifier_fit_takes_y_like_mlp_fit_and_still_labels(nn):
    by_y = nn.Classifier((3,), seed=0)
    by_labels = nn.Classifier((3,), seed=0)
    a = by_y.fit(X, y=LABELS, epochs=3)
    b = by_labels.fit(X, labels=LABELS, epochs=3)
    assert a.tobytes() == b.tobytes()
    with pytest.raises(TypeError, match="both y and labels"):
        nn.Classifier((3,)).fit(X, LABELS, labels=LABELS)
    assert by_y.score(X, y=LABELS) == by_labels.score(X, LABELS)


def _names(func) -> set[str]:
    return {
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name != "self"
    }


def test_mlp_and_classifier_use_the_same_names_for_the_same_things():
    mlp_fit, clf_fit = _names(fastnn.MLP.fit), _names(fastnn.Classifier.fit)
    assert clf_fit <= mlp_fit, f"Classifier.fit names MLP.fit lacks: {clf_fit - mlp_fit}"
    shared = {"seed", "init", "dtype"}
    assert shared <= _names(fastnn.MLP.__init__) and shared <= _names(fastnn.Classifier.__init__)


def test_the_keyword_check_costs_little():
    """The wrapper adds one call frame; the signature is only examined after a TypeError."""
    import timeit

    @_validation.public_signature("f")
    def f(self, x, *, y=1):
        return x

    n = 20_000
    wrapped = min(timeit.repeat(lambda: f(None, 1, y=2), number=n, repeat=5)) / n
    raw = min(timeit.repeat(lambda: f.__wrapped__(None, 1, y=2), number=n, repeat=5)) / n
    assert wrapped - raw < 5e-6


# --- one module --------------------------------------------------------------------------------


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted((ROOT / "tutorials").glob("*.py")), ids=lambda p: p.name)
def test_compiled_tutorials_import_no_private_reference_module(path):
    private = {
        m
        for m in _imports(path)
        if m.startswith("fastnn.reference") and any(p.startswith("_") for p in m.split("."))
    }
    assert not private, f"{path.name} imports private reference modules: {sorted(private)}"
    if path.name != "__init__.py":
        assert "fastnn._validation" in _imports(path)


def test_the_tutorial_checks_live_in_fastnn_validation():
    assert not (ROOT / "reference" / "tutorials" / "_checks.py").exists()
    for path in sorted((ROOT / "reference" / "tutorials").glob("*.py")):
        if path.name != "__init__.py":
            assert "fastnn._validation" in _imports(path), path.name


def test_each_kind_of_check_is_written_once():
    """The seed and hidden-size messages appear in fastnn/_validation.py and nowhere else."""
    patterns = [
        r"must be None, an int or a numpy Generator",
        r"must hold integers >= 1",
        r"must be True or False",
        r"must be in the range",
    ]
    for path in sorted(ROOT.rglob("*.py")):
        if path.name == "_validation.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            assert not re.search(pattern, text), f"{path.relative_to(ROOT)} checks {pattern!r}"


@IMPLEMENTATIONS
def test_seeds_are_checked_alike_everywhere(nn):
    for bad, error in [(-1, ValueError), (1.5, TypeError), (True, TypeError)]:
        for call in (
            lambda s: nn.MLP((2, 1), seed=s),
            lambda s: nn.MLP((2, 1)).fit(X, Y, seed=s),
            lambda s: nn.Classifier((3,), seed=s),
        ):
            with pytest.raises(error, match=r"^seed must be"):
                call(bad)


def test_sample_weight_rescaling_is_a_power_of_two():
    weights = np.array([1e308, 3e307, 0.0, 1e-300])
    checked = _validation.check_sample_weight(weights, 4, np.dtype(np.float64))
    ratio = checked[0] / weights[0]
    assert np.frexp(ratio)[0] == 0.5  # a power of two
    assert np.array_equal(checked[:2], weights[:2] * ratio)
    assert 0.5 <= checked.max() < 1
    assert weights[0] == 1e308  # the caller's array is untouched
