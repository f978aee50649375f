"""Turn a pytest-benchmark JSON of ``bench/`` into one readable table, a Markdown file and a chart.

Usage::

    python bench/report.py results.json            # print; write ./fastnn-bench/latest.md + .png
    python bench/report.py results.json --markdown out.md --chart out.png
    python bench/report.py [--quick] [-- PYTEST_ARGS]   # run the benchmarks first, then report
    python bench/report.py --output bench/results  # ... and update the checkout's tracked report

Run this way (``python -m fastnn bench`` is the same), the benchmarks show one line per
workload on stderr as they run (``bench/progress.py``), pytest's own output goes to
``pytest.log`` in the output directory, and the report files — ``latest.md``, ``speedups.png``
and the raw ``latest.json`` — are written to ``--output`` (default ``./fastnn-bench/``, under
the current directory): the tracked ``bench/results/`` is written only when asked for.

The table has one row per workload: fastnn's median time, then the baseline a user would
otherwise run (the tutorial's loop for W1–W3, vectorised numpy for W4–W6, ``import numpy`` or
scikit-learn for W7–W8) and the peers (hand-written Numba, JAX, PyTorch, scikit-learn), and
fastnn's numpy reference twin. Each shows its median time and fastnn's speed-up over it: the
median, over interleaved rounds, of that round's ratio of times, with the lowest and highest
round's ratio (see ``bench/WORKLOADS.md``). Last come the targets of ``bench/WORKLOADS.md`` and
whether each is met. A second table gives the FLOP rates of the larger workloads as a share of
one core's measured GEMM peak. The header names the machine: CPU, cores, load, Python, numpy,
numba and the BLAS libraries in use, as recorded in the JSON by ``bench/conftest.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.workloads import TARGETS

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
#: The checkout's tracked report (written only with ``--output bench/results``).
RESULTS_DIR = BENCH_DIR / "results"
#: Where reports go by default: relative to the current directory, outside the tracked tree.
DEFAULT_OUTPUT = "fastnn-bench"
MARKDOWN_NAME = "latest.md"
CHART_NAME = "speedups.png"

#: the table's comparison columns after the baseline, in order
PEERS = ("numba", "jax", "torch", "sklearn", "reference")
PEER_NAMES = {
    "baseline": "baseline (what a user would run)",
    "tutorial": "tutorial code",
    "numpy": "vectorised numpy",
    "import-numpy": "python -c 'import numpy'",
    "numba": "hand-written Numba",
    "torch": "PyTorch eager",
    "jax": "JAX jit+scan",
    "sklearn": "scikit-learn",
    "reference": "numpy reference",
    "fastnn-shuffled": "fastnn, shuffled",
}
SHORT = {
    "tutorial": "tutorial",
    "numpy": "numpy",
    "import-numpy": "import numpy",
    "numba": "Numba",
    "torch": "PyTorch",
    "jax": "JAX",
    "sklearn": "sklearn",
    "reference": "ref",
    "fastnn-shuffled": "shuffled",
}


@dataclass(frozen=True)
class Row:
    label: str
    workload: str  # the ``workload`` key in extra_info
    impl: str = "fastnn"  # the implementation in the fastnn column
    baseline: str | None = None  # the implementation in the baseline column
    primary: bool = True  # whether the workload's ratio targets are judged on this row


ROWS = [
    Row("W1 2-2-1 per-sample SGD", "W1", baseline="tutorial"),
    Row("W2 3-4-1 full-batch GD", "W2", baseline="tutorial"),
    Row("W3 1→1 perceptron", "W3", baseline="tutorial"),
    Row("W4 64-128-64-10, batch 32", "W4", baseline="numpy"),
    Row("W4 in float32", "W4-f32", baseline="numpy"),
    Row("W4 shape 48-96-48-8", "W4-48-96-48-8", baseline="numpy"),
    Row("W4 shape 50-100-50-5", "W4-50-100-50-5", baseline="numpy"),
    Row("W4 shape 32-64-32-4", "W4-32-64-32-4", baseline="numpy"),
    Row("W5 784-1024-1024-10, batch 1024", "W5", baseline="numpy"),
    Row("W6 predict one row, x (1, 64)", "W6", baseline="numpy"),
    Row("W6 predict one row, x (64,)", "W6", "fastnn-1d", baseline="numpy", primary=False),
    Row("W6 float32, x (1, 64)", "W6-f32", baseline="numpy"),
    Row("W6 float32, x (64,)", "W6-f32", "fastnn-1d", baseline="numpy", primary=False),
    Row("W6 predict 1,000 rows", "W6-1000", baseline="numpy"),
    Row("W7 new process, warm cache", "W7", baseline="import-numpy"),
    Row("W7 new process, empty cache", "W7-fresh"),
    Row("W7 digits script end to end", "W7-digits", baseline="sklearn"),
    Row("W8 digits, 200 epochs", "W8", baseline="sklearn"),
    Row("W8 digits to 97% accuracy", "W8-to-97"),
    Row("W10a Ctrl-C latency, W1 network", "W10a"),
    Row("W10b Ctrl-C latency, W4 network", "W10b"),
    Row("W10c Ctrl-C latency, 784-1024-1024-10", "W10c"),
]

#: rows of the FLOP-rate table: the workloads whose time is mostly matrix products
RATE_WORKLOADS = (
    "W4",
    "W4-f32",
    "W4-48-96-48-8",
    "W4-50-100-50-5",
    "W4-32-64-32-4",
    "W5",
    "W6-1000",
)
RATE_IMPLS = ("fastnn", "numpy", "jax", "torch", "reference")


# --- reading the JSON ----------------------------------------------------------------------------


def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def records(results: dict) -> list[dict]:
    """Every interleaved comparison in the JSON: ``workload``, ``impls``, ``times``, … plus the
    benchmark's other ``extra_info`` under ``info``."""
    out = []
    for bench in results.get("benchmarks", []):
        info = bench.get("extra_info", {})
        rec = info.get("interleaved")
        if rec and rec.get("times"):
            out.append(dict(rec, workload=info["workload"], info=info, name=bench.get("name")))
    return out


