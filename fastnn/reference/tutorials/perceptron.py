"""The perceptron tutorial (seed 004): linear regression fitted like a neural network, in numpy.

One input, one output, no activation: ``y = m·x + b``. The loss of a prediction is its squared
error, backpropagation gives ``(dL/dm, dL/db)`` for each sample, and a training step moves
``m`` and ``b`` against the *average* of the per-sample gradients, scaled by a learning rate.
The data are 20 points of scikit-learn's diabetes set (see :func:`load_diabetes_tail`).

This is the readable twin of :mod:`fastnn.tutorials.perceptron`: every step loops over the
samples one at a time, as the tutorial does.
"""

from __future__ import annotations

import csv
import io
from importlib import resources

import numpy as np

from ..._validation import (
    check_column,
    check_count,
    check_iterations,
    check_number,
    check_one_point,
    check_points,
    check_rate,
)

#: The package file holding the 20 points, for installs without scikit-learn.
DATA_FILE = "diabetes_tail.csv"


def load_diabetes_tail(source="auto"):
    """The tutorial's data: feature 2 (body-mass index) of the last 20 rows of scikit-learn's
    diabetes set, rescaled as ``100 x + 10``, and the disease-progression targets.

    Parameters
    ----------
    source : {"auto", "sklearn", "file"}
        ``"sklearn"`` reads scikit-learn's bundled copy, ``"file"`` the copy shipped in
        ``fastnn/data/diabetes_tail.csv``; ``"auto"`` uses scikit-learn when it is installed.

    Returns
    -------
    x, y : ndarray, shape (20, 1) each
    """
    if source not in ("auto", "sklearn", "file"):
        raise ValueError(f"source must be 'auto', 'sklearn' or 'file', got {source!r}")
    if source == "auto":
        try:
            import sklearn.datasets  # noqa: F401
        except ImportError:
            source = "file"
        else:
            source = "sklearn"
    if source == "sklearn":
        from sklearn.datasets import load_diabetes

        features, targets = load_diabetes(return_X_y=True)
        x = features[-20:, 2] * 100 + 10
        y = targets[-20:]
    else:
        text = (resources.files("fastnn") / "data" / DATA_FILE).read_text(encoding="utf-8")
        lines = [line for line in text.splitlines() if line and not line.startswith("#")]
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
        if rows[0] != ["x", "y"]:
            raise ValueError(f"{DATA_FILE}: expected the header 'x,y', got {rows[0]}")
        values = np.array(rows[1:], dtype=np.float64)
        x, y = values[:, 0], values[:, 1]
    return x.reshape(-1, 1).astype(np.float64), y.reshape(-1, 1).astype(np.float64)


def feedforward(x, m, b):
    """The perceptron's prediction ``m·x + b``."""
    return x * m + b


def loss(y, y_pred):
    """Sum of squared errors (for one sample: its squared error)."""
    return np.sum((np.asarray(y) - np.asarray(y_pred)) ** 2)


def backpropagate(y_pred, y, x):
    """``(dL/dm, dL/db)`` of one sample's squared error, by the chain rule through ``y_pred``."""
    dL_dypred = -2 * (y - y_pred)
    return dL_dypred * x, dL_dypred * 1


#: The tutorial's own spelling.
backpropogate = backpropagate


def closed_form_fit(x, y):
    """Least-squares slope and intercept: ``m = cov(x, y) / var(x)``, ``b = ȳ - m x̄``.

    ``x`` and ``y`` are equally long 1-D arrays or ``(n, 1)`` columns of finite numbers; ``x``
    needs at least two different values (ValueError otherwise, rather than a NaN slope).
    """
    x, y = _points(x, y)
    if x.size < 2:
        raise ValueError(f"x must hold at least 2 values to fit a line, got {x.size}")
    if x.min() == x.max():
        raise ValueError(f"x must not be constant (every value is {x[0]}): no slope fits it")
    dx = x - x.mean()
    m = np.sum(dx * (y - y.mean())) / np.sum(dx * dx)
    return float(m), float(y.mean() - m * x.mean())


