"""Compiling the kernels ahead of first use, and where Numba keeps them.

An install built with a C compiler carries the kernels precompiled (:mod:`fastnn.kernels._aot`):
nothing is compiled at run time. Otherwise (or with ``FASTNN_JIT=1``) the first call of each
compiled kernel in a fresh environment compiles it (tens of seconds for the training loop); Numba
then stores the machine code on disk (see :mod:`fastnn.kernels._jit`) and later processes load it
in well under a
second. :func:`warmup` does that first compilation, or the load, up front.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import cast

import numpy as np

from ._spec import parse_dtype


def _parse_dtypes(dtypes: object) -> list[np.dtype]:
    if isinstance(dtypes, (str, np.dtype, type)):
        dtypes = (dtypes,)
    try:
        items = list(cast(Iterable[object], dtypes))  # a TypeError if it is not iterable
    except TypeError:
        raise TypeError(
            "dtypes must be a dtype or a sequence of dtypes (float64, float32), got "
            f"{type(dtypes).__name__}"
        ) from None
    if not items:
        raise ValueError("dtypes must name at least one dtype (float64 or float32)")
    parsed = []
    for i, item in enumerate(items):
        try:
            dtype = parse_dtype(item)
        except TypeError:
            raise TypeError(f"dtypes[{i}] must be float64 or float32, got {item!r}") from None
        if dtype not in parsed:
            parsed.append(dtype)
    return parsed


def _exercise(model_class, dtype: np.dtype) -> None:
    """Run every public kernel once on tiny networks of ``dtype``."""
    rng = np.random.default_rng(0)
    # a 2-3-1 network: per-row loops everywhere
    X = rng.standard_normal((8, 2)).astype(dtype)
    y = rng.standard_normal(8).astype(dtype)
    small = model_class((2, 3, 1), "tanh", seed=0, dtype=dtype)
    small.predict(X)
    small.layer_outputs(X)
    small.loss(X, y)
    small.gradient(X, y)
    small.fit(X, y, epochs=2, learning_rate=0.01, batch_size=4, validation_data=(X, y))
    # a 16-64-8 network trained full batch on 64 rows: its layers go through BLAS
    Xw = rng.standard_normal((64, 16)).astype(dtype)
    yw = rng.standard_normal((64, 8)).astype(dtype)
    wide = model_class((16, 64, 8), "relu", loss="mse", seed=0, dtype=dtype)
    wide.fit(Xw, yw, epochs=1, learning_rate=0.01)
    wide.predict(Xw)


def warmup(dtypes=("float64",), jit=None) -> float:
    """Compile (or load from Numba's disk cache) every kernel fastnn calls, ahead of first use.

    With precompiled kernels in use there is nothing to compile, unless ``jit=True``. Otherwise
    it compiles every entry point of :data:`fastnn.kernels._aot.ENTRY_POINTS` for each dtype
    with Numba's JIT, then runs prediction, ``layer_outputs``, loss, gradient and training once,
    on a tiny network and on one wide enough for the BLAS code path, for each dtype. Later calls
    of any size and settings reuse these compiled kernels: fastnn converts every input to one
    dtype and memory layout before it reaches a kernel, so there is one compiled version per
    kernel and dtype.

    Parameters
    ----------
    dtypes : dtype or sequence of dtypes
        ``"float64"`` (the default dtype of a model), ``"float32"``, or both.
    jit : bool or None
        Compile the JIT kernels: ``None`` (the default) when the JIT is what this process uses
        (see ``fastnn.kernels._aot.status()``), ``True`` also when precompiled kernels are.

    Returns
    -------
    float
        Seconds it took: tens of seconds when the kernels were compiled, well under a second
        when they were loaded from the cache.

    Notes
    -----
    **Where the cache lives.** Numba stores each compiled kernel as an index file (``.nbi``) and
    data files (``.nbc``) in ``fastnn/kernels/__pycache__`` next to the kernels' source. If the
    environment variable ``NUMBA_CACHE_DIR`` is set, they go below that directory instead. When
    the package directory is not writable (a read-only or system-wide install), Numba falls back
    to a per-user directory: ``$XDG_CACHE_HOME/numba`` or ``~/.cache/numba`` on Linux,
    ``~/Library/Caches/numba`` on macOS, ``%LOCALAPPDATA%\\numba\\numba\\Cache`` on Windows (each
    in a subdirectory named after the kernels' path).
    ``fastnn._warmup.kernel_cache_dir()`` returns the directory in use.

    **Clearing it.** Delete the ``*.nbi`` and ``*.nbc`` files in that directory (or the whole
    ``__pycache__`` directory); the next call recompiles. Neither users nor developers editing
    the kernels need to: an entry is ignored when Numba's version changes, on a CPU with other
    features, and when any kernel source file changes — each entry's key holds a hash of every
    file in ``fastnn/kernels`` (see :mod:`fastnn.kernels._jit`), so editing a helper in another
    file than the kernel calling it is noticed too.
    """
    from .kernels import _aot
    from .model import MLP

    parsed = _parse_dtypes(dtypes)
    start = time.perf_counter()
    if jit is None:
        jit = _aot.status()["kernels"] == "jit"
    for dtype in parsed:
        if jit:
            for name in _aot.ENTRY_POINTS:
                _aot.compile_jit(name, dtype.name, _aot.status().get("reason"))
        _exercise(MLP, dtype)
    return time.perf_counter() - start


def warmup_reference(dtypes=("float64",)) -> float:
    """The reference twin of :func:`fastnn.warmup`: checks ``dtypes``; nothing to compile.

    Returns
    -------
    float
        Seconds it took (about zero).
    """
    start = time.perf_counter()
    _parse_dtypes(dtypes)
    return time.perf_counter() - start


def kernel_cache_dir() -> str | None:
    """The directory where Numba caches fastnn's kernels in this process (None: no disk cache)."""
    from .kernels.train import _train_epochs

    stats = getattr(_train_epochs, "stats", None)  # None: a plain function (NUMBA_DISABLE_JIT=1)
    return None if stats is None else stats.cache_path
