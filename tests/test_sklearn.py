"""The scikit-learn drop-in estimators: scikit-learn's own estimator checks, trajectories that
follow scikit-learn's MLP step for step, and use inside scikit-learn's tools.

Timing comparisons live in ``bench/test_sklearn_compare.py``, not here.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn import neural_network as skl
from sklearn.base import clone
from sklearn.datasets import load_digits, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    cross_val_score,
    train_test_split,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import fastnn
from fastnn.sklearn import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Settings under which fastnn's estimator and scikit-learn's take the same steps: plain SGD
#: (no momentum), no L2 penalty, rows in data order. Both draw the same initial weights from the
#: same random_state.
PLAIN_SGD = dict(
    solver="sgd",
    momentum=0.0,
    alpha=0.0,
    shuffle=False,
    learning_rate_init=0.01,
    max_iter=20,
    tol=0.0,
    n_iter_no_change=1000,
    random_state=0,
)


def _curves_agree(ours, theirs, rtol):
    ours = np.asarray(ours.loss_curve_)
    theirs = np.asarray(theirs.loss_curve_)
    assert ours.shape == theirs.shape, f"{ours.shape} epochs != scikit-learn's {theirs.shape}"
    worst = float(np.max(np.abs(ours / theirs - 1.0)))
    assert worst <= rtol, f"loss curves differ by {worst:.3e} relative (allowed {rtol:g})"


def _weights_agree(ours, theirs, rtol):
    for mine, sk in zip(
        ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_, strict=True
    ):
        np.testing.assert_allclose(mine, sk, rtol=rtol, atol=rtol * np.abs(sk).max())


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(300, 8, n_targets=3, noise=1.0, random_state=0)
    return StandardScaler().fit_transform(X), y / np.abs(y).max(axis=0)


@pytest.fixture(scope="module")
def classification():
    X, y = make_classification(
        300, 8, n_informative=5, n_classes=3, n_clusters_per_class=1, random_state=0
    )
    return X, y


# --- scikit-learn's estimator checks ----------------------------------------------------------


@parametrize_with_checks(
    [
        MLPClassifier(max_iter=30, random_state=0),
        MLPRegressor(max_iter=30, random_state=0),
        MLPClassifier(solver="lbfgs", hidden_layer_sizes=(20,), max_iter=50, random_state=0),
        MLPRegressor(
            solver="sgd", hidden_layer_sizes=(20,), max_iter=200, tol=1e-6, random_state=0
        ),
    ]
    # Every check passes: none is marked as an expected failure. Checks that need pandas or
    # SCIPY_ARRAY_API skip themselves when those are missing.
)
@pytest.mark.slow_as_python  # about 15 minutes in all without the JIT
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# --- trajectories that match scikit-learn's ---------------------------------------------------


@pytest.mark.parametrize("n_outputs", [1, 3])
@pytest.mark.parametrize("batch_size", [50, 64, "auto"])
def test_regressor_follows_sklearn_sgd(regression, n_outputs, batch_size):
    X, Y = regression
    y = Y[:, 0] if n_outputs == 1 else Y
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(16, 8), batch_size=batch_size)
    theirs = skl.MLPRegressor(**settings).fit(X, y)
    ours = MLPRegressor(**settings).fit(X, y)
    _curves_agree(ours, theirs, 1e-8)
    _weights_agree(ours, theirs, 1e-8)
    assert ours.n_iter_ == theirs.n_iter_ == 20 and ours.t_ == theirs.t_
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("target", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("activation", ["relu", "tanh", "logistic", "identity"])
def test_classifier_follows_sklearn_sgd(classification, target, activation):
    X, y = classification
    if target == "binary":
        y = y == 1
    elif target == "multilabel":
        y = np.c_[y == 1, y == 2, X[:, 0] > 0]
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(12,), activation=activation, batch_size=64)
    theirs = skl.MLPClassifier(**settings).fit(X, y)
    ours = MLPClassifier(**settings).fit(X, y)
    _curves_agree(ours, theirs, 1e-8)
    _weights_agree(ours, theirs, 1e-8)
    assert ours.out_activation_ == theirs.out_activation_
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-8)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


@pytest.mark.parametrize(
    "extra",
    [
        dict(momentum=0.9),
        dict(momentum=0.9, nesterovs_momentum=False),
        dict(alpha=1e-2),
        dict(shuffle=True),
        dict(momentum=0.5, learning_rate="invscaling", learning_rate_init=0.2, power_t=0.3),
        dict(learning_rate="adaptive", tol=1e-3, n_iter_no_change=2, max_iter=40),
        pytest.param(
            dict(tol=1e-3, n_iter_no_change=3, max_iter=200), marks=pytest.mark.slow_as_python
        ),
        dict(tol=1e-2, n_iter_no_change=1, max_iter=100),
        dict(tol=1.0, n_iter_no_change=np.inf, max_iter=25),
        dict(early_stopping=True, validation_fraction=0.2, tol=1e-3, n_iter_no_change=3),
    ],
    ids=lambda extra: ",".join(f"{k}={v}" for k, v in extra.items()),
)
def test_sgd_options_follow_sklearn(regression, classification, extra):
    """Momentum (either kind), L2, shuffling, the learning-rate schedules, tol-based stopping
    and early stopping all take scikit-learn's steps, not merely similar ones."""
    X, Y = regression
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(16,), batch_size=40, **extra)
    theirs = skl.MLPRegressor(**settings).fit(X, Y[:, 0])
    ours = MLPRegressor(**settings).fit(X, Y[:, 0])
    _curves_agree(ours, theirs, 1e-8)
    _weights_agree(ours, theirs, 1e-7)
    assert ours.n_iter_ == theirs.n_iter_
    if settings.get("early_stopping"):
        np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-8)
        assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
        assert ours.best_loss_ is None and theirs.best_loss_ is None
    else:
        assert ours.best_loss_ == pytest.approx(theirs.best_loss_, rel=1e-8)
    Xc, yc = classification
    theirs = skl.MLPClassifier(**settings).fit(Xc, yc)
    ours = MLPClassifier(**settings).fit(Xc, yc)
    _curves_agree(ours, theirs, 1e-8)
    assert ours.n_iter_ == theirs.n_iter_


