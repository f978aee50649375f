"""Hyper-parameter searches that run their (candidate, fold) fits concurrently.

:class:`GridSearchCV` and :class:`RandomizedSearchCV` are subclasses of scikit-learn's classes of
the same names: the same constructor parameters, candidates, ``cv_results_`` and fitted
attributes. Only the execution of the ``n_candidates × n_splits`` fits differs:

* **Threads, one process.** fastnn's kernels release the GIL, so fits of fastnn estimators run
  truly in parallel in threads of the calling process: no worker processes to start, no data or
  estimators to pickle, no kernels to load again. ``n_jobs`` is the number of threads. The fits
  are ordered by their estimated cost (weights × rows × epochs), largest first and fits of one
  architecture next to each other, so the threads stay busy until the end; BLAS is limited to
  one thread while several fits run (otherwise OpenBLAS's own threads and the fits' threads
  compete for the same cores: in one check on a 2-CPU machine, two 64-128-10 digits fits run
  at once took 0.44 s with OpenBLAS's two threads, against 0.24 s one after the other and
  0.14 s at once with BLAS at one thread).
* **dask.distributed.** With ``client=`` (a ``distributed.Client`` or a scheduler address), or
  inside ``joblib.parallel_config(backend="dask")``, the fits are cut into blocks of similar cost
  and each block runs on a worker (its data sent once per worker through ``client.scatter``).
  Workers import fastnn and use its precompiled kernels; the results equal a local run's.

Each fit goes through scikit-learn's ``_fit_and_score`` (clone, ``set_params``, fit, score), and
the results through ``BaseSearchCV._format_results``, so ``cv_results_`` has scikit-learn's keys,
order and ranks. What this module relies on in scikit-learn beyond its public API (tested
against scikit-learn 1.9.1 in ``tests/test_search.py``): ``sklearn.model_selection._validation``'s
``_fit_and_score``, ``_warn_or_raise_about_fit_failures`` and ``_insert_error_scores``;
``sklearn.utils.validation._check_method_params``; ``sklearn.base._fit_context``;
``sklearn.metrics._scorer._MultimetricScorer``; and ``BaseSearchCV``'s methods ``_run_search``,
``_get_scorers``, ``_get_routed_params_for_fit``, ``_check_input_parameters``,
``_format_results``, ``_select_best_index``, ``_check_refit_for_multimetric`` and (scikit-learn
1.9's callbacks) ``_init_callback_context``.
"""

from __future__ import annotations

import inspect
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from itertools import pairwise
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

import numpy as np

try:
    import joblib
    from sklearn import config_context, get_config
    from sklearn.base import _fit_context, clone, is_classifier
    from sklearn.metrics._scorer import _MultimetricScorer
    from sklearn.model_selection import GridSearchCV as _SklearnGridSearchCV
    from sklearn.model_selection import RandomizedSearchCV as _SklearnRandomizedSearchCV
    from sklearn.model_selection import check_cv
    from sklearn.model_selection._validation import (
        _fit_and_score,
        _insert_error_scores,
        _warn_or_raise_about_fit_failures,
    )
    from sklearn.utils import indexable
    from sklearn.utils.validation import _check_method_params
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "fastnn.sklearn.GridSearchCV needs scikit-learn >= 1.6, an optional dependency of "
        "fastnn: install it with `pip install fastnn[sklearn]`"
    ) from error

if TYPE_CHECKING:  # the class _ConcurrentSearch is mixed into (Any: sklearn has no types)
    from sklearn.model_selection._search import BaseSearchCV as _SearchBase
else:
    _SearchBase = object

__all__ = ["GridSearchCV", "RandomizedSearchCV"]

_FIT_AND_SCORE_ARGS = frozenset(inspect.signature(_fit_and_score).parameters)


class _Task(NamedTuple):
    """One (candidate, fold) fit; ``index`` is its place in scikit-learn's order."""

    index: int  # type: ignore[assignment]  # the field shadows tuple.index, which is not used
    candidate: int
    split: int
    parameters: dict
    train: np.ndarray
    test: np.ndarray
    cost: float
    architecture: str


