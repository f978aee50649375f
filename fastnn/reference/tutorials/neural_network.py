"""The ``NeuralNetwork(x, y)`` tutorial (seeds 002 and 003), written out in plain numpy.

A network with one hidden layer of four sigmoid units, a sigmoid output, no biases, weights drawn
uniformly from [0, 1), trained by full-batch gradient descent with step size 1 on the sum of
squared errors. This is the readable twin of :mod:`fastnn.tutorials.neural_network`.
"""

from __future__ import annotations

import numpy as np

from ..._validation import (
    check_count,
    check_exact,
    check_iterations,
    check_table,
)
from .neuron import as_generator, sigmoid

#: The tutorial's 4-row table (third column is a constant 1) and its targets.
TABLE_X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
TABLE_Y = np.array([[0], [1], [1], [0]])


def sigmoid_derivative(a):
    """Derivative of the sigmoid written in terms of its *output* ``a = sigmoid(z)``."""
    return a * (1.0 - a)


def start_weights(rng, n_inputs, hidden, n_outputs, weights1, weights2):
    """The initial ``(weights1, weights2)``: given ones checked and copied, others drawn U[0, 1).

    ``weights1`` is drawn before ``weights2`` (both are drawn even when given), each row by row:
    the order fastnn's ``init="uniform"`` fills θ in, so one seed gives the same start in both
    implementations. The given ones are checked before anything is drawn.
    """
    shapes = {"weights1": (n_inputs, hidden), "weights2": (hidden, n_outputs)}
    given = {"weights1": weights1, "weights2": weights2}
    checked = {
        name: np.array(check_exact(value, shapes[name], name))
        for name, value in given.items()
        if value is not None
    }
    drawn = {name: rng.random(shape) for name, shape in shapes.items()}
    return [checked.get(name, drawn[name]) for name in shapes]


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
    input, y : ndarray
    weights1, weights2 : ndarray
        The network's own arrays. Assigning to one checks the new values (shape, finiteness)
        and copies them in; in-place updates such as ``nn.weights1 += d`` work as usual.
    layer1 : ndarray, shape (n_rows, hidden)
        Hidden-layer outputs of the last :meth:`feedforward` (zeros before the first).
    output : ndarray, shape like ``y``
        Network outputs of the last :meth:`feedforward` (zeros before the first).
    """

    def __init__(self, x, y, *, hidden=4, seed=None, weights1=None, weights2=None):
        self.input, self.y = check_table(x, y)
        hidden = check_count(hidden, "hidden")
        self._weights1, self._weights2 = start_weights(
            as_generator(seed), self.input.shape[1], hidden, self.y.shape[1], weights1, weights2
        )
        self.layer1 = np.zeros((self.input.shape[0], hidden))
        self.output = np.zeros(self.y.shape)

    @property
    def weights1(self) -> np.ndarray:
        return self._weights1

    @weights1.setter
    def weights1(self, value) -> None:
        if value is not self._weights1:  # not the in-place ``nn.weights1 += d``
            self._weights1[...] = check_exact(value, self._weights1.shape, "weights1")

    @property
    def weights2(self) -> np.ndarray:
        return self._weights2

    @weights2.setter
    def weights2(self, value) -> None:
        if value is not self._weights2:
            self._weights2[...] = check_exact(value, self._weights2.shape, "weights2")

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
        iterations = check_iterations(iterations)
        losses = np.empty(iterations)
        for i in range(iterations):
            self.feedforward()
            losses[i] = np.sum((self.y - self.output) ** 2)
            self._update(self.layer1, self.output)
        self.feedforward()
        return losses
