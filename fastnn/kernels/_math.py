"""An ``exp`` that LLVM can vectorise.

``np.exp`` inside a Numba kernel is a call into the C library for every value, one at a time
(there is no vector math library in pip's llvmlite). Sigmoid and softmax layers spend most of
their time there. :func:`_exp` is the same function written as plain arithmetic, so a loop over a
layer's outputs compiles to vector instructions, and a single call is a short dependency chain:

``exp(x) = 2^m · 2^(j/64) · e^r`` with ``k = floor(64 x / ln 2) = 64 m + j`` (``0 ≤ j < 64``)
and ``r = x - k ln 2 / 64`` (Cody–Waite: ``ln 2 / 64`` split into a part whose products with
``k`` are exact and a small correction), so ``0 ≤ r < ln 2 / 64`` (up to rounding). ``e^r``
comes from its Taylor polynomial of degree 6 (truncation error below 4e-18 relative),
``2^(j/64)`` and ``2^m`` from tables (gathers in vector code). All three factors are at least 1
except ``2^m``, so no partial product exceeds the result: whatever order the compiler multiplies
them in (fastmath lets it reassociate), a finite result never overflows on the way.

Accuracy: within 2 ulp of the correctly rounded result wherever that result is a normal double
(tested against ``np.exp``); results below 2^-1022 (inputs below about -708) lose precision
gradually as subnormals do, and round to 0 below -746; inputs above 709.78 give ``inf``; NaN gives
NaN.
"""

import numpy as np

from ._jit import _ix, jit_exact

_INV_STEP = 92.33248261689366  # 64 / ln 2
# ln 2 / 64 = _STEP_HI + _STEP_LO; _STEP_HI has its low 28 mantissa bits zero, so k * _STEP_HI
# is exact for every k used here (|k| < 2^17)
_STEP_HI = 0.010830424260348082
_STEP_LO = 4.3590106387089914e-10
_M_MIN = -1078  # 2^m for m in [_M_MIN, 1024]: 0, subnormals, normals, inf
with np.errstate(over="ignore"):
    _POW2 = np.ldexp(1.0, np.arange(_M_MIN, 1025))  # ends with inf
_POW2_FRACTION = np.exp2(np.arange(64) / 64.0)  # 2^(j/64), correctly rounded


@jit_exact
def _exp(x):
    """``e**x`` for a float64 ``x`` (see the module docstring for accuracy)."""
    # clamped to where exp is 0 or inf with fmax/fmin, which compile to selects rather than
    # branches (so that loops vectorise) and take NaN to -746, a safe table index; NaN is
    # restored below
    xc = np.fmin(np.fmax(x, -746.0), 710.0)
    # floor of the rounded product: r may come out a few ulp below 0, which the polynomial
    # handles as well (and no partial product can then exceed the result by more than that)
    k = np.floor(xc * _INV_STEP)
    r = (xc - k * _STEP_HI) - k * _STEP_LO
    r2 = r * r
    # e^r - 1 = r + r²/2 + r³/6 + r⁴/24 + r⁵/120 + r⁶/720, grouped for a short dependency chain
    q = r + r2 * (
        (0.5 + r * (1.0 / 6.0)) + r2 * (((1.0 / 24.0) + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0))
    )
    ki = np.int64(k)
    j = ki & 63
    m = (ki - j) >> 6
    t = _POW2_FRACTION[j]
    result = (t + t * q) * _POW2[_ix(m - _M_MIN)]
    if x != x:
        result = x
    return result
