"""Optimizers, learning-rate schedules, L2 and gradient clipping: kernels against the reference.

Every optimizer (plain, momentum and Nesterov SGD, Adam, AdamW, RMSprop), with and without an L2
penalty and global-norm clipping, trains the same network from the same θ with shuffled
mini-batches (a partial last batch included) in the compiled kernels and in the numpy reference;
θ and the loss history must agree to 1e-10 relative. The first step of each optimizer and every
schedule are also checked against formulas written out in the test, so the two implementations
cannot share a mistake unnoticed. (``test_torch_agreement.py`` compares with ``torch.optim``.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close, regression_data

import fastnn
import fastnn.reference as ref

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

OPTIMIZERS = {
    "sgd": dict(optimizer="sgd"),
    "momentum": dict(optimizer="sgd", momentum=0.9),
    "nesterov": dict(optimizer="sgd", momentum=0.9, nesterov=True),
    "adam": dict(optimizer="adam", beta1=0.85, beta2=0.99),
    "adamw": dict(optimizer="adamw", weight_decay=0.05),
    "rmsprop": dict(optimizer="rmsprop", rho=0.9),
}
REGULARISATION = {
    "plain": {},
    "l2": dict(l2=0.02),
    "clip": dict(clip_norm=0.3),
    "l2+clip": dict(l2=0.02, clip_norm=0.3),
}
SIZES = (4, 7, 5, 3)
ACTS = ["tanh", "relu", "identity"]
# 23 rows in batches of 5: four full batches and a last one of 3 rows in every epoch
N_ROWS, BATCH = 23, 5


def twins(seed=1, sizes=SIZES, acts=ACTS, loss="mse", **kw):
    return (
        fastnn.MLP(sizes, acts, loss, seed=seed, **kw),
        ref.MLP(sizes, acts, loss, seed=seed, **kw),
    )


@pytest.fixture
def data(rng):
    return regression_data(rng, N_ROWS, SIZES[0], SIZES[-1])


@pytest.mark.parametrize("reg", list(REGULARISATION))
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_optimizer_matches_reference(opt, reg, data):
    X, y = data
    fast, slow = twins()
    kw = dict(
        epochs=4,
        learning_rate=0.03,
        batch_size=BATCH,
        seed=5,
        **OPTIMIZERS[opt],
        **REGULARISATION[reg],
    )
    fast.fit(X, y, **kw)
    slow.fit(X, y, **kw)
    assert_close(fast.params, slow.params, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, what="loss history")
    assert_close(
        fast._optimizer_state.buffers, slow._optimizer_state.buffers, what="optimizer state"
    )
    assert np.array_equal(fast._optimizer_state.counters, slow._optimizer_state.counters)
    # 4 epochs of 5 batches: 20 steps over 92 rows
    assert fast._optimizer_state.counters.tolist() == [20, 4 * N_ROWS]


@pytest.mark.parametrize("reg", ["l2", "clip"])
def test_regularisation_is_not_a_no_op(reg, data):
    """The settings compared above really change training (so their agreement means something)."""
    X, y = data
    plain, regularised = fastnn.MLP(SIZES, ACTS, seed=1), fastnn.MLP(SIZES, ACTS, seed=1)
    kw = dict(epochs=2, learning_rate=0.03, batch_size=BATCH, seed=5, optimizer="adam")
    plain.fit(X, y, **kw)
    regularised.fit(X, y, **kw, **REGULARISATION[reg])
    assert np.max(np.abs(plain.params - regularised.params)) > 1e-4


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "step", "cosine"])
@pytest.mark.parametrize("opt", ["momentum", "adam", "rmsprop"])
def test_schedules_match_reference(schedule, opt, data):
    X, y = data
    fast, slow = twins()
    kw = dict(
        epochs=5,
        learning_rate=0.05,
        batch_size=BATCH,
        seed=2,
        schedule=schedule,
        power=0.25,
        step_size=2,
        gamma=0.5,
        min_lr=0.001,
        **OPTIMIZERS[opt],
    )
    fast.fit(X, y, **kw)
    slow.fit(X, y, **kw)
    assert_close(fast.params, slow.params, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, what="loss history")


def scheduled_rate(schedule, epoch, lr, n_rows, *, power, step_size, gamma, min_lr, total):
    """The learning rate of ``epoch`` as the ``fit`` docstring defines it (full-batch training)."""
    if schedule == "constant":
        return lr
    if schedule == "invscaling":
        return lr / (1.0 + epoch * n_rows) ** power
    if schedule == "step":
        return lr * gamma ** (epoch // step_size)
    e = min(epoch, total)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * e / total))


@IMPLEMENTATIONS
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "step", "cosine"])
def test_schedule_follows_its_formula(nn, schedule, data):
    """Full-batch plain SGD with a schedule equals a hand-written loop θ -= η_e ∇L(θ)."""
    X, y = data
    settings = dict(power=0.5, step_size=3, gamma=0.3, min_lr=0.002)
    epochs, total = 7, 5  # cosine anneals over 5 epochs and then stays at min_lr
    model = nn.MLP(SIZES, ACTS, seed=4)
    by_hand = model.copy()
    model.fit(
        X, y, epochs=epochs, learning_rate=0.2, schedule=schedule, schedule_epochs=total, **settings
    )
    losses = []
    for epoch in range(epochs):
        rate = scheduled_rate(schedule, epoch, 0.2, N_ROWS, total=total, **settings)
        losses.append(by_hand.loss(X, y))
        by_hand.params = by_hand.params - rate * by_hand.gradient(X, y)
    assert_close(model.params, by_hand.params, rtol=1e-12, what="theta")
    assert_close(model.history_.loss, losses, rtol=1e-12, what="loss history")


@IMPLEMENTATIONS
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_first_step_by_hand(nn, opt, data):
    """One full-batch step from zero state, written out from the optimizers' definitions."""
    X, y = data
    lr = 0.01
    model = nn.MLP(SIZES, ACTS, seed=6)
    theta, g = model.params.copy(), model.gradient(X, y)
    weight = model.layout.weight_mask()
    kw = OPTIMIZERS[opt]
    model.fit(X, y, epochs=1, learning_rate=lr, **kw)
    eps = 1e-8
    if kw["optimizer"] == "sgd":
        # momentum buffers start at zero: b = g; Nesterov steps by g + μ b = (1 + μ) g
        step = (1.0 + kw["momentum"]) * g if kw.get("nesterov") else g
        expected = theta - lr * step
    elif kw["optimizer"] == "rmsprop":
        expected = theta - lr * g / (np.sqrt((1 - kw["rho"]) * g * g) + eps)
    else:
        # Adam's bias-corrected moments after one step are g and g²
        expected = theta.copy()
        if kw["optimizer"] == "adamw":
            expected[weight] *= 1 - lr * kw["weight_decay"]
        expected -= lr * g / (np.abs(g) + eps)
    assert_close(model.params, expected, rtol=1e-13)


