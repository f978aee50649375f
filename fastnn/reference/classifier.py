"""The reference classifier: :class:`fastnn.Classifier`'s logic over the numpy reference MLP."""

from __future__ import annotations

from ..classifier import ClassifierBase
from .model import MLP


class Classifier(ClassifierBase):
    __doc__ = (
        (ClassifierBase.__doc__ or "")
        + """
    Notes
    -----
    The plain-numpy twin of :class:`fastnn.Classifier`: every line of the classification logic is
    shared (:class:`fastnn.classifier.ClassifierBase`); only the network underneath is the
    reference :class:`fastnn.reference.MLP`.
    """
    )

    _mlp_class = MLP
