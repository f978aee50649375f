"""An ``exp`` that LLVM can vectorise.

``np.exp`` inside a Numba kernel is a call into the C library for every value, one at a time
(there is no vector math library in pip's llvmlite). Sigmoid and softmax layers spend most of
their time there. :func:`_exp` is the same function written as plain arithmetic, so a loop over a
layer's outputs compiles to vector instructions:

``exp(x) = 2^k · e^r`` with ``k = round(x / ln 2)`` and ``r = x - k ln 2`` (Cody–Waite: ``ln 2``
split into a part whose products with ``k`` are exact and a small correction), ``|r| ≤ ln 2 / 2``;
``e^r`` from its Taylor polynomial of degree 13 (truncation error below 3e-18 relative); ``2^k``
read from a table (a gather in vector code) as ``2 · 2^(k-1)``, so that results just below the
largest double do not overflow.

Accuracy: within 2 ulp of the correctly rounded result wherever that result is a normal double
(tested against ``np.exp``); results below 2^-1022 (inputs below about -708) lose precision
gradually as subnormals do, and round to 0 below -746; inputs above 709.78 give ``inf``; NaN gives
NaN.
"""

import numpy as np

from ._jit import jit_inline

_LOG2E = 1.4426950408889634
# ln 2 = _LN2_HI + _LN2_LO, with _LN2_HI's low 32 mantissa bits zero so that k * _LN2_HI is exact
_LN2_HI = 0.6931471803691238
_LN2_LO = 1.9082149292705877e-10
_K_MIN = -1077  # 2**(k - 1) over k - 1 in [_K_MIN, 1023]: 0, subnormals, normals
_EXP2_TABLE = np.ldexp(1.0, np.arange(_K_MIN, 1024))
# Taylor coefficients 1/n!, n = 0..13
_C2 = 1.0 / 2
_C3 = 1.0 / 6
_C4 = 1.0 / 24
_C5 = 1.0 / 120
_C6 = 1.0 / 720
_C7 = 1.0 / 5040
_C8 = 1.0 / 40320
_C9 = 1.0 / 362880
_C10 = 1.0 / 3628800
_C11 = 1.0 / 39916800
_C12 = 1.0 / 479001600
_C13 = 1.0 / 6227020800


@jit_inline
def _exp(x):
    """``e**x`` for a float64 ``x`` (see the module docstring for accuracy)."""
    xc = x
    if not xc > -746.0:  # also maps NaN to a safe table index; NaN is restored below
        xc = -746.0
    if xc > 710.0:
        xc = 710.0
    k = np.floor(xc * _LOG2E + 0.5)
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    # Horner's rule for the Taylor polynomial of e^r
    p = _C13
    p = p * r + _C12
    p = p * r + _C11
    p = p * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + 1.0
    p = p * r + 1.0
    result = (2.0 * p) * _EXP2_TABLE[np.int64(k) - 1 - _K_MIN]
    if x != x:
        result = x
    return result
