"""An ``exp`` that LLVM can vectorise, in float64 (:func:`_exp`) and float32 (:func:`_exp32`).

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

:func:`_exp32` is the float32 version, for float32 networks (their sigmoid and softmax layers):
in float32 arithmetic, 16 lanes to a 512-bit vector instead of 8, and with no table. ``k`` is the
nearest integer to ``x / ln 2``, rounded by adding 1.5·2^23 (so it also sits in the low bits of
the sum, read as an integer: no float-to-integer conversion), ``r = x - k ln 2`` (Cody–Waite
again, ``|r| ≤ ln 2 / 2``), ``e^r`` from its Taylor polynomial of degree 7 (truncation below
6e-9 relative), and ``2^k`` as ``2^(k - k//2) · 2^(k//2)``, two powers of two built from their
bits, so that results in the subnormal range are rounded once, at the last product.
Accuracy: within 1.5 float32 ulp of the exact result wherever that is a normal float32 (tested);
subnormal results within one subnormal step; inputs above 88.73 give ``inf``, below -103.98 0.
:func:`_exp_of` picks the version by the type of its argument, when the kernel is compiled.
"""

import math

import numpy as np
from numba.extending import overload

from ._jit import EXACT_FASTMATH, _ix, jit_exact

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


# float32: ln 2 = _LN2_HI32 + _LN2_LO32, _LN2_HI32 with its low 12 mantissa bits zero, so that
# k * _LN2_HI32 is exact for every k used here (|k| <= 150)
_LOG2E32 = np.float32(1.4426950408889634)
_SHIFT32 = np.float32(12582912.0)  # 1.5 * 2^23: x + _SHIFT32 rounds x to an integer
_SHIFT32_BITS = np.int32(np.array([_SHIFT32]).view(np.int32)[0])
_LN2_HI32 = np.float32(0.693115234375)
_LN2_LO32 = np.float32(3.194618329871446e-05)
_ONE32 = np.float32(1.0)
_C2, _C3, _C4, _C5, _C6, _C7 = (np.float32(1.0 / math.factorial(n)) for n in range(2, 8))
_EXPONENT_BIAS32 = np.int32(127)


@jit_exact
def _exp32(x):
    """``e**x`` for a float32 ``x``, in float32 (see the module docstring for accuracy)."""
    xc = np.fmin(np.fmax(x, np.float32(-104.0)), np.float32(89.0))  # NaN becomes -104
    kf = xc * _LOG2E32 + _SHIFT32
    k = kf - _SHIFT32
    ki = np.float32(kf).view(np.int32) - _SHIFT32_BITS
    r = (xc - k * _LN2_HI32) - k * _LN2_LO32
    r2 = r * r
    # e^r = 1 + r + r²/2! + … + r⁷/7!, in pairs for a short dependency chain
    p = (_ONE32 + r) + r2 * ((_C2 + r * _C3) + r2 * ((_C4 + r * _C5) + r2 * (_C6 + r * _C7)))
    half = ki >> np.int32(1)
    # 2^half and 2^(k - half) from their bits: biased exponents within 52 … 191, both normal
    low = np.int32((half + _EXPONENT_BIAS32) << np.int32(23)).view(np.float32)
    high = np.int32((ki - half + _EXPONENT_BIAS32) << np.int32(23)).view(np.float32)
    result = p * high * low
    if x != x:
        result = x
    return result


def _exp_of(x):
    """``e**x`` in the precision of ``x``: :func:`_exp32` for float32, else :func:`_exp`.

    (This body runs only with the JIT disabled; compiled code takes the overload below.)
    """
    return _exp32(x) if isinstance(x, np.float32) else _exp(x)


@overload(_exp_of, jit_options={"fastmath": set(EXACT_FASTMATH), "error_model": "numpy"})
def _exp_of_compiled(x):  # pragma: no cover - runs when a kernel is compiled
    from numba.core import types

    if isinstance(x, types.Float) and x.bitwidth == 32:
        return lambda x: _exp32(x)
    return lambda x: _exp(x)
