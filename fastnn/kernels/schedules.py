"""Learning-rate schedules: the step size of each epoch.

Twin: :mod:`fastnn.reference.schedules`.
"""

import numpy as np

from .._names import Schedule
from ._jit import jit


@jit
def _learning_rate(schedule, lr, power, gamma, step_size, min_lr, total, epoch, samples_seen):
    """Learning rate for ``epoch`` (0-based, counted from the start of this ``fit``).

    ``constant``: η. ``invscaling``: ``η / (1 + samples_seen)^power`` (scikit-learn's rule, with
    ``samples_seen`` the rows trained on before this epoch). ``step``:
    ``η γ^floor(epoch / step_size)``. ``cosine``: ``min_lr + (η - min_lr)(1 + cos(π e / E)) / 2``
    with ``e = min(epoch, E)`` and ``E = total``.
    """
    if schedule == Schedule.INVSCALING:
        return lr / (1.0 + samples_seen) ** power
    if schedule == Schedule.STEP:
        return lr * gamma ** (epoch // step_size)
    if schedule == Schedule.COSINE:
        e = min(epoch, total)
        return min_lr + (lr - min_lr) * 0.5 * (1.0 + np.cos(np.pi * e / total))
    return lr