def _pseudo(rec: dict, impl: str) -> dict:
    info = {k: v for k, v in rec["info"].items() if k != "interleaved"}
    info.update(impl=impl, workload=rec["workload"])
    for key in ("first_call_s", "notes", "threads", "reps", "calls", "checks", "versions"):
        if impl in rec.get(key, {}):
            info[key if key != "versions" else "peer_version"] = rec[key][impl]
    times = rec["times"][impl]
    return {
        "stats": {"median": statistics.median(times), "min": min(times), "max": max(times)},
        "extra_info": info,
        "rounds": times,
    }


def index(results: dict) -> dict:
    """``{(workload, impl): benchmark}``: each benchmark that recorded one implementation, and
    each implementation of each interleaved comparison (as a benchmark-like dict whose median
    is that of its rounds). Where two comparisons time the same implementation (a ``[gate]`` and
    a ``[peers]`` test), the one with more implementations wins."""
    found, width = {}, {}
    for bench in results.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "workload" in info and "impl" in info and "interleaved" not in info:
            found[(info["workload"], info["impl"])] = bench
            width[(info["workload"], info["impl"])] = 0
    for rec in records(results):
        for impl in rec["times"]:
            key = (rec["workload"], impl)
            if len(rec["times"]) >= width.get(key, -1):
                found[key] = _pseudo(rec, impl)
                width[key] = len(rec["times"])
    return found


def median(bench: dict | None) -> float | None:
    return None if bench is None else float(bench["stats"]["median"])


@dataclass(frozen=True)
class Ratio:
    """``other``'s time ÷ ``base``'s: the median over rounds, the lowest and highest round."""

    median: float
    low: float
    high: float
    rounds: int  # 0: a ratio of medians from separate measurements (no range)


def ratio(results: dict, workload: str, other: str, base: str = "fastnn") -> Ratio | None:
    """``other``'s time over ``base``'s on ``workload``, round by round where the two were timed
    in the same interleaved rounds (the comparison with most rounds), else of their medians."""
    best = None
    for rec in records(results):
        if rec["workload"] != workload or other not in rec["times"] or base not in rec["times"]:
            continue
        pairs = list(zip(rec["times"][other], rec["times"][base], strict=False))
        if pairs and (best is None or len(pairs) > len(best)):
            best = pairs
    if best:
        values = [a / b for a, b in best if b > 0]
        if values:
            return Ratio(statistics.median(values), min(values), max(values), len(values))
    found = index(results)
    t_other, t_base = median(found.get((workload, other))), median(found.get((workload, base)))
    if t_other is None or not t_base:
        return None
    value = t_other / t_base
    return Ratio(value, value, value, 0)


def difference(results: dict, workload: str, other: str, base: str = "fastnn"):
    """Median over interleaved rounds of ``base``'s time minus ``other``'s (None if not run)."""
    for rec in records(results):
        if rec["workload"] == workload and other in rec["times"] and base in rec["times"]:
            pairs = zip(rec["times"][base], rec["times"][other], strict=False)
            return statistics.median(a - b for a, b in pairs)
    found = index(results)
    t_base, t_other = median(found.get((workload, base))), median(found.get((workload, other)))
    return None if t_base is None or t_other is None else t_base - t_other


