"""The Classifier: labels of any type mapped to classes and back, binary and multi-class networks,
compiled against reference, bad input, and the digits benchmark's accuracy target."""

from __future__ import annotations

import pickle
import time
from fractions import Fraction

import numpy as np
import pytest
from conftest import assert_close

import fastnn
import fastnn.reference as ref
from fastnn.classifier import NotFittedError

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])


def blobs(n_per_class, n_classes, rng, spread=0.4):
    """Well separated Gaussian blobs in 2-D, class i centred on a circle."""
    angles = 2 * np.pi * np.arange(n_classes) / n_classes
    centres = 2.0 * np.column_stack([np.cos(angles), np.sin(angles)])
    index = np.repeat(np.arange(n_classes), n_per_class)
    X = centres[index] + spread * rng.standard_normal((index.size, 2))
    return X, index


FIT = dict(epochs=40, learning_rate=0.01, batch_size=16)


@IMPLEMENTATIONS
def test_binary_classification_with_string_labels(nn, rng):
    X, index = blobs(60, 2, rng)
    labels = np.array(["yes", "no"])[index]
    clf = nn.Classifier((8,), "tanh", seed=0)
    losses = clf.fit(X, labels, **FIT)
    assert losses.shape == (40,) and losses[-1] < losses[0]
    assert clf.classes_.tolist() == ["no", "yes"]
    model = clf.model
    assert model.layer_sizes == (2, 8, 1)
    assert model.activations == ("tanh", "sigmoid") and model.loss_name == "binary_crossentropy"
    proba = clf.predict_proba(X)
    p = model.predict(X)[:, 0]
    assert proba.shape == (120, 2)
    assert np.array_equal(proba[:, 1], p) and np.array_equal(proba[:, 0], 1 - p)
    predicted = clf.predict(X)
    assert predicted.dtype == labels.dtype
    assert np.array_equal(predicted, np.where(p > 0.5, "yes", "no"))
    assert clf.score(X, labels) > 0.97
    z = clf.decision_function(X)
    assert z.shape == (120,)
    assert_close(1 / (1 + np.exp(-z)), p, rtol=1e-12)


@IMPLEMENTATIONS
def test_multiclass_classification_with_integer_labels(nn, rng):
    X, index = blobs(40, 4, rng)
    labels = np.array([11, 3, 7, 5])[index]
    clf = nn.Classifier((16,), "relu", seed=1)
    clf.fit(X, labels, **FIT)
    assert clf.classes_.tolist() == [3, 5, 7, 11] and clf.n_classes_ == 4
    assert clf.model.layer_sizes == (2, 16, 4)
    assert clf.model.activations[-1] == "softmax"
    assert clf.model.loss_name == "categorical_crossentropy"
    proba = clf.predict_proba(X)
    assert np.array_equal(proba, clf.model.predict(X))
    assert_close(proba.sum(axis=1), np.ones(160), rtol=1e-14)
    assert np.array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.97
    z = clf.decision_function(X)
    softmax = np.exp(z - z.max(axis=1, keepdims=True))
    assert_close(softmax / softmax.sum(axis=1, keepdims=True), proba, rtol=1e-12)


@IMPLEMENTATIONS
def test_trains_the_network_it_describes(nn, rng):
    """Classes in np.unique order, one-hot targets, MLP.fit: the same θ as doing it by hand."""
    X, index = blobs(20, 3, rng)
    labels = np.array(["emu", "cat", "dog"])[index]
    clf = nn.Classifier((6,), "elu", seed=4)
    history = clf.fit(X, labels, epochs=5, learning_rate=0.02, batch_size=8, l2=0.01)
    by_hand = nn.MLP((2, 6, 3), ["elu", "softmax"], "categorical_crossentropy", seed=4)
    code = {"cat": 0, "dog": 1, "emu": 2}
    targets = np.eye(3)[[code[label] for label in labels]]
    expected = by_hand.fit(
        X, targets, epochs=5, learning_rate=0.02, batch_size=8, optimizer="adam", l2=0.01
    )
    assert np.array_equal(clf.model.params, by_hand.params)
    assert np.array_equal(history, expected)
    # two classes: one sigmoid unit whose target is 1 for classes_[1]
    binary = nn.Classifier((6,), "elu", seed=4)
    binary.fit(X, index == 2, epochs=5, learning_rate=0.02, batch_size=8)
    by_hand = nn.MLP((2, 6, 1), ["elu", "sigmoid"], "binary_crossentropy", seed=4)
    by_hand.fit(X, index == 2, epochs=5, learning_rate=0.02, batch_size=8, optimizer="adam")
    assert binary.classes_.tolist() == [False, True]
    assert np.array_equal(binary.model.params, by_hand.params)


