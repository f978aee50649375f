"""W1's hand-written Numba peer: the per-sample loop anyone would write with ``@njit``.

One hidden layer of sigmoid units, one sigmoid output, squared error, plain SGD on one row at a
time, and the mean squared error over every row after epochs 0, k, 2k, … (W1 asks for it every
10 epochs, as seed 001 prints it). No options, no checks, no workspace reuse beyond the obvious
hidden-activation buffer: the code a Numba user would type for this network in a few minutes.
The weights are separate small arrays, updated in place.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit
def _hidden(W0, b0, x, h):
    for j in range(h.shape[0]):
        z = b0[j]
        for i in range(x.shape[0]):
            z += x[i] * W0[i, j]
        h[j] = 1.0 / (1.0 + math.exp(-z))


@njit
def _output(W1, b1, h):
    z = b1[0]
    for j in range(h.shape[0]):
        z += h[j] * W1[j, 0]
    return 1.0 / (1.0 + math.exp(-z))


@njit
def train(W0, b0, W1, b1, X, y, lr, epochs, loss_every):
    """Train in place; return the whole-data losses of epochs 0, ``loss_every``, …"""
    h = np.empty(W0.shape[1])
    losses = np.empty((epochs + loss_every - 1) // loss_every)
    for epoch in range(epochs):
        for r in range(X.shape[0]):
            _hidden(W0, b0, X[r], h)
            out = _output(W1, b1, h)
            g = 2.0 * (out - y[r]) * out * (1.0 - out)  # ∂L/∂z of the output unit
            for j in range(h.shape[0]):
                gh = g * W1[j, 0] * h[j] * (1.0 - h[j])  # uses W1 before its update
                W1[j, 0] -= lr * g * h[j]
                for i in range(X.shape[1]):
                    W0[i, j] -= lr * gh * X[r, i]
                b0[j] -= lr * gh
            b1[0] -= lr * g
        if epoch % loss_every == 0:
            total = 0.0
            for r in range(X.shape[0]):
                _hidden(W0, b0, X[r], h)
                e = _output(W1, b1, h) - y[r]
                total += e * e
            losses[epoch // loss_every] = total / X.shape[0]
    return losses
