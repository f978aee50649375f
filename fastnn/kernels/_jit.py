"""How every fastnn kernel is compiled: one decorator, one set of fastmath flags.

``FASTMATH`` lets LLVM reassociate sums (so dot-product reductions vectorise), contract
multiply-adds into FMA instructions, ignore the sign of zero and use reciprocals. It deliberately
leaves out ``nnan`` and ``ninf``: kernels must see and report NaN and infinity, never assume them
away, and ``afn`` (approximate ``exp``/``log``), so results stay within a few ulps of numpy's.

Every kernel is cached on disk (``cache=True``), releases the GIL (``nogil=True``) and uses
numpy's error model (a division by zero gives inf/NaN instead of raising inside a kernel).
"""

from numba import njit

FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})

#: Below this many multiply-adds a hand-written loop beats calling BLAS through ``np.dot``
#: (the call costs about a microsecond); above it BLAS wins. Measured with ``bench/``.
BLAS_MIN_WORK = 8192

#: Rows processed per block when a kernel walks over a whole data set (prediction, full loss).
ROW_BLOCK = 256


def jit(func):
    """Compile ``func`` the fastnn way (see the module docstring)."""
    return njit(cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy")(func)


def jit_inline(func):
    """Like :func:`jit`, and inlined into every caller at the Numba IR level.

    For the helpers of the per-step path. A call that is not inlined and passes arrays costs two
    reference-count calls per array (tens of nanoseconds): more than the arithmetic of a whole
    step of a tiny network. Inlined, the arrays are the caller's own and the calls disappear.
    """
    return njit(
        cache=True, nogil=True, fastmath=set(FASTMATH), error_model="numpy", inline="always"
    )(func)


@jit
def _refs_end_here(*arrays):
    """Do nothing with ``arrays``, as the last statement of a per-step helper.

    Numba releases each array argument of a helper right after its last use. When that last use
    sits inside a branch, the releases are scattered over the branches and LLVM's pass that
    cancels matching reference-count pairs gives up, leaving two atomic calls per array per call
    (tens of nanoseconds per step). Using every array argument once more at the very end puts the
    releases in one block, where the pass removes them. Measured: 63 ns → 4 ns for a 9-parameter
    SGD step.

    For the same reason per-step code avoids ``range`` with a step that is not a constant: the
    check for a zero step is an exception path, and it, too, defeats the pass.
    """
