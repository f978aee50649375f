"""Progress reporting and callbacks: ``verbose=`` and ``callback=`` of fit and the engine.

They run between chunks of epochs and must never change what is computed: θ, every history
and the random stream are bit-identical with and without them, whatever the chunk sizes.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest

import fastnn
import fastnn.reference as ref
from fastnn import engine
from fastnn.engine import Progress, TrainConfig

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

_RNG = np.random.default_rng(7)
X = _RNG.standard_normal((40, 3))
Y = np.tanh(X @ _RNG.standard_normal((3, 2)))
X_VAL, Y_VAL = X[:10] + 0.1, Y[:10]

#: fits that exercise everything a chunk boundary could disturb: shuffling, the optimizer
#: state, schedules by epoch, validation, whole-set losses every k epochs, early stopping
SETTINGS = {
    "adam-shuffled": dict(optimizer="adam", learning_rate=0.01, batch_size=8),
    "momentum-cosine": dict(
        momentum=0.9, learning_rate=0.05, batch_size=5, schedule="cosine", loss_every=3
    ),
    "validation-patience": dict(
        optimizer="rmsprop",
        learning_rate=0.01,
        batch_size=16,
        validation_data=(X_VAL, Y_VAL),
        patience=4,
        l2=1e-3,
    ),
    "full-batch": dict(learning_rate=0.1, batch_size=None),
}


def _net(nn, seed=3):
    return nn.MLP((3, 5, 2), ["tanh", "identity"], seed=seed)


def _fit(model, epochs, settings, **extra):
    return model.fit(X, Y, epochs=epochs, **settings, **extra)


def _same_run(a, b):
    assert np.array_equal(a.params, b.params)
    ha, hb = a.history_, b.history_
    for field in ("loss", "val_loss", "full_loss"):
        left, right = getattr(ha, field), getattr(hb, field)
        assert (left is None) == (right is None)
        if left is not None:
            assert np.array_equal(left, right), field
    assert (ha.stopped_early, ha.best_epoch) == (hb.stopped_early, hb.best_epoch)
    assert a._rng.bit_generator.state == b._rng.bit_generator.state


@pytest.fixture
def one_epoch_chunks(monkeypatch):
    """With a hook on, every chunk is one epoch: the most chunk boundaries there can be."""
    monkeypatch.setattr(engine, "CHUNK_SECONDS", 0.0)


@IMPLEMENTATIONS
@pytest.mark.parametrize("name", sorted(SETTINGS))
@pytest.mark.parametrize("chunks", ["one-epoch", "timed"])
def test_results_are_bit_identical_with_and_without_progress_and_callback(
    nn, name, chunks, monkeypatch, capsys
):
    if chunks == "one-epoch":
        monkeypatch.setattr(engine, "CHUNK_SECONDS", 0.0)
    settings = SETTINGS[name]
    plain, watched, shown = _net(nn), _net(nn), _net(nn)
    seen = []
    _fit(plain, 12, settings)
    _fit(watched, 12, settings, callback=lambda history: seen.append(len(history.loss)))
    _fit(shown, 12, settings, verbose=2)
    _same_run(plain, watched)
    _same_run(plain, shown)
    assert seen and seen[-1] == len(plain.history_.loss)
    if chunks == "one-epoch":
        assert seen == list(range(1, len(plain.history_.loss) + 1))
    # and the runs go on identically: the random streams were left in the same state
    _fit(plain, 3, settings)
    _fit(watched, 3, settings, verbose=1)
    _same_run(plain, watched)
    capsys.readouterr()


@IMPLEMENTATIONS
def test_the_engine_takes_the_same_hooks(nn, one_epoch_chunks):
    config = TrainConfig(optimizer="adam", learning_rate=0.01, batch_size=4)
    a, b = _net(nn), _net(nn)
    ha, _ = engine.train(a, X, Y, config, 6)
    calls = []
    hb, _ = engine.train(b, X, Y, config, 6, callback=calls.append)
    assert np.array_equal(a.params, b.params) and np.array_equal(ha.loss, hb.loss)
    assert [len(h.loss) for h in calls] == [1, 2, 3, 4, 5, 6]
    assert all(isinstance(h, fastnn.History) for h in calls)


@IMPLEMENTATIONS
def test_the_callback_sees_read_only_histories_that_grow(nn, one_epoch_chunks):
    snapshots = []

    def watch(history):
        with pytest.raises(ValueError):
            history.loss[0] = 0.0
        snapshots.append(history.loss.copy())

    model = _net(nn)
    _fit(model, 5, SETTINGS["adam-shuffled"], callback=watch)
    for i, losses in enumerate(snapshots):
        assert np.array_equal(losses, model.history_.loss[: i + 1])


@IMPLEMENTATIONS
@pytest.mark.parametrize("stop_after", [1, 4])
def test_a_callback_returning_true_stops_after_the_last_completed_epoch(
    nn, stop_after, one_epoch_chunks
):
    settings = SETTINGS["momentum-cosine"]
    model = _net(nn)
    losses = _fit(model, 50, settings, callback=lambda h: len(h.loss) >= stop_after)
    assert losses.shape == (stop_after,)
    assert model.history_.stopped_by_callback and not model.history_.interrupted
    # θ is exactly that of a run of those epochs (with the 50-epoch cosine schedule)
    twin = _net(nn)
    _fit(twin, stop_after, dict(settings, schedule_epochs=50))
    assert np.array_equal(model.params, twin.params)
    assert np.array_equal(losses, twin.history_.loss)


@IMPLEMENTATIONS
def test_false_and_none_continue(nn, one_epoch_chunks):
    model = _net(nn)
    answers = iter([None, False, 0, None, False, None])
    losses = _fit(model, 6, SETTINGS["full-batch"], callback=lambda h: next(answers))
    assert losses.shape == (6,) and not model.history_.stopped_by_callback


@IMPLEMENTATIONS
def test_timed_chunks_call_back_after_the_first_epoch_and_the_last(nn):
    model = _net(nn)
    seen = []
    _fit(model, 300, SETTINGS["full-batch"], callback=lambda h: seen.append(len(h.loss)))
    assert seen[0] == 1 and seen[-1] == 300
    assert seen == sorted(seen) and len(set(seen)) == len(seen)
    # chunks grow at most fourfold from one to the next
    sizes = np.diff([0, *seen])
    assert all(later <= 4 * earlier for earlier, later in itertools.pairwise(sizes))


@IMPLEMENTATIONS
def test_an_exception_in_the_callback_keeps_the_completed_epochs(nn, one_epoch_chunks):
    def fail(history):
        if len(history.loss) == 3:
            raise RuntimeError("enough")

    model = _net(nn)
    with pytest.raises(RuntimeError, match="enough"):
        _fit(model, 10, SETTINGS["adam-shuffled"], callback=fail)
    twin = _net(nn)
    _fit(twin, 3, SETTINGS["adam-shuffled"])
    assert np.array_equal(model.params, twin.params)
    assert model.history_.loss.shape == (3,)


@IMPLEMENTATIONS
def test_ctrl_c_carries_a_note_saying_what_the_model_kept(nn, one_epoch_chunks):
    def interrupt(history):
        if len(history.loss) == 2:
            raise KeyboardInterrupt

    model = _net(nn)
    with pytest.raises(KeyboardInterrupt) as info:
        _fit(model, 9, SETTINGS["adam-shuffled"], callback=interrupt)
    notes = getattr(info.value, "__notes__", [])
    if sys.version_info >= (3, 11):
        assert any("keeps its parameters after epoch 2 of 9" in note for note in notes), notes
    assert model.history_.interrupted and model.history_.loss.shape == (2,)
    twin = _net(nn)
    _fit(twin, 2, SETTINGS["adam-shuffled"])
    assert np.array_equal(model.params, twin.params)


@IMPLEMENTATIONS
def test_verbose_2_prints_one_line_per_epoch_on_stderr(nn, capsys):
    model = _net(nn)
    _fit(model, 7, SETTINGS["validation-patience"], verbose=2)
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    n = len(model.history_.loss)
    assert len(lines) == n
    for i, line in enumerate(lines):
        assert line.startswith(f"fit: epoch {i + 1}/7: loss ")
        assert f"loss {model.history_.loss[i]:.6g}" in line
        assert f"val_loss {model.history_.val_loss[i]:.6g}" in line


@IMPLEMENTATIONS
def test_verbose_1_without_tqdm_rewrites_one_line(nn, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now raises ImportError
    model = _net(nn)
    _fit(model, 5, SETTINGS["validation-patience"], verbose=1)
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1
    final = err.rstrip("\n").split("\r")[-1]
    assert final.startswith("fit: epoch 5/5, loss ")
    assert "val_loss" in final and "elapsed" in final


@IMPLEMENTATIONS
def test_verbose_1_uses_tqdm_when_installed(nn, capsys):
    pytest.importorskip("tqdm")
    model = _net(nn)
    _fit(model, 5, SETTINGS["adam-shuffled"], verbose=1)
    out, err = capsys.readouterr()
    assert out == ""
    assert "5/5" in err and "epoch" in err and "loss" in err


@IMPLEMENTATIONS
def test_classifier_fit_takes_verbose_and_callback(nn, capsys, one_epoch_chunks):
    labels = np.where(X[:, 0] > 0, "a", "b")
    clf = nn.Classifier((4,), seed=0)
    losses = clf.fit(X, labels, epochs=20, verbose=2, callback=lambda h: len(h.loss) == 3)
    assert losses.shape == (3,) and clf.history_.stopped_by_callback
    assert len(capsys.readouterr().err.splitlines()) == 3


def test_one_progress_spans_several_engine_calls():
    """A caller training a few epochs per call (as the scikit-learn estimators do) passes one
    Progress to every call: the epochs are counted across the calls."""
    import io

    stream = io.StringIO()
    progress = Progress(2, total=7, desc="MLPRegressor", file=stream)
    model = _net(fastnn)
    config = TrainConfig(learning_rate=0.05, batch_size=8)
    for count in (3, 4):
        engine.train(model, X, Y, config, count, verbose=progress)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [f"epoch {i}/7" for i in range(1, 8)]


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(verbose=3), ValueError, "verbose must be 0"),
        (dict(verbose="yes"), TypeError, "verbose must be 0"),
        (dict(verbose=1.0), TypeError, "verbose must be 0"),
        (dict(callback="print"), TypeError, "callback must be callable"),
    ],
)
def test_bad_hooks_are_refused_before_training(nn, kwargs, error, match):
    model = _net(nn)
    before = model.params.copy()
    with pytest.raises(error, match=match):
        _fit(model, 3, SETTINGS["adam-shuffled"], **kwargs)
    assert np.array_equal(model.params, before) and model.history_ is None


def test_import_fastnn_does_not_import_tqdm():
    code = "import sys, fastnn, fastnn.reference; print('tqdm' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
