"""W4 (medium network, small batches, float64 and float32) and W6 (single-row predict)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from . import runners, workloads
from .harness import impl_params, rounds, time_training

IMPLS = ("fastnn", "reference", "jax", "torch", "sklearn")
ROUNDS = {"fastnn": 10, "jax": 10, "reference": 5, "torch": 3, "sklearn": 3}


@pytest.mark.benchmark(group="W4")
@pytest.mark.parametrize("impl", impl_params(IMPLS))
def test_w4_minibatch_sgd(benchmark, request, impl):
    time_training(benchmark, request, "W4", impl, ROUNDS[impl])


@pytest.mark.benchmark(group="W4")
@pytest.mark.parametrize("impl", impl_params(("fastnn", "reference", "jax", "torch"), quick=()))
def test_w4_float32(benchmark, request, impl):
    time_training(benchmark, request, "W4-f32", impl, ROUNDS[impl])


#: predict calls per round (a round should last a few milliseconds)
W6_ITERATIONS = {"fastnn": 2000, "fastnn-1d": 2000, "reference": 200, "torch": 200, "jax": 500}


@pytest.mark.benchmark(group="W6")
@pytest.mark.parametrize(
    "impl", impl_params(tuple(W6_ITERATIONS), quick=("fastnn", "fastnn-1d", "reference"))
)
def test_w6_single_row_predict(benchmark, request, impl):
    """One row through the W4 network: ``predict(x)`` with x of shape (1, 64), or (64,)."""
    import fastnn
    import fastnn.reference

    case = workloads.w4()
    row = np.ascontiguousarray(case.X[:1])
    threads = None
    try:
        if impl in ("fastnn", "fastnn-1d", "reference"):
            model = case.build(fastnn.reference if impl == "reference" else fastnn)
            fn, arg = model.predict, (row[0].copy() if impl == "fastnn-1d" else row)
        elif impl == "torch":
            predictor = runners.TorchPredictor(case)
            threads = predictor.torch.get_num_threads()
            predictor.torch.set_num_threads(predictor.threads)
            fn, arg = predictor.predict, row
        else:
            predictor = runners.JaxPredictor(case)
            fn, arg = predictor.predict, predictor.runner.X[:1]
    except runners.PeerMissing as exc:
        pytest.skip(str(exc))
    try:
        info = benchmark.extra_info
        info.update(workload="W6", impl=impl, title="single-row predict, W4 network")
        info["input_shape"] = list(np.shape(arg))
        if impl == "torch":
            info["threads"] = predictor.threads
        t0 = time.perf_counter()
        out = fn(arg)
        info["first_call_s"] = time.perf_counter() - t0
        expected = case.build(fastnn.reference).predict(row)
        np.testing.assert_allclose(np.asarray(out).reshape(expected.shape), expected, rtol=1e-9)
        benchmark.pedantic(
            fn,
            args=(arg,),
            rounds=rounds(request, 30),
            iterations=W6_ITERATIONS[impl],
            warmup_rounds=1,
        )
    finally:
        if threads is not None:
            predictor.torch.set_num_threads(threads)
