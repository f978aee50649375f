"""W7: start-up. New processes, each timed whole (interpreter start included), in interleaved
rounds.

* ``W7``: a new process imports fastnn, builds the W4 network and fits 64 rows, with the Numba
  cache already filled (kernels load from disk), against the baseline ``python -c "import
  numpy"`` in the same environment. The target is the difference of the two.
* ``W7-fresh``: the same process with an empty cache (every kernel the fit needs compiles), as
  after a fresh ``pip install .``; a new cache directory per run, no warm-up.
* ``W7-digits``: an end-to-end digits script (imports, load, split, fit 200 epochs, score),
  with ``fastnn.sklearn.MLPClassifier`` (warm cache) and with scikit-learn's, and the part the
  two share (``shared``: start, scikit-learn's imports, load, split), which bounds the ratio.

``NUMBA_CACHE_DIR`` points at a temporary directory in every child, so the kernels' default
cache in ``fastnn/kernels/__pycache__`` is neither used nor disturbed. Each child prints what it
measured inside itself (import, build, fit…), kept as details.
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

from . import runners
from .harness import interleave
from .workloads import (
    COLD_START_SCRIPT,
    DIGITS_SCRIPT,
    DIGITS_SCRIPT_MODULES,
    DIGITS_SHARED_SCRIPT,
    IMPORT_NUMPY_SCRIPT,
)


class ChildRunner:
    """One new Python process running ``script``; ``cache`` is a directory (reused) or None
    (a new empty one per run)."""

    def __init__(self, script: str, cache: str | None, dirs: list):
        self.script, self.cache, self.dirs = script, cache, dirs
        self.children = []

    def fresh(self):
        if self.cache is not None:
            return self.cache
        path = tempfile.mkdtemp(prefix="fastnn-w7-")
        self.dirs.append(path)
        return path

    def run(self, cache_dir):
        env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
        done = subprocess.run(
            [sys.executable, "-c", self.script],
            env=env,
            cwd=cache_dir,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0:
            raise RuntimeError(f"W7 child failed:\n{done.stderr}")
        lines = done.stdout.strip().splitlines()
        if lines:
            self.children.append(json.loads(lines[-1]))


def _no_bytecode() -> bool:
    """Whether new processes compile fastnn's modules from source: bytecode writing is off
    (``PYTHONDONTWRITEBYTECODE``) and no bytecode of ``fastnn/__init__.py`` is there to read."""
    import importlib.util

    import fastnn

    cached = importlib.util.cache_from_source(fastnn.__file__)
    return bool(os.environ.get("PYTHONDONTWRITEBYTECODE")) and not os.path.exists(cached)


def _medians(children: list[dict]) -> dict:
    keys = [k for k in children[0] if k.endswith("_s")] if children else []
    return {k: statistics.median(c[k] for c in children) for k in keys}


def _run(benchmark, request, name, scripts, n_rounds, *, warm=True, title="", needs=()):
    dirs = []
    try:
        cache = tempfile.mkdtemp(prefix="fastnn-w7-warm-") if warm else None
        if cache:
            dirs.append(cache)
        made = {}

        def factory(impl):
            for peer in needs:  # PeerMissing leaves this implementation out
                runners.import_peer(peer)
            made[impl] = ChildRunner(scripts[impl], cache, dirs)
            return made[impl]

        t0 = time.perf_counter()
        record = interleave(
            benchmark,
            request,
            name,
            list(scripts),
            n_rounds,
            factory,
            info={"title": title},
            warmup=warm,
        )
        info = benchmark.extra_info
        # with bytecode writing off and none written before, every child compiles fastnn's
        # modules from source: its import costs tens of milliseconds more than a user's would
        info["bytecode_off"] = _no_bytecode()
        if warm:
            # the first (untimed) run of fastnn's child filled the cache
            info["fill_s"] = record["first_call_s"].get("fastnn")
        info["elapsed_s"] = time.perf_counter() - t0
        info["children"] = {impl: _medians(r.children) for impl, r in made.items() if r.children}
        scores = {
            impl: statistics.median(c["accuracy"] for c in r.children)
            for impl, r in made.items()
            if r.children and "accuracy" in r.children[0]
        }
        if scores:
            info["accuracy"] = scores
    finally:
        for path in dirs:
            shutil.rmtree(path, ignore_errors=True)


@pytest.mark.benchmark(group="W7")
def test_w7_cold_start_warm_cache(benchmark, request):
    scripts = {"fastnn": COLD_START_SCRIPT, "import-numpy": IMPORT_NUMPY_SCRIPT}
    _run(benchmark, request, "W7", scripts, 5, title="new process: import, build W4, fit 64 rows")


@pytest.mark.benchmark(group="W7")
def test_w7_cold_start_empty_cache(benchmark, request):
    _run(
        benchmark,
        request,
        "W7-fresh",
        {"fastnn": COLD_START_SCRIPT},
        2,
        warm=False,
        title="new process, empty Numba cache: import, build W4, fit 64 rows",
    )


@pytest.mark.benchmark(group="W7")
def test_w7_digits_script(benchmark, request):
    scripts = {
        impl: DIGITS_SCRIPT.format(module=module) for impl, module in DIGITS_SCRIPT_MODULES.items()
    }
    scripts["shared"] = DIGITS_SHARED_SCRIPT
    # both scripts load the digits through scikit-learn
    _run(
        benchmark,
        request,
        "W7-digits",
        scripts,
        3,
        title="digits script: import, fit, score",
        needs=("sklearn",),
    )
