"""fastnn.sklearn.GridSearchCV and RandomizedSearchCV: scikit-learn's results, concurrent fits."""

from __future__ import annotations

import inspect
import re
import threading
import warnings

import numpy as np
import pytest

pytest.importorskip("sklearn")

import sklearn
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV as SklearnGridSearchCV
from sklearn.model_selection import RandomizedSearchCV as SklearnRandomizedSearchCV
from sklearn.model_selection._validation import _fit_and_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from fastnn import _search
from fastnn.sklearn import GridSearchCV, MLPClassifier, RandomizedSearchCV

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

GRID = {"hidden_layer_sizes": [(4,), (12,)], "learning_rate_init": [3e-3, 3e-2]}


@pytest.fixture(scope="module")
def data():
    X, y = make_classification(
        n_samples=150, n_features=6, n_informative=4, n_classes=3, random_state=0
    )
    return X, y


def _estimator(**kw):
    return MLPClassifier(max_iter=6, random_state=0, **kw)


def assert_same_results(ours, theirs, tol=1e-9):
    """Every key of scikit-learn's cv_results_, equal (times excepted: only their shapes)."""
    assert set(ours.cv_results_) == set(theirs.cv_results_)
    for key, expected in theirs.cv_results_.items():
        actual = ours.cv_results_[key]
        if key == "params":
            assert actual == expected
        elif key.endswith("_time"):
            assert np.shape(actual) == np.shape(expected)
        elif key.startswith("param_"):
            assert list(actual) == list(expected), key
        elif key.startswith("rank_"):
            np.testing.assert_array_equal(actual, expected, err_msg=key)
            assert actual.dtype == expected.dtype
        else:
            np.testing.assert_allclose(actual, expected, rtol=0, atol=tol, err_msg=key)


# --- the same results as scikit-learn's searches ------------------------------------------------


def test_grid_search_equals_sklearn_over_fastnn(data):
    X, y = data
    kw = dict(cv=3, return_train_score=True)
    ours = GridSearchCV(_estimator(), GRID, n_jobs=2, **kw).fit(X, y)
    theirs = SklearnGridSearchCV(_estimator(), GRID, n_jobs=1, **kw).fit(X, y)
    assert_same_results(ours, theirs)
    assert "mean_train_score" in ours.cv_results_ and "split2_test_score" in ours.cv_results_
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_score_ == pytest.approx(theirs.best_score_, abs=1e-9)
    assert ours.n_splits_ == theirs.n_splits_ == 3
    assert ours.multimetric_ is theirs.multimetric_ is False
    assert type(ours.scorer_) is type(theirs.scorer_) and repr(ours.scorer_) == repr(theirs.scorer_)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.refit_time_ >= 0 and ours.n_features_in_ == 6
    assert isinstance(ours.best_estimator_, MLPClassifier)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-12)
    assert ours.score(X, y) == theirs.score(X, y)


def test_randomized_search_equals_sklearn(data):
    from scipy.stats import loguniform

    X, y = data
    space = {
        "hidden_layer_sizes": [(4,), (8,), (12,)],
        "learning_rate_init": loguniform(1e-3, 1e-1),
    }
    kw = dict(n_iter=4, cv=3, random_state=7)
    ours = RandomizedSearchCV(_estimator(), space, n_jobs=2, **kw).fit(X, y)
    theirs = SklearnRandomizedSearchCV(_estimator(), space, n_jobs=1, **kw).fit(X, y)
    assert len(ours.cv_results_["params"]) == 4
    assert_same_results(ours, theirs)
    assert ours.best_params_ == theirs.best_params_


def test_multimetric_with_refit_by_name_equals_sklearn(data):
    X, y = data
    kw = dict(cv=3, scoring=["accuracy", "neg_log_loss"], refit="neg_log_loss")
    ours = GridSearchCV(_estimator(), GRID, n_jobs=2, **kw).fit(X, y)
    theirs = SklearnGridSearchCV(_estimator(), GRID, **kw).fit(X, y)
    assert_same_results(ours, theirs)
    assert ours.multimetric_ is True
    assert "rank_test_neg_log_loss" in ours.cv_results_
    assert ours.best_index_ == theirs.best_index_
    assert set(ours.scorer_) == {"accuracy", "neg_log_loss"}


def test_callable_scoring_and_no_refit_equal_sklearn(data):
    X, y = data

    def scores(estimator, X, y):
        return {"acc": float(np.mean(estimator.predict(X) == y)), "n": float(len(y))}

    kw = dict(cv=3, scoring=scores, refit=False)
    ours = GridSearchCV(_estimator(), GRID, n_jobs=2, **kw).fit(X, y)
    theirs = SklearnGridSearchCV(_estimator(), GRID, **kw).fit(X, y)
    assert_same_results(ours, theirs)
    assert not hasattr(ours, "best_estimator_") and not hasattr(ours, "best_index_")


