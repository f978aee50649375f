"""Turn a pytest-benchmark JSON of ``bench/`` into one readable table, a Markdown file and a chart.

Usage::

    python bench/report.py results.json            # print; write bench/results/latest.md + .png
    python bench/report.py results.json --markdown out.md --chart out.png
    python bench/report.py [--quick] [-- PYTEST_ARGS]   # run the benchmarks first, then report

The table has one row per workload: fastnn's median time, each other implementation's median time
with fastnn's speed-up over it (its median divided by fastnn's, both from the same run), and the
targets of ``WORKLOADS.md`` with whether each is met. The header names the machine: CPU, cores,
load, Python, numpy, numba and the BLAS libraries in use, as recorded in the JSON by
``bench/conftest.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
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
DEFAULT_MARKDOWN = BENCH_DIR / "results" / "latest.md"
DEFAULT_CHART = BENCH_DIR / "results" / "speedups.png"

PEERS = ("reference", "torch", "jax", "sklearn")
PEER_NAMES = {
    "reference": "numpy reference",
    "torch": "PyTorch eager",
    "jax": "JAX jit+scan",
    "sklearn": "scikit-learn",
}


@dataclass(frozen=True)
class Row:
    label: str
    workload: str  # the ``workload`` key in extra_info
    impl: str  # the implementation in the fastnn column
    primary: bool = True  # whether the workload's ratio targets are judged on this row


ROWS = [
    Row("W1 2-2-1 per-sample SGD", "W1", "fastnn"),
    Row("W2 3-4-1 full-batch GD", "W2", "fastnn"),
    Row("W3 1→1 perceptron", "W3", "fastnn"),
    Row("W4 64-128-64-10, batch 32", "W4", "fastnn"),
    Row("W4 in float32", "W4-f32", "fastnn"),
    Row("W5 784-1024-1024-10, batch 1024", "W5", "fastnn"),
    Row("W6 predict one row, x (1, 64)", "W6", "fastnn"),
    Row("W6 predict one row, x (64,)", "W6", "fastnn-1d", primary=False),
    Row("W7 cold start, warm cache", "W7", "warm-cache"),
    Row("W7 cold start, empty cache", "W7", "empty-cache"),
    Row("W8 digits to 97% accuracy", "W8", "fastnn"),
]


# --- reading the JSON ----------------------------------------------------------------------------


def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def index(results: dict) -> dict:
    """``{(workload, impl): benchmark}`` for every benchmark that recorded its workload."""
    found = {}
    for bench in results.get("benchmarks", []):
        info = bench.get("extra_info", {})
        if "workload" in info and "impl" in info:
            found[(info["workload"], info["impl"])] = bench
    return found


def median(bench: dict | None) -> float | None:
    return None if bench is None else float(bench["stats"]["median"])


def fastnn_seconds(row: Row, bench: dict | None) -> float | None:
    """The number a row's fastnn column shows: W7 uses the child's import-to-fit time."""
    if bench is None:
        return None
    if row.workload == "W7":
        return bench["extra_info"].get("median_total_s")
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


def fmt_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "—"
    if ratio >= 100:
        return f"{ratio:,.0f}×"
    if ratio >= 10:
        return f"{ratio:.1f}×"
    return f"{ratio:.2f}×"


SHORT = {"reference": "ref", "torch": "PyTorch", "jax": "JAX", "sklearn": "sklearn"}


def _mark(met: bool | None) -> str:
    return {True: "✅", False: "❌", None: "·"}[met]


# --- targets -------------------------------------------------------------------------------------


def evaluate_targets(row: Row, found: dict) -> list[tuple[str, bool | None]]:
    """``[(description with the measured value, met?)]`` for the targets that apply to ``row``."""
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
            peer = found.get((row.workload, target["peer"]))
            ratio = None if peer is None or not t_fast else median(peer) / t_fast
            shown = "not run" if ratio is None else fmt_ratio(ratio)
            text = f"≥ {value:g}× {SHORT[target['peer']]} ({shown})"
            out.append((text, None if ratio is None else ratio >= value))
        elif kind == "seconds":
            if target["impl"] != row.impl:
                continue
            text = f"≤ {fmt_time(value)} ({'not run' if t_fast is None else fmt_time(t_fast)})"
            out.append((text, None if t_fast is None else t_fast <= value))
        elif kind == "gemm_fraction":
            frac = gemm_fraction(found)
            shown = "not run" if frac is None else f"{100 * frac:.0f}%"
            text = f"≥ {100 * value:.0f}% of GEMM rate ({shown})"
            out.append((text, None if frac is None else frac >= value))
        elif kind == "accuracy":
            if target["impl"] != row.impl:
                continue
            acc = None if fast is None else fast["extra_info"].get("accuracy")
            shown = "not run" if acc is None else f"{100 * acc:.1f}%"
            out.append(
                (f"≥ {100 * value:.0f}% accuracy ({shown})", None if acc is None else acc >= value)
            )
    return out


def gemm_fraction(found: dict) -> float | None:
    """fastnn's W5 FLOP rate divided by the GEMM rate measured in the same run."""
    fast, gemm = found.get(("W5", "fastnn")), found.get(("W5", "gemm"))
    if fast is None or gemm is None:
        return None
    return (fast["extra_info"]["flops"] / median(fast)) / (
        gemm["extra_info"]["flops"] / median(gemm)
    )


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
    if info.get("env"):
        lines.append("Environment: " + ", ".join(f"{k}={v}" for k, v in info["env"].items()))
    commit = results.get("commit_info", {})
    if commit.get("id"):
        lines.append(
            f"Commit {commit['id'][:10]}"
            + (" (with uncommitted changes)" if commit.get("dirty") else "")
        )
    return lines


