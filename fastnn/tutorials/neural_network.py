"""The ``NeuralNetwork(x, y)`` tutorial (seeds 002 and 003), compiled.

A network with one hidden layer of four sigmoid units, a sigmoid output and no biases, weights
drawn uniformly from [0, 1), trained by full-batch gradient descent with step size 1 on the sum
of squared errors. It is a :class:`fastnn.MLP` with ``loss="sse"``, ``bias=False`` and
``init="uniform"``; ``weights1`` and ``weights2`` are views into its θ.

:meth:`NeuralNetwork.feedforward` and :meth:`NeuralNetwork.backprop` keep the tutorial's
step-by-step interface (one kernel call each); :meth:`NeuralNetwork.train` runs the whole loop in
one call of the compiled training kernel. The plain-numpy twin is
:mod:`fastnn.reference.tutorials.neural_network`.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_count,
    check_exact,
    check_iterations,
    check_table,
)
from ..model import MLP
from ..reference.tutorials.neural_network import TABLE_X, TABLE_Y, sigmoid_derivative

__all__ = ["TABLE_X", "TABLE_Y", "NeuralNetwork", "sigmoid_derivative"]


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
        Views into :attr:`model`'s θ: in-place changes (``nn.weights1 += d``) change the network.
        Assigning to one checks the new values (shape, finiteness) and copies them into θ.
    layer1 : ndarray, shape (n_rows, hidden)
        Hidden-layer outputs of the last :meth:`feedforward` (zeros before the first).
    output : ndarray, shape like ``y``
        Network outputs of the last :meth:`feedforward` (zeros before the first).
    model : fastnn.MLP
        The ``(n_inputs, hidden, n_outputs)`` network that does the work.
    """

    def __init__(self, x, y, *, hidden=4, seed=None, weights1=None, weights2=None):
        inputs, targets = check_table(x, y)
        hidden = check_count(hidden, "hidden")
        shapes = ((inputs.shape[1], hidden), (hidden, targets.shape[1]))
        given = [
            None if value is None else check_exact(value, shape, name)
            for name, value, shape in zip(
                ("weights1", "weights2"), (weights1, weights2), shapes, strict=True
            )
        ]
        sizes = (inputs.shape[1], hidden, targets.shape[1])
        model = MLP(sizes, "sigmoid", "sse", seed=seed, init="uniform", bias=False)
        # both are drawn (as in the reference); a given one replaces its draw
        for view, value in zip(model.weights, given, strict=True):
            if value is not None:
                view[...] = value
        self.input, self.y = inputs, targets
        self.model = model
        self.layer1 = np.zeros((self.input.shape[0], hidden))
        self.output = np.zeros(self.y.shape)

    @property
    def weights1(self) -> np.ndarray:
        return self.model.weights[0]

    @weights1.setter
    def weights1(self, value) -> None:
        view = self.model.weights[0]
        if value is not view:  # not the in-place ``nn.weights1 += d``
            view[...] = check_exact(value, view.shape, "weights1")

    @property
    def weights2(self) -> np.ndarray:
        return self.model.weights[1]

    @weights2.setter
    def weights2(self, value) -> None:
        view = self.model.weights[1]
        if value is not view:
            view[...] = check_exact(value, view.shape, "weights2")

    def feedforward(self):
        """Recompute :attr:`layer1` and :attr:`output` from :attr:`input`; returns ``output``."""
        self.layer1, self.output = self.model.layer_outputs(self.input)
        return self.output

    def backprop(self):
        """Apply the tutorial's update once: ``θ ← θ - ∂(sum of squared errors)/∂θ``.

        The gradient is taken at the current weights (the compiled step runs its own forward
        pass), which is what the tutorial's ``feedforward(); backprop()`` pair uses.
        :attr:`layer1` and :attr:`output` are not changed.
        """
        self.model.fit(
            self.input, self.y, epochs=1, learning_rate=1.0, batch_size=None, shuffle=False
        )

    def loss(self):
        """Sum of squared errors at the current weights."""
        return self.model.loss(self.input, self.y)

    def train(self, iterations=1500):
        """``iterations`` rounds of ``feedforward(); backprop()`` in one compiled call, then a
        last :meth:`feedforward` so that :attr:`output` shows the trained network.

        Returns
        -------
        ndarray
            The sum of squared errors of each iteration, measured before its update.
        """
        losses = self.model.fit(
            self.input,
            self.y,
            epochs=check_iterations(iterations),
            learning_rate=1.0,
            batch_size=None,
            shuffle=False,
        )
        self.feedforward()
        return losses
