"""Chunks of epochs: the training engine sizes them by measured time, and they never change what
is computed.

Each chunk is one call of the compiled training loop, which a KeyboardInterrupt cannot stop, so
each aims at about ``engine.CHUNK_SECONDS`` at the rate measured on the chunks before it. The
sizes are checked here on a fake clock (deterministic, untimed); the latency of a real Ctrl-C is
measured by ``bench/test_interrupt.py``.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PEOPLE_X, PEOPLE_Y, fixed_chunks, regression_data

import fastnn
import fastnn.reference as ref
from fastnn import engine
from fastnn.engine import TrainConfig

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

X, Y = regression_data(np.random.default_rng(11), 16, 3, 2)


def _net(nn, seed=5):
    return nn.MLP((3, 4, 2), "tanh", seed=seed)


def _record_chunks(model, seconds_per_epoch=None, clock=None):
    """Record the epochs of each kernel call of ``model``; with ``seconds_per_epoch(first)``,
    each call advances the fake ``clock`` (a one-item list) by its epochs × that."""
    counts = []
    original = model._train_chunk

    def chunk(X, Y, sw, perms, first, count, *rest):
        counts.append(count)
        if seconds_per_epoch is not None:
            clock[0] += count * seconds_per_epoch(first)
        return original(X, Y, sw, perms, first, count, *rest)

    model._train_chunk = chunk
    return counts


@IMPLEMENTATIONS
def test_chunks_follow_the_measured_seconds_per_epoch(nn, monkeypatch):
    # powers of two throughout, so every rate and size below is exact
    clock = [0.0]
    monkeypatch.setattr(engine, "_clock", lambda: clock[0])
    monkeypatch.setattr(engine, "CHUNK_SECONDS", 2.0**-3)
    monkeypatch.setattr(engine, "_epoch_seconds", lambda *args: 2.0**-7)  # first chunk: 16

    def seconds_per_epoch(first):
        # fast, then 8 times slower (the machine got busy), then 64 times faster than that
        return 2.0**-10 if first < 600 else 2.0**-7 if first < 800 else 2.0**-13

    model = _net(nn)
    counts = _record_chunks(model, seconds_per_epoch, clock)
    model.fit(X, Y, epochs=2500, learning_rate=0.01, batch_size=8)
    assert counts == [
        16,  # the estimate: 2^-3 s at 2^-7 s an epoch
        64,  # it ran in 2^-6 s: 128 epochs would take 2^-3 s, but growth is capped at 4×
        128, 128, 128, 128, 128,  # about CHUNK_SECONDS each
        128,  # starts at epoch 720, where an epoch takes 8 times as long: 1 s
        16,  # sized from that slow chunk
        64, 256,  # the fast epochs: fourfold growth, up to
        1024,  # CHUNK_SECONDS at 2^-13 s an epoch
        292,  # the rest
    ]  # fmt: skip
    assert sum(counts) == 2500
    # the arithmetic is that of one call for all epochs
    twin = _net(nn)
    fixed_chunks(monkeypatch, 2500)
    twin.fit(X, Y, epochs=2500, learning_rate=0.01, batch_size=8)
    assert model.params.tobytes() == twin.params.tobytes()
    assert model.history_.loss.tobytes() == twin.history_.loss.tobytes()


def test_a_slow_chunk_shrinks_the_next_and_none_is_empty(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_SECONDS", 0.125)
    assert engine._next_chunk(100, 100, 0.5) == 25
    assert engine._next_chunk(100, 100, 100.0) == 1  # an epoch longer than CHUNK_SECONDS
    assert engine._next_chunk(100, 100, 0.0) == 400  # no measurable time: grow by the cap
    assert engine._next_chunk(100, 100, 1e-9) == 400
    monkeypatch.setattr(engine, "CHUNK_GROWTH", 2)
    assert engine._next_chunk(100, 100, 1e-9) == 200


def _w1_fit(model):
    return model.fit(
        PEOPLE_X, PEOPLE_Y, epochs=1000, learning_rate=0.1, batch_size=1, shuffle=False,
        loss_every=10,
    )  # fmt: skip


def test_a_short_fit_of_a_tiny_network_is_one_kernel_call():
    """W1 (the 2-2-1 tutorial network, 1000 epochs on 4 rows) takes well under a millisecond;
    splitting it would only add calls. The first chunk's estimate keeps it whole."""
    model = fastnn.MLP((2, 2, 1), "sigmoid", seed=0)
    counts = _record_chunks(model)
    _w1_fit(model)
    assert counts == [1000]


