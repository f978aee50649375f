"""The compile cache: warm-up, caching on disk, and a read-only install that still works.

A read-only install is simulated by copying the package to a temporary directory, removing every
write permission and importing it from there in a fresh interpreter. Root ignores permission bits,
and CI runs as root, so when the tests run as root the interpreter is started without the
capabilities that let root ignore them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER are
dropped from its capability bounding set before ``exec``). It then gets ``EACCES`` writing into
the copy, exactly as an ordinary user does with a system-wide install; the child checks this
itself before doing anything else.
"""

from __future__ import annotations

import ctypes
import hashlib
import importlib
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numba.core.caching import _CacheLocator

import fastnn
import fastnn.reference as ref
from fastnn._warmup import kernel_cache_dir
from fastnn.kernels import _aot

PUBLIC_KERNELS = list(_aot.ENTRY_POINTS)


def _kernel(name):
    """The Numba dispatcher of entry point ``name``, from the module that defines it."""
    return getattr(importlib.import_module(f"fastnn.kernels.{_aot.ENTRY_POINTS[name][0]}"), name)


_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER = 1, 2, 3


def _drop_root_file_capabilities():
    """``preexec_fn``: drop the capabilities that let root ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH, _CAP_FOWNER):
        if libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def _make_read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


#: Run in the child: checks that the package directory is really read-only for it, trains a
#: network, and reports digests of the results and where Numba cached the kernels.
CHILD = textwrap.dedent(
    """
    import hashlib, json, os, sys
    import numpy as np
    import fastnn
    from fastnn._warmup import kernel_cache_dir
    from fastnn.kernels import predict, train

    package = os.path.dirname(fastnn.__file__)
    for directory in (package, os.path.join(package, "kernels")):
        try:
            open(os.path.join(directory, "probe"), "w").close()
        except PermissionError:
            pass
        else:
            sys.exit(f"{directory} is writable: the test set-up failed")
    result = {"package": package, "cache_dir": kernel_cache_dir()}
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4))
    y = np.tanh(X[:, :2])
    model = fastnn.MLP((4, 8, 2), "tanh", seed=1)
    if sys.argv[1] == "train":
        model.fit(X, y, epochs=3, learning_rate=0.05, batch_size=8)
    arrays = (model.params, model.predict(X))
    result["digests"] = [hashlib.sha256(a.tobytes()).hexdigest() for a in arrays]
    result["hits"] = {
        name: sum(getattr(module, name).stats.cache_hits.values())
        for name, module in (("_train_epochs", train), ("_predict", predict))
    }
    print(json.dumps(result))
    """
)


def _expected_digests(train_first: bool) -> list[str]:
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4))
    y = np.tanh(X[:, :2])
    model = fastnn.MLP((4, 8, 2), "tanh", seed=1)
    if train_first:
        model.fit(X, y, epochs=3, learning_rate=0.05, batch_size=8)
    return [hashlib.sha256(a.tobytes()).hexdigest() for a in (model.params, model.predict(X))]


@pytest.fixture
def read_only_install(tmp_path):
    """A read-only copy of the package, and a function running :data:`CHILD` against it."""
    if sys.platform != "linux":
        pytest.skip("permission set-up written for Linux")
    site = tmp_path / "site"
    package = site / "fastnn"
    shutil.copytree(
        Path(fastnn.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    _make_read_only(package)
    as_root = os.geteuid() == 0

    def run(mode, cache_home):
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("NUMBA_CACHE_DIR", "PYTHON"))
        }
        # FASTNN_JIT: these tests are about Numba's cache (the copy may carry an AOT module)
        env.update(PYTHONPATH=str(site), XDG_CACHE_HOME=str(cache_home), FASTNN_JIT="1")
        result = subprocess.run(
            [sys.executable, "-c", CHILD, mode],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
            preexec_fn=_drop_root_file_capabilities if as_root else None,
        )
        assert result.returncode == 0, result.stderr[-3000:] + result.stdout[-2000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    yield package, run
    _make_writable(tmp_path)


def _user_wide_cache(cache_home: Path, package: Path) -> Path:
    """Where Numba's user-wide locator caches the kernels of the package at ``package``."""
    subpath = _CacheLocator.get_suitable_cache_subpath(str(package / "kernels" / "predict.py"))
    return cache_home / "numba" / subpath


@pytest.mark.needs_jit
def test_read_only_install_falls_back_to_the_user_cache_and_trains(read_only_install, tmp_path):
    package, run = read_only_install
    cache_home = tmp_path / "cache-home"
    user_cache = _user_wide_cache(cache_home, package)
    expected = _expected_digests(train_first=True)  # also brings the in-tree cache up to date
    # Seed the user cache with this session's compiled kernels so the child need not spend
    # half a minute compiling the training loop; the prediction kernel is left out, so the child
    # must compile it and write it there itself.
    user_cache.mkdir(parents=True)
    in_tree = Path(_aot.__file__).parent / "__pycache__"
    if in_tree.is_dir():
        for cached in in_tree.iterdir():
            keep = not cached.name.startswith("predict._predict-")
            if cached.suffix in (".nbi", ".nbc") and keep:
                shutil.copy2(cached, user_cache / cached.name)
    result = run("train", cache_home)
    assert result["package"] == str(package)
    assert result["cache_dir"] == str(user_cache)
    assert result["digests"] == expected
    # the prediction kernel was compiled and stored in the user cache
    assert list(user_cache.glob("predict._predict-*.nbi")), "the child did not cache _predict"
    assert result["hits"]["_predict"] == 0
    assert not list(package.rglob("*.nbi")) and not list(package.rglob("__pycache__"))


