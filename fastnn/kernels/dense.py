"""Dense-layer kernels: the network description, forward and backward passes.

A network reaches the kernels as two small arrays built by
:meth:`fastnn._spec.NetworkSpec.pack`:

``net`` (int64)
    ``[L, sizes[0..L], w_off[0..L-1], b_off[0..L-1], act[0..L-1], loss]`` — the number of layers,
    units per layer, the offsets of ``W_k`` and ``b_k`` in θ (``-1``: no bias), the activation
    code of each layer and the loss code. Read it with the accessors below.
``netf`` (float64)
    ``[act_param[0..L-1], loss_param]``.

Workspaces are flat arrays allocated once per kernel call. ``acts`` holds the output of every
layer for a block of up to ``cap`` rows, layer ``k`` at ``acts[offsets[k]:]`` row-major with
``sizes[k]`` values per row (layer 0 is the input block). ``zout`` holds the output layer's
pre-activations (the logits the fused cross-entropies need), ``deltas`` two rows that hold the
deltas of consecutive layers during backpropagation.

Per-step loops index these flat arrays directly rather than building reshaped views: for the tiny
networks of the tutorials, creating views costs more than the arithmetic. When a layer's work is
large (:data:`fastnn.kernels._jit.BLAS_MIN_WORK` multiply-adds or more) the product goes to BLAS
through ``np.dot`` on views instead, where the view cost is negligible.
"""

import numpy as np

from ._jit import BLAS_MIN_WORK, _ix, _refs_end_here, jit, jit_exact, jit_inline, recompiled
from .activations import (
    ACTIVATE_CALL_MIN,
    _activate,
    _activate_call,
    _scale_derivative_rows,
)

# --- reading `net` -------------------------------------------------------------------------------


@jit
def _n_layers(net):
    return net[0]


@jit
def _size(net, k):
    """Units of layer ``k`` (0 = inputs, ``L`` = outputs)."""
    return net[1 + k]


@jit
def _w_off(net, k):
    """Offset of ``W_k`` in θ."""
    return net[net[0] + 2 + k]


@jit
def _b_off(net, k):
    """Offset of ``b_k`` in θ, or -1 when the network has no biases."""
    return net[2 * net[0] + 2 + k]


@jit
def _act(net, k):
    """Activation code of dense layer ``k`` (the one producing layer ``k + 1``)."""
    return net[3 * net[0] + 2 + k]


@jit
def _loss_code(net):
    return net[4 * net[0] + 2]


@jit
def _act_offsets(net, cap):
    """Start of each layer's block in the ``acts`` workspace, and the workspace length."""
    n = _n_layers(net) + 1
    offsets = np.empty(n, dtype=np.int64)
    total = 0
    for k in range(n):
        offsets[k] = total
        total += cap * _size(net, k)
    return offsets, total


@jit
def _widest(net):
    """Largest layer width after the input (sizes the delta buffers)."""
    widest = 1
    for k in range(1, _n_layers(net) + 1):
        widest = max(widest, _size(net, k))
    return widest


# --- one layer at a time -----------------------------------------------------------------------
#
# The hand-written loops are inlined into the per-step loop. The BLAS versions create views of the
# workspaces, which costs reference counting, so they are separate (not inlined) functions: a
# reference-count operation anywhere inside an inlined helper would keep LLVM from removing the
# helper's own reference counts (see fastnn.kernels._jit).


@jit
def _uses_blas(net, k, rows):
    """Whether layer ``k``'s products over ``rows`` rows are large enough to go to BLAS."""
    return rows * _size(net, k) * _size(net, k + 1) >= BLAS_MIN_WORK


@jit
def _rows_inner(n_out, rows):
    """Whether layer loops should run down the rows (innermost) rather than along a row.

    Pays for very narrow layers over many rows, such as a single output unit over a batch.
    """
    return n_out <= 2 and rows > n_out


