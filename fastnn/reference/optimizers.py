"""Optimizer updates in plain numpy, one function per optimizer, by name.

Twin of :mod:`fastnn.kernels.optimizers` (the formulas are in its docstring).
"""

from __future__ import annotations

import numpy as np


def sgd_step(theta, g, state, config, lr, t, weight_mask):
    """Plain SGD, or momentum / Nesterov momentum as torch.optim.SGD computes them."""
    if config.momentum == 0.0:
        theta -= lr * g
        return
    buffer = state[0]
    buffer *= config.momentum
    buffer += g
    step = g + config.momentum * buffer if config.nesterov else buffer
    theta -= lr * step


def adam_step(theta, g, state, config, lr, t, weight_mask):
    m, v = state
    m[:] = config.beta1 * m + (1.0 - config.beta1) * g
    v[:] = config.beta2 * v + (1.0 - config.beta2) * g * g
    m_hat = m / (1.0 - config.beta1**t)
    v_hat = v / (1.0 - config.beta2**t)
    theta -= lr * m_hat / (np.sqrt(v_hat) + config.eps)


def adamw_step(theta, g, state, config, lr, t, weight_mask):
    # decoupled weight decay: shrink the weights (not the biases), then an Adam step
    theta[weight_mask] *= 1.0 - lr * config.weight_decay
    adam_step(theta, g, state, config, lr, t, weight_mask)


def rmsprop_step(theta, g, state, config, lr, t, weight_mask):
    v = state[1]
    v[:] = config.rho * v + (1.0 - config.rho) * g * g
    theta -= lr * g / (np.sqrt(v) + config.eps)


OPTIMIZER_STEPS = {"sgd": sgd_step, "adam": adam_step, "adamw": adamw_step, "rmsprop": rmsprop_step}
