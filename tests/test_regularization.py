"""L2 penalty and gradient clipping (``fastnn.kernels.regularization``) against their numpy twins
(``fastnn.reference.MLP._add_l2`` and ``fastnn.reference.regularization.clip_by_global_norm``).

``_add_l2`` adds ``l2 · W`` to the gradient of every weight, none to the biases, and returns
``½ l2 ΣW²``; networks with and without biases, width-1 layers, one layer, ``l2 = 0``. Clipping:
norms below, at and above the limit, a zero gradient, a single value, ``clip_norm = 0`` (off)
and a NaN gradient (left as it is by both).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

import fastnn.reference
from fastnn.kernels.regularization import _add_l2, _add_l2_call, _clip_by_global_norm
from fastnn.reference.regularization import clip_by_global_norm

NETWORKS = {
    "3-5-2": dict(layer_sizes=(3, 5, 2)),
    "no-bias": dict(layer_sizes=(4, 6, 3), bias=False),
    "width-1": dict(layer_sizes=(1, 1, 1, 1)),
    "one-layer": dict(layer_sizes=(7, 1)),
    "deep": dict(layer_sizes=(6, 9, 1, 8, 4)),
}


def reference_model(layer_sizes, bias=True, seed=3):
    model = fastnn.reference.MLP(layer_sizes, "tanh", "mse", seed=seed, bias=bias, init="normal")
    return model


@pytest.mark.parametrize("kernel", [_add_l2, _add_l2_call], ids=["inline", "call"])
@pytest.mark.parametrize("l2", [0.0, 1e-4, 0.3, 5.0])
@pytest.mark.parametrize("network", list(NETWORKS))
def test_add_l2_matches_reference(network, l2, kernel, rng):
    model = reference_model(**NETWORKS[network])
    grad = rng.standard_normal(model.params.size)
    ref_grad = grad.copy()
    ref = model._add_l2(ref_grad, l2)
    comp_grad = grad.copy()
    comp = kernel(model.params, model._net, comp_grad, l2)
    assert_close(comp, ref, rtol=1e-10, what="penalty")
    assert_close(comp_grad, ref_grad, rtol=1e-10, what="gradient")
    mask = model._layout.weight_mask()
    assert np.array_equal(comp_grad[~mask], grad[~mask]), "a bias gradient changed"
    if l2 == 0.0:
        assert comp == 0.0 and np.array_equal(comp_grad, grad)
    else:
        assert comp > 0.0


@pytest.mark.parametrize(
    ("values", "clip_norm"),
    [
        (np.array([3.0, 4.0]), 10.0),  # norm 5: below the limit, unchanged
        (np.array([3.0, 4.0]), 5.0),  # at the limit: 5 / (5 + 1e-6) < 1 scales a hair
        (np.array([3.0, 4.0]), 1.0),
        (np.array([-7.5]), 0.5),  # one value
        (np.zeros(6), 1.0),  # zero gradient: no division by zero
        (np.array([1e150, -1e150, 3e149]), 2.0),  # huge values
        (np.random.default_rng(4).standard_normal(1001) * 3.0, 1.0),
        (np.random.default_rng(5).standard_normal(50) * 1e-4, 1.0),
    ],
    ids=["below", "at", "above", "one", "zero", "huge", "random-long", "random-small"],
)
def test_clip_by_global_norm_matches_reference(values, clip_norm):
    ref = values.copy()
    clip_by_global_norm(ref, clip_norm)
    comp = values.copy()
    _clip_by_global_norm(comp, clip_norm)
    assert_close(comp, ref, rtol=1e-10)
    assert np.linalg.norm(comp) <= max(clip_norm, np.linalg.norm(values) * (1 + 1e-12))


def test_clip_scales_down_to_the_limit(rng):
    g = rng.standard_normal(40) * 10.0
    _clip_by_global_norm(g, 0.5)
    assert_close(np.linalg.norm(g), 0.5, rtol=1e-5)


def test_clip_norm_zero_is_off(rng):
    g = rng.standard_normal(12) * 100.0
    comp = g.copy()
    _clip_by_global_norm(comp, 0.0)
    assert np.array_equal(comp, g)


def test_nan_gradient_passes_through_clipping():
    g = np.array([1e3, np.nan, -2e3])
    ref = g.copy()
    clip_by_global_norm(ref, 1.0)
    comp = g.copy()
    _clip_by_global_norm(comp, 1.0)
    assert np.isnan(comp[1]) and np.isnan(ref[1])
    assert_close(comp[[0, 2]], ref[[0, 2]], rtol=1e-10)


def test_nan_weight_gives_nan_penalty():
    model = reference_model((2, 3, 1))
    model._theta[0] = np.nan  # W_0[0, 0]
    grad = np.zeros(model.params.size)
    penalty = _add_l2(model.params, model._net, grad, 0.1)
    assert np.isnan(penalty) and np.isnan(grad[0])
    assert np.isfinite(grad[1:]).all()
