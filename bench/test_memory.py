"""Peak memory of W4 and W5 training, fastnn and the numpy reference (each in a fresh process).

The benchmark's time is the whole probe process and means nothing; the numbers are in
``extra_info`` (see :mod:`bench.memory`) and in the report's memory table.
"""

from __future__ import annotations

import pytest

from .memory import probe_in_subprocess


@pytest.mark.benchmark(group="memory")
@pytest.mark.parametrize("impl", ["fastnn", "reference"])
@pytest.mark.parametrize("workload", ["W4", "W5"])
def test_peak_memory_of_training(benchmark, workload, impl):
    results = []
    benchmark.pedantic(lambda: results.append(probe_in_subprocess(workload, impl)), rounds=1)
    benchmark.extra_info.update(results[0])
    benchmark.extra_info["impl"] = f"memory-{impl}"
