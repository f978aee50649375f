"""The precompiled (AOT) kernels and their loader (fastnn/kernels/_aot.py).

The agreement tests run the same models through the AOT exports and through the JIT dispatchers
in one process and compare: float64 to 1e-12 relative, float32 to 1e-5. They are skipped when
no usable AOT module is there (an install without a C compiler, ``FASTNN_AOT=0``, or kernel
sources edited since the build: ``pip install -e .`` rebuilds it).
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_close

import fastnn
import fastnn.model
from fastnn.kernels import _aot


def _aot_module():
    """The AOT module the loader would use, or skip."""
    if _aot._forced_jit():
        pytest.skip(f"the JIT is forced ({_aot._forced_jit()})")
    state = _aot._current()
    if state.module is None:
        pytest.skip(f"no usable AOT module: {state.reason}")
    return state.module


@pytest.fixture(scope="module")
def kernel_sets():
    return {"aot": _aot.implementations("aot", _aot_module()), "jit": _aot.implementations("jit")}


def _run_with(kernels, monkeypatch, job):
    with monkeypatch.context() as patch:
        for name, entry in kernels.items():
            patch.setattr(fastnn.model, name, entry)
        return job()


# --- the table --------------------------------------------------------------------------------


def test_every_entry_point_is_a_numba_kernel_with_the_arguments_of_its_signature():
    for name in _aot.ENTRY_POINTS:
        kernel = _aot.jit_kernel(name)
        assert hasattr(kernel, "py_func"), f"{name} is not a Numba dispatcher"
        n_args = len(inspect.signature(kernel.py_func).parameters)
        assert _aot._arity(_aot.ENTRY_POINTS[name][1]) == n_args, name
        entry = getattr(_aot, name)
        assert len(inspect.signature(entry).parameters) == n_args, name
        signatures = {_aot.signature_for(name, dtype) for dtype in _aot.DTYPES}
        if re.search(r"\bF\b", _aot.ENTRY_POINTS[name][1]):  # one version per dtype of θ
            for dtype in _aot.DTYPES:
                assert _aot.signature_for(name, dtype).count(_aot.DTYPES[dtype]) >= 1
            assert len(signatures) == len(_aot.DTYPES), name
        else:  # no θ: every "version" is the same kernel, and calls use the float64 one
            assert len(signatures) == 1, name


def test_model_calls_the_entry_points_of_the_loader():
    for name in _aot.ENTRY_POINTS:
        assert getattr(fastnn.model, name) is getattr(_aot, name)


def test_source_files_cover_the_kernels_and_the_modules_they_import():
    files = _aot.kernel_source_files()
    kernels = Path(_aot.__file__).parent
    expected = {f"kernels/{p.name}" for p in kernels.glob("*.py")} - {
        "kernels/_aot.py",
        "kernels/_aot_build.py",
    }
    assert expected <= set(files)
    assert {"_config.py", "_names.py"} <= set(files)  # constants compiled into train.py
    assert "model.py" not in files and "_base.py" not in files


# --- AOT and JIT agree --------------------------------------------------------------------------

CASES = {
    "w4-like": dict(
        sizes=(64, 128, 64, 10), acts="sigmoid", loss="mse", n=96, fit=dict(batch_size=32)
    ),
    "tiny-tanh": dict(sizes=(3, 4, 2), acts="tanh", loss="mse", n=20, fit=dict(batch_size=4)),
    "softmax-adam": dict(
        sizes=(20, 48, 5),
        acts=["relu", "softmax"],
        loss="categorical_crossentropy",
        n=80,
        fit=dict(batch_size=16, optimizer="adam", l2=1e-3, clip_norm=1.0),
    ),
    "weighted-validation-early-stop": dict(
        sizes=(6, 40, 40, 1),
        acts=["elu", "softplus", "identity"],
        loss="huber",
        n=70,
        fit=dict(batch_size=70, optimizer="rmsprop", patience=2, loss_every=2, weighted=True),
    ),
}


def _targets(loss, rng, n, n_out):
    if loss == "categorical_crossentropy":
        return np.eye(n_out)[rng.integers(0, n_out, n)]
    return rng.standard_normal((n, n_out))


def _everything(case, dtype):
    """Every entry point on ``case``: predict, layer outputs, loss, gradient, then a fit."""
    rng = np.random.default_rng(7)
    n, sizes = case["n"], case["sizes"]
    X = rng.standard_normal((n, sizes[0]))
    Y = _targets(case["loss"], rng, n, sizes[-1])
    fit = dict(case["fit"])
    sw = rng.random(n) + 0.5 if fit.pop("weighted", False) else None
    net = fastnn.MLP(sizes, case["acts"], loss=case["loss"], seed=3, dtype=dtype)
    out = {
        "predict": net.predict(X),
        # predict's one-row fast paths: (1, n) and (n,) in θ's dtype
        "predict one row": net.predict(X[:1].astype(dtype)),
        "predict one sample": net.predict(X[0].astype(dtype)),
        "layer_outputs": np.concatenate([a.ravel() for a in net.layer_outputs(X)]),
        "loss": np.array([net.loss(X, Y, sample_weight=sw)]),
        "gradient": net.gradient(X, Y, sample_weight=sw),
    }
    history = net.fit(
        X,
        Y,
        epochs=6,
        learning_rate=0.05,
        seed=11,
        sample_weight=sw,
        validation_data=(X[: n // 2], Y[: n // 2]),
        **fit,
    )
    out["trained params"] = net.params
    out["history"] = np.asarray(history)
    out["val_loss"] = net.history_.val_loss
    # train_many in blocks of models (one thread: blocks of two), the block loop's entry point
    many = fastnn.train_many(
        sizes, X, Y, activations=case["acts"], loss=case["loss"], seeds=list(range(8)), dtype=dtype,
        epochs=3, learning_rate=0.05, sample_weight=sw, n_jobs=1, **fit,
    )  # fmt: skip
    out["train_many params"] = many.params
    return out


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", list(CASES))
def test_aot_and_jit_agree(kernel_sets, monkeypatch, name, dtype):
    case = CASES[name]
    results = {
        kind: _run_with(kernels, monkeypatch, lambda: _everything(case, dtype))
        for kind, kernels in kernel_sets.items()
    }
    rtol = 1e-12 if dtype == "float64" else 1e-5
    for key, expected in results["jit"].items():
        assert_close(results["aot"][key], expected, rtol=rtol, what=f"{name} {dtype} {key}")


def test_the_aot_exports_are_really_used(kernel_sets, monkeypatch):
    module = _aot_module()
    calls = []
    real = module._predict__float64

    def spy(*args):
        calls.append(1)
        return real(*args)

    kernels = _aot.implementations("aot", module)
    kernels["_predict"].implementations[np.dtype("float64")] = spy
    net = fastnn.MLP((2, 3, 1), "tanh", seed=0)
    _run_with(kernels, monkeypatch, lambda: net.predict(np.ones((4, 2))))
    assert calls == [1]


def test_aot_exports_release_the_gil():
    """Another thread keeps running Python while a training call is inside the AOT code.

    (A call holding the GIL, such as ``sorted`` of a long list, stalls it for the whole call.)
    """
    module = _aot_module()
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((4000, 16)), rng.standard_normal((4000, 4))
    net = fastnn.MLP((16, 32, 4), "tanh", seed=0)
    kernels = _aot.implementations("aot", module)

    def train():
        saved = fastnn.model._train_epochs
        fastnn.model._train_epochs = kernels["_train_epochs"]
        try:
            net.fit(X, Y, epochs=30, learning_rate=0.01, batch_size=8)
        finally:
            fastnn.model._train_epochs = saved

    start = time.perf_counter()
    train()
    alone = time.perf_counter() - start
    worker = threading.Thread(target=train)
    gaps, last = [], time.perf_counter()
    worker.start()
    while worker.is_alive():
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert max(gaps) < 0.5 * alone, (
        f"the main thread stalled {max(gaps):.3f} s during a {alone:.3f} s call"
    )


# --- the loader ---------------------------------------------------------------------------------


def test_manifest_describes_the_build():
    module = _aot_module()
    info = json.loads(module._aot_manifest())
    assert info["format"] == _aot.MANIFEST_FORMAT
    assert info["files"] == _aot.kernel_source_files()
    assert info["hash"] == _aot.source_hash(info["files"])
    assert info["entry_points"] == list(_aot.ENTRY_POINTS)
    assert info["dtypes"] == list(_aot.DTYPES)


def test_a_source_hash_mismatch_falls_back_to_the_jit(monkeypatch):
    module = _aot_module()
    assert _aot.check_module(module) is None
    monkeypatch.setattr(_aot, "source_hash", lambda files: "0" * 64)
    assert "changed since it was built" in _aot.check_module(module)
    state = _aot._find()
    assert state.module is None and "changed since it was built" in state.reason


def test_a_module_for_missing_cpu_features_is_not_used(monkeypatch):
    module = _aot_module()
    monkeypatch.setattr(_aot, "_cpu_features", lambda: set())
    info = json.loads(module._aot_manifest())
    reason = _aot.check_module(module)
    assert (reason is None) == (not info["cpu_features"])


CHILD = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import fastnn
    from fastnn.kernels import _aot
    after_import = sorted(m for m in ("numba", "llvmlite", "scipy.linalg") if m in sys.modules)
    info = _aot.status()
    if sys.argv[1] == "fit":
        rng = np.random.default_rng(0)
        net = fastnn.MLP((64, 128, 64, 10), "sigmoid", loss="mse", seed=0)
        net.fit(rng.standard_normal((64, 64)), rng.standard_normal((64, 10)), batch_size=32)
    info["after_import"] = after_import
    info["after_fit"] = sorted(m for m in ("numba", "llvmlite", "scipy.linalg") if m in sys.modules)
    info["cython_blas"] = "scipy.linalg.cython_blas" in sys.modules
    import scipy.linalg
    info["scipy_linalg_ok"] = scipy.linalg.cython_blas is sys.modules["scipy.linalg.cython_blas"]
    print(json.dumps(info))
    """
)


