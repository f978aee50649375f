"""Precompiled kernels: the table of entry points, and the loader that picks AOT or JIT code.

The Python side calls a handful of compiled *entry points* (:data:`ENTRY_POINTS`). Each is
defined once, as a Numba kernel in its module of :mod:`fastnn.kernels`. They reach the process
in one of two ways:

AOT (ahead of time)
    ``pip install`` runs ``setup.py``, which compiles every entry point for every dtype of
    :data:`DTYPES` with ``numba.pycc`` into an extension module ``fastnn/kernels/_aot_<target>``
    (see :mod:`fastnn.kernels._aot_build`). Importing it takes milliseconds and needs neither
    Numba nor LLVM. It is used only if the hash of the kernel sources recorded in it equals
    the hash of the sources next to it now, and the CPU has the instruction sets it was built
    for; otherwise the JIT is used.
JIT (just in time)
    The Numba dispatchers themselves, compiled on first use (tens of seconds) and then loaded
    from Numba's disk cache. Used when no valid AOT module is there: a source tree edited
    since the build, an install without a C compiler, or ``FASTNN_JIT=1`` (also implied by
    ``NUMBA_DISABLE_JIT=1``). Whatever has to be compiled at first use is announced once per
    dtype, through the ``fastnn`` logger (printed on stderr when logging is not configured).

Nothing here imports Numba or SciPy until the JIT is really needed, so ``import fastnn`` with
a valid AOT module costs no more than its own Python modules.

Adding, renaming or re-signing an entry point is one line of :data:`ENTRY_POINTS`; the
module-level names of this module (``from fastnn.kernels._aot import _predict``) follow it.
The AOT exports do not check their arguments (a wrong dtype or layout is undefined
behaviour): every caller passes arrays already checked by :mod:`fastnn._validation`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np

#: Every compiled function the Python side calls: ``name: (module, signature)``. ``module`` is
#: the module of :mod:`fastnn.kernels` that defines it; ``signature`` is a Numba signature in
#: which ``F`` stands for θ's dtype (one version is built per dtype of :data:`DTYPES`; calls pick
#: it by the first argument's dtype, and a signature without ``F`` calls the float64 one, all
#: versions being the same). Array arguments are C-contiguous (``[::1]``, ``[:, ::1]``), as
#: fastnn._validation makes them.
ENTRY_POINTS: dict[str, tuple[str, str]] = {
    "_predict": ("predict", "i8(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1])"),
    "_predict_sample": ("predict", "i8(F[::1], i8[::1], f8[::1], F[::1], F[::1])"),
    "_layer_outputs": ("predict", "none(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1])"),
    "_loss": ("objective", "f8(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1], F[::1], f8)"),
    "_loss_and_gradient": (
        "objective",
        "f8(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1], F[::1], f8, F[::1])",
    ),
    "_add_l2_call": ("regularization", "f8(F[::1], i8[::1], F[::1], f8)"),
    "_train_epochs": (
        "train",
        "UniTuple(i8, 2)(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1], F[::1], i8[:, ::1], i8,"
        " i8, f8[::1], i8[::1], F[:, ::1], i8[::1], f8[::1], F[::1], f8[::1], F[:, ::1],"
        " F[:, ::1], F[::1], f8[::1], f8[::1])",
    ),
    "_train_epochs_per_sample": (
        "train",
        "UniTuple(i8, 2)(F[::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1], F[::1], i8[:, ::1], i8,"
        " i8, f8[::1], i8[::1], F[:, ::1], i8[::1], f8[::1], F[::1], f8[::1], F[:, ::1],"
        " F[:, ::1], F[::1], f8[::1], f8[::1])",
    ),
    "_per_sample_sgd": ("train", "b1(F[::1], i8[::1], i8, i8[::1], f8[::1])"),  # F first: θ's dtype
    "_row_orders": ("shuffle", "none(u8[::1], i8[:, ::1])"),  # no θ: one version serves all
    "_train_block": (
        "many",
        "none(F[:, ::1], i8[::1], f8[::1], F[:, ::1], F[:, ::1], F[::1], i8[:, :, ::1], i8[::1],"
        " f8[:, ::1], i8[:, ::1], F[:, :, ::1], i8[:, ::1], f8[:, ::1], F[:, ::1], f8[:, ::1],"
        " F[:, ::1], F[:, ::1], F[::1], f8[:, ::1], f8[:, ::1], i8[:, ::1])",
    ),
}

#: The dtypes θ may have, with the Numba type that replaces ``F`` in the signatures.
DTYPES: dict[str, str] = {"float64": "f8", "float32": "f4"}

#: CPU targets an AOT module may be built for, best first; the loader uses the first one that
#: is present, up to date and runnable here. ``host`` is the building machine's own CPU (what
#: ``pip install`` from source builds); the others are what portable wheels carry.
TARGETS = ("host", "x86-64-v4", "x86-64-v3", "generic")

#: NumPy's names (``numpy._core._multiarray_umath.__cpu_features__``) of the instruction sets
#: a named target needs. ``host`` modules record the features of the CPU that built them.
TARGET_FEATURES = {
    "x86-64-v3": ("AVX", "AVX2", "F16C", "FMA3"),
    "x86-64-v4": ("AVX", "AVX2", "F16C", "FMA3", "AVX512F", "AVX512CD", "AVX512_SKX"),
    "generic": (),
}

#: Version of the manifest recorded in an AOT module (:func:`manifest`).
MANIFEST_FORMAT = 1

#: Seconds the JIT takes to compile the entry points one dtype needs at first use (measured:
#: 23-26 s for a first ``fit`` and ``predict`` on a 2-core machine; see AOT_NOTES.md).
FIRST_USE_SECONDS = 30

#: A first use still compiling after this many seconds is announced (loading compiled code from
#: Numba's disk cache takes well under a second and is not).
NOTICE_AFTER_S = 1.0

#: Files of fastnn/kernels that are build machinery, not kernels (left out of the source hash).
_NOT_KERNELS = frozenset({"_aot.py", "_aot_build.py"})

PACKAGE_DIR = Path(__file__).resolve().parents[1]

# ast, hashlib, json and logging are imported where used: not needed by ``import fastnn``.


# --- the table -------------------------------------------------------------------------------


def signature_for(name: str, dtype: str) -> str:
    """The Numba signature of entry point ``name`` for θ of ``dtype`` (``"float64"``…)."""
    return re.sub(r"\bF\b", DTYPES[dtype], ENTRY_POINTS[name][1])


def export_name(name: str, dtype: str) -> str:
    """The name of entry point ``name``'s ``dtype`` version in an AOT module."""
    return f"{name}__{dtype}"


