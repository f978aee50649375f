"""Optimizer kernels over the flat parameter vector θ.

Every optimizer is one loop over θ. Its state is a ``(2, n_params)`` array shaped like θ row by row
(``state[0]``: momentum buffer or Adam's first moment; ``state[1]``: the squared-gradient average);
the step counter ``t`` lives in the caller's counters. The formulas follow ``torch.optim``:

* SGD: ``b = μ b + g`` (``b`` starts at 0, so the first step uses ``g``);
  ``d = g + μ b`` (Nesterov) or ``b`` (classical) or ``g`` (μ = 0); ``θ -= η d``.
* Adam: ``m = β1 m + (1-β1) g``; ``v = β2 v + (1-β2) g²``;
  ``θ -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)``.
* AdamW: ``W *= 1 - η λ`` on the weights (not the biases), then the Adam step.
* RMSprop: ``v = ρ v + (1-ρ) g²``; ``θ -= η g / (sqrt(v) + ε)``.

Before the step, :func:`_regularise_and_clip` adds the L2 penalty's gradient (weights only) and
clips the gradient to a global norm the way ``torch.nn.utils.clip_grad_norm_`` does
(``g *= c / (‖g‖ + 1e-6)`` when that factor is below 1).
"""

import numpy as np

from .._config import (
    HP_BETA1,
    HP_BETA2,
    HP_EPS,
    HP_GAMMA,
    HP_LR,
    HP_MIN_LR,
    HP_MOMENTUM,
    HP_POWER,
    HP_RHO,
    HP_WEIGHT_DECAY,
    IC_NESTEROV,
    IC_OPTIMIZER,
    IC_SCHEDULE,
    IC_SCHEDULE_EPOCHS,
    IC_STEP_SIZE,
)
from .._names import (
    OPT_ADAMW,
    OPT_RMSPROP,
    OPT_SGD,
    SCHED_COSINE,
    SCHED_INVSCALING,
    SCHED_STEP,
)
from ._jit import _refs_end_here, jit, jit_inline
from .dense import _n_layers, _size, _w_off


@jit
def _learning_rate(hp, ic, epoch, samples_seen):
    """Learning rate for ``epoch`` (0-based, counted from the start of this ``fit``).

    ``constant``: η. ``invscaling``: ``η / (1 + samples_seen)^power`` (scikit-learn's rule, with
    ``samples_seen`` the rows trained on before this epoch). ``step``:
    ``η γ^floor(epoch / step_size)``. ``cosine``: ``min_lr + (η - min_lr)(1 + cos(π e / E)) / 2``
    with ``e = min(epoch, E)`` and ``E = schedule_epochs``.
    """
    lr = hp[HP_LR]
    schedule = ic[IC_SCHEDULE]
    if schedule == SCHED_INVSCALING:
        return lr / (1.0 + samples_seen) ** hp[HP_POWER]
    if schedule == SCHED_STEP:
        return lr * hp[HP_GAMMA] ** (epoch // ic[IC_STEP_SIZE])
    if schedule == SCHED_COSINE:
        total = ic[IC_SCHEDULE_EPOCHS]
        e = min(epoch, total)
        low = hp[HP_MIN_LR]
        return low + (lr - low) * 0.5 * (1.0 + np.cos(np.pi * e / total))
    return lr


@jit_inline
def _l2_penalty(theta, net):
    """``Σ W²`` over every weight (biases excluded), accumulated in float64."""
    total = 0.0
    for k in range(_n_layers(net)):
        w = _w_off(net, k)
        for p in range(w, w + _size(net, k) * _size(net, k + 1)):
            total += theta[p] * theta[p]
    _refs_end_here(theta, net)
    return total


@jit_inline
def _regularise_and_clip(theta, grad, net, l2, clip_norm):
    """Add ``l2 * W`` to the weights' gradient, then clip ``grad`` to ``clip_norm`` (0: off)."""
    if l2 != 0.0:
        for k in range(_n_layers(net)):
            w = _w_off(net, k)
            for p in range(w, w + _size(net, k) * _size(net, k + 1)):
                grad[p] += l2 * theta[p]
    if clip_norm > 0.0:
        sq = 0.0
        for p in range(grad.shape[0]):
            sq += grad[p] * grad[p]
        coef = clip_norm / (np.sqrt(sq) + 1e-6)
        if coef < 1.0:
            for p in range(grad.shape[0]):
                grad[p] *= coef
    _refs_end_here(theta, grad, net)


@jit_inline
def _optimizer_step(theta, grad, state, hp, ic, lr, t, net):
    """Apply one update of the configured optimizer; ``t`` is the 1-based step number.

    (It ends with :func:`fastnn.kernels._jit._refs_end_here`, as every per-step helper does.)
    """
    code = ic[IC_OPTIMIZER]
    nesterov = ic[IC_NESTEROV] != 0
    mu = hp[HP_MOMENTUM]
    eps = hp[HP_EPS]
    rho = hp[HP_RHO]
    b1 = hp[HP_BETA1]
    b2 = hp[HP_BETA2]
    decay = 1.0 - lr * hp[HP_WEIGHT_DECAY]
    n = theta.shape[0]
    if code == OPT_SGD and mu == 0.0:
        for p in range(n):
            theta[p] -= lr * grad[p]
    elif code == OPT_SGD:
        for p in range(n):
            b = mu * state[0, p] + grad[p]
            state[0, p] = b
            theta[p] -= lr * (grad[p] + mu * b if nesterov else b)
    elif code == OPT_RMSPROP:
        for p in range(n):
            v = rho * state[1, p] + (1.0 - rho) * grad[p] * grad[p]
            state[1, p] = v
            theta[p] -= lr * grad[p] / (np.sqrt(v) + eps)
    else:  # Adam, AdamW
        if code == OPT_ADAMW:
            for k in range(_n_layers(net)):
                w = _w_off(net, k)
                for p in range(w, w + _size(net, k) * _size(net, k + 1)):
                    theta[p] *= decay
        c1 = 1.0 - b1**t
        c2 = 1.0 - b2**t
        for p in range(n):
            g = grad[p]
            m = b1 * state[0, p] + (1.0 - b1) * g
            v = b2 * state[1, p] + (1.0 - b2) * g * g
            state[0, p] = m
            state[1, p] = v
            theta[p] -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
    _refs_end_here(theta, grad, state, hp, ic, net)
