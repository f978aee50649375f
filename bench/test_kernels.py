"""Kernel micro-benchmarks: each private Numba kernel against its numpy reference twin.

One group per kernel module, named after it (``kernels.activations``, ``kernels.losses``,
``kernels.schedules``, ``kernels.regularization``, ``kernels.dense``, ``kernels.predict``,
``kernels.objective``, ``kernels.train``; see "Where each kernel is" in ``bench/WORKLOADS.md``).
Each test times one implementation (``impl`` = ``kernel`` or ``reference``) of one case on a
moderate size (mostly the W4 network, 64-128-64-8, on a block of 256 rows), after checking that
both implementations give the same result. The kernels are called directly, as the compiled
model calls them, so the times include the call from Python but no argument checking; the first
call (compilation or cache load) is made before timing. Not marked ``quick``: these are for
looking at one kernel, not part of the CI gate or of the workload report's table. BLAS runs on
one thread, as for W4 (``bench/conftest.py``).
"""

from __future__ import annotations

import numpy as np
import pytest

import fastnn.reference
from fastnn._names import Activation, Loss, Schedule
from fastnn.engine import TrainConfig
from fastnn.kernels._jit import ROW_BLOCK
from fastnn.kernels.activations import _activate
from fastnn.kernels.dense import _act_offsets, _backward, _forward, _widest
from fastnn.kernels.losses import _loss_rows
from fastnn.kernels.objective import _loss, _loss_and_gradient
from fastnn.kernels.predict import _layer_outputs, _predict
from fastnn.kernels.regularization import _add_l2_call, _clip_by_global_norm
from fastnn.kernels.schedules import _learning_rate
from fastnn.kernels.train import _train_epochs
from fastnn.reference import activations as ref_activations
from fastnn.reference import losses as ref_losses
from fastnn.reference.regularization import clip_by_global_norm
from fastnn.reference.schedules import learning_rate_at

from .harness import rounds

IMPLS = pytest.mark.parametrize("impl", ["kernel", "reference"])
#: the W4 network (bench/workloads.py; sigmoid, mse), and the rows of one kernel block
SIZES = (64, 128, 64, 8)
ROWS = ROW_BLOCK
#: timed rounds, before --bench-rounds-factor
ROUNDS = 15


@pytest.fixture(autouse=True)
def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    # (not recorded as ``blas_threads``: the report's note on that is about the workloads)
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _model(sizes=SIZES, acts="sigmoid", loss="mse", seed=0):
    return fastnn.reference.MLP(sizes, acts, loss, seed=seed)


def _as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


def _run(benchmark, request, group, case, impl, fns, iterations=1, setup=None, rtol=1e-9):
    """Check that ``fns["kernel"]`` and ``fns["reference"]`` agree, then time ``fns[impl]``.

    Each function returns its result (an array, a number or a tuple of them). With ``setup``
    (called before every run: it resets what a run changes in place) each round is one run.
    """
    results = {}
    for name, fn in fns.items():  # also the first call: compilation or cache load
        if setup is not None:
            setup()
        result = fn()
        # copies: the two may return the same buffer
        results[name] = [np.array(r, dtype=np.float64) for r in _as_tuple(result)]
    for g, w in zip(results["kernel"], results["reference"], strict=True):
        scale = max(float(np.max(np.abs(w))), 1e-300)
        np.testing.assert_allclose(g, w, rtol=0, atol=rtol * scale, err_msg=f"{group}:{case}")
    benchmark.extra_info.update(workload=f"{group}:{case}", impl=impl, kernel_module=group)
    fn = fns[impl]
    if setup is None:
        benchmark.pedantic(
            fn, rounds=rounds(request, ROUNDS), iterations=iterations, warmup_rounds=1
        )
    else:
        benchmark.pedantic(
            fn, setup=setup, rounds=rounds(request, ROUNDS * iterations), warmup_rounds=1
        )


# --- kernels.activations --------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.activations")
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softmax"])
@IMPLS
def test_activate(benchmark, request, impl, name):
    """``_activate`` on a block of 256 rows × 64 units, against ``ACTIVATIONS[name][0]``."""
    z = np.random.default_rng(0).standard_normal((ROWS, 64)) * 3.0
    flat = z.ravel().copy()
    buf = np.empty_like(flat)
    code = int(Activation[name.upper()])
    f = ref_activations.ACTIVATIONS[name][0]

    def kernel():
        np.copyto(buf, flat)
        _activate(code, 0.0, buf, 0, buf.size, 64)
        return buf.reshape(z.shape)

    fns = {"kernel": kernel, "reference": lambda: f(z, 0.0)}
    _run(benchmark, request, "kernels.activations", name, impl, fns, iterations=10)


