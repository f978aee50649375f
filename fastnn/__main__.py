"""fastnn's command line: ``python -m fastnn COMMAND`` (or the ``fastnn`` script).

Commands
--------
demo
    Walk through the three tutorials with the numpy reference and with fastnn, print results,
    times and speed-ups, and draw the tutorials' figures (see :mod:`fastnn.demo`).
bench
    The benchmark report (not available in every build; see :func:`_run_bench`).
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


def _run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark report. Not wired up in this build: says so and fails."""
    print(
        "fastnn bench: the benchmark report is not available in this build of fastnn.",
        file=sys.stderr,
    )
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fastnn",
        description="fastnn: small dense neural networks trained by compiled Numba kernels.",
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

    bench = commands.add_parser("bench", help="benchmark report (if available in this build)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    bench.set_defaults(handler=_run_bench)
    return parser


def main(argv=None) -> int:
    """Entry point of ``python -m fastnn`` and the ``fastnn`` script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    return args.handler(args)


if __name__ == "__main__":
    sys.exit(main())
