"""The 2-2-1 tutorial network (seeds 000 and 001), compiled.

Drop-in versions of the tutorial's ``Neuron``, its fixed-weight network and the trainable
``OurNeuralNetwork``, each holding a :class:`fastnn.MLP` and doing every forward pass, gradient
and training loop in fastnn's compiled kernels. The tutorial's parameter names are properties
over the model's θ, so reading or assigning ``net.w1`` reads or writes θ itself::

    h1 = f(w1 x1 + w2 x2 + b1)      h2 = f(w3 x1 + w4 x2 + b2)      o1 = f(w5 h1 + w6 h2 + b3)

With θ's layout (``W_0`` is 2×2, row-major, then ``b_0``, ``W_1``, ``b_1``) that makes
``w1 = W_0[0, 0]``, ``w2 = W_0[1, 0]``, ``w3 = W_0[0, 1]``, ``w4 = W_0[1, 1]``,
``w5 = W_1[0, 0]``, ``w6 = W_1[1, 0]``, ``b1, b2 = b_0`` and ``b3 = b_1[0]``.

The plain-numpy twin is :mod:`fastnn.reference.tutorials.neuron`; ``sigmoid``, ``deriv_sigmoid``
and ``mse_loss`` are the same elementwise numpy functions in both.
"""

from __future__ import annotations

import numpy as np

from .._layout import Layout
from .._validation import (
    check_count,
    check_exact,
    check_nine_values,
    check_number,
    check_rate,
    check_rows,
    check_target_column,
    check_vector,
)
from ..model import MLP
from ..reference.tutorials import neuron as _reference
from ..reference.tutorials.neuron import (
    EMILY,
    FRANK,
    GENDERS,
    PARAM_NAMES,
    PEOPLE,
    deriv_sigmoid,
    mse_loss,
    sigmoid,
)

__all__ = [
    "EMILY",
    "FRANK",
    "GENDERS",
    "PARAM_NAMES",
    "PEOPLE",
    "FixedWeightNetwork",
    "Neuron",
    "OurNeuralNetwork",
    "deriv_sigmoid",
    "mse_loss",
    "sigmoid",
]


class Neuron:
    """One sigmoid unit, ``f(weights · inputs + bias)``, as a compiled ``n → 1`` network.

    Parameters
    ----------
    weights : array-like, shape (n_inputs,)
    bias : float

    Attributes
    ----------
    weights : ndarray
        A view into :attr:`model`'s θ (writing to it changes the neuron). Assigning to it checks
        the new values and copies them into θ (the number of inputs stays as constructed).
    bias : float
    model : fastnn.MLP
        The ``(n_inputs, 1)`` sigmoid network that computes the output.
    """

    def __init__(self, weights, bias):
        w = check_vector(weights, "weights")
        b = check_number(bias, "bias")
        self.model = MLP((w.shape[0], 1), "sigmoid", "mse", params=np.append(w, b))

    @property
    def weights(self) -> np.ndarray:
        return self.model.weights[0][:, 0]

    @weights.setter
    def weights(self, value) -> None:
        view = self.model.weights[0][:, 0]
        view[...] = check_exact(value, view.shape, "weights")

    @property
    def bias(self) -> np.float64:
        return self.model.biases[0][0]

    @bias.setter
    def bias(self, value) -> None:
        self.model.biases[0][0] = check_number(value, "bias")

    def feedforward(self, inputs):
        """The unit's output for one input vector (a scalar) or for rows of inputs (1-D)."""
        rows, single = check_rows(inputs, self.model.layer_sizes[0], "inputs")
        out = self.model.predict(rows)[:, 0]
        return out[0] if single else out


class FixedWeightNetwork(_reference.FixedWeightNetwork):
    """Three compiled :class:`Neuron` objects wired as 2 inputs → h1, h2 → o1.

    The tutorial's first network: every neuron has ``weights = [0, 1]`` and ``bias = 0``, and
    ``feedforward([2, 3])`` gives 0.7216325609518421. The wiring is the reference twin's; only
    the neurons are compiled.
    """

    neuron_class = Neuron


_LAYOUT = Layout((2, 2, 1), bias=True)


def _weight_index(k: int, i: int, j: int) -> int:
    return _LAYOUT.w_offsets[k] + i * _LAYOUT.sizes[k + 1] + j


