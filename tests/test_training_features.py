"""What ``fit`` records and how it treats data: histories, early stopping, sample weights,
mini-batches, initialisation schemes and float32 models.

Each feature is checked against something computed independently in the test: a twin model
trained for exactly the right number of epochs, a hand-written loop of gradient steps, duplicated
rows, the statistics of a large initialised layer, or the float64 model.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close, regression_data

import fastnn
import fastnn.reference as ref

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])


def overfitting_problem():
    """16 noisy training rows, clean validation rows: the validation loss soon turns upward."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((16, 3))
    y = np.sin(X[:, 0]) + 0.5 * rng.standard_normal(16)
    X_val = rng.standard_normal((40, 3))
    return X, y, X_val, np.sin(X_val[:, 0])


OVERFIT = dict(learning_rate=0.001, batch_size=4, optimizer="adam")


# --- validation data and early stopping ----------------------------------------------------------


@IMPLEMENTATIONS
def test_validation_history_is_the_loss_after_each_epoch(nn):
    X, y, X_val, y_val = overfitting_problem()
    w_val = np.linspace(0.5, 2.0, 40)
    model = nn.MLP((3, 8, 1), "tanh", seed=1)
    model.fit(X, y, epochs=4, validation_data=(X_val, y_val, w_val), **OVERFIT)
    assert model.history_.val_loss.shape == (4,)
    for epoch in range(4):
        twin = nn.MLP((3, 8, 1), "tanh", seed=1)
        twin.fit(X, y, epochs=epoch + 1, **OVERFIT)
        assert model.history_.val_loss[epoch] == pytest.approx(
            twin.loss(X_val, y_val, w_val), rel=1e-12
        )
    assert model.history_.best_epoch is None and not model.history_.stopped_early
    # validation data does not change training
    plain = nn.MLP((3, 8, 1), "tanh", seed=1)
    plain.fit(X, y, epochs=4, **OVERFIT)
    assert np.array_equal(plain.params, model.params)
    assert plain.history_.val_loss is None


@IMPLEMENTATIONS
def test_early_stopping_restores_the_best_parameters(nn):
    X, y, X_val, y_val = overfitting_problem()
    patience = 5
    model = nn.MLP((3, 32, 32, 1), "tanh", seed=0)
    losses = model.fit(
        X, y, epochs=1000, validation_data=(X_val, y_val), patience=patience, **OVERFIT
    )
    h = model.history_
    assert h.stopped_early
    best = h.best_epoch
    assert best > 0  # the validation loss improved for a while before it turned
    assert best == int(np.argmin(h.val_loss))
    # it ran `patience` epochs past the best one, and every one of them was worse
    assert len(losses) == len(h.val_loss) == best + patience + 1
    assert (h.val_loss[best + 1 :] >= h.val_loss[best]).all()
    # θ is the θ after epoch `best`: a twin trained best + 1 epochs has it, bit for bit
    twin = nn.MLP((3, 32, 32, 1), "tanh", seed=0)
    twin.fit(X, y, epochs=best + 1, **OVERFIT)
    assert np.array_equal(model.params, twin.params)
    assert model.loss(X_val, y_val) == pytest.approx(h.val_loss[best], rel=1e-12)


def stopping_rule(monitored, patience, tol):
    """(epochs run, best epoch) under the documented rule, replayed on a recorded history."""
    best, best_epoch, waited = math.inf, -1, 0
    for epoch, value in enumerate(monitored):
        if value < best - tol:
            best, best_epoch, waited = value, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return epoch + 1, best_epoch
    return len(monitored), best_epoch


@IMPLEMENTATIONS
@pytest.mark.parametrize("patience, tol", [(1, 0.0), (3, 0.0), (3, 0.01), (8, 0.002)])
def test_patience_and_tol(nn, patience, tol):
    X, y, X_val, y_val = overfitting_problem()
    full = nn.MLP((3, 16, 1), "tanh", seed=3)
    full.fit(X, y, epochs=60, validation_data=(X_val, y_val), **OVERFIT)
    model = nn.MLP((3, 16, 1), "tanh", seed=3)
    model.fit(
        X, y, epochs=60, validation_data=(X_val, y_val), patience=patience, tol=tol, **OVERFIT
    )
    ran, best = stopping_rule(full.history_.val_loss, patience, tol)
    assert len(model.history_.loss) == ran
    assert model.history_.best_epoch == best
    assert model.history_.stopped_early == (ran < 60)
    np.testing.assert_array_equal(model.history_.val_loss, full.history_.val_loss[:ran])


