"""Kernels release the GIL: models used from several threads at once give the sequential results."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import regression_data

import fastnn
import fastnn.reference as ref
from fastnn.kernels import objective, predict, train


def _classification(rng, n, n_in, n_classes):
    X = rng.standard_normal((n, n_in))
    labels = np.argmax(X @ rng.standard_normal((n_in, n_classes)), axis=1)
    return X, np.eye(n_classes)[labels]


def _jobs():
    """Different models, data and settings: per-sample loops, minibatches, the BLAS path, both
    dtypes, every optimizer, validation data, and one reference model among them."""
    rng = np.random.default_rng(2024)
    X1, y1 = regression_data(rng, 400, 20, 3)
    X2, y2 = _classification(rng, 256, 32, 10)
    X3 = rng.standard_normal((300, 8))
    y3 = (X3[:, 0] * X3[:, 1] > 0).astype(float)
    X4, y4 = regression_data(rng, 300, 10, 2)
    return [
        dict(
            nn=fastnn,
            model=dict(layer_sizes=(20, 64, 64, 3), activations="tanh", seed=1),
            data=(X1, y1),
            fit=dict(epochs=3, learning_rate=0.01, batch_size=16, momentum=0.9),
        ),
        dict(
            nn=fastnn,
            model=dict(layer_sizes=(20, 64, 64, 3), activations="relu", seed=2, dtype="float32"),
            data=(X1, y1),
            fit=dict(epochs=3, learning_rate=1e-3, batch_size=32, optimizer="adam"),
        ),
        dict(
            nn=fastnn,
            model=dict(
                layer_sizes=(32, 128, 10),
                activations=["relu", "softmax"],
                loss="categorical_crossentropy",
                seed=3,
            ),
            data=(X2, y2),
            fit=dict(epochs=10, learning_rate=0.1),  # full batch: every layer goes to BLAS
        ),
        dict(
            nn=fastnn,
            model=dict(
                layer_sizes=(8, 16, 1), activations="sigmoid", loss="binary_crossentropy", seed=4
            ),
            data=(X3, y3),
            fit=dict(epochs=6, learning_rate=0.05, batch_size=1),  # per-sample SGD
        ),
        dict(
            nn=fastnn,
            model=dict(layer_sizes=(20, 64, 64, 3), activations="elu", loss=("huber", 0.5), seed=5),
            data=(X1, y1),
            fit=dict(
                epochs=3,
                learning_rate=1e-3,
                batch_size=64,
                optimizer="rmsprop",
                validation_data=(X1[:100], y1[:100]),
                loss_every=1,
            ),
        ),
        dict(
            nn=ref,
            model=dict(layer_sizes=(10, 32, 2), activations="tanh", seed=6),
            data=(X4, y4),
            fit=dict(epochs=3, learning_rate=0.01, batch_size=32, optimizer="adamw"),
        ),
    ]


def _run(job, barrier=None):
    """Train, then predict, evaluate and differentiate; every result as bytes."""
    X, y = job["data"]
    model = job["nn"].MLP(**job["model"])
    if barrier is not None:
        barrier.wait()
    losses = model.fit(X, y, **job["fit"])
    outputs = [losses, model.params, model.predict(X), model.gradient(X, y)]
    outputs += model.layer_outputs(X[:50])
    if model.history_.val_loss is not None:
        outputs += [model.history_.val_loss, model.history_.full_loss]
    return [np.asarray(o).tobytes() for o in outputs] + [model.loss(X, y)]


@pytest.mark.slow_as_python
def test_models_trained_in_parallel_threads_match_sequential_runs():
    jobs = _jobs()
    assert len(jobs) >= 4
    sequential = [_run(job) for job in jobs]
    for _ in range(2):
        barrier = threading.Barrier(len(jobs))
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            futures = [pool.submit(_run, job, barrier) for job in jobs]
            concurrent = [f.result(timeout=300) for f in futures]
        for i, (a, b) in enumerate(zip(sequential, concurrent, strict=True)):
            assert a == b, f"job {i} gave different results when run alongside the others"


@pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])
@pytest.mark.slow_as_python
def test_one_model_used_for_inference_from_many_threads(nn):
    """Concurrent predict/loss/gradient/layer_outputs on ONE model only read θ: safe."""
    X, y = regression_data(np.random.default_rng(7), 600, 20, 3)
    model = nn.MLP((20, 64, 64, 3), "tanh", seed=8)
    before = model.params.copy()
    expected = [
        model.predict(X).tobytes(),
        model.loss(X, y),
        model.gradient(X, y).tobytes(),
        model.layer_outputs(X)[1].tobytes(),
    ]
    barrier = threading.Barrier(6)

    def work(_):
        barrier.wait()
        return [
            model.predict(X).tobytes(),
            model.loss(X, y),
            model.gradient(X, y).tobytes(),
            model.layer_outputs(X)[1].tobytes(),
        ]

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(work, range(6), timeout=300))
    assert all(result == expected for result in results)
    assert model.params.tobytes() == before.tobytes()


@pytest.mark.needs_jit
def test_every_kernel_releases_the_gil():
    """The public kernels (and everything they call, compiled into them) are ``nogil``."""
    kernels = [
        predict._predict,
        predict._layer_outputs,
        objective._loss,
        objective._loss_and_gradient,
        train._train_epochs,
    ]
    for kernel in kernels:
        assert kernel.targetoptions.get("nogil") is True, kernel.py_func.__name__
