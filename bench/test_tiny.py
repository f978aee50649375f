"""W1–W3: the tutorial networks, where the cost of a step is all overhead."""

from __future__ import annotations

import pytest

from .harness import impl_params, time_training

IMPLS = ("fastnn", "reference", "jax", "torch")

#: rounds per implementation: fastnn runs take milliseconds, the others up to seconds
ROUNDS = {"fastnn": 30, "jax": 30, "reference": 5, "torch": 3}


@pytest.mark.benchmark(group="W1")
@pytest.mark.parametrize("impl", impl_params(IMPLS))
def test_w1_seed001_per_sample_sgd(benchmark, request, impl):
    time_training(benchmark, request, "W1", impl, ROUNDS[impl])


@pytest.mark.benchmark(group="W2")
@pytest.mark.parametrize("impl", impl_params(IMPLS))
def test_w2_seed003_full_batch(benchmark, request, impl):
    time_training(benchmark, request, "W2", impl, ROUNDS[impl])


@pytest.mark.benchmark(group="W3")
@pytest.mark.parametrize("impl", impl_params(IMPLS))
def test_w3_seed004_perceptron(benchmark, request, impl):
    time_training(benchmark, request, "W3", impl, ROUNDS[impl])
