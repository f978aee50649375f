"""W7: cold start. A new process imports fastnn, builds the W4 network and fits 64 rows.

Timed twice: with an empty Numba cache (every kernel the fit needs is compiled) and with a warm
one (they are loaded from disk). ``NUMBA_CACHE_DIR`` points at a temporary directory in both
cases, so the kernels' default cache in ``fastnn/kernels/__pycache__`` is not used. The
benchmark's time is the whole process (interpreter start included); the child also reports the
time from ``import fastnn`` to the end of ``fit``, which is what the target is judged on.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import pytest

from .harness import rounds
from .workloads import COLD_START_SCRIPT

ROUNDS = {"warm-cache": 5, "empty-cache": 2}


def _run_child(cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    done = subprocess.run(
        [sys.executable, "-c", COLD_START_SCRIPT],
        env=env,
        cwd=cache_dir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.benchmark(group="W7")
@pytest.mark.parametrize("cache", ["warm-cache", "empty-cache"])
def test_w7_cold_start(benchmark, request, cache):
    children = []
    dirs = []

    def new_dir():
        path = tempfile.mkdtemp(prefix="fastnn-w7-")
        dirs.append(path)
        return path

    warm_dir = None
    info = benchmark.extra_info
    info.update(workload="W7", impl=cache, title="new process: import, build W4, fit 64 rows")
    try:
        if cache == "warm-cache":
            warm_dir = new_dir()
            t0 = time.perf_counter()
            info["fill_child"] = _run_child(warm_dir)  # fills the cache (a full compile)
            info["fill_s"] = time.perf_counter() - t0

        def setup():
            return ((warm_dir or new_dir(),), {})

        def target(cache_dir):
            children.append(_run_child(cache_dir))

        benchmark.pedantic(target, setup=setup, rounds=rounds(request, ROUNDS[cache]))
    finally:
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)
    info["children"] = children
    for key in ("import_s", "build_s", "fit_s", "total_s"):
        info[f"median_{key}"] = statistics.median(child[key] for child in children)
