"""The CI performance gate: fail when fastnn's speed-up over the numpy reference drops too far.

Usage::

    python bench/gate.py                 # run `pytest bench -m quick`, then check
    python bench/gate.py results.json    # check an existing pytest-benchmark JSON

Two checks, both against measurements of the same run:

* for every workload in :data:`bench.floors.FLOORS`, fastnn's speed-up over its numpy reference
  (the median of the per-round ratios of the ``[gate]`` test's interleaved rounds, or the ratio
  of the medians for results without rounds) must reach the floor (a missing measurement fails
  too);
* the number of Numba runtime allocations of one ``fit`` must not grow with the number of steps
  (:data:`bench.floors.ALLOCATION_CHECKS`): a training step allocates nothing.

When the gate runs the benchmarks itself, a workload that fails a speed-up check is measured a
second time and judged on that (``--no-retry`` turns this off): a busy moment fails one run, a
real regression fails both. Exit status 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.floors import ALLOCATION_CHECKS, FLOORS
from bench.report import index, load, median, ratio, run_benchmarks


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str
    workload: str = ""
    timed: bool = True  # a timing check (worth measuring again) or a count


def evaluate(results: dict, floors=None, allocation_checks=None) -> list[Check]:
    """Every gate check on a pytest-benchmark JSON (as a dict)."""
    floors = FLOORS if floors is None else floors
    allocation_checks = ALLOCATION_CHECKS if allocation_checks is None else allocation_checks
    found = index(results)
    checks = []
    for workload, floor in floors.items():
        fast = median(found.get((workload, "fastnn")))
        ref = median(found.get((workload, "reference")))
        name = f"{workload} speed-up over the reference"
        if fast is None or ref is None or fast <= 0:
            missing = [i for i, t in (("fastnn", fast), ("reference", ref)) if t is None]
            checks.append(
                Check(name, False, f"not measured ({', '.join(missing)} missing)", workload)
            )
            continue
        measured = ratio(results, workload, "reference")
        spread = f", rounds {measured.low:.1f}-{measured.high:.1f}x" if measured.rounds > 1 else ""
        checks.append(
            Check(
                name,
                measured.median >= floor,
                f"{measured.median:.1f}x (floor {floor:g}x; fastnn {fast * 1e3:.3f} ms, "
                f"reference {ref * 1e3:.3f} ms{spread})",
                workload,
            )
        )
    for workload in allocation_checks:
        name = f"{workload} allocations do not grow with steps"
        bench = found.get((workload, "fastnn"))
        counts = None if bench is None else bench["extra_info"].get("nrt_allocations")
        if not counts:
            checks.append(Check(name, False, "not measured", workload, timed=False))
            continue
        grew = counts["large"] > counts["small"]
        checks.append(
            Check(
                name,
                not grew,
                f"{counts['small']} allocations for {counts['small_steps']} steps, "
                f"{counts['large']} for {counts['large_steps']} steps",
                workload,
                timed=False,
            )
        )
    return checks


def measure(names=("W2",), rounds: int = 3) -> dict:
    """Time fastnn and the reference on workloads ``names`` in this process, without
    pytest-benchmark; the result has the shape :func:`evaluate` reads (used by the gate's tests).

    ``fastnn.MLP`` is looked up when the runner is made, so a test can swap it.
    """
    from bench import runners, workloads

    benchmarks = []
    for name in names:
        case = workloads.case(name)
        for impl in ("fastnn", "reference"):
            seconds = runners.median_time(runners.make_runner(case, impl), rounds)
            benchmarks.append(
                {"extra_info": {"workload": name, "impl": impl}, "stats": {"median": seconds}}
            )
    return {"benchmarks": benchmarks}


def report(checks: list[Check]) -> str:
    lines = [f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.detail}" for c in checks]
    failed = sum(not c.passed for c in checks)
    lines.append(
        f"performance gate: {len(checks) - failed} passed, {failed} failed"
        if failed
        else f"performance gate: all {len(checks)} checks passed"
    )
    return "\n".join(lines)


def _retry(results: dict, checks: list[Check], workdir: str) -> tuple[dict, list[Check]]:
    """Measure the workloads of failed timing checks once more; their new results replace the
    old. A noisy moment fails one run; a real regression fails both."""
    again = sorted({c.workload for c in checks if not c.passed and c.timed and c.workload})
    if not again:
        return results, checks
    print(f"performance gate: measuring {', '.join(again)} again (failed once)")
    path = os.path.join(workdir, "retry.json")
    keyword = " or ".join(f"test_{w.lower()}_" for w in again)
    code = run_benchmarks(path, quick=True, extra_args=["-k", keyword])
    if code != 0 or not os.path.exists(path):
        return results, checks
    fresh = load(path)
    kept = [
        b
        for b in results.get("benchmarks", [])
        if b.get("extra_info", {}).get("workload") not in again
    ]
    merged = dict(results, benchmarks=kept + fresh.get("benchmarks", []))
    return merged, evaluate(merged)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/gate.py", description=__doc__.split("\n")[0]
    )
    parser.add_argument("json", nargs="?", help="pytest-benchmark JSON; default: run -m quick")
    parser.add_argument("--keep", help="with no JSON: also save the quick run's JSON here")
    parser.add_argument(
        "--no-retry",
        action="store_true",
        help="with no JSON: do not measure a failed workload a second time",
    )
    args = parser.parse_args(argv)
    if args.json:
        checks = evaluate(load(args.json))
    else:
        workdir = tempfile.mkdtemp(prefix="fastnn-gate-")
        try:
            path = args.keep or os.path.join(workdir, "quick.json")
            code = run_benchmarks(path, quick=True)
            if code != 0 or not os.path.exists(path):
                print(f"performance gate: the quick benchmarks failed (pytest exit {code})")
                return 1
            results = load(path)
            checks = evaluate(results)
            if not args.no_retry and not all(c.passed for c in checks):
                print(report(checks))
                results, checks = _retry(results, checks, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report(checks))
    return 0 if all(c.passed for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