# --- estimating what a fit costs --------------------------------------------------------------


def _find_param(params: dict, name: str):
    """``params[name]``, or the value of the one ``...__name`` key (a step of a Pipeline)."""
    if name in params:
        return params[name]
    found = [value for key, value in params.items() if key.endswith("__" + name)]
    return found[0] if len(found) == 1 else None


def _n_outputs(estimator, y) -> int:
    if y is None:
        return 1
    shape = getattr(y, "shape", None)
    if shape is not None and len(shape) == 2:
        return int(shape[1])
    if is_classifier(estimator):
        try:
            n_classes = len(np.unique(np.asarray(y)))
        except TypeError:  # labels that do not sort
            return 1
        return n_classes if n_classes > 2 else 1
    return 1


def _cost(estimator, n_rows: int, n_features: int, n_outputs: int) -> tuple[float, str]:
    """A fit's estimated cost (weights × rows × epochs) and its architecture's name.

    Estimators without ``hidden_layer_sizes`` (not fastnn's, not in a Pipeline) cost 0 and keep
    scikit-learn's order.
    """
    try:
        params = estimator.get_params(deep=True)
        hidden = _find_param(params, "hidden_layer_sizes")
        if hidden is None:
            return 0.0, ""
        hidden = [int(h) for h in np.atleast_1d(hidden)]
        epochs = _find_param(params, "max_iter")
        epochs = 1 if epochs is None else max(1, int(epochs))
    except (TypeError, ValueError, AttributeError):  # a bad candidate: its fit will say so
        return 0.0, ""
    sizes = [n_features, *hidden, n_outputs]
    weights = sum(a * b for a, b in pairwise(sizes))
    return float(weights) * n_rows * epochs, "-".join(map(str, sizes))


def _execution_order(tasks: list[_Task]) -> list[_Task]:
    """Largest fits first; fits of one architecture together; else scikit-learn's order."""
    return sorted(tasks, key=lambda task: (-task.cost, task.architecture, task.index))


def _blocks(tasks: list[_Task], n_blocks: int) -> list[list[_Task]]:
    """Cut the ordered ``tasks`` into about ``n_blocks`` runs of similar total cost."""
    ordered = _execution_order(tasks)
    n_blocks = max(1, min(n_blocks, len(ordered)))
    costs = [max(task.cost, 1.0) for task in ordered]
    target = sum(costs) / n_blocks
    blocks: list[list[_Task]] = []
    current: list[_Task] = []
    total = 0.0
    for task, cost in zip(ordered, costs, strict=True):
        current.append(task)
        total += cost
        if total >= target * 0.999 and len(blocks) < n_blocks - 1:
            blocks.append(current)
            current, total = [], 0.0
    if current:
        blocks.append(current)
    return blocks


# --- running fits ----------------------------------------------------------------------------

_warm_lock = threading.Lock()
_warm_dtypes: set[str] = set()


def _warm_kernels(X) -> None:
    """Load fastnn's kernels in this thread before several threads call them.

    The first call of a kernel loads the precompiled module and SciPy's BLAS bindings; doing it
    once here keeps concurrent first calls from racing (:func:`fastnn.warmup`, a few
    milliseconds with the precompiled kernels).
    """
    from . import warmup

    dtype = "float32" if getattr(X, "dtype", None) == np.float32 else "float64"
    with _warm_lock:
        if dtype not in _warm_dtypes:
            warmup((dtype,))
            _warm_dtypes.add(dtype)


def _fit_one(base, X, y, task: _Task, kwargs: dict, progress: tuple, config: dict, **extra):
    """``_fit_and_score`` of one task on a fresh clone, under the caller's scikit-learn config."""
    n_splits, n_candidates = progress
    extra = {key: value for key, value in extra.items() if key in _FIT_AND_SCORE_ARGS}
    with config_context(**config):
        return _fit_and_score(
            clone(base),
            X,
            y,
            train=task.train,
            test=task.test,
            parameters=task.parameters,
            split_progress=(task.split, n_splits),
            candidate_progress=(task.candidate, n_candidates),
            **kwargs,
            **extra,
        )


