"""The three tutorials fastnn grew from, written plainly in numpy.

The twins of :mod:`fastnn.tutorials`: the same classes, attributes and methods, computed the way
the tutorials compute them (scalar formulas, per-sample loops). The compiled classes are tested
against these.

* :mod:`.neuron` — ``Neuron``, the fixed-weight 2-2-1 network and the trainable
  ``OurNeuralNetwork`` (seeds 000/001).
* :mod:`.neural_network` — ``NeuralNetwork(x, y)``, the 3-4-1 network without biases trained by
  full-batch gradient descent (seeds 002/003).
* :mod:`.perceptron` — ``Perceptron``: linear regression trained as a one-weight network
  (seed 004), and the data it is fitted to.
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
