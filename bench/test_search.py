"""W9b: a grid search on digits, three ways, in interleaved rounds.

The search: scikit-learn's 8×8 digits (all 1,797 rows, pixels scaled to [0, 1]),
``MLPClassifier(max_iter=60, random_state=0)`` (relu, Adam, batches of 200, the default ``tol``
and ``n_iter_no_change``), ``hidden_layer_sizes`` (32,), (64,), (128,) × ``learning_rate_init``
1e-3, 3e-3, 1e-2, 3e-2, 5-fold (stratified) cross-validation, accuracy, refit of the best: 60
fits and one refit. Timed as:

* ``fastnn``: :class:`fastnn.sklearn.GridSearchCV` over :class:`fastnn.sklearn.MLPClassifier`,
  ``n_jobs=2`` (two threads in this process);
* ``sklearn``: scikit-learn's ``GridSearchCV`` over its own ``MLPClassifier``, ``n_jobs=2``;
* ``sklearn-gridsearch-fastnn``: scikit-learn's ``GridSearchCV`` over fastnn's
  ``MLPClassifier``, ``n_jobs=2``.

Targets (bench/WORKLOADS.md): ``sklearn`` ≥ 3× and ``sklearn-gridsearch-fastnn`` ≥ 2× fastnn's
time. The two searches over fastnn's estimator must agree: ``mean_test_score`` to 1e-9, equal
ranks and best parameters (the test fails otherwise). scikit-learn's ``n_jobs=2`` runs in joblib's
loky worker processes; the untimed first call starts them (``first_call_s``), and joblib keeps
them for the rounds that follow, as it does in one session.

``pytest bench/test_search.py --benchmark-only`` times it (group ``W9b``); ``python
bench/test_search.py [--repeats N]`` interleaves the three N times (default 3) and prints the
median time and range of each, the per-round ratios and the agreement of the results.
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

try:
    from . import runners
    from .harness import interleave
except ImportError:  # run as a script: python bench/test_search.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench import runners
    from bench.harness import interleave

GRID = {
    "hidden_layer_sizes": [(32,), (64,), (128,)],
    "learning_rate_init": [1e-3, 3e-3, 1e-2, 3e-2],
}
SETTINGS = dict(max_iter=60, random_state=0)
CV = 5
N_JOBS = 2
IMPLS = ("fastnn", "sklearn", "sklearn-gridsearch-fastnn")
TITLE = "digits grid search: 3 widths x 4 learning rates, 5 folds, 60 epochs, n_jobs=2"


def digits():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return np.ascontiguousarray(X / 16.0), y


class Search:
    """One way of running the W9b search: ``fresh()`` builds it, ``run`` fits it."""

    def __init__(self, impl: str, X, y):
        self.impl, self.X, self.y = impl, X, y
        self.threads = {"search": f"n_jobs={N_JOBS}"}

    def fresh(self):
        from sklearn import model_selection, neural_network

        import fastnn.sklearn as fsk

        if self.impl == "sklearn":
            runners.import_peer("sklearn")
            search, estimator = model_selection.GridSearchCV, neural_network.MLPClassifier
        elif self.impl == "fastnn":
            search, estimator = fsk.GridSearchCV, fsk.MLPClassifier
        else:
            search, estimator = model_selection.GridSearchCV, fsk.MLPClassifier
        return search(estimator(**SETTINGS), GRID, cv=CV, n_jobs=N_JOBS)

    def run(self, search) -> None:
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(self.X, self.y)


def agreement(fitted: dict) -> dict:
    """How the searches' results compare: fastnn's against scikit-learn's over fastnn's estimator
    (must be equal) and against scikit-learn's own estimator (reported)."""
    ours = fitted["fastnn"].cv_results_
    result = {"best_params": {k: str(v.best_params_) for k, v in fitted.items()}}
    result["best_score"] = {k: float(v.best_score_) for k, v in fitted.items()}
    other = fitted.get("sklearn-gridsearch-fastnn")
    if other is not None:
        theirs = other.cv_results_
        keys = [k for k in theirs if k.endswith("test_score") and not k.startswith("rank")]
        result["max_abs_diff_test_scores"] = max(
            float(np.max(np.abs(ours[k] - theirs[k]))) for k in keys
        )
        result["ranks_equal"] = bool(
            np.array_equal(ours["rank_test_score"], theirs["rank_test_score"])
        )
        result["params_equal"] = ours["params"] == theirs["params"]
        result["best_params_equal"] = fitted["fastnn"].best_params_ == other.best_params_
    return result


