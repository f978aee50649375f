"""The compiled kernels against the numpy reference: same architecture, data and initial θ.

Random architectures come from hypothesis (1-4 hidden layers, widths 1-64, every activation, both
squared-error losses, batch sizes 1 / k / full); after training, θ and the loss history must agree
to 1e-10 relative. Prediction, loss and gradient are compared the same way.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    ACTIVATIONS,
    REGRESSION_LOSSES,
    assert_close,
    output_activation_for,
    regression_data,
    targets_for,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
import fastnn.reference as ref


@st.composite
def architectures(draw):
    n_hidden = draw(st.integers(1, 4))
    sizes = [draw(st.integers(1, 8))]
    sizes += [draw(st.integers(1, 64)) for _ in range(n_hidden)]
    sizes.append(draw(st.integers(1, 4)))
    activations = [draw(st.sampled_from(ACTIVATIONS)) for _ in range(n_hidden + 1)]
    loss = draw(st.sampled_from(["mse", "sse"]))
    n = draw(st.integers(1, 24))
    batch = draw(st.sampled_from([1, "k", None]))
    if batch == "k":
        batch = draw(st.integers(2, max(2, n)))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    return sizes, activations, loss, n, batch, bias, seed


def twins(sizes, activations, loss, seed, **kw):
    return (
        fastnn.MLP(sizes, activations, loss, seed=seed, **kw),
        ref.MLP(sizes, activations, loss, seed=seed, **kw),
    )


@settings(
    max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(architectures())
def test_training_matches_reference(arch):
    sizes, activations, loss, n, batch, bias, seed = arch
    rng = np.random.default_rng(seed)
    X, y = regression_data(rng, n, sizes[0], sizes[-1])
    fast, slow = twins(sizes, activations, loss, seed, bias=bias)
    assert np.array_equal(fast.params, slow.params)
    # sse grows with the data size: keep its steps comparable to mse's
    lr = 0.01 if loss == "mse" else 0.01 / n
    kw = dict(epochs=3, learning_rate=lr, batch_size=batch, shuffle=True)
    diverged = []
    for model in (fast, slow):
        try:
            model.fit(X, y, **kw)
            diverged.append(None)
        except fastnn.TrainingDiverged as error:  # deep linear stacks can blow up: both must
            diverged.append(error.epoch)
    assert diverged[0] == diverged[1]
    assert_close(fast.params, slow.params, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, what="loss history")


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize(
    "loss", [*REGRESSION_LOSSES, "binary_crossentropy", "categorical_crossentropy", "poisson"]
)
def test_predict_loss_gradient_match_reference(hidden, loss, rng):
    sizes = (3, 5, 4, 3)
    out = output_activation_for(loss, hidden)
    fast, slow = twins(sizes, [hidden, hidden, out], loss, seed=7)
    X = rng.standard_normal((11, 3))
    y = targets_for(loss, rng, 11, 3)
    w = rng.random(11) + 0.1
    assert_close(fast.predict(X), slow.predict(X), what="predict")
    assert_close(fast.loss(X, y), slow.loss(X, y), what="loss")
    assert_close(fast.gradient(X, y), slow.gradient(X, y), what="gradient")
    assert_close(fast.loss(X, y, w), slow.loss(X, y, w), what="weighted loss")
    assert_close(fast.gradient(X, y, w), slow.gradient(X, y, w), what="weighted gradient")


def test_many_rows_span_several_blocks(rng):
    """Prediction, loss and gradient walk big inputs in blocks of rows; the result is the same."""
    fast, slow = twins((4, 16, 2), "tanh", "mse", seed=3)
    X = rng.standard_normal((1000, 4))
    y = rng.standard_normal((1000, 2))
    assert_close(fast.predict(X), slow.predict(X))
    assert_close(fast.loss(X, y), slow.loss(X, y))
    assert_close(fast.gradient(X, y), slow.gradient(X, y))


def test_wide_layers_use_blas_and_still_match(rng):
    """Layers big enough for the BLAS path (np.dot) give the same training as the reference."""
    fast, slow = twins((32, 64, 64, 8), ["relu", "sigmoid", "identity"], "mse", seed=5)
    X, y = regression_data(rng, 96, 32, 8)
    for model in (fast, slow):
        model.fit(X, y, epochs=2, learning_rate=0.05, batch_size=32, seed=1)
    assert_close(fast.params, slow.params)
    assert_close(fast.history_.loss, slow.history_.loss)


@pytest.mark.parametrize("batch_size", [1, 5, None], ids=["per-sample", "mini-batch", "full"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_poisson_training_matches_reference(batch_size, dtype, rng):
    """The Poisson loss (exp output, counts with zeros) trains the same in both twins: Adam with
    L2 and sample weights, validation data and the full-set loss."""
    fast, slow = twins((3, 6, 2), ["tanh", "exp"], "poisson", seed=9, dtype=dtype)
    X = rng.standard_normal((23, 3))
    y = rng.poisson(np.exp(0.5 * X[:, :2]))
    assert (y == 0).any()
    w = rng.random(23) + 0.5
    kw = dict(epochs=4, learning_rate=0.02, batch_size=batch_size, optimizer="adam", l2=1e-3)
    for model in (fast, slow):
        model.fit(X, y, sample_weight=w, validation_data=(X[:7], y[:7]), loss_every=2, **kw)
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    assert_close(fast.params, slow.params, rtol=rtol, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, rtol=rtol, what="loss history")
    assert_close(fast.history_.val_loss, slow.history_.val_loss, rtol=rtol, what="val loss")
    assert_close(fast.history_.full_loss, slow.history_.full_loss, rtol=rtol, what="full loss")
    assert fast.history_.loss[-1] < fast.history_.loss[0]