def module_name(target: str) -> str:
    """The extension module that holds the kernels built for ``target``."""
    return "_aot_" + re.sub(r"\W", "_", target)


def _arity(signature: str) -> int:
    """Number of arguments of a Numba signature string ``ret(a, b, ...)``."""
    depth = 0
    for i in range(len(signature) - 1, -1, -1):  # the argument list is the last (...) group
        depth += {")": 1, "(": -1}.get(signature[i], 0)
        if depth == 0:
            args = signature[i + 1 : -1]
            break
    count, depth = (1 if args.strip() else 0), 0
    for char in args:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        count += char == "," and depth == 0
    return count


# --- what the compiled code was made from ------------------------------------------------------


def _module_file(parts: list[str]) -> str | None:
    for candidate in ("/".join(parts) + ".py", "/".join([*parts, "__init__.py"])):
        if (PACKAGE_DIR / candidate).is_file():
            return candidate
    return None


def kernel_source_files() -> list[str]:
    """The files compiled code depends on, relative to the package directory.

    Every ``fastnn/kernels/*.py`` except the build machinery, and every fastnn module they
    import, directly or not (``_config.py`` and ``_names.py`` supply constants).
    """
    import ast

    todo = [
        f"kernels/{path.name}"
        for path in (PACKAGE_DIR / "kernels").glob("*.py")
        if path.name not in _NOT_KERNELS
    ]
    seen: set[str] = set()
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        package = rel.split("/")[:-1]
        for node in ast.walk(ast.parse((PACKAGE_DIR / rel).read_bytes())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package[: len(package) - node.level + 1] if node.level > 1 else package
                targets = [[*base, *node.module.split(".")]] if node.module else []
                targets += [[*base, *(node.module or "").split("."), a.name] for a in node.names]
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("fastnn.")
            ):
                targets = [node.module.split(".")[1:]]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
                targets = [n.split(".")[1:] for n in names if n.startswith("fastnn.")]
            else:
                continue
            for parts in targets:
                found = _module_file([p for p in parts if p])
                if (
                    found is not None
                    and found not in seen
                    and not found.endswith(tuple(_NOT_KERNELS))
                ):
                    todo.append(found)
    return sorted(seen)


def source_hash(files: list[str]) -> str:
    """SHA-256 of the entry-point table, the dtypes and the contents of ``files``."""
    import hashlib

    digest = hashlib.sha256(repr((sorted(ENTRY_POINTS.items()), DTYPES)).encode())
    for rel in files:
        digest.update(b"\0" + rel.encode() + b"\0" + (PACKAGE_DIR / rel).read_bytes())
    return digest.hexdigest()