def _run_block(shared, block: list[_Task], progress: tuple) -> list[tuple[int, dict]]:
    """Run one block of fits, one after another (on a dask worker); their outputs by index."""
    base, X, y, kwargs, config = shared
    _warm_kernels(X)
    return [(task.index, _fit_one(base, X, y, task, kwargs, progress, config)) for task in block]


def _thread_count(n_jobs, n_tasks: int) -> int:
    """``n_jobs`` as threads: None is 1 (or joblib's ``parallel_config(n_jobs=...)``), -1 every
    CPU, -2 all but one, …; never more than there are fits."""
    with joblib.parallel_config(backend="threading"):
        n = joblib.effective_n_jobs(n_jobs)
    return max(1, min(int(n), n_tasks))


class _Progress:
    """Fits done, best mean score so far and elapsed time, reported on stderr (``verbose``)."""

    def __init__(self, name, total, n_splits, verbose, metric, start):
        self.name, self.total, self.n_splits = name, total, n_splits
        self.verbose, self.metric, self.start = verbose, metric, start
        self.done = 0
        self.folds: dict[int, list[float]] = {}
        self.best: float | None = None
        self.next_report = self._step()
        self.last_report = time.perf_counter()

    def _step(self) -> int:
        return self.done + (1 if self.verbose >= 2 else max(1, self.total // 10))

    def _score(self, out) -> float:
        scores = out["test_scores"]
        if isinstance(scores, dict):
            key = self.metric if self.metric in scores else next(iter(scores))
            scores = scores[key]
        try:
            return float(scores)
        except (TypeError, ValueError):
            return np.nan

    def update(self, task: _Task, out) -> None:
        if not self.verbose:
            return
        self.done += 1
        folds = self.folds.setdefault(task.candidate, [])
        folds.append(self._score(out))
        if len(folds) == self.n_splits:
            mean = float(np.mean(folds))
            if np.isfinite(mean) and (self.best is None or mean > self.best):
                self.best = mean
        now = time.perf_counter()
        if self.done >= self.next_report or self.done == self.total or now - self.last_report > 5:
            self.next_report = self._step()
            self.last_report = now
            best = "none complete yet" if self.best is None else f"{self.best:.4f}"
            print(
                f"[{self.name}] {self.done}/{self.total} fits done, best mean test score so "
                f"far {best}, {now - self.start:.1f} s elapsed",
                file=sys.stderr,
                flush=True,
            )


def _check_client(search, client):
    if client is None or isinstance(client, str):
        return
    if not (hasattr(client, "submit") and hasattr(client, "scatter")):
        raise TypeError(
            f"{type(search).__name__}: client must be None, a dask scheduler address (str) or a "
            f"dask.distributed.Client, got {type(client).__name__}"
        )


def _dask_client(search):
    """The dask client to run on, and whether this search opened it (None: run locally)."""
    client = search.client
    if isinstance(client, str):
        from distributed import Client

        return Client(client, set_as_default=False), True
    if client is not None:
        return client, False
    backend, _ = joblib.parallel.get_active_backend()
    if type(backend).__name__ == "DaskDistributedBackend":
        return backend.client, False
    return None, False


class _Evaluation:
    """The ``evaluate_candidates`` that ``_run_search`` calls, and what it has gathered."""

    def __init__(self, search, base, X, y, scorers, routed, refit_metric):
        self.search, self.base, self.X, self.y = search, base, X, y
        self.routed, self.refit_metric = routed, refit_metric
        self.kwargs = dict(
            scorer=scorers,
            fit_params=routed.estimator.fit,
            score_params=routed.scorer.score,
            return_train_score=search.return_train_score,
            return_n_test_samples=True,
            return_times=True,
            return_parameters=False,
            error_score=search.error_score,
            verbose=search.verbose,
        )
        self.config = get_config()
        self.start = time.perf_counter()
        self.candidates: list = []
        self.outputs: list = []
        self.more_results: dict[str, list] = {}
        self.results: dict = {}

    def evaluate_candidates(self, candidate_params, cv=None, more_results=None, callback_ctx=None):
        search = self.search
        cv = cv or search._checked_cv_orig
        candidate_params = list(candidate_params)
        n_candidates, n_splits = len(candidate_params), search.n_splits_
        splits = list(cv.split(self.X, self.y, **self.routed.splitter.split))
        if len(splits) != n_splits:
            raise ValueError(
                "cv.split and cv.get_n_splits return inconsistent results. Expected "
                f"{n_splits} splits, got {len(splits)}"
            )
        if search.verbose > 0:
            print(
                f"Fitting {n_splits} folds for each of {n_candidates} candidates, totalling "
                f"{n_candidates * n_splits} fits"
            )
        tasks = self._tasks(candidate_params, splits)
        contexts = [None] * len(tasks)
        if callback_ctx is not None:
            contexts = [
                callback_ctx.subcontext(task_name="candidate-split-evaluation", task_id=i)
                for i in range(len(tasks))
            ]
        progress = _Progress(
            type(search).__name__,
            len(tasks),
            n_splits,
            search.verbose,
            self.refit_metric,
            self.start,
        )
        out = self._execute(tasks, contexts, (n_splits, n_candidates), progress)
        if len(out) < 1:
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? Were there no candidates?"
            )
        _warn_or_raise_about_fit_failures(out, search.error_score)
        if callable(search.scoring):
            _insert_error_scores(out, search.error_score)
        self.candidates.extend(candidate_params)
        self.outputs.extend(out)
        for key, value in (more_results or {}).items():
            self.more_results.setdefault(key, []).extend(value)
        self.results = search._format_results(
            self.candidates, n_splits, self.outputs, self.more_results
        )
        return self.results

    def _tasks(self, candidate_params, splits) -> list[_Task]:
        X, y, base = self.X, self.y, self.base
        n_features = X.shape[1] if len(getattr(X, "shape", ())) == 2 else 1
        n_outputs = _n_outputs(base, y)
        tasks = []
        for c, parameters in enumerate(candidate_params):
            try:
                candidate = clone(base).set_params(**clone(parameters, safe=False))
            except Exception:  # an invalid candidate: _fit_and_score reports it
                candidate = None
            for s, (train, test) in enumerate(splits):
                cost, architecture = (
                    (0.0, "")
                    if candidate is None
                    else _cost(candidate, len(train), n_features, n_outputs)
                )
                tasks.append(
                    _Task(c * len(splits) + s, c, s, parameters, train, test, cost, architecture)
                )
        return tasks

    def _execute(self, tasks, contexts, progress_args, progress) -> list:
        if not tasks:
            return []
        client, opened = _dask_client(self.search)
        if client is not None:
            try:
                return self._execute_dask(client, tasks, progress_args, progress)
            finally:
                if opened:
                    client.close()
        return self._execute_threads(tasks, contexts, progress_args, progress)

    def _execute_threads(self, tasks, contexts, progress_args, progress) -> list:
        search, out = self.search, [None] * len(tasks)
        n_threads = _thread_count(search.n_jobs, len(tasks))

        def run(task):
            return _fit_one(
                self.base,
                self.X,
                self.y,
                task,
                self.kwargs,
                progress_args,
                self.config,
                caller=search,
                callback_ctx=contexts[task.index],
            )

        ordered = _execution_order(tasks)
        if n_threads == 1:
            for task in ordered:
                out[task.index] = run(task)
                progress.update(task, out[task.index])
            return out
        from threadpoolctl import threadpool_limits

        _warm_kernels(self.X)
        with (
            threadpool_limits(limits=1, user_api="blas"),
            ThreadPoolExecutor(n_threads, thread_name_prefix="fastnn-search") as pool,
        ):
            futures = {pool.submit(run, task): task for task in ordered}
            try:
                for future in as_completed(futures):
                    task = futures[future]
                    out[task.index] = future.result()
                    progress.update(task, out[task.index])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
        return out

    def _execute_dask(self, client, tasks, progress_args, progress) -> list:
        from distributed import as_completed as dask_completed

        out = [None] * len(tasks)
        n_threads = max(1, sum(client.nthreads().values()))
        blocks = _blocks(tasks, 4 * n_threads)
        (shared,) = client.scatter(
            [(self.base, self.X, self.y, self.kwargs, self.config)], broadcast=True, hash=False
        )
        futures = [
            client.submit(_run_block, shared, block, progress_args, pure=False) for block in blocks
        ]
        by_index = {task.index: task for task in tasks}
        try:
            for future in dask_completed(futures):
                for index, result in future.result():
                    out[index] = result
                    progress.update(by_index[index], result)
        except BaseException:
            client.cancel(futures)
            raise
        finally:
            client.cancel([shared])
        return out


# --- the estimators ---------------------------------------------------------------------------


class _ConcurrentSearch(_SearchBase):
    """What :class:`GridSearchCV` and :class:`RandomizedSearchCV` add to scikit-learn's."""

    client: Any  # None, a scheduler address or a distributed.Client: set by the subclasses

    def __sklearn_clone__(self):
        # a dask Client is a handle to share, not state to deep-copy
        client = self.client
        if client is None or isinstance(client, str):
            return super().__sklearn_clone__()
        try:
            self.client = None
            twin = super().__sklearn_clone__()
        finally:
            self.client = client
        twin.client = client
        return twin

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None, **params):
        """Run fit with every candidate on every split, concurrently; then refit the best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), default=None
        **params : dict of str -> object
            Passed to the estimator's ``fit``, the scorer and the CV splitter, as in
            scikit-learn (arrays of length ``n_samples`` are split with ``X``).

        Returns
        -------
        self : object
        """
        _check_client(self, self.client)
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        sample_weight = params.get("sample_weight")
        metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        root = None
        if hasattr(self, "_init_callback_context"):  # scikit-learn >= 1.9
            root = self._init_callback_context(
                max_subtasks=1 + (self.refit is not False)
            ).call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
        self._checked_cv_orig = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        self._check_input_parameters(X=X, y=y, split_params=routed.splitter.split)
        self.n_splits_ = self._checked_cv_orig.get_n_splits(X, y, **routed.splitter.split)
        base = clone(self.estimator)
        evaluation = _Evaluation(self, base, X, y, scorers, routed, refit_metric)
        if root is not None and "callback_ctx" in inspect.signature(self._run_search).parameters:
            self._run_search(evaluation.evaluate_candidates, callback_ctx=root)
        else:
            self._run_search(evaluation.evaluate_candidates)
        results = evaluation.results
        first_scores = evaluation.outputs[0]["test_scores"]
        self.multimetric_ = isinstance(first_scores, dict)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first_scores)
            refit_metric = self.refit
        if self.refit or not self.multimetric_:
            self.best_index_ = self._select_best_index(self.refit, refit_metric, results)
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][self.best_index_]
            self.best_params_ = results["params"][self.best_index_]
        if self.refit:
            self._refit(base, X, y, routed, root, metadata)
        self.scorer_ = scorers._scorers if isinstance(scorers, _MultimetricScorer) else scorers
        self.cv_results_ = results
        if root is not None:
            root.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)
        return self

    def _refit(self, base, X, y, routed, root, metadata) -> None:
        best = clone(base).set_params(**clone(self.best_params_, safe=False))
        self.best_estimator_ = best
        fit_args = (X,) if y is None else (X, y)
        if root is None:
            start = time.time()
            best.fit(*fit_args, **routed.estimator.fit)
            self.refit_time_ = time.time() - start
        else:
            context = root.subcontext(task_name="refit-with-best-params")
            with context.propagate_callback_context(best):
                context.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
                start = time.time()
                best.fit(*fit_args, **routed.estimator.fit)
                self.refit_time_ = time.time() - start
        if hasattr(best, "feature_names_in_"):
            self.feature_names_in_ = best.feature_names_in_
        if root is not None:
            context.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)