def _points(x, y):
    """``x`` and ``y``, checked, as equally long 1-D float arrays (the samples the loops visit)."""
    X, Y = check_points(x, y)
    return X.ravel(), Y.ravel()


class Perceptron:
    """``y = m·x + b`` trained by gradient descent on the squared error.

    Parameters
    ----------
    m, b : float
        Starting weight and bias (the tutorial starts from 5 and 10).

    Attributes
    ----------
    m, b : float
        Assigning one checks that it is a finite number.

    Notes
    -----
    Every public method takes ``x`` and ``y`` as a number, a 1-D array or an ``(n, 1)`` column
    and checks them (and the other arguments) before it changes anything.
    """

    def __init__(self, m=5.0, b=10.0):
        self._m = check_number(m, "m")
        self._b = check_number(b, "b")

    @property
    def m(self) -> float:
        return self._m

    @m.setter
    def m(self, value) -> None:
        self._m = check_number(value, "m")

    @property
    def b(self) -> float:
        return self._b

    @b.setter
    def b(self, value) -> None:
        self._b = check_number(value, "b")

    def feedforward(self, x):
        """``m·x + b`` for a number or an array (same shape back)."""
        column, shape = check_column(x, "x")
        out = feedforward(column, self._m, self._b).reshape(shape)
        return out[()] if out.ndim == 0 else out

    def loss(self, x, y):
        """Sum of the squared errors of the predictions for ``x``."""
        xs, ys = _points(x, y)
        return float(loss(ys, feedforward(xs, self._m, self._b)))

    def _sweep(self, xs, ys):
        """Mean per-sample ``dL/dm``, ``dL/db`` and squared error, one sample at a time."""
        grads_m, grads_b, errors = [], [], []
        for xi, yi in zip(xs, ys, strict=True):
            y_pred = feedforward(xi, self._m, self._b)
            dm, db = backpropagate(y_pred, yi, xi)
            grads_m.append(dm)
            grads_b.append(db)
            errors.append((y_pred - yi) ** 2)
        return np.mean(grads_m), np.mean(grads_b), np.mean(errors)

    def backpropagate(self, x, y):
        """``(dL/dm, dL/db)`` averaged over the samples given, each from its own squared error.

        For one sample this is that sample's gradient; for the whole table it is the gradient a
        training step uses.
        """
        dm, db, _ = self._sweep(*_points(x, y))
        return float(dm), float(db)

    def _step(self, xs, ys, learning_rate):
        dm, db, mse = self._sweep(xs, ys)
        self._m -= learning_rate * dm
        self._b -= learning_rate * db
        return float(mse)

    def step(self, x, y, learning_rate=0.001):
        """One gradient-descent step; returns the mean squared error before it."""
        xs, ys = _points(x, y)
        return self._step(xs, ys, check_rate(learning_rate, "learning_rate"))

    def train(self, x, y, iterations=10_000, learning_rate=0.001):
        """``iterations`` gradient-descent steps; returns the mean squared error before each."""
        xs, ys = _points(x, y)
        iterations = check_iterations(iterations)
        learning_rate = check_rate(learning_rate, "learning_rate")
        return np.array([self._step(xs, ys, learning_rate) for _ in range(iterations)])

    def descent_path(self, x, y, learning_rate, steps=10):
        """Gradient descent on one point, recording where it goes on the loss parabola.

        Returns
        -------
        y_preds, losses : ndarray, shape (steps,)
            The prediction for ``x`` and its squared error before each step.
        """
        xs, ys = (a.ravel() for a in check_one_point(x, y))
        learning_rate = check_rate(learning_rate, "learning_rate")
        steps = check_count(steps, "steps")
        y_preds, losses = np.empty(steps), np.empty(steps)
        for i in range(steps):
            y_preds[i] = feedforward(xs[0], self._m, self._b)
            losses[i] = self._step(xs, ys, learning_rate)
        return y_preds, losses
