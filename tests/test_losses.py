"""Loss kernels (``fastnn.kernels.losses``) against their numpy twin (``fastnn.reference.losses``).

``_loss_rows`` on a block of rows gives ``Σ_i w_i ℓ_i`` and writes the output delta
``delta_scale · w_i · ∂ℓ_i/∂z``; the reference gives ``ℓ_i`` and ``∂ℓ_i/∂z`` per row. Every loss
with every output activation it may follow, unit and random sample weights, one row, one output,
an offset of the outputs inside their buffer, Huber residuals on both sides of delta, logits
large enough to overflow a naive log-sum-exp, and NaN. Arguments keep one type each (so the
kernel compiles once): int codes, float params, flat float64 ``P``/``Z``, 2-D ``Y`` and ``D``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ACTIVATIONS, REGRESSION_LOSSES, assert_close, targets_for

from fastnn._names import ACTIVATION_DEFAULT_PARAM, LOSS_NAMES, Activation, Loss
from fastnn.kernels.losses import _loss_norm, _loss_rows
from fastnn.reference import activations as reference_activations
from fastnn.reference import losses as reference

#: (loss, loss parameter, output activation) — every loss after every output it may follow
COMBINATIONS = [
    (loss, param, out)
    for loss, param in [("mse", 0.0), ("sse", 0.0), ("mae", 0.0), ("huber", 1.0), ("huber", 0.3)]
    for out in ACTIVATIONS
] + [
    ("poisson", 0.0, "exp"),
    ("binary_crossentropy", 0.0, "sigmoid"),
    ("categorical_crossentropy", 0.0, "softmax"),
]
IDS = [f"{loss}-{param:g}-{out}" for loss, param, out in COMBINATIONS]


def block(loss, out, rows, n, rng, z_scale=2.0, y=None):
    """Logits ``Z``, outputs ``P = f(Z)`` and targets ``Y`` for ``rows`` rows of ``n`` outputs."""
    Z = rng.standard_normal((rows, n)) * z_scale
    P = reference_activations.ACTIVATIONS[out][0](Z, ACTIVATION_DEFAULT_PARAM.get(out, 0.0))
    Y = targets_for(loss, rng, rows, n) if y is None else y
    return Z, P, Y


def both(loss, param, out, Z, P, Y, sw, delta_scale=0.7, p_off=0):
    """``(comp_total, comp_delta), (ref_total, ref_delta)`` for one block."""
    rows, n = Z.shape
    out_param = ACTIVATION_DEFAULT_PARAM.get(out, 0.0)
    values, slopes = reference.row_losses_and_gradients(loss, param, out, out_param, Y, P, Z)
    w = np.ones(rows) if sw.shape[0] == 0 else sw
    ref = ((w * values).sum(), delta_scale * w[:, None] * slopes)
    P_flat = np.concatenate([np.full(p_off, 99.0), P.ravel()])  # P after p_off other values
    D = np.full((1, rows * n), np.nan)  # every slot the kernel should write starts as NaN
    total = _loss_rows(
        int(Loss[loss.upper()]),
        float(param),
        int(Activation[out.upper()]),
        float(out_param),
        P_flat,
        p_off,
        np.ascontiguousarray(Z).ravel(),
        np.ascontiguousarray(Y, dtype=np.float64),
        sw,
        rows,
        n,
        D,
        float(delta_scale),
    )
    return (total, D[0].reshape(rows, n)), ref


NO_WEIGHTS = np.empty(0)


@pytest.mark.parametrize("weighted", [False, True], ids=["unit-weights", "sample-weights"])
@pytest.mark.parametrize(("loss", "param", "out"), COMBINATIONS, ids=IDS)
def test_loss_rows_matches_reference(loss, param, out, weighted, rng):
    n = 1 if loss == "binary_crossentropy" else 3
    Z, P, Y = block(loss, out, 9, n, rng)
    sw = rng.random(9) * 2.0 if weighted else NO_WEIGHTS
    (total, delta), (ref_total, ref_delta) = both(loss, param, out, Z, P, Y, sw)
    assert_close(total, ref_total, rtol=1e-10, what="loss")
    assert_close(delta, ref_delta, rtol=1e-10, what="delta")


@pytest.mark.parametrize(("rows", "n"), [(1, 1), (1, 4), (6, 1), (300, 2)])
@pytest.mark.parametrize(("loss", "param", "out"), COMBINATIONS[::4] + COMBINATIONS[-3:])
def test_loss_rows_shapes(loss, param, out, rows, n, rng):
    """One row, one output (width-1 layer), and a long block."""
    if loss == "categorical_crossentropy" and n < 2:
        n = 2  # a softmax output needs two units
    Z, P, Y = block(loss, out, rows, n, rng)
    sw = rng.random(rows)
    (total, delta), (ref_total, ref_delta) = both(loss, param, out, Z, P, Y, sw, p_off=5)
    assert_close(total, ref_total, rtol=1e-10, what="loss")
    assert_close(delta, ref_delta, rtol=1e-10, what="delta")


@pytest.mark.parametrize("delta", [0.05, 0.5, 1.0, 3.0])
def test_huber_on_both_sides_of_delta(delta, rng):
    Z = np.linspace(-3.0, 3.0, 24)
    Z[::2] *= 0.01  # half the residuals small, half large
    Z = Z.reshape(8, 3)
    Y = np.zeros((8, 3))
    Y[:, 1] = delta  # one column shifted by delta
    (total, slope), (ref_total, ref_slope) = both("huber", delta, "identity", Z, Z, Y, NO_WEIGHTS)
    r = np.abs(Z - Y)
    assert (r < delta).any() and (r > delta).any()
    assert_close(total, ref_total, rtol=1e-10)
    assert_close(slope, ref_slope, rtol=1e-10)


@pytest.mark.parametrize("scale", [30.0, 400.0, 1000.0])
def test_cross_entropies_with_large_logits(scale, rng):
    """Logits up to ±1000: e^z overflows, yet both losses stay finite and agree."""
    for loss, out, n in [
        ("binary_crossentropy", "sigmoid", 2),
        ("categorical_crossentropy", "softmax", 4),
    ]:
        with np.errstate(over="ignore"):
            Z, P, Y = block(loss, out, 11, n, rng, z_scale=scale)
        (total, delta), (ref_total, ref_delta) = both(loss, 0.0, out, Z, P, Y, rng.random(11))
        assert np.isfinite(total) and np.isfinite(delta).all()
        assert_close(total, ref_total, rtol=1e-10, what=loss)
        assert_close(delta, ref_delta, rtol=1e-10, what=loss)


@pytest.mark.parametrize("weighted", [False, True], ids=["unit-weights", "sample-weights"])
def test_poisson_is_half_the_deviance(weighted, rng):
    """``Σ w (y log(y/p) - y + p)`` written out directly (with y log y = 0 at y = 0), zero
    targets included, and the slope ``p - y``; both twins."""
    Z, P, _ = block("poisson", "exp", 12, 3, rng)
    Y = rng.poisson(2.0, (12, 3)).astype(float)
    Y[0] = 0.0
    sw = rng.random(12) + 0.5 if weighted else NO_WEIGHTS
    w = np.ones(12) if sw.shape[0] == 0 else sw
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(Y > 0, Y * np.log(Y / P), 0.0)
    expected = (w[:, None] * (ylogy - Y + P)).sum()
    (total, delta), (ref_total, _) = both("poisson", 0.0, "exp", Z, P, Y, sw, 1.0)
    assert (Y == 0).any() and (Y > 0).any()
    assert_close(total, expected, rtol=1e-12, what="kernel")
    assert_close(ref_total, expected, rtol=1e-12, what="reference")
    assert_close(delta, w[:, None] * (P - Y), rtol=1e-12, what="slope")


def test_poisson_vanishes_where_the_prediction_is_the_target(rng):
    """At p = y the half deviance and its slope are zero; elsewhere the loss is positive."""
    Y = rng.poisson(3.0, (6, 2)).astype(float) + 1.0
    Z = np.log(Y)
    (total, delta), _ = both("poisson", 0.0, "exp", Z, Y.copy(), Y, NO_WEIGHTS, 1.0)
    assert abs(total) < 1e-12 and np.abs(delta).max() < 1e-12
    (moved, _), _ = both("poisson", 0.0, "exp", Z + 0.1, np.exp(Z + 0.1), Y, NO_WEIGHTS, 1.0)
    assert moved > 0.0


def test_categorical_crossentropy_with_soft_targets(rng):
    """Targets that are not one-hot (label smoothing, rows not summing to 1)."""
    Z, P, _ = block("categorical_crossentropy", "softmax", 7, 5, rng)
    Y = rng.random((7, 5))
    (total, delta), (ref_total, ref_delta) = both(
        "categorical_crossentropy", 0.0, "softmax", Z, P, Y, NO_WEIGHTS
    )
    assert_close(total, ref_total, rtol=1e-10)
    assert_close(delta, ref_delta, rtol=1e-10)


@pytest.mark.parametrize(("loss", "param", "out"), COMBINATIONS[::3] + COMBINATIONS[-3:])
def test_no_delta_wanted_gives_the_same_loss(loss, param, out, rng):
    Z, P, Y = block(loss, out, 5, 2, rng)
    (total, _), (ref_total, _) = both(loss, param, out, Z, P, Y, NO_WEIGHTS, delta_scale=0.0)
    assert_close(total, ref_total, rtol=1e-10)


@pytest.mark.parametrize(("loss", "param", "out"), COMBINATIONS[::5] + COMBINATIONS[-3:])
def test_nan_output_gives_nan_loss(loss, param, out, rng):
    Z, P, Y = block(loss, out, 4, 3, rng)
    Z[2, 1] = np.nan
    with np.errstate(invalid="ignore"):
        P = reference_activations.ACTIVATIONS[out][0](Z, ACTIVATION_DEFAULT_PARAM.get(out, 0.0))
        (total, delta), (ref_total, ref_delta) = both(loss, param, out, Z, P, Y, NO_WEIGHTS)
    assert np.isnan(total) and np.isnan(ref_total)
    if out != "relu":  # relu's derivative drops a NaN slope: see test_activations.py
        assert np.isnan(delta[2]).any() and np.isnan(ref_delta[2]).any()
    for i in (0, 1, 3):  # every other row's delta is unaffected
        assert_close(delta[i], ref_delta[i], rtol=1e-10, what=f"row {i}")


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize(("weight_sum", "n_outputs"), [(1.0, 1), (7.0, 3), (0.25, 10)])
def test_loss_norm_matches_reference(loss, weight_sum, n_outputs):
    ref = reference.loss_norm(loss, weight_sum, n_outputs)
    comp = _loss_norm(int(Loss[loss.upper()]), weight_sum, n_outputs)
    assert_close(comp, ref, rtol=1e-15, what=loss)


def test_every_regression_loss_is_covered():
    assert {loss for loss, _, _ in COMBINATIONS} == set(LOSS_NAMES)
    assert set(REGRESSION_LOSSES) < set(LOSS_NAMES)
