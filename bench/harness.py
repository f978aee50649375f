"""How the benchmark tests time a workload with pytest-benchmark.

Every benchmark records, in ``benchmark.extra_info``, the workload id and the implementation
(``workload``, ``impl``): :mod:`bench.report` and :mod:`bench.gate` read those, not test names.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from . import runners, workloads

#: Trained θ of fastnn per workload, to check that the other implementations did the same work.
_FASTNN_THETA: dict[str, np.ndarray] = {}


def rounds(request, n: int) -> int:
    """``n`` scaled by ``--bench-rounds-factor`` (at least 1)."""
    factor = request.config.getoption("bench_rounds_factor", 1.0)
    return max(1, round(n * factor))


def _fastnn_theta(name: str, case) -> np.ndarray:
    if name not in _FASTNN_THETA:
        runner = runners.make_runner(case, "fastnn")
        state = runner.fresh()
        runner.run(state)
        _FASTNN_THETA[name] = runner.theta(state)
    return _FASTNN_THETA[name]


def check_same_work(name: str, case, impl: str, theta: np.ndarray | None) -> float | None:
    """Fail unless ``theta`` (trained by ``impl``) equals fastnn's to rounding; the difference.

    The tolerance is relative to the largest parameter: 1e-7 in float64, 1e-4 in float32.
    """
    if theta is None:
        return None
    expected = _fastnn_theta(name, case)
    scale = max(float(np.max(np.abs(expected))), 1e-300)
    rel = float(np.max(np.abs(theta - expected))) / scale
    tol = 1e-7 if case.dtype == np.float64 else 1e-4
    if not rel <= tol:
        pytest.fail(
            f"{impl} on {name} ended with different parameters than fastnn (max relative "
            f"difference {rel:.2e} > {tol:g}): it did not do the same work"
        )
    return rel


def allocation_growth(case) -> dict | None:
    """Numba runtime allocations of one ``fit`` of ``case`` at two numbers of steps.

    A kernel that allocates per step allocates more in the longer run; fastnn's kernels allocate
    their workspaces once per call. The two runs stay within one kernel call (one "chunk").
    """
    import fastnn

    if case.epochs >= 4:
        small, large = dataclasses.replace(case, epochs=case.epochs // 4), case
    else:
        rows = case.n_samples // 4
        small = dataclasses.replace(case, epochs=1, X=case.X[:rows], Y=case.Y[:rows])
        large = dataclasses.replace(case, epochs=1)
    counts = {}
    for label, c in (("small", small), ("large", large)):
        model = c.build(fastnn)
        c.train(model)  # warm: load or compile outside the count
        model = c.build(fastnn)
        counts[label] = runners.nrt_allocations(lambda c=c, model=model: c.train(model))
        counts[f"{label}_steps"] = c.steps
    if counts["small"] is None:
        return None
    return counts


def time_training(benchmark, request, name: str, impl: str, n_rounds: int) -> None:
    """Benchmark ``impl`` training workload ``name``: warm-up, same-work check, timed rounds."""
    case = workloads.case(name)
    try:
        runner = runners.make_runner(case, impl)
    except runners.PeerMissing as exc:
        pytest.skip(str(exc))
    info = benchmark.extra_info
    info.update(
        workload=name,
        impl=impl,
        title=case.title,
        dtype=np.dtype(case.dtype).name,
        steps=case.steps,
        flops=case.training_flops(),
    )
    if impl in runners.PEER_MODULES:
        info["peer_version"] = runners.peer_version(impl)
    if getattr(runner, "notes", None):
        info["notes"] = runner.notes
    if getattr(runner, "threads", None):
        info["threads"] = runner.threads
    t0 = time.perf_counter()
    state = runner.fresh()
    runner.run(state)  # warm-up: Numba cache load or compile, XLA compile, torch lazy init
    info["first_call_s"] = time.perf_counter() - t0
    if impl == "fastnn":
        _FASTNN_THETA.setdefault(name, runner.theta(state))
        if name in ("W1", "W4"):
            info["nrt_allocations"] = allocation_growth(case)
    else:
        info["max_rel_diff_vs_fastnn"] = check_same_work(name, case, impl, runner.theta(state))
    benchmark.pedantic(
        runner.run,
        setup=lambda: ((runner.fresh(),), {}),
        rounds=rounds(request, n_rounds),
        iterations=1,
    )


def impl_params(impls, quick=("fastnn", "reference")):
    """``pytest.param`` per implementation; fastnn and the reference carry the ``quick`` mark."""
    return [
        pytest.param(impl, id=impl, marks=[pytest.mark.quick] if impl in quick else [])
        for impl in impls
    ]