@pytest.mark.parametrize(
    "names",
    [
        [False, True],
        [0.5, 2.5, -1.0],
        np.array(["a", "b", "c"], dtype=object),
        [Fraction(1, 3), Fraction(1, 2), Fraction(2, 3)],
        np.array(["2024-01-01", "2025-06-30"], dtype="datetime64[D]"),
    ],
    ids=["bool", "float", "object-str", "fraction", "datetime"],
)
def test_labels_of_any_type_round_trip(names, rng):
    X, index = blobs(30, len(names), rng, spread=0.2)
    labels = np.asarray(names)[index]
    clf = fastnn.Classifier((8,), seed=0)
    clf.fit(X, labels, **FIT)
    assert clf.classes_.tolist() == sorted(set(labels.tolist()))
    predicted = clf.predict(X)
    assert predicted.dtype == labels.dtype
    assert np.array_equal(predicted, labels)
    assert clf.score(X, labels) == 1.0


@pytest.mark.parametrize("n_classes", [2, 3])
def test_compiled_and_reference_classifiers_agree(n_classes, rng):
    X, index = blobs(25, n_classes, rng, spread=1.0)
    labels = np.array(["x", "y", "z"])[index]
    fast, slow = fastnn.Classifier((7, 5), "tanh", seed=3), ref.Classifier((7, 5), "tanh", seed=3)
    kw = dict(epochs=6, learning_rate=0.01, batch_size=10, l2=0.001)
    assert_close(fast.fit(X, labels, **kw), slow.fit(X, labels, **kw), what="loss history")
    assert_close(fast.model.params, slow.model.params, what="theta")
    assert_close(fast.predict_proba(X), slow.predict_proba(X), what="probabilities")
    assert_close(fast.decision_function(X), slow.decision_function(X), what="logits")
    assert np.array_equal(fast.predict(X), slow.predict(X))


@IMPLEMENTATIONS
def test_one_sample_and_logistic_regression(nn, rng):
    X, index = blobs(30, 3, rng)
    clf = nn.Classifier((), seed=0)  # no hidden layer: multinomial logistic regression
    clf.fit(X, index, **FIT)
    assert clf.model.layer_sizes == (2, 3)
    assert clf.predict_proba(X[0]).shape == (3,)
    assert clf.predict(X[0]) == clf.predict(X[:1])[0]
    assert clf.decision_function(X[0]).shape == (3,)
    assert clf.score(X, index) > 0.95


@IMPLEMENTATIONS
def test_validation_data_early_stopping_and_weights(nn, rng):
    X, index = blobs(40, 3, rng, spread=1.2)
    labels = np.array(["a", "b", "c"])[index]
    clf = nn.Classifier((8,), seed=0)
    clf.fit(
        X[:90],
        labels[:90],
        epochs=300,
        validation_data=(X[90:], labels[90:]),
        patience=3,
        learning_rate=0.05,
        batch_size=8,
    )
    h = clf.history_
    assert h.val_loss.shape == h.loss.shape and h.stopped_early
    assert len(h.loss) == h.best_epoch + 4
    assert clf.model.loss(X[90:], np.eye(3)[index[90:]]) == pytest.approx(
        h.val_loss[h.best_epoch], rel=1e-12
    )
    # sample weight 0 drops a row (full-batch training)
    w = np.ones(120)
    w[::5] = 0.0
    weighted, dropped = nn.Classifier((8,), seed=2), nn.Classifier((8,), seed=2)
    weighted.fit(X, labels, epochs=5, batch_size=None, sample_weight=w)
    dropped.fit(X[w > 0], labels[w > 0], epochs=5, batch_size=None)
    assert_close(weighted.model.params, dropped.model.params, rtol=1e-12)


@IMPLEMENTATIONS
def test_same_seed_same_classifier(nn, rng):
    X, index = blobs(20, 3, rng, spread=1.0)
    a, b = nn.Classifier((8,), seed=5), nn.Classifier((8,), seed=5)
    a.fit(X, index, epochs=3)
    b.fit(X, index, epochs=3)
    assert np.array_equal(a.model.params, b.model.params)
    first = a.model.params.copy()
    a.fit(X, index, epochs=3)  # a new fit starts afresh from the seed
    assert np.array_equal(a.model.params, first)


