"""pytest configuration of the benchmarks: markers, options, and what goes into the JSON."""

from __future__ import annotations

import datetime

import pytest

from .machine import load_average, machine_info

#: Benchmark modules whose products are small (W1-W4, W6): their BLAS calls run with one thread.
#: OpenBLAS keeps its worker threads spinning for a while after every multi-threaded call, and
#: on this 2-CPU machine a spinning thread takes half the core from the one being measured
#: (fastnn's W3 took 0.9 ms or 2.1 ms depending on what ran just before). For products this
#: small OpenBLAS works single-threaded anyway, so one thread costs neither side anything; it
#: applies to numpy's BLAS (the reference, scikit-learn) and scipy's (fastnn's kernels) alike.
ONE_BLAS_THREAD_MODULES = ("test_tiny", "test_medium")


@pytest.fixture(autouse=True)
def _one_blas_thread_for_small_workloads(request):
    if request.module.__name__.rsplit(".", 1)[-1] not in ONE_BLAS_THREAD_MODULES:
        yield
        return
    from threadpoolctl import threadpool_limits

    if "benchmark" in request.fixturenames:
        request.getfixturevalue("benchmark").extra_info["blas_threads"] = 1
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def pytest_addoption(parser):
    parser.addoption(
        "--bench-rounds-factor",
        action="store",
        type=float,
        default=1.0,
        help="fastnn benchmarks: multiply every benchmark's number of rounds by this (min 1)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "quick: benchmark subset that runs in under two minutes (used by the CI gate)"
    )
    # pyproject's addopts carry --benchmark-disable so that `pytest` runs benchmark-using tests
    # once, untimed. Asking for --benchmark-only (or --benchmark-json/--benchmark-save) means
    # "time them": enable benchmarking instead of stopping on the two options' conflict. This
    # runs before pytest-benchmark's own (trylast) pytest_configure reads the options.
    opt = config.option
    wants_timing = any(
        getattr(opt, name, None)
        for name in ("benchmark_only", "benchmark_json", "benchmark_save", "benchmark_autosave")
    )
    if wants_timing and hasattr(opt, "benchmark_enable"):
        opt.benchmark_enable = True


def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["fastnn_bench"] = _MACHINE


def pytest_benchmark_update_json(config, benchmarks, output_json):
    output_json["fastnn_bench"] = {
        "markexpr": config.option.markexpr or "",
        "rounds_factor": config.getoption("bench_rounds_factor"),
        "load_average_start": _LOAD_START,
        "load_average_end": load_average(),
        "finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }


# read once, at collection time, before the benchmarks load the machine; the load average is
# kept out of machine_info, which --benchmark-compare expects to be the same from run to run
_MACHINE = machine_info()
_LOAD_START = load_average()