@IMPLEMENTATIONS
def test_a_huge_tol_stops_after_patience_epochs(nn):
    """Only the first epoch can improve on +inf by more than tol: best epoch 0, θ after epoch 0."""
    X, y, X_val, y_val = overfitting_problem()
    model = nn.MLP((3, 8, 1), "tanh", seed=2)
    losses = model.fit(
        X, y, epochs=50, validation_data=(X_val, y_val), patience=4, tol=1e9, **OVERFIT
    )
    assert len(losses) == 5 and model.history_.best_epoch == 0 and model.history_.stopped_early
    twin = nn.MLP((3, 8, 1), "tanh", seed=2)
    twin.fit(X, y, epochs=1, **OVERFIT)
    assert np.array_equal(model.params, twin.params)


@IMPLEMENTATIONS
def test_without_validation_data_the_training_loss_is_monitored(nn, rng):
    X, y = regression_data(rng, 30, 3, 1)
    model = nn.MLP((3, 8, 1), "tanh", seed=0)
    losses = model.fit(X, y, epochs=40, learning_rate=0.05, patience=2)  # full batch: it descends
    assert not model.history_.stopped_early
    assert (np.diff(losses) < 0).all()
    assert model.history_.best_epoch == 39 and model.history_.val_loss is None
    # noisy per-sample steps: the training loss goes up now and then, and early stopping sees it
    free = nn.MLP((3, 8, 1), "tanh", seed=0)
    free.fit(X, y, epochs=40, learning_rate=0.3, batch_size=1, seed=0)
    noisy = nn.MLP((3, 8, 1), "tanh", seed=0)
    noisy.fit(X, y, epochs=40, learning_rate=0.3, batch_size=1, seed=0, patience=2)
    ran, best = stopping_rule(free.history_.loss, 2, 0.0)
    assert ran < 40 and noisy.history_.stopped_early
    assert (len(noisy.history_.loss), noisy.history_.best_epoch) == (ran, best)


# --- what fit records ----------------------------------------------------------------------------


@IMPLEMENTATIONS
def test_loss_every_records_the_whole_training_set_loss(nn, rng):
    X, y = regression_data(rng, 25, 3, 2)
    kw = dict(learning_rate=0.05, batch_size=6, l2=0.01)
    model = nn.MLP((3, 6, 2), "tanh", seed=4)
    model.fit(X, y, epochs=10, loss_every=4, **kw)
    full = model.history_.full_loss
    assert full.shape == (3,)  # after epochs 0, 4 and 8
    for i, epoch in enumerate([0, 4, 8]):
        twin = nn.MLP((3, 6, 2), "tanh", seed=4)
        twin.fit(X, y, epochs=epoch + 1, **kw)
        # the data loss on every row after that epoch (without the L2 penalty)
        assert full[i] == pytest.approx(twin.loss(X, y), rel=1e-12)
    assert nn.MLP((3, 6, 2), seed=0).fit(X, y).shape == (100,)  # fit's default epochs
    assert model.history_.val_loss is None


@IMPLEMENTATIONS
@pytest.mark.parametrize("loss", ["mse", "sse"])
def test_epoch_loss_and_partial_last_batch_by_hand(nn, loss, rng):
    """10 rows in batches of 4 are batches of 4, 4 and 2; the epoch loss is their weighted mean
    (their sum for sse), each measured before its step, L2 penalty included."""
    X, y = regression_data(rng, 10, 3, 2)
    w = rng.random(10) + 0.5
    lr, l2 = 0.05, 0.1
    model = nn.MLP((3, 5, 2), ["sigmoid", "identity"], loss, seed=7)
    by_hand = model.copy()
    weight = model.layout.weight_mask()
    model.fit(X, y, epochs=2, learning_rate=lr, batch_size=4, shuffle=False, l2=l2, sample_weight=w)
    expected = []
    for _ in range(2):
        total = weight_total = 0.0
        for rows in (slice(0, 4), slice(4, 8), slice(8, 10)):
            theta = by_hand.params.copy()
            batch_loss = by_hand.loss(X[rows], y[rows], w[rows])
            batch_loss += 0.5 * l2 * np.sum(theta[weight] ** 2)
            g = by_hand.gradient(X[rows], y[rows], w[rows])
            g[weight] += l2 * theta[weight]
            by_hand.params = theta - lr * g
            if loss == "sse":
                total += batch_loss
            else:
                total += batch_loss * w[rows].sum()
                weight_total += w[rows].sum()
        expected.append(total if loss == "sse" else total / weight_total)
    assert_close(model.params, by_hand.params, rtol=1e-12, what="theta")
    assert_close(model.history_.loss, expected, rtol=1e-12, what="epoch losses")
    assert model._optimizer_state.counters.tolist() == [6, 20]


