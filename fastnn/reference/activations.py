"""Activations in plain numpy: ``f(z)``, and ``f'(z)`` written in terms of the output ``a = f(z)``.

Twin of :mod:`fastnn.kernels.activations`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


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


def exp(z, param=0.0):
    # e^z overflows to inf beyond about 709 (88 in float32): silently, as in the compiled kernel
    with np.errstate(over="ignore"):
        return np.exp(z)


def exp_derivative(a, param=0.0):
    return a


def softmax(z, param=0.0):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


#: name → (function, derivative as a function of the output); softmax has no elementwise one.
ACTIVATIONS: dict[str, tuple[Callable[..., np.ndarray], Any]] = {
    "identity": (identity, identity_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "elu": (elu, elu_derivative),
    "softplus": (softplus, softplus_derivative),
    "softmax": (softmax, None),  # only as the output of categorical cross-entropy
    "exp": (exp, exp_derivative),
}
