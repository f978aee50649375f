"""Peak memory of one training run, measured in a fresh process.

``python -m bench.memory W4 fastnn`` prints a JSON object:

``rss_peak_mib``
    The largest resident set size seen while ``fit`` ran (sampled every 0.5 ms from another
    thread: fastnn's kernels release the GIL, numpy's BLAS calls too) minus the resident size
    just before it, in MiB: the memory training itself needed beyond the data and the model.
``maxrss_mib``
    ``ru_maxrss`` after ``fit`` minus the resident size before it, a cross-check (it includes
    everything since the process started, so it can only be larger).
``tracemalloc_peak_mib``
    Peak of the allocations Python's tracemalloc sees during a second ``fit``, above what was
    allocated when it started: numpy arrays, and the kernels' workspaces too (Numba's runtime
    reports its allocations to tracemalloc).
``nrt_allocations``
    How many blocks Numba's runtime allocated during ``fit`` (fastnn's kernels: a fixed number
    per kernel call, whatever the number of steps).

A warm-up ``fit`` on a few rows first loads (or compiles) the kernels, so their code is not
counted.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import threading
import time
import tracemalloc

MIB = 1024.0 * 1024.0


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakSampler(threading.Thread):
    def __init__(self, interval=0.0005):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = _rss_bytes()
        self._done = threading.Event()

    def run(self):
        while not self._done.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(self.interval)

    def stop(self):
        self._done.set()
        self.join()
        self.peak = max(self.peak, _rss_bytes())


def probe(name: str, impl: str) -> dict:
    """Measure one training run of workload ``name`` with ``impl`` (fastnn or reference)."""
    import dataclasses

    from . import runners, workloads

    case = workloads.case(name)
    runner = runners.make_runner(case, impl)
    rows = min(case.n_samples, 4 * case.batch_size)
    warm = dataclasses.replace(case, X=case.X[:rows].copy(), Y=case.Y[:rows].copy())
    warm.train(warm.build(runner.module))  # load or compile the kernels
    model = runner.fresh()
    gc.collect()
    before = _rss_bytes()
    sampler = _PeakSampler()
    sampler.start()
    nrt = runners.nrt_allocations(lambda: runner.run(model))
    sampler.stop()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    model = runner.fresh()
    gc.collect()
    tracemalloc.start()
    runner.run(model)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "workload": name,
        "impl": impl,
        "steps": case.steps,
        "data_mib": (case.X.nbytes + case.Y.nbytes) / MIB,
        "params_mib": case.theta0.nbytes / MIB,
        "rss_before_mib": before / MIB,
        "rss_peak_mib": (sampler.peak - before) / MIB,
        "maxrss_mib": (maxrss - before) / MIB,
        "tracemalloc_peak_mib": traced_peak / MIB,
        "nrt_allocations": nrt,
    }


def probe_in_subprocess(name: str, impl: str, timeout: float = 600) -> dict:
    """Run :func:`probe` in a fresh interpreter (clean memory high-water marks)."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run(
        [sys.executable, "-m", "bench.memory", name, impl],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"memory probe {name}/{impl} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    print(json.dumps(probe(sys.argv[1], sys.argv[2])))
