"""Prediction kernels (``fastnn.kernels.predict``) against the numpy twin's forward pass
(``fastnn.reference.MLP._forward``, as used by its ``predict`` and ``layer_outputs``).

``_predict`` fills the network's outputs and returns the first row holding NaN/inf (-1 when
there is none); ``_layer_outputs`` fills every layer's outputs side by side. One row, a width-1
network, more rows than one block (:data:`fastnn.kernels._jit.ROW_BLOCK`, with a partial last
block), every hidden activation, a softmax output, no biases, and non-finite inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ACTIVATIONS, assert_close

import fastnn
import fastnn.reference
from fastnn.kernels._jit import ROW_BLOCK
from fastnn.kernels.predict import _layer_outputs, _predict, _predict_sample

SHAPES = {
    "one-row": ((3, 4, 2), 1),
    "width-1": ((1, 1, 1), 9),
    "blocks": ((5, 12, 3), 2 * ROW_BLOCK + 37),  # three blocks, the last one partial
    "one-full-block": ((4, 7, 7, 1), ROW_BLOCK),
    "wide": ((40, 64, 10), 50),  # BLAS-sized layers
}


def model_for(sizes, hidden, out=None, bias=True):
    acts = [hidden] * (len(sizes) - 2) + [out or hidden]
    loss = "categorical_crossentropy" if out == "softmax" else "mse"
    model = fastnn.reference.MLP(sizes, acts, loss, seed=2, bias=bias, init="normal")
    for b in model._biases:
        b += 0.2
    return model


def predict(model, X):
    out = np.full((X.shape[0], model.layer_sizes[-1]), np.nan)
    bad = _predict(model.params, model._net, model._netf, X, out)
    return out, bad


def layer_outputs(model, X):
    out = np.full((X.shape[0], sum(model.layer_sizes[1:])), np.nan)
    _layer_outputs(model.params, model._net, model._netf, X, out)
    return out


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_predict_matches_reference(shape, hidden, rng):
    sizes, rows = SHAPES[shape]
    model = model_for(sizes, hidden)
    X = rng.standard_normal((rows, sizes[0]))
    ref = model.predict(X).reshape(rows, -1)
    comp, bad = predict(model, X)
    assert bad == -1
    assert_close(comp, ref, rtol=1e-10)


@pytest.mark.parametrize("hidden", ACTIVATIONS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_layer_outputs_match_reference(shape, hidden, rng):
    sizes, rows = SHAPES[shape]
    model = model_for(sizes, hidden)
    X = rng.standard_normal((rows, sizes[0]))
    outputs, _ = model._forward(X)
    comp = layer_outputs(model, X)
    col = 0
    for k, ref in enumerate(outputs[1:], start=1):  # each layer on its own scale
        assert_close(comp[:, col : col + ref.shape[1]], ref, rtol=1e-10, what=f"layer {k}")
        col += ref.shape[1]
    assert col == comp.shape[1]


@pytest.mark.parametrize("rows", [1, 5, ROW_BLOCK + 1])
def test_softmax_output(rows, rng):
    model = model_for((6, 8, 5), "tanh", out="softmax")
    X = rng.standard_normal((rows, 6)) * 4.0
    comp, bad = predict(model, X)
    assert bad == -1
    assert_close(comp, model.predict(X), rtol=1e-10)
    assert_close(comp.sum(axis=1), np.ones(rows), rtol=1e-12)


@pytest.mark.parametrize("shape", ["one-row", "blocks", "wide"])
def test_without_biases(shape, rng):
    sizes, rows = SHAPES[shape]
    model = model_for(sizes, "elu", bias=False)
    X = rng.standard_normal((rows, sizes[0]))
    assert_close(predict(model, X)[0], model.predict(X).reshape(rows, -1), rtol=1e-10)
    assert_close(layer_outputs(model, X), np.hstack(model._forward(X)[0][1:]), rtol=1e-10)


@pytest.mark.parametrize(
    ("bad_rows", "value"),
    [([3], np.nan), ([ROW_BLOCK + 5, 2 * ROW_BLOCK + 1], np.inf), ([0, 7], -np.inf)],
    ids=["nan", "inf-in-later-blocks", "first-row"],
)
def test_non_finite_rows_are_reported_and_do_not_spread(bad_rows, value, rng):
    model = model_for((3, 5, 2), "tanh")
    X = rng.standard_normal((2 * ROW_BLOCK + 10, 3))
    for i in bad_rows:
        X[i, 1] = value
    comp, bad = predict(model, X)
    assert bad == min(bad_rows) == int(np.argwhere(~np.isfinite(X))[0][0])
    keep = np.setdiff1d(np.arange(X.shape[0]), bad_rows)
    assert_close(comp[keep], model.predict(X[keep]), rtol=1e-10, what="finite rows")


def test_large_inputs(rng):
    model = model_for((4, 6, 3), "sigmoid")
    X = rng.standard_normal((20, 4)) * 1e4
    with np.errstate(over="ignore"):
        ref = model.predict(X)
    comp, bad = predict(model, X)
    assert bad == -1
    assert_close(comp, ref, rtol=1e-10)


def test_overflowed_outputs_are_reported_after_the_rows(rng):
    """Finite inputs whose outputs overflow: the kernel returns ``n + i`` for the first such row
    ``i`` (bad inputs, reported as ``i``, take precedence)."""
    model = model_for((2, 3, 1), "identity")
    model.params[:] *= 1e60
    X = rng.standard_normal((ROW_BLOCK + 20, 2))
    X[ROW_BLOCK + 3] = 1e250  # identity layers: 1e60 * 1e60 * 1e250 overflows to inf
    with np.errstate(over="ignore", invalid="ignore"):
        assert predict(model, X)[1] == X.shape[0] + ROW_BLOCK + 3
        with_nan = X.copy()
        with_nan[5, 0] = np.nan
        assert predict(model, with_nan)[1] == 5
    compiled = fastnn.MLP((2, 3, 1), "identity", seed=0, params=model.params)
    with pytest.raises(ValueError, match=rf"overflowed the network.*row {ROW_BLOCK + 2}\b"):
        compiled.predict(X[1:])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_row_fast_path_is_the_general_path(dtype, rng):
    """``MLP.predict``'s path for one row already in θ's dtype and layout, (1, n) or (n,),
    returns what the general path returns for the same values (a list, converted and checked),
    bit for bit, as a new array each call; any other row goes the general way and is checked."""
    model = fastnn.MLP((5, 16, 3), "tanh", seed=4, dtype=dtype)
    x = rng.standard_normal((1, 5)).astype(dtype)
    general = model.predict(x.tolist())
    assert general.dtype == dtype and general.shape == (1, 3)
    first = model.predict(x)
    assert first.dtype == dtype and np.array_equal(first, general)
    one = model.predict(x[0])
    assert one.shape == (3,) and one.dtype == dtype and np.array_equal(one, general[0])
    first[:] = 0.0  # the caller owns the result: the next call does not reuse it
    assert np.array_equal(model.predict(x), general)
    model.params = model.params * 2  # the fast path reads the model's current θ
    assert np.array_equal(model.predict(x), model.predict(x.tolist()))
    assert not np.array_equal(model.predict(x), general)
    # rows that are not in the fast path's form: same values, converted first
    readonly = x.copy()
    readonly.flags.writeable = False
    strided = np.repeat(x, 2, axis=1)[:, ::2]
    other_dtype = x.astype(np.float32 if dtype == np.float64 else np.float64)
    expected = model.predict(x)
    for variant in (readonly, strided, readonly[0], np.asfortranarray(x)):
        assert np.array_equal(model.predict(variant), expected.reshape((*variant.shape[:-1], 3)))
    assert_close(model.predict(other_dtype), expected, rtol=1e-5)
    # and bad rows are refused with the general path's messages
    bad = x.copy()
    bad[0, 2] = np.nan
    for row in (bad, bad[0]):
        with pytest.raises(ValueError, match=r"NaN or infinity \(first in row 0\)"):
            model.predict(row)
    with pytest.raises(ValueError, match="expects 5 inputs"):
        model.predict(x[0, :4])
    with pytest.raises(ValueError, match="network expects 5"):
        model.predict(x[:, :4])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", ["one-row", "width-1", "wide"])
def test_predict_sample_is_predict_of_one_row(shape, dtype, rng):
    """``_predict_sample`` (1-D input and output) fills what ``_predict`` fills for the same row
    as a (1, n) matrix, bit for bit, and returns the same codes: 0 for a NaN input, 1 for an
    output that overflowed."""
    sizes, _ = SHAPES[shape]
    model = fastnn.MLP(sizes, "tanh", "mse", seed=5, dtype=dtype)
    theta, net, netf = model.params, model._net, model._netf
    x = rng.standard_normal(sizes[0]).astype(dtype)
    out = np.full(sizes[-1], np.nan, dtype=dtype)
    rows = np.full((1, sizes[-1]), np.nan, dtype=dtype)
    assert _predict_sample(theta, net, netf, x, out) == -1
    assert _predict(theta, net, netf, x[None].copy(), rows) == -1
    assert np.array_equal(out, rows[0])
    ref = fastnn.reference.MLP(sizes, "tanh", "mse", dtype=dtype, params=theta)
    assert_close(out, ref.predict(x), rtol=1e-10 if dtype == np.float64 else 1e-5)
    x[0] = np.nan
    assert _predict_sample(theta, net, netf, x, out) == 0
    identity = fastnn.MLP(sizes, "identity", "mse", seed=5, dtype=dtype)
    big = np.full(sizes[0], np.finfo(dtype).max / 2, dtype=dtype)
    with np.errstate(all="ignore"):
        code = _predict_sample(identity.params * 1e30, identity._net, identity._netf, big, out)
    assert code == 1
