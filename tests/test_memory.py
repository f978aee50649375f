"""Training allocates nothing per step.

Two views. Numba's runtime counts every allocation made inside compiled code: a ``fit`` makes
the same number whatever its number of steps (the kernels allocate their workspaces once per
call). Python's tracemalloc sees every array, numpy's and the kernels' (Numba's runtime reports
to it): its peak during ``fit`` grows with the number of epochs only by the shuffling
orders (one int64 per row per epoch, and its 64-bit key) and the per-epoch loss history.
"""

from __future__ import annotations

import tracemalloc
from unittest import mock

import numpy as np
import pytest
from numba import njit
from numba.core.runtime import _nrt_python, rtsys

import fastnn
import fastnn._base


def nrt_allocations(fn) -> int:
    """Blocks allocated by Numba's runtime while ``fn()`` runs."""
    was_on = _nrt_python.memsys_stats_enabled()
    _nrt_python.memsys_enable_stats()
    try:
        before = rtsys.get_allocation_stats().alloc
        fn()
        return rtsys.get_allocation_stats().alloc - before
    finally:
        if not was_on:
            _nrt_python.memsys_disable_stats()


@pytest.fixture(autouse=True)
def jit_kernels(monkeypatch):
    """Run the JIT kernels: Numba's allocation statistics and tracemalloc see only their runtime
    (the precompiled kernels carry a runtime of their own)."""
    import fastnn.model
    from fastnn.kernels import _aot

    for name, entry in _aot.implementations("jit").items():
        monkeypatch.setattr(fastnn.model, name, entry)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    return rng.standard_normal((640, 16)), rng.standard_normal((640, 4))


def fresh_net():
    return fastnn.MLP((16, 32, 4), "tanh", "mse", seed=0)


@pytest.mark.needs_jit
def test_the_allocation_counter_sees_allocations_in_compiled_code():
    @njit
    def allocate(n):
        total = 0.0
        for i in range(n):
            total += np.empty(3)[0] * 0.0 + i
        return total

    allocate(1)
    assert nrt_allocations(lambda: allocate(10)) - nrt_allocations(lambda: allocate(2)) == 8


@pytest.mark.parametrize(
    "settings",
    [
        {"optimizer": "sgd"},
        {"optimizer": "sgd", "momentum": 0.9, "nesterov": True},
        {"optimizer": "adam", "clip_norm": 1.0},
        {"optimizer": "rmsprop", "l2": 1e-3},
        {"optimizer": "sgd", "loss_every": 2, "patience": 50},
    ],
    ids=["sgd", "nesterov", "adam-clip", "rmsprop-l2", "loss_every-patience"],
)
@pytest.mark.needs_jit
def test_a_fit_allocates_the_same_whatever_its_number_of_steps(data, settings):
    X, Y = data
    validation = (X[:50], Y[:50])

    def count(rows, epochs):
        net = fresh_net()
        kwargs = dict(learning_rate=0.01, batch_size=32, validation_data=validation, **settings)
        net.fit(X[:64], Y[:64], epochs=1, **kwargs)  # load the kernels outside the count
        return nrt_allocations(lambda: net.fit(X[:rows], Y[:rows], epochs=epochs, **kwargs))

    few = count(160, 1)  # 5 steps
    assert count(640, 1) == few  # 20 steps
    assert count(640, 8) == few  # 160 steps


def traced_peak(X, Y, epochs, shuffle):
    net = fresh_net()
    settings = dict(epochs=epochs, learning_rate=0.01, batch_size=32, shuffle=shuffle)
    # the same fit once untraced: what a first fit with these settings allocates once for the
    # process (fit's cache of checked settings, fastnn._base._plan_for, may grow its table)
    # is not the training's
    net.fit(X, Y, **settings)
    # fit's end-of-training check (one forward pass over at most 256 rows, whatever the epochs)
    # would set the peak of a short fit: left out, so the peak is the training's
    with mock.patch.object(fastnn._base, "warn_if_unhealthy"):
        tracemalloc.start()
        try:
            start = tracemalloc.get_traced_memory()[0]
            net.fit(X, Y, **settings)
            return tracemalloc.get_traced_memory()[1] - start
        finally:
            tracemalloc.stop()


#: bytes per epoch of history (loss, and the History's copy of it), with room to spare
HISTORY_BYTES_PER_EPOCH = 64


@pytest.mark.slow_as_python
def test_traced_peak_does_not_grow_with_epochs_without_shuffling(data):
    X, Y = data
    one, many = traced_peak(X, Y, 1, False), traced_peak(X, Y, 16, False)
    assert many - one <= 15 * HISTORY_BYTES_PER_EPOCH + 1024


@pytest.mark.slow_as_python
def test_traced_peak_grows_only_by_the_permutations_when_shuffling(data):
    X, Y = data
    one, many = traced_peak(X, Y, 1, True), traced_peak(X, Y, 16, True)
    # for each extra epoch: one int64 per row of its order, and the 64-bit key it is made from
    permutations = 15 * (X.shape[0] + 1) * 8
    assert many - one >= permutations  # they are there ...
    # ... and nothing else (tracemalloc also counts what other threads allocate meanwhile, such
    # as pytest-xdist's channel to its controller: a few KB of slack, against 77 KB of orders)
    assert many - one <= permutations + 15 * HISTORY_BYTES_PER_EPOCH + 4096
