"""scikit-learn's own MLP tests, run against fastnn's drop-in estimators.

This module imports the test module scikit-learn installs,
``sklearn/neural_network/tests/test_mlp.py``, and collects each of its test functions here with
``MLPClassifier`` and ``MLPRegressor`` rebound to :mod:`fastnn.sklearn`'s: in the module's
globals (which the test bodies read) and in the values of its ``parametrize`` marks (which were
evaluated when scikit-learn's module was imported). Nothing of scikit-learn's test code is copied
here; the tests run as scikit-learn ships them, with the installed version's expectations.

The tests listed in :data:`SKIPPED` exercise scikit-learn's private internals rather than the
estimators' public behaviour; each is skipped with its reason. Everything else must pass. With
``NUMBA_DISABLE_JIT=1`` (the coverage run) the few listed in :data:`SLOW_WITHOUT_JIT` are skipped
too, for time only (each takes 20 s to 5 minutes as Python).

Without scikit-learn (or with an installation that does not ship its tests) the module skips.
"""

from __future__ import annotations

import functools
import os

import pytest

upstream = pytest.importorskip("sklearn.neural_network.tests.test_mlp")

from sklearn import neural_network as _skl  # noqa: E402

from fastnn import sklearn as _fastnn_sklearn  # noqa: E402

#: scikit-learn's estimator classes and the drop-ins that replace them.
REBOUND = {
    _skl.MLPClassifier: _fastnn_sklearn.MLPClassifier,
    _skl.MLPRegressor: _fastnn_sklearn.MLPRegressor,
}

#: Upstream tests not run, each with the reason.
SKIPPED = {
    "test_gradient": (
        "checks scikit-learn's private MLP._loss_grad_lbfgs(packed, X, Y, sample_weight, "
        "activations, deltas, coef_grads, intercept_grads) by finite differences; fastnn has no "
        "such method (its gradients are checked against finite differences in "
        "tests/test_gradients.py)"
    ),
}


#: Upstream tests that take over 15 s each with ``NUMBA_DISABLE_JIT=1`` (the kernels run as
#: Python; measured on the 2-core CI machine, in seconds): skipped in that mode only, where the
#: whole module took 12 minutes. With compiled kernels the module takes about 30 s and runs them.
SLOW_WITHOUT_JIT = {
    "test_n_iter_no_change_inf": 295,
    "test_partial_fit_classification": 114,
    "test_lbfgs_regression": 64,
    "test_partial_fit_regression": 45,
    "test_multioutput_regression": 24,
    "test_warm_start": 20,
    "test_n_iter_no_change": 19,
}
NO_JIT = os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")

#: The whole upstream module is left out of the coverage run (10 of that run's 15 slowest tests
#: were upstream ones): it runs in full with the compiled kernels, and tests/test_sklearn.py covers
#: the same code of fastnn.sklearn as Python.
pytestmark = pytest.mark.slow_as_python


@pytest.fixture(autouse=True)
def _fastnn_estimators(monkeypatch):
    """Rebind the names the upstream test bodies look up to fastnn's estimators."""
    for theirs, ours in REBOUND.items():
        if getattr(upstream, theirs.__name__, None) is theirs:
            monkeypatch.setattr(upstream, theirs.__name__, ours)


def _seeds():
    """The seeds of ``global_random_seed``, from ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` as
    scikit-learn's test configuration reads it: unset (42), ``N``, ``A-B`` or ``all`` (0-99)."""
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if value is None:
        return [42]
    if value == "all":
        return list(range(100))
    if "-" in value:
        low, high = (int(part) for part in value.split("-"))
        return list(range(low, high + 1))
    return [int(value)]


@pytest.fixture(params=_seeds())
def global_random_seed(request):
    """scikit-learn's ``global_random_seed`` fixture (defined in its conftest.py)."""
    return request.param


def _swap(value):
    if isinstance(value, tuple):
        return tuple(_swap(item) for item in value)
    if isinstance(value, list):
        return [_swap(item) for item in value]
    for theirs, ours in REBOUND.items():
        if value is theirs:
            return ours
    return value


def _rebound_mark(mark):
    if mark.name != "parametrize":
        return mark
    argnames, argvalues, *rest = mark.args
    rebuilt = pytest.mark.parametrize(argnames, [_swap(v) for v in argvalues], *rest, **mark.kwargs)
    return rebuilt.mark


def _collect(name, function):
    @functools.wraps(function)
    def test(*args, **kwargs):
        return function(*args, **kwargs)

    marks = [_rebound_mark(mark) for mark in getattr(function, "pytestmark", [])]
    if name in SKIPPED:
        marks.append(pytest.mark.skip(reason=SKIPPED[name]).mark)
    elif NO_JIT and name in SLOW_WITHOUT_JIT:
        reason = f"takes about {SLOW_WITHOUT_JIT[name]} s with NUMBA_DISABLE_JIT=1 (runs with JIT)"
        marks.append(pytest.mark.skip(reason=reason).mark)
    test.pytestmark = marks
    test.__module__ = __name__
    return test


UPSTREAM_TESTS = sorted(
    name for name, value in vars(upstream).items() if name.startswith("test_") and callable(value)
)

for _name in UPSTREAM_TESTS:
    globals()[_name] = _collect(_name, getattr(upstream, _name))
del _name


def test_every_upstream_test_is_collected():
    """The suite above is scikit-learn's whole module: no upstream test is silently dropped, and
    every skip names an upstream test that still exists."""
    assert len(UPSTREAM_TESTS) > 40
    assert set(SKIPPED) <= set(UPSTREAM_TESTS)
    assert set(SLOW_WITHOUT_JIT) <= set(UPSTREAM_TESTS)
    for name in UPSTREAM_TESTS:
        assert globals()[name].__wrapped__ is getattr(upstream, name)


def test_parametrized_estimators_are_fastnn_s():
    """Parametrize marks that list scikit-learn's estimator classes list fastnn's instead."""
    seen = 0
    for name in UPSTREAM_TESTS:
        for mark in globals()[name].pytestmark:
            if mark.name != "parametrize":
                continue
            for value in mark.args[1]:
                for item in value if isinstance(value, tuple) else (value,):
                    assert not any(item is c for c in REBOUND), f"{name} still uses {item!r}"
                    seen += any(item is c for c in REBOUND.values())
    assert seen > 0