@IMPLEMENTATIONS
def test_l2_and_clipping_by_hand(nn, data):
    """L2 adds l2·W to the weights' gradient (biases untouched), then the global norm is clipped."""
    X, y = data
    model = nn.MLP(SIZES, ACTS, seed=6)
    theta, g = model.params.copy(), model.gradient(X, y)
    weight = model.layout.weight_mask()
    l2, clip = 0.5, 0.05
    g[weight] += l2 * theta[weight]
    norm = np.linalg.norm(g)
    assert norm > clip  # the clipping branch is taken
    expected = theta - 0.1 * g * clip / (norm + 1e-6)
    model.fit(X, y, epochs=1, learning_rate=0.1, l2=l2, clip_norm=clip)
    assert_close(model.params, expected, rtol=1e-13)
    # the recorded loss includes the penalty 0.5·l2·ΣW² (biases excluded)
    penalty = 0.5 * l2 * np.sum(theta[weight] ** 2)
    assert model.history_.loss[0] == pytest.approx(
        nn.MLP(SIZES, ACTS, params=theta).loss(X, y) + penalty, rel=1e-13
    )
    # a norm already below the limit is left alone
    small = nn.MLP(SIZES, ACTS, params=theta)
    small.fit(X, y, epochs=1, learning_rate=0.1, clip_norm=1e6)
    plain = nn.MLP(SIZES, ACTS, params=theta)
    plain.fit(X, y, epochs=1, learning_rate=0.1)
    assert np.array_equal(small.params, plain.params)


@pytest.mark.parametrize(
    "loss", ["mae", ("huber", 0.4), "sse", "binary_crossentropy", "categorical_crossentropy"]
)
def test_every_loss_trains_like_the_reference(loss, rng):
    """Mini-batch training with sample weights agrees for every loss, not only mse."""
    name = loss if isinstance(loss, str) else loss[0]
    out = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}.get(
        name, "identity"
    )
    X = rng.standard_normal((N_ROWS, 4))
    if name == "binary_crossentropy":
        y = (rng.random((N_ROWS, 3)) < 0.4).astype(float)
    elif name == "categorical_crossentropy":
        y = np.eye(3)[rng.integers(0, 3, N_ROWS)]
    else:
        y = rng.standard_normal((N_ROWS, 3))
    w = rng.random(N_ROWS) + 0.2
    fast, slow = twins(acts=["elu", "softplus", out], loss=loss)
    lr = 0.002 if name == "sse" else 0.02
    for model in (fast, slow):
        model.fit(
            X,
            y,
            epochs=3,
            learning_rate=lr,
            batch_size=BATCH,
            optimizer="adam",
            sample_weight=w,
            seed=9,
            l2=0.01,
        )
    assert_close(fast.params, slow.params, what="theta")
    assert_close(fast.history_.loss, slow.history_.loss, what="loss history")


