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
from fastnn.kernels.predict import _layer_outputs, _predict

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
