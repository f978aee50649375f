"""The MLP class: construction, the flat θ and its views, learning, reproducibility."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from conftest import PEOPLE_X, PEOPLE_Y

import fastnn
import fastnn.reference as ref

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])


@IMPLEMENTATIONS
def test_layout_offsets_and_views(nn):
    model = nn.MLP((3, 4, 2), seed=0)
    assert model.n_params == 3 * 4 + 4 + 4 * 2 + 2
    assert model.layout.w_offsets == (0, 16) and model.layout.b_offsets == (12, 24)
    W0, W1 = model.weights
    b0, b1 = model.biases
    assert W0.shape == (3, 4) and W1.shape == (4, 2) and b0.shape == (4,) and b1.shape == (2,)
    for view in (W0, W1, b0, b1):
        assert np.shares_memory(view, model.params)


@IMPLEMENTATIONS
def test_writing_a_view_changes_params(nn):
    model = nn.MLP((2, 3, 1), seed=0)
    model.weights[0][1, 2] = 42.0
    assert model.params[1 * 3 + 2] == 42.0
    model.biases[1][0] = -7.0
    assert model.params[model.n_params - 1] == -7.0
    # and the other way round
    model.params[0] = 5.0
    assert model.weights[0][0, 0] == 5.0


@IMPLEMENTATIONS
def test_setting_params_keeps_the_views(nn):
    model = nn.MLP((2, 3, 1), seed=0)
    W0 = model.weights[0]
    model.params = np.arange(model.n_params, dtype=float)
    assert W0[0, 0] == 0.0 and W0[1, 2] == 5.0
    assert np.shares_memory(W0, model.params)


@IMPLEMENTATIONS
def test_construct_from_existing_params(nn):
    a = nn.MLP((2, 2, 1), seed=1)
    b = nn.MLP((2, 2, 1), params=a.params)
    assert np.array_equal(a.params, b.params)
    assert not np.shares_memory(a.params, b.params)


@IMPLEMENTATIONS
def test_network_learns_the_people_table(nn):
    """The 2-2-1 tutorial network separates its weight/height table after per-sample SGD."""
    model = nn.MLP((2, 2, 1), "sigmoid", "mse", seed=0, init="normal")
    history = model.fit(
        PEOPLE_X, PEOPLE_Y, epochs=1000, learning_rate=0.1, batch_size=1, shuffle=False
    )
    assert history[-1] < 0.05 * history[0]
    predictions = model.predict(PEOPLE_X).ravel()
    assert np.array_equal(predictions > 0.5, PEOPLE_Y == 1)
    # the tutorial's two new people: Emily (128 lb, 63 in) is female, Frank (155 lb, 68 in) male
    emily, frank = model.predict([[-7, -3], [20, 2]]).ravel()
    assert emily > 0.5 > frank


@IMPLEMENTATIONS
def test_integer_lists_and_one_dimensional_targets(nn):
    model = nn.MLP((2, 2, 1), seed=3)
    from_lists = model.loss([[-2, -1], [25, 6]], [1, 0])
    from_arrays = model.loss(np.array([[-2.0, -1.0], [25.0, 6.0]]), np.array([[1.0], [0.0]]))
    assert from_lists == from_arrays


@IMPLEMENTATIONS
def test_predict_one_sample(nn):
    model = nn.MLP((2, 3, 2), seed=0)
    one = model.predict([0.5, -1.0])
    assert one.shape == (2,)
    assert np.array_equal(one, model.predict([[0.5, -1.0]])[0])


@IMPLEMENTATIONS
def test_same_seed_same_training_bit_for_bit(nn, rng):
    X = rng.standard_normal((50, 4))
    y = rng.standard_normal((50, 2))
    runs = []
    for _ in range(2):
        model = nn.MLP((4, 8, 2), "tanh", seed=99)
        model.fit(X, y, epochs=5, learning_rate=0.05, batch_size=8, optimizer="adam")
        runs.append(model.params.copy())
    assert np.array_equal(runs[0], runs[1])


@IMPLEMENTATIONS
def test_full_batch_and_last_partial_batch(nn, rng):
    X = rng.standard_normal((10, 2))
    y = rng.standard_normal(10)
    model = nn.MLP((2, 3, 1), "tanh", seed=1)
    # 10 rows in batches of 4: two full batches and one of 2, every epoch
    model.fit(X, y, epochs=1, learning_rate=0.1, batch_size=4, shuffle=False)
    assert model.history_.loss.shape == (1,)
    # a batch larger than the data is full batch
    a = nn.MLP((2, 3, 1), "tanh", seed=1)
    b = nn.MLP((2, 3, 1), "tanh", seed=1)
    a.fit(X, y, epochs=3, learning_rate=0.1, batch_size=100)
    b.fit(X, y, epochs=3, learning_rate=0.1, batch_size=None)
    assert np.array_equal(a.params, b.params)


@IMPLEMENTATIONS
def test_float32_models(nn, rng):
    X = rng.standard_normal((20, 3))
    y = rng.standard_normal(20)
    m64 = nn.MLP((3, 5, 1), "tanh", seed=8)
    m32 = nn.MLP((3, 5, 1), "tanh", seed=8, dtype=np.float32)
    assert m32.params.dtype == np.float32 and m32.predict(X).dtype == np.float32
    np.testing.assert_allclose(m32.params, m64.params, rtol=1e-6)
    h64 = m64.fit(X, y, epochs=20, learning_rate=0.05, batch_size=4, seed=0)
    h32 = m32.fit(X, y, epochs=20, learning_rate=0.05, batch_size=4, seed=0)
    np.testing.assert_allclose(m32.params, m64.params, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h32, h64, rtol=1e-4)


@IMPLEMENTATIONS
def test_pickle_round_trip_keeps_views(nn, rng):
    model = nn.MLP((2, 4, 1), "relu", seed=0)
    model.fit(rng.standard_normal((8, 2)), rng.standard_normal(8), epochs=2)
    clone = pickle.loads(pickle.dumps(model))
    assert np.array_equal(clone.params, model.params)
    assert clone.layer_sizes == model.layer_sizes and clone.activations == model.activations
    clone.weights[0][0, 0] = 123.0
    assert clone.params[0] == 123.0 and model.params[0] != 123.0


def test_compiled_and_reference_share_the_api():
    public = {name for name in dir(fastnn.MLP) if not name.startswith("_")}
    assert public == {name for name in dir(ref.MLP) if not name.startswith("_")}
    assert {"fit", "predict", "loss", "gradient", "params", "weights", "biases"} <= public


@IMPLEMENTATIONS
def test_layer_outputs(nn, rng):
    model = nn.MLP((3, 5, 4, 2), ["tanh", "relu", "sigmoid"], seed=0)
    X = rng.standard_normal((300, 3))
    outputs = model.layer_outputs(X)
    assert [o.shape for o in outputs] == [(300, 5), (300, 4), (300, 2)]
    np.testing.assert_array_equal(outputs[-1], model.predict(X))
    hidden = np.tanh(X @ model.weights[0] + model.biases[0])
    np.testing.assert_allclose(outputs[0], hidden, rtol=1e-12)
