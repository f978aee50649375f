"""W5 (a BLAS-bound network) and the GEMM rates the report measures FLOP rates against.

W5's baseline is vectorised numpy (:class:`bench.baselines.NumpyMLP`); the reference twin,
JAX, PyTorch and scikit-learn are timed in the same interleaved rounds, with BLAS free to use
every core. The GEMM tests (group ``GEMM``) time ``A @ B`` for two 2048×2048 matrices in the
same run: float64 on every core (W5's target is a fraction of that rate), and float64 and
float32 on one core (threadpoolctl holds BLAS to one thread), each through numpy's BLAS and
scipy's (the one fastnn's kernels call). The report takes the faster library per dtype as one
core's measured peak and quotes W4's, W5's and the W4-like shapes' rates as a percentage of it.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

from .harness import compare_training, rounds

GEMM_N = 2048


@pytest.mark.benchmark(group="W5")
def test_w5_wide_relu_softmax(benchmark, request):
    impls = ("fastnn", "numpy", "reference", "jax", "torch", "sklearn")
    compare_training(benchmark, request, "W5", impls, 3)


def _gemm(library: str, dtype):
    rng = np.random.default_rng(0)
    A = rng.random((GEMM_N, GEMM_N)).astype(dtype)
    B = rng.random((GEMM_N, GEMM_N)).astype(dtype)
    if library == "numpy":
        C = np.empty((GEMM_N, GEMM_N), dtype=dtype)
        return (lambda: np.matmul(A, B, out=C)), A, B, lambda: C
    from scipy.linalg import blas

    gemm = blas.dgemm if dtype == np.float64 else blas.sgemm
    Af, Bf = np.asfortranarray(A), np.asfortranarray(B)  # Fortran order: no copies
    out = {}

    def run():
        out["C"] = gemm(1.0, Af, Bf)

    return run, A, B, lambda: out["C"]


@pytest.mark.benchmark(group="GEMM")
@pytest.mark.parametrize("library", ["numpy", "scipy"])
@pytest.mark.parametrize(
    ("dtype", "threads"),
    [("float64", "all"), ("float64", 1), ("float32", 1)],
    ids=["float64-all", "float64-1", "float32-1"],
)
def test_gemm_rate(benchmark, request, dtype, threads, library):
    """``A @ B``, 2048×2048: every core (float64), or one core (float64, float32)."""
    from threadpoolctl import threadpool_info, threadpool_limits

    dt = np.dtype(dtype).type
    run, A, B, result = _gemm(library, dt)
    benchmark.extra_info.update(
        workload="GEMM",
        impl=f"gemm-{dtype}-{threads}",
        library=library,
        dtype=dtype,
        threads=threads,
        title=f"A @ B, {GEMM_N}x{GEMM_N} {dtype}, {threads} BLAS thread(s), {library}",
        flops=2 * GEMM_N**3,
    )
    limit = threadpool_limits(limits=1, user_api="blas") if threads == 1 else None
    with limit or contextlib.nullcontext():
        # the BLAS this library calls (its own bundled OpenBLAS), as threadpoolctl sees it
        benchmark.extra_info["blas"] = [
            {k: e.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for e in threadpool_info()
            if e.get("user_api") == "blas" and library in (e.get("filepath") or "")
        ]
        run()  # warm-up: BLAS threads start, pages are touched
        benchmark.pedantic(run, rounds=rounds(request, 3))
    tol = 1e-9 if dt == np.float64 else 1e-3
    np.testing.assert_allclose(result()[0, :4], A[0] @ B[:, :4], rtol=tol)