@IMPLEMENTATIONS
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_same_seed_bit_identical_run_to_run(nn, opt, data):
    X, y = data
    results = []
    for _ in range(2):
        model = nn.MLP(SIZES, ACTS, seed=21)
        model.fit(
            X,
            y,
            epochs=3,
            learning_rate=0.02,
            batch_size=BATCH,
            l2=0.01,
            clip_norm=1.0,
            schedule="cosine",
            **OPTIMIZERS[opt],
        )
        results.append((model.params.copy(), model.history_.loss.copy()))
    assert np.array_equal(results[0][0], results[1][0])
    assert np.array_equal(results[0][1], results[1][1])
    # the seed drives the shuffling: another model seed gives another θ
    other = nn.MLP(SIZES, ACTS, params=nn.MLP(SIZES, ACTS, seed=21).params, seed=22)
    other.fit(
        X,
        y,
        epochs=3,
        learning_rate=0.02,
        batch_size=BATCH,
        l2=0.01,
        clip_norm=1.0,
        schedule="cosine",
        **OPTIMIZERS[opt],
    )
    assert not np.array_equal(other.params, results[0][0])


@IMPLEMENTATIONS
def test_fit_seed_overrides_the_model_generator(nn, data):
    """``fit(seed=...)`` alone decides the shuffling; the model's own seed no longer matters."""
    X, y = data
    start = nn.MLP(SIZES, ACTS, seed=1).params
    a, b = nn.MLP(SIZES, ACTS, params=start, seed=2), nn.MLP(SIZES, ACTS, params=start, seed=3)
    a.fit(X, y, epochs=2, batch_size=BATCH, seed=np.random.default_rng(7))
    b.fit(X, y, epochs=2, batch_size=BATCH, seed=7)
    assert np.array_equal(a.params, b.params)


@IMPLEMENTATIONS
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_keep_optimizer_state_continues_training(nn, opt, data):
    """Two fits of 2 epochs with kept state equal one fit of 4 epochs (constant schedule)."""
    X, y = data
    whole, split = nn.MLP(SIZES, ACTS, seed=8), nn.MLP(SIZES, ACTS, seed=8)
    kw = dict(learning_rate=0.02, batch_size=BATCH, **OPTIMIZERS[opt])
    whole.fit(X, y, epochs=4, **kw)
    split.fit(X, y, epochs=2, **kw)
    split.fit(X, y, epochs=2, keep_optimizer_state=True, **kw)
    assert np.array_equal(whole.params, split.params)
    # without it the second fit starts from fresh state (for stateful optimizers θ differs)
    fresh = nn.MLP(SIZES, ACTS, seed=8)
    fresh.fit(X, y, epochs=2, **kw)
    fresh.fit(X, y, epochs=2, **kw)
    if opt == "sgd":
        assert np.array_equal(fresh.params, whole.params)
    else:
        assert not np.array_equal(fresh.params, whole.params)


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(optimizer="adam", momentum=0.9), ValueError),
        (dict(optimizer="sgd", nesterov=True), ValueError),
        (dict(optimizer="sgd", nesterov=1), TypeError),
        (dict(optimizer="rmsprop", weight_decay=0.1), ValueError),
        (dict(optimizer="nadam"), ValueError),
        (dict(optimizer="adam", beta1=1.0), ValueError),
        (dict(schedule="exponential"), ValueError),
        (dict(schedule="cosine", learning_rate=0.1, min_lr=0.2), ValueError),
        (dict(clip_norm=0.0), ValueError),
        (dict(l2=-1.0), ValueError),
        (dict(learning_rate=float("nan")), ValueError),
    ],
)
def test_bad_optimizer_settings_are_refused_and_change_nothing(nn, kwargs, error, data):
    X, y = data
    model = nn.MLP(SIZES, ACTS, seed=0)
    before = model.params.copy()
    with pytest.raises(error):
        model.fit(X, y, **kwargs)
    assert np.array_equal(model.params, before)
