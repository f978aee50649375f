"""The 2-2-1 tutorial network (seeds 000 and 001), written out in plain numpy.

This is the readable twin of :mod:`fastnn.tutorials.neuron`. Every partial derivative of the
tutorial's hand-worked backpropagation appears here as its own line, and training is the
tutorial's loop: one sample at a time, in data order, with the whole-table MSE recorded every few
epochs. The compiled classes must follow these ones step for step.

Naming follows the tutorial's figure::

    h1 = f(w1 x1 + w2 x2 + b1)      h2 = f(w3 x1 + w4 x2 + b2)      o1 = f(w5 h1 + w6 h2 + b3)

with ``f`` the sigmoid, ``x1`` a person's weight (lb - 135) and ``x2`` their height (in - 66).
"""

from __future__ import annotations

import numbers

import numpy as np

#: The nine parameters of the 2-2-1 network, in the order :attr:`OurNeuralNetwork.values` uses.
PARAM_NAMES = ("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3")

#: The tutorial's table: weight (lb - 135) and height (in - 66) of Alice, Bob, Charlie and Diana,
#: and their labels (1 = female, 0 = male).
PEOPLE = np.array([[-2, -1], [25, 6], [17, 4], [-15, -6]])
GENDERS = np.array([1, 0, 0, 1])
#: The two people the trained network is asked about at the end of the tutorial.
EMILY = np.array([-7, -3])  # 128 lb, 63 in
FRANK = np.array([20, 2])  # 155 lb, 68 in


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, elementwise."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def deriv_sigmoid(x):
    """Derivative of :func:`sigmoid` at ``x`` (a pre-activation): ``f(x) (1 - f(x))``."""
    fx = sigmoid(x)
    return fx * (1.0 - fx)


def mse_loss(y_true, y_pred):
    """Mean of the squared differences between two equally long arrays."""
    diff = np.asarray(y_true, dtype=np.float64) - np.asarray(y_pred, dtype=np.float64)
    return np.mean(diff**2)


def as_generator(seed, argument="seed"):
    """``seed`` (None, an int or a numpy Generator) as a numpy Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{argument} must be None, an int or a numpy Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{argument} must be >= 0, got {seed}")
    return np.random.default_rng(int(seed))


class Neuron:
    """One sigmoid unit: ``f(weights · inputs + bias)``.

    Parameters
    ----------
    weights : array-like, shape (n_inputs,)
    bias : float
    """

    def __init__(self, weights, bias):
        self.weights = np.asarray(weights, dtype=np.float64)
        self.bias = float(bias)

    def feedforward(self, inputs):
        """The unit's output for one input vector (a scalar) or for rows of inputs (1-D)."""
        total = np.asarray(inputs, dtype=np.float64) @ self.weights + self.bias
        return sigmoid(total)


class FixedWeightNetwork:
    """Three :class:`Neuron` objects wired as 2 inputs → h1, h2 → o1, all with the same weights.

    The tutorial's first network: every neuron has ``weights = [0, 1]`` and ``bias = 0``, and
    ``feedforward([2, 3])`` gives 0.7216325609518421.
    """

    def __init__(self, weights=(0, 1), bias=0):
        self.h1 = Neuron(weights, bias)
        self.h2 = Neuron(weights, bias)
        self.o1 = Neuron(weights, bias)

    def feedforward(self, x):
        hidden = np.stack([self.h1.feedforward(x), self.h2.feedforward(x)], axis=-1)
        return self.o1.feedforward(hidden)


