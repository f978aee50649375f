"""``python -m fastnn demo``: the three tutorials, run by the numpy reference and by fastnn.

For each tutorial the demo runs the plain-numpy twin (:mod:`fastnn.reference.tutorials`) and the
compiled class (:mod:`fastnn.tutorials`) from the same starting weights, prints what both
computed, how long each took and the ratio, and — with matplotlib installed — draws the figures
the tutorials show into an output directory:

* ``loss_2-2-1.png`` — the 2-2-1 network's loss every 10 epochs;
* ``loss_3-4-1.png`` — the 3-4-1 network's loss per iteration;
* ``perceptron_fit.png`` — the trained perceptron's line (and the least-squares line) over the
  data;
* ``perceptron_descent.png`` — gradient descent on one point's loss parabola, for learning rates
  0.003 and 0.001.

Numba compiles the kernels on first use (and loads them from its cache afterwards); the demo
does that first and reports its time separately, so the timings compare warm code. fastnn's
times are the best of several runs, each from the same starting weights; the reference runs once.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from . import tutorials as fast
from .reference import tutorials as ref
from .reference.tutorials.neural_network import TABLE_X, TABLE_Y
from .reference.tutorials.neuron import EMILY, FRANK, GENDERS, PEOPLE

#: File names of the figures, in the order they are written.
FIGURES = ("loss_2-2-1.png", "loss_3-4-1.png", "perceptron_fit.png", "perceptron_descent.png")

#: The settings each tutorial uses.
EPOCHS_221, LEARN_RATE_221, LOSS_EVERY_221 = 1000, 0.1, 10
ITERATIONS_341 = 1500
ITERATIONS_PERCEPTRON, LEARN_RATE_PERCEPTRON, START_PERCEPTRON = 10_000, 0.001, (5.0, 10.0)
DESCENT_RATES, DESCENT_START, DESCENT_STEPS = (0.003, 0.001), (5.0, 5.0), 10


@dataclass
class Timing:
    """Seconds taken by the reference and by fastnn for the same work."""

    reference_s: float
    fastnn_s: float

    @property
    def speedup(self) -> float:
        return self.reference_s / self.fastnn_s if self.fastnn_s > 0 else float("inf")


@dataclass
class DemoResult:
    """What :func:`run_demo` computed (the printed walkthrough, as data)."""

    warmup_s: float = 0.0
    timings: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    figures: list = field(default_factory=list)


class _Printer:
    def __init__(self, stream):
        self.stream = stream

    def __call__(self, text: str = "", end: str = "\n") -> None:
        self.stream.write(text + end)
        self.stream.flush()


def _best_time(make, run, repeats: int):
    """Run ``run(make())`` ``repeats`` times; the last object, its result and the best time."""
    best = float("inf")
    for _ in range(repeats):
        obj = make()
        start = time.perf_counter()
        result = run(obj)
        best = min(best, time.perf_counter() - start)
    return obj, result, best


def _timed(say, label: str, run):
    """Print ``label``, run, then print the time on the same line (a progress line)."""
    say(f"  {label} ...", end="")
    start = time.perf_counter()
    result = run()
    elapsed = time.perf_counter() - start
    say(f" {elapsed:.3g} s")
    return result, elapsed


def _warm_up() -> float:
    """Call every compiled path the demo times once, on tiny inputs; returns the seconds taken."""
    start = time.perf_counter()
    net = fast.OurNeuralNetwork(seed=0)
    net.train(PEOPLE, GENDERS, epochs=1, loss_every=1)
    net.gradient(PEOPLE[0], GENDERS[0])
    net.feedforward(EMILY)
    fast.FixedWeightNetwork().feedforward([2, 3])
    nn = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=0)
    nn.train(1)
    nn.backprop()
    nn.loss()
    x, y = fast.load_diabetes_tail()
    p = fast.Perceptron(*START_PERCEPTRON)
    p.train(x, y, 1)
    p.loss(x[0], y[0])
    p.backpropagate(x, y)
    p.feedforward(x[0])
    return time.perf_counter() - start


def _speed(say, timing: Timing, repeats: int) -> None:
    ref_ms, fast_ms = timing.reference_s * 1e3, timing.fastnn_s * 1e3
    say(
        f"  time: reference {ref_ms:.3g} ms, fastnn {fast_ms:.3g} ms (best of {repeats}) -> "
        f"{timing.speedup:.0f}x faster"
    )


def _tutorial_221(say, result: DemoResult, seed: int, repeats: int) -> dict:
    say("== 1. A 2-2-1 network tells gender from weight and height (seeds 000/001) ==")
    fixed_ref = ref.FixedWeightNetwork().feedforward([2, 3])
    fixed_fast = fast.FixedWeightNetwork().feedforward([2, 3])
    say("  every neuron w = [0, 1], b = 0; feedforward([2, 3]):")
    say(f"    reference {float(fixed_ref)!r}   fastnn {float(fixed_fast)!r}")
    ones = [1.0] * 6 + [0.0] * 3
    g_ref = ref.OurNeuralNetwork(values=ones).gradient(PEOPLE[0], GENDERS[0])["w1"]
    g_fast = fast.OurNeuralNetwork(values=ones).gradient(PEOPLE[0], GENDERS[0])["w1"]
    say("  dL/dw1 for Alice alone, every weight 1 and every bias 0:")
    say(f"    reference {g_ref:.5f}   fastnn {g_fast:.5f}   (the tutorial, multiplying factors")
    say("    rounded to three digits, gets 0.0214)")

    start = fast.OurNeuralNetwork(seed=seed).values
    say(
        f"  training from seed {seed}: per-sample SGD, learning rate {LEARN_RATE_221}, "
        f"{EPOCHS_221} epochs, loss every {LOSS_EVERY_221}"
    )

    def train(net):
        return net.train(PEOPLE, GENDERS, LEARN_RATE_221, EPOCHS_221, LOSS_EVERY_221)

    net_ref = ref.OurNeuralNetwork(values=start)
    loss_ref, t_ref = _timed(say, "reference (plain numpy)", lambda: train(net_ref))
    net_fast, loss_fast, t_fast = _best_time(
        lambda: fast.OurNeuralNetwork(values=start), train, repeats
    )
    last = net_fast.loss_epochs[-1]
    say(
        f"    loss at epoch 0 / {last}:  reference {loss_ref[0]:.4f} / {loss_ref[-1]:.4f}   "
        f"fastnn {loss_fast[0]:.4f} / {loss_fast[-1]:.4f}"
    )
    for name, person in (("Emily (128 lb, 63 in)", EMILY), ("Frank (155 lb, 68 in)", FRANK)):
        say(
            f"    {name}: reference {net_ref.feedforward(person):.3f}   "
            f"fastnn {net_fast.feedforward(person):.3f}"
        )
    diff = float(np.max(np.abs(net_ref.values - net_fast.values)))
    say(f"    largest difference between the two sets of 9 parameters: {diff:.1e}")
    timing = Timing(t_ref, t_fast)
    _speed(say, timing, repeats)
    result.timings["2-2-1"] = timing
    result.values["2-2-1"] = {
        "fixed": (fixed_ref, fixed_fast),
        "dL_dw1": (g_ref, g_fast),
        "max_param_diff": diff,
        "emily": (net_ref.feedforward(EMILY), net_fast.feedforward(EMILY)),
        "frank": (net_ref.feedforward(FRANK), net_fast.feedforward(FRANK)),
    }
    return {"epochs": net_fast.loss_epochs, "reference": loss_ref, "fastnn": loss_fast}


def _tutorial_341(say, result: DemoResult, seed: int, repeats: int) -> dict:
    say("== 2. NeuralNetwork(x, y): 3-4-1, no biases, full-batch descent (seeds 002/003) ==")
    start = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=seed)
    w1, w2 = start.weights1.copy(), start.weights2.copy()
    say(
        f"  training from seed {seed} (weights U[0, 1)): {ITERATIONS_341} iterations of "
        f"feedforward + backprop"
    )

    def make_ref():
        return ref.NeuralNetwork(TABLE_X, TABLE_Y, weights1=w1, weights2=w2)

    net_ref = make_ref()
    loss_ref, t_ref = _timed(say, "reference (plain numpy)", lambda: net_ref.train(ITERATIONS_341))
    net_fast, loss_fast, t_fast = _best_time(
        lambda: fast.NeuralNetwork(TABLE_X, TABLE_Y, weights1=w1, weights2=w2),
        lambda nn: nn.train(ITERATIONS_341),
        repeats,
    )
    say(f"    targets                     {np.array2string(TABLE_Y.ravel(), precision=3)}")
    say(f"    predictions   reference     {np.array2string(net_ref.output.ravel(), precision=3)}")
    say(f"                  fastnn        {np.array2string(net_fast.output.ravel(), precision=3)}")
    say(
        f"    sum of squared errors, first / last iteration:\n"
        f"      reference {loss_ref[0]:.4f} / {loss_ref[-1]:.5f}   "
        f"fastnn {loss_fast[0]:.4f} / {loss_fast[-1]:.5f}"
    )
    diff = max(
        float(np.max(np.abs(net_ref.weights1 - net_fast.weights1))),
        float(np.max(np.abs(net_ref.weights2 - net_fast.weights2))),
    )
    say(f"    largest difference between the two sets of weights: {diff:.1e}")
    timing = Timing(t_ref, t_fast)
    _speed(say, timing, repeats)
    result.timings["3-4-1"] = timing
    result.values["3-4-1"] = {
        "output": (net_ref.output.ravel(), net_fast.output.ravel()),
        "max_weight_diff": diff,
    }
    return {"reference": loss_ref, "fastnn": loss_fast}


def _tutorial_perceptron(say, result: DemoResult, repeats: int) -> dict:
    say("== 3. The perceptron: linear regression learnt by gradient descent (seed 004) ==")
    x, y = fast.load_diabetes_tail()
    m_cf, b_cf = fast.closed_form_fit(x, y)
    say("  data: 20 points of scikit-learn's diabetes set (feature 2, x 100 + 10)")
    say(f"  closed-form least squares:  m = {m_cf:.4f}, b = {b_cf:.4f}")
    m0, b0 = START_PERCEPTRON
    say(f"  first point, m = {m0:g}, b = {b0:g}:")
    for name, impl in (("reference", ref), ("fastnn", fast)):
        p = impl.Perceptron(m0, b0)
        y_pred = float(np.ravel(p.feedforward(x[0]))[0])
        dm, db = p.backpropagate(x[0], y[0])
        say(
            f"    {name:<9}  y_pred {y_pred:.8f}, error {y_pred - y[0, 0]:.8f}, "
            f"loss {p.loss(x[0], y[0]):.4f},\n"
            f"               dL/dm {dm:.4f}, dL/db {db:.4f}"
        )
    say(
        f"  gradient averaged over the 20 points, and one step with learning rate "
        f"{LEARN_RATE_PERCEPTRON}:"
    )
    for name, impl in (("reference", ref), ("fastnn", fast)):
        p = impl.Perceptron(m0, b0)
        dm, db = p.backpropagate(x, y)
        p.step(x, y, LEARN_RATE_PERCEPTRON)
        say(f"    {name:<9}  dL/dm {dm:.4f}, dL/db {db:.4f} -> m {p.m:.4f}, b {p.b:.4f}")

    say(f"  training: {ITERATIONS_PERCEPTRON:,} steps, learning rate {LEARN_RATE_PERCEPTRON}")
    p_ref = ref.Perceptron(m0, b0)
    loss_ref, t_ref = _timed(
        say,
        "reference (plain numpy)",
        lambda: p_ref.train(x, y, ITERATIONS_PERCEPTRON, LEARN_RATE_PERCEPTRON),
    )
    p_fast, loss_fast, t_fast = _best_time(
        lambda: fast.Perceptron(m0, b0),
        lambda p: p.train(x, y, ITERATIONS_PERCEPTRON, LEARN_RATE_PERCEPTRON),
        repeats,
    )
    say(f"    reference  m = {p_ref.m:.4f}, b = {p_ref.b:.4f}")
    say(f"    fastnn     m = {p_fast.m:.4f}, b = {p_fast.b:.4f}")
    diff = max(abs(p_ref.m - p_fast.m), abs(p_ref.b - p_fast.b))
    say(f"    largest difference between the two (m, b): {diff:.1e}")
    timing = Timing(t_ref, t_fast)
    _speed(say, timing, repeats)
    result.timings["perceptron"] = timing
    result.values["perceptron"] = {
        "closed_form": (m_cf, b_cf),
        "trained": ((p_ref.m, p_ref.b), (p_fast.m, p_fast.b)),
    }

    paths = {}
    for rate in DESCENT_RATES:
        p = fast.Perceptron(*DESCENT_START)
        paths[rate] = p.descent_path(x[0], y[0], rate, DESCENT_STEPS)
    return {
        "x": x,
        "y": y,
        "line": (float(p_fast.m), float(p_fast.b)),
        "closed_form": (m_cf, b_cf),
        "paths": paths,
        "losses": (loss_ref, loss_fast),
    }


# --- figures -----------------------------------------------------------------------------------


def _save_png(fig, path: str) -> None:
    """Write ``fig`` to ``path`` through a temporary file in the same directory, then rename."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    directory, name = os.path.split(path)
    tmp = os.path.join(directory, f".{name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fig.savefig(fh, format="png", dpi=100)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _draw_figures(out: str, data221: dict, data341: dict, perc: dict) -> list[str]:
    from matplotlib.figure import Figure

    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, name) for name in FIGURES]

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.plot(data221["epochs"], data221["fastnn"], label="fastnn")
    ax.plot(data221["epochs"], data221["reference"], "--", label="numpy reference")
    ax.set(
        xlabel="epoch",
        ylabel="MSE over the four people",
        title="2-2-1 network: loss every 10 epochs",
    )
    ax.legend()
    _save_png(fig, paths[0])

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    iterations = np.arange(len(data341["fastnn"]))
    ax.plot(iterations, data341["fastnn"], label="fastnn")
    ax.plot(iterations, data341["reference"], "--", label="numpy reference")
    ax.set(
        xlabel="iteration",
        ylabel="sum of squared errors",
        title="NeuralNetwork (3-4-1): loss per iteration",
    )
    ax.legend()
    _save_png(fig, paths[1])

    fig = Figure(figsize=(6.4, 4.2), layout="constrained")
    ax = fig.subplots()
    ax.scatter(perc["x"].ravel(), perc["y"].ravel(), label="data")
    grid = np.linspace(0.0, 20.0, 2)
    m, b = perc["line"]
    ax.plot(grid, m * grid + b, c="red", label=f"perceptron: {m:.4f} x + {b:.4f}")
    m_cf, b_cf = perc["closed_form"]
    ax.plot(
        grid, m_cf * grid + b_cf, ":", c="black", label=f"least squares: {m_cf:.4f} x + {b_cf:.4f}"
    )
    ax.set(
        xlabel="x (body-mass index, rescaled)",
        ylabel="y (disease progression)",
        title="Perceptron fitted by gradient descent",
    )
    ax.legend()
    _save_png(fig, paths[2])

    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    axes = fig.subplots(1, 2)
    y0 = float(perc["y"][0, 0])
    for ax, (rate, (y_preds, losses)) in zip(axes, perc["paths"].items(), strict=True):
        low, high = min(y_preds.min(), y0), max(y_preds.max(), y0)
        margin = 0.1 * (high - low)
        grid = np.linspace(low - margin, high + margin, 200)
        ax.plot(grid, (grid - y0) ** 2, label="loss of the first point")
        ax.plot(y_preds, losses, "o--", c="red", label=f"learning rate {rate}")
        ax.set(
            xlabel="prediction for the first point",
            ylabel="squared error",
            title=f"learning rate {rate}",
        )
        ax.legend()
    fig.suptitle(
        f"Gradient descent on one point's loss, {DESCENT_STEPS} steps from "
        f"m = {DESCENT_START[0]:g}, b = {DESCENT_START[1]:g}"
    )
    _save_png(fig, paths[3])
    return paths