@IMPLEMENTATIONS
def test_shuffling_changes_the_order_but_not_full_batch_training(nn, rng):
    X, y = regression_data(rng, 12, 2, 1)
    kw = dict(epochs=3, learning_rate=0.1)
    runs = {}
    for batch, shuffle in [(3, True), (3, False), (None, True), (None, False)]:
        model = nn.MLP((2, 4, 1), "tanh", seed=5)
        model.fit(X, y, batch_size=batch, shuffle=shuffle, **kw)
        runs[batch, shuffle] = model.params
    assert not np.array_equal(runs[3, True], runs[3, False])
    assert np.array_equal(runs[None, True], runs[None, False])


@IMPLEMENTATIONS
def test_divergence_restores_the_last_finite_epoch(nn, rng):
    X, y = regression_data(rng, 20, 3, 1)
    X = 50 * X
    model = nn.MLP((3, 8, 1), ["relu", "identity"], "mse", seed=0)
    with pytest.raises(fastnn.TrainingDiverged) as info:
        model.fit(X, y, epochs=50, learning_rate=0.5)
    done = info.value.epoch
    assert model.history_.diverged_at == done and len(model.history_.loss) == done
    assert np.isfinite(model.params).all()
    twin = nn.MLP((3, 8, 1), ["relu", "identity"], "mse", seed=0)
    if done:
        twin.fit(X, y, epochs=done, learning_rate=0.5)
    assert np.array_equal(model.params, twin.params)


# --- sample weights ------------------------------------------------------------------------------

WEIGHTED_LOSSES = [
    "mse",
    "sse",
    "mae",
    ("huber", 0.5),
    "binary_crossentropy",
    "categorical_crossentropy",
]


def problem_for(loss, rng, n=9):
    name = loss if isinstance(loss, str) else loss[0]
    X = rng.standard_normal((n, 3))
    if name == "binary_crossentropy":
        return X, (rng.random((n, 2)) < 0.5).astype(float), "sigmoid"
    if name == "categorical_crossentropy":
        return X, np.eye(2)[rng.integers(0, 2, n)], "softmax"
    return X, rng.standard_normal((n, 2)), "identity"


@IMPLEMENTATIONS
@pytest.mark.parametrize("loss", WEIGHTED_LOSSES, ids=str)
def test_weight_two_equals_a_duplicated_row(nn, loss, rng):
    X, y, out = problem_for(loss, rng)
    w = np.ones(9)
    w[[2, 5]] = 2.0
    w[7] = 0.0  # weight 0 drops a row
    keep = [0, 1, 2, 2, 3, 4, 5, 5, 6, 8]
    weighted = nn.MLP((3, 4, 2), ["tanh", out], loss, seed=1)
    duplicated = weighted.copy()
    assert weighted.loss(X, y, w) == pytest.approx(duplicated.loss(X[keep], y[keep]), rel=1e-12)
    assert_close(weighted.gradient(X, y, w), duplicated.gradient(X[keep], y[keep]), rtol=1e-12)
    kw = dict(epochs=5, learning_rate=0.01, optimizer="adam")  # full batch
    weighted.fit(X, y, sample_weight=w, **kw)
    duplicated.fit(X[keep], y[keep], **kw)
    assert_close(weighted.params, duplicated.params, rtol=1e-11)
    assert_close(weighted.history_.loss, duplicated.history_.loss, rtol=1e-11)


