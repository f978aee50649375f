"""fastnn's reference implementation: the same public API as :mod:`fastnn`, in plain numpy.

Swap ``import fastnn`` for ``import fastnn.reference as fastnn`` to run any fastnn program
through readable numpy code. The compiled kernels are tested against this package.
"""

from .._io import ModelFileError
from .._layout import Layout
from .._warmup import warmup_reference as warmup
from ..classifier import NotFittedError
from ..engine import History, TrainingDiverged, TrainingWarning
from .classifier import Classifier
from .model import MLP, load

__all__ = [
    "MLP",
    "Classifier",
    "History",
    "Layout",
    "ModelFileError",
    "NotFittedError",
    "TrainingDiverged",
    "TrainingWarning",
    "load",
    "warmup",
]