def test_sample_weight_follows_sklearn(regression, classification):
    """With one batch per epoch the weighted loss curve is scikit-learn's too (with several
    batches fastnn averages batch losses by weight sum, scikit-learn by row count)."""
    X, Y = regression
    sw = np.random.default_rng(0).uniform(0.1, 3.0, X.shape[0])
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(16,), batch_size=X.shape[0], alpha=1e-2)
    theirs = skl.MLPRegressor(**settings).fit(X, Y[:, 0], sample_weight=sw)
    ours = MLPRegressor(**settings).fit(X, Y[:, 0], sample_weight=sw)
    _curves_agree(ours, theirs, 1e-8)
    _weights_agree(ours, theirs, 1e-8)
    Xc, yc = classification
    theirs = skl.MLPClassifier(**settings).fit(Xc, yc, sample_weight=sw)
    ours = MLPClassifier(**settings).fit(Xc, yc, sample_weight=sw)
    _curves_agree(ours, theirs, 1e-8)
    # several batches: the updates are still scikit-learn's; only the reported average differs
    settings["batch_size"] = 64
    theirs = skl.MLPClassifier(**settings).fit(Xc, yc, sample_weight=sw)
    ours = MLPClassifier(**settings).fit(Xc, yc, sample_weight=sw)
    _weights_agree(ours, theirs, 1e-8)


def test_adam_follows_sklearn_closely(regression, classification):
    """Adam puts ε on the bias-corrected sqrt(v̂) (fastnn) rather than on sqrt(v) (scikit-learn),
    which changes the steps in the sixth digit early on and not at all once 1 - β2^t ≈ 1."""
    X, Y = regression
    settings = dict(PLAIN_SGD, solver="adam", hidden_layer_sizes=(16,), batch_size=50)
    theirs = skl.MLPRegressor(**settings).fit(X, Y)
    ours = MLPRegressor(**settings).fit(X, Y)
    _curves_agree(ours, theirs, 1e-4)
    Xc, yc = classification
    theirs = skl.MLPClassifier(**settings).fit(Xc, yc)
    ours = MLPClassifier(**settings).fit(Xc, yc)
    _curves_agree(ours, theirs, 1e-4)