def test_float32_pickle_and_repr(rng):
    X, index = blobs(20, 3, rng)
    clf = fastnn.Classifier((8,), "leaky_relu", seed=0, dtype=np.float32)
    assert repr(clf) == (
        "fastnn.Classifier(hidden_layer_sizes=(8,), activation='leaky_relu', dtype=float32)"
    )
    clf.fit(X, index, **FIT)
    assert clf.model.params.dtype == np.float32
    assert clf.predict_proba(X).dtype == np.float32
    clone = pickle.loads(pickle.dumps(clf))
    assert np.array_equal(clone.predict_proba(X), clf.predict_proba(X))
    assert np.array_equal(clone.classes_, clf.classes_)
    assert "classes=3" in repr(clf)


# --- bad input -----------------------------------------------------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "labels, error, message",
    [
        (["a"] * 10, ValueError, "single class"),
        ([0.0, 1.0, np.nan] + [1.0] * 7, ValueError, "NaN"),
        (np.array(["a", None] * 5, dtype=object), ValueError, "missing"),
        (np.array([1, "a"] * 5, dtype=object), TypeError, "comparable"),
        ([[0], [1]] * 5, ValueError, "ravel"),
        ([0, 1] * 4, ValueError, "must match"),
    ],
    ids=["one-class", "nan", "none", "mixed-types", "column", "length"],
)
def test_bad_labels_are_refused_and_change_nothing(nn, labels, error, message, rng):
    X = rng.standard_normal((10, 2))
    clf = nn.Classifier((4,), seed=0)
    clf.fit(X, [0, 1] * 5, epochs=2)
    before, classes = clf.model, clf.classes_
    with pytest.raises(error, match=message):
        clf.fit(X, labels, epochs=2)
    assert clf.model is before and clf.classes_ is classes


@IMPLEMENTATIONS
def test_other_bad_input(nn, rng):
    X = rng.standard_normal((10, 2))
    clf = nn.Classifier((4,), seed=0)
    with pytest.raises(NotFittedError, match="fit"):
        clf.predict(X)
    assert isinstance(NotFittedError("x"), ValueError)
    with pytest.raises(ValueError, match="y_val"):
        clf.fit(X, [0, 1] * 5, validation_data=(X, [0, 2] * 5))
    assert clf.model is None
    with pytest.raises(ValueError, match="2-D"):
        clf.fit(X[0], [0, 1])
    with pytest.raises(ValueError, match="optimizer"):
        clf.fit(X, [0, 1] * 5, optimizer="lbfgs")
    assert clf.model is None
    clf.fit(X, [0, 1] * 5, epochs=1)
    with pytest.raises(ValueError, match="features"):
        clf.predict(rng.standard_normal((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        clf.predict([[np.nan, 0.0]])
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        nn.Classifier((4, 0))
    with pytest.raises(TypeError, match="hidden_layer_sizes"):
        nn.Classifier("64")
    with pytest.raises(ValueError, match="softmax"):
        nn.Classifier((4,), "softmax")
    with pytest.raises(ValueError, match="activation"):
        nn.Classifier((4,), "swish")
    with pytest.raises(ValueError, match="slope"):
        nn.Classifier((4,), ("leaky_relu", -0.1))
    with pytest.raises(ValueError, match="init"):
        nn.Classifier((4,), init="xavier")
    with pytest.raises(TypeError, match="dtype"):
        nn.Classifier((4,), dtype=np.int32)
    with pytest.raises(TypeError, match="seed"):
        nn.Classifier((4,), seed=True)


# --- the digits check (benchmark W8 times it) ----------------------------------------------------


@pytest.mark.slow_as_python
def test_digits_accuracy():
    """scikit-learn's 8×8 digits, stratified 75/25 split, one hidden layer of 64 relu units,
    softmax + cross-entropy, Adam: at least 97% test accuracy for each of three seeds."""
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    digits = datasets.load_digits()
    X_train, X_test, y_train, y_test = model_selection.train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, stratify=digits.target, random_state=0
    )
    accuracies = []
    start = time.perf_counter()
    for seed in range(3):
        clf = fastnn.Classifier((64,), "relu", seed=seed)
        clf.fit(
            X_train,
            y_train,
            epochs=60,
            learning_rate=0.003,
            batch_size=32,
            optimizer="adam",
            schedule="cosine",
            l2=1e-3,
        )
        accuracies.append(clf.score(X_test, y_test))
    elapsed = time.perf_counter() - start
    assert clf.model.layer_sizes == (64, 64, 10) and clf.model.activations == ("relu", "softmax")
    assert min(accuracies) >= 0.97, (accuracies, elapsed)
