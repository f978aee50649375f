"""fastnn.train_many: K models in one call, each bit for bit its own MLP.fit, on threads or dask."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from conftest import PEOPLE_X, PEOPLE_Y, regression_data

import fastnn
from fastnn.many import FIT_SETTINGS, default_n_jobs


def _solo(arch, X, y, seed, *, params=None, init=None, **fit):
    net = fastnn.MLP(**arch, seed=seed, params=params, init=init)
    error = None
    try:
        net.fit(X, y, **fit)
    except fastnn.TrainingDiverged as exc:
        error = exc
    return net, error


def _same_history(a, b):
    for field in ("loss", "val_loss", "full_loss"):
        x, y = getattr(a, field), getattr(b, field)
        assert (x is None) == (y is None), field
        if x is not None:
            assert np.array_equal(x, y, equal_nan=True), field
    assert (a.stopped_early, a.best_epoch, a.diverged_at) == (
        b.stopped_early,
        b.best_epoch,
        b.diverged_at,
    )


def _assert_model_equals_solo(ens, k, solo, error):
    model = ens[k]
    assert model.params.dtype == solo.params.dtype
    assert np.array_equal(ens.params[k], solo.params), f"model {k}: θ differs from its solo fit"
    _same_history(ens.histories_[k], solo.history_)
    assert model._rng.bit_generator.state == solo._rng.bit_generator.state
    assert np.array_equal(model._optimizer_state.buffers, solo._optimizer_state.buffers)
    assert np.array_equal(model._optimizer_state.counters, solo._optimizer_state.counters)
    assert (ens.errors_[k] is None) == (error is None)
    if error is not None:
        assert ens.errors_[k].epoch == error.epoch


def _data(seed=0, n=48, n_in=3, n_out=2):
    return regression_data(np.random.default_rng(seed), n, n_in, n_out)


ARCH = {"layer_sizes": (3, 5, 2), "activations": "tanh", "loss": "mse"}

CONFIGS = {
    "sgd-per-sample-no-shuffle": dict(epochs=6, learning_rate=0.05, batch_size=1, shuffle=False),
    "sgd-minibatch-shuffled": dict(epochs=6, learning_rate=0.05, batch_size=7),
    "momentum": dict(epochs=5, learning_rate=0.02, batch_size=8, momentum=0.9),
    "nesterov-l2-clip": dict(
        epochs=5,
        learning_rate=0.02,
        batch_size=5,
        momentum=0.8,
        nesterov=True,
        l2=1e-3,
        clip_norm=1.0,
    ),
    "adam-full-batch": dict(epochs=8, learning_rate=0.01, optimizer="adam"),
    "adamw-cosine": dict(
        epochs=6, learning_rate=0.01, batch_size=16, optimizer="adamw", schedule="cosine"
    ),
    "rmsprop-loss-every": dict(
        epochs=6, learning_rate=0.01, batch_size=4, optimizer="rmsprop", loss_every=2
    ),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_each_model_is_its_solo_fit(name, dtype):
    X, y = _data()
    fit = CONFIGS[name]
    ens = fastnn.train_many(
        ARCH["layer_sizes"],
        X,
        y,
        activations="tanh",
        seeds=[3, 1, 4, 1],
        dtype=dtype,
        n_jobs=2,
        **fit,
    )
    assert ens.params.shape == (4, fastnn.MLP(**ARCH).n_params)
    assert ens.params.dtype == np.dtype(dtype)
    for k, seed in enumerate([3, 1, 4, 1]):
        solo, error = _solo({**ARCH, "dtype": dtype}, X, y, seed, **fit)
        _assert_model_equals_solo(ens, k, solo, error)
    # equal seeds give equal models, different seeds different ones
    assert np.array_equal(ens.params[1], ens.params[3])
    assert not np.array_equal(ens.params[0], ens.params[1])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_row_subsets_sample_weight_and_early_stopping(dtype):
    rng = np.random.default_rng(7)
    X, y = _data(1, n=60)
    w = rng.uniform(0.5, 2.0, 60)
    boots = [rng.integers(0, 60, 60) for _ in range(3)]
    mask = rng.random(60) < 0.5
    rows = [*boots, mask]
    X_val, y_val = _data(2, n=20)
    fit = dict(epochs=40, learning_rate=0.05, batch_size=6, patience=2, tol=1e-4)
    ens = fastnn.train_many(
        (3, 5, 2),
        X,
        y,
        activations="tanh",
        seeds=10,
        rows=rows,
        sample_weight=w,
        validation_data=(X_val, y_val),
        dtype=dtype,
        n_jobs=2,
        **fit,
    )
    for k in range(4):
        index = np.flatnonzero(rows[k]) if rows[k].dtype == bool else rows[k]
        solo, error = _solo(
            {**ARCH, "dtype": dtype},
            X[index],
            y[index],
            10 + k,
            sample_weight=w[index],
            validation_data=(X_val, y_val),
            **fit,
        )
        _assert_model_equals_solo(ens, k, solo, error)
    assert any(h.stopped_early for h in ens.histories_), "early stopping never triggered"


def test_k_fold_validation_rows_and_per_model_settings():
    X, y = _data(3, n=40)
    folds = np.array_split(np.random.default_rng(0).permutation(40), 4)
    train = [np.concatenate([f for j, f in enumerate(folds) if j != i]) for i in range(4)]
    lrs = [0.1, 0.03, 0.01, 0.003]
    epochs = np.array([5, 9, 3, 7])
    optimizers = ["sgd", "adam", "rmsprop", "sgd"]
    ens = fastnn.train_many(
        (3, 5, 2),
        X,
        y,
        activations="tanh",
        seeds=[9, 8, 7, 6],
        rows=train,
        validation_rows=folds,
        learning_rate=lrs,
        epochs=epochs,
        optimizer=optimizers,
        l2=(0.0, 1e-3, 0.0, 1e-2),
        batch_size=8,
        patience=2,
        n_jobs=2,
    )
    for k in range(4):
        solo, error = _solo(
            ARCH,
            X[train[k]],
            y[train[k]],
            [9, 8, 7, 6][k],
            validation_data=(X[folds[k]], y[folds[k]]),
            learning_rate=lrs[k],
            epochs=int(epochs[k]),
            optimizer=optimizers[k],
            l2=(0.0, 1e-3, 0.0, 1e-2)[k],
            batch_size=8,
            patience=2,
        )
        _assert_model_equals_solo(ens, k, solo, error)
        assert ens.histories_[k].val_loss is not None
        assert len(ens.histories_[k].loss) <= epochs[k]


def test_initial_params_and_the_people_network():
    theta0 = np.random.default_rng(5).standard_normal((3, 9))
    fit = dict(epochs=50, learning_rate=0.1, batch_size=1, shuffle=False, loss_every=10)
    ens = fastnn.train_many((2, 2, 1), PEOPLE_X, PEOPLE_Y, params=theta0, seeds=0, n_jobs=1, **fit)
    for k in range(3):
        solo, error = _solo(
            {"layer_sizes": (2, 2, 1)}, PEOPLE_X, PEOPLE_Y, k, params=theta0[k], **fit
        )
        _assert_model_equals_solo(ens, k, solo, error)
    assert not np.array_equal(ens.params, theta0)  # trained, and theta0 itself untouched
    assert np.array_equal(theta0, np.random.default_rng(5).standard_normal((3, 9)))


def test_rows_are_views_into_the_stack():
    ens = fastnn.train_many((2, 3, 1), PEOPLE_X, PEOPLE_Y, n_models=3, seeds=1, epochs=2)
    assert ens.params.flags.c_contiguous
    for k, model in enumerate(ens):
        assert np.shares_memory(model.params, ens.params[k])
        assert all(np.shares_memory(w, ens.params[k]) for w in model.weights)
    ens.params[1, 0] = 42.0
    assert ens[1].weights[0][0, 0] == 42.0
    ens[2].biases[1][0] = -7.0
    assert ens.params[2, -1] == -7.0
    assert ens.params[0, 0] != 42.0


def test_divergence_of_one_model_leaves_the_others_alone():
    X, y = _data(4, n=32, n_in=3, n_out=1)
    lrs = [0.01, 50.0, 0.02, 0.005]
    arch = {"layer_sizes": (3, 4, 1), "activations": "identity"}
    fit = dict(epochs=30, batch_size=4)
    ens = fastnn.train_many(
        (3, 4, 1), X, y, activations="identity", seeds=20, learning_rate=lrs, n_jobs=2, **fit
    )
    assert ens.diverged_.tolist() == [False, True, False, False]
    assert isinstance(ens.errors_[1], fastnn.TrainingDiverged)
    assert np.isfinite(ens.params).all()
    for k in range(4):
        solo, error = _solo(arch, X, y, 20 + k, learning_rate=lrs[k], **fit)
        _assert_model_equals_solo(ens, k, solo, error)
    assert ens.histories_[1].diverged_at == ens.errors_[1].epoch


def test_threads_calling_train_many_and_fit_at_once_give_the_serial_bits():
    X, y = _data(5, n=64)
    jobs = [
        dict(seeds=s, n_models=4, learning_rate=0.05, batch_size=b, epochs=4)
        for s, b in ((0, 1), (10, 8), (20, 64))
    ]

    def run_many(job):
        return fastnn.train_many((3, 6, 2), X, y, activations="tanh", n_jobs=2, **job).params

    def run_fit(seed):
        net = fastnn.MLP((3, 6, 2), "tanh", seed=seed)
        net.fit(X, y, epochs=4, learning_rate=0.05, batch_size=4)
        return net.params

    serial = [run_many(j) for j in jobs] + [run_fit(s) for s in range(3)]
    results: dict = {}

    def target(i):
        for _ in range(2):
            results.setdefault(i, []).append(run_many(jobs[i]) if i < 3 else run_fit(i - 3))

    threads = [threading.Thread(target=target, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for i, expected in enumerate(serial):
        for got in results[i]:
            assert np.array_equal(got, expected), f"job {i} differs when run concurrently"


@pytest.mark.slow_as_python
def test_memory_is_linear_in_k_and_x_is_not_copied_per_model():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((256, 64))  # 128 KB; a one-unit network keeps training cheap
    y = rng.standard_normal(256)
    x_bytes = X.nbytes

    def peak(k):
        rows = [rng.integers(0, 256, 256) for _ in range(k)]
        tracemalloc.start()
        fastnn.train_many((64, 1, 1), X, y, seeds=0, rows=rows, epochs=1, batch_size=256, n_jobs=1)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    peak(4)  # one-time allocations (kernels loaded, first calls) out of the way
    small, large = peak(4), peak(12)
    # 8 more models: each adds θ, optimizer state, history and a model object (a few KB), far
    # less than a copy of its rows of X (256 × 64 × 8 = 128 KB)
    assert large - small < 8 * 0.25 * x_bytes, (small, large)
    assert large < 4 * x_bytes, (small, large)


def test_argument_errors_come_before_training():
    X, y = _data(7, n=10)
    with pytest.raises(TypeError, match="did you mean 'learning_rate'"):
        fastnn.train_many((3, 2, 2), X, y, n_models=2, learnig_rate=0.1)
    with pytest.raises(TypeError, match="did you mean 'seeds'"):
        fastnn.train_many((3, 2, 2), X, y, n_models=2, seed=0)
    with pytest.raises(ValueError, match="number of models"):
        fastnn.train_many((3, 2, 2), X, y)
    with pytest.raises(ValueError, match=r"disagree.*n_models: 2.*learning_rate: 3"):
        fastnn.train_many((3, 2, 2), X, y, n_models=2, learning_rate=[0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"model 1: learning_rate"):
        fastnn.train_many((3, 2, 2), X, y, learning_rate=[0.1, -0.2])
    with pytest.raises(ValueError, match=r"model 1:.*momentum applies"):
        fastnn.train_many((3, 2, 2), X, y, optimizer=["sgd", "adam"], momentum=0.9)
    with pytest.raises(TypeError, match="epochs"):
        fastnn.train_many((3, 2, 2), X, y, n_models=2, epochs=[1, 2.5])
    with pytest.raises(ValueError, match=r"rows\[1\] holds row indices outside"):
        fastnn.train_many((3, 2, 2), X, y, rows=[[0, 1], [5, 10]])
    with pytest.raises(ValueError, match=r"rows\[0\] selects no rows"):
        fastnn.train_many((3, 2, 2), X, y, rows=[[], [1]])
    with pytest.raises(ValueError, match="boolean mask"):
        fastnn.train_many((3, 2, 2), X, y, rows=[np.ones(9, bool)])
    with pytest.raises(TypeError, match="row indices"):
        fastnn.train_many((3, 2, 2), X, y, rows=[[0.5, 1.0]])
    with pytest.raises(ValueError, match="params must have shape"):
        fastnn.train_many((3, 2, 2), X, y, params=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="params or init"):
        fastnn.train_many((3, 2, 2), X, y, params=np.zeros((2, 14)), init="normal")
    with pytest.raises(ValueError, match="not both"):
        fastnn.train_many(
            (3, 2, 2), X, y, n_models=2, validation_rows=[[0], [1]], validation_data=(X, y)
        )
    with pytest.raises(ValueError, match="Generator twice"):
        g = np.random.default_rng(0)
        fastnn.train_many((3, 2, 2), X, y, seeds=[g, g])
    with pytest.raises(ValueError, match="model 0: sample_weight"):
        fastnn.train_many(
            (3, 2, 2), X, y, rows=[[0, 1], [2, 3]], sample_weight=[0, 0, 1, 1, 1, 1, 1, 1, 1, 1]
        )
    with pytest.raises(ValueError, match="X has 2 features"):
        fastnn.train_many((3, 2, 2), X[:, :2], y, n_models=2)
    with pytest.raises(ValueError, match="n_jobs"):
        fastnn.train_many((3, 2, 2), X, y, n_models=2, n_jobs=0)


def test_fit_settings_are_fit_arguments_and_n_jobs_default():
    fit = inspect.signature(fastnn.MLP.fit).parameters
    assert set(FIT_SETTINGS) <= set(fit)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        cores = os.cpu_count()
    assert default_n_jobs() == cores


def test_verbose_reports_models_done(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain-line report
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    fastnn.train_many((2, 2, 1), PEOPLE_X, PEOPLE_Y, n_models=5, seeds=0, epochs=2, verbose=True)
    assert "fastnn.train_many: 5/5 models trained" in capsys.readouterr().err
    fastnn.train_many((2, 2, 1), PEOPLE_X, PEOPLE_Y, n_models=5, seeds=0, epochs=2)
    assert capsys.readouterr().err == ""


def test_tqdm_progress_bar(capsys):
    pytest.importorskip("tqdm")
    fastnn.train_many((2, 2, 1), PEOPLE_X, PEOPLE_Y, n_models=3, seeds=0, epochs=2, verbose=True)
    assert "3/3" in capsys.readouterr().err


def test_import_fastnn_imports_no_optional_dependency():
    code = (
        "import sys, fastnn; "
        "print(sorted(m for m in ('dask', 'distributed', 'tqdm', 'joblib') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _kernels_kind():
    from fastnn.kernels._aot import status

    return status()["kernels"]


@pytest.mark.slow
def test_dask_cluster_gives_the_local_models():
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    X, y = _data(8, n=40, n_out=1)
    settings = dict(
        seeds=30,
        learning_rate=[0.05, 0.1, 40.0, 0.02, 0.01],
        batch_size=8,
        epochs=12,
        rows=[np.arange(k, 40) for k in range(5)],
    )
    local = fastnn.train_many((3, 4, 1), X, y, activations="identity", n_jobs=2, **settings)
    assert local.diverged_.any()
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        # the workers use the precompiled kernels when this process does (no compiling there)
        assert set(client.run(_kernels_kind).values()) == {_kernels_kind()}
        remote = fastnn.train_many(
            (3, 4, 1), X, y, activations="identity", client=client, **settings
        )
        with joblib.parallel_config(backend="dask"):
            via_joblib = fastnn.train_many((3, 4, 1), X, y, activations="identity", **settings)
    for other in (remote, via_joblib):
        assert np.array_equal(other.params, local.params)
        assert other.diverged_.tolist() == local.diverged_.tolist()
        for k in range(5):
            _same_history(other.histories_[k], local.histories_[k])
            assert other[k]._rng.bit_generator.state == local[k]._rng.bit_generator.state
            assert np.shares_memory(other[k].params, other.params[k])
        assert isinstance(other.errors_[2], fastnn.TrainingDiverged)


@pytest.mark.slow_as_python
def test_readme_example_runs(tmp_path, monkeypatch):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Many models at once", 1)[1].split("\n### ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    X, y = _data(9, n=32, n_in=8, n_out=1)
    namespace = {"np": np, "fastnn": fastnn, "X": X, "y": y, "X_new": X[:5]}
    exec(compile(code, "README.md", "exec"), namespace)
    ens = namespace["ens"]
    assert ens.params.shape == (8, fastnn.MLP((8, 16, 1)).n_params)
    assert ens.predict(X[:5]).shape == (5, 1)
    assert (tmp_path / "bagged.fnn").is_file()


def test_an_unexpected_error_in_a_thread_reaches_the_caller(monkeypatch):
    import fastnn.many as many

    original = many._fit

    def failing(model, task, data):
        if task.index == 2:
            raise RuntimeError("boom in model 2")
        return original(model, task, data)

    monkeypatch.setattr(many, "_fit", failing)
    with pytest.raises(RuntimeError, match="boom in model 2"):
        fastnn.train_many((2, 2, 1), PEOPLE_X, PEOPLE_Y, n_models=6, seeds=0, epochs=2, n_jobs=2)


# --- the block path: several models per call of the compiled block loop -------------------------


@pytest.fixture
def block_sizes(monkeypatch):
    """The number of models of each call of the block loop (fastnn.engine._train_block)."""
    import fastnn.engine as engine

    sizes = []
    original = engine._train_block

    def spy(kernel, models, *args):
        sizes.append(len(models))
        return original(kernel, models, *args)

    monkeypatch.setattr(engine, "_train_block", spy)
    return sizes


@pytest.mark.parametrize("n_jobs", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_blocks_of_models_are_their_solo_fits(name, dtype, n_jobs, block_sizes):
    X, y = _data()
    fit = CONFIGS[name]
    seeds = [7, 2, 9, 2, 5, 11, 3, 8, 1, 6, 4, 10]
    ens = fastnn.train_many(
        ARCH["layer_sizes"], X, y, activations="tanh", seeds=seeds, dtype=dtype, n_jobs=n_jobs,
        **fit,
    )  # fmt: skip
    assert block_sizes and min(block_sizes) > 1, "the block loop was not used"
    assert sum(block_sizes) == len(seeds)
    for k, seed in enumerate(seeds):
        solo, error = _solo({**ARCH, "dtype": dtype}, X, y, seed, **fit)
        _assert_model_equals_solo(ens, k, solo, error)


def test_blocks_with_validation_early_stopping_divergence_and_per_model_epochs(block_sizes):
    X, y = _data(5, n=40, n_in=3, n_out=1)
    X_val, y_val = _data(6, n=12, n_in=3, n_out=1)
    arch = {"layer_sizes": (3, 4, 1), "activations": "identity"}
    lrs = [0.01, 80.0, 0.02, 0.005, 0.03, 1e4, 0.01, 0.02]
    epochs = [40, 30, 5, 60, 1, 20, 45, 12]
    fit = dict(batch_size=4, patience=3, loss_every=4)
    ens = fastnn.train_many(
        (3, 4, 1), X, y, activations="identity", seeds=30, learning_rate=lrs, epochs=epochs,
        validation_data=(X_val, y_val), n_jobs=1, **fit,
    )  # fmt: skip
    assert block_sizes and min(block_sizes) > 1
    assert ens.diverged_.tolist() == [False, True, False, False, False, True, False, False]
    for k in range(8):
        solo, error = _solo(
            arch, X, y, 30 + k, learning_rate=lrs[k], epochs=epochs[k],
            validation_data=(X_val, y_val), **fit,
        )  # fmt: skip
        _assert_model_equals_solo(ens, k, solo, error)
    assert any(h.stopped_early for h in ens.histories_)


def test_long_trainings_and_row_subsets_train_one_model_at_a_time():
    """A model whose training would take longer than an interruptible chunk, or one with its own
    rows, trains through fit (chunked, so Ctrl-C is honoured), not in a block."""
    import fastnn.many as many

    X, y = _data()
    template = fastnn.MLP(**ARCH)

    def units(**kwargs):
        tasks = [
            many._Task(k, k, None, kwargs.get("rows"), None, {"epochs": kwargs["epochs"]})
            for k in range(16)
        ]
        data = many._Data(X, y, None, None, None)
        plans = many._plans(template, tasks, len(X)) if many._share_data(tasks) else None
        return many._units(template, len(tasks), plans, data, 2)

    assert all(stop - start > 1 for start, stop in units(epochs=5))
    assert all(stop - start == 1 for start, stop in units(epochs=10**7))
    rows = np.arange(10)
    assert all(stop - start == 1 for start, stop in units(epochs=5, rows=rows))