def test_partial_fit_follows_sklearn(classification):
    X, y = classification
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(10,), momentum=0.9, batch_size=32)
    theirs = skl.MLPClassifier(**settings)
    ours = MLPClassifier(**settings)
    classes = np.unique(y)
    for start in range(0, 300, 100):
        part = slice(start, start + 100)
        theirs.partial_fit(X[part], y[part], classes=classes)
        ours.partial_fit(X[part], y[part], classes=classes)
    _curves_agree(ours, theirs, 1e-8)
    _weights_agree(ours, theirs, 1e-8)
    # n_iter_ counts the epochs of the last call, t_ the rows of all calls (as in scikit-learn)
    assert ours.t_ == theirs.t_ == 300 and ours.n_iter_ == theirs.n_iter_ == 1


def test_warm_start_from_sklearn_weights(regression):
    """Weights copied from scikit-learn through the coefs_/intercepts_ setters continue on
    scikit-learn's path under warm_start."""
    X, Y = regression
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(8, 8), batch_size=30, max_iter=10)
    theirs = skl.MLPRegressor(**dict(settings, random_state=1)).fit(X, Y)
    ours = MLPRegressor(**dict(settings, random_state=2), warm_start=True).fit(X, Y)
    ours.coefs_ = theirs.coefs_
    ours.intercepts_ = theirs.intercepts_
    theirs.set_params(warm_start=True).fit(X, Y)
    ours.fit(X, Y)
    np.testing.assert_allclose(ours.loss_curve_[10:], theirs.loss_curve_[10:], rtol=1e-8)
    _weights_agree(ours, theirs, 1e-8)


@pytest.fixture(scope="module")
def counts():
    """Count data for the Poisson loss: rates e^(0.3 x0 + 0.2), zeros included, and a second
    output of plain counts."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((120, 4))
    y = rng.poisson(np.exp(0.3 * X[:, 0] + 0.2))
    return X, np.c_[y, rng.poisson(2.0, 120)].astype(float)


@pytest.mark.parametrize(
    "extra",
    [{}, dict(momentum=0.9, shuffle=True, alpha=1e-3, n_outputs=2)],
    ids=["plain", "momentum-shuffle-l2-two-outputs"],
)
def test_poisson_follows_sklearn_sgd(counts, extra):
    """loss='poisson' (exp output, half Poisson deviance) takes scikit-learn's steps."""
    X, Y = counts
    extra = dict(extra)
    y = Y if extra.pop("n_outputs", 1) == 2 else Y[:, 0]
    assert (y == 0).any()
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(8,), batch_size=32, loss="poisson", **extra)
    theirs = skl.MLPRegressor(**settings).fit(X, y)
    ours = MLPRegressor(**settings).fit(X, y)
    assert ours.out_activation_ == theirs.out_activation_ == "exp"
    _curves_agree(ours, theirs, 1e-10)
    _weights_agree(ours, theirs, 1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-10)
    assert (ours.predict(X) > 0).all()


def test_poisson_lbfgs_matches_sklearn(counts):
    X, Y = counts
    settings = dict(
        solver="lbfgs", hidden_layer_sizes=(5,), loss="poisson", alpha=1e-3, max_iter=50
    )
    theirs = skl.MLPRegressor(**settings, random_state=0).fit(X, Y[:, 0])
    ours = MLPRegressor(**settings, random_state=0).fit(X, Y[:, 0])
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(ours.loss_, theirs.loss_, rtol=1e-9)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), rtol=1e-8)


def test_poisson_refuses_negative_targets_and_a_changed_loss(counts):
    X, Y = counts
    reg = MLPRegressor(loss="poisson")
    with pytest.raises(ValueError, match=r"loss='poisson' needs non-negative targets.*-1\.0"):
        reg.fit(X, Y[:, 0] - 1.0)
    assert not hasattr(reg, "n_iter_") and not hasattr(reg, "coefs_")
    reg = MLPRegressor(
        hidden_layer_sizes=(4,), loss="poisson", max_iter=2, warm_start=True, random_state=0
    )
    reg.fit(X, Y[:, 0])
    theta = reg.fastnn_model_.params.copy()
    with pytest.raises(ValueError, match=r"loss='squared_error'.*'poisson' loss"):
        reg.set_params(loss="squared_error").fit(X, Y[:, 0])
    assert np.array_equal(reg.fastnn_model_.params, theta)


