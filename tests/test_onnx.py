"""ONNX export (:func:`fastnn.to_onnx`): onnxruntime runs the graphs and gets ``predict``.

The graphs are run with onnxruntime and compared with the models' own ``predict`` /
``predict_proba``: to 1e-6 (float32) and 1e-12 (float64) relative to the largest magnitude of
each output (``conftest.assert_close``; entries near zero are compared at the scale of the whole
output, as everywhere in this suite), and element by element to the same relative tolerance where
an activation saturates (tiny sigmoid, softplus, elu and softmax values keep their digits).
Labels must be equal.

Tests that need onnx and onnxruntime skip without them (CI's ``.[test]`` installs neither);
the checks that come before the graph is built (wrong objects, unfitted models, the activation
table, import hygiene) run anyway.
"""

from __future__ import annotations

import ast
import os
import pathlib
import re
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
from conftest import assert_close
from test_architecture import ENGINE_INTERNALS

import fastnn
import fastnn.onnx as fastnn_onnx
import fastnn.reference as ref
import fastnn.tutorials
from fastnn._names import ACTIVATION_NAMES
from fastnn.classifier import NotFittedError

ROOT = pathlib.Path(__file__).resolve().parents[1]
RTOL = {np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])
#: Every hidden activation, with non-default parameters for the parameterised ones.
HIDDEN = [
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    ("leaky_relu", 0.3),
    "elu",
    ("elu", 0.6),
    "softplus",
]


@pytest.fixture
def ort():
    pytest.importorskip("onnx")
    return pytest.importorskip("onnxruntime")


