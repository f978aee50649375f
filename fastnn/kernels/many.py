"""Training a block of models in one call (:func:`fastnn.train_many`'s compiled loop).

:func:`_train_block` runs :func:`fastnn.kernels.train._train_epochs` (or its per-sample twin,
as ``fit`` would choose) for each model of a block in
turn, all of one architecture on one data set: row ``m`` of each stacked argument is model
``m``'s own argument of that kernel. Each model's result is therefore exactly what its own
``fit`` would compute; what the block saves is the trip through Python between models (and,
with several threads, the wait for the GIL that each trip costs).
"""

import numpy as np

from ._jit import jit
from .train import _per_sample_sgd, _train_epochs, _train_epochs_per_sample


@jit
def _train_block(
    theta, net, netf, X, Y, sw, perms, n_epochs, hp, ic, state, counters, es, best_theta, hist,
    val_X, val_Y, val_sw, val_hist, full_hist, result,
):  # fmt: skip
    """Train model ``m`` for epochs ``0 … n_epochs[m] - 1`` for every row ``m`` of ``theta``.

    ``theta`` ``(K, n_params)``, ``perms`` ``(K, epochs, n)`` (or ``(K, 0, 0)``: data order),
    ``hp``/``ic`` ``(K, …)``, ``state`` ``(K, 2, n_params)``, ``counters`` ``(K, 2)``, ``es``
    ``(K, 3)``, ``best_theta``, ``hist``, ``val_hist``, ``full_hist`` ``(K, …)``: model ``m``'s
    arguments of :func:`fastnn.kernels.train._train_epochs`, with ``first_epoch = 0``. The
    network and the data are shared. ``result[m]`` receives that kernel's ``(status,
    epochs_done)``.
    """
    first = np.int64(0)  # typed int64 as fit passes it (a literal 0 would compile a second version)
    for m in range(theta.shape[0]):
        if _per_sample_sgd(sw, net, X.shape[0], ic[m], hp[m]):  # as MLP._train_chunk chooses
            status, done = _train_epochs_per_sample(
                theta[m], net, netf, X, Y, sw, perms[m], first, n_epochs[m], hp[m], ic[m], state[m],
                counters[m], es[m], best_theta[m], hist[m], val_X, val_Y, val_sw, val_hist[m],
                full_hist[m],
            )  # fmt: skip
        else:
            status, done = _train_epochs(
                theta[m], net, netf, X, Y, sw, perms[m], first, n_epochs[m], hp[m], ic[m], state[m],
                counters[m], es[m], best_theta[m], hist[m], val_X, val_Y, val_sw, val_hist[m],
                full_hist[m],
            )  # fmt: skip
        result[m, 0] = status
        result[m, 1] = done
