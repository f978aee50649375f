"""W5: a BLAS-bound network, and the machine's float64 GEMM rate measured in the same run."""

from __future__ import annotations

import numpy as np
import pytest

from .harness import impl_params, rounds, time_training

IMPLS = ("fastnn", "reference", "jax", "torch", "sklearn")
ROUNDS = {"fastnn": 3, "reference": 3, "jax": 3, "torch": 3, "sklearn": 3}
GEMM_N = 2048


@pytest.mark.benchmark(group="W5")
@pytest.mark.parametrize("impl", impl_params(IMPLS, quick=()))
def test_w5_wide_relu_softmax(benchmark, request, impl):
    time_training(benchmark, request, "W5", impl, ROUNDS[impl])


@pytest.mark.benchmark(group="W5")
def test_w5_gemm_rate(benchmark, request):
    """``A @ B`` for two 2048×2048 float64 matrices: the yardstick for W5's FLOP rate."""
    rng = np.random.default_rng(0)
    A = rng.random((GEMM_N, GEMM_N))
    B = rng.random((GEMM_N, GEMM_N))
    C = np.empty((GEMM_N, GEMM_N))
    benchmark.extra_info.update(
        workload="W5", impl="gemm", title=f"A @ B, {GEMM_N}x{GEMM_N} float64", flops=2 * GEMM_N**3
    )
    np.matmul(A, B, out=C)  # warm-up: BLAS threads start
    benchmark.pedantic(np.matmul, args=(A, B), kwargs={"out": C}, rounds=rounds(request, 5))
    np.testing.assert_allclose(C[0, :4], A[0] @ B[:, :4])
