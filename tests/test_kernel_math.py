"""The kernels' own ``exp`` (fastnn.kernels._math._exp): accurate, special values right."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from fastnn.kernels._jit import FASTMATH
from fastnn.kernels._math import _exp


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
