"""The objective on a whole data set: its loss, and its gradient with respect to θ.

Twin: :mod:`fastnn.reference.objective`. Rows are walked in blocks of
:data:`fastnn.kernels._jit.ROW_BLOCK` (forward pass, loss of the block, backward pass), so memory
stays bounded whatever the data size.
"""

import numpy as np

from ._jit import ROW_BLOCK, _refs_end_here, jit, jit_inline
from .dense import _act, _backward, _forward, _loss_code, _n_layers, _size, _widest
from .losses import _loss_norm, _loss_rows_call
from .predict import _load_rows, _workspace


@jit_inline
def _weight_sum(sw, rows):
    """Sum of the first ``rows`` sample weights, or ``rows`` when there are none."""
    s = 0.0
    if sw.shape[0] == 0:
        s = float(rows)
    else:
        for i in range(rows):
            s += sw[i]
    _refs_end_here(sw)
    return s


@jit_inline
def _unit_weights(sw, rows):
    """:func:`_weight_sum` in the per-sample loop (one row, no sample weights): 1."""
    _refs_end_here(sw)
    return 1.0


@jit
def _evaluate(theta, net, netf, X, Y, sw, acts, offsets, zout, scratch, cap, loss_scale):
    """Loss of the whole data set ``(X, Y, sw)``, walked in blocks of ``cap`` rows.

    ``scratch`` is a ``(1, cap * n_outputs)`` array the loss writes its unused slopes into.
    """
    L = _n_layers(net)
    n_out = _size(net, L)
    loss = _loss_code(net)
    n = X.shape[0]
    weighted = sw.shape[0] > 0
    total = 0.0
    wsum = 0.0
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        _forward(theta, net, netf, acts, offsets, zout, rows)
        swb = sw[start : start + rows] if weighted else sw
        total += _loss_rows_call(
            loss,
            netf[L],
            _act(net, L - 1),
            netf[L - 1],
            acts,
            offsets[L],
            zout,
            Y[start : start + rows],
            swb,
            rows,
            n_out,
            scratch,
            0.0,
        )
        wsum += _weight_sum(swb, rows)
    return loss_scale * total / _loss_norm(loss, wsum, n_out)


@jit
def _loss(theta, net, netf, X, Y, sw, loss_scale):
    """Loss of the network on ``(X, Y)`` with optional sample weights ``sw``."""
    cap = min(ROW_BLOCK, X.shape[0])
    acts, offsets, zout = _workspace(theta, net, cap)
    scratch = np.empty((1, zout.shape[0]), dtype=theta.dtype)
    return _evaluate(theta, net, netf, X, Y, sw, acts, offsets, zout, scratch, cap, loss_scale)


@jit
def _loss_and_gradient(theta, net, netf, X, Y, sw, loss_scale, grad):
    """Loss on ``(X, Y)``; writes ``∂loss/∂θ`` into ``grad``. Works in blocks of rows."""
    L = _n_layers(net)
    n_out = _size(net, L)
    loss = _loss_code(net)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    deltas = np.empty((2, cap * _widest(net)), dtype=theta.dtype)
    block_grad = np.empty_like(grad)
    weighted = sw.shape[0] > 0
    norm = _loss_norm(loss, _weight_sum(sw, n), n_out)
    scale = loss_scale / norm
    total = 0.0
    grad[:] = 0.0
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        _forward(theta, net, netf, acts, offsets, zout, rows)
        swb = sw[start : start + rows] if weighted else sw
        total += _loss_rows_call(
            loss,
            netf[L],
            _act(net, L - 1),
            netf[L - 1],
            acts,
            offsets[L],
            zout,
            Y[start : start + rows],
            swb,
            rows,
            n_out,
            deltas,
            scale,
        )
        _backward(theta, net, netf, acts, offsets, rows, deltas, block_grad)
        grad += block_grad
    return loss_scale * total / norm