@jit_inline
def _dense_forward(theta, net, acts, offsets, k, rows):
    """``Z = A_k @ W_k + b_k`` into layer ``k+1``'s block by loops (bias first, then products).

    Two loop orders (see :func:`_rows_inner`): along each row of outputs, or down the rows for
    very narrow layers (e.g. a single output over the whole data set).
    """
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    a_out = offsets[k + 1]
    if not _rows_inner(n_out, rows):
        for i in range(rows):
            row = a_out + i * n_out
            for j in range(n_out):
                acts[_ix(row + j)] = theta[_ix(b + j)] if b >= 0 else 0.0
            for p in range(n_in):
                x = acts[_ix(a_in + i * n_in + p)]
                wrow = w + p * n_out
                for j in range(n_out):
                    acts[_ix(row + j)] += x * theta[_ix(wrow + j)]
    else:
        for j in range(n_out):
            bias = theta[_ix(b + j)] if b >= 0 else 0.0
            for i in range(rows):
                acts[_ix(a_out + i * n_out + j)] = bias
            for p in range(n_in):
                weight = theta[_ix(w + p * n_out + j)]
                for i in range(rows):
                    acts[_ix(a_out + i * n_out + j)] += acts[_ix(a_in + i * n_in + p)] * weight
    _refs_end_here(theta, net, acts, offsets)


@jit
def _dense_forward_blas(theta, net, acts, offsets, k, rows):
    """:func:`_dense_forward` with the product done by BLAS (``np.dot``)."""
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    a_out = offsets[k + 1]
    np.dot(
        acts[a_in : a_in + rows * n_in].reshape(rows, n_in),
        theta[w : w + n_in * n_out].reshape(n_in, n_out),
        acts[a_out : a_out + rows * n_out].reshape(rows, n_out),
    )
    if b >= 0:
        for i in range(rows):
            row = a_out + i * n_out
            for j in range(n_out):
                acts[_ix(row + j)] += theta[_ix(b + j)]


@jit_inline
def _keep_logits(net, acts, offsets, zout, k, rows):
    """For the output layer (``k = L - 1``): copy its pre-activations (logits) into ``zout``."""
    if k == _n_layers(net) - 1:
        a_out = offsets[k + 1]
        for p in range(rows * _size(net, k + 1)):
            zout[p] = acts[_ix(a_out + p)]
    _refs_end_here(net, acts, offsets, zout)


@jit_inline
def _dense_backward(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad, lr):
    """Gradients of layer ``k`` from ``D = deltas[cur]``, and the delta of the layer below.

    ``lr`` is not used here: it is the argument of :func:`_dense_backward_sgd`, which takes
    this function's place in the per-sample training loop.

    ``dW_k = A_k.T @ D`` and ``db_k = Σ_rows D`` go into ``grad``; for ``k > 0``,
    ``deltas[1 - cur] = D @ W_k.T``, which the caller then multiplies by ``f'(A_k)`` (see
    :func:`_backward_layer_done`). Loop orders as in :func:`_dense_forward`.
    """
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    d = _ix(cur)
    nxt = _ix(1 - cur)
    if not _rows_inner(n_out, rows):
        for p in range(n_in * n_out):
            grad[_ix(w + p)] = 0.0
        for i in range(rows):
            for p in range(n_in):
                x = acts[_ix(a_in + i * n_in + p)]
                wrow = w + p * n_out
                for j in range(n_out):
                    grad[_ix(wrow + j)] += x * deltas[d, _ix(i * n_out + j)]
        if b >= 0:
            for j in range(n_out):
                grad[_ix(b + j)] = 0.0
            for i in range(rows):
                for j in range(n_out):
                    grad[_ix(b + j)] += deltas[d, _ix(i * n_out + j)]
        if k > 0:
            for i in range(rows):
                for p in range(n_in):
                    s = 0.0
                    wrow = w + p * n_out
                    for j in range(n_out):
                        s += deltas[d, _ix(i * n_out + j)] * theta[_ix(wrow + j)]
                    deltas[nxt, _ix(i * n_in + p)] = s
    else:
        for p in range(n_in):
            for j in range(n_out):
                s = 0.0
                for i in range(rows):
                    s += acts[_ix(a_in + i * n_in + p)] * deltas[d, _ix(i * n_out + j)]
                grad[_ix(w + p * n_out + j)] = s
        if b >= 0:
            for j in range(n_out):
                s = 0.0
                for i in range(rows):
                    s += deltas[d, _ix(i * n_out + j)]
                grad[_ix(b + j)] = s
        if k > 0:
            for p in range(n_in):
                for i in range(rows):
                    deltas[nxt, _ix(i * n_in + p)] = 0.0
                for j in range(n_out):
                    weight = theta[_ix(w + p * n_out + j)]
                    for i in range(rows):
                        deltas[nxt, _ix(i * n_in + p)] += deltas[d, _ix(i * n_out + j)] * weight
    _refs_end_here(theta, net, netf, acts, offsets, deltas, grad)


@jit_exact
def _sgd_entry(t, lr, g):
    """``t - lr * g`` as one fused multiply-add, whatever the caller's flags: the SGD update of
    one parameter exactly as the optimizer's loop over θ computes it."""
    return t - lr * g


