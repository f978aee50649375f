"""W4 (medium network, small batches; float64, float32 and three more shapes) and W6 (predict).

W4's baseline is vectorised numpy (:class:`bench.baselines.NumpyMLP`); its peers are JAX
``jit`` + ``lax.scan``, PyTorch eager and scikit-learn's ``MLPRegressor``. The W4-like shapes
(48-96-48-8, 50-100-50-5, 32-64-32-4 on 16,000 rows) are timed against numpy and JAX. W6 times
``predict`` of the W4 network on one row (float64 and float32; ``fastnn-1d`` passes the row as a
1-D array) and on 1,000 rows, against numpy's three products. ``[gate]`` tests (fastnn and the
reference) are marked ``quick``. This module's BLAS runs on one thread (``bench/conftest.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import fastnn.reference

from . import runners, workloads
from .harness import compare_training, interleave, suites

GATE = ("fastnn", "reference")
W4_PEERS = ("fastnn", "numpy", "jax", "torch", "sklearn")
ROUNDS = {"gate": 5, "peers": 5}


def _rounds(impls) -> int:
    return ROUNDS["gate" if tuple(impls) == GATE else "peers"]


@pytest.mark.benchmark(group="W4")
@pytest.mark.parametrize("impls", suites(GATE, W4_PEERS))
def test_w4_minibatch_sgd(benchmark, request, impls):
    compare_training(benchmark, request, "W4", impls, _rounds(impls))


@pytest.mark.benchmark(group="W4")
def test_w4_float32(benchmark, request):
    impls = ("fastnn", "numpy", "reference", "jax", "torch")
    compare_training(benchmark, request, "W4-f32", impls, ROUNDS["peers"])


@pytest.mark.benchmark(group="W4-shapes")
@pytest.mark.parametrize(
    "name", [workloads.case(workloads._shape_name(s)).id for s in workloads.MEDIUM_SHAPES]
)
def test_w4_shapes(benchmark, request, name):
    compare_training(benchmark, request, name, ("fastnn", "numpy", "jax"), ROUNDS["peers"])


#: predict calls per timed run, per workload and implementation (a run lasts milliseconds)
CALLS = {
    "one-row": {
        "fastnn": 2000,
        "fastnn-1d": 2000,
        "reference": 200,
        "numpy": 500,
        "torch": 200,
        "jax": 500,
    },
    "W6-1000": {"fastnn": 20, "reference": 10, "numpy": 20, "torch": 10, "jax": 10},
}


def _predict(benchmark, request, name, impls, n_rounds):
    work = workloads.predict_case(name)
    calls = CALLS["W6-1000" if name == "W6-1000" else "one-row"]
    expected = work.case.build(fastnn.reference).predict(work.X)
    rtol = 1e-9 if work.dtype == np.float64 else 1e-5

    def check(impl, runner, _state):
        out = runner.output().reshape(expected.shape)
        np.testing.assert_allclose(out, expected, rtol=rtol, atol=rtol * 1e-3)
        return {"output_matches_reference": True}

    info = dict(
        title=work.title,
        dtype=np.dtype(work.dtype).name,
        rows=work.n_rows,
        flops=work.flops(),
    )
    interleave(
        benchmark,
        request,
        name,
        impls,
        n_rounds,
        lambda impl: runners.Predictor(work, impl, calls[impl]),
        check=check,
        info=info,
    )


@pytest.mark.benchmark(group="W6")
@pytest.mark.parametrize(
    "impls",
    suites(("fastnn", "fastnn-1d", "reference"), ("fastnn", "fastnn-1d", "numpy", "torch", "jax")),
)
def test_w6_single_row_predict(benchmark, request, impls):
    """One row through the W4 network: ``predict(x)`` with x of shape (1, 64), or (64,)."""
    _predict(benchmark, request, "W6", impls, 7)


@pytest.mark.benchmark(group="W6")
def test_w6_single_row_predict_float32(benchmark, request):
    _predict(benchmark, request, "W6-f32", ("fastnn", "fastnn-1d", "numpy", "torch", "jax"), 7)


@pytest.mark.benchmark(group="W6")
def test_w6_1000_rows_predict(benchmark, request):
    _predict(benchmark, request, "W6-1000", ("fastnn", "numpy", "reference", "torch", "jax"), 7)
