"""Build hook: compile fastnn's kernels ahead of time while the package is built.

Metadata lives in pyproject.toml; this file only adds the precompiled kernels. For each CPU
target of ``FASTNN_AOT_TARGETS`` (comma-separated; default ``host``, the building machine's
CPU) the ``build_ext`` step runs ``python -m fastnn.kernels._aot_build`` from the source tree,
which compiles every entry point of ``fastnn/kernels/_aot.py`` with ``numba.pycc`` into the
extension module ``fastnn/kernels/_aot_<target>`` (two to three minutes per target on two cores).

``FASTNN_AOT`` chooses what happens:

* unset or ``auto``: build; if that fails (no C compiler, say) print why and go on without it.
  fastnn then compiles its kernels with Numba's JIT at first use, and says so.
* ``require``: a failed build fails the install (wheel builds use this).
* ``0``: do not build (fastnn uses the JIT).

Portable wheels set ``FASTNN_AOT_TARGETS`` to named CPUs (``x86-64-v4,x86-64-v3,generic``): the
loader picks the best one the running CPU supports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def _module_name(target: str) -> str:
    # as fastnn.kernels._aot.module_name (not imported here: it would import fastnn's deps)
    return "_aot_" + "".join(c if c.isalnum() or c == "_" else "_" for c in target)


class AOTKernels(Extension):
    """The kernels compiled for one CPU target (built by :class:`BuildAOT`, not from sources)."""

    def __init__(self, target: str):
        super().__init__(f"fastnn.kernels.{_module_name(target)}", sources=[])
        self.target = target


class BuildAOT(build_ext):
    """``build_ext`` that builds :class:`AOTKernels` by running fastnn's AOT compiler."""

    def run(self):
        # setuptools' run() builds in the build directory, then copies to the source tree
        self._into_source = bool(self.inplace or getattr(self, "editable_mode", False))
        super().run()

    def build_extensions(self):
        mode = os.environ.get("FASTNN_AOT", "auto").strip().lower()
        for ext in list(self.extensions):
            if not isinstance(ext, AOTKernels):
                self.build_extension(ext)
            elif mode in ("0", "off", "no", "false") or not self._build_aot(ext, mode):
                self.extensions.remove(ext)  # not built: not an output of this build
                self._remove_stale(ext)

    def _remove_stale(self, ext: AOTKernels) -> None:
        """Delete what an earlier build left of ``ext``: this build has none of it."""
        built = Path(self.get_ext_fullpath(ext.name))
        stale = [built]
        if getattr(self, "_into_source", False):
            stale.append(ROOT / "fastnn" / "kernels" / built.name)
        for path in stale:
            if path.is_file():
                print(f"fastnn: removing {path} (from an earlier build)", file=sys.stderr)
                path.unlink()

    def _build_aot(self, ext: AOTKernels, mode: str) -> bool:
        output = Path(self.get_ext_fullpath(ext.name)).resolve()
        command = [
            sys.executable,
            "-m",
            "fastnn.kernels._aot_build",
            f"--target={ext.target}",
            f"--output={output}",
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        print(
            f"fastnn: compiling the kernels ahead of time for CPU target {ext.target!r} "
            "(two to three minutes)",
            flush=True,
        )
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        sys.stdout.write(done.stdout)
        if done.returncode == 0 and output.is_file():
            return True
        message = (
            f"fastnn: the precompiled kernels for {ext.target!r} could not be built "
            f"({time.perf_counter() - started:.0f} s):\n{done.stderr[-4000:]}"
        )
        if mode == "require":
            raise RuntimeError(message)
        print(
            message + "\nfastnn: installing without them; fastnn will compile its kernels with "
            "Numba's JIT at first use (tens of seconds, once).",
            file=sys.stderr,
            flush=True,
        )
        return False


TARGETS = [t.strip() for t in os.environ.get("FASTNN_AOT_TARGETS", "host").split(",") if t.strip()]

setup(ext_modules=[AOTKernels(target) for target in TARGETS], cmdclass={"build_ext": BuildAOT})
