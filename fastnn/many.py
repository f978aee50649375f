"""Train K networks of one architecture in one call, spread over the machine's cores.

:func:`train_many` trains ``n_models`` networks on one shared ``X, y`` and returns them as a
:class:`fastnn.Ensemble`: θ of model ``k`` is row ``k`` of one ``(n_models, n_params)`` array.
Each model may have its own seed, initial θ, row subset (folds, bootstrap samples), validation
rows and any of :meth:`fastnn.MLP.fit`'s settings (learning rate, optimizer and its
hyperparameters, L2, epochs, early stopping, …).

How it works, and why it is exact
    Model ``k`` is built as ``fastnn.MLP(layer_sizes, activations, loss, seed=seeds[k], ...)``
    would build it (its θ drawn into row ``k``), then trained as its own
    :meth:`fastnn.MLP.fit` on ``X[rows[k]]`` would train it: the same checks of its settings,
    the same compiled training loop with the same arguments. So its θ, history and random
    generator are bit for bit those of training it alone. The training kernels are compiled
    ahead of time and release the GIL, so ``n_jobs`` threads train different models at the same
    time; each thread takes the next untrained unit when it finishes one.

    A unit is one model, trained by ``fit`` itself (in interruptible chunks), or — when all
    models share the data (no ``rows``/``validation_rows``) and a model's training is short — a
    block of models, trained by one call of a compiled loop over the block
    (:mod:`fastnn.kernels.many`). Blocks spare the trip through Python between models, which
    with tiny networks costs more than the training and, with several threads, makes them wait
    for each other's GIL. A block is sized so that its pessimistically estimated time stays
    within one of ``fit``'s chunks (:data:`fastnn.engine.CHUNK_SECONDS`), so a KeyboardInterrupt
    still waits about that long at most, and to a ``BLOCKS_PER_THREAD``-th of a thread's share.

    Nothing is shared between models but the read-only data, so calls from several Python
    threads at once are safe and give the bits of serial runs. (No ``parallel=True`` Numba
    kernel is involved, so Numba's threading layer plays no part.)
Divergence
    A model whose loss or θ becomes NaN or infinite stops there (θ restored to its last finite
    epoch, as in ``fit``); its :class:`fastnn.TrainingDiverged` goes to ``errors_[k]`` and the
    other models train on untouched.
Memory
    The result holds ``n_models`` × (θ + optimizer state + history) and one small model object
    per model. ``X`` and ``y`` are converted once and shared; a model with ``rows`` trains on the
    copy ``X[rows]``, made when it starts and freed when it ends, so at most ``n_jobs`` such
    copies exist at once (``n_jobs × len(rows) × n_features`` values), never one per model.
Dask
    With ``client=`` (a ``dask.distributed.Client``), or inside
    ``joblib.parallel_config(backend="dask")``, blocks of models are trained as tasks on the
    cluster's workers (the data is scattered to each worker once); each worker imports fastnn
    and uses its precompiled kernels. The models are the ones a local run gives, bit for bit,
    when the workers run the same fastnn and kernels (the same CPU target) as the client.
"""

from __future__ import annotations

import inspect
import itertools
import os
import sys
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import engine
from ._diagnostics import warn_if_unhealthy
from ._spec import initial_params
from ._validation import (
    as_float_array,
    as_rng,
    check_bool,
    check_int,
    check_sample_weight,
    check_seed,
    check_targets,
    check_X,
    check_y,
    unexpected_keyword,
)
from .ensemble import Ensemble
from .model import MLP

__all__ = ["FIT_SETTINGS", "default_n_jobs", "train_many"]

#: The keyword arguments of :meth:`fastnn.MLP.fit` that :func:`train_many` passes on; each may be
#: one value for every model or a sequence of one value per model.
FIT_SETTINGS = (
    "epochs",
    "learning_rate",
    "batch_size",
    "optimizer",
    "momentum",
    "nesterov",
    "beta1",
    "beta2",
    "eps",
    "rho",
    "weight_decay",
    "l2",
    "clip_norm",
    "schedule",
    "power",
    "step_size",
    "gamma",
    "min_lr",
    "schedule_epochs",
    "shuffle",
    "patience",
    "tol",
    "loss_every",
)

_OWN_ARGUMENTS = (
    "activations",
    "loss",
    "n_models",
    "seeds",
    "init",
    "dtype",
    "bias",
    "params",
    "rows",
    "validation_rows",
    "sample_weight",
    "validation_data",
    "n_jobs",
    "client",
    "verbose",
)