_CONCURRENCY_DOC = """
    n_jobs : int, default=None
        Number of threads running fits at once in this process: None means 1 (or the
        ``n_jobs`` of an enclosing ``joblib.parallel_config``), -1 every CPU, -2 all but one.
        fastnn's kernels release the GIL, so fits of fastnn estimators run in parallel; while
        several run, BLAS is limited to one thread each. Ignored when the fits go to dask.
    pre_dispatch : int or str, default="2*n_jobs"
        Accepted for compatibility and ignored: every fit is queued at once (threads share the
        data, nothing is copied per fit).
    client : None, str or distributed.Client, default=None
        Run the fits on a dask cluster: a ``distributed.Client`` or a scheduler address such as
        ``"tcp://scheduler:8786"`` (a client is opened for the ``fit`` and closed after it).
        With None, the fits also go to dask inside ``joblib.parallel_config(backend="dask")``,
        and otherwise run in local threads. Fits are sent in blocks of similar cost (about four
        per worker thread); the refit of the best candidate runs locally.

    With ``verbose > 0`` the search prints scikit-learn's "Fitting ..." line and reports on
    stderr the fits done out of the total, the best mean test score of the candidates completed
    so far and the elapsed time (every tenth of the fits and at least every 5 s; every fit with
    ``verbose >= 2``). scikit-learn's per-fit lines follow ``verbose`` as in scikit-learn.
"""


