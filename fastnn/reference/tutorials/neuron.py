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

from operator import attrgetter

import numpy as np

from ..._validation import (
    as_rng,
    check_count,
    check_exact,
    check_nine_values,
    check_number,
    check_pair_weights,
    check_rate,
    check_rows,
    check_target_column,
    check_vector,
)

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


#: ``seed`` (None, an int or a numpy Generator) as a numpy Generator: fastnn's one seed check.
as_generator = as_rng


class Neuron:
    """One sigmoid unit: ``f(weights · inputs + bias)``.

    Parameters
    ----------
    weights : array-like, shape (n_inputs,)
    bias : float

    Attributes
    ----------
    weights : ndarray
        The neuron's own copy; assigning to it checks the new values and copies them in (the
        number of inputs stays as constructed).
    bias : float
    """

    def __init__(self, weights, bias):
        self._weights = np.array(check_vector(weights, "weights"))
        self._bias = check_number(bias, "bias")

    @property
    def weights(self) -> np.ndarray:
        return self._weights

    @weights.setter
    def weights(self, value) -> None:
        if value is not self._weights:  # not the in-place ``neuron.weights += d``
            self._weights[...] = check_exact(value, self._weights.shape, "weights")

    @property
    def bias(self) -> float:
        return self._bias

    @bias.setter
    def bias(self, value) -> None:
        self._bias = check_number(value, "bias")

    def feedforward(self, inputs):
        """The unit's output for one input vector (a scalar) or for rows of inputs (1-D)."""
        rows, single = check_rows(inputs, self._weights.shape[0], "inputs")
        out = sigmoid(rows @ self._weights + self._bias)
        return out[0] if single else out


class FixedWeightNetwork:
    """Three :class:`Neuron` objects wired as 2 inputs → h1, h2 → o1, all with the same weights.

    The tutorial's first network: every neuron has ``weights = [0, 1]`` and ``bias = 0``, and
    ``feedforward([2, 3])`` gives 0.7216325609518421.
    """

    neuron_class: type = Neuron  # the compiled twin swaps in its own Neuron

    def __init__(self, weights=(0, 1), bias=0):
        weights = check_pair_weights(weights)
        self.h1 = self.neuron_class(weights, bias)
        self.h2 = self.neuron_class(weights, bias)
        self.o1 = self.neuron_class(weights, bias)

    def feedforward(self, x):
        """The output for one input pair ``[x1, x2]`` (a scalar) or for rows of pairs (1-D)."""
        rows, single = check_rows(x, 2, "x")
        hidden = np.stack([self.h1.feedforward(rows), self.h2.feedforward(rows)], axis=-1)
        out = self.o1.feedforward(hidden)
        return out[0] if single else out


def _parameter(name: str) -> property:
    """``name`` as a checked property over the attribute ``_name``."""
    slot = "_" + name

    def set(self, value) -> None:
        setattr(self, slot, check_number(value, name))

    return property(attrgetter(slot), set, doc=f"``{name}`` (a float; set it to any finite number)")


#: ``(name, storage attribute)`` of each parameter, in :data:`PARAM_NAMES` order.
_SLOTS = tuple((name, "_" + name) for name in PARAM_NAMES)


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

    Attributes
    ----------
    w1, w2, w3, w4, w5, w6, b1, b2, b3 : float
        The parameters; assigning one checks that it is a finite number.
    loss_history : ndarray
        What the last :meth:`train` recorded; ``loss_epochs`` holds the epoch numbers.
    """

    w1 = _parameter("w1")
    w2 = _parameter("w2")
    w3 = _parameter("w3")
    w4 = _parameter("w4")
    w5 = _parameter("w5")
    w6 = _parameter("w6")
    b1 = _parameter("b1")
    b2 = _parameter("b2")
    b3 = _parameter("b3")

    def __init__(self, seed=None, *, values=None):
        if values is None:
            rng = as_generator(seed)
            self._w1, self._w3, self._w2, self._w4 = rng.standard_normal(4)
            self._b1, self._b2 = rng.standard_normal(2)
            self._w5, self._w6 = rng.standard_normal(2)
            (self._b3,) = rng.standard_normal(1)
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
        array = check_nine_values(values)
        for (_, slot), value in zip(_SLOTS, array, strict=True):
            setattr(self, slot, float(value))

    def _forward(self, x1, x2):
        """Pre-activations and outputs of h1, h2 and o1."""
        sum_h1 = self.w1 * x1 + self.w2 * x2 + self.b1
        sum_h2 = self.w3 * x1 + self.w4 * x2 + self.b2
        h1, h2 = sigmoid(sum_h1), sigmoid(sum_h2)
        sum_o1 = self.w5 * h1 + self.w6 * h2 + self.b3
        return sum_h1, sum_h2, h1, h2, sum_o1, sigmoid(sum_o1)

    def feedforward(self, x):
        """The network's output for one person ``[x1, x2]`` (a scalar) or for rows of people."""
        rows, single = check_rows(x, 2, "x")
        out = self._forward(rows[:, 0], rows[:, 1])[-1]
        return out[0] if single else out

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
        data, _ = check_rows(data, 2, "data")
        targets = check_target_column(all_y_trues, data.shape[0], "all_y_trues", "data").ravel()
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
        data, _ = check_rows(data, 2, "data")
        targets = check_target_column(all_y_trues, data.shape[0], "all_y_trues", "data").ravel()
        learn_rate = check_rate(learn_rate, "learn_rate")
        epochs = check_count(epochs, "epochs")
        loss_every = check_count(loss_every, "loss_every")
        losses, recorded_at = [], []
        for epoch in range(epochs):
            for x, y_true in zip(data, targets, strict=True):
                grads = self._sample_gradient(x, y_true)
                for name, slot in _SLOTS:
                    setattr(self, slot, getattr(self, slot) - learn_rate * grads[name])
            if epoch % loss_every == 0:
                loss = mse_loss(targets, self._forward(data[:, 0], data[:, 1])[-1])
                losses.append(loss)
                recorded_at.append(epoch)
                if verbose:
                    print(f"Epoch {epoch} loss: {loss:.3f}")
        self.loss_history = np.array(losses)
        self.loss_epochs = np.array(recorded_at, dtype=np.int64)
        return self.loss_history.copy()
