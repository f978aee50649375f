"""Analytic gradients against central finite differences on θ, for every activation and loss."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ACTIVATIONS, REGRESSION_LOSSES, output_activation_for, targets_for

import fastnn
import fastnn.reference as ref

LOSSES = [*REGRESSION_LOSSES, "binary_crossentropy", "categorical_crossentropy", "poisson"]


def finite_difference_gradient(model, X, y, w=None, h=1e-6):
    theta = model.params
    grad = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + h
        up = model.loss(X, y, w)
        theta[i] = saved - h
        down = model.loss(X, y, w)
        theta[i] = saved
        grad[i] = (up - down) / (2 * h)
    return grad


def relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize("implementation", [fastnn, ref], ids=["compiled", "reference"])
@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("loss", LOSSES)
def test_gradient_matches_central_differences(implementation, hidden, loss, rng):
    out = output_activation_for(loss, hidden)
    model = implementation.MLP((3, 4, 5, 3), [hidden, hidden, out], loss, seed=11)
    X = rng.standard_normal((7, 3))
    y = targets_for(loss, rng, 7, 3)
    analytic = model.gradient(X, y)
    numeric = finite_difference_gradient(model, X, y)
    assert relative_error(analytic, numeric) < 1e-6


@pytest.mark.parametrize("param", [("leaky_relu", 0.3), ("elu", 0.5)])
def test_parameterised_activations(param, rng):
    model = fastnn.MLP((2, 6, 1), [param, "identity"], "mse", seed=2)
    X = rng.standard_normal((9, 2))
    y = rng.standard_normal(9)
    assert relative_error(model.gradient(X, y), finite_difference_gradient(model, X, y)) < 1e-6


def test_huber_delta_and_sample_weights(rng):
    model = fastnn.MLP((2, 5, 2), "tanh", ("huber", 0.3), seed=4)
    X = rng.standard_normal((10, 2))
    y = 2 * rng.standard_normal((10, 2))
    w = rng.random(10)
    analytic = model.gradient(X, y, w)
    assert relative_error(analytic, finite_difference_gradient(model, X, y, w)) < 1e-6


def test_network_without_biases(rng):
    model = fastnn.MLP((3, 4, 1), "sigmoid", "sse", seed=0, bias=False)
    assert model.n_params == 3 * 4 + 4 * 1
    X = rng.standard_normal((4, 3))
    y = rng.random(4)
    assert relative_error(model.gradient(X, y), finite_difference_gradient(model, X, y)) < 1e-6