def run(ort, proto, X):
    """The outputs of ``proto`` on ``X`` (one thread: the test machine is shared)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session.run(None, {"X": X})


def _activation_id(activation) -> str:
    return activation if isinstance(activation, str) else f"{activation[0]}-{activation[1]}"


def _random_net(nn, sizes, activations, loss, dtype, bias, seed):
    """A network with weights of variance 2 / fan_in (He's; pre-activations of the size of the
    inputs, both signs, well outside [-1, 1] for inputs ~ 2 N(0, 1)) and biases ~ N(0, 1/4).

    Larger weights amplify float32 rounding layer after layer until two correct float32
    implementations disagree beyond 1e-6 (fastnn's compiled and reference networks already do
    with N(0, 1) weights through two tanh layers of 16 and 7 units).
    """
    net = nn.MLP(sizes, activations, loss, dtype=dtype, bias=bias, seed=seed)
    rng = np.random.default_rng(seed)
    for w in net.weights:
        w[...] = rng.standard_normal(w.shape) * np.sqrt(2.0 / w.shape[0])
    for b in net.biases:
        b[...] = 0.5 * rng.standard_normal(b.shape)
    return net


def assert_labels_equal(onnx_labels, predicted, proba):
    """Labels equal, except on rows whose two most probable classes are tied to rounding error
    (the graph and the model may then break the tie differently); those must be rare."""
    top2 = np.sort(proba, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0]) > 1e-5
    assert clear.mean() > 0.9, "the data give too many near-ties to compare labels"
    assert np.asarray(onnx_labels).shape == np.asarray(predicted).shape
    assert (np.asarray(onnx_labels)[clear] == np.asarray(predicted)[clear]).all()


# --- without onnx ---------------------------------------------------------------------------------


def test_import_fastnn_does_not_import_onnx():
    code = (
        "import sys, fastnn; assert callable(fastnn.to_onnx); "
        "sys.exit(sorted({'onnx', 'onnxruntime'} & set(sys.modules)) or 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_every_fastnn_activation_has_an_onnx_form():
    assert set(fastnn_onnx.ACTIVATIONS) == set(ACTIVATION_NAMES)


def test_the_exporter_uses_no_engine_internals():
    tree = ast.parse((ROOT / "fastnn" / "onnx.py").read_text(encoding="utf-8"))
    touched = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in ENGINE_INTERNALS
    }
    assert not touched, f"fastnn/onnx.py reaches into model internals: {sorted(touched)}"


@pytest.mark.parametrize(
    "thing",
    [object(), "model.fnn", np.zeros((2, 2)), fastnn.tutorials.Perceptron(), fastnn.Layout((2, 1))],
    ids=["object", "str", "ndarray", "tutorial", "layout"],
)
def test_objects_that_are_not_fastnn_models_are_refused(thing):
    with pytest.raises(TypeError, match=r"to_onnx\(\) exports fastnn models.*got an object of"):
        fastnn.to_onnx(thing)


def test_scikit_learns_own_estimator_is_refused_with_a_pointer():
    neural_network = pytest.importorskip("sklearn.neural_network")
    with pytest.raises(TypeError, match="skl2onnx"):
        fastnn.to_onnx(neural_network.MLPClassifier())


@IMPLEMENTATIONS
def test_an_unfitted_classifier_raises_not_fitted(nn):
    with pytest.raises(NotFittedError, match="not fitted"):
        fastnn.to_onnx(nn.Classifier((4,)))


@pytest.mark.parametrize("name", ["MLPClassifier", "MLPRegressor"])
def test_an_unfitted_sklearn_estimator_raises_sklearns_not_fitted_error(name):
    pytest.importorskip("sklearn")
    from sklearn.exceptions import NotFittedError as SklearnNotFittedError

    import fastnn.sklearn

    with pytest.raises(SklearnNotFittedError):
        fastnn.to_onnx(getattr(fastnn.sklearn, name)())


def test_without_onnx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` fail
    with pytest.raises(ImportError, match=r"fastnn\[onnx\]"):
        fastnn.to_onnx(fastnn.MLP((2, 1), seed=0))


# --- networks -------------------------------------------------------------------------------------


@IMPLEMENTATIONS
@DTYPES
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
@pytest.mark.parametrize("activation", HIDDEN, ids=_activation_id)
@pytest.mark.parametrize(
    "sizes", [(3, 2), (4, 9, 2), (5, 16, 7, 3)], ids=["0-hidden", "1-hidden", "2-hidden"]
)
def test_network_output_equals_predict(ort, nn, dtype, bias, activation, sizes):
    net = _random_net(nn, sizes, activation, "mse", dtype, bias, seed=len(sizes))
    X = 2.0 * np.random.default_rng(1).standard_normal((40, sizes[0])).astype(dtype)
    proto = fastnn.to_onnx(net)
    (out,) = run(ort, proto, X)
    expected = net.predict(X)
    assert out.dtype == net.dtype and out.shape == expected.shape
    assert_close(out, expected, RTOL[net.dtype], f"{activation} {sizes} {net.dtype}")


@IMPLEMENTATIONS
@DTYPES
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no-bias"])
def test_softmax_and_mixed_activations_per_layer(ort, nn, dtype, bias):
    sizes = (4, 8, 6, 5, 3)
    activations = [("elu", 0.5), "softplus", ("leaky_relu", 0.05), "softmax"]
    net = _random_net(nn, sizes, activations, "categorical_crossentropy", dtype, bias, seed=3)
    X = 2.0 * np.random.default_rng(2).standard_normal((50, 4)).astype(dtype)
    (out,) = run(ort, fastnn.to_onnx(net), X)
    assert_close(out, net.predict(X), RTOL[net.dtype], "softmax network")
    assert_close(out.sum(axis=1), np.ones(50), 10 * RTOL[net.dtype], "rows sum to 1")


def _saturating_inputs(dtype):
    """Pre-activations from tiny to huge, both signs, as far as exp(-z) stays finite."""
    top = 80.0 if dtype == np.float32 else 700.0
    magnitudes = np.logspace(-20, np.log10(top), 400)
    return np.concatenate([-magnitudes, [0.0], magnitudes]).astype(dtype).reshape(-1, 1)


#: numba.config.DISABLE_JIT (NUMBA_DISABLE_JIT=1): the kernels run as Python, and their
#: vectorisable exp (fastnn.kernels._math._exp) then computes in float32 arithmetic for float32
#: networks, 7e-6 relative off for sigmoid(-20); compiled, and in the reference, it is within 1e-7.
_PYTHON_KERNELS = os.environ.get("NUMBA_DISABLE_JIT", "") not in ("", "0")


def _skip_python_mode_float32(nn, dtype):
    if nn is fastnn and np.dtype(dtype) == np.float32 and _PYTHON_KERNELS:
        pytest.skip("NUMBA_DISABLE_JIT: the Python-mode float32 kernels lose digits of tiny values")


@IMPLEMENTATIONS
@DTYPES
@pytest.mark.parametrize("activation", HIDDEN, ids=_activation_id)
def test_activations_keep_relative_precision_where_they_saturate(ort, nn, dtype, activation):
    """A 1→1 identity layer shows the activation itself: every value to the relative tolerance,
    including sigmoid(-700) ≈ 1e-304, softplus(-700) and elu(-1e-20)."""
    _skip_python_mode_float32(nn, dtype)
    net = nn.MLP((1, 1), activation, dtype=dtype, params=[1.0, 0.0])
    z = _saturating_inputs(net.dtype)
    (out,) = run(ort, fastnn.to_onnx(net), z)
    np.testing.assert_allclose(out, net.predict(z), rtol=RTOL[net.dtype], atol=0)


@IMPLEMENTATIONS
@DTYPES
def test_softmax_keeps_relative_precision_of_tiny_probabilities(ort, nn, dtype):
    """Element by element; the tolerance adds ``spread * eps``, the relative error that rounding
    ``z - max z`` (up to ``spread`` in size) to the dtype puts into ``exp`` in any
    implementation."""
    _skip_python_mode_float32(nn, dtype)
    dtype = np.dtype(dtype)
    spread = 80.0 if dtype == np.float32 else 700.0
    n = 5
    params = np.concatenate([np.eye(n).ravel(), np.zeros(n)])
    net = nn.MLP((n, n), "softmax", "categorical_crossentropy", dtype=dtype, params=params)
    logits = -spread * np.random.default_rng(4).random((30, n)).astype(dtype)
    (out,) = run(ort, fastnn.to_onnx(net), logits)
    rtol = RTOL[dtype] + spread * np.finfo(dtype).eps
    np.testing.assert_allclose(out, net.predict(logits), rtol=rtol, atol=0)


@DTYPES
def test_batch_dimension_is_dynamic(ort, dtype):
    net = _random_net(fastnn, (3, 5, 2), "tanh", "mse", dtype, True, seed=0)
    proto = fastnn.to_onnx(net)
    (input_,) = proto.graph.input
    dims = input_.type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and not dims[0].HasField("dim_value")
    assert dims[1].dim_value == 3
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(
        proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 300):
        X = rng.standard_normal((n, 3)).astype(dtype)
        (out,) = session.run(None, {"X": X})
        assert out.shape == (n, 2)
        assert_close(out, net.predict(X), RTOL[net.dtype], f"{n} rows")


@DTYPES
def test_graph_types_follow_the_model_dtype(ort, dtype):
    import onnx

    expected = {np.float32: onnx.TensorProto.FLOAT, np.float64: onnx.TensorProto.DOUBLE}[dtype]
    proto = fastnn.to_onnx(fastnn.MLP((2, 3, 1), "sigmoid", dtype=dtype, seed=0))
    assert proto.graph.input[0].type.tensor_type.elem_type == expected
    assert proto.graph.output[0].name == "variable"
    assert proto.graph.output[0].type.tensor_type.elem_type == expected
    assert {t.data_type for t in proto.graph.initializer} == {expected}
    onnx.checker.check_model(proto, full_check=True)
    assert proto.producer_name == "fastnn" and proto.producer_version == fastnn.__version__


def test_the_graph_holds_the_weights_at_export_time(ort):
    net = _random_net(fastnn, (3, 4, 2), "relu", "mse", np.float64, True, seed=5)
    X = np.random.default_rng(0).standard_normal((10, 3))
    proto = fastnn.to_onnx(net)
    before = net.predict(X)
    net.weights[0][...] *= 2.0  # θ changes after the export; the graph does not
    (out,) = run(ort, proto, X)
    assert_close(out, before, 1e-12, "exported θ")
    assert not np.allclose(out, net.predict(X))


# --- classifiers ----------------------------------------------------------------------------------

LABEL_KINDS = {
    "int": np.array([3, 7, 11, 20]),
    "str": np.array(["cat", "dog", "emu", "gnu"]),
    "float": np.array([-0.5, 1.5, 2.25, 8.0]),
    "object-str": np.array(["x", "yy", "zzz", "w"], dtype=object),
}


def _blobs(n_classes, rng, n=80, n_features=3):
    centres = 2.0 * rng.standard_normal((n_classes, n_features))
    index = rng.integers(0, n_classes, n)
    return centres[index] + 0.8 * rng.standard_normal((n, n_features)), index


@IMPLEMENTATIONS
@DTYPES
@pytest.mark.parametrize("n_classes", [2, 4], ids=["binary", "multiclass"])
@pytest.mark.parametrize("kind", list(LABEL_KINDS))
def test_classifier_label_and_probabilities(ort, nn, dtype, n_classes, kind):
    rng = np.random.default_rng(n_classes)
    X, index = _blobs(n_classes, rng)
    labels = LABEL_KINDS[kind][:n_classes][index]
    clf = nn.Classifier((6,), "tanh", seed=0, dtype=dtype)
    clf.fit(X, labels, epochs=2, learning_rate=0.01, batch_size=16)
    X = X.astype(dtype)
    label, probabilities = run(ort, fastnn.to_onnx(clf), X)
    proba = clf.predict_proba(X)
    assert probabilities.shape == (X.shape[0], n_classes) and probabilities.dtype == clf.dtype
    assert_close(probabilities, proba, RTOL[clf.dtype], "probabilities")
    assert_labels_equal(label, clf.predict(X), proba)
    if kind == "int":
        assert label.dtype == np.int64
    elif kind == "float":
        assert label.dtype == np.float64


@DTYPES
def test_boolean_labels(ort, dtype):
    rng = np.random.default_rng(0)
    X, index = _blobs(2, rng)
    clf = fastnn.Classifier((5,), "relu", seed=1, dtype=dtype)
    clf.fit(X, index.astype(bool), epochs=5, learning_rate=0.01)
    label, probabilities = run(ort, fastnn.to_onnx(clf), X.astype(dtype))
    assert label.dtype == np.bool_
    assert_close(probabilities, clf.predict_proba(X), RTOL[clf.dtype], "probabilities")
    assert_labels_equal(label, clf.predict(X), clf.predict_proba(X))


def test_logistic_regression_without_hidden_layers(ort):
    rng = np.random.default_rng(3)
    X, index = _blobs(3, rng)
    clf = fastnn.Classifier((), seed=0)
    clf.fit(X, index, epochs=5, learning_rate=0.05)
    label, probabilities = run(ort, fastnn.to_onnx(clf), X)
    assert_close(probabilities, clf.predict_proba(X), 1e-12, "probabilities")
    assert_labels_equal(label, clf.predict(X), clf.predict_proba(X))


def test_labels_onnx_cannot_hold_are_refused():
    rng = np.random.default_rng(0)
    X, index = _blobs(2, rng, n=40)
    clf = fastnn.Classifier((3,), seed=0)
    clf.fit(X, np.array([Fraction(1, 3), Fraction(1, 2)], dtype=object)[index], epochs=1)
    with pytest.raises(TypeError, match="integers, floats, booleans or strings"):
        fastnn.to_onnx(clf)


# --- scikit-learn estimators ----------------------------------------------------------------------


def _sklearn():
    pytest.importorskip("sklearn")
    import fastnn.sklearn

    return fastnn.sklearn


def _fit_quietly(estimator, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(X, y)


SKLEARN_ACTIVATIONS = ["identity", "logistic", "tanh", "relu"]


@DTYPES
@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
@pytest.mark.parametrize("target", ["binary", "multiclass", "strings", "multilabel"])
def test_sklearn_classifier(ort, dtype, activation, target):
    sk = _sklearn()
    rng = np.random.default_rng(7)
    X, index = _blobs(3, rng, n=90, n_features=4)
    y = {
        "binary": index % 2,
        "multiclass": index + 5,
        "strings": np.array(["a", "b", "c"])[index],
        "multilabel": (rng.random((90, 3)) < 0.4).astype(int),
    }[target]
    X = X.astype(dtype)
    clf = sk.MLPClassifier(
        hidden_layer_sizes=(7, 4), activation=activation, max_iter=15, random_state=0
    )
    _fit_quietly(clf, X, y)
    label, probabilities = run(ort, fastnn.to_onnx(clf), X)
    proba = clf.predict_proba(X)
    assert probabilities.dtype == np.dtype(dtype) and probabilities.shape == proba.shape
    assert_close(probabilities, proba, RTOL[np.dtype(dtype)], "probabilities")
    predicted = clf.predict(X)
    if target == "multilabel":
        assert label.dtype == np.int64 and label.shape == predicted.shape == (90, 3)
        clear = np.abs(proba - 0.5) > 1e-5
        assert clear.mean() > 0.9
        assert (label[clear] == predicted[clear]).all()
    else:
        assert_labels_equal(label, predicted, proba)
        assert set(np.unique(label).tolist()) <= set(clf.classes_.tolist())
    if target == "binary":
        assert probabilities.shape[1] == 2


@DTYPES
@pytest.mark.parametrize("activation", SKLEARN_ACTIVATIONS)
@pytest.mark.parametrize("n_outputs", [1, 3])
def test_sklearn_regressor(ort, dtype, activation, n_outputs):
    sk = _sklearn()
    rng = np.random.default_rng(n_outputs)
    X = rng.standard_normal((60, 5)).astype(dtype)
    y = np.tanh(X @ rng.standard_normal((5, n_outputs)))
    y = y.ravel() if n_outputs == 1 else y
    reg = sk.MLPRegressor(hidden_layer_sizes=(8,), activation=activation, max_iter=15)
    reg.set_params(random_state=0)
    _fit_quietly(reg, X, y)
    (out,) = run(ort, fastnn.to_onnx(reg), X)
    expected = reg.predict(X)
    assert out.shape == expected.shape and out.dtype == np.dtype(dtype)
    assert_close(out, expected, RTOL[np.dtype(dtype)], "regressor")


@IMPLEMENTATIONS
@DTYPES
def test_poisson_network_exp_output(ort, nn, dtype):
    """A network trained on counts (exp output, poisson loss): the graph ends in Exp."""
    net = _random_net(nn, (4, 8, 2), ["tanh", "exp"], "poisson", dtype, True, seed=5)
    X = np.random.default_rng(3).standard_normal((40, 4)).astype(dtype)
    (out,) = run(ort, fastnn.to_onnx(net), X)
    assert (out > 0).all()
    assert_close(out, net.predict(X), RTOL[net.dtype], "poisson network")


@DTYPES
def test_sklearn_poisson_regressor(ort, dtype):
    sk = _sklearn()
    rng = np.random.default_rng(4)
    X = rng.standard_normal((60, 5)).astype(dtype)
    y = rng.poisson(np.exp(0.3 * X[:, 0])).astype(float)
    reg = sk.MLPRegressor(hidden_layer_sizes=(8,), loss="poisson", max_iter=15, random_state=0)
    _fit_quietly(reg, X, y)
    (out,) = run(ort, fastnn.to_onnx(reg), X)
    assert reg.out_activation_ == "exp"
    assert_close(out, reg.predict(X), RTOL[np.dtype(dtype)], "poisson regressor")


def test_sklearn_export_follows_the_fitted_network_not_a_later_set_params(ort):
    sk = _sklearn()
    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 3))
    reg = _fit_quietly(
        sk.MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", max_iter=5, random_state=0),
        X,
        X.sum(axis=1),
    )
    reg.set_params(activation="relu")  # not refitted: predict still runs the tanh network
    (out,) = run(ort, fastnn.to_onnx(reg), X)
    assert_close(out, reg.predict(X), 1e-12, "regressor after set_params")


# --- saving and options ---------------------------------------------------------------------------


def _temporaries(directory: pathlib.Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


def test_path_writes_the_model_atomically(ort, tmp_path):
    import onnx

    net = _random_net(fastnn, (3, 4, 2), "softplus", "mse", np.float64, True, seed=1)
    target = tmp_path / "net.onnx"
    target.write_bytes(b"an older file")
    proto = fastnn.to_onnx(net, target)
    assert target.read_bytes() == proto.SerializeToString()
    assert onnx.load(str(target)) == proto
    assert _temporaries(tmp_path) == []
    X = np.random.default_rng(0).standard_normal((5, 3))
    session = ort.InferenceSession(str(target), providers=["CPUExecutionProvider"])
    assert_close(session.run(None, {"X": X})[0], net.predict(X), 1e-12, "from the file")
    fastnn.to_onnx(net, str(tmp_path / "as-str.onnx"))  # a str path works too
    assert (tmp_path / "as-str.onnx").read_bytes() == proto.SerializeToString()


def test_a_failed_write_keeps_the_old_file(ort, tmp_path, monkeypatch):
    target = tmp_path / "net.onnx"
    target.write_bytes(b"the old model")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        fastnn.to_onnx(fastnn.MLP((2, 1), seed=0), target)
    assert target.read_bytes() == b"the old model"
    assert _temporaries(tmp_path) == []


def test_writing_through_a_symlink_replaces_its_target(ort, tmp_path):
    real = tmp_path / "real.onnx"
    real.write_bytes(b"old")
    link = tmp_path / "link.onnx"
    link.symlink_to(real)
    proto = fastnn.to_onnx(fastnn.MLP((2, 1), seed=0), link)
    assert link.is_symlink() and real.read_bytes() == proto.SerializeToString()


@pytest.mark.parametrize(
    ("path", "error"),
    [(b"bytes.onnx", TypeError), (3, TypeError), ("", ValueError), ("missing/dir/x.onnx", OSError)],
    ids=["bytes", "int", "empty", "missing-dir"],
)
def test_bad_paths_are_refused(ort, tmp_path, monkeypatch, path, error):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error):
        fastnn.to_onnx(fastnn.MLP((2, 1), seed=0), path)
    assert list(tmp_path.iterdir()) == []


def test_a_directory_is_not_a_file_name(ort, tmp_path):
    with pytest.raises(IsADirectoryError):
        fastnn.to_onnx(fastnn.MLP((2, 1), seed=0), tmp_path)


def test_opset(ort):
    import onnx

    net = _random_net(
        fastnn, (3, 5, 4), ["elu", "softmax"], "categorical_crossentropy", np.float64, True, 2
    )
    default = fastnn.to_onnx(net)
    assert [o.version for o in default.opset_import] == [fastnn_onnx.DEFAULT_OPSET]
    X = np.random.default_rng(0).standard_normal((8, 3))
    for opset in (fastnn_onnx.MIN_OPSET, 17, onnx.defs.onnx_opset_version()):
        proto = fastnn.to_onnx(net, opset=opset)
        assert [o.version for o in proto.opset_import] == [opset]
        if opset <= fastnn_onnx.DEFAULT_OPSET:  # onnxruntime may lag the newest onnx opset
            (out,) = run(ort, proto, X)
            assert_close(out, net.predict(X), 1e-12, f"opset {opset}")
    with pytest.raises(ValueError, match=r">= 13"):
        fastnn.to_onnx(net, opset=12)
    with pytest.raises(ValueError, match="newer than the installed onnx"):
        fastnn.to_onnx(net, opset=onnx.defs.onnx_opset_version() + 1)
    with pytest.raises(TypeError, match="opset"):
        fastnn.to_onnx(net, opset="17")


def test_readme_example_runs(ort, tmp_path, monkeypatch):
    """The README's ONNX section runs and its session's labels are the classifier's."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### ONNX export", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    clf, X_new = namespace["clf"], namespace["X_new"]
    assert (tmp_path / "clf.onnx").is_file()
    assert_labels_equal(namespace["label"], clf.predict(X_new), clf.predict_proba(X_new))
    assert_close(namespace["probabilities"], clf.predict_proba(X_new), 1e-6, "README")
