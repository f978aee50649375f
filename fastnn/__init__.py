"""fastnn: small dense neural networks trained by compiled Numba kernels over one flat θ.

``fastnn.MLP`` runs its arithmetic in cached Numba kernels; ``fastnn.reference.MLP`` has the same
public API in plain numpy and is the readable truth the kernels are tested against.
"""

from . import engine
from ._io import ModelFileError
from ._layout import Layout
from ._version import __version__
from ._warmup import warmup
from .classifier import Classifier, NotFittedError
from .engine import History, TrainingDiverged, TrainingWarning
from .ensemble import Ensemble
from .many import train_many
from .model import MLP, load
from .onnx import to_onnx  # onnx itself is imported only when to_onnx runs

__all__ = [
    "MLP",
    "Classifier",
    "Ensemble",
    "History",
    "Layout",
    "ModelFileError",
    "NotFittedError",
    "TrainingDiverged",
    "TrainingWarning",
    "__version__",
    "engine",
    "load",
    "to_onnx",
    "train_many",
    "warmup",
]