#: With dask, about this many blocks of models per worker thread (balances uneven models).
BLOCKS_PER_THREAD = 4


def default_n_jobs() -> int:
    """The number of cores this process may run on (its CPU affinity, else ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class _Task:
    """What model ``index`` is built and trained with."""

    index: int
    seed: Any
    params: np.ndarray | None
    rows: np.ndarray | None
    validation_rows: np.ndarray | None
    settings: dict


@dataclass
class _Data:
    """The data every model shares (checked and converted once)."""

    X: np.ndarray
    Y: np.ndarray
    sample_weight: np.ndarray | None
    validation_data: tuple | None
    init: Any


class _ChecksPassed(Exception):
    """Raised by :class:`_Probe` where training would begin: ``fit`` accepted its arguments."""


class _Probe(MLP):
    """An MLP whose ``fit`` checks its arguments as always and stops before the first epoch."""

    def _train_chunk(self, *args):
        raise _ChecksPassed


def _clone(template: MLP, cls: type = MLP) -> MLP:
    """A new model object sharing ``template``'s architecture (θ and generator set by caller)."""
    model: MLP = object.__new__(cls)
    model.__dict__.update(template.__dict__)
    return model


def _build(template: MLP, task: _Task, init, row: np.ndarray) -> MLP:
    """Model ``task.index`` as ``MLP(..., seed=task.seed, init=init, params=task.params)`` builds
    it, with ``row`` as its θ."""
    model = _clone(template)
    rng = as_rng(task.seed, "seeds")
    if task.params is None:
        row[:] = initial_params(template.spec, init, rng)
    else:
        row[:] = task.params
    model._rng = rng
    model._attach(row)
    return model


def _fit(model: MLP, task: _Task, data: _Data) -> engine.TrainingDiverged | None:
    """Train ``model`` as ``model.fit`` on its rows; the divergence that stopped it, if any."""
    rows = task.rows
    X, Y, sw = data.X, data.Y, data.sample_weight
    if rows is not None:
        X, Y = X[rows], Y[rows]
        sw = None if sw is None else sw[rows]
    validation = data.validation_data
    if task.validation_rows is not None:
        v = task.validation_rows
        validation = (data.X[v], data.Y[v])
        if data.sample_weight is not None:
            validation += (data.sample_weight[v],)
    try:
        model.fit(X, Y, sample_weight=sw, validation_data=validation, **task.settings)
    except engine.TrainingDiverged as error:
        return error
    return None


def _train_block(template: MLP, tasks: list, data: _Data) -> list:
    """Build and train ``tasks`` one after another (a dask task): ``(model, divergence)`` each.

    A divergence is returned as ``(message, epoch)``: the exception itself does not pickle.
    """
    out = []
    for task in tasks:
        row = np.empty(template.n_params, dtype=template.dtype)
        model = _build(template, task, data.init, row)
        error = _fit(model, task, data)
        out.append((model, None if error is None else (str(error), error.epoch)))
    return out


# --- argument checking ---------------------------------------------------------------------------


def _is_per_model(value) -> bool:
    return isinstance(value, (list, tuple, range)) or (
        isinstance(value, np.ndarray) and value.ndim > 0
    )


def _count(candidates: dict) -> int:
    """The one number of models the arguments agree on."""
    counts = {name: n for name, n in candidates.items() if n is not None}
    if not counts:
        raise ValueError(
            "train_many needs the number of models: give n_models, or a per-model argument "
            "(seeds, params, rows, or a setting with one value per model)"
        )
    if len(set(counts.values())) > 1:
        said = ", ".join(f"{name}: {n}" for name, n in counts.items())
        raise ValueError(f"the arguments disagree on the number of models ({said})")
    return next(iter(counts.values()))


def _index_arrays(value, n_models: int, n_rows: int, name: str) -> list | None:
    """Per-model row selections as intp arrays (index arrays, or boolean masks of ``n_rows``)."""
    if value is None:
        return None
    out = []
    for k, item in enumerate(value):
        index = np.asarray(item)
        if index.dtype == bool:
            if index.shape != (n_rows,):
                raise ValueError(
                    f"{name}[{k}] is a boolean mask of shape {index.shape}; it needs {n_rows} "
                    "entries, one per row of X"
                )
            index = np.flatnonzero(index)
        elif index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
            raise TypeError(
                f"{name}[{k}] must be a 1-D array of row indices or a boolean mask, got "
                f"{index.dtype} of shape {index.shape}"
            )
        if index.size == 0:
            raise ValueError(f"{name}[{k}] selects no rows")
        if index.min() < 0 or index.max() >= n_rows:
            raise ValueError(
                f"{name}[{k}] holds row indices outside 0 … {n_rows - 1} (X has {n_rows} rows)"
            )
        out.append(index.astype(np.intp, copy=False))
    if len(out) != n_models:  # pragma: no cover - _count checked the length
        raise ValueError(f"{name} must hold {n_models} row selections, got {len(out)}")
    return out


