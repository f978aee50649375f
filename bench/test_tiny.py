"""W1–W3: the tutorial networks, where the cost of a step is all overhead.

Each workload has two tests. ``[gate]`` (marked ``quick``, what ``bench/gate.py`` runs) times
fastnn against its numpy reference twin. ``[peers]`` times fastnn against the tutorial's own
loop (the baseline, :mod:`bench.baselines`) and the peers: W1's hand-written Numba loop, JAX
``jit`` + ``lax.scan`` and PyTorch eager; for W1 also fastnn with ``fit``'s default shuffling,
whose cost has a target of its own. Rounds are interleaved (:func:`bench.harness.interleave`);
every implementation's trained parameters, and W1's loss history (the whole table's loss every
10 epochs), are checked against fastnn's before timing.
"""

from __future__ import annotations

import pytest

from .harness import compare_training, suites

GATE = ("fastnn", "reference")
PEERS = {
    "W1": ("fastnn", "tutorial", "numba", "fastnn-shuffled", "jax", "torch"),
    "W2": ("fastnn", "tutorial", "jax", "torch"),
    "W3": ("fastnn", "tutorial", "jax", "torch"),
}
#: interleaved rounds: the gate's are short (fastnn and the reference take under a second)
ROUNDS = {"gate": 7, "peers": 5}
#: rounds of the shuffle-cost comparison (about 50 ms each)
SHUFFLE_ROUNDS = 21


def _rounds(impls) -> int:
    return ROUNDS["gate" if tuple(impls) == GATE else "peers"]


@pytest.mark.benchmark(group="W1")
@pytest.mark.parametrize("impls", suites(GATE, PEERS["W1"]))
def test_w1_seed001_per_sample_sgd(benchmark, request, impls):
    compare_training(benchmark, request, "W1", impls, _rounds(impls))


@pytest.mark.benchmark(group="W1")
def test_w1_shuffle_cost(benchmark, request):
    """W1 with fit's default shuffling against ``shuffle=False``, the two alone in many short
    interleaved rounds. In the full comparison above the two are timed seconds apart (PyTorch
    and the tutorial run between them), and this VM's speed drifts by more than the few per cent
    in question; here they run back to back. :func:`bench.report.ratio` takes the comparison
    with most rounds, so the report's shuffled ratio is this one."""
    compare_training(benchmark, request, "W1", ("fastnn", "fastnn-shuffled"), SHUFFLE_ROUNDS)


@pytest.mark.benchmark(group="W2")
@pytest.mark.parametrize("impls", suites(GATE, PEERS["W2"]))
def test_w2_seed003_full_batch(benchmark, request, impls):
    compare_training(benchmark, request, "W2", impls, _rounds(impls))


@pytest.mark.benchmark(group="W3")
@pytest.mark.parametrize("impls", suites(GATE, PEERS["W3"]))
def test_w3_seed004_perceptron(benchmark, request, impls):
    compare_training(benchmark, request, "W3", impls, _rounds(impls))
