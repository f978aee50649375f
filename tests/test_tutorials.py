"""The tutorial classes: every number the seeds print, and the compiled classes against their twins.

``fastnn.tutorials`` (compiled, built on ``fastnn.MLP``) and ``fastnn.reference.tutorials`` (the
tutorials' algorithms written plainly in numpy) must both reproduce the seeds' numbers, and from
the same starting weights they must follow the same trajectory to 1e-12.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from conftest import assert_close

import fastnn
import fastnn.reference.tutorials as ref
import fastnn.tutorials as fast
from fastnn.reference.tutorials import perceptron as ref_perceptron
from fastnn.tutorials.neural_network import TABLE_X, TABLE_Y
from fastnn.tutorials.neuron import EMILY, FRANK, GENDERS, PARAM_NAMES, PEOPLE

BOTH = pytest.mark.parametrize("impl", [fast, ref], ids=["compiled", "reference"])
TRAJECTORY_RTOL = 1e-12


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_both_packages_offer_the_same_api():
    assert fast.__all__ == ref.__all__
    for name in fast.__all__:
        assert hasattr(fast, name) and hasattr(ref, name), name
    for cls in ("Neuron", "FixedWeightNetwork", "OurNeuralNetwork", "NeuralNetwork", "Perceptron"):
        public = {n for n in dir(getattr(ref, cls)) if not n.startswith("_")}
        assert public <= set(dir(getattr(fast, cls))), (cls, public - set(dir(getattr(fast, cls))))


# --- seeds 000/001: the 2-2-1 network ----------------------------------------------------------


@BOTH
@pytest.mark.parametrize("x", [[2, 3], np.array([2, 3]), np.array([2.0, 3.0])])
def test_fixed_weight_network_gives_the_tutorial_number(impl, x):
    out = impl.FixedWeightNetwork().feedforward(x)
    assert np.ndim(out) == 0
    assert abs(float(out) - 0.7216325609518421) <= 2e-16


@BOTH
def test_neuron_takes_lists_integer_arrays_and_rows(impl):
    neuron = impl.Neuron(np.array([0, 1]), 4)
    expected = sigmoid(7.0)  # 0*2 + 1*3 + 4
    assert float(neuron.feedforward([2, 3])) == pytest.approx(expected, rel=1e-15)
    assert float(neuron.feedforward(np.array([2, 3], dtype=np.int32))) == pytest.approx(
        expected, rel=1e-15
    )
    rows = neuron.feedforward([[2, 3], [0, 0], [-1, -8]])
    assert_close(rows, sigmoid(np.array([7.0, 4.0, -4.0])), rtol=1e-15)


def test_compiled_neuron_weights_are_views_of_theta():
    neuron = fast.Neuron([0, 1], 0)
    assert np.shares_memory(neuron.weights, neuron.model.params)
    neuron.weights[0] = 2.0
    neuron.bias = -1.0
    assert neuron.model.params.tolist() == [2.0, 1.0, -1.0]
    assert float(neuron.feedforward([2, 3])) == pytest.approx(sigmoid(2 * 2 + 3 - 1), rel=1e-15)


def test_neuron_rejects_bad_input():
    with pytest.raises(ValueError, match="weights"):
        fast.Neuron([[0, 1]], 0)
    neuron = fast.Neuron([0, 1], 0)
    with pytest.raises(ValueError, match="inputs"):
        neuron.feedforward([1, 2, 3])
    with pytest.raises(TypeError, match="bias"):
        neuron.bias = "one"
    assert neuron.model.params.tolist() == [0.0, 1.0, 0.0]


@BOTH
def test_mse_loss_and_deriv_sigmoid(impl):
    assert impl.mse_loss(np.array([1, 0, 0, 1]), np.array([0, 0, 0, 0])) == 0.5
    z = np.linspace(-6, 6, 13)
    h = 1e-6
    numeric = (impl.sigmoid(z + h) - impl.sigmoid(z - h)) / (2 * h)
    assert_close(impl.deriv_sigmoid(z), numeric, rtol=1e-8)


@BOTH
def test_hand_worked_partial_derivative(impl):
    """All weights 1, all biases 0, Alice only: the tutorial gets dL/dw1 ≈ 0.0214."""
    net = impl.OurNeuralNetwork(values=[1, 1, 1, 1, 1, 1, 0, 0, 0])
    alice, y_true = PEOPLE[0], GENDERS[0]
    grad = net.gradient(alice, y_true)
    # the chain-rule factors the tutorial works out, at the precision it prints them
    y_pred = float(net.feedforward(alice))
    h1 = sigmoid(-3.0)
    dL_dypred = -2 * (1 - y_pred)
    dypred_dh1 = 1 * sigmoid(2 * h1) * (1 - sigmoid(2 * h1))
    dh1_dw1 = -2 * h1 * (1 - h1)
    assert round(h1, 4) == 0.0474 and round(y_pred, 3) == 0.524
    # the tutorial rounds y_pred to 0.524 before using it (the exact factor is -0.9526)
    assert round(-2 * (1 - round(y_pred, 3)), 3) == -0.952
    assert (round(dypred_dh1, 3), round(dh1_dw1, 4)) == (0.249, -0.0904)
    assert round(-0.952 * 0.249 * -0.0904, 4) == 0.0214
    # the library's gradient is the exact product (0.02147; 0.0214 comes from rounded factors)
    assert grad["w1"] == pytest.approx(dL_dypred * dypred_dh1 * dh1_dw1, rel=1e-12)
    assert abs(grad["w1"] - 0.0214) < 1e-4


def test_compiled_hidden_outputs_of_the_worked_example():
    net = fast.OurNeuralNetwork(values=[1, 1, 1, 1, 1, 1, 0, 0, 0])
    hidden, output = net.model.layer_outputs([PEOPLE[0]])
    assert np.round(hidden, 4).tolist() == [[0.0474, 0.0474]]
    assert round(float(output[0, 0]), 3) == 0.524


def test_gradient_agrees_with_reference_and_finite_differences():
    rng = np.random.default_rng(3)
    values = rng.standard_normal(9)
    compiled = fast.OurNeuralNetwork(values=values).gradient(PEOPLE, GENDERS)
    reference = ref.OurNeuralNetwork(values=values).gradient(PEOPLE, GENDERS)
    assert_close([compiled[n] for n in PARAM_NAMES], [reference[n] for n in PARAM_NAMES])
    h = 1e-6
    for i, name in enumerate(PARAM_NAMES):
        up, down = values.copy(), values.copy()
        up[i] += h
        down[i] -= h
        f_up = ref.mse_loss(GENDERS, fast.OurNeuralNetwork(values=up).feedforward(PEOPLE))
        f_down = ref.mse_loss(GENDERS, fast.OurNeuralNetwork(values=down).feedforward(PEOPLE))
        assert compiled[name] == pytest.approx((f_up - f_down) / (2 * h), rel=1e-6, abs=1e-9)


def test_tutorial_parameters_are_theta():
    net = fast.OurNeuralNetwork(seed=0)
    (W0, W1), (b0, b1) = net.model.weights, net.model.biases
    views = {
        "w1": (W0, (0, 0)),
        "w2": (W0, (1, 0)),
        "w3": (W0, (0, 1)),
        "w4": (W0, (1, 1)),
        "w5": (W1, (0, 0)),
        "w6": (W1, (1, 0)),
        "b1": (b0, (0,)),
        "b2": (b0, (1,)),
        "b3": (b1, (0,)),
    }
    for k, name in enumerate(PARAM_NAMES):
        array, index = views[name]
        setattr(net, name, 10.0 + k)
        assert array[index] == 10.0 + k, name
        array[index] = -k
        assert getattr(net, name) == -k, name
    assert net.values.tolist() == [-float(k) for k in range(9)]
    # h1 = f(w1 x1 + w2 x2 + b1): only w1, w2, b1 feed h1
    net.values = [1, 2, 0, 0, 1, 0, 3, 0, 0]
    h1, _ = net.model.layer_outputs([[5, 7]])[0][0]
    assert h1 == pytest.approx(sigmoid(1 * 5 + 2 * 7 + 3), rel=1e-15)


def test_bad_values_leave_the_network_untouched():
    net = fast.OurNeuralNetwork(seed=0)
    before = net.values
    with pytest.raises(ValueError, match="values"):
        net.values = [1, 2, 3]
    with pytest.raises(ValueError):
        net.values = [np.nan] * 9
    with pytest.raises(TypeError, match="w1"):
        net.w1 = "heavy"
    assert np.array_equal(net.values, before)
    with pytest.raises(ValueError, match="values"):
        ref.OurNeuralNetwork(values=[1, 2, 3])


def test_same_seed_same_start_in_both_implementations():
    for seed in (0, 1, 12345):
        assert np.array_equal(
            fast.OurNeuralNetwork(seed=seed).values, ref.OurNeuralNetwork(seed=seed).values
        )
        a = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=seed)
        b = ref.NeuralNetwork(TABLE_X, TABLE_Y, seed=seed)
        assert np.array_equal(a.weights1, b.weights1) and np.array_equal(a.weights2, b.weights2)
    assert not np.array_equal(fast.OurNeuralNetwork(seed=0).values, fast.OurNeuralNetwork(1).values)


@BOTH
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trainable_network_learns_the_people_table(impl, seed):
    net = impl.OurNeuralNetwork(seed=seed)
    losses = net.train(PEOPLE, GENDERS)
    assert losses.shape == (100,) and net.loss_epochs.tolist() == list(range(0, 1000, 10))
    assert np.array_equal(losses, net.loss_history)
    assert losses[-1] < 0.1 * losses[0] and losses[-1] < 0.02
    predictions = np.asarray(net.feedforward(PEOPLE))
    assert predictions.shape == (4,)
    assert np.all((predictions > 0.5) == (GENDERS == 1)), predictions
    assert net.feedforward(EMILY) > 0.5 > net.feedforward(FRANK)


def test_compiled_2_2_1_follows_the_reference_step_by_step():
    start = fast.OurNeuralNetwork(seed=7).values
    compiled = fast.OurNeuralNetwork(values=start)
    reference = ref.OurNeuralNetwork(values=start)
    for epoch in range(5):
        lc = compiled.train(PEOPLE, GENDERS, epochs=1, loss_every=1)
        lr = reference.train(PEOPLE, GENDERS, epochs=1, loss_every=1)
        assert_close(compiled.values, reference.values, TRAJECTORY_RTOL, f"epoch {epoch}")
        assert_close(lc, lr, TRAJECTORY_RTOL, f"loss after epoch {epoch}")
    compiled = fast.OurNeuralNetwork(values=start)
    reference = ref.OurNeuralNetwork(values=start)
    assert_close(
        compiled.train(PEOPLE, GENDERS), reference.train(PEOPLE, GENDERS), TRAJECTORY_RTOL, "loss"
    )
    assert_close(compiled.values, reference.values, TRAJECTORY_RTOL, "after 1000 epochs")
    assert_close(compiled.feedforward([EMILY, FRANK]), reference.feedforward([EMILY, FRANK]))


def test_training_accepts_lists_and_integer_arrays():
    start = fast.OurNeuralNetwork(seed=4).values
    a = fast.OurNeuralNetwork(values=start)
    b = fast.OurNeuralNetwork(values=start)
    la = a.train(PEOPLE.tolist(), GENDERS.tolist(), epochs=50)
    lb = b.train(PEOPLE.astype(np.float64), GENDERS.astype(np.float64), epochs=50)
    assert np.array_equal(la, lb) and np.array_equal(a.values, b.values)


@BOTH
def test_verbose_training_prints_the_loss_lines(impl, capsys):
    impl.OurNeuralNetwork(values=np.linspace(-1, 1, 9)).train(PEOPLE, GENDERS, verbose=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 100
    assert lines[0].startswith("Epoch 0 loss: ") and lines[-1].startswith("Epoch 990 loss: ")


def test_verbose_lines_are_the_same_in_both(capsys):
    values = np.linspace(-1, 1, 9)
    fast.OurNeuralNetwork(values=values).train(PEOPLE, GENDERS, epochs=200, verbose=True)
    compiled = capsys.readouterr().out
    ref.OurNeuralNetwork(values=values).train(PEOPLE, GENDERS, epochs=200, verbose=True)
    assert compiled == capsys.readouterr().out


def _count_training_calls(monkeypatch):
    calls = []
    original = fastnn.MLP._train_chunk

    def counting(self, *args):
        calls.append(self)
        return original(self, *args)

    monkeypatch.setattr(fastnn.MLP, "_train_chunk", counting)
    return calls


@pytest.mark.slow_as_python
def test_each_train_call_is_one_kernel_call(monkeypatch):
    calls = _count_training_calls(monkeypatch)
    net = fast.OurNeuralNetwork(seed=0)
    net.train(PEOPLE, GENDERS)
    assert calls == [net.model] and net.model.history_.loss.shape == (1000,)
    calls.clear()
    nn = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=0)
    nn.train(1500)
    assert calls == [nn.model] and nn.model.history_.loss.shape == (1500,)
    calls.clear()
    p = fast.Perceptron()
    p.train(*fast.load_diabetes_tail())
    assert calls == [p.model] and p.model.history_.loss.shape == (10_000,)


# --- seeds 002/003: NeuralNetwork(x, y) ---------------------------------------------------------


@BOTH
def test_neural_network_attributes(impl):
    nn = impl.NeuralNetwork(TABLE_X, TABLE_Y, seed=0)
    assert nn.input.shape == (4, 3) and nn.y.shape == (4, 1)
    assert nn.weights1.shape == (3, 4) and nn.weights2.shape == (4, 1)
    assert np.all((nn.weights1 >= 0) & (nn.weights1 < 1))
    assert np.all((nn.weights2 >= 0) & (nn.weights2 < 1))
    assert np.array_equal(nn.output, np.zeros((4, 1))) and nn.layer1.shape == (4, 4)
    out = nn.feedforward()
    assert out is nn.output
    assert_close(nn.layer1, sigmoid(TABLE_X @ nn.weights1), 1e-15)
    assert_close(nn.output, sigmoid(nn.layer1 @ nn.weights2), 1e-15)


@BOTH
def test_neural_network_takes_lists_and_a_1d_target(impl):
    nn = impl.NeuralNetwork(TABLE_X.tolist(), [0, 1, 1, 0], seed=0)
    assert nn.y.shape == (4, 1) and nn.y.dtype == np.float64
    twin = impl.NeuralNetwork(TABLE_X.astype(np.int8), TABLE_Y, seed=0)
    assert np.array_equal(nn.train(20), twin.train(20))


def test_compiled_weights_are_views_of_theta():
    nn = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=0)
    assert np.shares_memory(nn.weights1, nn.model.params)
    assert np.shares_memory(nn.weights2, nn.model.params)
    before = nn.model.params.copy()
    nn.weights1 += 1.0  # the tutorial's in-place update
    nn.weights2 = np.full((4, 1), 0.5)
    assert np.array_equal(nn.model.params[:12], before[:12] + 1.0)
    assert np.array_equal(nn.model.params[12:], np.full(4, 0.5))


def test_neural_network_rejects_bad_input():
    with pytest.raises(ValueError, match="x must"):
        fast.NeuralNetwork([0, 1, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="y must"):
        fast.NeuralNetwork(TABLE_X, [0, 1, 1])
    with pytest.raises(ValueError, match="weights1"):
        fast.NeuralNetwork(TABLE_X, TABLE_Y, weights1=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="weights2"):
        fast.NeuralNetwork(TABLE_X, TABLE_Y, weights2=[np.nan] * 4)
    nn = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=0)
    before = nn.model.params.copy()
    with pytest.raises(ValueError):
        nn.weights1 = np.zeros((2, 2))
    with pytest.raises(TypeError, match="epochs"):
        nn.train(1.5)
    assert np.array_equal(nn.model.params, before)


def test_compiled_3_4_1_follows_the_reference_step_by_step():
    start = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=11)
    w1, w2 = start.weights1.copy(), start.weights2.copy()
    compiled = fast.NeuralNetwork(TABLE_X, TABLE_Y, weights1=w1, weights2=w2)
    reference = ref.NeuralNetwork(TABLE_X, TABLE_Y, weights1=w1, weights2=w2)
    for step in range(5):
        assert_close(compiled.feedforward(), reference.feedforward(), TRAJECTORY_RTOL, "output")
        assert_close(compiled.layer1, reference.layer1, TRAJECTORY_RTOL, f"layer1 {step}")
        assert compiled.loss() == pytest.approx(reference.loss(), rel=TRAJECTORY_RTOL)
        compiled.backprop()
        reference.backprop()
        assert_close(compiled.weights1, reference.weights1, TRAJECTORY_RTOL, f"weights1 {step}")
        assert_close(compiled.weights2, reference.weights2, TRAJECTORY_RTOL, f"weights2 {step}")
    # train() in one kernel call continues the same trajectory
    lc, lr = compiled.train(1500), reference.train(1500)
    assert_close(lc, lr, TRAJECTORY_RTOL, "loss per iteration")
    assert_close(compiled.weights1, reference.weights1, TRAJECTORY_RTOL, "weights1")
    assert_close(compiled.weights2, reference.weights2, TRAJECTORY_RTOL, "weights2")
    assert_close(compiled.output, reference.output, TRAJECTORY_RTOL, "output")


@pytest.mark.parametrize("hidden", [1, 4, 9])
@pytest.mark.parametrize("n_out", [1, 2])
def test_other_shapes_follow_the_reference_too(hidden, n_out):
    rng = np.random.default_rng(hidden * 10 + n_out)
    x = rng.integers(-2, 3, size=(6, 3))  # integer inputs, as tables often are
    y = rng.random((6, n_out))
    compiled = fast.NeuralNetwork(x, y, hidden=hidden, seed=5)
    reference = ref.NeuralNetwork(x, y, hidden=hidden, seed=5)
    assert_close(compiled.train(200), reference.train(200), TRAJECTORY_RTOL, "loss")
    assert_close(compiled.weights1, reference.weights1, TRAJECTORY_RTOL, "weights1")
    assert_close(compiled.weights2, reference.weights2, TRAJECTORY_RTOL, "weights2")


def test_backprop_is_one_step_of_size_one_on_the_sum_of_squares():
    nn = fast.NeuralNetwork(TABLE_X, TABLE_Y, seed=2)
    theta = nn.model.params.copy()
    grad = nn.model.gradient(TABLE_X, TABLE_Y)  # loss "sse"
    nn.backprop()
    assert_close(nn.model.params, theta - grad, 1e-15)
    assert nn.model.loss_name == "sse" and not nn.model.bias


@BOTH
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_1500_iterations_learn_the_table(impl, seed):
    nn = impl.NeuralNetwork(TABLE_X, TABLE_Y, seed=seed)
    losses = nn.train(1500)
    assert losses.shape == (1500,)
    assert losses[-1] < losses[0] / 50
    assert np.max(np.abs(nn.output - TABLE_Y)) < 0.1, nn.output.ravel()
    assert nn.loss() == pytest.approx(float(np.sum((TABLE_Y - nn.output) ** 2)), rel=1e-12)


# --- seed 004: the perceptron -------------------------------------------------------------------


@pytest.fixture(scope="module")
def diabetes():
    return fast.load_diabetes_tail()


def test_shipped_data_equals_scikit_learns():
    pytest.importorskip("sklearn")
    x_file, y_file = fast.load_diabetes_tail("file")
    x_sk, y_sk = fast.load_diabetes_tail("sklearn")
    assert x_file.shape == y_file.shape == (20, 1)
    assert np.array_equal(x_file, x_sk) and np.array_equal(y_file, y_sk)


def test_data_loader_falls_back_to_the_file_without_sklearn(monkeypatch):
    x_file, y_file = fast.load_diabetes_tail("file")
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    x, y = fast.load_diabetes_tail()
    assert np.array_equal(x, x_file) and np.array_equal(y, y_file)
    assert x[0, 0] == pytest.approx(17.786338762689528) and y[0, 0] == 233.0
    with pytest.raises(ValueError, match="source"):
        fast.load_diabetes_tail("internet")


@BOTH
def test_first_point_numbers(impl, diabetes):
    x, y = diabetes
    p = impl.Perceptron(5, 10)
    y_pred = p.feedforward(x[0])
    assert y_pred.shape == (1,)
    assert round(float(y_pred[0]), 8) == 98.93169381
    assert round(float(y_pred[0] - y[0, 0]), 8) == -134.06830619
    assert round(p.loss(x[0], y[0]), 4) == 17974.3107
    dm, db = p.backpropagate(x[0], y[0])
    assert (round(dm, 4), round(db, 4)) == (-4769.1686, -268.1366)
    p.step(x[0], y[0], learning_rate=1.0)  # the tutorial's unscaled step
    assert (round(float(p.m), 4), round(float(p.b), 4)) == (4774.1686, 278.1366)


@BOTH
def test_averaged_gradient_and_one_step(impl, diabetes):
    x, y = diabetes
    p = impl.Perceptron(5, 10)
    dm, db = p.backpropagate(x, y)
    assert (round(dm, 4), round(db, 4)) == (-1544.1194, -142.3783)
    assert (round(0.001 * dm, 4), round(0.001 * db, 4)) == (-1.5441, -0.1424)
    p.step(x, y, learning_rate=0.001)
    assert (round(float(p.m), 4), round(float(p.b), 4)) == (6.5441, 10.1424)
    q = impl.Perceptron(5, 10)
    q.step(x, y, learning_rate=1.0)
    assert (round(float(q.m), 4), round(float(q.b), 4)) == (1549.1194, 152.3783)


def test_tutorial_free_functions(diabetes):
    x, y = diabetes
    for module in (fast.perceptron, ref_perceptron):
        y_pred = module.feedforward(x[0], 5, 10)
        assert round(float(y_pred[0]), 8) == 98.93169381
        assert round(float(module.loss(y[0], y_pred)), 4) == 17974.3107
        dm, db = module.backpropogate(y_pred, y[0], x[0])
        assert (round(float(dm[0]), 4), round(float(db[0]), 4)) == (-4769.1686, -268.1366)


@pytest.fixture(scope="module")
def trained_reference(diabetes):
    p = ref.Perceptron(5, 10)
    losses = p.train(*diabetes, iterations=10_000, learning_rate=0.001)
    return p, losses


def test_10000_steps_give_the_tutorial_line(diabetes, trained_reference):
    p = fast.Perceptron(5, 10)
    losses = p.train(*diabetes, iterations=10_000, learning_rate=0.001)
    assert (round(float(p.m), 4), round(float(p.b), 4)) == (11.2349, 25.0117)
    p_ref, losses_ref = trained_reference
    assert (round(float(p_ref.m), 4), round(float(p_ref.b), 4)) == (11.2349, 25.0117)
    assert_close([p.m, p.b], [p_ref.m, p_ref.b], TRAJECTORY_RTOL, "m, b after 10,000 steps")
    assert_close(losses, losses_ref, TRAJECTORY_RTOL, "loss per step")
    assert losses.shape == (10_000,) and np.all(np.diff(losses) <= 0)


def test_compiled_perceptron_follows_the_reference_step_by_step(diabetes):
    x, y = diabetes
    compiled, reference = fast.Perceptron(5, 10), ref.Perceptron(5, 10)
    for step in range(5):
        lc, lr = compiled.step(x, y, 0.001), reference.step(x, y, 0.001)
        assert lc == pytest.approx(lr, rel=TRAJECTORY_RTOL)
        assert_close([compiled.m, compiled.b], [reference.m, reference.b], TRAJECTORY_RTOL, step)


def test_closed_form_fit(diabetes):
    x, y = diabetes
    m, b = fast.closed_form_fit(x, y)
    assert (round(m, 4), round(b, 4)) == (11.2137, 25.2528)
    assert_close([m, b], np.polyfit(x.ravel(), y.ravel(), 1), 1e-10)
    assert ref.closed_form_fit(x, y) == (m, b)


def test_closed_form_fit_matches_scikit_learn(diabetes):
    linear_model = pytest.importorskip("sklearn.linear_model")
    x, y = diabetes
    lm = linear_model.LinearRegression().fit(x, y)
    assert_close(fast.closed_form_fit(x, y), [lm.coef_[0][0], lm.intercept_[0]], 1e-10)


@BOTH
def test_perceptron_takes_numbers_lists_and_columns(impl):
    p = impl.Perceptron(2, 1)
    assert float(p.feedforward(3)) == 7.0 and np.ndim(p.feedforward(3)) == 0
    assert p.feedforward([1, 2]).tolist() == [3.0, 5.0]
    assert p.feedforward(np.array([[1], [2]])).shape == (2, 1)
    assert p.loss([1, 2], [3, 6]) == 1.0
    assert p.backpropagate([[1], [2]], [3, 6]) == pytest.approx((-2.0, -1.0))
    losses = p.train([1, 2, 3], [3, 5, 7], iterations=3, learning_rate=0.01)
    assert losses.shape == (3,) and losses[0] == 0.0


def test_perceptron_rejects_bad_input_and_keeps_m_b():
    p = fast.Perceptron(5, 10)
    with pytest.raises(ValueError, match="learning_rate"):
        p.train([1, 2], [3, 4], learning_rate=-1)
    with pytest.raises(ValueError, match="rows"):
        p.train([1, 2], [3, 4, 5])
    with pytest.raises(ValueError, match="x must"):
        p.feedforward(np.ones((2, 2)))
    with pytest.raises(TypeError, match="m"):
        p.m = None
    assert (p.m, p.b) == (5.0, 10.0)


def test_descent_paths_match_and_behave(diabetes):
    x, y = diabetes
    y0 = y[0, 0]
    for rate in (0.003, 0.001):
        compiled = fast.Perceptron(5, 5).descent_path(x[0], y[0], rate)
        reference = ref.Perceptron(5, 5).descent_path(x[0], y[0], rate)
        for c, r in zip(compiled, reference, strict=True):
            assert_close(c, r, TRAJECTORY_RTOL, f"learning rate {rate}")
        y_preds, losses = compiled
        assert_close(losses, (y_preds - y0) ** 2, 1e-12)
        assert np.all(np.diff(losses) < 0)
        side = np.sign(y_preds - y0)
        if (
            rate == 0.003
        ):  # overshoots: the prediction jumps from one side of the minimum to the other
            assert np.all(side[1:] == -side[:-1])
        else:  # slides down one side
            assert np.all(side == -1)


@BOTH
def test_tutorials_refuse_masked_entries_and_seeds_like_the_library(impl):
    """The tutorials take their arguments through fastnn._validation, as MLP does."""
    masked = np.ma.masked_array(PEOPLE.astype(float), mask=np.zeros(PEOPLE.shape, dtype=bool))
    masked.mask[1, 0] = True
    network = impl.OurNeuralNetwork(seed=0)
    with pytest.raises(ValueError, match=r"data is a masked array.*filled"):
        network.train(masked, GENDERS, epochs=2)
    assert np.isfinite(network.train(np.ma.masked_array(PEOPLE), GENDERS, epochs=2)).all()
    with pytest.raises(ValueError, match=r"^seed must be >= 0"):
        impl.NeuralNetwork(TABLE_X, TABLE_Y, seed=-1)
    with pytest.raises(ValueError, match=r"learning_rate must be finite.*10\*\*400"):
        impl.Perceptron().train([1.0, 2.0], [3.0, 4.0], 2, learning_rate=10**400)