# --- the walkthrough -----------------------------------------------------------------------------


def run_demo(out="fastnn-demo", *, plots=True, seed=1, repeats=5, stream=None) -> DemoResult:
    """Run the three tutorials with the reference and with fastnn, print the comparison.

    Parameters
    ----------
    out : str or path
        Directory for the PNG figures (created if needed).
    plots : bool
        Draw the figures (needs matplotlib; skipped with a note when it is missing).
    seed : int
        Seed of the random starting weights of the two sigmoid networks.
    repeats : int
        fastnn runs per timing (the best is reported).
    stream : file-like, optional
        Where to print (default ``sys.stdout``).

    Returns
    -------
    DemoResult
    """
    say = _Printer(sys.stdout if stream is None else stream)
    result = DemoResult()
    if plots:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            plots = False
            say("matplotlib is not installed: no figures (pip install 'fastnn[plot]').")
        else:
            os.makedirs(out, exist_ok=True)  # fail now rather than after the walkthrough
    say("fastnn demo: each tutorial run by the plain-numpy reference and by fastnn's compiled")
    say("kernels, from the same starting weights.")
    say("Numba compiles the kernels on their first run (about a minute) and loads them from its")
    say("cache after that.")
    say("Numba warm-up ...", end="")
    result.warmup_s = _warm_up()
    say(f" {result.warmup_s:.2f} s, not counted in the times below")
    say()
    data221 = _tutorial_221(say, result, seed, repeats)
    say()
    data341 = _tutorial_341(say, result, seed, repeats)
    say()
    perc = _tutorial_perceptron(say, result, repeats)
    say()
    say("== Summary: fastnn's speed-up over the numpy reference (same run, warm kernels) ==")
    for name, timing in result.timings.items():
        say(
            f"  {name:<11} {timing.speedup:>8.0f}x   ({timing.reference_s * 1e3:.3g} ms -> "
            f"{timing.fastnn_s * 1e3:.3g} ms)"
        )
    say(f"  Numba warm-up (compile or cache load), once per process: {result.warmup_s:.2f} s")
    if plots:
        say(f"Drawing the figures into {os.path.abspath(out)} ...", end="")
        start = time.perf_counter()
        result.figures = _draw_figures(os.fspath(out), data221, data341, perc)
        say(f" {time.perf_counter() - start:.2f} s")
        for path in result.figures:
            say(f"  {path}")
    return result