@jit_inline
def _dense_backward_sgd(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad, lr):
    """:func:`_dense_backward` for one row (``rows`` is 1) fused with plain SGD's update of
    layer ``k``: first the delta of the layer below from ``W_k`` as it was, then ``W_k`` and
    ``b_k`` each step by ``-lr`` times their gradient. The gradient is not stored; its values,
    and so the updated θ, are bit for bit those of the separate passes (same products, the same
    fused multiply-add for the update)."""
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    d = _ix(cur)
    nxt = _ix(1 - cur)
    if k > 0:
        for p in range(n_in):
            s = 0.0
            wrow = w + p * n_out
            for j in range(n_out):
                s += deltas[d, _ix(j)] * theta[_ix(wrow + j)]
            deltas[nxt, _ix(p)] = s
    for p in range(n_in):
        x = acts[_ix(a_in + p)]
        wrow = w + p * n_out
        for j in range(n_out):
            q = _ix(wrow + j)
            theta[q] = _sgd_entry(theta[q], lr, x * deltas[d, _ix(j)])
    if b >= 0:
        for j in range(n_out):
            q = _ix(b + j)
            theta[q] = _sgd_entry(theta[q], lr, deltas[d, _ix(j)])
    _refs_end_here(theta, net, netf, acts, offsets, deltas, grad)


@jit
def _dense_backward_blas(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad):
    """:func:`_dense_backward` with the products done by BLAS (``np.dot``)."""
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    nxt = 1 - cur
    D = deltas[cur, : rows * n_out].reshape(rows, n_out)
    np.dot(
        acts[a_in : a_in + rows * n_in].reshape(rows, n_in).T,
        D,
        grad[w : w + n_in * n_out].reshape(n_in, n_out),
    )
    if b >= 0:
        for j in range(n_out):
            grad[_ix(b + j)] = 0.0
        for i in range(rows):
            for j in range(n_out):
                grad[_ix(b + j)] += D[i, j]
    if k > 0:
        np.dot(
            D,
            theta[w : w + n_in * n_out].reshape(n_in, n_out).T,
            deltas[nxt, : rows * n_in].reshape(rows, n_in),
        )


@jit_inline
def _backward_layer_done(net, netf, acts, offsets, k, rows, deltas, cur):
    """Finish layer ``k``'s backward step: ``deltas[1 - cur] *= f'(A_k)`` (nothing for ``k = 0``).

    Kept out of :func:`_dense_backward` so that no inlined helper calls another one: nested, the
    reference counts of the outer one's arrays survive (see :mod:`fastnn.kernels._jit`).
    """
    if k > 0:
        _scale_derivative_rows(
            _act(net, k - 1), netf[k - 1], acts, offsets[k], deltas, 1 - cur, rows * _size(net, k)
        )
    _refs_end_here(net, netf, acts, offsets, deltas)


# --- whole passes (for prediction, evaluation and full gradients; the training loop runs the same
# --- layer loops inline) --------------------------------------------------------------------------


@jit
def _forward(theta, net, netf, acts, offsets, zout, rows):
    """Forward pass over the first ``rows`` rows of the input block already in ``acts``.

    Writes every layer's output into ``acts`` and the output layer's logits into ``zout``.
    """
    for k in range(_n_layers(net)):
        if _uses_blas(net, k, rows):
            _dense_forward_blas(theta, net, acts, offsets, k, rows)
        else:
            _dense_forward(theta, net, acts, offsets, k, rows)
        _keep_logits(net, acts, offsets, zout, k, rows)
        # the activation: on its own (vectorised) for big blocks, inlined for small ones
        n_out = _size(net, k + 1)
        a_out = offsets[k + 1]
        if rows * n_out >= ACTIVATE_CALL_MIN:
            _activate_call(_act(net, k), netf[k], acts, a_out, a_out + rows * n_out, n_out)
        else:
            _activate(_act(net, k), netf[k], acts, a_out, a_out + rows * n_out, n_out)
    _refs_end_here(theta, net, netf, acts, offsets, zout)


@jit
def _backward(theta, net, netf, acts, offsets, rows, deltas, grad):
    """Backward pass: ``grad = ∂loss/∂θ`` given ``deltas[0, :rows*n_out] = ∂loss/∂Z``."""
    cur = 0
    L = _n_layers(net)
    for step in range(L):  # k = L-1 … 0 (a plain range: a negative step is an exception path)
        k = L - 1 - step
        if _uses_blas(net, k, rows):
            _dense_backward_blas(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad)
        else:
            _dense_backward(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad, 0.0)
        _backward_layer_done(net, netf, acts, offsets, k, rows, deltas, cur)
        cur = 1 - cur
    _refs_end_here(theta, net, netf, acts, offsets, deltas, grad)


