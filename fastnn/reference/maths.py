"""The mathematics of fastnn in plain numpy: activations, losses, optimizers, schedules.

Written to be read. Every function works on whole arrays; nothing here is optimised. The compiled
kernels in :mod:`fastnn.kernels` must agree with these functions to rounding error, and the tests
check that they do.
"""

from __future__ import annotations

import numpy as np

# --- activations: f(z), and f'(z) written in terms of the output a = f(z) -----------------------


def sigmoid(z, param=0.0):
    # for z below about -709 (-88 in float32) e^-z overflows to inf and the result is 0 where the
    # true value is under 1e-308 (6e-39): as the compiled kernel does, silently
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-z))


def sigmoid_derivative(a, param=0.0):
    return a * (1.0 - a)


def identity(z, param=0.0):
    return z


def identity_derivative(a, param=0.0):
    return np.ones_like(a)


def tanh(z, param=0.0):
    return np.tanh(z)


def tanh_derivative(a, param=0.0):
    return 1.0 - a * a


def relu(z, param=0.0):
    return np.where(z < 0.0, 0.0, z)


def relu_derivative(a, param=0.0):
    return np.where(a > 0.0, 1.0, 0.0)


def leaky_relu(z, slope=0.01):
    return np.where(z < 0.0, slope * z, z)


def leaky_relu_derivative(a, slope=0.01):
    return np.where(a > 0.0, 1.0, slope)


def elu(z, alpha=1.0):
    return np.where(z < 0.0, alpha * np.expm1(np.minimum(z, 0.0)), z)


def elu_derivative(a, alpha=1.0):
    return np.where(a > 0.0, 1.0, a + alpha)


def softplus(z, param=0.0):
    # log(1 + e^z), written so that neither e^z nor log(0) can overflow
    return np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))


def softplus_derivative(a, param=0.0):
    # f'(z) = sigmoid(z) = 1 - e^(-a) when a = softplus(z)
    return -np.expm1(-a)


def softmax(z, param=0.0):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACTIVATIONS = {
    "identity": (identity, identity_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
    "softplus": (softplus, softplus_derivative),
    "softmax": (softmax, None),  # only as the output of categorical cross-entropy
}


# --- losses: per-row loss ℓ_i and ∂ℓ_i/∂z of the output layer -----------------------------------
#
# For a block of rows the reported loss is  Σ_i w_i ℓ_i / norm  (see loss_norm), and the delta that
# backpropagation starts from is  w_i ∂ℓ_i/∂z / norm.  y, p (outputs) and z (logits) are 2-D.


def loss_norm(loss, weight_sum, n_outputs):
    """What the weighted sum of row losses is divided by: a mean over every output, over rows,
    or nothing (sse)."""
    if loss == "sse":
        return 1.0
    if loss == "categorical_crossentropy":
        return weight_sum
    return weight_sum * n_outputs


def row_losses_and_gradients(loss, param, out_activation, out_param, y, p, z):
    """``(ℓ_i for each row, ∂ℓ_i/∂z)`` for outputs ``p = f(z)``."""
    derivative = ACTIVATIONS[out_activation][1]
    r = p - y
    if loss in ("mse", "sse"):
        return (r * r).sum(axis=1), 2.0 * r * derivative(p, out_param)
    if loss == "mae":
        return np.abs(r).sum(axis=1), np.sign(r) * derivative(p, out_param)
    if loss == "huber":
        small = np.abs(r) <= param
        values = np.where(small, 0.5 * r * r, param * (np.abs(r) - 0.5 * param))
        slopes = np.where(small, r, param * np.sign(r))
        return values.sum(axis=1), slopes * derivative(p, out_param)
    if loss == "binary_crossentropy":
        # -y log σ(z) - (1-y) log(1-σ(z)), from the logits so that it never takes log(0)
        values = np.maximum(z, 0.0) - y * z + np.log1p(np.exp(-np.abs(z)))
        return values.sum(axis=1), p - y
    if loss == "categorical_crossentropy":
        # -Σ_j y_j log softmax(z)_j = Σ_j y_j (logsumexp(z) - z_j)
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        values = (y * (lse - z)).sum(axis=1)
        return values, y.sum(axis=1, keepdims=True) * p - y
    raise ValueError(f"unknown loss {loss!r}")


# --- learning-rate schedules ---------------------------------------------------------------------


def learning_rate_at(config, epoch, rows_seen):
    """Learning rate of ``epoch`` (see ``schedule`` in :meth:`fastnn.MLP.fit`)."""
    lr = config.learning_rate
    if config.schedule == "invscaling":
        return lr / (1.0 + rows_seen) ** config.power
    if config.schedule == "step":
        return lr * config.gamma ** (epoch // config.step_size)
    if config.schedule == "cosine":
        e = min(epoch, config.schedule_epochs)
        return config.min_lr + (lr - config.min_lr) * 0.5 * (
            1.0 + np.cos(np.pi * e / config.schedule_epochs)
        )
    return lr


# --- optimizers: one update of θ given the gradient g -------------------------------------------


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


def clip_by_global_norm(g, clip_norm):
    """Scale ``g`` by ``clip_norm / (‖g‖ + 1e-6)`` when that is below 1 (PyTorch's rule)."""
    coef = clip_norm / (np.sqrt(np.sum(g * g)) + 1e-6)
    if coef < 1.0:
        g *= coef
