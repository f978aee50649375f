"""Optimizers over the flat parameter vector θ, and the learning-rate schedules.

Every optimizer is one loop over θ, written out inside the training loop
(:func:`fastnn.kernels.train._train_epochs`) rather than in a helper here: a helper taking the
arrays would cost reference counting on every step (see :mod:`fastnn.kernels._jit`). Its state
is a ``(2, n_params)`` array shaped like θ row by row
(``state[0]``: momentum buffer or Adam's first moment; ``state[1]``: the squared-gradient average);
the step counter ``t`` lives in the caller's counters. The formulas follow ``torch.optim``:

* SGD: ``b = μ b + g`` (``b`` starts at 0, so the first step uses ``g``);
  ``d = g + μ b`` (Nesterov) or ``b`` (classical) or ``g`` (μ = 0); ``θ -= η d``.
* Adam: ``m = β1 m + (1-β1) g``; ``v = β2 v + (1-β2) g²``;
  ``θ -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)``.
* AdamW: ``W *= 1 - η λ`` on the weights (not the biases), then the Adam step.
* RMSprop: ``v = ρ v + (1-ρ) g²``; ``θ -= η g / (sqrt(v) + ε)``.

Before the step, the training loop adds the L2 penalty's gradient ``l2 * W`` (weights only) and
clips the gradient to a global norm the way ``torch.nn.utils.clip_grad_norm_`` does
(``g *= c / (‖g‖ + 1e-6)`` when that factor is below 1).
"""

import numpy as np

from .._names import SCHED_COSINE, SCHED_INVSCALING, SCHED_STEP
from ._jit import jit


@jit
def _learning_rate(schedule, lr, power, gamma, step_size, min_lr, total, epoch, samples_seen):
    """Learning rate for ``epoch`` (0-based, counted from the start of this ``fit``).

    ``constant``: η. ``invscaling``: ``η / (1 + samples_seen)^power`` (scikit-learn's rule, with
    ``samples_seen`` the rows trained on before this epoch). ``step``:
    ``η γ^floor(epoch / step_size)``. ``cosine``: ``min_lr + (η - min_lr)(1 + cos(π e / E)) / 2``
    with ``e = min(epoch, E)`` and ``E = total``.
    """
    if schedule == SCHED_INVSCALING:
        return lr / (1.0 + samples_seen) ** power
    if schedule == SCHED_STEP:
        return lr * gamma ** (epoch // step_size)
    if schedule == SCHED_COSINE:
        e = min(epoch, total)
        return min_lr + (lr - min_lr) * 0.5 * (1.0 + np.cos(np.pi * e / total))
    return lr
