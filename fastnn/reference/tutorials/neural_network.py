"""The ``NeuralNetwork(x, y)`` tutorial (seeds 002 and 003), written out in plain numpy.

A network with one hidden layer of four sigmoid units, a sigmoid output, no biases, weights drawn
uniformly from [0, 1), trained by full-batch gradient descent with step size 1 on the sum of
squared errors. This is the readable twin of :mod:`fastnn.tutorials.neural_network`.
"""

from __future__ import annotations

import numpy as np

from .neuron import as_generator, sigmoid

#: The tutorial's 4-row table (third column is a constant 1) and its targets.
TABLE_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
TABLE_Y = np.array([[0], [1], [1], [0]])


def sigmoid_derivative(a):
    """Derivative of the sigmoid written in terms of its *output* ``a = sigmoid(z)``."""
    return a * (1.0 - a)


def inputs_and_targets(x, y):
    """``x`` as a 2-D float array and ``y`` as a 2-D float array with one row per row of ``x``.

    A 1-D ``y`` is read as one target per row (a column). Raises ValueError naming the argument.
    """
    inputs = np.array(x, dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[0] == 0 or inputs.shape[1] == 0:
        raise ValueError(
            f"x must be a non-empty 2-D table (rows, features), got shape {inputs.shape}"
        )
    targets = np.array(y, dtype=np.float64)
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    if targets.ndim != 2 or targets.shape[0] != inputs.shape[0]:
        raise ValueError(
            f"y must have one row per row of x ({inputs.shape[0]}), given as shape "
            f"({inputs.shape[0]},) or ({inputs.shape[0]}, n_outputs); got shape {targets.shape}"
        )
    return inputs, targets


def start_weights(rng, n_inputs, hidden, n_outputs, weights1, weights2):
    """The initial ``(weights1, weights2)``: given ones checked and copied, others drawn U[0, 1).

    ``weights1`` is drawn before ``weights2``, each row by row: the order fastnn's
    ``init="uniform"`` fills θ in, so one seed gives the same start in both implementations.
    """
    drawn1 = rng.random((n_inputs, hidden))
    drawn2 = rng.random((hidden, n_outputs))
    out = []
    for name, given, drawn in (("weights1", weights1, drawn1), ("weights2", weights2, drawn2)):
        if given is None:
            out.append(drawn)
            continue
        array = np.array(given, dtype=np.float64)
        if array.shape != drawn.shape:
            raise ValueError(f"{name} must have shape {drawn.shape}, got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinity")
        out.append(array)
    return out


class NeuralNetwork:
    """A 2-layer sigmoid network without biases, trained on the table it was built with.

    Parameters
    ----------
    x : array-like, shape (n_rows, n_inputs)
        Training inputs (kept, as a float array, in :attr:`input`).
    y : array-like, shape (n_rows,) or (n_rows, n_outputs)
        Targets (kept as a 2-D float array in :attr:`y`).
    hidden : int
        Hidden units (the tutorial uses 4).
    seed : int, numpy Generator or None
        Source of the uniform [0, 1) initial weights.
    weights1, weights2 : array-like, optional
        Start from these weights instead, shapes ``(n_inputs, hidden)`` and
        ``(hidden, n_outputs)``.

    Attributes
    ----------
    input, y, weights1, weights2 : ndarray
    layer1 : ndarray, shape (n_rows, hidden)
        Hidden-layer outputs of the last :meth:`feedforward` (zeros before the first).
    output : ndarray, shape like ``y``
        Network outputs of the last :meth:`feedforward` (zeros before the first).
    """

    def __init__(self, x, y, *, hidden=4, seed=None, weights1=None, weights2=None):
        self.input, self.y = inputs_and_targets(x, y)
        self.weights1, self.weights2 = start_weights(
            as_generator(seed), self.input.shape[1], hidden, self.y.shape[1], weights1, weights2
        )
        self.layer1 = np.zeros((self.input.shape[0], hidden))
        self.output = np.zeros(self.y.shape)

    def feedforward(self):
        """Recompute :attr:`layer1` and :attr:`output` from :attr:`input`; returns ``output``."""
        self.layer1 = sigmoid(self.input @ self.weights1)
        self.output = sigmoid(self.layer1 @ self.weights2)
        return self.output

    def _update(self, layer1, output):
        """One step down the sum-of-squares gradient, from the given forward-pass outputs.

        ``2 (y - output) f'`` is minus ∂L/∂(output pre-activation); the step size is 1, so adding
        the back-propagated products to the weights is gradient descent.
        """
        out_delta = 2.0 * (self.y - output) * sigmoid_derivative(output)
        hidden_delta = (out_delta @ self.weights2.T) * sigmoid_derivative(layer1)
        self.weights2 += layer1.T @ out_delta
        self.weights1 += self.input.T @ hidden_delta

    def backprop(self):
        """Apply the tutorial's update once, at the current weights.

        The gradient comes from a forward pass at the current weights — what the tutorial's
        ``feedforward(); backprop()`` pair uses — so calling it without a fresh
        :meth:`feedforward` is fine. :attr:`layer1` and :attr:`output` are not changed.
        """
        layer1 = sigmoid(self.input @ self.weights1)
        self._update(layer1, sigmoid(layer1 @ self.weights2))

    def loss(self):
        """Sum of squared errors at the current weights."""
        output = sigmoid(sigmoid(self.input @ self.weights1) @ self.weights2)
        return float(np.sum((self.y - output) ** 2))

    def train(self, iterations=1500):
        """Run ``feedforward(); backprop()`` ``iterations`` times, then one last feedforward.

        Returns
        -------
        ndarray
            The sum of squared errors of each iteration, measured before its update.
        """
        losses = np.empty(iterations)
        for i in range(iterations):
            self.feedforward()
            losses[i] = np.sum((self.y - self.output) ** 2)
            self._update(self.layer1, self.output)
        self.feedforward()
        return losses