class OurNeuralNetwork:
    """The trainable 2-2-1 sigmoid network with parameters ``w1 … w6`` and ``b1 … b3``.

    Parameters
    ----------
    seed : int, numpy Generator or None
        Source of the initial parameters, each drawn from N(0, 1). They are drawn in the order
        fastnn's ``init="normal"`` fills θ (``w1, w3, w2, w4, b1, b2, w5, w6, b3``), so the same
        seed gives the same starting network here and in :mod:`fastnn.tutorials`.
    values : sequence of 9 floats, optional
        Start from these values instead, in the order of :data:`PARAM_NAMES`.
    """

    def __init__(self, seed=None, *, values=None):
        if values is None:
            rng = as_generator(seed)
            self.w1, self.w3, self.w2, self.w4 = rng.standard_normal(4)
            self.b1, self.b2 = rng.standard_normal(2)
            self.w5, self.w6 = rng.standard_normal(2)
            (self.b3,) = rng.standard_normal(1)
        else:
            self.values = values
        self.loss_history = np.empty(0)
        self.loss_epochs = np.empty(0, dtype=np.int64)

    @property
    def values(self) -> np.ndarray:
        """``[w1, w2, w3, w4, w5, w6, b1, b2, b3]`` as a new array."""
        return np.array([getattr(self, name) for name in PARAM_NAMES], dtype=np.float64)

    @values.setter
    def values(self, values) -> None:
        array = np.asarray(values, dtype=np.float64)
        if array.shape != (len(PARAM_NAMES),):
            raise ValueError(f"values must hold 9 numbers (w1 … w6, b1 … b3), got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError("values contains NaN or infinity")
        for name, value in zip(PARAM_NAMES, array, strict=True):
            setattr(self, name, float(value))

    def _forward(self, x1, x2):
        """Pre-activations and outputs of h1, h2 and o1."""
        sum_h1 = self.w1 * x1 + self.w2 * x2 + self.b1
        sum_h2 = self.w3 * x1 + self.w4 * x2 + self.b2
        h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
        sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
        return sum_h1, sum_h2, h1, h2, sum_o1, sigmoid(sum_o1)

    def feedforward(self, x):
        """The network's output for one person ``[x1, x2]`` (a scalar) or for rows of people."""
        x = np.asarray(x, dtype=np.float64)
        return self._forward(x[..., 0], x[..., 1])[-1]

    def _sample_gradient(self, x, y_true) -> dict:
        """∂L/∂(every parameter) for one sample, with ``L = (y_true - y_pred)²``."""
        x1, x2 = float(x[0]), float(x[1])
        sum_h1, sum_h2, h1, h2, sum_o1, y_pred = self._forward(x1, x2)
        dL_dypred = -2.0 * (float(y_true) - y_pred)
        # output neuron: y_pred = f(sum_o1)
        dL_dsum_o1 = dL_dypred * deriv_sigmoid(sum_o1)
        # hidden neurons: the output's sensitivity to h1 and h2 is w5 and w6
        dL_dsum_h1 = dL_dsum_o1 * self.w5 * deriv_sigmoid(sum_h1)
        dL_dsum_h2 = dL_dsum_o1 * self.w6 * deriv_sigmoid(sum_h2)
        return {
            "w1": dL_dsum_h1 * x1,
            "w2": dL_dsum_h1 * x2,
            "w3": dL_dsum_h2 * x1,
            "w4": dL_dsum_h2 * x2,
            "w5": dL_dsum_o1 * h1,
            "w6": dL_dsum_o1 * h2,
            "b1": dL_dsum_h1,
            "b2": dL_dsum_h2,
            "b3": dL_dsum_o1,
        }

    def gradient(self, data, all_y_trues) -> dict:
        """∂(MSE over the rows of ``data``)/∂(every parameter): the mean of the per-sample ones.

        With one sample (``data = [x1, x2]`` or a single row) this is the tutorial's hand-worked
        partial derivative, e.g. ∂L/∂w1 ≈ 0.0214 for Alice with every weight 1 and every bias 0.
        """
        data = np.atleast_2d(np.asarray(data, dtype=np.float64))
        targets = np.atleast_1d(np.asarray(all_y_trues, dtype=np.float64)).ravel()
        per_sample = [self._sample_gradient(x, y) for x, y in zip(data, targets, strict=True)]
        return {name: np.mean([g[name] for g in per_sample]) for name in PARAM_NAMES}

    def train(self, data, all_y_trues, learn_rate=0.1, epochs=1000, loss_every=10, verbose=False):
        """Per-sample gradient descent over the rows of ``data``, in order, for ``epochs`` passes.

        Returns
        -------
        ndarray
            The MSE over the whole table after epochs 0, ``loss_every``, 2·``loss_every``, …
            (also kept in :attr:`loss_history`, with the epoch numbers in :attr:`loss_epochs`).
        """
        data = np.asarray(data, dtype=np.float64)
        targets = np.asarray(all_y_trues, dtype=np.float64).ravel()
        losses, recorded_at = [], []
        for epoch in range(epochs):
            for x, y_true in zip(data, targets, strict=True):
                grads = self._sample_gradient(x, y_true)
                for name in PARAM_NAMES:
                    setattr(self, name, getattr(self, name) - learn_rate * grads[name])
            if epoch % loss_every == 0:
                loss = mse_loss(targets, self.feedforward(data))
                losses.append(loss)
                recorded_at.append(epoch)
                if verbose:
                    print(f"Epoch {epoch} loss: {loss:.3f}")
        self.loss_history = np.array(losses)
        self.loss_epochs = np.array(recorded_at, dtype=np.int64)
        return self.loss_history.copy()