def table(results: dict) -> tuple[list[str], list[list[str]], list[tuple[str, bool | None]]]:
    """Column names, rows of cells, and every evaluated target."""
    found = index(results)
    columns = ["Workload", "fastnn", *(PEER_NAMES[p] for p in PEERS), "Targets (WORKLOADS.md)"]
    rows, verdicts = [], []
    for row in ROWS:
        fast = found.get((row.workload, row.impl))
        t_fast = fastnn_seconds(row, fast)
        peers_here = [p for p in PEERS if (row.workload, p) in found]
        if fast is None and not peers_here:
            continue
        cells = [row.label, fmt_time(t_fast)]
        for peer in PEERS:
            t_peer = median(found.get((row.workload, peer)))
            if t_peer is None:
                cells.append("—")
            elif t_fast:
                cells.append(f"{fmt_time(t_peer)} ({fmt_ratio(t_peer / t_fast)})")
            else:
                cells.append(fmt_time(t_peer))
        targets = evaluate_targets(row, found)
        verdicts.extend(targets)
        cells.append("; ".join(f"{_mark(met)} {text}" for text, met in targets) or "no target")
        rows.append(cells)
    return columns, rows, verdicts


def detail_lines(results: dict) -> list[str]:
    """Compile times, W5's FLOP rate, W7, W8, memory, and notes on how peers were run."""
    found = index(results)
    lines = []
    first = [
        f"{w} {impl}: {fmt_time(b['extra_info']['first_call_s'])}"
        for (w, impl), b in sorted(found.items())
        if "first_call_s" in b["extra_info"] and impl in ("fastnn", "jax", "fastnn-1d")
    ]
    if first:
        lines.append(
            "First call, untimed (fastnn: Numba cache load, or compile when the cache is cold; "
            "JAX: XLA compile): " + "; ".join(first)
        )
    gemm, w5 = found.get(("W5", "gemm")), found.get(("W5", "fastnn"))
    if gemm is not None:
        rate = gemm["extra_info"]["flops"] / median(gemm)
        text = f"W5: float64 GEMM (2048×2048) ran at {rate / 1e9:.1f} GFLOP/s"
        if w5 is not None:
            w5_rate = w5["extra_info"]["flops"] / median(w5)
            text += (
                f"; fastnn's W5 training at {w5_rate / 1e9:.1f} GFLOP/s "
                f"({100 * w5_rate / rate:.0f}% of it; counting 2 FLOPs per multiply-add of the "
                "forward product, the weight gradient and the delta passed down)"
            )
        lines.append(text)
    for cache in ("warm-cache", "empty-cache"):
        b = found.get(("W7", cache))
        if b is not None:
            e = b["extra_info"]
            lines.append(
                f"W7 {cache.replace('-', ' ')}: whole process {fmt_time(median(b))}; inside it "
                f"import fastnn {fmt_time(e.get('median_import_s'))}, build "
                f"{fmt_time(e.get('median_build_s'))}, fit {fmt_time(e.get('median_fit_s'))}"
                + (f"; filling the cache took {fmt_time(e['fill_s'])}" if "fill_s" in e else "")
            )
    for impl in ("fastnn", "reference", "sklearn"):
        b = found.get(("W8", impl))
        if b is not None:
            e = b["extra_info"]
            acc = e.get("accuracy")
            lines.append(
                f"W8 {impl}: {e.get('epochs')} epochs, test accuracy "
                f"{'—' if acc is None else f'{100 * acc:.1f}%'}"
            )
    for (w, impl), b in sorted(found.items()):
        e = b["extra_info"]
        if isinstance(e.get("nrt_allocations"), dict):
            a = e["nrt_allocations"]
            lines.append(
                f"{w} fastnn: Numba runtime allocations per fit: {a['small']} for "
                f"{a['small_steps']} steps, {a['large']} for {a['large_steps']} steps"
            )
        if e.get("notes"):
            lines.append(f"{w} {impl}: {e['notes']}")
        if impl == "torch" and e.get("threads"):
            lines.append(f"{w} PyTorch: {e['threads']} intra-op thread(s)")
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
        "Times are medians of several rounds; in brackets, fastnn's speed-up over that "
        "implementation (its median ÷ fastnn's, from the same run)."
    )
    parts.append(fmt(columns, rows) if rows else "(no workload results in this file)")
    parts.append(
        f"Targets met: {met} of the {measured} measured ({len(verdicts)} in all; "
        "✅ met, ❌ not met, · not run)."
    )
    details = detail_lines(results)
    if details:
        parts.append("\n".join(f"- {d}" for d in details))
    mcols, mrows = memory_table(results)
    if mrows:
        parts.append(("### Memory\n\n" if markdown else "Memory\n") + fmt(mcols, mrows))
    return "\n\n".join(parts) + "\n"