#: :func:`_forward` compiled inline, with its out-of-line calls replaced by the loops
_forward_loops = recompiled(
    _forward,
    "_forward_loops",
    jit_inline,
    _dense_forward_blas=_dense_forward,
    _activate_call=_activate,
)


@jit_exact
def _madd(s, a, b):
    """``s + a * b`` as one fused multiply-add, in this order whatever the caller's flags.

    Inlined by LLVM with its own flags (``contract`` only), so a running sum built from it is
    never reassociated: the same bits as the loops of :func:`_dense_forward`, which add each
    product to the output in turn.
    """
    return s + a * b


@jit_inline
def _dense_forward_row(theta, net, acts, offsets, k, rows):
    """:func:`_dense_forward` for one row (``rows`` is 1): each output's sum of products kept in
    a register instead of the workspace, in the same order (bias first), so the same bits."""
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    a_out = offsets[k + 1]
    for j in range(n_out):
        # in θ's dtype (a float 0.0 would make the sum float64 for float32 networks)
        s = theta[_ix(b + j)] if b >= 0 else theta.dtype.type(0.0)
        for p in range(n_in):
            s = _madd(s, acts[_ix(a_in + p)], theta[_ix(w + p * n_out + j)])
        acts[_ix(a_out + j)] = s
    _refs_end_here(theta, net, acts, offsets)


#: :func:`_forward` for one row of a network of small layers, inline (per-sample training)
_forward_one_row = recompiled(
    _forward,
    "_forward_one_row",
    jit_inline,
    _dense_forward=_dense_forward_row,
    _dense_forward_blas=_dense_forward_row,
    _activate_call=_activate,
)


@jit_inline
def _dense_forward_row_blocked(theta, net, acts, offsets, k, rows):
    """:func:`_dense_forward_row` for wide layers (one row): the outputs are updated four inputs
    at a time, so each output is loaded and stored once per four products instead of once per
    product, and the loop over outputs vectorises. Every output still gets its bias first and
    then one multiply-add per input in input order: the same bits as :func:`_dense_forward_row`.
    """
    n_in = _size(net, k)
    n_out = _size(net, k + 1)
    w = _w_off(net, k)
    b = _b_off(net, k)
    a_in = offsets[k]
    a_out = offsets[k + 1]
    for j in range(n_out):
        acts[_ix(a_out + j)] = theta[_ix(b + j)] if b >= 0 else theta.dtype.type(0.0)
    p = 0
    while p + 4 <= n_in:
        x0 = acts[_ix(a_in + p)]
        x1 = acts[_ix(a_in + p + 1)]
        x2 = acts[_ix(a_in + p + 2)]
        x3 = acts[_ix(a_in + p + 3)]
        w0 = w + p * n_out
        for j in range(n_out):
            s = _madd(acts[_ix(a_out + j)], x0, theta[_ix(w0 + j)])
            s = _madd(s, x1, theta[_ix(w0 + n_out + j)])
            s = _madd(s, x2, theta[_ix(w0 + 2 * n_out + j)])
            acts[_ix(a_out + j)] = _madd(s, x3, theta[_ix(w0 + 3 * n_out + j)])
        p += 4
    while p < n_in:
        x = acts[_ix(a_in + p)]
        w0 = w + p * n_out
        for j in range(n_out):
            acts[_ix(a_out + j)] = _madd(acts[_ix(a_out + j)], x, theta[_ix(w0 + j)])
        p += 1
    _refs_end_here(theta, net, acts, offsets)


#: :func:`_forward` for one row, all layers by loops (prediction of a single row, where a BLAS
#: matrix-vector product costs more in its call than in its arithmetic)
_forward_row = recompiled(
    _forward,
    "_forward_row",
    jit,
    _dense_forward=_dense_forward_row_blocked,
    _dense_forward_blas=_dense_forward_row_blocked,
)


@jit
def _needs_calls(net, rows):
    """Whether a pass over ``rows`` rows sends any layer to BLAS or to a separate activation."""
    for k in range(_n_layers(net)):
        n_out = _size(net, k + 1)
        if _uses_blas(net, k, rows) or rows * n_out >= ACTIVATE_CALL_MIN:
            return True
    return False
