"""pytest configuration of the benchmarks: markers, options, and what goes into the JSON."""

from __future__ import annotations

import datetime

from .machine import load_average, machine_info


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
