"""Losses in plain numpy: per-row losses ``ℓ_i`` and their slopes ``∂ℓ_i/∂z`` at the logits.

Twin of :mod:`fastnn.kernels.losses`. For a block of rows the reported loss is
``Σ_i w_i ℓ_i / norm`` (see :func:`loss_norm`) and the delta that backpropagation starts from is
``w_i ∂ℓ_i/∂z / norm``; ``y``, ``p`` (outputs) and ``z`` (logits) are 2-D.
"""

from __future__ import annotations

import numpy as np

from .activations import ACTIVATIONS


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
    if loss == "poisson":
        # half the Poisson deviance, y log(y / p) - y + p with p = e^z, from the logits: the
        # logarithm is taken of the targets only (y log y = 0 at y = 0)
        r = p - y
        values = r + y * (np.log(np.where(y == 0.0, 1.0, y)) - z)
        return values.sum(axis=1), r
    if loss == "categorical_crossentropy":
        # -Σ_j y_j log softmax(z)_j = Σ_j y_j (logsumexp(z) - z_j)
        m = z.max(axis=1, keepdims=True)
        lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
        values = (y * (lse - z)).sum(axis=1)
        return values, y.sum(axis=1, keepdims=True) * p - y
    raise ValueError(f"unknown loss {loss!r}")