def _seeds(seeds, n_models: int) -> list:
    if seeds is None or isinstance(seeds, np.random.Generator):
        if isinstance(seeds, np.random.Generator):
            raise TypeError(
                "seeds must be an int (model k gets seeds + k), a sequence of one seed per "
                "model, or None; one Generator cannot be shared by the models"
            )
        return [None] * n_models
    if not _is_per_model(seeds):
        first = check_seed(seeds, "seeds")
        return [first + k for k in range(n_models)]
    out = [check_seed(s, f"seeds[{k}]") for k, s in enumerate(seeds)]
    generators = [id(s) for s in out if isinstance(s, np.random.Generator)]
    if len(generators) != len(set(generators)):
        raise ValueError("seeds holds one numpy Generator twice: each model needs its own")
    return out


def _check_settings(probe, data: _Data, tasks: list, varying: bool) -> None:
    """Run ``fit``'s own checks on every model's settings before anything trains."""
    seen = set()
    for task in tasks:
        settings = task.settings
        try:
            if "epochs" in settings:
                check_int(settings["epochs"], "epochs")
            if "shuffle" in settings:
                check_bool(settings["shuffle"], "shuffle")
            quick = {**settings, "epochs": 1, "shuffle": False}
            try:
                key = tuple(sorted(quick.items()))
                hash(key)
            except TypeError:
                key = None
            if key is not None and key in seen:
                continue
            validation = data.validation_data
            if task.validation_rows is not None:
                v = task.validation_rows
                validation = (data.X[v], data.Y[v])
            try:
                probe.fit(data.X, data.Y, sample_weight=data.sample_weight,
                          validation_data=validation, **quick)  # fmt: skip
            except _ChecksPassed:
                pass
            if key is not None:
                seen.add(key)
        except (TypeError, ValueError) as error:
            if not varying:
                raise
            raise type(error)(f"model {task.index}: {error}") from None


def _check_subset_weights(sample_weight, selections, name, dtype, rescale) -> None:
    """Each model's share of ``sample_weight`` is one ``fit`` accepts (not all zero, …)."""
    if sample_weight is None or selections is None:
        return
    for k, index in enumerate(selections):
        try:
            check_sample_weight(sample_weight[index], index.shape[0], dtype, rescale=rescale)
        except ValueError as error:
            raise ValueError(f"model {k}: sample_weight[{name}[{k}]]: {error}") from None


# --- running ---------------------------------------------------------------------------------


class _Progress:
    """Models done, on stderr: a tqdm bar when tqdm is installed, else a line now and then."""

    def __init__(self, total: int, verbose: bool):
        self.total, self.done, self.verbose = total, 0, verbose
        self.lock = threading.Lock()
        self.bar = None
        self.last = 0.0
        if verbose:
            try:
                from tqdm.auto import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self.bar = tqdm(total=total, desc="train_many", unit="model", file=sys.stderr)

    def update(self, n: int) -> None:
        if not self.verbose:
            return
        with self.lock:
            self.done += n
            if self.bar is not None:
                self.bar.update(n)
                return
            now = time.monotonic()
            if self.done == self.total or now - self.last >= 1.0:
                self.last = now
                print(
                    f"fastnn.train_many: {self.done}/{self.total} models trained",
                    file=sys.stderr,
                    flush=True,
                )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


#: The parameters of ``MLP._fit_plan`` after ``n``: ``fit``'s settings.
_PLAN_PARAMETERS = tuple(inspect.signature(MLP._fit_plan).parameters)[2:]
#: ``fit``'s defaults, for the settings a ``train_many`` call leaves out.
_FIT_DEFAULTS = {
    name: parameter.default
    for name, parameter in inspect.signature(MLP.fit).parameters.items()
    if parameter.default is not inspect.Parameter.empty
}