# --- kernels.losses -------------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.losses")
@pytest.mark.parametrize(
    ("loss", "out"),
    [("mse", "identity"), ("huber", "tanh"), ("categorical_crossentropy", "softmax")],
)
@IMPLS
def test_loss_rows(benchmark, request, impl, loss, out):
    """Loss and output delta of 256 rows × 8 outputs with sample weights."""
    rng = np.random.default_rng(1)
    n = SIZES[-1]
    Z = rng.standard_normal((ROWS, n)) * 2.0
    P = ref_activations.ACTIVATIONS[out][0](Z, 0.0)
    Y = np.eye(n)[rng.integers(0, n, ROWS)] if out == "softmax" else rng.standard_normal((ROWS, n))
    sw = rng.random(ROWS)
    param = 1.0 if loss == "huber" else 0.0
    scale = 1.0 / ref_losses.loss_norm(loss, sw.sum(), n)
    D = np.empty((1, ROWS * n))
    codes = int(Loss[loss.upper()]), int(Activation[out.upper()])
    P_flat, Z_flat = P.ravel().copy(), Z.ravel().copy()

    def kernel():
        total = _loss_rows(
            codes[0], param, codes[1], 0.0, P_flat, 0, Z_flat, Y, sw, ROWS, n, D, scale
        )
        return total, D[0].reshape(ROWS, n)

    def reference():
        values, slopes = ref_losses.row_losses_and_gradients(loss, param, out, 0.0, Y, P, Z)
        return (sw * values).sum(), scale * sw[:, None] * slopes

    fns = {"kernel": kernel, "reference": reference}
    _run(benchmark, request, "kernels.losses", loss, impl, fns, iterations=20)


# --- kernels.schedules ----------------------------------------------------------------------------

#: epochs per timed run: one call is far below the timer's resolution
EPOCHS = 200


@pytest.mark.benchmark(group="kernels.schedules")
@pytest.mark.parametrize("schedule", ["constant", "invscaling", "step", "cosine"])
@IMPLS
def test_learning_rate(benchmark, request, impl, schedule):
    """The learning rate of 200 epochs, one call per epoch."""
    config = TrainConfig(schedule=schedule, step_size=7, schedule_epochs=150, min_lr=1e-4)
    code = int(Schedule[schedule.upper()])
    c = config

    args = (c.learning_rate, c.power, c.gamma, c.step_size, c.min_lr, c.schedule_epochs)

    def kernel():
        return np.array([_learning_rate(code, *args, e, 32 * e) for e in range(EPOCHS)])

    def reference():
        return np.array([learning_rate_at(config, e, 32 * e) for e in range(EPOCHS)])

    fns = {"kernel": kernel, "reference": reference}
    _run(benchmark, request, "kernels.schedules", schedule, impl, fns, iterations=5, rtol=1e-12)


# --- kernels.regularization -----------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.regularization")
@pytest.mark.parametrize("case", ["l2", "clip"])
@IMPLS
def test_regularization(benchmark, request, impl, case):
    """L2 penalty and its gradient, or global-norm clipping, on the W4 network's θ (17k values)."""
    model = _model()
    g0 = np.random.default_rng(2).standard_normal(model.params.size)
    grad = np.empty_like(g0)

    def reset():
        np.copyto(grad, g0)

    if case == "l2":
        kernel = lambda: (_add_l2_call(model.params, model._net, grad, 0.01), grad)  # noqa: E731
        reference = lambda: (model._add_l2(grad, 0.01), grad)  # noqa: E731
    else:
        kernel = lambda: (_clip_by_global_norm(grad, 1.0), grad)[1]  # noqa: E731
        reference = lambda: (clip_by_global_norm(grad, 1.0), grad)[1]  # noqa: E731

    fns = {"kernel": kernel, "reference": reference}
    _run(benchmark, request, "kernels.regularization", case, impl, fns, iterations=5, setup=reset)


# --- kernels.dense --------------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.dense")
@pytest.mark.parametrize("case", ["forward", "backward"])
@IMPLS
def test_dense(benchmark, request, impl, case):
    """Forward pass, or backward pass from a given output delta, over a block of 256 rows."""
    model = _model()
    rng = np.random.default_rng(3)
    X = rng.standard_normal((ROWS, SIZES[0]))
    delta = rng.standard_normal((ROWS, SIZES[-1])) / ROWS
    net, netf, theta = model._net, model._netf, model.params
    offsets, total = _act_offsets(net, ROWS)
    acts = np.empty(total)
    acts[: X.size] = X.ravel()
    zout = np.empty(ROWS * SIZES[-1])
    deltas = np.zeros((2, ROWS * _widest(net)))
    grad = np.empty_like(theta)
    grad_ref = np.empty_like(theta)
    L = len(SIZES) - 1
    outputs, _ = model._forward(X)
    _forward(theta, net, netf, acts, offsets, zout, ROWS)  # the layer outputs backward reads

    def forward_kernel():
        _forward(theta, net, netf, acts, offsets, zout, ROWS)
        return acts[offsets[L] :].reshape(ROWS, SIZES[-1])

    def backward_kernel():
        deltas[0, : delta.size] = delta.ravel()
        _backward(theta, net, netf, acts, offsets, ROWS, deltas, grad)
        return grad

    def backward_reference():
        model._backward(outputs, delta, grad_ref)
        return grad_ref

    if case == "forward":
        fns = {"kernel": forward_kernel, "reference": lambda: model._forward(X)[0][-1]}
    else:
        fns = {"kernel": backward_kernel, "reference": backward_reference}
    _run(benchmark, request, "kernels.dense", case, impl, fns, iterations=10)


