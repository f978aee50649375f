"""How the benchmark tests time a workload: interleaved rounds inside pytest-benchmark.

A comparison test times several implementations of one workload in the same rounds
(:func:`interleave`) and records them in ``benchmark.extra_info``: ``workload`` and
``interleaved`` (every implementation's time per round). Tests that time one thing record
``workload`` and ``impl``. :mod:`bench.report` and :mod:`bench.gate` read those, not test names.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
import time

import numpy as np
import pytest

from . import runners, workloads
from .floors import ALLOCATION_CHECKS

#: Trained θ of fastnn per workload, to check that the other implementations did the same work.
_FASTNN_THETA: dict[str, np.ndarray] = {}
#: fastnn's whole-data loss history per workload (where the workload records one)
_FASTNN_FULL_LOSS: dict[str, np.ndarray] = {}


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


#: a round times each implementation for at least this long: quick ones run several times in a
#: row and their round's time is the median of those runs
BLOCK_S = 0.025
MAX_REPS = 20


@dataclasses.dataclass
class _Entry:
    impl: str
    runner: object
    calls: int = 1
    reps: int = 1
    times: list = dataclasses.field(default_factory=list)

    def once(self) -> float:
        state = self.runner.fresh()
        t0 = time.perf_counter()
        self.runner.run(state)
        return (time.perf_counter() - t0) / self.calls


def _build(factory, impls):
    built, missing = {}, {}
    for impl in impls:
        try:
            built[impl] = factory(impl)
        except runners.PeerMissing as exc:
            missing[impl] = str(exc)
    return built, missing


def interleave(
    benchmark,
    request,
    name: str,
    impls,
    n_rounds: int,
    factory,
    *,
    check=None,
    info=None,
    warmup: bool = True,
) -> dict:
    """Time ``impls`` on workload ``name`` in interleaved rounds; record it in the benchmark.

    ``factory(impl)`` makes a runner (raising :class:`bench.runners.PeerMissing` for a library
    that is not installed: that implementation is left out and listed under ``missing``). Each
    runner is run once untimed (compile, cache load, lazy initialisation: ``first_call_s``), then
    ``check(impl, runner, state)`` may verify its result. Every round then times each
    implementation in turn, starting from a different one each round; an implementation faster
    than :data:`BLOCK_S` runs several times in a row and its round's time is their median. So
    every implementation sees the same stretch of machine time, and a ratio can be taken round
    by round (:func:`bench.report.ratio`).

    With ``warmup=False`` (a run that must start cold, e.g. compiling from an empty cache) there
    is no untimed run and every implementation runs once per round.

    The pytest-benchmark statistics of such a test are those of whole rounds (meaningless on
    their own); the per-implementation times are in ``extra_info["interleaved"]``.
    """
    built, missing = _build(factory, impls)
    extra = benchmark.extra_info
    extra.update(info or {})
    extra["workload"] = name
    record = {
        "impls": list(built),
        "missing": missing,
        "first_call_s": {},
        "reps": {},
        "calls": {},
        "times": {},
        "notes": {},
        "threads": {},
        "versions": {},
        "checks": {},
    }
    extra["interleaved"] = record
    if not built:
        pytest.skip(f"{name}: none of {', '.join(impls)} is available")
    entries = []
    for impl, runner in built.items():
        entry = _Entry(impl, runner, calls=getattr(runner, "calls", 1))
        if warmup:
            t0 = time.perf_counter()
            state = runner.fresh()
            runner.run(state)
            record["first_call_s"][impl] = time.perf_counter() - t0
            if check is not None:
                result = check(impl, runner, state)
                if result is not None:
                    record["checks"][impl] = result
            once = entry.once() * entry.calls
            entry.reps = int(min(MAX_REPS, max(1, math.ceil(BLOCK_S / max(once, 1e-9)))))
        record["reps"][impl] = entry.reps
        record["calls"][impl] = entry.calls
        if getattr(runner, "notes", None):
            record["notes"][impl] = runner.notes
        if getattr(runner, "threads", None):
            record["threads"][impl] = runner.threads
        if impl in runners.PEER_MODULES:
            record["versions"][impl] = runners.peer_version(impl)
        entries.append(entry)

    def one_round():
        k = len(entries[0].times)
        for entry in entries[k % len(entries) :] + entries[: k % len(entries)]:
            entry.times.append(statistics.median(entry.once() for _ in range(entry.reps)))

    benchmark.pedantic(one_round, rounds=rounds(request, n_rounds), iterations=1)
    record["times"] = {e.impl: e.times for e in entries}
    return record


def training_check(name: str, case):
    """The ``check`` of a training workload: same θ as fastnn's, and the same loss history."""

    def check(impl, runner, state):
        result = {}
        theta = runner.theta(state)
        if impl == "fastnn":
            _FASTNN_THETA.setdefault(name, theta)
        elif theta is not None:
            result["max_rel_diff_vs_fastnn"] = check_same_work(name, case, impl, theta)
        history = getattr(runner, "full_loss", lambda _s: None)(state)
        if history is not None:
            history = np.asarray(history, dtype=np.float64)
            if impl == "fastnn":
                _FASTNN_FULL_LOSS.setdefault(name, history)
            elif name in _FASTNN_FULL_LOSS and impl != "fastnn-shuffled":
                expected = _FASTNN_FULL_LOSS[name]
                if history.shape != expected.shape or not np.allclose(
                    history, expected, rtol=1e-7, atol=1e-12
                ):
                    pytest.fail(f"{impl} on {name}: its loss history differs from fastnn's")
                result["loss_history_matches"] = True
            result["loss_history_points"] = len(history)
        return result or None

    return check


def compare_training(benchmark, request, name: str, impls, n_rounds: int) -> dict:
    """Interleaved rounds of ``impls`` training workload ``name`` (see :func:`interleave`)."""
    case = workloads.case(name)
    impls = list(impls)
    if "fastnn" in impls:  # fastnn first: the others are checked against its θ
        impls.remove("fastnn")
        impls.insert(0, "fastnn")
    info = dict(
        title=case.title,
        dtype=np.dtype(case.dtype).name,
        steps=case.steps,
        flops=case.training_flops(),
    )
    record = interleave(
        benchmark,
        request,
        name,
        impls,
        n_rounds,
        lambda impl: runners.make_runner(case, impl),
        check=training_check(name, case),
        info=info,
    )
    if "fastnn" in record["impls"] and name in ALLOCATION_CHECKS:
        benchmark.extra_info["nrt_allocations"] = allocation_growth(case)
    return record


def suites(gate, peers, ids=("gate", "peers")):
    """``pytest.param`` per suite: the gate's (fastnn and the reference; marked ``quick``) and
    the full comparison with baselines and peers."""
    return [
        pytest.param(tuple(gate), id=ids[0], marks=[pytest.mark.quick]),
        pytest.param(tuple(peers), id=ids[1]),
    ]
