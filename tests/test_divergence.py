"""Training that diverges, or is interrupted, keeps the last good θ and says what happened."""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pytest
from conftest import JIT_DISABLED, assert_close, fixed_chunks, regression_data

import fastnn
import fastnn.reference as ref
from fastnn import engine

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

# A linear 3-1 network trained with SGD at a learning rate above the stability limit
# (2 / largest eigenvalue of the loss's Hessian, about 0.76 here): the error grows by a constant
# factor each epoch until the loss overflows, after 57 epochs in float64 and 7 in float32. (At
# learning rate 2.0 the last finite float32 epoch came within one epoch's growth of overflow, and
# the kernels run as Python, whose float32 scalars round differently, crossed it an epoch early.)
_DATA_RNG = np.random.default_rng(0)
X_LINEAR = _DATA_RNG.standard_normal((32, 3))
Y_LINEAR = X_LINEAR @ _DATA_RNG.standard_normal((3, 1))
TOO_LARGE = dict(learning_rate=2.5, batch_size=8)
DIVERGES_AT = {np.float64: 57, np.float32: 7}


def _linear(nn, dtype=np.float64):
    return nn.MLP((3, 1), "identity", seed=0, dtype=dtype)


def _diverge(model, epochs=1000, **fit_args):
    with pytest.raises(fastnn.TrainingDiverged) as info:
        model.fit(X_LINEAR, Y_LINEAR, epochs=epochs, **{**TOO_LARGE, **fit_args})
    return info.value


@IMPLEMENTATIONS
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "epochs_per_chunk", [None, 1, 7, 10**9], ids=["timed", "chunk1", "chunk7", "chunk-all"]
)
def test_divergence_restores_theta_of_last_good_epoch(nn, dtype, epochs_per_chunk, monkeypatch):
    if epochs_per_chunk is not None:
        # the driver hands the kernel this many epochs at a time
        fixed_chunks(monkeypatch, epochs_per_chunk)
    model = _linear(nn, dtype)
    error = _diverge(model)
    epoch = DIVERGES_AT[dtype]
    assert error.epoch == epoch
    message = str(error)
    assert f"epoch {epoch}" in message
    assert "smaller learning_rate" in message and "was 2.5" in message
    # θ is exactly the θ of a twin that stopped before the bad epoch
    twin = _linear(nn, dtype)
    twin_history = twin.fit(X_LINEAR, Y_LINEAR, epochs=epoch, **TOO_LARGE)
    assert model.params.tobytes() == twin.params.tobytes()
    assert np.isfinite(model.params).all()
    # history_ holds the completed epochs, and the exception carries the same record
    history = model.history_
    assert error.history is history
    assert history.diverged_at == epoch and not history.interrupted
    assert history.loss.tobytes() == twin_history.tobytes()
    assert np.isfinite(history.loss).all() and history.loss[-1] > 1e30


@IMPLEMENTATIONS
def test_divergence_in_the_first_epoch_keeps_the_initial_theta(nn):
    model = _linear(nn)
    initial = model.params.copy()
    error = _diverge(model, learning_rate=1e200)
    assert error.epoch == 0 and "epoch 0" in str(error)
    assert model.params.tobytes() == initial.tobytes()
    assert model.history_.loss.shape == (0,)


@IMPLEMENTATIONS
def test_training_can_go_on_after_divergence(nn):
    model = _linear(nn)
    # a step size just past stability: the error grows slowly enough that the restored θ (of
    # the last finite epoch) still has a finite loss (at 2.5 it can be within one epoch's growth
    # of overflow, and then any further epoch diverges at once, rightly)
    _diverge(model, learning_rate=0.9)
    losses = model.fit(X_LINEAR, Y_LINEAR, epochs=5, learning_rate=1e-160, batch_size=8)
    assert np.isfinite(losses).all() and np.isfinite(model.params).all()
    assert model.history_.diverged_at is None


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-8), (np.float32, 1e-3)])
def test_compiled_and_reference_diverge_alike(dtype, rtol):
    compiled, reference = _linear(fastnn, dtype), _linear(ref, dtype)
    a, b = _diverge(compiled), _diverge(reference)
    assert a.epoch == b.epoch == DIVERGES_AT[dtype]
    assert_close(compiled.params, reference.params, rtol=rtol, what="restored θ")
    assert_close(compiled.history_.loss, reference.history_.loss, rtol=rtol, what="history")


# --- KeyboardInterrupt ---------------------------------------------------------------------------

SMALL_X, SMALL_Y = regression_data(np.random.default_rng(5), 40, 3, 2)
SMALL_FIT = dict(learning_rate=0.05, batch_size=8, optimizer="adam")


def _small(nn):
    return nn.MLP((3, 6, 2), "tanh", seed=4)