#: Position of each tutorial parameter in θ.
THETA_INDEX = {
    "w1": _weight_index(0, 0, 0),
    "w2": _weight_index(0, 1, 0),
    "w3": _weight_index(0, 0, 1),
    "w4": _weight_index(0, 1, 1),
    "w5": _weight_index(1, 0, 0),
    "w6": _weight_index(1, 1, 0),
    "b1": _LAYOUT.b_offsets[0],
    "b2": _LAYOUT.b_offsets[0] + 1,
    "b3": _LAYOUT.b_offsets[1],
}
_ORDER = np.array([THETA_INDEX[name] for name in PARAM_NAMES])


def _parameter(name: str) -> property:
    index = THETA_INDEX[name]

    def get(self) -> np.float64:
        return self.model.params[index]

    def set(self, value) -> None:
        self.model.params[index] = check_number(value, name)

    return property(get, set, doc=f"``{name}``: θ[{index}] of :attr:`model`.")


class OurNeuralNetwork:
    """The trainable 2-2-1 sigmoid network of the tutorial, compiled.

    Parameters
    ----------
    seed : int, numpy Generator or None
        Source of the initial parameters, each drawn from N(0, 1) (``init="normal"``).
    values : sequence of 9 floats, optional
        Start from these values instead, in the order ``w1 … w6, b1 … b3``.

    Attributes
    ----------
    w1, w2, w3, w4, w5, w6, b1, b2, b3 : float
        Properties over :attr:`model`'s θ.
    model : fastnn.MLP
        The ``(2, 2, 1)`` sigmoid network with MSE loss that does the work.
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
            self.model = MLP((2, 2, 1), "sigmoid", "mse", seed=seed, init="normal")
        else:
            self.model = MLP((2, 2, 1), "sigmoid", "mse", seed=seed, params=self._theta(values))
        self.loss_history = np.empty(0)
        self.loss_epochs = np.empty(0, dtype=np.int64)

    @staticmethod
    def _theta(values) -> np.ndarray:
        array = check_nine_values(values)
        theta = np.empty(len(PARAM_NAMES))
        theta[_ORDER] = array
        return theta

    @property
    def values(self) -> np.ndarray:
        """``[w1, w2, w3, w4, w5, w6, b1, b2, b3]`` as a new array."""
        return self.model.params[_ORDER]

    @values.setter
    def values(self, values) -> None:
        self.model.params = self._theta(values)

    def feedforward(self, x):
        """The network's output for one person ``[x1, x2]`` (a scalar) or for rows of people."""
        rows, single = check_rows(x, 2, "x")
        out = self.model.predict(rows)[:, 0]
        return out[0] if single else out

    def gradient(self, data, all_y_trues) -> dict:
        """∂(MSE over the rows of ``data``)/∂(every parameter), by the compiled backward pass.

        With one sample this is the tutorial's hand-worked partial derivative: ∂L/∂w1 ≈ 0.0214
        for Alice with every weight 1 and every bias 0.
        """
        rows, _ = check_rows(data, 2, "data")
        targets = check_target_column(all_y_trues, rows.shape[0], "all_y_trues", "data")
        grad = self.model.gradient(rows, targets)
        return {name: grad[THETA_INDEX[name]] for name in PARAM_NAMES}

    def train(self, data, all_y_trues, learn_rate=0.1, epochs=1000, loss_every=10, verbose=False):
        """Per-sample SGD over the rows of ``data``, in order, for ``epochs`` passes.

        The whole run is one call of fastnn's compiled training loop.

        Returns
        -------
        ndarray
            The MSE over the whole table after epochs 0, ``loss_every``, 2·``loss_every``, …
            (also kept in :attr:`loss_history`, with the epoch numbers in :attr:`loss_epochs`).
        """
        rows, _ = check_rows(data, 2, "data")
        targets = check_target_column(all_y_trues, rows.shape[0], "all_y_trues", "data")
        learn_rate = check_rate(learn_rate, "learn_rate")
        epochs = check_count(epochs, "epochs")
        loss_every = check_count(loss_every, "loss_every")
        self.model.fit(
            rows,
            targets,
            epochs=epochs,
            learning_rate=learn_rate,
            batch_size=1,
            shuffle=False,
            loss_every=loss_every,
        )
        history = self.model.history_
        assert history is not None and history.full_loss is not None  # loss_every > 0
        self.loss_history = history.full_loss.copy()
        self.loss_epochs = np.arange(0, epochs, loss_every, dtype=np.int64)
        if verbose:
            for epoch, loss in zip(self.loss_epochs, self.loss_history, strict=True):
                print(f"Epoch {epoch} loss: {loss:.3f}")
        return self.loss_history.copy()