def fastnn_seconds(row: Row, bench: dict | None) -> float | None:
    """The number a row's fastnn column shows."""
    return median(bench)


# --- formatting --------------------------------------------------------------------------------


def fmt_time(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if seconds >= scale:
            value = seconds / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{seconds / 1e-9:.2g} ns"


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def fmt_ratio(value: float | Ratio | None, with_range: bool = False) -> str:
    if value is None:
        return "—"
    if isinstance(value, Ratio):
        text = f"{_num(value.median)}×"
        if with_range and value.rounds > 1:
            text += f", {_num(value.low)}–{_num(value.high)}"
        return text
    return f"{_num(value)}×"


def _mark(met: bool | None) -> str:
    return {True: "✅", False: "❌", None: "·"}[met]


# --- GEMM peaks and FLOP rates -----------------------------------------------------------------


def gemm_rates(results: dict) -> dict:
    """``{impl: (GFLOP/s, library)}`` of the GEMM measurements (``gemm-float64-1`` …), the
    faster library for each."""
    rates = {}
    for bench in results.get("benchmarks", []):
        e = bench.get("extra_info", {})
        if e.get("workload") != "GEMM":
            continue
        rate = e["flops"] / float(bench["stats"]["median"]) / 1e9
        if rate > rates.get(e["impl"], (0.0, ""))[0]:
            blas = (e.get("blas") or [{}])[0]
            kernel = " ".join(
                str(blas[k]) for k in ("internal_api", "version", "architecture") if blas.get(k)
            )
            library = e.get("library", "numpy") + (f", {kernel}" if kernel else "")
            rates[e["impl"]] = (rate, library)
    return rates


def one_core_peak(results: dict, dtype: str) -> float | None:
    """One core's measured GEMM rate in ``dtype`` (GFLOP/s), None if not measured."""
    got = gemm_rates(results).get(f"gemm-{dtype}-1")
    return None if got is None else got[0]


def flop_rate(results: dict, workload: str, impl: str) -> float | None:
    """GFLOP/s of ``impl`` on ``workload`` (its FLOP count ÷ its median time)."""
    bench = index(results).get((workload, impl))
    if bench is None or not bench["extra_info"].get("flops"):
        return None
    return bench["extra_info"]["flops"] / median(bench) / 1e9


def gemm_fraction(results: dict, workload: str = "W5", gemm: str = "gemm-float64-all"):
    """fastnn's FLOP rate on ``workload`` divided by the ``gemm`` rate of the same run."""
    rate, peak = flop_rate(results, workload, "fastnn"), gemm_rates(results).get(gemm)
    return None if rate is None or peak is None else rate / peak[0]


# --- targets -------------------------------------------------------------------------------------


def evaluate_targets(row: Row, results: dict) -> list[tuple[str, bool | None]]:
    """``[(description with the measured value, met?)]`` for the targets that apply to ``row``."""
    found = index(results)
    fast = found.get((row.workload, row.impl))
    t_fast = fastnn_seconds(row, fast)
    out = []
    for target in TARGETS:
        if target["workload"] != row.workload:
            continue
        kind, value = target["kind"], target["value"]
        if kind == "ratio":
            if not row.primary:
                continue
            r = ratio(results, row.workload, target["peer"], row.impl)
            shown = "not run" if r is None else fmt_ratio(r)
            text = f"≥ {value:g}× {SHORT[target['peer']]} ({shown})"
            out.append((text, None if r is None else r.median >= value))
        elif kind == "overhead":
            if not row.primary:
                continue
            r = ratio(results, row.workload, target["impl"], row.impl)
            shown = "not run" if r is None else f"{100 * (r.median - 1):+.0f}%"
            text = f"{SHORT[target['impl']]} ≤ {100 * (value - 1):+.0f}% ({shown})"
            out.append((text, None if r is None else r.median <= value))
        elif kind == "seconds":
            if target["impl"] != row.impl:
                continue
            text = f"≤ {fmt_time(value)} ({'not run' if t_fast is None else fmt_time(t_fast)})"
            out.append((text, None if t_fast is None else t_fast <= value))
        elif kind == "above":
            if not row.primary:
                continue
            d = difference(results, row.workload, target["peer"], row.impl)
            shown = "not run" if d is None else f"{'+' if d >= 0 else '−'}{fmt_time(abs(d))}"
            text = f"≤ {fmt_time(value)} above {SHORT[target['peer']]} ({shown})"
            out.append((text, None if d is None else d <= value))
        elif kind == "gemm_fraction":
            frac = gemm_fraction(results, row.workload, target["gemm"])
            shown = "not run" if frac is None else f"{100 * frac:.0f}%"
            text = f"≥ {100 * value:.0f}% of the all-core GEMM rate ({shown})"
            out.append((text, None if frac is None else frac >= value))
        elif kind == "accuracy":
            if target["impl"] != row.impl:
                continue
            acc = None if fast is None else fast["extra_info"].get("accuracy", {})
            if isinstance(acc, dict):
                acc = acc.get(row.impl)
            shown = "not run" if acc is None else f"{100 * acc:.1f}%"
            out.append(
                (f"≥ {100 * value:.0f}% accuracy ({shown})", None if acc is None else acc >= value)
            )
    return out


# --- the report ----------------------------------------------------------------------------------


def header_lines(results: dict) -> list[str]:
    machine = results.get("machine_info", {})
    info = machine.get("fastnn_bench", {})
    run = results.get("fastnn_bench", {})
    versions = info.get("versions", {})
    lines = [
        f"Measured {results.get('datetime', '?')[:19].replace('T', ' ')} UTC"
        + (f" (benchmarks selected by `-m {run['markexpr']}`)" if run.get("markexpr") else ""),
        f"CPU: {info.get('cpu') or machine.get('cpu', {}).get('brand_raw', '?')}, "
        f"{info.get('usable_cores', '?')} usable cores ({info.get('logical_cores', '?')} logical)",
    ]
    load_start, load_end = run.get("load_average_start"), run.get("load_average_end")
    if load_start or load_end:
        lines.append(
            f"Load average (1, 5, 15 min): {load_start} at the start, {load_end} at the end"
            + (
                " — a busy machine: absolute times are inflated, ratios less so"
                if load_start
                and info.get("usable_cores")
                and load_start[0] > 0.5 * info["usable_cores"]
                else ""
            )
        )
    lines.append(
        f"Python {info.get('python', machine.get('python_version', '?'))}, "
        + ", ".join(
            f"{name} {versions[name]}"
            for name in ("numpy", "numba", "scipy", "fastnn")
            if versions.get(name)
        )
    )
    peers = [
        f"{name} {versions[name]}"
        for name in ("torch", "jax", "scikit-learn")
        if versions.get(name)
    ]
    lines.append("Peers installed: " + (", ".join(peers) if peers else "none"))
    for blas in info.get("blas", []):
        lines.append(
            f"BLAS ({blas.get('used_by') or blas.get('library')}): {blas.get('internal_api')} "
            f"{blas.get('version')}, kernel {blas.get('architecture')}, "
            f"{blas.get('num_threads')} threads"
        )
    rates = gemm_rates(results)
    peaks = [
        f"{dtype} {rates[key][0]:.1f} GFLOP/s (BLAS of {rates[key][1]})"
        for dtype in ("float64", "float32")
        if (key := f"gemm-{dtype}-1") in rates
    ]
    if peaks:
        lines.append(
            "One core's measured GEMM peak (2048×2048, BLAS held to one thread): "
            + ", ".join(peaks)
        )
    if "gemm-float64-all" in rates:
        rate, lib = rates["gemm-float64-all"]
        lines.append(f"All cores' float64 GEMM rate: {rate:.1f} GFLOP/s (BLAS of {lib})")
    if info.get("env"):
        lines.append("Environment: " + ", ".join(f"{k}={v}" for k, v in info["env"].items()))
    commit = results.get("commit_info", {})
    if commit.get("id"):
        lines.append(
            f"Commit {commit['id'][:10]}"
            + (" (with uncommitted changes)" if commit.get("dirty") else "")
        )
    return lines


def _cell(results, found, row, impl, t_fast) -> str:
    t_other = median(found.get((row.workload, impl)))
    if t_other is None:
        return "—"
    if not t_fast:
        return fmt_time(t_other)
    r = ratio(results, row.workload, impl, row.impl)
    return f"{fmt_time(t_other)} ({fmt_ratio(r, with_range=True)})"


def table(results: dict) -> tuple[list[str], list[list[str]], list[tuple[str, bool | None]]]:
    """Column names, rows of cells, and every evaluated target."""
    found = index(results)
    columns = [
        "Workload",
        "fastnn",
        PEER_NAMES["baseline"],
        *(PEER_NAMES[p] for p in PEERS),
        "Targets (bench/WORKLOADS.md)",
    ]
    rows, verdicts = [], []
    for row in ROWS:
        fast = found.get((row.workload, row.impl))
        t_fast = fastnn_seconds(row, fast)
        others = [p for p in (row.baseline, *PEERS) if p and (row.workload, p) in found]
        if fast is None and not others:
            continue
        cells = [row.label, fmt_time(t_fast)]
        if row.baseline and (row.workload, row.baseline) in found:
            cells.append(
                f"{SHORT[row.baseline]}: {_cell(results, found, row, row.baseline, t_fast)}"
            )
        else:
            cells.append("—")
        for peer in PEERS:
            cells.append(
                "(baseline)"
                if peer == row.baseline and (row.workload, peer) in found
                else _cell(results, found, row, peer, t_fast)
            )
        targets = evaluate_targets(row, results)
        verdicts.extend(targets)
        cells.append("; ".join(f"{_mark(met)} {text}" for text, met in targets) or "no target")
        rows.append(cells)
    return columns, rows, verdicts


def rate_table(results: dict) -> tuple[list[str], list[list[str]]]:
    """GFLOP/s per workload and implementation, with the share of one core's GEMM peak."""
    found = index(results)
    columns = ["Workload", "dtype", *(PEER_NAMES.get(i, i) for i in RATE_IMPLS)]
    rows = []
    for workload in RATE_WORKLOADS:
        fast = found.get((workload, "fastnn"))
        if fast is None:
            continue
        dtype = fast["extra_info"].get("dtype", "float64")
        peak = one_core_peak(results, dtype)
        cells = [workload, dtype]
        for impl in RATE_IMPLS:
            rate = flop_rate(results, workload, impl)
            if rate is None:
                cells.append("—")
            elif peak:
                cells.append(f"{rate:.1f} GFLOP/s ({100 * rate / peak:.0f}%)")
            else:
                cells.append(f"{rate:.1f} GFLOP/s")
        rows.append(cells)
    return columns, rows


def _checks_line(results: dict) -> str | None:
    worst, histories, outputs = 0.0, 0, 0
    compared = set()
    for rec in records(results):
        for impl, check in rec.get("checks", {}).items():
            if "max_rel_diff_vs_fastnn" in check and check["max_rel_diff_vs_fastnn"] is not None:
                worst = max(worst, check["max_rel_diff_vs_fastnn"])
                compared.add((rec["workload"], impl))
            histories += bool(check.get("loss_history_matches"))
            outputs += bool(check.get("output_matches_reference"))
    if not compared and not outputs:
        return None
    return (
        f"Same work, checked before timing: {len(compared)} (workload, implementation) pairs "
        f"ended training with fastnn's parameters (largest difference {worst:.1e} of the largest "
        "parameter; tolerance 1e-7 in float64, 1e-4 in float32); "
        f"{histories} loss histories matched fastnn's; {outputs} predict outputs matched the "
        "reference's"
    )


def detail_lines(results: dict) -> list[str]:
    """Compile times, rounds, notes on how baselines and peers were run, W7, W8, checks."""
    found = index(results)
    lines = []
    first = [
        f"{w} {impl}: {fmt_time(b['extra_info']['first_call_s'])}"
        for (w, impl), b in sorted(found.items())
        if "first_call_s" in b["extra_info"] and impl in ("fastnn", "jax", "numba", "fastnn-1d")
    ]
    if first:
        lines.append(
            "First call, untimed (fastnn: Numba cache load, or compile when the cache is cold; "
            "JAX: XLA compile; Numba peer: compile): " + "; ".join(first)
        )
    recs = records(results)
    if recs:
        counts = sorted({len(next(iter(r["times"].values()))) for r in recs})
        span = str(counts[0]) if len(counts) == 1 else f"{counts[0]}–{counts[-1]}"
        lines.append(
            f"Ratios are medians of per-round ratios over interleaved rounds ({span} rounds per "
            "comparison), with the lowest and highest round's; an implementation quicker than "
            "25 ms ran several times in a row within each round and counts the median of those"
        )
    line = _checks_line(results)
    if line:
        lines.append(line)
    shuffled = ratio(results, "W1", "fastnn-shuffled")
    if shuffled is not None:
        lines.append(
            f"W1 with fit's default shuffling: {fmt_time(median(found[('W1', 'fastnn-shuffled')]))}"
            f", {100 * (shuffled.median - 1):+.0f}% against shuffle=False "
            f"(rounds {100 * (shuffled.low - 1):+.0f}% to {100 * (shuffled.high - 1):+.0f}%)"
        )
    rates = gemm_rates(results)
    if "gemm-float64-all" in rates and flop_rate(results, "W5", "fastnn"):
        w5 = flop_rate(results, "W5", "fastnn")
        lines.append(
            f"W5: fastnn trains at {w5:.1f} GFLOP/s, "
            f"{100 * w5 / rates['gemm-float64-all'][0]:.0f}% of the all-core float64 GEMM rate "
            "(counting 2 FLOPs per multiply-add of the forward product, the weight gradient and "
            "the delta passed down)"
        )
    for rec in recs:
        for impl, reason in rec.get("missing", {}).items():
            lines.append(f"{rec['workload']} {impl}: not run ({reason})")
    for (w, impl), b in sorted(found.items()):
        e = b["extra_info"]
        if isinstance(e.get("nrt_allocations"), dict) and impl == "fastnn":
            a = e["nrt_allocations"]
            lines.append(
                f"{w} fastnn: Numba runtime allocations per fit: {a['small']} for "
                f"{a['small_steps']} steps, {a['large']} for {a['large_steps']} steps"
            )
        if e.get("notes"):
            lines.append(f"{w} {impl}: {e['notes']}")
        if impl == "torch" and e.get("threads"):
            lines.append(f"{w} PyTorch: {e['threads']} intra-op thread(s)")
    for workload in ("W7", "W7-fresh", "W7-digits"):
        rec = next((r for r in recs if r["workload"] == workload), None)
        if rec is not None and rec["info"].get("children"):
            for impl, child in rec["info"]["children"].items():
                parts = ", ".join(f"{k.removesuffix('_s')} {fmt_time(v)}" for k, v in child.items())
                lines.append(f"{workload} {impl}, inside the process (medians): {parts}")
        if rec is not None and rec["info"].get("fill_s"):
            lines.append(f"{workload}: filling the cache took {fmt_time(rec['info']['fill_s'])}")
        if rec is not None and rec["info"].get("bytecode_off"):
            lines.append(
                f"{workload}: PYTHONDONTWRITEBYTECODE is set and no bytecode was written before, "
                "so each new process compiled fastnn's modules from source (a user's installed "
                "copy imports from bytecode)"
            )
    for bench in results.get("benchmarks", []):
        e = bench.get("extra_info", {})
        if e.get("workload") == "W9a" and "train_many_s" in e:
            text = (
                f"W9a: train_many {fmt_time(e['train_many_s'])} for {e['n_models']} models on "
                f"{e['n_jobs']} thread(s), 64 sequential fits {fmt_time(e['sequential_s'])}: "
                f"{e['ratio']:.2f}× (target {e['target_ratio']:g}×)"
            )
            if "jax_ratio" in e:
                text += (
                    f"; JAX vmap+jit+scan {fmt_time(e['jax_vmap_s'])}, so train_many is "
                    f"{e['jax_ratio']:.2f}× JAX's speed (target {e['jax_target_ratio']:g}×)"
                )
            elif e.get("jax_missing"):
                text += f"; JAX vmap not run ({e['jax_missing']})"
            lines.append(text)
    ceiling = ratio(results, "W7-digits", "sklearn", base="shared")
    if ceiling is not None:
        lines.append(
            f"W7-digits: the part both scripts share (start, scikit-learn's imports, load, split) "
            f"takes {fmt_time(median(found.get(('W7-digits', 'shared'))))}; with an instant import "
            f"and fit, fastnn's script could be at most {ceiling.median:.2f}× faster than "
            f"scikit-learn's (rounds {ceiling.low:.2f}–{ceiling.high:.2f}×)"
        )
    for workload in ("W8", "W8-to-97"):
        rec = next((r for r in recs if r["workload"] == workload), None)
        if rec is None:
            continue
        acc, epochs = rec["info"].get("accuracy", {}), rec["info"].get("epochs", {})
        lines.append(
            f"{workload}: "
            + "; ".join(
                f"{impl} {epochs.get(impl, '?')} epochs, test accuracy {100 * a:.1f}%"
                for impl, a in acc.items()
            )
        )
    if any(impl == "jax" for (_, impl) in found):
        lines.append(
            "JAX: one intra-op thread (XLA_FLAGS as in bench/runners.py): XLA's idle threads spin "
            "and would take the core from the implementation timed next"
        )
    one_thread = sorted({w for (w, _), b in found.items() if b["extra_info"].get("blas_threads")})
    if one_thread:
        lines.append(
            f"BLAS limited to one thread (every implementation) for {', '.join(one_thread)}: "
            "their products are small, and idle OpenBLAS threads spinning after an earlier call "
            "would otherwise share the core with the one being timed"
        )
    return lines


def memory_table(results: dict) -> tuple[list[str], list[list[str]]]:
    columns = [
        "Workload",
        "Implementation",
        "peak RSS during fit",
        "tracemalloc peak",
        "Numba allocations",
        "steps",
        "data",
    ]
    rows = []
    for bench in results.get("benchmarks", []):
        e = bench.get("extra_info", {})
        if not str(e.get("impl", "")).startswith("memory-"):
            continue
        rows.append(
            [
                e["workload"],
                e["impl"].removeprefix("memory-"),
                f"{e['rss_peak_mib']:.1f} MiB",
                f"{e['tracemalloc_peak_mib']:.1f} MiB",
                str(e["nrt_allocations"]),
                str(e["steps"]),
                f"{e['data_mib']:.1f} MiB",
            ]
        )
    rows.sort()
    return columns, rows


def markdown_table(columns, rows) -> str:
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(cell.replace("|", "\\|") for cell in r) + " |" for r in rows]
    return "\n".join(out)