def _interrupt_on_call(model, call, after_running):
    """Make ``model``'s ``call``-th training chunk raise KeyboardInterrupt.

    ``after_running=False``: the interrupt arrives between chunks, before that chunk starts.
    ``after_running=True``: it arrives while the compiled loop runs, and Python raises it as soon
    as the kernel returns; the chunk's epochs are complete.
    """
    original = model._train_chunk
    calls = []

    def chunk(*args):
        calls.append(1)
        if len(calls) == call and not after_running:
            raise KeyboardInterrupt
        result = original(*args)
        if len(calls) == call:
            raise KeyboardInterrupt
        return result

    model._train_chunk = chunk
    return calls


@IMPLEMENTATIONS
@pytest.mark.parametrize("after_running", [False, True], ids=["between-chunks", "during-chunk"])
def test_keyboard_interrupt_keeps_last_completed_epoch(nn, after_running, monkeypatch):
    per_chunk, call = 3, 4
    fixed_chunks(monkeypatch, per_chunk)
    model = _small(nn)
    calls = _interrupt_on_call(model, call, after_running)
    with pytest.raises(KeyboardInterrupt):
        model.fit(SMALL_X, SMALL_Y, epochs=100, **SMALL_FIT)
    assert len(calls) == call
    done = per_chunk * (call if after_running else call - 1)
    history = model.history_
    assert history.interrupted and history.diverged_at is None
    assert history.loss.shape == (done,)
    twin = _small(nn)
    twin_losses = twin.fit(SMALL_X, SMALL_Y, epochs=done, **SMALL_FIT)
    assert model.params.tobytes() == twin.params.tobytes()
    assert history.loss.tobytes() == twin_losses.tobytes()
    assert not twin.history_.interrupted


def test_keyboard_interrupt_inside_a_reference_epoch_discards_the_partial_epoch(monkeypatch):
    """An interrupt in the middle of an epoch rolls that epoch back.

    Only the reference can be interrupted there: Python raises a KeyboardInterrupt only between
    bytecodes, so a compiled chunk always runs to its end first.
    """
    nn = ref
    fixed_chunks(monkeypatch, 100)  # all 100 epochs in one chunk
    model = _small(nn)
    original = model._loss_and_delta
    batches = []

    def loss_and_delta(*args):
        batches.append(1)
        if len(batches) == 5 * 6 + 3:  # the fourth batch of epoch 6 (5 batches per epoch)
            raise KeyboardInterrupt
        return original(*args)

    model._loss_and_delta = loss_and_delta
    with pytest.raises(KeyboardInterrupt):
        model.fit(SMALL_X, SMALL_Y, epochs=100, shuffle=False, **SMALL_FIT)
    twin = _small(nn)
    twin.fit(SMALL_X, SMALL_Y, epochs=6, shuffle=False, **SMALL_FIT)
    assert model.history_.loss.shape == (6,) and model.history_.interrupted
    assert model.params.tobytes() == twin.params.tobytes()


@IMPLEMENTATIONS
@pytest.mark.parametrize("chunks", ["one-epoch", "timed"])
def test_real_sigint_during_a_long_fit(nn, chunks, monkeypatch):
    """A real SIGINT, sent by the OS while a long ``fit`` runs, keeps the last completed epoch.

    ``one-epoch``: the driver is made to hand the kernel one epoch per call, as it does on its
    own for networks whose epoch takes longer than ``fastnn.engine.CHUNK_SECONDS``; the
    interrupt then lands either inside a kernel call (Python raises it when the call returns,
    with that epoch complete) or in the driver between calls. ``timed``: chunks sized by time,
    as they are by default. Either way the model's random generator is left as after the
    completed epochs.
    """
    if nn is fastnn and JIT_DISABLED:
        pytest.skip("a kernel run as Python is interrupted mid-epoch, a compiled one is not")
    if chunks == "one-epoch":
        monkeypatch.setattr(engine, "CHUNK_SECONDS", 0.0)
    X, y = regression_data(np.random.default_rng(6), 256, 16, 1)
    sizes = (16, 32, 32, 1)
    fit_args = dict(learning_rate=0.01, batch_size=16)
    model = nn.MLP(sizes, "relu", seed=7)
    nn.MLP(sizes, "relu", seed=0).fit(X[:8], y[:8])  # load the kernel now, not under the timer
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    try:
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y, epochs=100_000, **fit_args)
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)
    history = model.history_
    assert history is not None and history.interrupted
    done = history.loss.shape[0]
    assert 0 < done < 100_000
    twin = nn.MLP(sizes, "relu", seed=7)
    twin_losses = twin.fit(X, y, epochs=done, **fit_args)
    assert history.loss.tobytes() == twin_losses.tobytes()
    assert model.params.tobytes() == twin.params.tobytes()
    assert model._rng.bit_generator.state == twin._rng.bit_generator.state
