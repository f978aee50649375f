"""fastnn's reference implementation: the same public API as :mod:`fastnn`, in plain numpy.

Swap ``import fastnn`` for ``import fastnn.reference as fastnn`` to run any fastnn program
through readable numpy code. The compiled kernels are tested against this package.
"""

from .._base import History, TrainingDiverged
from .._layout import Layout
from .model import MLP

__all__ = ["MLP", "History", "Layout", "TrainingDiverged"]