def text_table(columns, rows) -> str:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
    out = [line, "-" * len(line)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def render(results: dict, markdown: bool) -> str:
    columns, rows, verdicts = table(results)
    met = sum(1 for _, ok in verdicts if ok)
    measured = sum(1 for _, ok in verdicts if ok is not None)
    fmt = markdown_table if markdown else text_table
    parts = []
    head = header_lines(results)
    parts.append("\n".join(f"- {h}" for h in head) if markdown else "\n".join(head))
    parts.append(
        "Times are medians of interleaved rounds; in brackets, fastnn's speed-up over that "
        "implementation: the median of the rounds' ratios (its time ÷ fastnn's in the same "
        "round), then the lowest and highest round's ratio."
    )
    parts.append(fmt(columns, rows) if rows else "(no workload results in this file)")
    parts.append(
        f"Targets met: {met} of the {measured} measured ({len(verdicts)} in all; "
        "✅ met, ❌ not met, · not run)."
    )
    details = detail_lines(results)
    if details:
        parts.append("\n".join(f"- {d}" for d in details))
    rcols, rrows = rate_table(results)
    if rrows:
        title = "FLOP rates (in brackets: % of one core's measured GEMM peak, same dtype)"
        parts.append((f"### {title}\n\n" if markdown else f"{title}\n") + fmt(rcols, rrows))
    mcols, mrows = memory_table(results)
    if mrows:
        parts.append(("### Memory\n\n" if markdown else "Memory\n") + fmt(mcols, mrows))
    return "\n\n".join(parts) + "\n"


CHART_IMPLS = ("baseline", *PEERS)
CHART_COLORS = {
    "baseline": "#8c8c8c",
    "numba": "#8172b3",
    "jax": "#55a868",
    "torch": "#dd8452",
    "sklearn": "#c44e52",
    "reference": "#4c72b0",
}


def chart(results: dict, path) -> bool:
    """A horizontal bar chart of fastnn's speed-ups (log scale); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    found = index(results)
    labels, bars, rows = [], [], []
    for row in ROWS:
        if not fastnn_seconds(row, found.get((row.workload, row.impl))) or row.workload == "W7":
            continue  # W7 (warm) is judged on a difference of times, not a ratio
        ratios = {}
        for key in CHART_IMPLS:
            impl = row.baseline if key == "baseline" else key
            if key != "baseline" and impl == row.baseline:
                continue  # shown as the baseline
            r = ratio(results, row.workload, impl, row.impl) if impl else None
            if r is not None:
                ratios[key] = r.median
        if ratios:
            labels.append(row.label)
            bars.append(ratios)
            rows.append(row)
    if not bars:
        return False
    height = 0.8 / len(CHART_IMPLS)
    fig, ax = plt.subplots(figsize=(9, 0.9 * len(labels) + 1.5))
    labelled = set()
    for i, (row, ratios) in enumerate(zip(rows, bars, strict=True)):
        present = [p for p in CHART_IMPLS if p in ratios]
        for j, key in enumerate(present):
            y = i + (j - (len(present) - 1) / 2) * height
            ax.barh(
                y,
                ratios[key],
                height=height * 0.9,
                color=CHART_COLORS[key],
                label=None if key in labelled else PEER_NAMES[key],
            )
            labelled.add(key)
            ax.annotate(
                fmt_ratio(ratios[key]),
                (ratios[key], y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
            impl = row.baseline if key == "baseline" else key
            for target in TARGETS:
                if (
                    target["kind"] == "ratio"
                    and row.primary
                    and target["workload"] == row.workload
                    and target["peer"] == impl
                ):
                    ax.plot([target["value"]] * 2, [y - height / 2, y + height / 2], "k-", lw=2)
    ax.set_xscale("log")
    every = [r for b in bars for r in b.values()] + [
        t["value"] for t in TARGETS if t["kind"] == "ratio"
    ]
    ax.set_xlim(min(0.5, min(every) / 2), max(every) * 4)
    ax.axvline(1.0, color="grey", lw=1)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels)
    ax.invert_yaxis()
    ax.set_xlabel(
        "fastnn's speed-up (median per-round ratio of times, log scale; black ticks: targets)"
    )
    machine = results.get("machine_info", {}).get("fastnn_bench", {})
    ax.set_title(
        f"fastnn speed-ups, {results.get('datetime', '')[:10]}, {machine.get('cpu', '')}, "
        f"{machine.get('usable_cores', '?')} cores",
        fontsize=9,
    )
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    os.replace(tmp, path)
    return True


def write_atomic(path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


# --- running the benchmarks --------------------------------------------------------------------


def run_benchmarks(json_path, quick: bool = False, extra_args=(), log=None) -> int:
    """Run ``pytest bench --benchmark-only`` writing ``json_path``; pytest's exit code.

    With ``log`` (a path), pytest's output (stdout) goes to that file and one line per benchmark
    goes to stderr as it runs (the ``bench.progress`` plugin); without it, pytest prints as
    usual.
    """
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(BENCH_DIR),
        "--benchmark-only",
        f"--benchmark-json={json_path}",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    if quick:
        cmd += ["-m", "quick"]
    if log is None:
        return subprocess.call([*cmd, *extra_args], cwd=ROOT)
    cmd += ["-p", "bench.progress", *extra_args]
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.call(cmd, cwd=ROOT, stdout=out)  # stderr: the progress lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/report.py",
        description="Report fastnn's benchmark results (pytest-benchmark JSON) against the "
        "targets of bench/WORKLOADS.md. Without a JSON, run the benchmarks first; arguments after "
        "-- go to pytest (e.g. -- -k W4).",
    )
    parser.add_argument(
        "json", nargs="?", help="pytest-benchmark JSON (--benchmark-json); default: run them"
    )
    parser.add_argument("--run", action="store_true", help="run the benchmarks (the default)")
    parser.add_argument("--quick", action="store_true", help="run only `-m quick` (< 2 min)")
    parser.add_argument(
        "--output",
        "-o",
        metavar="DIR",
        default=DEFAULT_OUTPUT,
        help=f"directory for {MARKDOWN_NAME}, {CHART_NAME}, latest.json and pytest.log "
        f"(default: ./{DEFAULT_OUTPUT}; give bench/results to update the checkout's report)",
    )
    parser.add_argument("--markdown", help=f"Markdown output path (default: DIR/{MARKDOWN_NAME})")
    parser.add_argument("--chart", help=f"PNG chart output path (default: DIR/{CHART_NAME})")
    parser.add_argument("--no-files", action="store_true", help="print only; write nothing")
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = []
    if "--" in argv:  # everything after -- goes to pytest
        cut = argv.index("--")
        argv, pytest_args = argv[:cut], argv[cut + 1 :]
    args = parser.parse_args(argv)
    args.pytest_args = pytest_args
    if args.json and (args.run or args.quick or args.pytest_args):
        parser.error("give a results JSON or run the benchmarks, not both")
    args.run = not args.json
    output = Path(args.output)
    args.markdown = args.markdown or str(output / MARKDOWN_NAME)
    args.chart = args.chart or str(output / CHART_NAME)
    # pytest's log goes beside the report, but not into the tracked bench/results/
    tracked = output.resolve() == RESULTS_DIR.resolve()
    args.log = None if args.no_files or tracked else output / "pytest.log"
    tmpdir = tempfile.mkdtemp(prefix="fastnn-bench-") if args.run else None
    try:
        return _report(args, tmpdir)
    finally:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _report(args, tmpdir) -> int:
    path = args.json
    if tmpdir:
        path = os.path.join(tmpdir, "results.json")
        log = args.log
        if log is None:  # --no-files or bench/results: the log goes with the temporary results
            log = Path(tmpdir) / "pytest.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        code = run_benchmarks(path, args.quick, args.pytest_args, log=log)
        if code != 0 or not os.path.exists(path):
            tail = log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
            print("\n".join(tail), file=sys.stderr)
            where = f"; pytest's output is in {log}" if args.log is not None else ""
            print(f"benchmarks failed (pytest exit code {code}){where}", file=sys.stderr)
            return code or 1
    try:
        results = load(path)
    except (OSError, ValueError) as error:
        print(f"cannot read the benchmark results {path}: {error}", file=sys.stderr)
        return 2
    print(render(results, markdown=False))
    if not args.no_files:
        write_atomic(args.markdown, "## fastnn benchmarks\n\n" + render(results, markdown=True))
        print(f"wrote {args.markdown}")
        if chart(results, args.chart):
            print(f"wrote {args.chart}")
        else:
            print("no chart (matplotlib not installed, or no ratios)")
        if tmpdir:  # keep the raw results beside the table
            kept = Path(args.markdown).with_suffix(".json")
            write_atomic(kept, Path(path).read_text(encoding="utf-8"))
            print(f"wrote {kept}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
