"""Activation kernels: an activation applied in place, and derivatives from the outputs.

Each activation is chosen by its code, :class:`fastnn._names.Activation`. The branch on the code
sits outside the loops, so each loop body is a single formula that LLVM can vectorise. Kernels
work on a contiguous range ``buf[start:stop]`` of a flat workspace (a block of rows of one layer)
so that no array view is created per step, and call no function that takes an array (see
:mod:`fastnn.kernels._jit` for why).

Sigmoid (on more than a handful of values) and softmax use :func:`fastnn.kernels._math._exp`, an
``exp`` that vectorises (within 1 ulp of ``np.exp``), or for float32 layers its float32 version
``_exp32`` (within 1.5 float32 ulp; the layer's arithmetic is then float32 too, twice the values
per vector); the C library's ``exp``, quicker for a single value, serves tiny layers and the
rarer activations.

Derivatives are written in terms of the activation's *output* ``a = f(z)`` (as scikit-learn does),
so the backward pass needs no stored pre-activations:

=============  ==============================  ======================================
name           f(z)                            f'(z) from a = f(z)
=============  ==============================  ======================================
identity       z                               1
sigmoid        1 / (1 + exp(-z))               a (1 - a)
tanh           tanh z                          1 - a²
relu           max(z, 0)                       1 if a > 0 else 0
leaky_relu     z if z > 0 else s·z             1 if a > 0 else s          (s ≥ 0)
elu            z if z > 0 else α(exp(z) - 1)   1 if a > 0 else a + α      (α > 0)
softplus       max(z,0) + log1p(exp(-|z|))     -expm1(-a)  (= sigmoid(z))
softmax        exp(z_j) / Σ_k exp(z_k)         used only fused with cross-entropy
exp            exp z                           a
=============  ==============================  ======================================
"""

import numpy as np

from .._names import Activation
from ._jit import _ix, _refs_end_here, jit, jit_inline
from ._math import _exp_of


@jit
def _activation_scalar(code, param, z):
    """``f(z)`` for one value (the activations without a dedicated loop in :func:`_activate`)."""
    if code == Activation.TANH:
        return np.tanh(z)
    if code == Activation.LEAKY_RELU:
        return z if z >= 0.0 else param * z
    if code == Activation.ELU:
        return z if z >= 0.0 else param * np.expm1(z)
    if code == Activation.SOFTPLUS:
        return max(z, 0.0) + np.log1p(np.exp(-abs(z)))
    if code == Activation.EXP:
        return np.exp(z)
    return z


@jit_inline
def _activate(code, param, buf, start, stop, n_cols):
    """In place: ``buf[start:stop] = f(buf[start:stop])``, rows of ``n_cols`` values each.

    Sigmoid and relu (the common hidden layers) have their own loops; softmax works row by row;
    the others go through :func:`_activation_scalar`.
    """
    count = stop - start
    if code == Activation.SIGMOID and count < 16:
        # a few values (a tiny layer, one row): the C library's exp has the shorter latency
        for p in range(count):
            q = _ix(start + p)
            buf[q] = 1.0 / (1.0 + np.exp(-buf[q]))
    elif code == Activation.SIGMOID:
        one = buf.dtype.type(1.0)  # float32 layers in float32 arithmetic (_exp_of: _exp32)
        for p in range(count):
            q = _ix(start + p)
            buf[q] = one / (one + _exp_of(-buf[q]))
    elif code == Activation.RELU:
        for p in range(count):
            q = _ix(start + p)
            z = buf[q]
            buf[q] = 0.0 if z < 0.0 else z  # a select, not a branch: NaN stays NaN
    elif code == Activation.SOFTMAX:
        # three passes, so that the exponentials (the costly part) run as one vectorised loop
        # over the whole block rather than row by row: shift each row by its maximum, exponentiate
        # everything, then divide each row by its sum
        for r in range(count // n_cols):
            row = start + r * n_cols
            m = buf[_ix(row)]
            for j in range(1, n_cols):
                m = max(m, buf[_ix(row + j)])
            for j in range(n_cols):
                buf[_ix(row + j)] -= m
        for p in range(count):
            q = _ix(start + p)
            buf[q] = _exp_of(buf[q])
        for r in range(count // n_cols):
            row = start + r * n_cols
            s = 0.0
            for j in range(n_cols):
                s += buf[_ix(row + j)]
            inv = 1.0 / s
            for j in range(n_cols):
                buf[_ix(row + j)] *= inv
    elif code != Activation.IDENTITY:
        for p in range(count):
            q = _ix(start + p)
            buf[q] = _activation_scalar(code, param, buf[q])
    _refs_end_here(buf)


#: :func:`_activate` compiled on its own, for blocks of at least :data:`ACTIVATE_CALL_MIN` values.
#: Inlined into a large kernel, LLVM leaves its loops scalar (the exponentials' table lookups and
#: the kernel's register pressure tip the cost model); on its own they vectorise, 3-4 times
#: faster. The call costs reference counting, which small blocks would notice.
_activate_call = jit(getattr(_activate, "py_func", _activate))
ACTIVATE_CALL_MIN = 64


@jit
def _derivative_from_output(code, param, a):
    """``f'(z)`` of activation ``code`` written in terms of its output ``a = f(z)``."""
    if code == Activation.SIGMOID:
        return a * (1.0 - a)
    if code == Activation.TANH:
        return 1.0 - a * a
    if code == Activation.RELU:
        return 1.0 if a > 0.0 else 0.0
    if code == Activation.LEAKY_RELU:
        return 1.0 if a > 0.0 else param
    if code == Activation.ELU:
        return 1.0 if a > 0.0 else a + param
    if code == Activation.SOFTPLUS:
        return -np.expm1(-a)
    if code == Activation.EXP:
        return a
    return 1.0


@jit_inline
def _scale_derivative_rows(code, param, A, a_start, D, row, count):
    """In place: ``D[row, :count] *= f'(z)``, from the outputs ``A[a_start : a_start + count]``."""
    d = _ix(row)
    if code == Activation.SIGMOID:
        for p in range(count):
            a = A[_ix(a_start + p)]
            D[d, p] *= a * (1.0 - a)
    elif code == Activation.RELU:
        for p in range(count):
            D[d, p] = D[d, p] if A[_ix(a_start + p)] > 0.0 else 0.0
    elif code != Activation.IDENTITY:
        for p in range(count):
            D[d, p] *= _derivative_from_output(code, param, A[_ix(a_start + p)])
    _refs_end_here(A, D)