@pytest.mark.parametrize(
    "sizes, n, batch_size",
    [((64, 128, 64, 10), 16_000, 32), ((784, 1024, 1024, 10), 4096, 128)],
    ids=["W4", "784-1024-1024-10"],
)
def test_the_first_chunk_of_a_large_network_is_one_epoch(sizes, n, batch_size):
    model = fastnn.MLP(sizes, "relu", seed=0)  # built, not trained
    config = TrainConfig(batch_size=batch_size)
    assert engine._first_chunk(model, n, config, 0, 10**7, False) == 1
    # and it is one epoch with a hook on, whatever the network
    tiny = fastnn.MLP((2, 2, 1), "sigmoid", seed=0)
    assert engine._first_chunk(tiny, 4, config, 0, 10**7, True) == 1


def test_the_first_chunk_estimate_grows_with_each_kind_of_work():
    base = dict(sizes=(10, 20, 1), n_params=241, n=1000, batch_size=10, n_val=0, loss_every=0)
    cost = engine._epoch_seconds(**base)
    for change in (
        dict(n=2000),
        dict(batch_size=1),  # more steps
        dict(sizes=(10, 20, 20, 1), n_params=661),
        dict(n_val=100),
        dict(loss_every=5),
    ):
        assert engine._epoch_seconds(**{**base, **change}) > cost, change


def test_shuffled_chunks_stay_within_the_permutation_memory_bound(monkeypatch):
    monkeypatch.setattr(engine, "CHUNK_PERMUTATION_ENTRIES", 3 * X.shape[0])
    model = _net(fastnn)
    counts = _record_chunks(model)
    model.fit(X, Y, epochs=20, learning_rate=0.01, batch_size=4)
    assert counts == [3, 3, 3, 3, 3, 3, 2]


#: fits that exercise what a chunk boundary could disturb; the first stops early, mid-chunk
SETTINGS = {
    "early-stop": dict(
        optimizer="rmsprop", learning_rate=0.05, batch_size=4, patience=2, tol=1e-2,
        validation_data=(X[:6] + 0.1, Y[:6]),
    ),
    "adam-loss-every": dict(optimizer="adam", learning_rate=0.01, batch_size=3, loss_every=4),
    "momentum-cosine": dict(momentum=0.9, learning_rate=0.05, batch_size=5, schedule="cosine"),
}  # fmt: skip


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("chunk", [1, 3, 7])
def test_results_are_bit_identical_however_the_epochs_are_chunked(nn, name, chunk, monkeypatch):
    """θ, every history, the optimizer state and the random generator's state: the same bits
    with chunks of 1, 3 or 7 epochs as with one chunk — also when early stopping ends a run in
    the middle of a chunk (the generator gives back the orders it drew for epochs not run)."""
    settings = SETTINGS[name]
    one, chunked = _net(nn), _net(nn)
    fixed_chunks(monkeypatch, 10**9)
    one.fit(X, Y, epochs=60, **settings)
    fixed_chunks(monkeypatch, chunk)
    chunked.fit(X, Y, epochs=60, **settings)
    assert one.history_.stopped_early == (name == "early-stop")
    assert one.params.tobytes() == chunked.params.tobytes()
    for field in ("loss", "val_loss", "full_loss"):
        left, right = getattr(one.history_, field), getattr(chunked.history_, field)
        assert (left is None) == (right is None)
        if left is not None:
            assert left.tobytes() == right.tobytes(), field
    assert one.history_.best_epoch == chunked.history_.best_epoch
    state, chunked_state = one._optimizer_state, chunked._optimizer_state
    assert state.buffers.tobytes() == chunked_state.buffers.tobytes()
    assert np.array_equal(state.counters, chunked_state.counters)
    assert one._rng.bit_generator.state == chunked._rng.bit_generator.state
    # so the next (shuffled) fit goes on identically too
    again = dict(epochs=5, batch_size=4)
    assert one.fit(X, Y, **again).tobytes() == chunked.fit(X, Y, **again).tobytes()
