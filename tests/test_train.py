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
