"""What the benchmarks ran on: CPU, cores, load, Python, library versions and the BLAS in use.

:func:`machine_info` is stored in the pytest-benchmark JSON (under
``machine_info["fastnn_bench"]``) so that :mod:`bench.report` can print it in its header without
running anything itself.
"""

from __future__ import annotations

import os
import platform
import sys
from importlib import metadata


def cpu_name() -> str:
    """The CPU model from ``/proc/cpuinfo`` (Linux), else what :mod:`platform` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), else the logical core count."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def blas_info() -> list[dict]:
    """The BLAS libraries loaded in this process (threadpoolctl), numpy's and scipy's included."""
    try:
        import numpy  # noqa: F401  (load numpy's BLAS)
        import scipy.linalg  # noqa: F401  (numba's np.dot calls scipy's BLAS)
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("user_api", "internal_api", "version", "architecture", "num_threads", "prefix")
    rows = []
    for entry in threadpool_info():
        row = {k: entry.get(k) for k in keys}
        path = entry.get("filepath") or ""
        row["library"] = os.path.basename(path)
        row["used_by"] = next(
            (pkg for pkg in ("numpy", "scipy", "torch", "jaxlib", "sklearn") if pkg in path),
            "",
        )
        rows.append(row)
    return rows


def machine_info() -> dict:
    """Everything the report's header needs, as plain JSON data."""
    return {
        "cpu": cpu_name(),
        "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "versions": {
            name: _version(dist)
            for name, dist in [
                ("fastnn", "fastnn"),
                ("numpy", "numpy"),
                ("numba", "numba"),
                ("llvmlite", "llvmlite"),
                ("scipy", "scipy"),
                ("torch", "torch"),
                ("jax", "jax"),
                ("jaxlib", "jaxlib"),
                ("scikit-learn", "scikit-learn"),
                ("pytest-benchmark", "pytest-benchmark"),
            ]
        },
        "blas": blas_info(),
        "env": {
            k: os.environ.get(k)
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OPENBLAS_NUM_THREADS",
                "OMP_NUM_THREADS",
                "MKL_NUM_THREADS",
                "NUMBA_NUM_THREADS",
                "NUMBA_CACHE_DIR",
            )
            if os.environ.get(k) is not None
        },
    }
