"""Shared helpers for the fastnn test suite."""

from __future__ import annotations

import numba
import numpy as np
import pytest

#: The kernels run as plain Python (``NUMBA_DISABLE_JIT=1``, as in the coverage job): tests marked
#: ``needs_jit``, which check the compiled code itself, are skipped.
JIT_DISABLED = bool(numba.config.DISABLE_JIT)


def pytest_collection_modifyitems(config, items):
    if not JIT_DISABLED:
        return
    skip = pytest.mark.skip(reason="checks compiled code; the kernels run as Python here")
    for item in items:
        if item.get_closest_marker("needs_jit") is not None:
            item.add_marker(skip)


#: The 2-2-1 tutorial's table: weight (lb - 135) and height (in - 66) of four people, and 1 for
#: female, 0 for male.
PEOPLE_X = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]])
PEOPLE_Y = np.array([1, 0, 0, 1])

#: Hidden-layer activations, and the output activation each loss may be used with.
ACTIVATIONS = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus"]
REGRESSION_LOSSES = ["mse", "sse", "mae", "huber"]


def assert_close(actual, expected, rtol=1e-10, what=""):
    """Agreement to ``rtol`` relative to the largest magnitude in ``expected``.

    Entries that happen to be near zero are compared at the scale of the whole array, so a
    parameter of 1e-17 does not demand 1e-27 absolute agreement.
    """
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape, f"{what}: shapes {actual.shape} != {expected.shape}"
    scale = max(float(np.max(np.abs(expected))) if expected.size else 0.0, 1e-300)
    err = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    assert err <= rtol * scale, f"{what}: max abs difference {err:.3e} > {rtol:g} x {scale:.3e}"


def fixed_chunks(monkeypatch, epochs):
    """Make fastnn's training engine hand the kernel ``epochs`` epochs per call (the last call
    the rest) instead of sizing its chunks by time."""
    from fastnn import engine

    monkeypatch.setattr(engine, "_first_chunk", lambda *args: epochs)
    monkeypatch.setattr(engine, "_next_chunk", lambda *args: epochs)


def regression_data(rng, n, n_in, n_out):
    X = rng.standard_normal((n, n_in))
    y = np.tanh(X @ rng.standard_normal((n_in, n_out))) + 0.1 * rng.standard_normal((n, n_out))
    return X, y


def targets_for(loss, rng, n, n_out):
    """Valid targets for ``loss``: reals, 0/1 labels, one-hot rows, or counts (with zeros)."""
    if loss == "poisson":
        return rng.poisson(1.5, (n, n_out)).astype(float)
    if loss == "binary_crossentropy":
        return (rng.random((n, n_out)) < 0.5).astype(float)
    if loss == "categorical_crossentropy":
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    return rng.standard_normal((n, n_out))


def output_activation_for(loss, hidden):
    return {
        "binary_crossentropy": "sigmoid",
        "categorical_crossentropy": "softmax",
        "poisson": "exp",
    }.get(loss, hidden)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)
