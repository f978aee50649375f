"""The epoch-end kernels of :mod:`fastnn.kernels.stopping` against their numpy twin
:mod:`fastnn.reference.stopping`: the snapshot and rollback of a diverging epoch, the finiteness
check and early stopping."""

from __future__ import annotations

import numpy as np
import pytest

from fastnn._config import HP, IC, TrainConfig
from fastnn.kernels.stopping import _all_finite, _early_stopping, _restore, _snapshot
from fastnn.reference import stopping


def test_snapshot_and_restore_round_trip(rng):
    theta, state = rng.standard_normal(7), rng.standard_normal((2, 7))
    counters = np.array([5, 40], dtype=np.int64)
    saved = np.empty_like(theta), np.empty_like(state), np.empty_like(counters)
    _snapshot(theta, state, counters, *saved)
    before = theta.copy(), state.copy(), counters.copy()
    theta += 1.0  # an epoch that diverged
    state[:] = np.nan
    counters += 3
    _restore(*saved, theta, state, counters)
    for now, then in zip((theta, state, counters), before, strict=True):
        np.testing.assert_array_equal(now, then)


@pytest.mark.parametrize("bad", [None, "theta-nan", "theta-inf", "loss-nan", "loss-inf"])
def test_all_finite_matches_reference(bad, rng):
    theta, loss = rng.standard_normal(9), 0.5
    if bad == "theta-nan":
        theta[4] = np.nan
    elif bad == "theta-inf":
        theta[8] = -np.inf
    elif bad == "loss-nan":
        loss = np.nan
    elif bad == "loss-inf":
        loss = np.inf
    assert bool(_all_finite(theta, loss)) == stopping.all_finite(theta, loss) == (bad is None)


@pytest.mark.parametrize(("patience", "tol"), [(1, 0.0), (3, 0.0), (2, 0.05)])
def test_early_stopping_matches_reference(patience, tol, rng):
    """A sequence of monitored losses: both keep the same best θ, counts and stopping epoch."""
    config = TrainConfig(patience=patience, tol=tol)
    hp, ic = config.pack()
    assert hp[HP.tol] == tol and ic[IC.patience] == patience
    losses = [1.0, 0.8, 0.79, 0.9, 0.6, 0.61, 0.62, 0.63, 0.5]
    runs = []
    for kernel in (True, False):
        es = np.array([np.inf, -1.0, 0.0])
        theta, best = np.zeros(4), np.full(4, np.nan)
        stopped_at = None
        for epoch, monitored in enumerate(losses):
            theta[:] = epoch  # θ after this epoch
            if kernel:
                stop = _early_stopping(es, monitored, epoch, hp, ic, theta, best)
            else:
                stop = stopping.early_stopping(es, monitored, epoch, tol, patience, theta, best)
            if stop:
                stopped_at = epoch
                break
        runs.append((es.copy(), theta.copy(), best.copy(), stopped_at))
    (es_k, theta_k, best_k, at_k), (es_r, theta_r, best_r, at_r) = runs
    np.testing.assert_array_equal(es_k, es_r)
    np.testing.assert_array_equal(theta_k, theta_r)
    np.testing.assert_array_equal(best_k, best_r)
    assert at_k == at_r
    if at_k is not None:  # θ is the best epoch's
        np.testing.assert_array_equal(theta_k, np.full(4, es_k[1]))