def _plans(template: MLP, tasks: list, n: int) -> list:
    """Each task's ``fit`` plan for ``n`` rows, made once per distinct settings."""
    made: dict = {}
    plans = []
    for task in tasks:
        try:
            key = tuple(sorted(task.settings.items()))
            plan = made.get(key)
        except TypeError:  # an unhashable setting value
            key, plan = None, None
        if plan is None:
            settings = {**_FIT_DEFAULTS, **task.settings}
            plan = template._fit_plan(n, *(settings[name] for name in _PLAN_PARAMETERS))
            if key is not None:
                made[key] = plan
        plans.append(plan)
    return plans


def _share_data(tasks: list) -> bool:
    """Whether every model trains on the whole shared data (no ``rows``/``validation_rows``)."""
    return all(task.rows is None and task.validation_rows is None for task in tasks)


def _units(template: MLP, K: int, plans: list | None, data: _Data, n_jobs: int) -> list:
    """How the models are trained: ``(start, stop)`` ranges of task indices. A range of several
    models is one call of the compiled block loop (:func:`fastnn.engine._train_block`); a
    single model trains through ``fit``. Blocks are used when every model trains on the shared
    data (``plans``, their ``fit`` plans, is then given; None otherwise), and hold at most a
    ``BLOCKS_PER_THREAD``-th of a thread's share, so that the threads stay busy until the end."""
    if plans is None:
        return [(k, k + 1) for k in range(K)]
    n = data.X.shape[0]
    n_val = 0 if data.validation_data is None else len(data.validation_data[0])
    cap = max(1, -(-K // (n_jobs * BLOCKS_PER_THREAD)))
    units, k = [], 0
    while k < K:
        size = min(cap, engine._block_models(template, n, n_val, plans[k : k + cap]))
        size = max(size, 1)
        units.append((k, k + size))
        k += size
    return units


def _run_local(template, tasks, data, stack, n_jobs, progress):
    n = len(tasks)
    models: list = [None] * n
    errors: list = [None] * n
    plans = _plans(template, tasks, data.X.shape[0]) if _share_data(tasks) else None
    units = _units(template, n, plans, data, n_jobs)
    shared = None  # the checked weights and validation data of a block, made once
    if any(stop - start > 1 for start, stop in units):
        rescale = template.spec.loss != "sse"
        shared = (
            check_sample_weight(
                data.sample_weight, data.X.shape[0], template.dtype, rescale=rescale
            ),
            template._validation(data.validation_data),
        )

    def one(k):
        model = _build(template, tasks[k], data.init, stack[k])
        models[k] = model
        errors[k] = _fit(model, tasks[k], data)
        progress.update(1)

    def block(start, stop):
        assert shared is not None and plans is not None
        sw, validation = shared
        built = [_build(template, tasks[k], data.init, stack[k]) for k in range(start, stop)]
        found = engine._train_block(
            MLP._train_models, built, data.X, data.Y, sw, validation, plans[start:stop],
            stack[start:stop],
        )  # fmt: skip
        for k, model, error in zip(range(start, stop), built, found, strict=True):
            warn_if_unhealthy(model, data.X, model.history_, plans[k].config.learning_rate)
            models[k], errors[k] = model, error
        progress.update(stop - start)

    def unit(start, stop):
        if stop - start == 1:
            one(start)
        else:
            block(start, stop)

    if n_jobs == 1:
        for start, stop in units:
            unit(start, stop)
        return models, errors
    following = itertools.count()  # next() is atomic: each unit is taken by one thread
    stop_event = threading.Event()

    def worker():
        while not stop_event.is_set():
            i = next(following)
            if i >= len(units):
                return
            unit(*units[i])

    with ThreadPoolExecutor(n_jobs, thread_name_prefix="fastnn-train-many") as pool:
        futures = [pool.submit(worker) for _ in range(n_jobs)]
        try:
            done, _ = wait(futures, return_when=FIRST_EXCEPTION)
            for future in done:
                future.result()  # the first error of a thread, if any
        except BaseException:
            stop_event.set()  # the threads finish the models they are training, then stop
            raise
    return models, errors


def _joblib_dask_client():
    """The client of an active ``joblib.parallel_config(backend="dask")``, else None."""
    if "joblib" not in sys.modules:  # then no joblib backend can be active
        return None
    try:
        from joblib.parallel import get_active_backend

        backend, _ = get_active_backend()
    except Exception:  # pragma: no cover - another joblib
        return None
    if type(backend).__name__ == "DaskDistributedBackend":
        return getattr(backend, "client", None)
    return None


def _run_dask(client, template, tasks, data, stack, progress):
    from dask.distributed import as_completed

    n = len(tasks)
    # hash=False: a key of its own (a previous call's scatter of equal data may be being released)
    [shared] = client.scatter([data], broadcast=True, hash=False)
    threads = sum(client.nthreads().values()) or 1
    blocks = [b for b in np.array_split(np.arange(n), min(n, BLOCKS_PER_THREAD * threads))]
    futures = {
        client.submit(_train_block, template, [tasks[k] for k in block], shared, pure=False): block
        for block in blocks
        if block.size
    }
    models: list = [None] * n
    errors: list = [None] * n
    try:
        for future in as_completed(futures):
            block = futures[future]
            for k, (model, error) in zip(block, future.result(), strict=True):
                stack[k] = model.params
                model._attach(stack[k])
                models[k] = model
                if error is not None:
                    errors[k] = engine.TrainingDiverged(error[0], error[1], model.history_)
            progress.update(block.size)
    except BaseException:
        for future in futures:
            future.cancel()
        raise
    return models, errors


# --- the public function ----------------------------------------------------------------------


def train_many(
    layer_sizes,
    X,
    y,
    *,
    activations="sigmoid",
    loss="mse",
    n_models=None,
    seeds=None,
    init=None,
    dtype=np.float64,
    bias=True,
    params=None,
    rows=None,
    validation_rows=None,
    sample_weight=None,
    validation_data=None,
    n_jobs=None,
    client=None,
    verbose=False,
    **settings,
) -> Ensemble:
    """Train ``n_models`` networks of one architecture on one ``X, y``, on all cores.

    Model ``k`` ends bit for bit as ::

        net = fastnn.MLP(layer_sizes, activations, loss, seed=seeds[k], init=init, dtype=dtype,
                         bias=bias, params=params[k])
        net.fit(X[rows[k]], y[rows[k]], sample_weight=sample_weight[rows[k]],
                validation_data=(X[validation_rows[k]], y[validation_rows[k]]),  # or shared
                **{name: value[k] for each per-model setting, value for the others})

    (leaving out what is not given) would end: the same θ, history and random generator state.

    Parameters
    ----------
    layer_sizes, activations, loss, init, dtype, bias
        The architecture and initialisation, shared by all models (see :class:`fastnn.MLP`).
    X, y : array-like
        The training data, shared; checked and converted to ``dtype`` once.
    n_models : int, optional
        How many models; may be left out when a per-model argument says it.
    seeds : int, sequence or None
        Seed of each model's initial θ and shuffling: a sequence of one seed (int, or a numpy
        Generator used by that model only) per model; an int ``s`` means ``s, s + 1, …``; None
        seeds each model from fresh entropy (not reproducible).
    params : array-like, shape (n_models, n_params), optional
        Initial θ of each model (instead of drawing it; not with ``init``).
    rows : sequence of index arrays or boolean masks, optional
        The rows of ``X, y`` (and ``sample_weight``) each model trains on: folds, bootstrap
        samples (repeated indices count twice, as in ``X[rows]``).
    validation_rows : sequence of index arrays or boolean masks, optional
        Each model's validation rows of ``X, y`` (weighted by ``sample_weight`` if given), e.g.
        the held-out fold; its loss is recorded each epoch and drives early stopping
        (``patience=``). Not with ``validation_data``.
    sample_weight : array-like, shape (n_samples,), optional
        Row weights, shared (indexed by ``rows``).
    validation_data : tuple, optional
        ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)`` for every model.
    n_jobs : int, optional
        Threads training models at once; default (None or -1) all the cores this process may
        use (:func:`default_n_jobs`). Ignored with dask.
    client : dask.distributed.Client, optional
        Train on this cluster instead (also used, without this argument, inside
        ``joblib.parallel_config(backend="dask")``).
    verbose : bool
        Report models done on stderr (a tqdm bar if tqdm is installed).
    **settings
        Any of :data:`FIT_SETTINGS` (``epochs``, ``learning_rate``, ``batch_size``,
        ``optimizer``, ``momentum``, …, ``patience``, ``loss_every``), as in
        :meth:`fastnn.MLP.fit`: one value for all models, or a list, tuple or 1-D array of one
        value per model (strings and None are single values; ``[0.1, 0.01]`` is per model).

    Returns
    -------
    fastnn.Ensemble
        ``ensemble.params`` is the ``(n_models, n_params)`` array of final θ (row ``k`` is model
        ``k``'s own storage), ``ensemble[k]`` model ``k``, ``ensemble.histories_[k]`` its
        :class:`fastnn.History` (loss, val_loss, …), ``ensemble.errors_[k]`` its
        :class:`fastnn.TrainingDiverged` or None.

    Examples
    --------
    >>> import fastnn
    >>> X = [[-2, -1], [25, 6], [17, 4], [-15, -6]]
    >>> y = [1, 0, 0, 1]
    >>> ens = fastnn.train_many((2, 2, 1), X, y, seeds=[0, 1, 2], epochs=200,
    ...                         learning_rate=[0.05, 0.1, 0.2], batch_size=1, shuffle=False)
    >>> ens.params.shape
    (3, 9)
    >>> net = fastnn.MLP((2, 2, 1), seed=2)
    >>> _ = net.fit(X, y, epochs=200, learning_rate=0.2, batch_size=1, shuffle=False)
    >>> bool((net.params == ens.params[2]).all())
    True
    >>> ens.predict([[-7, -3], [20, 2]]).shape
    (2, 1)

    Raises
    ------
    TypeError, ValueError
        For bad arguments, before any model trains (each model's settings go through
        ``fit``'s own checks; "model k: ..." says which model when settings differ per model).
    """
    for name in settings:
        if name not in FIT_SETTINGS:
            raise TypeError(
                "train_many() " + unexpected_keyword(name, (*FIT_SETTINGS, *_OWN_ARGUMENTS))
            )
    template = MLP(layer_sizes, activations, loss, seed=0, init=init, dtype=dtype, bias=bias)
    spec = template.spec
    sizes, dtype = spec.sizes, spec.dtype
    X = check_X(X, sizes[0], dtype)
    Y = check_targets(check_y(y, X.shape[0], sizes[-1], dtype), spec.loss)
    n_rows = X.shape[0]
    rescale = spec.loss != "sse"
    if sample_weight is not None:
        check_sample_weight(sample_weight, n_rows, dtype, rescale=rescale)
        sample_weight = np.asarray(sample_weight)
    if validation_data is not None and validation_rows is not None:
        raise ValueError("give validation_data (shared) or validation_rows (per model), not both")
    verbose = check_bool(verbose, "verbose")

    per_model = {name: value for name, value in settings.items() if _is_per_model(value)}
    candidates = {
        "n_models": None if n_models is None else check_int(n_models, "n_models"),
        "seeds": len(seeds) if _is_per_model(seeds) else None,
        "params": None if params is None else len(params),
        "rows": None if rows is None else len(rows),
        "validation_rows": None if validation_rows is None else len(validation_rows),
        **{name: len(value) for name, value in per_model.items()},
    }
    K = _count(candidates)
    seed_list = _seeds(seeds, K)
    if params is not None:
        if init is not None:
            raise ValueError("give either params or init, not both")
        params = as_float_array(params, "params", dtype)
        if params.shape != (K, template.n_params):
            raise ValueError(
                f"params must have shape (n_models, n_params) = ({K}, {template.n_params}) for "
                f"layer_sizes {sizes}, got {params.shape}"
            )
        if not np.isfinite(params).all():
            raise ValueError("params contains NaN or infinity")
    row_list = _index_arrays(rows, K, n_rows, "rows")
    validation_list = _index_arrays(validation_rows, K, n_rows, "validation_rows")
    _check_subset_weights(sample_weight, row_list, "rows", dtype, rescale)
    _check_subset_weights(sample_weight, validation_list, "validation_rows", dtype, rescale)

    tasks = [
        _Task(
            index=k,
            seed=seed_list[k],
            params=None if params is None else params[k],
            rows=None if row_list is None else row_list[k],
            validation_rows=None if validation_list is None else validation_list[k],
            settings={
                name: (value[k] if name in per_model else value) for name, value in settings.items()
            },
        )
        for k in range(K)
    ]
    data = _Data(X, Y, sample_weight, validation_data, init)
    _check_settings(_clone(template, _Probe), data, tasks, varying=bool(per_model))

    if client is None:
        client = _joblib_dask_client()
    if client is None:
        if n_jobs is None or n_jobs == -1:
            n_jobs = default_n_jobs()
        n_jobs = min(check_int(n_jobs, "n_jobs"), K)

    stack = np.empty((K, template.n_params), dtype=dtype)
    progress = _Progress(K, verbose)
    try:
        if client is None:
            models, errors = _run_local(template, tasks, data, stack, n_jobs, progress)
        else:
            models, errors = _run_dask(client, template, tasks, data, stack, progress)
    finally:
        progress.close()
    return Ensemble._from_rows(stack, models, [m.history_ for m in models], errors)
