"""fastnn: small dense neural networks trained by compiled Numba kernels over one flat θ.

``fastnn.MLP`` runs its arithmetic in cached Numba kernels; ``fastnn.reference.MLP`` has the same
public API in plain numpy and is the readable truth the kernels are tested against.
"""

from . import engine
from ._io import ModelFileError
from ._layout import Layout
from ._version import __version__
from ._warmup import warmup
from .classifier import Classifier
from .engine import History, TrainingDiverged
from .ensemble import Ensemble
from .many import train_many
from .model import MLP, load

__all__ = [
    "MLP",
    "Classifier",
    "Ensemble",
    "History",
    "Layout",
    "ModelFileError",
    "TrainingDiverged",
    "__version__",
    "engine",
    "load",
    "train_many",
    "warmup",
]
