"""fastnn's command line: ``python -m fastnn COMMAND`` (or the ``fastnn`` script).

Commands
--------
demo
    Walk through the three tutorials with the numpy reference and with fastnn, print results,
    times and speed-ups, and draw the tutorials' figures (see :mod:`fastnn.demo`).
warmup
    Compile every kernel ahead of first use (nothing to do when the install carries precompiled
    kernels), and say which kernels this install uses.
bench
    Run the benchmarks (``bench/`` of a source checkout), showing each workload as it runs, and
    print the report; arguments are those of ``bench/report.py`` (``--quick`` for the CI subset,
    ``--output DIR`` for the report files, default ``./fastnn-bench/``; ``--`` then pytest
    options).

``python -m fastnn --version`` prints the version.
"""

from __future__ import annotations

import argparse
import sys


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _nonnegative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    try:
        run_demo(args.out, plots=not args.no_plots, seed=args.seed, repeats=args.repeats)
    except OSError as error:
        print(f"fastnn demo: could not write the figures to {args.out!r}: {error}", file=sys.stderr)
        return 1
    return 0


def _run_warmup(args: argparse.Namespace) -> int:
    from ._warmup import warmup
    from .kernels import _aot

    info = _aot.status()
    if info["kernels"] == "aot":
        print(f"fastnn: precompiled kernels in use ({info['module']}, CPU {info['cpu']})")
    else:
        print(f"fastnn: JIT kernels in use ({info['reason']})")
    seconds = warmup(args.dtype, jit=True if args.jit else None)
    print(f"fastnn: warm-up of {', '.join(args.dtype)} took {seconds:.1f} s")
    return 0


def _run_bench(args: argparse.Namespace) -> int:
    """Run the benchmarks of a source checkout's ``bench/`` folder and print the report."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    if not (root / "bench" / "report.py").is_file():
        print(
            "fastnn bench: the benchmarks live in the bench/ folder of a source checkout of "
            "fastnn (git clone, then pip install -e '.[test]'), which this installation lacks",
            file=sys.stderr,
        )
        return 1
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    from bench.report import main as report_main

    return report_main(list(args.bench_args))


def build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="fastnn",
        description="fastnn: small dense neural networks trained by compiled Numba kernels.",
    )
    parser.add_argument(
        "--version", action="version", version=f"fastnn {__version__}", help="print the version"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="run the three tutorials with the numpy reference and with fastnn",
        description=(
            "Run the three tutorials fastnn grew from — the 2-2-1 network, NeuralNetwork(x, y) "
            "and the perceptron — with the plain-numpy reference and with fastnn's compiled "
            "kernels; print both results, both times and the speed-up, and (with matplotlib) "
            "write the tutorials' figures as PNG files."
        ),
    )
    demo.add_argument(
        "--out",
        default="fastnn-demo",
        metavar="DIR",
        help="directory for the PNG figures (default: fastnn-demo)",
    )
    demo.add_argument("--no-plots", action="store_true", help="do not draw the figures")
    demo.add_argument(
        "--seed",
        type=_nonnegative_int,
        default=1,
        help="seed of the random starting weights (default: 1)",
    )
    demo.add_argument(
        "--repeats",
        type=_positive_int,
        default=5,
        help="fastnn runs per timing; the best is reported (default: 5)",
    )
    demo.set_defaults(handler=_run_demo)

    warm = commands.add_parser(
        "warmup",
        help="compile every kernel ahead of first use (JIT installs), report which are used",
        description=(
            "Compile every kernel ahead of first use, so that no later process waits for Numba. "
            "Nothing is compiled when the install carries precompiled kernels (built by pip "
            "install with a C compiler), unless --jit is given."
        ),
    )
    warm.add_argument(
        "--dtype",
        nargs="+",
        choices=["float64", "float32"],
        default=["float64", "float32"],
        help="dtypes to compile for (default: both)",
    )
    warm.add_argument(
        "--jit",
        action="store_true",
        help="compile the JIT kernels even when precompiled ones are in use",
    )
    warm.set_defaults(handler=_run_warmup)

    bench = commands.add_parser(
        "bench",
        help="run the benchmarks and print the report (source checkout only)",
        add_help=False,  # --help goes on to bench/report.py
    )
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    bench.set_defaults(handler=_run_bench)
    return parser


def main(argv=None) -> int:
    """Entry point of ``python -m fastnn`` and the ``fastnn`` script; returns the exit status."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["bench"]:  # everything after `bench` belongs to bench/report.py
        return _run_bench(argparse.Namespace(command="bench", bench_args=argv[1:]))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