@pytest.mark.slow_as_python
def test_lbfgs_matches_sklearn(regression, classification):
    X, Y = regression
    settings = dict(hidden_layer_sizes=(10,), solver="lbfgs", max_iter=50, random_state=0)
    theirs = skl.MLPRegressor(**settings).fit(X, Y[:, 0])
    ours = MLPRegressor(**settings).fit(X, Y[:, 0])
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-5)
    assert ours.n_iter_ == theirs.n_iter_
    Xc, yc = classification
    theirs = skl.MLPClassifier(**settings).fit(Xc, yc)
    ours = MLPClassifier(**settings).fit(Xc, yc)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-5)
    assert not hasattr(ours, "loss_curve_")


@pytest.mark.slow_as_python
def test_digits_accuracy_at_least_sklearns():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.25, random_state=0)
    settings = dict(hidden_layer_sizes=(64,), solver="adam", batch_size=200, random_state=0)
    theirs = skl.MLPClassifier(**settings).fit(X_train, y_train)
    ours = MLPClassifier(**settings).fit(X_train, y_train)
    assert ours.score(X_test, y_test) >= theirs.score(X_test, y_test)
    assert ours.score(X_test, y_test) >= 0.95


# --- fitted state and the views into θ --------------------------------------------------------


def test_attributes(regression, classification):
    Xc, yc = classification
    clf = MLPClassifier((7, 5), max_iter=5).fit(Xc, yc)
    assert [c.shape for c in clf.coefs_] == [(8, 7), (7, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(7,), (5,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.n_features_in_ == 8
    assert clf.out_activation_ == "softmax" and list(clf.classes_) == [0, 1, 2]
    assert len(clf.loss_curve_) == clf.n_iter_ == 5 and clf.t_ == 5 * 300
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert isinstance(clf.fastnn_model_, fastnn.MLP)
    assert clf.fastnn_model_.layer_sizes == (8, 7, 5, 3)
    X, Y = regression
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=3).fit(X, Y)
    assert reg.out_activation_ == "identity" and reg.predict(X).shape == (300, 3)
    assert reg.fit(X, Y[:, 0]).predict(X).shape == (300,)


def test_coefs_are_views_into_theta(classification):
    X, y = classification
    clf = MLPClassifier((6,), max_iter=3, random_state=0).fit(X, y)
    theta = clf.fastnn_model_.params
    assert np.shares_memory(clf.coefs_[0], theta) and np.shares_memory(clf.intercepts_[1], theta)
    before = clf.predict_proba(X)
    clf.coefs_[1][:] = 0.0
    clf.intercepts_[1][:] = [0.0, 1.0, 0.0]
    after = clf.predict_proba(X)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(
        after, np.tile(np.exp([0, 1, 0]) / np.exp([0, 1, 0]).sum(), (300, 1))
    )
    with pytest.raises(ValueError, match=r"coefs_\[0\] must have shape \(8, 6\)"):
        clf.coefs_ = [np.zeros((3, 3)), np.zeros((6, 3))]
    assert np.array_equal(clf.fastnn_model_.params, theta)


def test_predict_proba_and_log_proba(classification):
    X, y = classification
    for target in (y, y == 1):
        clf = MLPClassifier((6,), max_iter=20, random_state=0).fit(X, target)
        proba = clf.predict_proba(X)
        assert proba.shape == (300, len(clf.classes_))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


def test_string_labels(classification):
    X, y = classification
    labels = np.array(["cat", "dog", "emu"])[y]
    clf = MLPClassifier((6,), max_iter=20, random_state=0).fit(X, labels)
    assert set(clf.predict(X)) <= set(labels) and list(clf.classes_) == ["cat", "dog", "emu"]


def test_float32_input_keeps_float32(regression):
    X, Y = regression
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(
        X.astype(np.float32), Y[:, 0]
    )
    assert reg.coefs_[0].dtype == np.float32 and reg.predict(X).dtype == np.float32
    lbfgs = MLPRegressor(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=5, random_state=0)
    lbfgs.fit(X.astype(np.float32), Y[:, 0])
    assert lbfgs.coefs_[0].dtype == np.float32


def test_sparse_input_equals_dense(classification):
    from scipy import sparse

    X, y = classification
    dense = MLPClassifier((6,), max_iter=10, random_state=0).fit(X, y)
    sp = MLPClassifier((6,), max_iter=10, random_state=0).fit(sparse.csr_matrix(X), y)
    np.testing.assert_allclose(sp.predict_proba(sparse.csc_matrix(X)), dense.predict_proba(X))


def test_convergence_warning_and_verbose(regression, capsys):
    """verbose >= 2 prints scikit-learn's line per epoch; verbose=1 (True) shows a progress bar
    on stderr instead, and prints nothing on stdout."""
    X, Y = regression
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\)") as record:
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=2).fit(X, Y)
    assert record[0].filename == __file__  # the warning points at the caller's fit
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("Iteration 1, loss = ") and len(printed) == 3
    with pytest.warns(ConvergenceWarning):
        MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, verbose=True).fit(X, Y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "MLPRegressor" in captured.err and "3/3" in captured.err


def test_coefs_item_assignment_writes_theta(classification):
    """coefs_/intercepts_ are lists of θ's views: assigning an item (or a slice) copies into θ,
    what would change the number of layers is refused, and a copy is a plain list."""
    X, y = classification
    clf = MLPClassifier((6,), max_iter=3, random_state=0).fit(X, y)
    theta = clf.fastnn_model_.params
    coefs = clf.coefs_
    assert isinstance(coefs, list) and len(coefs) == 2
    W = np.arange(18.0).reshape(3, 6) / 100.0
    clf.coefs_[1] = W.T
    assert np.shares_memory(clf.coefs_[1], theta)
    assert np.array_equal(clf.coefs_[1], W.T) and np.array_equal(coefs[1], W.T)
    clf.intercepts_[-1] = [0.5, -0.5, 0.0]
    assert np.array_equal(clf.fastnn_model_.biases[1], [0.5, -0.5, 0.0])
    clf.intercepts_[:1] = [np.ones(6)]
    assert np.array_equal(clf.fastnn_model_.biases[0], np.ones(6))
    hidden = np.maximum(X @ clf.coefs_[0] + 1.0, 0.0)
    logits = hidden @ W.T + [0.5, -0.5, 0.0]
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(
        clf.predict_proba(X), expected / expected.sum(axis=1, keepdims=True), rtol=1e-12
    )
    before = theta.copy()
    with pytest.raises(ValueError, match=r"coefs_\[1\] must have shape \(6, 3\)"):
        clf.coefs_[1] = W
    with pytest.raises(ValueError, match=r"intercepts_\[0\] contains NaN"):
        clf.intercepts_[0] = np.full(6, np.nan)
    with pytest.raises(TypeError, match="its length cannot change"):
        clf.coefs_.append(W)
    with pytest.raises(TypeError, match="its length cannot change"):
        del clf.intercepts_[0]
    with pytest.raises(ValueError, match="holds 2 arrays"):
        clf.coefs_[:] = [W.T]
    assert np.array_equal(theta, before)
    copied = pickle.loads(pickle.dumps(clf.coefs_))
    assert type(copied) is list and not np.shares_memory(copied[1], theta)
    assert np.array_equal(copied[1], W.T)


def test_weights_assigned_before_fit_follow_sklearn(classification):
    """As scikit-learn allows: set coefs_ and intercepts_ (item by item) on an unfitted
    estimator, then partial_fit continues from them, step for step with scikit-learn."""
    X, y = classification
    y = y == 1
    rng = np.random.default_rng(3)
    coefs = [rng.standard_normal((8, 5)) * 0.3, rng.standard_normal((5, 1)) * 0.3]
    intercepts = [rng.standard_normal(5) * 0.1, rng.standard_normal(1) * 0.1]
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(5,), batch_size=50, momentum=0.5)
    fitted = []
    for Estimator in (skl.MLPClassifier, MLPClassifier):
        est = Estimator(**settings)
        est.coefs_ = [None, None]
        est.intercepts_ = [None, None]
        for i in range(2):
            est.coefs_[i] = coefs[i].copy()
            est.intercepts_[i] = intercepts[i].copy()
        # the attributes scikit-learn's continued training reads, as a user sets them
        est.n_outputs_, est.n_layers_, est.out_activation_ = 1, 3, "logistic"
        est.n_iter_, est.t_, est.loss_curve_, est.best_loss_ = 0, 0, [], np.inf
        est._no_improvement_count = 0
        est.partial_fit(X, y, classes=[False, True])
        est.partial_fit(X, y)
        fitted.append(est)
    theirs, ours = fitted
    _curves_agree(ours, theirs, 1e-10)
    _weights_agree(ours, theirs, 1e-10)
    assert ours.t_ == theirs.t_ == 600


