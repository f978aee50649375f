"""Prediction kernels: the network's outputs, and every layer's, for the rows of a data set.

Twin: the forward pass of :mod:`fastnn.reference.dense`. Rows are walked in blocks of
:data:`fastnn.kernels._jit.ROW_BLOCK`; each block is copied into the input block of a workspace
allocated once per call, then :func:`fastnn.kernels.dense._forward` runs over it
(:func:`fastnn.kernels.dense._forward_row`, all loops, when the block is one row).
"""

import numpy as np

from ._jit import ROW_BLOCK, _ix, jit, jit_inline, recompiled
from .dense import _act_offsets, _forward, _forward_row, _n_layers, _size


@jit
def _workspace(theta, net, cap):
    """Allocate the per-call buffers for blocks of up to ``cap`` rows."""
    offsets, total = _act_offsets(net, cap)
    acts = np.empty(total, dtype=theta.dtype)
    zout = np.empty(cap * _size(net, _n_layers(net)), dtype=theta.dtype)
    return acts, offsets, zout


@jit
def _load_rows(acts, X, start, rows):
    """Copy rows ``start … start+rows-1`` of ``X`` into the input block; index of a non-finite row.

    Returns -1 when every copied value is finite.
    """
    n_in = X.shape[1]
    bad = -1
    for i in range(rows):
        # `&`, not `and`: no branch in the loop, so the copy and the test vectorise (64 values:
        # 36 ns with a branch per value, 6 ns without)
        finite = True
        for j in range(n_in):
            x = X[_ix(start + i), j]
            finite = finite & np.isfinite(x)
            acts[_ix(i * n_in + j)] = x
        if bad < 0 and not finite:
            bad = start + i
    return bad


@jit
def _predict(theta, net, netf, X, out):
    """``out = network(X)``; returns -1, or ``i`` when row ``i`` of ``X`` is the first to hold
    NaN/inf, or ``n + i`` when the inputs are finite and the outputs of row ``i`` are the first
    that are not (the network overflowed)."""
    L = _n_layers(net)
    n_out = _size(net, L)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    p_off = offsets[L]
    bad = -1
    overflow = -1
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        bad_here = _load_rows(acts, X, start, rows)
        if bad < 0:
            bad = bad_here
        if rows == 1:  # serving one row at a time: loops beat a BLAS matrix-vector call
            _forward_row(theta, net, netf, acts, offsets, zout, rows)
        else:
            _forward(theta, net, netf, acts, offsets, zout, rows)
        for i in range(rows):
            for j in range(n_out):
                value = acts[_ix(p_off + i * n_out + j)]
                out[_ix(start + i), j] = value
                if overflow < 0 and not np.isfinite(value):
                    overflow = start + i
    if bad < 0 and overflow >= 0:
        return n + overflow
    return bad


#: :func:`_predict` inlined into its caller (:func:`_predict_sample`)
_predict_inline = recompiled(_predict, "_predict_inline", jit_inline)


@jit
def _predict_sample(theta, net, netf, x, out):
    """:func:`_predict` for one sample held in 1-D arrays: ``x`` its inputs, ``out`` its outputs
    (``predict``'s fast path for a 1-D row). The one-row views (``[None, :]``) cost nothing
    here, a Python view each outside; :func:`_predict`'s body is inlined (:data:`_predict_inline`),
    so no call passes the arrays on (which costs their reference counts: about 90 ns measured
    with ``reshape`` and a call, against the (1, n) entry point)."""
    return _predict_inline(theta, net, netf, x[None, :], out[None, :])


@jit
def _layer_outputs(theta, net, netf, X, out):
    """Every layer's output for each row of ``X``: row ``i`` of ``out`` is the outputs of layers
    1…L for sample ``i``, concatenated."""
    L = _n_layers(net)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        if rows == 1:  # as in _predict, so the last layer's outputs are predict's, bit for bit
            _forward_row(theta, net, netf, acts, offsets, zout, rows)
        else:
            _forward(theta, net, netf, acts, offsets, zout, rows)
        col = 0
        for k in range(1, L + 1):
            width = _size(net, k)
            for i in range(rows):
                for j in range(width):
                    out[_ix(start + i), _ix(col + j)] = acts[_ix(offsets[k] + i * width + j)]
            col += width
