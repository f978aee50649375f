"""fastnn.sklearn against scikit-learn's own MLP estimators, same settings, same run.

Two workloads, each timed for ``fastnn.sklearn`` and ``sklearn.neural_network``:

* digits: scikit-learn's 8×8 digits scaled to [0, 1], a 75/25 split, ``MLPClassifier`` with one
  hidden layer of 64 relu units, Adam, batches of 200, ``max_iter=200`` and the default ``tol``
  (so either may stop early); the score is test accuracy.
* regression: ``make_regression(10_000, 50)`` with standardised features and target, a 75/25
  split, ``MLPRegressor`` with one hidden layer of 64 relu units, Adam, batches of 200,
  ``max_iter=100``; the score is test R².

Groups ``sklearn-digits-fit``, ``sklearn-digits-predict``, ``sklearn-regression-fit`` and
``sklearn-regression-predict``. Each scikit-learn entry records its time divided by fastnn's from
the same run (``ratio_sklearn_over_fastnn``, best round against best round). fastnn's estimator is
fitted once before timing, so compilation (or loading the compiled kernels from the cache) is not
timed; that first fit's time is recorded as ``warmup_s``.

``pytest bench --benchmark-only`` runs it with the other groups (``pytest
bench/test_sklearn_compare.py --benchmark-only`` on its own); ``python -m
bench.test_sklearn_compare`` prints a best-of-3 table instead. It skips cleanly without
scikit-learn.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn import neural_network as skl  # noqa: E402
from sklearn.datasets import load_digits, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import fastnn.sklearn as fsk  # noqa: E402

SEED = 0
FIT_ROUNDS = 3
IMPLEMENTATIONS = {"fastnn": fsk, "sklearn": skl}


@dataclass(frozen=True)
class Workload:
    name: str
    estimator: str  # "MLPClassifier" or "MLPRegressor"
    settings: dict
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    def make(self, impl: str):
        return getattr(IMPLEMENTATIONS[impl], self.estimator)(**self.settings)

    def fit(self, impl: str):
        est = self.make(impl)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(self.X_train, self.y_train)
        return est


COMMON = dict(
    hidden_layer_sizes=(64,), activation="relu", solver="adam", batch_size=200, random_state=SEED
)


@cache
def workload(name: str) -> Workload:
    if name == "digits":
        X, y = load_digits(return_X_y=True)
        parts = train_test_split(X / 16.0, y, test_size=0.25, random_state=SEED)
        return Workload(name, "MLPClassifier", dict(COMMON, max_iter=200), *parts)
    X, y = make_regression(10_000, 50, n_informative=30, noise=10.0, random_state=SEED)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    parts = train_test_split(X, y, test_size=0.25, random_state=SEED)
    return Workload(name, "MLPRegressor", dict(COMMON, max_iter=100), *parts)


_BEST: dict[tuple, float] = {}
_FITTED: dict[tuple, object] = {}


def _rounds(request, n: int) -> int:
    try:
        factor = request.config.getoption("bench_rounds_factor")
    except ValueError:  # run without bench/conftest.py
        factor = 1.0
    return max(1, round(n * factor))


def _record(benchmark, key, impl):
    best = float(benchmark.stats.stats.min) if benchmark.stats else None
    if best is None:  # --benchmark-disable: nothing was timed
        return
    _BEST[(*key, impl)] = best
    other = _BEST.get((*key, "fastnn"))
    if impl == "sklearn" and other:
        benchmark.extra_info["ratio_sklearn_over_fastnn"] = best / other


def _warm(wl: Workload, impl: str, info: dict) -> None:
    if impl == "fastnn":
        t0 = time.perf_counter()
        est = wl.make(impl).set_params(max_iter=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(wl.X_train, wl.y_train)
        est.predict(wl.X_test)
        info["warmup_s"] = time.perf_counter() - t0


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("digits", marks=pytest.mark.benchmark(group="sklearn-digits-fit")),
        pytest.param("regression", marks=pytest.mark.benchmark(group="sklearn-regression-fit")),
    ],
)
def test_fit(benchmark, request, name, impl):
    wl = workload(name)
    info = benchmark.extra_info
    info.update(workload=f"sklearn-{name}", impl=impl, n_train=len(wl.y_train))
    _warm(wl, impl, info)
    fitted = []
    benchmark.pedantic(
        lambda: fitted.append(wl.fit(impl)), rounds=_rounds(request, FIT_ROUNDS), iterations=1
    )
    est = fitted[-1]
    _FITTED[(name, impl)] = est
    info["score"] = float(est.score(wl.X_test, wl.y_test))
    info["n_iter"] = int(est.n_iter_)
    _record(benchmark, (name, "fit"), impl)


@pytest.mark.parametrize("impl", list(IMPLEMENTATIONS))
@pytest.mark.parametrize(
    "name",
    [
        pytest.param("digits", marks=pytest.mark.benchmark(group="sklearn-digits-predict")),
        pytest.param("regression", marks=pytest.mark.benchmark(group="sklearn-regression-predict")),
    ],
)
def test_predict(benchmark, name, impl):
    wl = workload(name)
    est = _FITTED.get((name, impl)) or wl.fit(impl)
    benchmark.extra_info.update(workload=f"sklearn-{name}", impl=impl, n_rows=len(wl.y_test))
    est.predict(wl.X_test)  # warm
    benchmark(est.predict, wl.X_test)
    _record(benchmark, (name, "predict"), impl)


def main(repeats: int = 3) -> None:
    """Print best-of-``repeats`` fit and predict times, scores and ratios.

    The fits of the two implementations alternate (fastnn, scikit-learn, fastnn, …), so a
    machine whose speed drifts during the run slows both alike; the ratio of the best fits and
    the median of the per-round ratios are both printed.
    """
    for name in ("digits", "regression"):
        wl = workload(name)
        _warm(wl, "fastnn", {})
        fit_times = {impl: [] for impl in IMPLEMENTATIONS}
        fitted = {}
        for _ in range(repeats):
            for impl in IMPLEMENTATIONS:
                t0 = time.perf_counter()
                fitted[impl] = wl.fit(impl)
                fit_times[impl].append(time.perf_counter() - t0)
        rows = {}
        for impl, est in fitted.items():
            predict_times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                for _ in range(20):
                    est.predict(wl.X_test)
                predict_times.append((time.perf_counter() - t0) / 20)
            score = est.score(wl.X_test, wl.y_test)
            rows[impl] = (min(fit_times[impl]), min(predict_times), score, est)
        print(f"{name}: {wl.estimator}({wl.settings}), {len(wl.y_train)} train rows")
        for impl, (fit_s, pred_s, score, est) in rows.items():
            print(
                f"  {impl:8s} fit {fit_s:8.3f} s  predict {pred_s * 1e3:8.3f} ms  "
                f"score {score:.4f}  n_iter_ {est.n_iter_}"
            )
        f, s = rows["fastnn"], rows["sklearn"]
        paired = np.median(np.divide(fit_times["sklearn"], fit_times["fastnn"]))
        print(
            f"  sklearn/fastnn: fit {s[0] / f[0]:.2f}x (median of rounds {paired:.2f}x), "
            f"predict {s[1] / f[1]:.2f}x"
        )


if __name__ == "__main__":
    main()