def test_weights_assigned_before_fit_predict_and_are_checked(regression):
    X, Y = regression
    reg = MLPRegressor(hidden_layer_sizes=(4,))
    W0, W1 = np.full((8, 4), 0.1), np.full((4, 3), -0.2)
    reg.coefs_ = [W0, W1]
    reg.intercepts_ = [np.zeros(4), np.ones(3)]
    reg.n_features_in_, reg.n_outputs_ = 8, 3
    expected = np.maximum(X @ W0, 0.0) @ W1 + 1.0
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-12)
    assert np.shares_memory(reg.coefs_[1], reg.fastnn_model_.params)
    only_coefs = MLPRegressor(hidden_layer_sizes=(4,))
    only_coefs.coefs_ = [W0, W1]
    with pytest.raises(ValueError, match="intercepts_ was not"):
        _ = only_coefs.fastnn_model_
    chained = MLPRegressor(hidden_layer_sizes=(4,))
    chained.coefs_ = [W0, np.zeros((5, 3))]
    chained.intercepts_ = [np.zeros(4), np.zeros(3)]
    with pytest.raises(ValueError, match=r"coefs_\[1\] has shape \(5, 3\).*4 inputs"):
        chained.partial_fit(X, Y)
    # fit without warm_start starts afresh, as scikit-learn does: the assigned weights go
    fresh = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0)
    fresh.coefs_ = [W0, W1]
    fresh.intercepts_ = [np.zeros(4), np.ones(3)]
    fresh.fit(X, Y)
    assert not np.array_equal(fresh.coefs_[0], W0)


