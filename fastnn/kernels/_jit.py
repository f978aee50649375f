"""How every fastnn kernel is compiled: one decorator, one set of fastmath flags.

``FASTMATH`` lets LLVM reassociate sums (so dot-product reductions vectorise), contract
multiply-adds into FMA instructions, ignore the sign of zero and use reciprocals. It deliberately
leaves out ``nnan`` and ``ninf``: kernels must see and report NaN and infinity, never assume them
away, and ``afn`` (approximate ``exp``/``log``), so results stay within a few ulps of numpy's.

Every kernel is cached on disk, releases the GIL (``nogil=True``) and uses numpy's error model (a
division by zero gives inf/NaN instead of raising inside a kernel).

The disk cache is Numba's, with one change (:class:`_KernelCache`): Numba keys a cached function
on its own source file only, but a kernel has helpers from other files compiled into it, so an
edit of ``dense.py`` alone (or an upgrade that changes only it) would leave the cached kernels of
``train.py`` running the old helpers. fastnn's key also holds a hash of every kernel source file
(:func:`fastnn.kernels._aot.kernel_source_files`).
Where no cache directory is writable, kernels are compiled in memory in each process.
"""

import types

import numpy as np
from numba import njit

from ._aot import kernel_source_files, source_hash

try:  # Numba internals; without them kernels are cached the plain Numba way
    from numba.core.caching import FunctionCache
except ImportError:  # pragma: no cover
    FunctionCache = None  # type: ignore[misc,assignment]

FASTMATH = frozenset({"nsz", "arcp", "contract", "reassoc"})
#: the flags of :func:`jit_exact`: fused multiply-adds only
EXACT_FASTMATH = frozenset({"contract"})

#: Below this many multiply-adds a hand-written loop beats calling BLAS through ``np.dot`` (the
#: call costs about 0.3 µs); above it BLAS wins, whatever the shape (measured: 32×64×1 takes
#: 1.8 µs in loops and 0.8 µs in BLAS; 4×3×4, 0.08 µs and 0.4 µs).
BLAS_MIN_WORK = 1024

#: Rows processed per block when a kernel walks over a whole data set (prediction, full loss).
ROW_BLOCK = 256


#: SHA-256 of every kernel source file and the fastnn modules they import (the constants of
#: ``_config.py`` and ``_names.py`` are compiled in), not of the AOT build and loader files:
#: part of every kernel's cache key. The same hash the precompiled kernels are checked against.
_KERNEL_SOURCES = source_hash(kernel_source_files())

if FunctionCache is not None:

    class _KernelCache(FunctionCache):
        """Numba's disk cache, keyed also on all of fastnn's kernel sources."""

        def _index_key(self, sig, codegen):
            return (*super()._index_key(sig, codegen), _KERNEL_SOURCES)


def _njit(func, **options):
    """``njit(**options)(func)`` with fastnn's disk cache (in memory if nowhere is writable)."""
    dispatcher = njit(**options)(func)
    if not hasattr(dispatcher, "enable_caching"):  # NUMBA_DISABLE_JIT=1: plain Python
        dispatcher.py_func = func  # as on a dispatcher, for `jit(kernel.py_func)`
        return dispatcher
    try:
        if FunctionCache is not None and hasattr(FunctionCache, "_index_key"):
            dispatcher._cache = _KernelCache(func)
        else:  # pragma: no cover
            dispatcher.enable_caching()
    except RuntimeError:  # "cannot cache function ...: no locator available"
        pass
    return dispatcher


def jit(func):
    """Compile ``func`` the fastnn way (see the module docstring)."""
    return _njit(func, nogil=True, fastmath=set(FASTMATH), error_model="numpy")


def jit_exact(func):
    """Like :func:`jit`, with only the ``contract`` flag (fused multiply-adds).

    For code whose rounding is deliberate, such as the argument reduction of
    :func:`fastnn.kernels._math._exp`: reassociating ``(x - k a) - k b`` into ``x - k (a + b)``
    would throw its extra precision away. Such a function takes no arrays and is small, so LLVM
    inlines it into its callers, keeping these flags on its own instructions.
    """
    return _njit(func, nogil=True, fastmath=set(EXACT_FASTMATH), error_model="numpy")


def jit_inline(func):
    """Like :func:`jit`, and inlined into every caller at the Numba IR level.

    For the helpers of the per-step path. A call that is not inlined and passes arrays costs two
    reference-count calls per array (tens of nanoseconds): more than the arithmetic of a whole
    step of a tiny network. Inlined, the arrays are the caller's own and the calls disappear.
    """
    return _njit(func, nogil=True, fastmath=set(FASTMATH), error_model="numpy", inline="always")


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
    return None


@jit
def _ix(i):
    """``i``, known not to be negative, as an index.

    Numba fixes up negative indices (``a[-1]``) with a few instructions on every access whose index
    it cannot prove non-negative, such as ``acts[offset + i * width + j]``; those instructions
    also keep LLVM from vectorising the loop. An unsigned index skips the fix-up: 3x faster on a
    20-row loop. Per-step loops index their flat workspaces through this.
    """
    return np.uint64(i)


def recompiled(kernel, name, decorator, **replacements):
    """``kernel``'s source compiled again as ``name`` with ``decorator``, with some of the
    globals it reads replaced (``replacements``: global name → value).

    How one source defines specialised twins: a helper swapped for another with the same
    arguments, or a constant flag that Numba resolves at compile time (a branch ``if FLAG:`` on a
    global is pruned before typing, so the twin carries none of the other side's code or its
    reference counting). The twin has a name of its own, so the disk cache keeps the two apart.
    """
    func = getattr(kernel, "py_func", kernel)  # plain Python under NUMBA_DISABLE_JIT=1
    scope = dict(func.__globals__)
    scope.update(replacements)
    twin = types.FunctionType(func.__code__, scope, name, func.__defaults__, func.__closure__)
    twin.__qualname__ = name
    twin.__doc__ = func.__doc__
    return decorator(twin)