def chart(results: dict, path) -> bool:
    """A horizontal bar chart of fastnn's speed-ups (log scale); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    found = index(results)
    labels, bars = [], []
    for row in ROWS:
        t_fast = fastnn_seconds(row, found.get((row.workload, row.impl)))
        if not t_fast or row.workload == "W7":
            continue
        ratios = {
            p: median(found[(row.workload, p)]) / t_fast
            for p in PEERS
            if (row.workload, p) in found
        }
        if ratios:
            labels.append(row.label)
            bars.append(ratios)
    if not bars:
        return False
    colors = {"reference": "#4c72b0", "torch": "#dd8452", "jax": "#55a868", "sklearn": "#c44e52"}
    height = 0.8 / len(PEERS)
    fig, ax = plt.subplots(figsize=(9, 0.9 * len(labels) + 1.5))
    labelled = set()
    for i, (row_label, ratios) in enumerate(zip(labels, bars, strict=True)):
        row = next(r for r in ROWS if r.label == row_label)
        present = [p for p in PEERS if p in ratios]
        for j, peer in enumerate(present):
            y = i + (j - (len(present) - 1) / 2) * height
            ax.barh(
                y,
                ratios[peer],
                height=height * 0.9,
                color=colors[peer],
                label=None if peer in labelled else PEER_NAMES[peer],
            )
            labelled.add(peer)
            ax.annotate(
                fmt_ratio(ratios[peer]),
                (ratios[peer], y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
            for target in TARGETS:
                if (
                    target["kind"] == "ratio"
                    and row.primary
                    and target["workload"] == row.workload
                    and target["peer"] == peer
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
    ax.set_xlabel("fastnn's speed-up (other's median time ÷ fastnn's; black ticks: targets)")
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


def run_benchmarks(json_path, quick: bool = False, extra_args=()) -> int:
    """Run ``pytest bench --benchmark-only`` writing ``json_path``; pytest's exit code."""
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
    cmd += list(extra_args)
    return subprocess.call(cmd, cwd=ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python bench/report.py",
        description="Report fastnn's benchmark results (pytest-benchmark JSON) against the "
        "targets of WORKLOADS.md. Without a JSON, run the benchmarks first; arguments after "
        "-- go to pytest (e.g. -- -k W4).",
    )
    parser.add_argument(
        "json", nargs="?", help="pytest-benchmark JSON (--benchmark-json); default: run them"
    )
    parser.add_argument("--run", action="store_true", help="run the benchmarks (the default)")
    parser.add_argument("--quick", action="store_true", help="run only `-m quick` (< 2 min)")
    parser.add_argument("--markdown", default=str(DEFAULT_MARKDOWN), help="Markdown output path")
    parser.add_argument("--chart", default=str(DEFAULT_CHART), help="PNG chart output path")
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
        code = run_benchmarks(path, args.quick, args.pytest_args)
        if code != 0 or not os.path.exists(path):
            print(f"benchmarks failed (pytest exit code {code})", file=sys.stderr)
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