def test_early_stopping_divergence_matches_sklearn():
    """Diverging under early stopping (scikit-learn's issue 29504): the validation scores are
    scikit-learn's, NaN included, and the best epoch's weights come back; fastnn stops at the
    diverged epoch and warns."""
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True)
    settings = dict(
        hidden_layer_sizes=20,
        activation="identity",
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=20,
        early_stopping=True,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = skl.MLPRegressor(**settings).fit(X, y)
    with pytest.warns(ConvergenceWarning, match=r"Training diverged in epoch \d+.*restored"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ours = MLPRegressor(**settings).fit(X, y)
    k = ours.n_iter_
    assert k < theirs.n_iter_ and np.isnan(ours.validation_scores_[-1])
    assert isinstance(ours.validation_scores_[-1], float) and np.isnan(ours.loss_curve_[-1])
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_[:k], rtol=1e-10)
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_, rel=1e-10)
    _weights_agree(ours, theirs, 1e-10)
    assert np.isfinite(ours.predict(X)).all()


def test_early_stopping_split_is_stratified_like_sklearn():
    """The binary split is stratified on the binarized labels, as in scikit-learn: the same
    rows are held out, and a class too small to split is named as scikit-learn names it."""
    X, y = make_classification(200, 6, weights=[0.8], random_state=1)
    settings = dict(PLAIN_SGD, hidden_layer_sizes=(6,), early_stopping=True, max_iter=8)
    theirs = skl.MLPClassifier(**settings).fit(X, y)
    ours = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(ours.validation_scores_, theirs.validation_scores_, rtol=1e-12)
    _weights_agree(ours, theirs, 1e-8)
    with pytest.raises(ValueError, match=r"Classes with too few members are: \['True'\]"):
        MLPClassifier(early_stopping=True).fit(X[:4], [0, 0, 0, 1])


# --- errors -----------------------------------------------------------------------------------


