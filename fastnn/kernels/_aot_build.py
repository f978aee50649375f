"""Build an AOT module: every entry point of :data:`fastnn.kernels._aot.ENTRY_POINTS`, each dtype.

Run by ``setup.py`` at install time, in a process of its own (the CPU target is fixed through
Numba's environment variables before Numba is imported)::

    python -m fastnn.kernels._aot_build --target host --output fastnn/kernels/_aot_host.<ext>

``numba.pycc`` compiles the Python functions it is given with default options: no fastmath, the
Python error model, and exports that hold the GIL. Here each entry point is compiled with the
options of its own Numba dispatcher instead (``fastnn.kernels._jit``: fastmath flags, numpy's
error model, ``nogil``), so the AOT code is the JIT code. The helpers they call are compiled by
their own dispatchers and linked in, as in the JIT. The module also exports ``_aot_manifest()``,
a JSON string saying what it was built from (:func:`fastnn.kernels._aot.check_module`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def _set_numba_target(target: str) -> None:
    """Make Numba's JIT (which compiles the helpers linked in) optimise for ``target`` too."""
    if "numba" in sys.modules:
        raise RuntimeError("the CPU target must be set before Numba is imported")
    if target != "host":
        os.environ["NUMBA_CPU_NAME"] = target
        os.environ["NUMBA_CPU_FEATURES"] = ""  # the named CPU's own features, not the host's
    else:
        os.environ.pop("NUMBA_CPU_NAME", None)
        os.environ.pop("NUMBA_CPU_FEATURES", None)


@contextlib.contextmanager
def _dispatcher_options(options_of: dict):
    """Have pycc compile each function in ``options_of`` with its dispatcher's options."""
    import numba.pycc.compiler as pycc_compiler
    from numba.core.registry import cpu_target

    original = getattr(pycc_compiler, "compile_extra", None)
    if original is None:
        raise RuntimeError("numba.pycc.compiler.compile_extra is gone: this Numba's pycc changed")

    def compile_extra(typingctx, targetctx, func, args, return_type, flags, locals, **kws):
        if func in options_of:
            own = flags.copy()
            cpu_target.options.parse_as_flags(own, options_of[func])
            # pycc's own settings: compile to its library, no JIT wrappers, with NRT
            for key in ("no_compile", "no_cpython_wrapper", "no_cfunc_wrapper", "nrt"):
                setattr(own, key, getattr(flags, key))
            flags = own
        return original(typingctx, targetctx, func, args, return_type, flags, locals, **kws)

    pycc_compiler.compile_extra = compile_extra  # type: ignore[assignment]
    try:
        yield
    finally:
        pycc_compiler.compile_extra = original


def _host_cpu() -> tuple[str, list[str]]:
    import llvmlite.binding as ll

    from ._aot import _cpu_features

    return ll.get_host_cpu_name(), sorted(_cpu_features())


def build(target: str, output: Path) -> dict:
    """Compile the AOT module for CPU ``target`` into the file ``output``; its manifest."""
    _set_numba_target(target)
    started = time.perf_counter()
    import numba
    from numba.pycc import CC

    from . import _aot

    if target == "host":
        cpu, features = _host_cpu()
    else:
        cpu, features = target, list(_aot.TARGET_FEATURES.get(target, ()))
    name = output.name.split(".")[0]
    if name != _aot.module_name(target):
        raise ValueError(f"{output.name}: expected a file name starting {_aot.module_name(target)}")
    cc = CC(name, source_module=__name__)
    cc.output_dir = str(output.parent)
    cc.output_file = output.name
    cc.target_cpu = "host" if target == "host" else ("" if target == "generic" else target)
    options_of = {}
    for entry in _aot.ENTRY_POINTS:
        dispatcher = _aot.jit_kernel(entry)
        options_of[dispatcher.py_func] = dispatcher.targetoptions
        for dtype in _aot.DTYPES:
            signature = _aot.signature_for(entry, dtype)
            cc.export(_aot.export_name(entry, dtype), signature)(dispatcher.py_func)
    files = _aot.kernel_source_files()
    manifest = {
        "format": _aot.MANIFEST_FORMAT,
        "hash": _aot.source_hash(files),
        "files": files,
        "target": target,
        "cpu": cpu,
        "cpu_features": features,
        "dtypes": list(_aot.DTYPES),
        "entry_points": list(_aot.ENTRY_POINTS),
        "numba": numba.__version__,
        "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    text = json.dumps(manifest, sort_keys=True)

    def make_manifest():
        def _aot_manifest():
            return text

        return _aot_manifest

    cc.export("_aot_manifest", "unicode_type()")(make_manifest())
    output.parent.mkdir(parents=True, exist_ok=True)
    with _dispatcher_options(options_of):
        cc.compile()
    manifest["seconds"] = round(time.perf_counter() - started, 1)
    return manifest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastnn.kernels._aot_build")
    parser.add_argument("--target", default="host", help="CPU: host, generic, x86-64-v3, ...")
    parser.add_argument("--output", required=True, type=Path, help="the extension module file")
    args = parser.parse_args(argv)
    # the helpers' JIT code is compiled afresh for this target, outside the user's cache
    with tempfile.TemporaryDirectory(prefix="fastnn-aot-") as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache
        os.environ["FASTNN_JIT"] = "1"  # never load an older AOT module while building
        manifest = build(args.target, args.output.resolve())
    print(
        f"fastnn: built {args.output.name} for CPU {manifest['cpu']} "
        f"({len(manifest['entry_points'])} entry points x {len(manifest['dtypes'])} dtypes) "
        f"in {manifest['seconds']} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