def test_pipeline_and_sample_weight_equal_sklearn(data):
    X, y = data
    weights = np.linspace(0.5, 1.5, len(y))
    pipe = Pipeline([("scale", StandardScaler()), ("mlp", _estimator())])
    grid = {"mlp__hidden_layer_sizes": [(4,), (12,)], "mlp__alpha": [1e-4, 1e-1]}
    ours = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y, mlp__sample_weight=weights)
    theirs = SklearnGridSearchCV(pipe, grid, cv=3).fit(X, y, mlp__sample_weight=weights)
    assert_same_results(ours, theirs)
    unweighted = GridSearchCV(pipe, grid, cv=3, n_jobs=2).fit(X, y)
    assert not np.array_equal(
        unweighted.cv_results_["mean_test_score"], ours.cv_results_["mean_test_score"]
    ) or not np.array_equal(
        unweighted.best_estimator_.predict_proba(X), ours.best_estimator_.predict_proba(X)
    )


def test_other_estimators_work_too(data):
    X, y = data
    grid = {"C": [0.01, 1.0, 100.0]}
    ours = GridSearchCV(LogisticRegression(max_iter=200), grid, cv=3, n_jobs=2).fit(X, y)
    theirs = SklearnGridSearchCV(LogisticRegression(max_iter=200), grid, cv=3).fit(X, y)
    assert_same_results(ours, theirs)


@pytest.mark.parametrize("n_jobs", [None, 1, -1, 3])
def test_every_n_jobs_gives_the_same_results(data, n_jobs):
    X, y = data
    reference = SklearnGridSearchCV(_estimator(), GRID, cv=3).fit(X, y)
    ours = GridSearchCV(_estimator(), GRID, cv=3, n_jobs=n_jobs, pre_dispatch=1).fit(X, y)
    assert_same_results(ours, reference)


def test_random_state_instances_give_sklearns_results(data):
    """A RandomState given to the estimator is copied into every clone, in threads as in a loop:
    every fit starts from the same state, as in scikit-learn's sequential search."""
    X, y = data
    est = MLPClassifier(max_iter=6, random_state=np.random.RandomState(3))
    ours = GridSearchCV(est, GRID, cv=3, n_jobs=2).fit(X, y)
    theirs = SklearnGridSearchCV(est, GRID, cv=3).fit(X, y)
    assert_same_results(ours, theirs)


def test_failed_fits_follow_error_score(data):
    X, y = data
    grid = {"hidden_layer_sizes": [(4,)], "learning_rate_init": [-1.0, 1e-2]}  # -1 fails
    with pytest.warns(FitFailedWarning):
        ours = GridSearchCV(_estimator(), grid, cv=3, n_jobs=2, error_score=-5.0).fit(X, y)
    with pytest.warns(FitFailedWarning):
        theirs = SklearnGridSearchCV(_estimator(), grid, cv=3, error_score=-5.0).fit(X, y)
    assert_same_results(ours, theirs)
    assert ours.cv_results_["mean_test_score"][0] == -5.0
    with pytest.raises(ValueError, match="learning_rate_init"):
        GridSearchCV(_estimator(), grid, cv=3, n_jobs=2, error_score="raise").fit(X, y)


# --- how the fits run -------------------------------------------------------------------------

_records: list[tuple] = []
_records_lock = threading.Lock()


class RecordingMLP(MLPClassifier):
    """Notes the thread, the network and the scikit-learn config of every fit."""

    def fit(self, X, y, sample_weight=None):
        with _records_lock:
            _records.append(
                (
                    threading.current_thread().name,
                    tuple(np.atleast_1d(self.hidden_layer_sizes)),
                    sklearn.get_config()["working_memory"],
                )
            )
        return super().fit(X, y, sample_weight)


def test_fits_run_in_threads_largest_first_with_the_callers_config(data):
    X, y = data
    _records.clear()
    with sklearn.config_context(working_memory=123):
        GridSearchCV(RecordingMLP(max_iter=6, random_state=0), GRID, cv=3, n_jobs=2).fit(X, y)
    fits, refit = _records[:-1], _records[-1]
    assert len(fits) == 12
    threads = {name for name, _, _ in fits}
    assert len(threads) == 2 and all(name.startswith("fastnn-search") for name in threads)
    assert refit[0] == threading.current_thread().name  # the refit runs in the caller's thread
    assert {config for _, _, config in _records} == {123}
    # the larger network's six fits are queued first (two threads: the first two fits started
    # are 12 wide, the last two 4 wide)
    widths = [hidden[0] for _, hidden, _ in fits]
    assert widths[:2] == [12, 12] and widths[-2:] == [4, 4]
    _records.clear()
    GridSearchCV(RecordingMLP(max_iter=6, random_state=0), GRID, cv=3, n_jobs=1).fit(X, y)
    assert [hidden[0] for _, hidden, _ in _records[:-1]] == [12] * 6 + [4] * 6
    assert {name for name, _, _ in _records} == {threading.current_thread().name}


