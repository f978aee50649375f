"""L2 penalty and gradient clipping (twin: :mod:`fastnn.reference.regularization`)."""

import numpy as np

from ._jit import _ix, _refs_end_here, jit, jit_inline
from .dense import _n_layers, _size, _w_off


@jit_inline
def _add_l2(theta, net, grad, l2):
    """``grad += l2 * W`` for every layer's weights (not the biases); returns ``0.5 l2 ΣW²``.

    Does nothing (and returns 0) for ``l2 = 0``.
    """
    penalty = 0.0
    if l2 != 0.0:
        for k in range(_n_layers(net)):
            w = _w_off(net, k)
            for q in range(_size(net, k) * _size(net, k + 1)):
                p = _ix(w + q)
                penalty += theta[p] * theta[p]
                grad[p] += l2 * theta[p]
    _refs_end_here(theta, net, grad)
    return 0.5 * l2 * penalty


#: :func:`_add_l2` as an ordinary call, for the whole-data-set objective.
_add_l2_call = jit(getattr(_add_l2, "py_func", _add_l2))


@jit_inline
def _clip_by_global_norm(grad, clip_norm):
    """Scale ``grad`` by ``clip_norm / (‖grad‖ + 1e-6)`` when that is below 1, as
    ``torch.nn.utils.clip_grad_norm_`` does; nothing for ``clip_norm = 0``."""
    if clip_norm > 0.0:
        sq = 0.0
        for p in range(grad.shape[0]):
            sq += grad[p] * grad[p]
        coef = clip_norm / (np.sqrt(sq) + 1e-6)
        if coef < 1.0:
            for p in range(grad.shape[0]):
                grad[p] *= coef
    _refs_end_here(grad)