# --- kernels.predict ------------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.predict")
@pytest.mark.parametrize("case", ["predict", "layer_outputs"])
@IMPLS
def test_predict(benchmark, request, impl, case):
    """The outputs (or every layer's outputs) of the W4 network for 1,000 rows."""
    model = _model()
    X = np.random.default_rng(4).standard_normal((1000, SIZES[0]))
    width = SIZES[-1] if case == "predict" else sum(SIZES[1:])
    out = np.empty((X.shape[0], width))
    kernel_fn = _predict if case == "predict" else _layer_outputs

    def kernel():
        kernel_fn(model.params, model._net, model._netf, X, out)
        return out

    def reference():
        outputs, _ = model._forward(X)
        return outputs[-1] if case == "predict" else np.hstack(outputs[1:])

    fns = {"kernel": kernel, "reference": reference}
    _run(benchmark, request, "kernels.predict", case, impl, fns, iterations=5)


# --- kernels.objective ----------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.objective")
@pytest.mark.parametrize("case", ["loss", "loss_and_gradient"])
@IMPLS
def test_objective(benchmark, request, impl, case):
    """The mse loss (and its gradient) of the W4 network on 1,000 rows, in blocks of 256."""
    model = _model()
    rng = np.random.default_rng(5)
    X = rng.standard_normal((1000, SIZES[0]))
    Y = rng.standard_normal((1000, SIZES[-1]))
    sw = np.empty(0)
    grad = np.empty_like(model.params)
    grad_ref = np.empty_like(model.params)
    args = (model.params, model._net, model._netf, X, Y, sw, 1.0)

    if case == "loss":
        fns = {
            "kernel": lambda: _loss(*args),
            "reference": lambda: model._loss_value(X, Y, sw, 1.0),
        }
    else:
        fns = {
            "kernel": lambda: (_loss_and_gradient(*args, grad), grad),
            "reference": lambda: (model._loss_gradient(X, Y, sw, 1.0, grad_ref), grad_ref),
        }
    _run(benchmark, request, "kernels.objective", case, impl, fns, iterations=5)


# --- kernels.train --------------------------------------------------------------------------------


@pytest.mark.benchmark(group="kernels.train")
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@IMPLS
def test_train_epoch(benchmark, request, impl, optimizer):
    """One shuffled epoch over 1,024 rows in batches of 32 (32 steps) of a 16-32-16-4 network:
    ``_train_epochs`` against the reference ``MLP._train_chunk``."""
    sizes = (16, 32, 16, 4)
    model = _model(sizes, seed=6)
    rng = np.random.default_rng(6)
    n = 1024
    X = rng.standard_normal((n, sizes[0]))
    Y = np.tanh(X @ rng.standard_normal((sizes[0], sizes[-1])))
    sw = np.empty(0)
    perms = np.ascontiguousarray(rng.permuted(np.tile(np.arange(n), (1, 1)), axis=1))
    kw = dict(momentum=0.9) if optimizer == "sgd" else {}
    config = TrainConfig(optimizer=optimizer, learning_rate=0.01, batch_size=32, **kw)
    hp, ic = config.pack()
    theta0 = model.params.copy()
    theta = model.params  # the model's own storage: the reference trains it in place
    state = np.zeros((2, theta.size))
    counters = np.zeros(2, dtype=np.int64)
    es = np.array([np.inf, -1.0, 0.0])
    hist = np.full(1, np.nan)
    no_val = np.empty((0, sizes[0])), np.empty((0, sizes[-1])), np.empty(0)
    val_hist, full_hist, best_theta = np.full(1, np.nan), np.empty(0), np.empty(0)

    def reset():
        theta[:] = theta0
        state[:] = 0.0
        counters[:] = 0
        hist[:] = np.nan

    def kernel():
        _train_epochs(
            theta, model._net, model._netf, X, Y, sw, perms, 0, 1, hp, ic, state, counters, es,
            best_theta, hist, *no_val, val_hist, full_hist,
        )  # fmt: skip
        return theta.copy(), hist[0]

    def reference():
        model._train_chunk(
            X, Y, sw, perms, 0, 1, config, state, counters, es, best_theta, hist, *no_val,
            val_hist, full_hist,
        )  # fmt: skip
        return theta.copy(), hist[0]

    fns = {"kernel": kernel, "reference": reference}
    _run(benchmark, request, "kernels.train", optimizer, impl, fns, iterations=1, setup=reset)