def check_agreement(result: dict) -> None:
    if "max_abs_diff_test_scores" not in result:
        return
    if not (
        result["max_abs_diff_test_scores"] <= 1e-9
        and result["ranks_equal"]
        and result["params_equal"]
        and result["best_params_equal"]
    ):
        pytest.fail(f"W9b: fastnn's GridSearchCV disagrees with scikit-learn's: {result}")


@pytest.mark.benchmark(group="W9b")
def test_w9b_digits_grid_search(benchmark, request):
    X, y = digits()
    fitted = {}

    def check(impl, runner, search):
        fitted[impl] = search
        return {"best_score": float(search.best_score_), "best_params": str(search.best_params_)}

    record = interleave(
        benchmark,
        request,
        "W9b",
        IMPLS,
        3,
        lambda impl: Search(impl, X, y),
        check=check,
        info={"title": TITLE, "fits": 12 * CV, "n_jobs": N_JOBS},
    )
    result = agreement({impl: fitted[impl] for impl in record["impls"]})
    benchmark.extra_info["agreement"] = result
    check_agreement(result)


def concurrency_check(X, y) -> tuple[float, float]:
    """Wall time of one 128-wide fit, and of two run at once in threads (BLAS at one thread)."""
    import threading

    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits

    from fastnn.sklearn import MLPClassifier

    def fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPClassifier((128,), **SETTINGS).fit(X, y)

    fit()
    with threadpool_limits(limits=1, user_api="blas"):
        t0 = time.perf_counter()
        fit()
        one = time.perf_counter() - t0
        threads = [threading.Thread(target=fit) for _ in range(2)]
        t0 = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        two = time.perf_counter() - t0
    return one, two


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds (default 3)")
    args = parser.parse_args(argv)
    X, y = digits()
    searches = {impl: Search(impl, X, y) for impl in IMPLS}
    print(TITLE)
    fitted, first = {}, {}
    for impl, runner in searches.items():  # untimed: loads kernels, starts loky's workers
        t0 = time.perf_counter()
        fitted[impl] = runner.fresh()
        runner.run(fitted[impl])
        first[impl] = time.perf_counter() - t0
    times = {impl: [] for impl in IMPLS}
    for k in range(args.repeats):
        order = IMPLS[k % len(IMPLS) :] + IMPLS[: k % len(IMPLS)]
        for impl in order:
            search = searches[impl].fresh()
            t0 = time.perf_counter()
            searches[impl].run(search)
            times[impl].append(time.perf_counter() - t0)
            fitted[impl] = search
    for impl in IMPLS:
        ts = times[impl]
        print(
            f"  {impl:26s} median {statistics.median(ts):7.2f} s  range {min(ts):.2f}-"
            f"{max(ts):.2f} s  (first call {first[impl]:.2f} s)"
        )
    for impl in IMPLS[1:]:
        ratios = np.divide(times[impl], times["fastnn"])
        print(
            f"  {impl} / fastnn: median {np.median(ratios):.2f}x, range {ratios.min():.2f}-"
            f"{ratios.max():.2f}x"
        )
    result = agreement(fitted)
    print(
        "  cv_results_ of fastnn vs sklearn-gridsearch-fastnn: max |diff| of test scores "
        f"{result['max_abs_diff_test_scores']:.1e}, ranks equal {result['ranks_equal']}, "
        f"best params equal {result['best_params_equal']}"
    )
    for impl in IMPLS:
        print(
            f"  best {impl}: {result['best_params'][impl]}, mean test accuracy "
            f"{result['best_score'][impl]:.4f}"
        )
    one, two = concurrency_check(X, y)
    print(
        f"  one 128-wide fit {one:.3f} s; two at once in threads {two:.3f} s "
        f"({2 * one / two:.2f}x the throughput of one after the other)"
    )


if __name__ == "__main__":
    main()