def test_blas_is_limited_to_one_thread_only_while_fits_run_in_threads(data):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    X, y = data
    seen = []

    class BlasProbe(MLPClassifier):
        def fit(self, X, y, sample_weight=None):
            seen.append(
                max(
                    (
                        i["num_threads"]
                        for i in threadpoolctl.threadpool_info()
                        if i["user_api"] == "blas"
                    ),
                    default=1,
                )
            )
            return super().fit(X, y, sample_weight)

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
        GridSearchCV(BlasProbe(max_iter=3, random_state=0), GRID, cv=3, n_jobs=2).fit(X, y)
        after = [i["num_threads"] for i in threadpoolctl.threadpool_info()]
    assert set(seen[:-1]) == {1}  # the concurrent fits
    assert before == after  # restored for the refit and afterwards


def test_cost_model_orders_by_network_size_and_groups_architectures():
    est = MLPClassifier(max_iter=60)
    small = _search._cost(clone(est).set_params(hidden_layer_sizes=(32,)), 1000, 64, 10)
    large = _search._cost(clone(est).set_params(hidden_layer_sizes=(128,)), 1000, 64, 10)
    deep = _search._cost(clone(est).set_params(hidden_layer_sizes=(32, 32)), 1000, 64, 10)
    assert small == (1000 * 60 * (64 * 32 + 32 * 10), "64-32-10")
    assert large[0] > deep[0] > small[0] and large[1] == "64-128-10"
    pipe = Pipeline([("s", StandardScaler()), ("m", est)])
    assert _search._cost(pipe, 100, 4, 1)[1] == "4-100-1"
    assert _search._cost(LogisticRegression(), 100, 4, 1) == (0.0, "")

    def task(i, cost, arch):
        return _search._Task(i, i // 2, i % 2, {}, np.arange(2), np.arange(2), cost, arch)

    tasks = [task(0, 1.0, "a"), task(1, 5.0, "b"), task(2, 1.0, "c"), task(3, 5.0, "b")]
    assert [t.index for t in _search._execution_order(tasks)] == [1, 3, 0, 2]
    many = [task(i, float(1 + i % 5), "x") for i in range(40)]
    blocks = _search._blocks(many, 6)
    assert 1 < len(blocks) <= 6
    assert sorted(t.index for block in blocks for t in block) == list(range(40))
    totals = [sum(t.cost for t in block) for block in blocks]
    assert max(totals) <= 2 * sum(totals) / len(blocks)
    assert len(_search._blocks(many[:3], 10)) == 3


def test_thread_count():
    assert _search._thread_count(None, 10) == 1
    assert _search._thread_count(2, 10) == 2
    assert _search._thread_count(8, 3) == 3
    assert _search._thread_count(-1, 1000) == __import__("joblib").cpu_count()
    import joblib

    with joblib.parallel_config(n_jobs=2):
        assert _search._thread_count(None, 10) == 2


def test_verbose_reports_progress_on_stderr(data, capsys):
    X, y = data
    search = GridSearchCV(_estimator(), GRID, cv=3, n_jobs=2, verbose=1).fit(X, y)
    out, err = capsys.readouterr()
    assert "Fitting 3 folds for each of 4 candidates, totalling 12 fits" in out
    lines = [line for line in err.splitlines() if line.startswith("[GridSearchCV]")]
    assert lines, err
    done = [int(re.search(r"\] (\d+)/12 fits done", line).group(1)) for line in lines]
    assert done == sorted(done) and done[-1] == 12
    assert f"best mean test score so far {search.best_score_:.4f}" in lines[-1]
    assert re.search(r"[\d.]+ s elapsed$", lines[-1])
    GridSearchCV(_estimator(), GRID, cv=3, n_jobs=2, verbose=2).fit(X, y)
    err = capsys.readouterr().err
    assert len([line for line in err.splitlines() if "fits done" in line]) == 12
    GridSearchCV(_estimator(), GRID, cv=3, n_jobs=2).fit(X, y)
    assert "fits done" not in capsys.readouterr().err


def test_drop_in_parameters_and_clone():
    ours = inspect.signature(GridSearchCV).parameters
    theirs = inspect.signature(SklearnGridSearchCV).parameters
    assert list(ours)[: len(theirs)] == list(theirs) and list(ours)[len(theirs) :] == ["client"]
    for name, parameter in theirs.items():
        assert ours[name].default is parameter.default or ours[name].default == parameter.default
    theirs_r = inspect.signature(SklearnRandomizedSearchCV).parameters
    assert set(inspect.signature(RandomizedSearchCV).parameters) == {*theirs_r, "client"}

    class FakeClient:
        def submit(self): ...

        def scatter(self): ...

    client = FakeClient()
    search = GridSearchCV(_estimator(), GRID, client=client)
    twin = clone(search)
    assert twin.client is client and twin is not search
    assert twin.get_params()["param_grid"] == GRID


def test_bad_client_is_refused(data):
    X, y = data
    with pytest.raises(TypeError, match=r"GridSearchCV: client must be .* got int"):
        GridSearchCV(_estimator(), GRID, client=3).fit(X, y)


def test_sklearn_private_fit_and_score_keeps_the_contract_we_use(data):
    """Pins scikit-learn's private _fit_and_score: its arguments and the keys of its result."""
    X, y = data
    used = {"scorer", "train", "test", "verbose", "parameters", "fit_params", "score_params"}
    used |= {"return_train_score", "return_parameters", "return_n_test_samples", "return_times"}
    used |= {"split_progress", "candidate_progress", "error_score"}
    assert used <= set(inspect.signature(_fit_and_score).parameters)
    from sklearn.metrics import check_scoring

    est = _estimator()
    out = _fit_and_score(
        clone(est),
        X,
        y,
        scorer=check_scoring(est),
        train=np.arange(100),
        test=np.arange(100, 150),
        verbose=0,
        parameters={"hidden_layer_sizes": (4,)},
        fit_params=None,
        score_params=None,
        return_train_score=True,
        return_n_test_samples=True,
        return_times=True,
    )
    assert {"test_scores", "train_scores", "n_test_samples", "fit_time", "score_time"} <= set(out)
    assert out["n_test_samples"] == 50 and out["fit_error"] is None
    fitted = clone(est).set_params(hidden_layer_sizes=(4,)).fit(X[:100], y[:100])
    assert out["test_scores"] == fitted.score(X[100:], y[100:])


def test_concurrent_fits_of_fastnn_estimators_equal_sequential_ones(data):
    """The thread safety the search relies on: same seeds, same models, in any thread."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = data
    settings = [dict(hidden_layer_sizes=(h,), random_state=s) for h in (4, 16) for s in (0, 1)]

    def fit(kw):
        return MLPClassifier(max_iter=8, **kw).fit(X, y).predict_proba(X)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sequential = [fit(kw) for kw in settings]
        with ThreadPoolExecutor(4) as pool:
            concurrent = list(pool.map(fit, settings * 2))
    for i, proba in enumerate(concurrent):
        np.testing.assert_array_equal(proba, sequential[i % len(settings)])


# --- dask ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.mark.slow
@pytest.mark.slow_as_python
def test_dask_runs_the_fits_on_workers_with_local_results(data, dask_client, capsys):
    import joblib

    from fastnn.kernels import _aot

    X, y = data
    local = GridSearchCV(_estimator(), GRID, cv=3, n_jobs=2).fit(X, y)
    on_client = GridSearchCV(_estimator(), GRID, cv=3, client=dask_client, verbose=1).fit(X, y)
    assert_same_results(on_client, local, tol=0)
    assert "12/12 fits done" in capsys.readouterr().err
    address = dask_client.scheduler.address
    by_address = GridSearchCV(_estimator(), GRID, cv=3, client=address).fit(X, y)
    assert_same_results(by_address, local, tol=0)
    with joblib.parallel_config(backend="dask"):
        under_joblib = RandomizedSearchCV(_estimator(), GRID, n_iter=3, cv=3, random_state=1).fit(
            X, y
        )
    local_r = RandomizedSearchCV(_estimator(), GRID, n_iter=3, cv=3, random_state=1).fit(X, y)
    assert_same_results(under_joblib, local_r, tol=0)
    # the fits ran in the worker processes, which use the kernels this process uses (the
    # precompiled ones, unless this run forces the JIT), not a compilation of their own
    pids = dask_client.run(lambda: __import__("os").getpid())
    assert len(pids) == 2 and __import__("os").getpid() not in pids.values()
    statuses = dask_client.run(lambda: __import__("fastnn.kernels._aot").kernels._aot.status())
    assert [s["kernels"] for s in statuses.values()] == [_aot.status()["kernels"]] * 2
    # blocks of fits ran there: _run_block warmed the float64 kernels of those workers
    warmed = dask_client.run(
        lambda: sorted(getattr(__import__("sys").modules.get("fastnn._search"), "_warm_dtypes", ()))
    )
    assert ["float64"] in warmed.values()
