"""What ends an epoch: the divergence check and rollback, and early stopping.

Twin: the epoch bookkeeping of :meth:`fastnn.reference.MLP._train_chunk`. An epoch whose loss or
θ is not finite is undone (:func:`_restore` puts back what :func:`_snapshot` saved before it);
early stopping keeps the best θ seen and brings it back when the monitored loss has not improved
by more than ``tol`` for ``patience`` epochs. ``es`` is the early-stopping state kept between
calls: ``[best loss, best epoch, epochs without improvement]``.
"""

import numpy as np

from .._config import HP, IC
from ._jit import _refs_end_here, jit, jit_inline


@jit_inline
def _snapshot(theta, state, counters, theta_copy, state_copy, counters_copy):
    """Copy θ, the optimizer state and the counters (what a diverging epoch falls back to)."""
    for p in range(theta.shape[0]):
        theta_copy[p] = theta[p]
        state_copy[0, p] = state[0, p]
        state_copy[1, p] = state[1, p]
    counters_copy[0] = counters[0]
    counters_copy[1] = counters[1]
    _refs_end_here(theta, state, counters, theta_copy, state_copy, counters_copy)


#: :func:`_snapshot` backwards, as an ordinary call: it runs only when an epoch diverged.
_restore = jit(getattr(_snapshot, "py_func", _snapshot))


@jit_inline
def _all_finite(theta, loss):
    """Whether ``loss`` and every entry of θ are finite."""
    finite = np.isfinite(loss)
    for p in range(theta.shape[0]):
        finite = finite and np.isfinite(theta[p])
    _refs_end_here(theta)
    return finite


@jit
def _early_stopping(es, monitored, epoch, hp, ic, theta, best_theta):
    """Record the ``monitored`` loss of ``epoch``; True when patience ran out (θ is then the best).

    An improvement by more than ``tol`` makes θ the best θ; ``patience`` epochs in a row without
    one restore it (both settings are read from the packed configuration ``hp``/``ic``).
    """
    tol = hp[HP.tol]
    patience = ic[IC.patience]
    stop = False
    if monitored < es[0] - tol:
        es[0] = monitored
        es[1] = epoch
        es[2] = 0
        for p in range(theta.shape[0]):
            best_theta[p] = theta[p]
    else:
        es[2] += 1
        if es[2] >= patience:
            for p in range(theta.shape[0]):
                theta[p] = best_theta[p]
            stop = True
    _refs_end_here(es, hp, ic, theta, best_theta)
    return stop