def _child(mode, env=None, path=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("FASTNN_JIT", "PYTHONPATH")}
    environment.update(env or {})
    if path is not None:
        environment["PYTHONPATH"] = str(path)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        capture_output=True,
        text=True,
        env=environment,
        cwd=path or Path(fastnn.__file__).parents[1],
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def test_with_aot_kernels_import_and_fit_need_neither_numba_nor_scipy_linalg():
    _aot_module()
    info, stderr = _child("fit")
    assert info["kernels"] == "aot"
    assert info["after_import"] == [] and info["after_fit"] == []
    assert info["cython_blas"], "the fit should have used BLAS"
    assert info["scipy_linalg_ok"], "a later import scipy.linalg must still be whole"
    assert "compiling" not in stderr


def test_fastnn_jit_forces_the_jit():
    info, _ = _child("status", env={"FASTNN_JIT": "1"})
    assert info["kernels"] == "jit" and info["reason"] == "FASTNN_JIT is set"


def test_an_edited_kernel_is_run_by_the_jit_without_a_rebuild(tmp_path):
    module = _aot_module()
    package = tmp_path / "fastnn"
    shutil.copytree(
        Path(fastnn.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    assert Path(module.__file__).name in {p.name for p in (package / "kernels").iterdir()}
    info, _ = _child("status", path=tmp_path)
    assert info["kernels"] == "aot", info  # the unedited copy uses its AOT module
    train = package / "kernels" / "train.py"
    train.write_text(train.read_text() + "\n# an edit\n")
    info, _ = _child("status", path=tmp_path)
    assert info["kernels"] == "jit"
    assert "kernel sources changed since it was built" in info["reason"]


# --- the first-use notice ------------------------------------------------------------------------


def test_a_slow_first_compilation_is_announced_once_per_dtype(monkeypatch, caplog):
    monkeypatch.setattr(_aot, "_announced", set())
    monkeypatch.setattr(_aot, "NOTICE_AFTER_S", 0.01)
    with caplog.at_level("WARNING", logger="fastnn"):
        for _ in range(2):
            with _aot._notice_if_slow("float64", "FASTNN_JIT is set"):
                time.sleep(0.2)
        with _aot._notice_if_slow("float32", None):
            time.sleep(0.2)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2, messages
    assert messages[0].startswith("fastnn: compiling the float64 training kernels (first use")
    assert "FASTNN_JIT is set" in messages[0]
    assert messages[1].startswith("fastnn: compiling the float32 training kernels")


def test_a_fast_load_from_the_cache_is_not_announced(monkeypatch, caplog):
    monkeypatch.setattr(_aot, "_announced", set())
    with caplog.at_level("WARNING", logger="fastnn"), _aot._notice_if_slow("float64", None):
        pass
    time.sleep(_aot.NOTICE_AFTER_S + 0.1)
    assert not caplog.records


def test_a_module_for_a_cpu_level_this_cpu_lacks_is_not_even_imported(monkeypatch):
    module = _aot_module()
    target = json.loads(module._aot_manifest())["target"]
    monkeypatch.setitem(_aot.TARGET_FEATURES, target, ("NO_SUCH_FEATURE",))
    monkeypatch.setattr(_aot, "TARGETS", (target,))
    monkeypatch.delitem(sys.modules, module.__name__)
    imported = []
    real_import = _aot.importlib.import_module
    monkeypatch.setattr(
        _aot.importlib, "import_module", lambda name: imported.append(name) or real_import(name)
    )
    state = _aot._find()
    assert state.module is None and "needs NO_SUCH_FEATURE" in state.reason
    assert module.__name__ not in imported


def test_the_warmup_command_says_which_kernels_are_in_use():
    _aot_module()
    done = subprocess.run(
        [sys.executable, "-m", "fastnn", "warmup", "--dtype", "float64"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("fastnn: precompiled kernels in use (")
    assert "fastnn: warm-up of float64 took" in done.stdout
    assert "compiling" not in done.stderr
