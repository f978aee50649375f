"""Gradient clipping in plain numpy (twin of :mod:`fastnn.kernels.regularization`).

The L2 penalty is :meth:`fastnn.reference.MLP._add_l2`, next to the weights it reads.
"""

from __future__ import annotations

import numpy as np


def clip_by_global_norm(g, clip_norm):
    """Scale ``g`` by ``clip_norm / (‖g‖ + 1e-6)`` when that is below 1 (PyTorch's rule)."""
    coef = clip_norm / (np.sqrt(np.sum(g * g)) + 1e-6)
    if coef < 1.0:
        g *= coef