def _cpu_features() -> set[str]:
    """NumPy's names of the instruction sets this CPU has (empty when NumPy does not say)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            features = importlib.import_module(name).__cpu_features__
        except (ImportError, AttributeError):
            continue
        return {key for key, present in features.items() if present}
    return set()


# --- finding a usable AOT module ---------------------------------------------------------------


class _State:
    def __init__(self, module=None, path=None, info=None, reason=None):
        self.module, self.path, self.info, self.reason = module, path, info, reason


_state: _State | None = None
_state_lock = threading.Lock()


def _forced_jit() -> str | None:
    if os.environ.get("FASTNN_JIT", "") not in ("", "0"):
        return "FASTNN_JIT is set"
    if os.environ.get("NUMBA_DISABLE_JIT", "") not in ("", "0"):
        return "NUMBA_DISABLE_JIT is set"
    return None


def check_module(module) -> str | None:
    """Why the AOT ``module`` cannot be used here, or None when it can."""
    import json

    try:
        info = json.loads(module._aot_manifest())
    except Exception as error:  # any defect means "do not use"
        return f"it has no readable manifest ({error})"
    if info.get("format") != MANIFEST_FORMAT:
        return f"its manifest has format {info.get('format')!r}, not {MANIFEST_FORMAT}"
    wanted = [export_name(n, d) for n in ENTRY_POINTS for d in DTYPES]
    missing = [export for export in wanted if not hasattr(module, export)]
    if missing:
        return f"it lacks {', '.join(missing)}"
    try:
        current = source_hash(info["files"])
    except OSError:
        current = None
    if current != info["hash"]:
        return "the kernel sources changed since it was built"
    absent = sorted(set(info["cpu_features"]) - _cpu_features())
    if absent:
        return f"it was built for CPU {info['cpu']!r}; this CPU lacks {', '.join(absent)}"
    return None


def _find() -> _State:
    forced = _forced_jit()
    if forced:
        return _State(reason=forced)
    reasons = []
    for target in TARGETS:
        name = f"{__package__}.{module_name(target)}"
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None:
            continue
        # before the import: code built for instructions this CPU lacks may crash in its init
        absent = sorted(set(TARGET_FEATURES.get(target, ())) - _cpu_features())
        if absent:
            reasons.append(f"{module_name(target)} needs {', '.join(absent)}")
            continue
        try:
            module = importlib.import_module(name)
        except ImportError as error:
            reasons.append(f"{module_name(target)} does not load ({error})")
            continue
        why = check_module(module)
        if why is None:
            import json

            info = json.loads(module._aot_manifest())
            return _State(module, spec.origin, info)
        reasons.append(f"{module_name(target)} is not used: {why}")
    if not reasons:
        reasons.append("this install has none (built without a C compiler, or with FASTNN_AOT=0)")
    return _State(reason="; ".join(reasons))


def _current() -> _State:
    global _state
    if _state is None:
        with _state_lock:
            if _state is None:
                _state = _find()
    return _state


def status() -> dict:
    """Which kernels this process uses: ``{"kernels": "aot" | "jit", ...}`` with details."""
    state = _current()
    if state.module is None:
        return {"kernels": "jit", "reason": state.reason}
    return {
        "kernels": "aot",
        "module": state.path,
        "target": state.info["target"],
        "cpu": state.info["cpu"],
        "numba": state.info["numba"],
    }


# --- the JIT path, and its one-time notice -----------------------------------------------------

_announced: set[str] = set()


def _announce(dtype: str, reason: str | None) -> None:
    if dtype in _announced:
        return
    _announced.add(dtype)
    import logging

    why = f"; no precompiled kernels: {reason}" if reason else ""
    logging.getLogger("fastnn").warning(
        "fastnn: compiling the %s training kernels (first use, about %d s%s)…",
        dtype,
        FIRST_USE_SECONDS,
        why,
    )


@contextlib.contextmanager
def _notice_if_slow(dtype: str, reason: str | None):
    """Announce a compilation that is still running after :data:`NOTICE_AFTER_S` seconds."""
    if dtype in _announced:
        yield
        return
    timer = threading.Timer(NOTICE_AFTER_S, _announce, (dtype, reason))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def jit_kernel(name: str):
    """The Numba dispatcher of entry point ``name`` (imports Numba)."""
    return getattr(importlib.import_module(f"{__package__}.{ENTRY_POINTS[name][0]}"), name)


def compile_jit(name: str, dtype: str, reason: str | None = None):
    """Compile (or load from Numba's cache) the ``dtype`` version of ``name``; its dispatcher."""
    dispatcher = jit_kernel(name)
    if hasattr(dispatcher, "compile"):  # not with NUMBA_DISABLE_JIT=1
        from numba.core.sigutils import normalize_signature

        # by argument types only, as a call compiles it: one cache entry for both
        args, _ = normalize_signature(signature_for(name, dtype))
        with _notice_if_slow(dtype, reason):
            dispatcher.compile(tuple(args))
    return dispatcher


# --- the AOT path: SciPy's BLAS without all of scipy.linalg ------------------------------------

_blas_ready = False
_blas_lock = threading.Lock()


def _preload_cython_blas() -> None:
    """Load ``scipy.linalg.cython_blas`` without running ``scipy/linalg/__init__.py``.

    Compiled ``np.dot`` finds BLAS by importing that module at its first call; importing it
    the ordinary way imports all of ``scipy.linalg`` first (0.15-0.25 s). Loaded directly it
    takes 0.03-0.04 s. A later ``import scipy.linalg`` still gets its ``cython_blas`` attribute
    (set by :class:`_BindCythonBlas`). Any failure leaves the ordinary import to happen.
    """
    global _blas_ready
    if _blas_ready:
        return
    with _blas_lock:  # threads making their first kernel calls at once wait for one load
        if not _blas_ready:
            _load_cython_blas()
            _blas_ready = True


def _load_cython_blas() -> None:
    name = "scipy.linalg.cython_blas"
    if name in sys.modules or "scipy.linalg" in sys.modules:
        return
    try:
        import scipy  # its __init__ sets up the DLL search path on Windows

        directory = Path(scipy.__file__).parent / "linalg"
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if (directory / ("cython_blas" + suffix)).is_file():
                break
        else:
            return
        spec = importlib.util.spec_from_file_location(name, directory / ("cython_blas" + suffix))
        if spec is None or spec.loader is None:
            return
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        sys.meta_path.insert(0, _BindCythonBlas())
    except Exception:
        sys.modules.pop(name, None)


class _BindCythonBlas:
    """Meta-path finder: when ``scipy.linalg`` is imported, give it its ``cython_blas``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "scipy.linalg":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            blas = sys.modules.get("scipy.linalg.cython_blas")
            if blas is not None and not hasattr(module, "cython_blas"):
                module.cython_blas = blas

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


# --- the entry points as module attributes ----------------------------------------------------


def _resolve(name: str, dtype: np.dtype):
    key = np.dtype(dtype).name
    state = _current()
    if state.module is not None and key in DTYPES:
        _preload_cython_blas()
        return getattr(state.module, export_name(name, key))
    if key not in DTYPES:  # let the dispatcher say what is wrong with it
        return jit_kernel(name)
    return compile_jit(name, key, state.reason)


class _Implementations(dict):
    """θ's dtype → the function to call; filled on the first call with each dtype."""

    def __init__(self, name, resolve):
        super().__init__()
        self.name, self.resolve = name, resolve

    def __missing__(self, dtype):
        impl = self[dtype] = self.resolve(self.name, dtype)
        return impl


def make_entry(name: str, resolve=_resolve):
    """A function ``name(theta, ...)`` calling the implementation ``resolve`` picks for θ's dtype.

    Written out with its exact number of arguments (``*args`` would cost ~0.1 µs per call).
    """
    impls = _Implementations(name, resolve)
    args = ", ".join(f"a{i}" for i in range(1, _arity(ENTRY_POINTS[name][1])))
    # the version for θ's dtype; a kernel without θ (no F in its signature) has one version
    key = (
        "theta.dtype" if signature_for(name, "float32") != signature_for(name, "float64") else "F8"
    )
    namespace = {"impls": impls, "F8": np.dtype(np.float64)}
    exec(  # generated from the table above, nothing else
        f"def {name}(theta, {args}):\n    return impls[{key}](theta, {args})\n", namespace
    )
    entry: Any = namespace[name]
    entry.implementations = impls
    entry.__doc__ = f"Entry point {name}: the AOT export or the JIT kernel, by θ's dtype."
    return entry


def implementations(kind: str, module=None) -> dict:
    """Entry points that always use ``kind``: ``"jit"``, or ``"aot"`` from ``module``.

    For tests and benchmarks comparing the two; ``module`` defaults to the AOT module the loader
    picked (error if there is none).
    """
    if kind == "jit":
        return {name: make_entry(name, lambda n, d: jit_kernel(n)) for name in ENTRY_POINTS}
    if module is None:
        module = _current().module
        if module is None:
            raise RuntimeError(f"no AOT module in use: {_current().reason}")

    def resolve(name, dtype):
        _preload_cython_blas()
        return getattr(module, export_name(name, np.dtype(dtype).name))

    return {name: make_entry(name, resolve) for name in ENTRY_POINTS}


_entries: dict = {}


def __getattr__(name: str):
    if name in ENTRY_POINTS:
        with _state_lock:
            if name not in _entries:
                _entries[name] = make_entry(name)
        return _entries[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