class GridSearchCV(_ConcurrentSearch, _SklearnGridSearchCV):
    __doc__ = (
        """Exhaustive search over a parameter grid, the fits run concurrently.

    A drop-in for :class:`sklearn.model_selection.GridSearchCV` made for fastnn's estimators
    (:class:`fastnn.sklearn.MLPClassifier`, :class:`fastnn.sklearn.MLPRegressor`, or Pipelines
    ending in them): the same parameters, candidates, ``cv_results_`` (keys, values, ranks) and
    fitted attributes (``best_params_``, ``best_score_``, ``best_estimator_``, ``best_index_``,
    ``n_splits_``, ``refit_time_``, ``scorer_``, ``multimetric_``, ``classes_``, …). The
    ``n_candidates × n_splits`` fits run in threads of this process (or on dask), largest
    networks first. Any other estimator works too, but holds the GIL while it fits.

    Parameters
    ----------
    estimator, param_grid, scoring, refit, cv, verbose, error_score, return_train_score
        As in :class:`sklearn.model_selection.GridSearchCV`."""
        + _CONCURRENCY_DOC
        + """
    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from fastnn.sklearn import GridSearchCV, MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> search = GridSearchCV(
    ...     MLPClassifier(max_iter=200, random_state=0),
    ...     {"hidden_layer_sizes": [(8,), (16,)], "learning_rate_init": [1e-2, 3e-2]},
    ...     cv=3,
    ...     n_jobs=2,
    ... )
    >>> sorted(search.fit(X / 8, y).best_params_)
    ['hidden_layer_sizes', 'learning_rate_init']
    >>> len(search.cv_results_["mean_test_score"])
    4
    """
    )

    _parameter_constraints: ClassVar[dict] = {
        **_SklearnGridSearchCV._parameter_constraints,
        "client": "no_validation",
    }

    def __init__(
        self,
        estimator,
        param_grid,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        error_score=np.nan,
        return_train_score=False,
        client=None,
    ):
        super().__init__(
            estimator,
            param_grid,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.client = client


class RandomizedSearchCV(_ConcurrentSearch, _SklearnRandomizedSearchCV):
    __doc__ = (
        """Randomized search over parameter settings, the fits run concurrently.

    A drop-in for :class:`sklearn.model_selection.RandomizedSearchCV` on the machinery of
    :class:`GridSearchCV`: the same ``random_state`` draws the same candidates as scikit-learn's,
    and ``cv_results_`` and the fitted attributes are the same.

    Parameters
    ----------
    estimator, param_distributions, n_iter, scoring, refit, cv, verbose, random_state,
    error_score, return_train_score
        As in :class:`sklearn.model_selection.RandomizedSearchCV`."""
        + _CONCURRENCY_DOC
    )

    _parameter_constraints: ClassVar[dict] = {
        **_SklearnRandomizedSearchCV._parameter_constraints,
        "client": "no_validation",
    }

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_iter=10,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
        client=None,
    ):
        super().__init__(
            estimator,
            param_distributions,
            n_iter=n_iter,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            random_state=random_state,
            error_score=error_score,
            return_train_score=return_train_score,
        )
        self.client = client