@pytest.mark.needs_jit
def test_read_only_install_without_any_writable_cache_still_works(read_only_install, tmp_path):
    """No package directory, no user cache directory: fastnn must import and run uncached."""
    package, run = read_only_install
    cache_home = tmp_path / "cache-home"
    cache_home.mkdir()
    _make_read_only(cache_home)
    result = run("predict", cache_home)
    assert result["package"] == str(package)
    assert result["cache_dir"] is None
    assert result["digests"] == _expected_digests(train_first=False)
    assert not list(cache_home.iterdir())


# --- the on-disk cache is never stale -------------------------------------------------------

CACHE_PROBE = textwrap.dedent(
    """
    import json, os, sys
    import numpy as np
    import fastnn
    from fastnn.kernels import predict

    assert os.path.dirname(fastnn.__file__) == sys.argv[1], fastnn.__file__
    fastnn.MLP((3, 4, 2), "tanh", seed=0).predict(np.ones((2, 3)))
    print(json.dumps(sum(predict._predict.stats.cache_hits.values())))
    """
)


@pytest.mark.needs_jit
def test_cached_kernels_are_recompiled_when_a_helper_they_call_changes(tmp_path):
    """Numba keys a cached kernel on its own source file only; fastnn's kernels call helpers in
    other files (``predict._predict`` calls ``dense._forward``), and a cached caller would keep
    the old helper compiled into it. Editing ``dense.py`` must therefore invalidate
    ``predict._predict`` too. (It shows as a cache hit after the edit when it does not.)"""
    site = tmp_path / "site"
    package = site / "fastnn"
    shutil.copytree(
        Path(fastnn.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    _aot.compile_jit("_predict", "float64")  # this session's cache is fresh (JIT, not AOT)
    cache = kernel_cache_dir()
    if cache is None:
        pytest.skip("no disk cache in this environment")
    (package / "kernels" / "__pycache__").mkdir()
    for cached in Path(cache).iterdir():
        if cached.suffix in (".nbi", ".nbc"):
            shutil.copy2(cached, package / "kernels" / "__pycache__" / cached.name)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NUMBA_CACHE_DIR", "PYTHON"))
    }
    env["PYTHONPATH"] = str(site)
    env["FASTNN_JIT"] = "1"  # about Numba's cache, not the precompiled kernels

    def cache_hits():
        result = subprocess.run(
            [sys.executable, "-c", CACHE_PROBE, str(package)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    assert cache_hits() == 1, "the copied cache was not used: the test set-up failed"
    dense = package / "kernels" / "dense.py"
    dense.write_text(dense.read_text() + "\n# an edit of a helper's file\n")
    assert cache_hits() == 0, "predict._predict was loaded from a cache made with the old dense.py"


# --- warm-up and the on-disk cache -------------------------------------------------------------


def _theta(name: str, dtype: str) -> str:
    """Numba's type of kernel ``name``'s first argument (θ, or a stack of θ) in ``dtype``
    (the same for every dtype when the kernel takes no θ)."""
    from numba.core.sigutils import normalize_signature

    return str(normalize_signature(_aot.signature_for(name, dtype))[0][0])


@pytest.mark.needs_jit
def test_warmup_compiles_every_public_kernel_and_caches_it_on_disk():
    seconds = fastnn.warmup(jit=True)  # the JIT kernels, even where AOT ones are in use
    assert isinstance(seconds, float) and seconds > 0
    cache_dir = kernel_cache_dir()
    assert cache_dir is not None, "Numba found no writable cache directory"
    for name in PUBLIC_KERNELS:
        kernel = _kernel(name)
        float64 = [sig for sig in kernel.signatures if str(sig[0]) == _theta(name, "float64")]
        assert float64, f"{name} has no float64 version after warmup()"
        assert kernel.stats.cache_path == cache_dir
        module = _aot.ENTRY_POINTS[name][0]
        source_name = kernel.py_func.__name__  # a compiled copy such as _add_l2_call: _add_l2's
        cached = list(Path(cache_dir).glob(f"{module}.{source_name}-*.nbi"))
        assert cached, f"{name} is not cached on disk"


@pytest.mark.needs_jit
def test_warmup_compiles_one_version_per_dtype():
    before = {name: set(_kernel(name).signatures) for name in PUBLIC_KERNELS}
    fastnn.warmup(["float32", np.float64, "float32"], jit=True)
    for name in PUBLIC_KERNELS:
        after = set(_kernel(name).signatures)
        thetas = sorted(str(sig[0]) for sig in after - before[name])
        assert {str(sig[0]) for sig in after} >= {_theta(name, "float64"), _theta(name, "float32")}
        # whatever it had to compile: at most one new version per dtype
        assert len(thetas) == len(set(thetas)) <= 2, (name, thetas)


def test_reference_warmup_has_nothing_to_compile():
    assert ref.warmup() >= 0.0
    assert ref.warmup(("float32", "float64")) >= 0.0
