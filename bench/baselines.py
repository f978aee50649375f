"""The code a user would run instead of fastnn: the baselines every speed-up is quoted against.

Two kinds, each written for these benchmarks (none of it is fastnn):

* **The tutorials' own loops** (W1–W3). fastnn grew from five tutorials; for the three tutorial
  networks the honest baseline is the tutorial's program as its reader runs it, so each is
  transcribed here step for step — the same per-sample or per-iteration structure, the same
  numpy calls on the same kinds of values (numpy scalars, tiny arrays, Python lists), the same
  repeated work where the tutorial repeats it. Two things differ, both in the baseline's favour or
  neutral: the starting weights are passed in (the workload's θ₀, so the result can be checked
  against fastnn's) instead of drawn at random, and a loss the tutorial prints is appended to a
  list instead (printing would time the terminal).

  - :class:`PeopleNetwork` and :func:`train_people` follow seed 001 (the 2-2-1 sigmoid network
    on the weight/height table: named weights ``w1``…``w6`` and biases ``b1``…``b3``,
    per-sample SGD, every partial derivative spelled out, the whole-table loss every 10 epochs).
  - :class:`NeuralNetwork` and :func:`train_neural_network` follow seeds 002/003 (the 3-4-1
    ``NeuralNetwork(x, y)`` class with ``feedforward()`` and ``backprop()``, no biases, run
    full-batch for a fixed number of iterations).
  - :func:`train_perceptron` follows seed 004 (the 1-input perceptron ``y = m·x + b``: per
    iteration, a Python list of per-sample gradients, averaged with ``np.array(...).mean()``).

* **Vectorised numpy** (W4–W6): :class:`NumpyMLP`, what a competent numpy user writes for a dense
  network — per batch one matrix product per layer forward, two per layer backward (one for the
  first), in-place updates, no per-sample Python loop. Its ``predict`` is the three products
  (with their activations) of the W4 network.

Each baseline trains from the workload's θ₀ in the workload's row order, so its trained
parameters can be compared with fastnn's (:mod:`bench.runners` does, before timing).
"""

from __future__ import annotations

import numpy as np

# --- seed 001: the 2-2-1 network, per-sample SGD ---------------------------------------------


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def _sigmoid_slope(t):
    """σ'(t), recomputing σ(t) each call, as the tutorial's helper does."""
    s = _sigmoid(t)
    return s * (1 - s)


def _mean_squared(y_true, y_pred):
    return ((y_true - y_pred) ** 2).mean()


class PeopleNetwork:
    """Seed 001's network: inputs x₀, x₁ → hidden h1, h2 → output o1, all sigmoid.

    ``weights`` are ``(w1, …, w6)`` and ``biases`` ``(b1, b2, b3)`` in the tutorial's naming:
    h1 = σ(w1·x₀ + w2·x₁ + b1), h2 = σ(w3·x₀ + w4·x₁ + b2), o1 = σ(w5·h1 + w6·h2 + b3).
    They are kept as Python floats, as the tutorial's ``np.random.normal()`` draws are.
    """

    def __init__(self, weights, biases):
        self.w1, self.w2, self.w3, self.w4, self.w5, self.w6 = (float(w) for w in weights)
        self.b1, self.b2, self.b3 = (float(b) for b in biases)

    def feedforward(self, x):
        h1 = _sigmoid(self.w1 * x[0] + self.w2 * x[1] + self.b1)
        h2 = _sigmoid(self.w3 * x[0] + self.w4 * x[1] + self.b2)
        return _sigmoid(self.w5 * h1 + self.w6 * h2 + self.b3)

    @classmethod
    def from_layers(cls, layers):
        """From ``[(W0 (2×2), b0), (W1 (2×1), b1)]``, W of shape (inputs, outputs)."""
        (W0, b0), (W1, b1) = layers
        return cls(
            (W0[0, 0], W0[1, 0], W0[0, 1], W0[1, 1], W1[0, 0], W1[1, 0]), (b0[0], b0[1], b1[0])
        )

    def flat(self) -> np.ndarray:
        """The parameters in fastnn's flat layout: W0 row by row, b0, W1, b1."""
        return np.array(
            [self.w1, self.w3, self.w2, self.w4, self.b1, self.b2, self.w5, self.w6, self.b3]
        )


