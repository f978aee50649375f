"""Dense-layer kernels (``fastnn.kernels.dense``) against the forward and backward passes of the
numpy twin (``fastnn.reference.MLP._forward`` and ``MLP._backward``).

``_forward`` runs over a block of rows already in the ``acts`` workspace and must leave every
layer's output there and the output logits in ``zout``; ``_forward_loops`` (the all-loops copy
the training loop inlines) must give the same, and so must ``_forward_row`` (one row, for
``predict``), bit for bit equal to the per-sample loop's ``_forward_one_row``. ``_backward``
turns an output delta into the gradient of θ. The networks cover each layer step: loops
along a row, loops down the rows (an output of one or two units over several rows), BLAS
products (over :data:`fastnn.kernels._jit.BLAS_MIN_WORK` multiply-adds), width-1 layers, one
row, no biases, and a workspace sized for more rows than the block holds. Every hidden
activation is used, and softmax as an output. Arrays are float64 with one layout each, so each
kernel compiles once.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ACTIVATIONS, assert_close

import fastnn.reference
from fastnn.kernels._jit import BLAS_MIN_WORK
from fastnn.kernels.dense import (
    _act_offsets,
    _backward,
    _forward,
    _forward_loops,
    _forward_one_row,
    _forward_row,
    _needs_calls,
    _uses_blas,
    _widest,
)

#: (layer sizes, rows in the block, rows the workspace is allocated for)
SHAPES = {
    "tiny-one-row": ((2, 2, 1), 1, 1),
    "width-1": ((1, 1, 1, 1), 5, 8),
    "narrow-output": ((3, 4, 2), 9, 9),  # n_out <= 2 with more rows: loops down the rows
    "one-layer": ((5, 3), 4, 4),
    "blas": ((20, 64, 48, 3), 40, 50),  # 40·20·64 multiply-adds: BLAS
    "wide-one-row": ((64, 128, 8), 1, 1),  # BLAS for 64·128 on one row
}


def model_for(sizes, hidden, out=None, bias=True, seed=0):
    acts = [hidden] * (len(sizes) - 2) + [out or hidden]
    loss = "categorical_crossentropy" if out == "softmax" else "mse"
    model = fastnn.reference.MLP(sizes, acts, loss, seed=seed, bias=bias, init="normal")
    if bias:  # biases away from zero, so that a dropped bias is seen
        for b in model._biases:
            b += 0.3
    return model


def forward(kernel, model, X, cap):
    """``kernel`` over the rows of ``X``; the workspace, its offsets and the logits."""
    net, netf = model._net, model._netf
    offsets, total = _act_offsets(net, cap)
    acts = np.full(total, np.nan)  # whatever the kernel should write starts as NaN
    acts[: X.size] = X.ravel()
    zout = np.full(cap * model.layer_sizes[-1], np.nan)
    kernel(model.params, net, netf, acts, offsets, zout, X.shape[0])
    return acts, offsets, zout


def layer_block(acts, offsets, k, rows, width):
    return acts[offsets[k] : offsets[k] + rows * width].reshape(rows, width)


def check_forward(kernel, model, X, cap):
    outputs, z = model._forward(X)
    acts, offsets, zout = forward(kernel, model, X, cap)
    rows = X.shape[0]
    for k, ref in enumerate(outputs):
        comp = layer_block(acts, offsets, k, rows, model.layer_sizes[k])
        assert_close(comp, ref, rtol=1e-10, what=f"layer {k}")
    assert_close(zout[: z.size].reshape(z.shape), z, rtol=1e-10, what="logits")


KERNELS = pytest.mark.parametrize("kernel", [_forward, _forward_loops], ids=["forward", "loops"])


@KERNELS
@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_forward_matches_reference(shape, hidden, kernel, rng):
    sizes, rows, cap = SHAPES[shape]
    model = model_for(sizes, hidden)
    check_forward(kernel, model, rng.standard_normal((rows, sizes[0])), cap)


@KERNELS
@pytest.mark.parametrize("shape", ["narrow-output", "blas", "tiny-one-row"])
def test_forward_without_biases(shape, kernel, rng):
    sizes, rows, cap = SHAPES[shape]
    model = model_for(sizes, "tanh", bias=False)
    check_forward(kernel, model, rng.standard_normal((rows, sizes[0])), cap)


@KERNELS
@pytest.mark.parametrize("rows", [1, 3, 60])
def test_forward_softmax_output(rows, kernel, rng):
    model = model_for((6, 16, 4), "relu", out="softmax")
    check_forward(kernel, model, rng.standard_normal((rows, 6)) * 3.0, rows)


@KERNELS
def test_forward_large_inputs(kernel, rng):
    """Inputs of size 1e3: pre-activations in the hundreds, saturating every activation."""
    for hidden in ACTIVATIONS:
        model = model_for((4, 5, 3), hidden)
        with np.errstate(over="ignore"):
            check_forward(kernel, model, rng.standard_normal((6, 4)) * 1e3, 6)


@KERNELS
def test_forward_nan_stays_in_its_row(kernel, rng):
    model = model_for((3, 4, 2), "tanh")
    X = rng.standard_normal((5, 3))
    X[2, 1] = np.nan
    acts, offsets, _ = forward(kernel, model, X, 5)
    out = layer_block(acts, offsets, 2, 5, 2)
    assert np.isnan(out[2]).all()
    keep = [0, 1, 3, 4]
    assert_close(out[keep], model._forward(X[keep])[0][-1], rtol=1e-10)


#: one-row networks for ``_forward_row``: input counts that are and are not multiples of four
#: (its loop takes four inputs at a time, then the rest one by one), wide and narrow outputs
ONE_ROW_SHAPES = [(2, 2, 1), (3, 4, 2), (5, 7, 3), (64, 128, 8), (9, 33, 1), (4, 4), (1, 6, 1)]


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("sizes", ONE_ROW_SHAPES, ids=str)
def test_forward_row_matches_reference_and_the_per_sample_loop(sizes, hidden, rng):
    for bias in (True, False):
        model = model_for(sizes, hidden, bias=bias)
        X = rng.standard_normal((1, sizes[0]))
        check_forward(_forward_row, model, X, 1)
        acts, _, zout = forward(_forward_row, model, X, 1)
        acts_sgd, _, zout_sgd = forward(_forward_one_row, model, X, 1)
        assert np.array_equal(acts, acts_sgd) and np.array_equal(zout, zout_sgd)


@pytest.mark.parametrize("out", ["softmax", "sigmoid"])
def test_forward_row_output_layers(out, rng):
    model = model_for((6, 16, 4), "relu", out=out)
    check_forward(_forward_row, model, rng.standard_normal((1, 6)) * 3.0, 1)


def test_the_shapes_reach_both_kinds_of_step():
    """The shapes above exercise the loop and the BLAS layer steps (and the out-of-line calls)."""
    blas = model_for(SHAPES["blas"][0], "tanh")
    tiny = model_for(SHAPES["tiny-one-row"][0], "tanh")
    assert _uses_blas(blas._net, 0, SHAPES["blas"][1]) and 40 * 20 * 64 >= BLAS_MIN_WORK
    assert not _uses_blas(tiny._net, 0, 1)
    assert _needs_calls(blas._net, 40) and not _needs_calls(tiny._net, 1)


def backward(model, X, delta, cap):
    """``_backward`` from the output delta ``delta`` after a forward pass over ``X``."""
    acts, offsets, _ = forward(_forward, model, X, cap)
    deltas = np.full((2, cap * _widest(model._net)), np.nan)
    deltas[0, : delta.size] = delta.ravel()
    grad = np.full(model.params.size, np.nan)
    _backward(model.params, model._net, model._netf, acts, offsets, X.shape[0], deltas, grad)
    return grad


def check_backward(model, X, cap, rng):
    outputs, _ = model._forward(X)
    delta = rng.standard_normal(outputs[-1].shape)
    ref = np.full(model.params.size, np.nan)
    model._backward(outputs, delta, ref)
    comp = backward(model, X, delta, cap)
    assert_close(comp, ref, rtol=1e-10, what="gradient")
    layout = model._layout
    for k in range(layout.n_layers):  # layer by layer: a small layer is not hidden by a big one
        assert_close(comp[layout.weight_slice(k)], ref[layout.weight_slice(k)], what=f"dW_{k}")
        if layout.bias:
            assert_close(comp[layout.bias_slice(k)], ref[layout.bias_slice(k)], what=f"db_{k}")


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_backward_matches_reference(shape, hidden, rng):
    sizes, rows, cap = SHAPES[shape]
    model = model_for(sizes, hidden)
    check_backward(model, rng.standard_normal((rows, sizes[0])), cap, rng)


@pytest.mark.parametrize("shape", ["narrow-output", "blas", "width-1"])
def test_backward_without_biases(shape, rng):
    sizes, rows, cap = SHAPES[shape]
    model = model_for(sizes, "sigmoid", bias=False)
    check_backward(model, rng.standard_normal((rows, sizes[0])), cap, rng)


@pytest.mark.parametrize(("param", "out"), [(("leaky_relu", 0.2), None), (("elu", 0.5), "tanh")])
def test_parameterised_activations(param, out, rng):
    model = fastnn.reference.MLP((3, 6, 5, 2), [param, param, out or param], seed=1)
    X = rng.standard_normal((7, 3)) * 2.0
    check_forward(_forward, model, X, 7)
    check_forward(_forward_loops, model, X, 7)
    check_backward(model, X, 7, rng)
