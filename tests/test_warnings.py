"""``fastnn.TrainingWarning``: fits that visibly went wrong say so, fits that trained fine don't.

Both twins run the same end-of-fit check (``fastnn._diagnostics``), so they warn alike.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import pytest
from conftest import PEOPLE_X, PEOPLE_Y

import fastnn
import fastnn.reference as ref
from fastnn import _diagnostics
from fastnn.engine import TrainConfig

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((200, 3))
Y = np.sin(X[:, 0]) + X[:, 1] * X[:, 2]


def _messages(record) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, fastnn.TrainingWarning)]


def test_training_warning_is_an_exported_user_warning():
    assert issubclass(fastnn.TrainingWarning, UserWarning)
    assert fastnn.TrainingWarning is ref.TrainingWarning is fastnn.engine.TrainingWarning
    assert "TrainingWarning" in fastnn.__all__ and "TrainingWarning" in ref.__all__


@IMPLEMENTATIONS
@pytest.mark.slow_as_python
def test_a_learning_rate_10_tanh_fit_warns(nn):
    net = nn.MLP((3, 16, 1), "tanh", seed=0)
    with pytest.warns(fastnn.TrainingWarning, match="learning rate is probably too large") as rec:
        net.fit(X, Y / 3, epochs=100, learning_rate=10)
    message = _messages(rec)[0]
    assert "rose" in message and "learning_rate=10" in message
    # the warning points at the line that called fit, not into fastnn
    assert all(w.filename == __file__ for w in rec)


@IMPLEMENTATIONS
def test_the_tutorial_network_at_learning_rate_10_warns(nn):
    net = nn.MLP((2, 2, 1), "tanh", seed=0)
    with pytest.warns(fastnn.TrainingWarning, match="not scaled") as rec:
        net.fit(PEOPLE_X, PEOPLE_Y, epochs=1000, learning_rate=10, batch_size=1, shuffle=False)
    assert "|X| reaches 25" in _messages(rec)[0]


@IMPLEMENTATIONS
def test_a_dead_relu_layer_warns(nn):
    net = nn.MLP((3, 4, 1), ["relu", "identity"], seed=0)
    params = np.zeros(net.n_params)
    params[net.layout.bias_slice(0)] = -1.0  # every hidden pre-activation is -1: relu gives 0
    net.params = params
    with pytest.warns(fastnn.TrainingWarning, match=r"hidden layer 1 \(relu, 4 units\) is dead"):
        net.fit(X, Y, epochs=20, learning_rate=0.05)
    assert not (net.layer_outputs(X)[0] > 0).any()


@IMPLEMENTATIONS
@pytest.mark.parametrize("activation", ["sigmoid", "tanh"])
def test_a_saturated_layer_warns(nn, activation):
    net = nn.MLP((3, 6, 1), [activation, "identity"], seed=0)
    net.biases[0][:] = 50.0  # every unit far into its flat upper tail, on every row
    with pytest.warns(fastnn.TrainingWarning, match=r"hidden layer 1 .* is saturated") as rec:
        net.fit(X, Y, epochs=5, learning_rate=0.01)
    assert any("% of its values are within" in m for m in _messages(rec))


@IMPLEMENTATIONS
def test_a_loss_that_does_not_move_warns(nn):
    net = nn.MLP((3, 4, 1), ["tanh", "identity"], seed=0)
    with pytest.warns(fastnn.TrainingWarning, match="did not decrease.*too small"):
        net.fit(X, Y, epochs=3, learning_rate=1e-300)


@pytest.mark.slow_as_python
def test_both_twins_warn_alike():
    found = {}
    for nn in (fastnn, ref):
        net = nn.MLP((3, 16, 1), "tanh", seed=0)
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            net.fit(X, Y / 3, epochs=100, learning_rate=10)
        found[nn.__name__] = [m.split(";")[1] for m in _messages(rec)]  # the causes
    assert found["fastnn"] and found["fastnn"] == found["fastnn.reference"]


@IMPLEMENTATIONS
def test_classifier_fits_warn_too(nn):
    labels = np.where(X[:, 0] > 0, "a", "b")
    clf = nn.Classifier((8,), "tanh", seed=0)
    with pytest.warns(fastnn.TrainingWarning):
        clf.fit(X * 1000, labels, epochs=30, learning_rate=10, optimizer="sgd")


@IMPLEMENTATIONS
def test_a_perfect_fit_from_the_start_does_not_warn(nn):
    # zero loss in every epoch: nothing to decrease
    net = nn.MLP((1, 1), "identity", seed=0, params=[2.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastnn.TrainingWarning)
        net.fit([[1.0], [2.0]], [3.0, 5.0], epochs=5, learning_rate=0.01)


# --- fits that train fine must not warn ---------------------------------------------------------


def _typical_fits(nn):
    blobs = np.vstack([_RNG.normal(c, 1.0, (60, 2)) for c in ((0, 0), (3, 3), (0, 4))])
    colours = np.repeat(["red", "green", "blue"], 60)
    yield (
        "tour",
        lambda: nn.MLP((2, 2, 1), "sigmoid", seed=0).fit(
            PEOPLE_X, PEOPLE_Y, epochs=1000, learning_rate=0.1, batch_size=1, shuffle=False
        ),
    )
    yield (
        "regression adam",
        lambda: nn.MLP((3, 16, 1), ["relu", "identity"], seed=1).fit(
            X, Y, epochs=50, optimizer="adam", learning_rate=0.01, batch_size=16
        ),
    )
    yield (
        "regression sgd default",
        lambda: nn.MLP((3, 8, 1), ["tanh", "identity"], seed=2).fit(X, Y, learning_rate=0.1),
    )
    yield "classifier", lambda: nn.Classifier((16,), seed=0).fit(blobs, colours, epochs=40)
    yield (
        "classifier sigmoid",
        lambda: nn.Classifier((8, 8), "sigmoid", seed=0).fit(
            blobs, colours, epochs=40, learning_rate=0.01
        ),
    )
    yield (
        "early stopping",
        lambda: nn.MLP((3, 8, 1), ["tanh", "identity"], seed=3).fit(
            X[:150],
            Y[:150],
            epochs=500,
            optimizer="adam",
            learning_rate=0.01,
            batch_size=32,
            validation_data=(X[150:], Y[150:]),
            patience=5,
        ),
    )


@IMPLEMENTATIONS
@pytest.mark.slow_as_python
def test_typical_fits_do_not_warn(nn):
    for name, fit in _typical_fits(nn):
        with warnings.catch_warnings():
            warnings.simplefilter("error", fastnn.TrainingWarning)
            try:
                fit()
            except fastnn.TrainingWarning as warning:  # pragma: no cover - the failure
                pytest.fail(f"{name}: {warning}")


@pytest.mark.slow_as_python
def test_the_tutorials_and_the_demo_do_not_warn():
    from fastnn import demo

    with warnings.catch_warnings():
        warnings.simplefilter("error", fastnn.TrainingWarning)
        demo.run_demo(plots=False, repeats=1, stream=io.StringIO())


def test_the_check_reads_a_bounded_number_of_rows(monkeypatch):
    net = fastnn.MLP((3, 4, 1), ["relu", "identity"], seed=0)
    seen = []
    original = type(net)._layer_outputs_rows

    def spy(self, rows):
        seen.append(rows.shape[0])
        return original(self, rows)

    monkeypatch.setattr(type(net), "_layer_outputs_rows", spy)
    big = np.tile(X, (10, 1))  # 2000 rows
    net.fit(big, np.tile(Y, 10), epochs=2, learning_rate=0.01)
    assert seen == [_diagnostics.CHECK_ROWS]
    # rows evenly spaced, no random draw: fit is the engine's run plus a check that leaves the
    # parameters and the random stream as the engine left them
    a, b = fastnn.MLP((3, 4, 1), "relu", seed=5), fastnn.MLP((3, 4, 1), "relu", seed=5)
    a.fit(big, np.tile(Y, 10), epochs=2, learning_rate=0.01, batch_size=8)
    fastnn.engine.train(b, big, np.tile(Y, 10), TrainConfig(learning_rate=0.01, batch_size=8), 2)
    assert np.array_equal(a.params, b.params)
    assert a._rng.bit_generator.state == b._rng.bit_generator.state


def test_no_hidden_layer_to_check_means_no_forward_pass(monkeypatch):
    net = fastnn.MLP((3, 1), "identity", seed=0)
    monkeypatch.setattr(
        type(net), "_layer_outputs_rows", lambda self, rows: pytest.fail("forward pass")
    )
    net.fit(X, Y, epochs=3, learning_rate=0.01)


def test_the_check_costs_the_same_memory_for_any_number_of_rows():
    import tracemalloc

    net = fastnn.MLP((3, 32, 1), ["tanh", "identity"], seed=0)
    history = fastnn.History(loss=np.array([1.0, 0.5]))
    peaks = []
    for repeat in (10, 100):
        rows = np.tile(X, (repeat, 1))  # 2,000 and 20,000 rows
        _diagnostics.findings(net, rows, history, 0.01)  # warm up
        tracemalloc.start()
        try:
            _diagnostics.findings(net, rows, history, 0.01)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] <= peaks[0] + 1024
    assert peaks[0] < 4 * _diagnostics.CHECK_ROWS * (3 + 32 + 1) * 8
