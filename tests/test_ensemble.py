"""fastnn.Ensemble: K models' θ as rows of one array, predicted together, saved as one file."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
from conftest import regression_data

import fastnn
from fastnn import _io


def _models(k=3, sizes=(3, 4, 2), dtype="float64", **kwargs):
    rng = np.random.default_rng(0)
    X, y = regression_data(rng, 30, sizes[0], sizes[-1])
    models = []
    for seed in range(k):
        net = fastnn.MLP(sizes, "tanh", seed=seed, dtype=dtype, **kwargs)
        net.fit(X, y, epochs=3, learning_rate=0.05, batch_size=5)
        models.append(net)
    return models, X


def test_from_models_copies_and_stacks():
    models, _ = _models()
    before = [m.params.copy() for m in models]
    ens = fastnn.Ensemble(models)
    assert ens.params.shape == (3, models[0].n_params)
    for k, model in enumerate(models):
        assert np.array_equal(ens.params[k], model.params)
        assert not np.shares_memory(ens[k].params, model.params)
        assert np.shares_memory(ens[k].params, ens.params[k])
        assert ens.histories_[k] is model.history_
    ens.params[:] = 0.0
    for k, model in enumerate(models):
        assert np.array_equal(model.params, before[k])  # the models given are untouched
    assert len(ens) == 3 and ens.n_models == 3 and ens.layer_sizes == (3, 4, 2)


def test_predict_mean_and_each_model():
    models, X = _models(4)
    ens = fastnn.Ensemble(models)
    each = ens.predict(X, reduce=None)
    assert each.shape == (4, 30, 2)
    for k, model in enumerate(models):
        assert np.array_equal(each[k], model.predict(X))
    total = models[0].predict(X)
    for model in models[1:]:
        total = total + model.predict(X)
    assert np.array_equal(ens.predict(X), total / 4)
    np.testing.assert_allclose(ens.predict(X), np.mean(each, axis=0), rtol=1e-12)
    one = ens.predict(X[0])  # one sample as 1-D
    assert one.shape == (2,) and np.array_equal(one, ens.predict(X[:1])[0])
    assert ens.predict(X[0], reduce=None).shape == (4, 2)
    assert ens.predict(X.tolist()).shape == (30, 2)
    with pytest.raises(ValueError, match="reduce"):
        ens.predict(X, reduce="median")
    with pytest.raises(ValueError, match="features"):
        ens.predict(X[:, :2])


def test_architecture_must_match():
    a = fastnn.MLP((3, 4, 2), "tanh", seed=0)
    with pytest.raises(ValueError, match="another architecture"):
        fastnn.Ensemble([a, fastnn.MLP((3, 5, 2), "tanh", seed=0)])
    with pytest.raises(ValueError, match="another architecture"):
        fastnn.Ensemble([a, fastnn.MLP((3, 4, 2), "relu", seed=0)])
    with pytest.raises(ValueError, match="another architecture"):
        fastnn.Ensemble([a, fastnn.MLP((3, 4, 2), "tanh", seed=0, dtype="float32")])
    with pytest.raises(ValueError, match="at least one"):
        fastnn.Ensemble([])
    with pytest.raises(TypeError, match=r"models\[1\] must be a fastnn\.MLP"):
        fastnn.Ensemble([a, "not a model"])


def test_subset_and_indexing():
    models, _ = _models(4)
    ens = fastnn.Ensemble(models)
    sub = ens.subset([3, 1])
    assert np.array_equal(sub.params, ens.params[[3, 1]])
    assert not np.shares_memory(sub.params, ens.params)
    mask = ens.subset(np.array([True, False, True, False]))
    assert np.array_equal(mask.params, ens.params[[0, 2]])
    with pytest.raises(IndexError):
        ens.subset([4])
    with pytest.raises(ValueError, match="no model"):
        ens.subset(np.zeros(4, bool))
    with pytest.raises(TypeError):
        ens["0"]
    assert ens[-1] is ens.models[-1]


def _fitted(X, labels, seed, hidden=(6,), **fit):
    clf = fastnn.Classifier(hidden, "tanh", seed=seed)
    clf.fit(X, labels, **fit)
    return clf


def test_classifier_ensembles():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 4))
    labels3 = np.array(["a", "b", "c"])[np.argmax(X[:, :3], axis=1)]
    labels2 = np.where(X[:, 0] > 0, 5, 7)
    for labels in (labels3, labels2):
        clfs = [_fitted(X, labels, seed=s, epochs=5, batch_size=10) for s in range(3)]
        ens = fastnn.Ensemble.from_classifiers(clfs)
        proba = ens.predict_proba(X)
        expected = np.mean([c.predict_proba(X) for c in clfs], axis=0)
        np.testing.assert_allclose(proba, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        assert np.array_equal(ens.predict_labels(X), clfs[0].classes_[np.argmax(expected, 1)])
        assert ens.predict_proba(X[0]).shape == (proba.shape[1],)
    regression = fastnn.Ensemble(_models()[0])
    with pytest.raises(ValueError, match="predict_proba needs"):
        regression.predict_proba(np.zeros((1, 3)))
    other = _fitted(X, np.where(X[:, 1] > 0, 1, 2), seed=0, epochs=1)
    with pytest.raises(ValueError, match="other classes_"):
        fastnn.Ensemble.from_classifiers([clfs[0], other])
    with pytest.raises(ValueError, match="not a fitted"):
        fastnn.Ensemble.from_classifiers([fastnn.Classifier()])


def test_train_many_classifier_network_predicts_labels():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((40, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)
    ens = fastnn.train_many(
        (2, 4, 1),
        X,
        y,
        activations=["tanh", "sigmoid"],
        loss="binary_crossentropy",
        n_models=3,
        seeds=0,
        epochs=15,
        learning_rate=0.5,
        batch_size=8,
    )
    assert (ens.predict_labels(X) == y).mean() > 0.85
    assert ens.predict_proba(X).shape == (40, 2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_save_and_load_round_trip(tmp_path, dtype):
    models, X = _models(3, dtype=dtype)
    ens = fastnn.Ensemble(models)
    path = tmp_path / "ens.fnn"
    ens.save(path)
    assert os.listdir(tmp_path) == ["ens.fnn"]  # no temporary file left behind
    back = fastnn.Ensemble.load(path)
    assert back.params.dtype == np.dtype(dtype)
    assert np.array_equal(back.params, ens.params)
    assert back.spec.describe() == ens.spec.describe()
    assert np.array_equal(back.predict(X), ens.predict(X))
    for k in range(3):
        assert np.shares_memory(back[k].params, back.params[k])
        assert back[k]._rng.bit_generator.state == ens[k]._rng.bit_generator.state
    # a loaded model trains on exactly as the saved one would
    ens[1].fit(X, np.zeros((30, 2)), epochs=2, batch_size=4)
    back[1].fit(X, np.zeros((30, 2)), epochs=2, batch_size=4)
    assert np.array_equal(back.params[1], ens.params[1])


def test_classes_are_saved(tmp_path):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 3))
    labels = np.array(["cat", "dog", "owl"])[rng.integers(0, 3, 40)]
    clfs = [_fitted(X, labels, seed=s, epochs=2, hidden=(4,)) for s in range(2)]
    ens = fastnn.Ensemble.from_classifiers(clfs)
    ens.save(tmp_path / "c.fnn")
    back = fastnn.Ensemble.load(tmp_path / "c.fnn")
    assert back.classes_.tolist() == ["cat", "dog", "owl"]
    assert np.array_equal(back.predict_labels(X), ens.predict_labels(X))
    weird = fastnn.Ensemble([c.model for c in clfs], classes=np.array([1.5, 2.5, 3.5]))
    with pytest.raises(ValueError, match="strings or all integers"):
        weird.save(tmp_path / "w.fnn")
    with pytest.raises(ValueError, match="one label per class"):
        fastnn.Ensemble([c.model for c in clfs], classes=["a", "b"])


def test_model_and_ensemble_files_name_each_others_loader(tmp_path):
    models, _ = _models(2)
    models[0].save(tmp_path / "m.fnn")
    fastnn.Ensemble(models).save(tmp_path / "e.fnn")
    with pytest.raises(
        fastnn.ModelFileError, match=r"fastnn model file; load it with fastnn\.load"
    ):
        fastnn.Ensemble.load(tmp_path / "m.fnn")
    with pytest.raises(fastnn.ModelFileError, match=r"load it with fastnn\.Ensemble\.load"):
        fastnn.load(tmp_path / "e.fnn")


def _forged(metadata: dict, values: np.ndarray) -> bytes:
    """A well-formed container (valid checksum) with whatever metadata, as an attacker makes it."""
    return _io._container(metadata, values, _io.FORMAT_VERSION, "ensemble")


def test_damaged_and_forged_files_are_refused(tmp_path):
    models, _ = _models(2)
    ens = fastnn.Ensemble(models)
    path = tmp_path / "e.fnn"
    ens.save(path)
    data = path.read_bytes()
    (tmp_path / "cut.fnn").write_bytes(data[:-40])
    with pytest.raises(fastnn.ModelFileError, match="damaged or truncated"):
        fastnn.Ensemble.load(tmp_path / "cut.fnn")
    flipped = bytearray(data)
    flipped[-50] ^= 1
    (tmp_path / "flip.fnn").write_bytes(bytes(flipped))
    with pytest.raises(fastnn.ModelFileError, match="checksum"):
        fastnn.Ensemble.load(tmp_path / "flip.fnn")
    head = json.loads(data[16 : 16 + int.from_bytes(data[12:16], "little")])
    # a huge n_models in a small file: refused by the size check, nothing allocated for it
    for n_models in (10**15, 3, 0, -1, True):
        forged = _forged({**head, "n_models": n_models}, ens.params.ravel())
        (tmp_path / "big.fnn").write_bytes(forged)
        with pytest.raises(fastnn.ModelFileError):
            fastnn.Ensemble.load(tmp_path / "big.fnn")
    wrong_states = _forged({**head, "rng_states": [None]}, ens.params.ravel())
    (tmp_path / "s.fnn").write_bytes(wrong_states)
    with pytest.raises(fastnn.ModelFileError, match="rng_states"):
        fastnn.Ensemble.load(tmp_path / "s.fnn")
    bad = ens.params.ravel().copy()
    bad[3] = np.nan
    (tmp_path / "nan.fnn").write_bytes(_forged(head, bad))
    with pytest.raises(fastnn.ModelFileError, match="NaN"):
        fastnn.Ensemble.load(tmp_path / "nan.fnn")
    with pytest.raises(FileNotFoundError):
        fastnn.Ensemble.load(tmp_path / "missing.fnn")


def test_pickle_keeps_rows_as_views():
    _, X = _models(3)
    ens = fastnn.train_many(
        (3, 4, 2),
        X,
        X[:, :2] * 10,
        activations="identity",
        n_models=3,
        seeds=0,
        epochs=3,
        batch_size=1,
        learning_rate=[0.01, 0.02, 1e3],
    )
    assert ens.diverged_.tolist() == [False, False, True]
    back = pickle.loads(pickle.dumps(ens))
    assert np.array_equal(back.params, ens.params)
    assert np.array_equal(back.predict(X), ens.predict(X))
    assert back.diverged_.tolist() == ens.diverged_.tolist()
    assert back.errors_[2].epoch == ens.errors_[2].epoch
    for k in range(3):
        assert np.shares_memory(back[k].params, back.params[k])
        assert np.array_equal(back.histories_[k].loss, ens.histories_[k].loss)
    back.params[0, 0] = 123.0
    assert back[0].weights[0][0, 0] == 123.0
