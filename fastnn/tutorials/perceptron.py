"""The perceptron tutorial (seed 004), compiled: ``y = m·x + b`` trained as a one-weight network.

:class:`Perceptron` is a :class:`fastnn.MLP` with one input, one identity output and the mean
squared error: its gradient is the average of the per-sample squared-error gradients, which is
exactly the step the tutorial takes. ``m`` and ``b`` are properties over the model's θ
(``m = W_0[0, 0]``, ``b = b_0[0]``). Training runs in one call of the compiled training kernel.

The tutorial's scalar helpers (``feedforward(x, m, b)``, ``loss``, ``backpropagate``) and the
closed-form least-squares fit are plain numpy formulas with nothing to compile; they are the same
functions as in the plain-numpy twin, :mod:`fastnn.reference.tutorials.perceptron`.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    check_column,
    check_count,
    check_iterations,
    check_number,
    check_one_point,
    check_points,
    check_rate,
)
from ..model import MLP
from ..reference.tutorials.perceptron import (
    backpropagate,
    backpropogate,
    closed_form_fit,
    feedforward,
    load_diabetes_tail,
    loss,
)

__all__ = [
    "Perceptron",
    "backpropagate",
    "backpropogate",
    "closed_form_fit",
    "feedforward",
    "load_diabetes_tail",
    "loss",
]


class Perceptron:
    """``y = m·x + b`` trained by gradient descent on the squared error, compiled.

    Parameters
    ----------
    m, b : float
        Starting weight and bias (the tutorial starts from 5 and 10).

    Attributes
    ----------
    m, b : float
        Properties over :attr:`model`'s θ; assigning one checks that it is a finite number.
    model : fastnn.MLP
        The ``(1, 1)`` identity network with MSE loss that does the work.

    Notes
    -----
    Every public method takes ``x`` and ``y`` as a number, a 1-D array or an ``(n, 1)`` column
    and checks them (and the other arguments) before it changes anything.
    """

    def __init__(self, m=5.0, b=10.0):
        params = [check_number(m, "m"), check_number(b, "b")]
        self.model = MLP((1, 1), "identity", "mse", params=params)

    @property
    def m(self) -> np.float64:
        return self.model.params[0]

    @m.setter
    def m(self, value) -> None:
        self.model.params[0] = check_number(value, "m")

    @property
    def b(self) -> np.float64:
        return self.model.params[1]

    @b.setter
    def b(self, value) -> None:
        self.model.params[1] = check_number(value, "b")

    def feedforward(self, x):
        """``m·x + b`` for a number or an array (same shape back)."""
        column, shape = check_column(x, "x")
        out = self.model.predict(column).reshape(shape)
        return out[()] if out.ndim == 0 else out

    def loss(self, x, y):
        """Sum of the squared errors of the predictions for ``x``."""
        X, Y = check_points(x, y)
        return float(self.model.loss(X, Y) * X.shape[0])

    def backpropagate(self, x, y):
        """``(dL/dm, dL/db)`` averaged over the samples given, each from its own squared error.

        For one sample this is that sample's gradient; for the whole table it is the gradient a
        training step uses.
        """
        grad = self.model.gradient(*check_points(x, y))
        return float(grad[0]), float(grad[1])

    def step(self, x, y, learning_rate=0.001):
        """One gradient-descent step; returns the mean squared error before it."""
        return float(self.train(x, y, 1, learning_rate)[0])

    def train(self, x, y, iterations=10_000, learning_rate=0.001):
        """``iterations`` gradient-descent steps in one compiled call.

        Returns
        -------
        ndarray
            The mean squared error before each step.
        """
        X, Y = check_points(x, y)
        return self.model.fit(
            X,
            Y,
            epochs=check_iterations(iterations),
            learning_rate=check_rate(learning_rate, "learning_rate"),
            batch_size=None,
            shuffle=False,
        )

    def descent_path(self, x, y, learning_rate, steps=10):
        """Gradient descent on one point, recording where it goes on the loss parabola.

        Returns
        -------
        y_preds, losses : ndarray, shape (steps,)
            The prediction for ``x`` and its squared error before each step.
        """
        X, Y = check_one_point(x, y)
        learning_rate = check_rate(learning_rate, "learning_rate")
        steps = check_count(steps, "steps")
        y_preds, losses = np.empty(steps), np.empty(steps)
        for i in range(steps):
            y_preds[i] = self.model.predict(X)[0, 0]
            losses[i] = self.step(X, Y, learning_rate)
        return y_preds, losses
