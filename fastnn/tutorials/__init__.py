"""The three tutorials fastnn grew from, as drop-in classes compiled by fastnn.

Each class keeps the tutorial's name, attributes and methods, holds a :class:`fastnn.MLP`, and
runs every forward pass, gradient and training loop in fastnn's compiled kernels. Attributes
such as ``w1`` or ``weights1`` are views of (or properties over) the model's θ, so they always
show what the kernels use. Given the same starting weights, each class follows its plain-numpy
twin in :mod:`fastnn.reference.tutorials` step for step, to rounding error.

* :mod:`.neuron` — ``Neuron``, the fixed-weight 2-2-1 network and the trainable
  ``OurNeuralNetwork`` (per-sample SGD on a weight/height table).
* :mod:`.neural_network` — ``NeuralNetwork(x, y)``: 3-4-1, no biases, full-batch gradient
  descent on the sum of squared errors.
* :mod:`.perceptron` — ``Perceptron``: linear regression trained as a one-weight network, on 20
  points of scikit-learn's diabetes data (shipped with fastnn).

``python -m fastnn demo`` runs all three against their reference twins.
"""

from .neural_network import NeuralNetwork, sigmoid_derivative
from .neuron import (
    FixedWeightNetwork,
    Neuron,
    OurNeuralNetwork,
    deriv_sigmoid,
    mse_loss,
    sigmoid,
)
from .perceptron import Perceptron, closed_form_fit, load_diabetes_tail

__all__ = [
    "FixedWeightNetwork",
    "NeuralNetwork",
    "Neuron",
    "OurNeuralNetwork",
    "Perceptron",
    "closed_form_fit",
    "deriv_sigmoid",
    "load_diabetes_tail",
    "mse_loss",
    "sigmoid",
    "sigmoid_derivative",
]
