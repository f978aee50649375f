"""Whole-data-set objective kernels (``fastnn.kernels.objective``: ``_loss`` and
``_loss_and_gradient``) against the numpy twin (``fastnn.reference.MLP._loss_value`` and
``MLP._loss_gradient``).

Every loss with every output it may follow, every hidden activation, unit and random sample
weights, ``loss_scale``, one row, a width-1 network, and more rows than one block
(:data:`fastnn.kernels._jit.ROW_BLOCK`) so that the per-block losses and gradients are summed.
A central-difference check on θ tests ``_loss_and_gradient`` against ``_loss`` itself for every
activation and a few losses (``tests/test_gradients.py`` does the same through the public
``MLP.gradient``, which may run the precompiled copies of the kernels instead).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import (
    ACTIVATIONS,
    REGRESSION_LOSSES,
    assert_close,
    output_activation_for,
    targets_for,
)

import fastnn.reference
from fastnn.kernels._jit import ROW_BLOCK
from fastnn.kernels.objective import _loss, _loss_and_gradient

LOSSES = [*REGRESSION_LOSSES, "binary_crossentropy", "categorical_crossentropy", "poisson"]
NO_WEIGHTS = np.empty(0)


def model_for(sizes, hidden, loss, bias=True, seed=5):
    out = output_activation_for(loss, hidden)
    acts = [hidden] * (len(sizes) - 2) + [out]
    return fastnn.reference.MLP(sizes, acts, loss, seed=seed, bias=bias, init="normal")


def data(loss, rng, rows, n_in, n_out):
    X = rng.standard_normal((rows, n_in))
    Y = np.ascontiguousarray(targets_for(loss, rng, rows, n_out), dtype=np.float64)
    return X, Y


def kernel_loss(model, X, Y, sw, loss_scale=1.0):
    return _loss(model.params, model._net, model._netf, X, Y, sw, loss_scale)


def kernel_loss_and_gradient(model, X, Y, sw, loss_scale=1.0):
    grad = np.full(model.params.size, np.nan)
    loss = _loss_and_gradient(model.params, model._net, model._netf, X, Y, sw, loss_scale, grad)
    return loss, grad


def check(model, X, Y, sw, loss_scale=1.0):
    ref_grad = np.full(model.params.size, np.nan)
    ref = model._loss_gradient(X, Y, sw, loss_scale, ref_grad)
    assert_close(model._loss_value(X, Y, sw, loss_scale), ref, rtol=1e-12)
    assert_close(kernel_loss(model, X, Y, sw, loss_scale), ref, rtol=1e-10, what="_loss")
    comp, grad = kernel_loss_and_gradient(model, X, Y, sw, loss_scale)
    assert_close(comp, ref, rtol=1e-10, what="loss of _loss_and_gradient")
    assert_close(grad, ref_grad, rtol=1e-10, what="gradient")
    return comp, grad


@pytest.mark.parametrize("weighted", [False, True], ids=["unit-weights", "sample-weights"])
@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_loss_and_gradient_match_reference(loss, hidden, weighted, rng):
    model = model_for((3, 5, 4, 3), hidden, loss)
    X, Y = data(loss, rng, 17, 3, 3)
    sw = rng.random(17) * 2.0 if weighted else NO_WEIGHTS
    check(model, X, Y, sw)


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize(
    ("sizes", "rows"),
    [((2, 3, 2), 1), ((1, 1, 1, 2), 6), ((4, 6, 2), 2 * ROW_BLOCK + 19), ((30, 48, 3), 300)],
    ids=["one-row", "width-1", "blocks", "blas"],
)
def test_shapes(loss, sizes, rows, rng):
    model = model_for(sizes, "tanh", loss)
    X, Y = data(loss, rng, rows, sizes[0], sizes[-1])
    check(model, X, Y, rng.random(rows))


@pytest.mark.parametrize("loss", ["mse", "sse", "binary_crossentropy", "categorical_crossentropy"])
def test_loss_scale_and_no_biases(loss, rng):
    model = model_for((4, 6, 3), "sigmoid", loss, bias=False)
    X, Y = data(loss, rng, 12, 4, 3)
    loss_1, grad_1 = check(model, X, Y, NO_WEIGHTS, 1.0)
    loss_s, grad_s = check(model, X, Y, NO_WEIGHTS, 1.5)
    assert_close(loss_s, 1.5 * loss_1, rtol=1e-12)
    assert_close(grad_s, 1.5 * grad_1, rtol=1e-12)


def test_blocks_sum_to_the_whole(rng):
    """The blocked sums equal the loss of the blocks taken one by one (weighted mean)."""
    model = model_for((3, 4, 2), "relu", "mse")
    n = 2 * ROW_BLOCK + 7
    X, Y = data("mse", rng, n, 3, 2)
    whole = kernel_loss(model, X, Y, NO_WEIGHTS)
    parts = [slice(0, ROW_BLOCK), slice(ROW_BLOCK, 2 * ROW_BLOCK), slice(2 * ROW_BLOCK, n)]
    pieces = [kernel_loss(model, X[p], Y[p], NO_WEIGHTS) * (p.stop - p.start) for p in parts]
    assert_close(whole, sum(pieces) / n, rtol=1e-12)


def test_nan_input_gives_nan_loss(rng):
    model = model_for((3, 4, 2), "tanh", "mse")
    X, Y = data("mse", rng, 5, 3, 2)
    X[3, 0] = np.nan
    loss, grad = kernel_loss_and_gradient(model, X, Y, NO_WEIGHTS)
    assert np.isnan(loss) and np.isnan(kernel_loss(model, X, Y, NO_WEIGHTS))
    assert np.isnan(grad).any()


# --- the gradient is the slope of the loss ------------------------------------------------------


def central_differences(model, X, Y, sw, h=1e-6):
    theta = model.params
    grad = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + h
        up = kernel_loss(model, X, Y, sw)
        theta[i] = saved - h
        down = kernel_loss(model, X, Y, sw)
        theta[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad


@pytest.mark.parametrize(
    "loss", ["mse", "huber", "binary_crossentropy", "categorical_crossentropy"]
)
@pytest.mark.parametrize("hidden", ACTIVATIONS)
def test_gradient_matches_central_differences(hidden, loss, rng):
    model = model_for((3, 4, 5, 3), hidden, loss, seed=11)
    X, Y = data(loss, rng, 7, 3, 3)
    sw = rng.random(7) + 0.5
    _, analytic = kernel_loss_and_gradient(model, X, Y, sw)
    numeric = central_differences(model, X, Y, sw)
    err = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-300)
    assert err < 1e-6, f"relative error {err:.2e}"


@pytest.mark.parametrize("param", [("leaky_relu", 0.3), ("elu", 0.5)])
def test_parameterised_activation_gradients(param, rng):
    model = fastnn.reference.MLP((2, 6, 2), [param, "identity"], "sse", seed=2, init="normal")
    X, Y = data("sse", rng, 9, 2, 2)
    _, analytic = kernel_loss_and_gradient(model, X, Y, NO_WEIGHTS)
    numeric = central_differences(model, X, Y, NO_WEIGHTS)
    err = np.linalg.norm(analytic - numeric) / max(np.linalg.norm(numeric), 1e-300)
    assert err < 1e-6, f"relative error {err:.2e}"