def test_unavailable_and_invalid_options_raise(regression, classification):
    X, Y = regression
    with pytest.raises(ValueError, match="loss must be 'squared_error' or 'poisson'"):
        MLPRegressor(loss="absolute_error").fit(X, Y[:, 0])
    with pytest.raises(AttributeError, match="has no attribute 'partial_fit'") as excinfo:
        MLPRegressor(solver="lbfgs").partial_fit(X, Y)
    assert "only available for the stochastic solvers" in str(excinfo.value.__cause__)
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")
    with pytest.raises(ValueError, match="solver must be one of"):
        MLPRegressor(solver="newton").fit(X, Y)
    with pytest.raises(ValueError, match="activation must be one of"):
        MLPRegressor(activation="softmax").fit(X, Y)
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold integers >= 1"):
        MLPRegressor(hidden_layer_sizes=(4, 0)).fit(X, Y)
    with pytest.raises(ValueError, match=r"momentum must be in the range \[0, 1\]"):
        MLPRegressor(momentum=1.5).fit(X, Y)
    with pytest.raises(TypeError, match="batch_size must be 'auto' or an integer"):
        MLPRegressor(batch_size=2.5).fit(X, Y)
    with pytest.raises(ValueError, match="learning_rate_init must be in the range"):
        MLPRegressor(learning_rate_init=0).fit(X, Y)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping"):
        MLPRegressor(early_stopping=True).partial_fit(X, Y)
    with pytest.raises(NotFittedError):
        MLPRegressor().predict(X)
    with pytest.raises(NotFittedError):
        _ = MLPRegressor().coefs_
    Xc, yc = classification
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        MLPClassifier().partial_fit(Xc, yc)


def test_warm_start_with_other_architecture_raises(regression):
    X, Y = regression
    reg = MLPRegressor(hidden_layer_sizes=(4,), max_iter=2, warm_start=True).fit(X, Y)
    reg.set_params(hidden_layer_sizes=(5,))
    theta = reg.fastnn_model_.params.copy()
    with pytest.raises(ValueError, match="refit with warm_start=False"):
        reg.fit(X, Y)
    assert np.array_equal(reg.fastnn_model_.params, theta)


def test_divergence_is_a_value_error(regression):
    X, Y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), solver="sgd", learning_rate_init=1e3, max_iter=50, random_state=0
    )
    # scikit-learn's sentence first, fastnn's details after it
    with pytest.raises(ValueError, match="non-finite parameter weights") as excinfo:
        reg.fit(X * 1e3, Y)
    assert str(excinfo.value).startswith(
        "Solver produced non-finite parameter weights. The input data may contain large values "
        "and need to be preprocessed. (fastnn: "
    )
    assert np.isfinite(reg.fastnn_model_.params).all()


# --- scikit-learn's tools ---------------------------------------------------------------------


@pytest.mark.slow_as_python
def test_pipeline_grid_search_and_cross_validation(classification):
    X, y = classification
    pipe = make_pipeline(StandardScaler(), MLPClassifier(max_iter=50, random_state=0))
    grid = GridSearchCV(pipe, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3, n_jobs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        grid.fit(X, y)
    assert grid.best_params_["mlpclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    assert grid.score(X, y) > 0.8
    scores = cross_val_score(
        MLPRegressor(
            hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, random_state=0
        ),
        X,
        X[:, 0] - X[:, 1],
        cv=3,
        n_jobs=2,
    )
    assert scores.shape == (3,) and (scores > 0.5).all()
    serial = cross_val_score(
        MLPRegressor(
            hidden_layer_sizes=(8,), learning_rate_init=0.01, max_iter=300, random_state=0
        ),
        X,
        X[:, 0] - X[:, 1],
        cv=3,
    )
    np.testing.assert_allclose(scores, serial)


def test_clone_and_pickle(classification):
    X, y = classification
    clf = MLPClassifier((6,), max_iter=20, random_state=0).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "n_iter_")
    restored = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    assert restored.loss_curve_ == clf.loss_curve_
    assert np.shares_memory(restored.coefs_[0], restored.fastnn_model_.params)
    assert not np.shares_memory(restored.coefs_[0], clf.fastnn_model_.params)
    # a restored estimator keeps training where the original would
    clf.set_params(warm_start=True).fit(X, y)
    restored.set_params(warm_start=True).fit(X, y)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))


# --- scikit-learn stays optional --------------------------------------------------------------


def test_import_fastnn_does_not_import_sklearn():
    code = "import sys, fastnn; sys.exit('sklearn' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_missing_sklearn_gives_install_hint():
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "try:\n    import fastnn.sklearn\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "pip install fastnn[sklearn]" in out