def train_people(net: PeopleNetwork, data, all_y, learn_rate=0.1, epochs=1000, loss_every=10):
    """Seed 001's training loop; returns the whole-table losses of epochs 0, 10, 20, …"""
    losses = []
    for epoch in range(epochs):
        for x, y in zip(data, all_y, strict=True):
            # forward pass, keeping every weighted sum for the derivatives
            z1 = net.w1 * x[0] + net.w2 * x[1] + net.b1
            h1 = _sigmoid(z1)
            z2 = net.w3 * x[0] + net.w4 * x[1] + net.b2
            h2 = _sigmoid(z2)
            z3 = net.w5 * h1 + net.w6 * h2 + net.b3
            out = _sigmoid(z3)

            dL_dout = -2 * (y - out)

            # output neuron: its weights, its bias, and how the output moves with h1 and h2
            dout_dw5 = h1 * _sigmoid_slope(z3)
            dout_dw6 = h2 * _sigmoid_slope(z3)
            dout_db3 = _sigmoid_slope(z3)
            dout_dh1 = net.w5 * _sigmoid_slope(z3)
            dout_dh2 = net.w6 * _sigmoid_slope(z3)

            # hidden neuron h1
            dh1_dw1 = x[0] * _sigmoid_slope(z1)
            dh1_dw2 = x[1] * _sigmoid_slope(z1)
            dh1_db1 = _sigmoid_slope(z1)

            # hidden neuron h2
            dh2_dw3 = x[0] * _sigmoid_slope(z2)
            dh2_dw4 = x[1] * _sigmoid_slope(z2)
            dh2_db2 = _sigmoid_slope(z2)

            # one SGD step on each of the nine parameters
            net.w1 -= learn_rate * dL_dout * dout_dh1 * dh1_dw1
            net.w2 -= learn_rate * dL_dout * dout_dh1 * dh1_dw2
            net.b1 -= learn_rate * dL_dout * dout_dh1 * dh1_db1
            net.w3 -= learn_rate * dL_dout * dout_dh2 * dh2_dw3
            net.w4 -= learn_rate * dL_dout * dout_dh2 * dh2_dw4
            net.b2 -= learn_rate * dL_dout * dout_dh2 * dh2_db2
            net.w5 -= learn_rate * dL_dout * dout_dw5
            net.w6 -= learn_rate * dL_dout * dout_dw6
            net.b3 -= learn_rate * dL_dout * dout_db3

        if epoch % loss_every == 0:
            predictions = np.apply_along_axis(net.feedforward, 1, data)
            losses.append(_mean_squared(all_y, predictions))
    return losses


# --- seeds 002/003: NeuralNetwork(x, y), full batch ------------------------------------------


def _sigmoid_derivative_of_output(s):
    """σ' written in terms of σ's output s (the tutorial applies it to activations)."""
    return s * (1.0 - s)


class NeuralNetwork:
    """Seeds 002/003's class: ``x`` (rows × 3) → 4 sigmoid units → 1 sigmoid output, no biases.

    ``weights1`` (3×4) and ``weights2`` (4×1) default to ``np.random.rand`` draws, as in the
    tutorial; the benchmark passes the workload's θ₀ instead. Each ``backprop()`` adds the
    gradient of −(sum of squared errors), i.e. takes a gradient step with learning rate 1.
    """

    def __init__(self, x, y, weights1=None, weights2=None):
        # the tutorial draws from numpy's legacy global generator
        rand = np.random.rand
        self.input = x
        self.weights1 = rand(x.shape[1], 4) if weights1 is None else weights1.copy()
        self.weights2 = rand(4, 1) if weights2 is None else weights2.copy()
        self.y = y
        self.output = np.zeros(y.shape)

    def feedforward(self):
        self.layer1 = _sigmoid(np.dot(self.input, self.weights1))
        self.output = _sigmoid(np.dot(self.layer1, self.weights2))

    def backprop(self):
        # chain rule, written out per weight matrix as the tutorial does (the output error term
        # appears in both lines and is computed twice, like there)
        d_weights2 = np.dot(
            self.layer1.T,
            2 * (self.y - self.output) * _sigmoid_derivative_of_output(self.output),
        )
        d_weights1 = np.dot(
            self.input.T,
            np.dot(
                2 * (self.y - self.output) * _sigmoid_derivative_of_output(self.output),
                self.weights2.T,
            )
            * _sigmoid_derivative_of_output(self.layer1),
        )
        self.weights1 += d_weights1
        self.weights2 += d_weights2

    def flat(self) -> np.ndarray:
        return np.concatenate([self.weights1.ravel(), self.weights2.ravel()])


def train_neural_network(nn: NeuralNetwork, iterations=1500) -> NeuralNetwork:
    """The tutorial's driver: ``feedforward()`` then ``backprop()``, ``iterations`` times."""
    for _ in range(iterations):
        nn.feedforward()
        nn.backprop()
    return nn


# --- seed 004: the perceptron, per-sample gradient lists -------------------------------------


def perceptron_feedforward(x, m, b):
    return x * m + b


