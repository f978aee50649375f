"""The training loop (``fastnn.kernels.train`` and its twin ``fastnn.reference.model``):
behaviour that is about the loop itself rather than one of its steps."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, regression_data

import fastnn
import fastnn.reference

IMPLEMENTATIONS = [fastnn, fastnn.reference]


@pytest.mark.parametrize("nn", IMPLEMENTATIONS, ids=["compiled", "reference"])
@pytest.mark.parametrize(
    "fit",
    [
        dict(batch_size=1, learning_rate=0.05),
        dict(batch_size=1, optimizer="adam", learning_rate=0.01),
        dict(batch_size=1, momentum=0.9, learning_rate=0.01, l2=0.01),
        dict(batch_size=None, learning_rate=0.1),
    ],
    ids=["sgd", "adam", "momentum-l2", "full-batch"],
)
def test_zero_weights_drop_rows(nn, fit, rng):
    """Rows of weight 0 are dropped: training equals training on the kept rows only."""
    X, y = regression_data(rng, 40, 3, 2)
    weights = (rng.random(40) < 0.6).astype(float)
    weights[:2] = 0.0, 1.0  # the first batch of one row has weight zero
    kept = weights == 1.0
    a = nn.MLP((3, 5, 2), "tanh", seed=4)
    b = nn.MLP((3, 5, 2), "tanh", seed=4)
    losses_a = a.fit(X, y, epochs=5, shuffle=False, sample_weight=weights, **fit)
    losses_b = b.fit(X[kept], y[kept], epochs=5, shuffle=False, **fit)
    assert_close(a.params, b.params, rtol=1e-12, what="θ")
    assert_close(losses_a, losses_b, rtol=1e-12, what="loss history")
    assert np.isfinite(losses_a).all()


def test_zero_weight_batches_match_the_reference(rng):
    X, y = regression_data(rng, 30, 3, 1)
    weights = np.where(rng.random(30) < 0.5, 0.0, rng.random(30) + 0.5)
    results = []
    for nn in IMPLEMENTATIONS:
        net = nn.MLP((3, 4, 1), "sigmoid", seed=2)
        net.fit(X, y, epochs=6, batch_size=2, sample_weight=weights, seed=9, optimizer="adam")
        results.append(net.params)
    assert_close(results[0], results[1], rtol=1e-10, what="θ")


# --- the per-sample loop (kernels/train.py::_train_epochs_per_sample) ---------------------------

PER_SAMPLE_CASES = {
    "tutorial-2-2-1": ((2, 2, 1), "sigmoid", "mse", {}, dict(shuffle=False, loss_every=10)),
    "shuffled-tanh": ((3, 5, 4, 2), ("tanh", "relu", "sigmoid"), "binary_crossentropy", {}, {}),
    "wide-layers": ((3, 40, 20, 1), "tanh", "mse", {}, dict(loss_every=3)),
    "softmax": ((3, 30, 5), ("sigmoid", "softmax"), "categorical_crossentropy", {}, {}),
    "no-bias": ((3, 4, 1), "sigmoid", "mse", dict(bias=False), {}),
    "many-activations": (
        (3, 31, 17, 9, 1),
        ("relu", "elu", "softplus", "sigmoid"),
        "binary_crossentropy",
        {},
        dict(schedule="cosine"),
    ),
    "early-stopping": ((3, 5, 1), "tanh", "sse", {}, dict(patience=3, validation=True)),
    # wide output layers: the one-row loss must sum its outputs in the general loop's order
    "wide-mse-output": ((3, 6, 13), ("tanh", "sigmoid"), "mse", {}, dict(loss_every=2)),
    "wide-bce-output": ((3, 4, 11), ("relu", "sigmoid"), "binary_crossentropy", {}, {}),
    "wide-huber-output": ((3, 5, 9), ("elu", "identity"), "huber", {}, {}),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(PER_SAMPLE_CASES))
def test_per_sample_loop_gives_the_general_loops_bits(name, dtype):
    import fastnn.model

    sizes, acts, loss, build, fit = PER_SAMPLE_CASES[name]
    rng = np.random.default_rng(5)
    n = 4 if sizes[0] == 2 else 24
    X = rng.standard_normal((n, sizes[0])) * (5.0 if sizes[0] == 2 else 1.0)
    if loss == "categorical_crossentropy":
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
    else:
        Y = (rng.random((n, sizes[-1])) > 0.5).astype(float)
    fit = dict(fit)
    if fit.pop("validation", False):
        fit["validation_data"] = (X[:7], Y[:7])
    runs = []
    for clip_norm in (None, 1e300):  # a clip that never scales: the general loop
        net = fastnn.MLP(sizes, acts, loss, seed=3, dtype=dtype, **build)
        history = net.fit(
            X, Y, epochs=25, learning_rate=0.05, batch_size=1, clip_norm=clip_norm, **fit
        )
        runs.append((net, history))
    (fast, h_fast), (general, h_general) = runs
    hp, ic = fastnn.engine.TrainConfig(batch_size=1, learning_rate=0.05).pack()
    empty = np.empty(0, dtype=dtype)
    assert fastnn.model._per_sample_sgd(empty, fast._net, n, ic, hp), "not the per-sample loop"
    assert np.array_equal(fast.params, general.params)
    assert np.array_equal(h_fast, h_general)
    for field in ("val_loss", "full_loss"):
        a, b = getattr(fast.history_, field), getattr(general.history_, field)
        assert (a is None and b is None) or np.array_equal(a, b)
    assert fast._rng.bit_generator.state == general._rng.bit_generator.state


def test_per_sample_loop_is_not_used_where_it_does_not_apply():
    import fastnn.model

    hp, ic = fastnn.engine.TrainConfig(batch_size=1, learning_rate=0.05).pack()
    choose = fastnn.model._per_sample_sgd
    small = fastnn.MLP((3, 4, 1))._net
    wide = fastnn.MLP((64, 128, 1))._net  # 64 x 128 multiply-adds: BLAS
    none = np.empty(0)
    assert choose(none, small, 10, ic, hp)
    assert not choose(none, wide, 10, ic, hp)
    assert not choose(np.ones(10), small, 10, ic, hp)  # sample weights
    for config in (
        dict(batch_size=2),
        dict(batch_size=1, l2=1e-3),
        dict(batch_size=1, clip_norm=1.0),
        dict(batch_size=1, momentum=0.9),
        dict(batch_size=1, optimizer="adam"),
    ):
        hp2, ic2 = fastnn.engine.TrainConfig(learning_rate=0.05, **config).pack()
        assert not choose(none, small, 10, ic2, hp2), config
