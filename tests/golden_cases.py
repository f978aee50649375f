"""Fixed-seed training runs whose results are recorded in ``tests/data/golden.npz``.

``tests/test_golden.py`` replays every case and compares θ and the loss histories with the
recorded arrays bit for bit, so a refactoring that changes any result by one rounding step is
caught. The file was written by ``python -m tests.golden_cases`` before the kernels were split
into named steps; regenerate it only for a deliberate change of results, and say so in the
commit.

Results depend on the CPU's vector width and the BLAS kernel, so the recording keeps the name
of the CPU it was made on; on another CPU the test compares to 1e-12 relative instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "golden.npz"
GOLDEN_META = DATA / "golden.json"


def _data(n=37, n_in=3, n_out=2, seed=7):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    Y = np.tanh(X @ rng.standard_normal((n_in, n_out))) + 0.1 * rng.standard_normal((n, n_out))
    return X, Y


def _classes(n=41, n_in=4, k=3, seed=8):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, n_in))
    labels = np.argmax(X[:, :k] + 0.3 * rng.standard_normal((n, k)), axis=1)
    return X, labels


#: name -> (constructor keyword arguments, fit keyword arguments, data kind)
MLP_CASES = {
    "sgd_per_sample": (
        dict(layer_sizes=(3, 4, 2), activations="sigmoid"),
        dict(batch_size=1, learning_rate=0.1, shuffle=False),
        "reg",
    ),
    "sgd_shuffled": (
        dict(layer_sizes=(3, 5, 2), activations="tanh"),
        dict(batch_size=4, learning_rate=0.05),
        "reg",
    ),
    "momentum": (
        dict(layer_sizes=(3, 6, 2), activations="relu"),
        dict(batch_size=8, momentum=0.9, learning_rate=0.01),
        "reg",
    ),
    "nesterov": (
        dict(layer_sizes=(3, 6, 2), activations="elu"),
        dict(batch_size=8, momentum=0.8, nesterov=True),
        "reg",
    ),
    "adam": (
        dict(layer_sizes=(3, 7, 5, 2), activations="leaky_relu"),
        dict(batch_size=5, optimizer="adam", learning_rate=0.01),
        "reg",
    ),
    "adamw_l2_clip": (
        dict(layer_sizes=(3, 6, 2), activations="softplus"),
        dict(batch_size=6, optimizer="adamw", l2=0.01, clip_norm=0.5),
        "reg",
    ),
    "rmsprop_cosine": (
        dict(layer_sizes=(3, 6, 2), activations="tanh"),
        dict(batch_size=10, optimizer="rmsprop", schedule="cosine", learning_rate=0.01),
        "reg",
    ),
    "step_schedule_sse": (
        dict(layer_sizes=(3, 4, 2), activations="sigmoid", loss="sse"),
        dict(batch_size=None, schedule="step", step_size=3, learning_rate=0.01),
        "reg",
    ),
    "invscaling_mae": (
        dict(layer_sizes=(3, 4, 2), activations="tanh", loss="mae"),
        dict(batch_size=3, schedule="invscaling", learning_rate=0.05),
        "reg",
    ),
    "huber_weights": (
        dict(layer_sizes=(3, 5, 2), activations="relu", loss=("huber", 0.5)),
        dict(batch_size=7, weights=True),
        "reg",
    ),
    "validation_patience": (
        dict(layer_sizes=(3, 5, 2), activations="tanh"),
        dict(batch_size=4, learning_rate=0.05, validation=True, patience=3, loss_every=2),
        "reg",
    ),
    "no_bias": (
        dict(layer_sizes=(3, 4, 2), activations="sigmoid", bias=False),
        dict(batch_size=None, learning_rate=0.5),
        "reg",
    ),
    "float32_adam": (
        dict(layer_sizes=(3, 8, 2), activations="relu", dtype=np.float32),
        dict(batch_size=8, optimizer="adam"),
        "reg",
    ),
    "binary_ce": (
        dict(layer_sizes=(4, 6, 1), activations=["tanh", "sigmoid"], loss="binary_crossentropy"),
        dict(batch_size=8, optimizer="adam", learning_rate=0.01),
        "bin",
    ),
    "categorical_ce": (
        dict(
            layer_sizes=(4, 6, 3), activations=["relu", "softmax"], loss="categorical_crossentropy"
        ),
        dict(batch_size=8, optimizer="adam", learning_rate=0.01),
        "cat",
    ),
    "wide_blas": (
        dict(layer_sizes=(3, 64, 48, 2), activations="relu"),
        dict(batch_size=32, optimizer="adam"),
        "reg_big",
    ),
}


def _targets(kind):
    if kind == "reg":
        return _data()
    if kind == "reg_big":
        return _data(n=150)
    X, labels = _classes()
    if kind == "bin":
        return X, (labels == 0).astype(float)
    return X, np.eye(3)[labels]


def run_mlp(module, name):
    """θ, loss history (and validation/full histories) of one case with ``module.MLP``."""
    ctor, fit, kind = MLP_CASES[name]
    fit = dict(fit)
    X, Y = _targets(kind)
    if fit.pop("weights", False):
        fit["sample_weight"] = np.random.default_rng(3).random(X.shape[0]) + 0.1
    if fit.pop("validation", False):
        Xv, Yv = _data(n=11, seed=9)
        fit["validation_data"] = (Xv, Yv)
    net = module.MLP(**ctor, seed=11)
    net.fit(X, Y, epochs=12, **fit)
    h = net.history_
    out = {"theta": net.params.copy(), "loss": h.loss}
    if h.val_loss is not None:
        out["val_loss"] = h.val_loss
    if h.full_loss is not None:
        out["full_loss"] = h.full_loss
    return out


def run_classifier(module):
    X, labels = _classes()
    clf = module.Classifier((6,), seed=5)
    clf.fit(X, labels, epochs=15, batch_size=8)
    return {"theta": clf.model.params.copy(), "proba": clf.predict_proba(X)}


def _sk_theta(estimator):
    parts = [c.ravel() for c in estimator.coefs_] + [b.ravel() for b in estimator.intercepts_]
    return np.concatenate(parts)


def run_sklearn():
    from sklearn.datasets import load_digits

    from fastnn.sklearn import MLPClassifier, MLPRegressor

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    y = y[:300]
    out = {}
    for solver in ("sgd", "adam", "lbfgs"):
        clf = MLPClassifier(
            hidden_layer_sizes=(16,), solver=solver, max_iter=15, random_state=0, alpha=1e-3
        )
        clf.fit(X, y)
        out[f"clf_{solver}_theta"] = _sk_theta(clf)
        if solver != "lbfgs":
            out[f"clf_{solver}_loss"] = np.array(clf.loss_curve_)
    Xr, Yr = _data(n=60)
    reg = MLPRegressor(
        hidden_layer_sizes=(8,),
        solver="sgd",
        momentum=0.9,
        max_iter=20,
        random_state=1,
        batch_size=10,
    )
    reg.fit(Xr, Yr)
    out["reg_sgd_theta"] = _sk_theta(reg)
    out["reg_sgd_loss"] = np.array(reg.loss_curve_)
    return out


def run_all():
    import fastnn
    import fastnn.reference

    results = {}
    for side, module in (("compiled", fastnn), ("reference", fastnn.reference)):
        for name in MLP_CASES:
            for key, value in run_mlp(module, name).items():
                results[f"{side}/{name}/{key}"] = np.asarray(value)
        for key, value in run_classifier(module).items():
            results[f"{side}/classifier/{key}"] = np.asarray(value)
    for key, value in run_sklearn().items():
        results[f"sklearn/{key}"] = np.asarray(value)
    return results


def host_cpu():
    """The host CPU name LLVM compiles for (e.g. ``znver3``, ``skylake-avx512``)."""
    from llvmlite import binding

    return binding.get_host_cpu_name()


if __name__ == "__main__":  # pragma: no cover - run by hand to record
    DATA.mkdir(exist_ok=True)
    results = run_all()
    np.savez(GOLDEN, **results)
    GOLDEN_META.write_text(json.dumps({"host_cpu": host_cpu(), "numpy": np.__version__}) + "\n")
    print(f"recorded {len(results)} arrays on {host_cpu()}", file=sys.stderr)