@IMPLEMENTATIONS
def test_uniform_weights_change_nothing_for_mean_losses(nn, rng):
    X, y, _ = problem_for("mse", rng)
    model = nn.MLP((3, 4, 2), "tanh", seed=1)
    assert model.loss(X, y, np.full(9, 3.0)) == pytest.approx(model.loss(X, y), rel=1e-14)
    # sse sums: uniform weights scale it
    sse = nn.MLP((3, 4, 2), "tanh", "sse", seed=1)
    assert sse.loss(X, y, np.full(9, 3.0)) == pytest.approx(3 * sse.loss(X, y), rel=1e-14)


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "w, message",
    [
        ([1.0] * 8, "shape"),
        ([1.0] * 8 + [-1.0], ">= 0"),
        ([0.0] * 9, "positive sum"),
        ([1.0] * 8 + [np.nan], "NaN"),
    ],
)
def test_bad_sample_weights_are_refused(nn, w, message, rng):
    X, y, _ = problem_for("mse", rng)
    model = nn.MLP((3, 4, 2), "tanh", seed=1)
    before = model.params.copy()
    with pytest.raises(ValueError, match=message):
        model.fit(X, y, sample_weight=w)
    assert np.array_equal(model.params, before)


# --- initialisation ------------------------------------------------------------------------------

FAN_IN, FAN_OUT = 400, 600


def first_layer(init, activation="tanh", seed=0):
    model = fastnn.MLP((FAN_IN, FAN_OUT, 1), [activation, "identity"], seed=seed, init=init)
    return model.weights[0].ravel(), model.biases[0]


