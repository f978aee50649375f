"""The kernels' own ``exp`` (fastnn.kernels._math._exp, and ``_exp32`` for float32): accurate,
special values right; and the float32 sigmoid and softmax built on ``_exp32``."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from fastnn.kernels._jit import FASTMATH
from fastnn.kernels._math import _exp, _exp32, _exp_of


@njit(fastmath=set(FASTMATH), error_model="numpy")
def _exp_all(x, out):
    # compiled with the kernels' fastmath flags, as a loop: the way the kernels use it
    for i in range(x.shape[0]):
        out[i] = _exp(x[i])


def kernel_exp(x):
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty_like(x)
    _exp_all(x, out)
    return out


@pytest.mark.slow_as_python
def test_within_one_ulp_of_numpy_wherever_the_result_is_normal():
    rng = np.random.default_rng(0)
    x = np.concatenate(
        [
            np.linspace(-708.3, 709.78, 1_000_001),
            rng.standard_normal(200_000) * 30,
            rng.uniform(-1e-3, 1e-3, 50_000),
            np.linspace(709.0, 709.782, 10_001),  # just below overflow
        ]
    )
    got = kernel_exp(x)
    want = np.exp(x)
    ulps = np.abs(got - want) / np.spacing(want)
    assert ulps.max() <= 2.0
    assert ulps.mean() < 0.5


def test_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 709.79, 710.0, 1e308, -746.0, -1e308])
    got = kernel_exp(x)
    assert np.isnan(got[0])
    assert got[1] == np.inf and got[2] == 0.0
    assert got[3] == 1.0 and got[4] == 1.0
    assert np.all(np.isinf(got[5:8]))
    assert got[8] == 0.0 and got[9] == 0.0


def test_subnormal_results_are_close_in_absolute_terms():
    x = np.linspace(-745.0, -708.5, 100_001)
    got, want = kernel_exp(x), np.exp(x)
    assert np.all(got >= 0.0)
    assert np.abs(got - want).max() <= 4 * np.spacing(0.0)


@pytest.mark.parametrize("x", [1e-300, -1e-300, 1e-20, 0.5, -0.5, 88.0, -88.0, 700.0, -700.0])
def test_single_values(x):
    assert kernel_exp([x])[0] == pytest.approx(np.exp(x), rel=4e-16)


# --- float32 ---------------------------------------------------------------------------------

F32 = np.float32


@njit(fastmath=set(FASTMATH), error_model="numpy")
def _exp_of_all(x, out):
    for i in range(x.shape[0]):
        out[i] = _exp_of(x[i])


def kernel_exp32(x):
    x = np.ascontiguousarray(x, dtype=F32)
    out = np.empty_like(x)
    _exp_of_all(x, out)
    return out


def exact_exp(x):
    """e**x of float32 values, in float64 (exact to far below a float32 ulp)."""
    return np.exp(np.asarray(x, dtype=np.float64))


def float32_ulps(got, exact):
    """|got - exact| in units of the float32 spacing at ``exact`` rounded to float32."""
    return np.abs(got.astype(np.float64) - exact) / np.spacing(exact.astype(F32)).astype(np.float64)


def test_exp_of_picks_the_precision_of_its_argument():
    assert kernel_exp32([1.0]).dtype == F32
    x = np.array([0.3, -2.5])
    out = np.empty_like(x)
    _exp_of_all(x, out)
    assert np.array_equal(out, kernel_exp(x))  # float64: _exp itself, bit for bit
    assert _exp_of(F32(0.5)) == _exp32(F32(0.5))


@pytest.mark.slow_as_python
def test_exp32_within_1_5_ulp_wherever_the_result_is_a_normal_float32():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        [
            np.linspace(-87.33, 88.72, 2_000_001).astype(F32),
            (rng.standard_normal(200_000) * 10).astype(F32),
            rng.uniform(-1e-3, 1e-3, 50_000).astype(F32),
            np.linspace(88.0, 88.7228, 10_001).astype(F32),  # just below overflow
        ]
    )
    exact = exact_exp(x)
    ulps = float32_ulps(kernel_exp32(x), exact)
    assert ulps.max() <= 1.5
    assert ulps.mean() < 0.5


def test_exp32_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 88.73, 89.0, 3e38, -104.0, -3e38], F32)
    got = kernel_exp32(x)
    assert np.isnan(got[0])
    assert got[1] == np.inf and got[2] == 0.0
    assert got[3] == 1.0 and got[4] == 1.0
    assert np.all(np.isinf(got[5:8]))
    assert got[8] == 0.0 and got[9] == 0.0


def test_exp32_subnormal_results_are_close_in_absolute_terms():
    x = np.linspace(-103.9, -87.4, 100_001).astype(F32)
    got, exact = kernel_exp32(x), exact_exp(x)
    assert np.all(got >= 0.0)
    assert np.abs(got.astype(np.float64) - exact).max() <= 1.0 * float(np.spacing(F32(0.0)))


@pytest.mark.parametrize("name", ["sigmoid", "softmax"])
def test_float32_sigmoid_and_softmax_within_a_few_ulp(name):
    """The float32 kernels of the two activations built on ``_exp32`` (on 64 values: the
    vectorised loops), against the exact function of the same float32 inputs."""
    from fastnn._names import Activation
    from fastnn.kernels.activations import _activate

    z = np.concatenate([np.linspace(-80.0, 80.0, 40), np.linspace(-3.0, 3.0, 24)]).astype(F32)
    buf = z.copy()
    _activate(int(Activation[name.upper()]), 0.0, buf, 0, 64, 8 if name == "softmax" else 64)
    assert buf.dtype == F32
    z64 = z.astype(np.float64)
    if name == "sigmoid":
        exact = 1.0 / (1.0 + np.exp(-z64))
    else:
        # the shift by the row's maximum is a float32 subtraction in any float32 softmax (its
        # rounding moves the result by up to |z - max| * 2**-24 relative): start from it
        rows = z.reshape(8, 8)
        shifted = (rows - rows.max(axis=1, keepdims=True)).astype(np.float64)
        e = np.exp(shifted)
        exact = (e / e.sum(axis=1, keepdims=True)).ravel()
    tiny = exact < np.finfo(F32).tiny  # e.g. sigmoid(-80): its float32 result may be 0
    assert np.abs(buf[tiny].astype(np.float64) - exact[tiny]).max(initial=0.0) < 1e-37
    assert float32_ulps(buf[~tiny], exact[~tiny]).max() <= 4.0
