"""What ends an epoch, in plain numpy: the finiteness check and early stopping.

Twin of :mod:`fastnn.kernels.stopping`. ``es`` is the early-stopping state kept between calls:
``[best loss, best epoch, epochs without improvement]``.
"""

from __future__ import annotations

import numpy as np


def all_finite(theta: np.ndarray, loss: float) -> bool:
    """Whether ``loss`` and every entry of θ are finite."""
    return bool(np.isfinite(loss) and np.isfinite(theta).all())


def early_stopping(es, monitored, epoch, tol, patience, theta, best_theta) -> bool:
    """Record the ``monitored`` loss of ``epoch``; True when patience ran out (θ is then the best).

    An improvement by more than ``tol`` makes θ the best θ; ``patience`` epochs in a row without
    one restore it.
    """
    if monitored < es[0] - tol:
        es[:] = monitored, epoch, 0
        best_theta[:] = theta
        return False
    es[2] += 1
    if es[2] >= patience:
        theta[:] = best_theta
        return True
    return False