def perceptron_backpropagate(y_pred, y, x):
    """∂(y_pred − y)²/∂m and /∂b for one sample, through the chain rule."""
    dL_dpred = -2 * (y - y_pred)
    dpred_dm = x
    dpred_db = 1
    return dL_dpred * dpred_dm, dL_dpred * dpred_db


def train_perceptron(x, y, m, b, learning_rate=0.001, iterations=10_000):
    """Seed 004's loop: per iteration, every sample's gradient into a list, then a step with
    their mean. ``x`` and ``y`` are (20, 1) arrays, so each sample is a length-1 array."""
    for _ in range(iterations):
        gradient_m = []
        gradient_b = []
        for i in range(len(x)):
            y_pred = perceptron_feedforward(x[i], m, b)
            dm, db = perceptron_backpropagate(y_pred, y[i], x[i])
            gradient_m.append(dm)
            gradient_b.append(db)
        m = m - learning_rate * np.array(gradient_m).mean()
        b = b - learning_rate * np.array(gradient_b).mean()
    return m, b


# --- vectorised numpy: W4, W5, the W4-like shapes, W6 -----------------------------------------


def _activate(name, z):
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "identity":
        return z
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise NotImplementedError(f"activation {name!r}")


def _slope_from_output(name, h):
    """The activation's derivative, from its output (what a backward pass keeps)."""
    if name == "sigmoid":
        return h * (1.0 - h)
    if name == "relu":
        return (h > 0.0).astype(h.dtype)
    if name == "identity":
        return None
    raise NotImplementedError(f"activation {name!r}")


class NumpyMLP:
    """A dense network in vectorised numpy, trained with plain mini-batch SGD.

    ``layers`` is ``[(W, b), ...]`` with W of shape (inputs, outputs); the arrays are copied. The
    loss is ``"mse"`` (mean over every output of every row, sigmoid or identity output) or
    ``"categorical_crossentropy"`` (softmax output). Each epoch takes the rows in the given order
    (one fancy-indexed copy of X and Y per epoch, then contiguous slices), and per batch runs one
    product per layer forward and the weight-gradient and delta products backward, updating each
    layer in place. The mean batch loss of every epoch is kept in ``losses``.
    """

    def __init__(self, layers, activations, loss):
        self.W = [np.array(W, copy=True) for W, _ in layers]
        self.b = [np.array(b, copy=True) for _, b in layers]
        self.activations = tuple(activations)
        self.loss = loss
        self.losses = []
        if loss == "categorical_crossentropy" and self.activations[-1] != "softmax":
            raise NotImplementedError("cross-entropy needs a softmax output")
        if loss == "mse" and self.activations[-1] == "softmax":
            raise NotImplementedError("mse with a softmax output")

    def predict(self, X):
        h = X
        for W, b, act in zip(self.W, self.b, self.activations, strict=True):
            h = _activate(act, h @ W + b)
        return h

    def fit_epochs(self, X, Y, orders, batch_size, learning_rate):
        """One epoch per row of ``orders`` (each a permutation of the rows)."""
        for order in orders:
            self.losses.append(self._epoch(X[order], Y[order], batch_size, learning_rate))
        return self

    def _epoch(self, X, Y, batch_size, lr):
        n = X.shape[0]
        total = 0.0
        last = len(self.W) - 1
        for start in range(0, n, batch_size):
            xb = X[start : start + batch_size]
            yb = Y[start : start + batch_size]
            outs = [xb]
            for W, b, act in zip(self.W, self.b, self.activations, strict=True):
                outs.append(_activate(act, outs[-1] @ W + b))
            out = outs[-1]
            rows = xb.shape[0]
            if self.loss == "mse":
                diff = out - yb
                total += float(np.mean(diff * diff)) * rows
                delta = (2.0 / diff.size) * diff
                slope = _slope_from_output(self.activations[-1], out)
                if slope is not None:
                    delta *= slope
            else:  # softmax with cross-entropy: the delta of the logits is (p − y) / rows
                tiny = np.finfo(out.dtype).tiny
                total += float(-np.sum(yb * np.log(np.maximum(out, tiny))))  # batch mean × rows
                delta = (out - yb) / rows
            for k in range(last, -1, -1):
                grad_W = outs[k].T @ delta
                grad_b = delta.sum(axis=0)
                if k > 0:  # pass the delta down before this layer's weights change
                    delta = delta @ self.W[k].T
                    delta *= _slope_from_output(self.activations[k - 1], outs[k])
                self.W[k] -= lr * grad_W
                self.b[k] -= lr * grad_b
        return total / n

    def flat(self) -> np.ndarray:
        parts = []
        for W, b in zip(self.W, self.b, strict=True):
            parts += [W.ravel(), b]
        return np.concatenate(parts).astype(np.float64)