@pytest.mark.parametrize(
    "init, std, bound",
    [
        ("glorot_uniform", math.sqrt(2 / (FAN_IN + FAN_OUT)), math.sqrt(6 / (FAN_IN + FAN_OUT))),
        ("glorot_normal", math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
        ("he_uniform", math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
        ("he_normal", math.sqrt(2 / FAN_IN), None),
        ("normal", 1.0, None),
    ],
)
def test_init_statistics(init, std, bound):
    w, b = first_layer(init)
    # 240,000 draws: the sample mean is within 5 standard errors, the std within 1%
    assert abs(w.mean()) < 5 * std / math.sqrt(w.size)
    assert w.std() == pytest.approx(std, rel=0.01)
    if bound is not None:
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.999 * bound
    else:
        # a normal sample of this size reaches beyond 4 standard deviations
        assert np.abs(w).max() > 4 * std
    if init == "normal":
        assert b.std() == pytest.approx(1.0, rel=0.15)
    else:
        assert np.array_equal(b, np.zeros(FAN_OUT))


def test_uniform_init_is_unit_interval():
    w, b = first_layer("uniform")
    for values in (w, b):
        assert values.min() >= 0.0 and values.max() < 1.0
    assert w.mean() == pytest.approx(0.5, abs=0.005)
    assert w.std() == pytest.approx(math.sqrt(1 / 12), rel=0.01)


@pytest.mark.parametrize("activation", ["relu", "leaky_relu", "elu"])
def test_default_init_is_he_uniform_after_relu_family(activation):
    assert np.array_equal(first_layer(None, activation)[0], first_layer("he_uniform")[0])


@pytest.mark.parametrize("activation", ["identity", "sigmoid", "tanh", "softplus"])
def test_default_init_is_glorot_uniform_otherwise(activation):
    assert np.array_equal(first_layer(None, activation)[0], first_layer("glorot_uniform")[0])


@IMPLEMENTATIONS
def test_default_init_is_chosen_per_layer(nn):
    acts = ["relu", "tanh", "softmax"]
    mixed = nn.MLP((5, 6, 7, 3), acts, "categorical_crossentropy", seed=3)
    he = nn.MLP((5, 6, 7, 3), acts, "categorical_crossentropy", seed=3, init="he_uniform")
    glorot = nn.MLP((5, 6, 7, 3), acts, "categorical_crossentropy", seed=3, init="glorot_uniform")
    assert np.array_equal(mixed.weights[0], he.weights[0])
    assert np.array_equal(mixed.weights[1], glorot.weights[1])
    assert np.array_equal(mixed.weights[2], glorot.weights[2])


@IMPLEMENTATIONS
def test_init_is_reproducible_and_shared_by_both_implementations(nn):
    for init in (None, "normal", "uniform", "glorot_normal", "he_normal"):
        a = nn.MLP((4, 5, 2), "relu", seed=11, init=init)
        assert np.array_equal(a.params, fastnn.MLP((4, 5, 2), "relu", seed=11, init=init).params)
        assert not np.array_equal(a.params, nn.MLP((4, 5, 2), "relu", seed=12, init=init).params)
        single = nn.MLP((4, 5, 2), "relu", seed=11, init=init, dtype=np.float32)
        assert np.array_equal(single.params, a.params.astype(np.float32))


@IMPLEMENTATIONS
def test_bad_init_is_refused(nn):
    with pytest.raises(ValueError, match="init"):
        nn.MLP((2, 1), init="xavier")
    with pytest.raises(TypeError, match="init"):
        nn.MLP((2, 1), init=3)
    with pytest.raises(ValueError, match="params or init"):
        nn.MLP((2, 1), init="normal", params=[0.0, 0.0, 0.0])


# --- float32 -------------------------------------------------------------------------------------


@IMPLEMENTATIONS
def test_float32_end_to_end(nn, rng):
    X = rng.standard_normal((30, 4))  # float64 input is converted once
    y = rng.standard_normal((30, 2))
    model = nn.MLP((4, 6, 2), "tanh", seed=0, dtype=np.float32)
    assert model.dtype == np.float32 and model.params.dtype == np.float32
    assert all(W.dtype == np.float32 for W in model.weights + model.biases)
    assert model.predict(X).dtype == np.float32
    assert model.predict(X[0]).dtype == np.float32
    assert all(a.dtype == np.float32 for a in model.layer_outputs(X))
    assert model.gradient(X, y).dtype == np.float32
    assert isinstance(model.loss(X, y), float)
    model.fit(
        X, y, epochs=3, batch_size=8, optimizer="adam", validation_data=(X, y), learning_rate=0.01
    )
    assert model.params.dtype == np.float32
    assert np.isfinite(model.history_.loss).all() and np.isfinite(model.history_.val_loss).all()
    model.params = np.zeros(model.n_params)  # float64 assigned, stored as float32
    assert model.params.dtype == np.float32 and not model.params.any()


def w4_like(dtype, seed=0):
    """W4's network (64-128-64-10 sigmoid, MSE, SGD, batch 32, lr 0.1) on 2,000 rows."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((2000, 64))
    y = rng.random((2000, 10))
    model = fastnn.MLP((64, 128, 64, 10), "sigmoid", "mse", seed=seed, dtype=dtype)
    model.fit(X, y, epochs=2, learning_rate=0.1, batch_size=32, seed=seed)
    return model, X


@pytest.mark.slow_as_python
def test_float32_training_agrees_with_float64():
    single, X = w4_like(np.float32)
    double, _ = w4_like(np.float64)
    # 126 steps of float32 rounding: parameters and predictions agree to ~1e-6 relative
    assert_close(single.params, double.params, rtol=2e-5, what="theta")
    assert_close(single.predict(X), double.predict(X), rtol=2e-5, what="predictions")
    assert_close(single.history_.loss, double.history_.loss, rtol=2e-5, what="loss history")


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_float32_kernels_agree_with_float32_reference(opt, rng):
    X, y = regression_data(rng, 40, 4, 3)
    fast = fastnn.MLP((4, 9, 3), ["elu", "identity"], seed=1, dtype=np.float32)
    slow = ref.MLP((4, 9, 3), ["elu", "identity"], seed=1, dtype=np.float32)
    assert_close(fast.predict(X), slow.predict(X), rtol=1e-6, what="predict")
    assert_close(fast.gradient(X, y), slow.gradient(X, y), rtol=1e-5, what="gradient")
    kw = dict(epochs=3, learning_rate=0.01, batch_size=8, seed=0, optimizer=opt, l2=0.01)
    fast.fit(X, y, **kw)
    slow.fit(X, y, **kw)
    assert slow.params.dtype == np.float32
    assert_close(fast.params, slow.params, rtol=1e-5, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, rtol=1e-5, what="loss history")
