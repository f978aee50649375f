"""fastnn's training engine: configuration in, history and optimizer state out.

Every way of training a network goes through this module: :meth:`fastnn.MLP.fit` builds a
:class:`TrainConfig` from its arguments and calls :func:`train`; :class:`fastnn.Classifier` and
the scikit-learn estimators in :mod:`fastnn.sklearn` call it directly, the latter with their own
row-order stream (``permutation=``) and resuming their optimizer state between calls
(``state=``). :func:`objective` gives the loss a configuration trains on, L2 penalty included,
and its gradient (for full-batch optimisers such as L-BFGS).

The engine works for both twins: the model passed in (``fastnn.MLP`` or
``fastnn.reference.MLP``) supplies the arithmetic, so a configuration means the same on both.

Training runs in chunks of epochs, each one call of the compiled loop, so that a
KeyboardInterrupt is honoured between chunks (a compiled loop cannot be interrupted): θ then
keeps the last completed epoch's values and ``model.history_`` the completed epochs.

Chunks are sized by measured time, whatever the network: each aims at about
:data:`CHUNK_SECONDS` at the rate the chunk before it ran at (seconds per epoch, clock time), and
holds at most :data:`CHUNK_GROWTH` times the epochs of that one, so Ctrl-C is honoured within
about that long. The first chunk, before anything is measured, is sized from a
deliberately pessimistic estimate of an epoch's cost (rows, steps, layers, units and
parameters), so it is short on a slow machine too while a short fit of a tiny network still
runs in one call. One epoch is the smallest chunk: a network whose epoch takes longer than that
is interrupted only when the epoch ends.

Between chunks the engine can report progress (``verbose=``, see :class:`Progress`) and call a
``callback(history)`` that may stop training; with either on, the first chunk is one epoch.
Chunking never changes the arithmetic: the same epochs run with the same row orders, so θ, the
history and the state of the model's random generator are bit-identical however the epochs were
chunked, with and without progress or a callback.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from . import _names
from ._config import TrainConfig
from ._diagnostics import TrainingWarning
from ._names import Status
from ._progress import Progress
from ._validation import lookup_name

__all__ = [
    "History",
    "OptimizerState",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "TrainingDiverged",
    "TrainingWarning",
    "objective",
    "train",
]

#: A chunk of epochs (one call of the compiled loop) aims at about this many seconds of training,
#: at the rate measured on the chunks before it: a KeyboardInterrupt waits at most for the chunk
#: that is running, and a progress bar updates several times a second.
CHUNK_SECONDS = 0.15
#: A chunk holds at most this many times the epochs of the one before, so that one chunk that ran
#: fast (a quiet moment of the machine, a noisy clock) cannot make the next one long.
CHUNK_GROWTH = 4
#: At most this many permutation entries are drawn ahead (bounds the memory of shuffling).
CHUNK_PERMUTATION_ENTRIES = 4_000_000


class _EpochCost(NamedTuple):
    """Seconds per unit of an epoch's work, to size a run's first chunk before any is measured."""

    row_param: float  # per row and parameter: the products forward and backward
    row_unit: float  # per row and unit: activations and their derivatives
    row: float  # per row: shuffling, gathering, the loss
    step_layer: float  # per optimizer step and layer: the calls of a step
    step_param: float  # per step and parameter: the update
    evaluation: float  # per evaluation of a loss outside the steps (validation, ``loss_every``)
    epoch: float  # per epoch: the schedule, the bookkeeping


#: Pessimistic on purpose: 2–60× (mostly 4–10×) what the compiled kernels take on the project's
#: 2-CPU benchmark machine over shapes from the 2-2-1 tutorial network to 784-1024-1024-10, so a
#: first chunk aimed at :data:`CHUNK_SECONDS` is short on a slower machine too; yet the tutorial
#: fits stay one call each (the 2-2-1 network's 1000 epochs are estimated at 16 µs an epoch,
#: about 0.7 µs measured: a first chunk of 9,559 epochs).
EPOCH_COST = _EpochCost(
    row_param=2e-9, row_unit=4e-8, row=1e-7, step_layer=1.5e-6, step_param=4e-9,
    evaluation=5e-6, epoch=2e-6,
)  # fmt: skip

#: The clock chunks are timed by (a module attribute, so tests can replace it).
_clock = time.perf_counter


@dataclass
class History:
    """What one training run recorded.

    Attributes
    ----------
    loss : ndarray
        Training loss of each completed epoch: the mean of the batch losses weighted by batch size
        (the sum of them for ``sse``), each measured before its update, plus the L2 penalty.
    val_loss : ndarray or None
        Loss on the validation data after each epoch (when validation data was given).
    full_loss : ndarray or None
        Loss on the whole training set after epochs 0, k, 2k, … (when ``loss_every=k``).
    stopped_early : bool
        Whether early stopping ended training (θ was then restored to ``best_epoch``'s).
    best_epoch : int or None
        Epoch with the lowest monitored loss (when early stopping was on).
    diverged_at : int or None
        Epoch at which training diverged, if it did.
    interrupted : bool
        Whether a KeyboardInterrupt ended training.
    stopped_by_callback : bool
        Whether the ``callback`` passed to :func:`train` (or ``fit``) returned True and so ended
        training; θ is then that of the last completed epoch.
    """

    loss: np.ndarray
    val_loss: np.ndarray | None = None
    full_loss: np.ndarray | None = None
    stopped_early: bool = False
    best_epoch: int | None = None
    diverged_at: int | None = None
    interrupted: bool = False
    stopped_by_callback: bool = False


class TrainingDiverged(FloatingPointError):
    """Training produced a NaN or infinite loss or parameter; θ was restored.

    Attributes
    ----------
    epoch : int
        The 0-based epoch (of this run) whose loss or parameters became non-finite.
    history : History
        What was recorded before that epoch.
    """

    def __init__(self, message: str, epoch: int, history: History):
        super().__init__(message)
        self.epoch = epoch
        self.history = history


@dataclass
class OptimizerState:
    """An optimizer's state between training runs: pass it back as ``train(..., state=)``.

    Attributes
    ----------
    optimizer : str
        The optimizer it belongs to.
    buffers : ndarray, shape (2, n_params)
        Shaped like θ row by row: the momentum buffer or Adam's first moment, and the
        squared-gradient average (RMSprop, Adam).
    counters : ndarray of int64, shape (2,)
        Optimizer steps taken (Adam's ``t``) and rows trained on (the ``invscaling`` schedule).
    """

    optimizer: str
    buffers: np.ndarray
    counters: np.ndarray = field(default_factory=lambda: np.zeros(2, dtype=np.int64))

    @classmethod
    def fresh(cls, optimizer: str, n_params: int, dtype: Any) -> OptimizerState:
        """The state before the first step: zero buffers and counters."""
        return cls(optimizer, np.zeros((2, n_params), dtype=dtype))


class TrainResult(NamedTuple):
    """What :func:`train` returns: the run's history and the optimizer state after it."""

    history: History
    state: OptimizerState


def train(
    model,
    X,
    y,
    config: TrainConfig,
    epochs: int,
    *,
    sample_weight=None,
    validation_data=None,
    shuffle: bool = True,
    rng: np.random.Generator | None = None,
    permutation: Callable[[int], np.ndarray] | None = None,
    state: OptimizerState | None = None,
    verbose: int | Progress = 0,
    callback: Callable[[History], bool | None] | None = None,
) -> TrainResult:
    """Train ``model`` in place for ``epochs`` epochs under ``config``.

    Parameters
    ----------
    model : fastnn.MLP or fastnn.reference.MLP
        The network; its θ is updated in place and ``model.history_`` set.
    X, y, sample_weight
        Training data, checked and converted as by :meth:`fastnn.MLP.fit`.
    config : TrainConfig
        Optimizer, learning rate and schedule, batch size, L2, clipping, early stopping.
    epochs : int
        Passes over the data.
    validation_data : tuple, optional
        ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``.
    shuffle : bool
        Visit the rows in a new order each epoch (ignored for full-batch training).
    rng : numpy Generator, optional
        Source of the row orders; default: the model's generator. Each shuffled epoch draws one
        64-bit key from it (:func:`shuffle_keys`, a chunk of epochs' keys in one call), and its
        order is a function of that key (:func:`row_orders`; the algorithm is in
        :mod:`fastnn.kernels.shuffle`). The generator is left as after one draw per epoch
        trained, also when training stops early, so two runs of 2 epochs shuffle as one of 4.
    permutation : callable, optional
        ``permutation(n)`` returns the row order of the next epoch; replaces ``rng`` (for callers
        with a shuffling stream of their own, such as scikit-learn's). It is called for a chunk
        of epochs at a time, so a run that stops early (early stopping, divergence, an
        interrupt) may have called it for epochs that did not run.
    state : OptimizerState, optional
        Continue from this state (updated in place) instead of a fresh one. It must belong to
        ``config.optimizer`` and have ``model.n_params`` columns.
    verbose : int or Progress
        0: silent; 1: a progress bar on stderr (tqdm's when tqdm is installed, else one updating
        line) with the epoch, the loss, the validation loss and the elapsed time; 2: one line per
        epoch on stderr. A :class:`Progress` instance is used as it is and left open, so a caller
        that trains in several calls (the scikit-learn estimators) can show one bar for all.
    callback : callable, optional
        ``callback(history)`` is called between chunks of epochs (after the first epoch, then
        about every :data:`CHUNK_SECONDS`, and after the last) with a :class:`History` of the
        epochs completed so far in this run (read-only arrays). If it returns True (any true
        value), training
        stops there: θ keeps the values of the last completed epoch, ``history.loss`` holds the
        completed epochs and ``history.stopped_by_callback`` is True. Any other return value
        (None, False) continues. An exception raised by the callback propagates, θ again
        holding the last completed epoch.

    Returns
    -------
    TrainResult
        ``(history, state)``.

    Raises
    ------
    TrainingDiverged
        If a loss or parameter became NaN or infinite; θ is restored to the last finite epoch.
    """
    X, Y, sw = model._data(X, y, sample_weight)
    return _train_data(
        model, X, Y, sw, model._validation(validation_data), config, epochs, shuffle=shuffle,
        rng=rng, permutation=permutation, state=state, verbose=verbose, callback=callback,
    )  # fmt: skip


def _train_data(
    model, X, Y, sw, validation, config, epochs, *, shuffle, rng, permutation, state, verbose,
    callback,
) -> TrainResult:  # fmt: skip
    """:func:`train` on data the model has already checked and converted (``model._data``,
    ``model._validation``): what :meth:`fastnn.MLP.fit` calls, so its data is checked once."""
    n = X.shape[0]
    lookup_name(_names.OPTIMIZERS, config.optimizer, "config.optimizer")
    lookup_name(_names.SCHEDULES, config.schedule, "config.schedule")
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable, got {type(callback).__name__}")
    progress = verbose if isinstance(verbose, Progress) else Progress.from_verbose(verbose)
    if state is None:
        state = OptimizerState.fresh(config.optimizer, model.n_params, model.dtype)
    elif state.optimizer != config.optimizer or state.buffers.shape != (2, model.n_params):
        raise ValueError(
            f"state belongs to optimizer {state.optimizer!r} with {state.buffers.shape[1]} "
            f"parameters; this run uses {config.optimizer!r} on {model.n_params}"
        )
    if permutation is not None:
        orders: _RowOrders = _CalledOrders(permutation, n)
    else:
        orders = _GeneratorOrders(rng if rng is not None else model._rng, n, model._row_orders)
    owned = progress if progress is not verbose else None  # made here: closed here
    try:
        history = _run(model, X, Y, sw, config, epochs, shuffle and config.batch_size < n, orders,
                       validation, state, progress, callback)  # fmt: skip
    finally:
        if owned is not None:
            owned.close()
    return TrainResult(history, state)


class _RowOrders:
    """The row orders of a run's shuffled epochs, drawn a chunk at a time."""

    def draw(self, count: int) -> np.ndarray:  # pragma: no cover - abstract
        """The orders of the next ``count`` epochs: an int64 array of shape ``(count, n)``."""
        raise NotImplementedError

    def used(self, count: int) -> None:
        """Only the first ``count`` orders of the last :meth:`draw` were trained on: leave the
        stream as if only those had been drawn, where it can be. Idempotent until the next
        draw."""


#: Bit generators whose raw outputs are ``integers(0, 2**64, dtype=np.uint64)``'s draws, state
#: included (MT19937's raw outputs are 32-bit).
_RAW_IS_UINT64 = (np.random.PCG64, np.random.PCG64DXSM, np.random.SFC64, np.random.Philox)


def shuffle_keys(rng: np.random.Generator, count: int) -> np.ndarray:
    """The keys of ``count`` shuffled epochs, drawn from ``rng``: the values and generator state
    of ``rng.integers(0, 2**64, size=count, dtype=np.uint64)``, one 64-bit draw each (so
    drawing them in several calls gives the same keys as in one)."""
    bits = rng.bit_generator
    if type(bits) in _RAW_IS_UINT64:  # the same draws, without integers' checks (~5-20 µs)
        return bits.random_raw(count)
    return rng.integers(0, 2**64, size=count, dtype=np.uint64)


def row_orders(fill: Callable, keys: np.ndarray, n: int) -> np.ndarray:
    """The row orders of the epochs of ``keys`` over ``n`` rows, computed by ``fill``
    (``_row_orders`` of :mod:`fastnn.kernels.shuffle`, or its twin
    :func:`fastnn.reference.shuffle.row_orders`): an int64 array of shape ``(len(keys), n)``."""
    out = np.empty((keys.shape[0], n), dtype=np.int64)  # C order, as the kernels read it
    with np.errstate(over="ignore"):  # the hash wraps modulo 2^64 (numpy scalars would warn)
        fill(np.ascontiguousarray(keys, dtype=np.uint64), out)
    return out


class _GeneratorOrders(_RowOrders):
    """Orders from a numpy Generator: one key per epoch (:func:`shuffle_keys`), its order
    computed by the model's ``fill`` (see :func:`row_orders`)."""

    def __init__(self, generator: np.random.Generator, n: int, fill: Callable):
        self.generator, self.n, self.fill = generator, n, fill
        self.drawn = 0
        self.before: Mapping[str, Any] | None = None

    def draw(self, count):
        self.before, self.drawn = self.generator.bit_generator.state, count
        return row_orders(self.fill, shuffle_keys(self.generator, count), self.n)

    def used(self, count):
        # a chunk that stopped early (early stopping, divergence, an interrupt) drew keys it did
        # not use: from the state before the chunk, draw again only those it used, so the
        # generator's state afterwards does not depend on how the epochs were chunked
        if self.before is not None and count < self.drawn:
            self.generator.bit_generator.state = self.before
            shuffle_keys(self.generator, count)
        self.before = None


class _CalledOrders(_RowOrders):
    """Orders from a caller's ``permutation(n)``, called once per epoch (its stream cannot be
    rewound: after a chunk that stopped early it has been called for the whole chunk)."""

    def __init__(self, permutation: Callable[[int], np.ndarray], n: int):
        self.permutation, self.n = permutation, n

    def draw(self, count):
        n = self.n
        orders = np.ascontiguousarray(
            np.stack([np.asarray(self.permutation(n)) for _ in range(count)]), dtype=np.int64
        )
        # the kernels index rows by these without bounds checks
        if orders.shape != (count, n) or orders.min() < 0 or orders.max() >= n:
            raise ValueError(f"permutation({n}) must return {n} row indices in 0 … {n - 1}")
        return orders


def _epoch_seconds(sizes, n_params, n, batch_size, n_val, loss_every) -> float:
    """A pessimistic estimate of one epoch's seconds (:data:`EPOCH_COST`), before any is timed."""
    cost = EPOCH_COST
    steps = -(-n // max(1, min(batch_size, n)))
    extra = n / loss_every if loss_every else 0.0  # rows of the whole-set losses, per epoch
    evaluations = (n_val > 0) + (1.0 / loss_every if loss_every else 0.0)
    per_row = cost.row_param * n_params + cost.row_unit * sum(sizes[1:]) + cost.row
    per_step = cost.step_layer * (len(sizes) - 1) + cost.step_param * n_params
    rows = n + n_val + extra
    return rows * per_row + steps * per_step + evaluations * cost.evaluation + cost.epoch


def _first_chunk(model, n, config, n_val, epochs, hooked) -> int:
    """The epochs of a run's first chunk: one with a hook on (report the first epoch at once),
    else as many as the estimate (:func:`_epoch_seconds`) fits in :data:`CHUNK_SECONDS`."""
    if hooked:
        return 1
    estimate = _epoch_seconds(
        model.layer_sizes, model.n_params, n, config.batch_size, n_val, config.loss_every
    )
    return max(1, int(min(epochs, CHUNK_SECONDS / estimate)))


def _next_chunk(count: int, ran: int, seconds: float) -> int:
    """The epochs of the chunk after one of ``count`` that ran ``ran`` epochs in ``seconds``:
    about :data:`CHUNK_SECONDS` at that rate, at most :data:`CHUNK_GROWTH` × ``count``, at
    least one."""
    wanted = CHUNK_SECONDS * ran / seconds if seconds > 0 else math.inf
    return max(1, int(min(wanted, CHUNK_GROWTH * count)))


def _interrupt_note(error: BaseException, done: int, epochs: int) -> None:
    """Tell the user what an interrupted run kept (``add_note``, or stderr before Python 3.11)."""
    if done:
        kept = f"the model keeps its parameters after epoch {done} of {epochs}"
    else:
        kept = f"no epoch of {epochs} completed: the model keeps its parameters from before"
    note = f"fastnn: training interrupted; {kept} (model.history_ holds the completed epochs)"
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # pragma: no cover - Python 3.10
        print(note, file=sys.stderr)


def _snapshot(hist, val_hist, full_hist, done, config, has_val) -> History:
    """The history of the first ``done`` epochs, as read-only views (for progress, callbacks)."""

    def view(array, size):
        out = array[:size]
        out.flags.writeable = False
        return out

    used = math.ceil(done / config.loss_every) if config.loss_every else 0
    return History(
        loss=view(hist, done),
        val_loss=view(val_hist, done) if has_val else None,
        full_loss=view(full_hist, used) if config.loss_every else None,
    )


def _run(
    model, X, Y, sw, config, epochs, shuffle, orders, validation, opt, progress=None, callback=None
) -> History:
    """The chunked training driver (inputs already checked)."""
    n = X.shape[0]
    dtype = model.dtype
    if validation is None:
        validation = _no_validation(model)
    has_val = validation[0].shape[0] > 0
    # the histories grow with the epochs actually run (doubling, capped at ``epochs``), so a
    # large ``epochs`` that early stopping ends soon costs no memory up front; the kernels index
    # them by the global epoch number, so each chunk needs room up to its last epoch
    hist = np.empty(0)
    val_hist = np.empty(0)
    full_hist = np.empty(0)
    es = np.array([np.inf, -1.0, 0.0])
    best_theta = model.params.copy() if config.patience else np.empty(0, dtype=dtype)
    # chunks are sized by time (module docstring); shuffling bounds them by memory too
    most = max(1, CHUNK_PERMUTATION_ENTRIES // n) if shuffle else epochs
    no_perms = np.empty((0, 0), dtype=np.int64)
    hooked = progress is not None or callback is not None
    planned = _first_chunk(model, n, config, validation[0].shape[0], epochs, hooked)
    if progress is not None:
        progress.begin(epochs)

    status, done, chunk_start = Status.OK, 0, 0
    interrupted = stopped = False
    try:
        while done < epochs:
            count = min(planned, most, epochs - done)
            chunk_start, started = done, _clock()
            if done + count > hist.shape[0]:
                size = min(epochs, max(done + count, 2 * hist.shape[0]))
                hist = _grown(hist, size)
                if has_val:
                    val_hist = _grown(val_hist, size)
                if config.loss_every:
                    full_hist = _grown(full_hist, (size - 1) // config.loss_every + 1)
            perms = orders.draw(count) if shuffle else no_perms
            status, ran = model._train_chunk(
                X, Y, sw, perms, done, count, config, opt.buffers, opt.counters, es,
                best_theta, hist, *validation, val_hist, full_hist,
            )  # fmt: skip
            done += ran
            if shuffle:
                orders.used(ran)
            planned = _next_chunk(count, ran, _clock() - started)
            if hooked and ran:
                snapshot = _snapshot(hist, val_hist, full_hist, done, config, has_val)
                if progress is not None:
                    progress.update(snapshot)
                if callback is not None and status != Status.DIVERGED:
                    # a true value asks to stop; after the last epoch there is nothing to stop
                    if callback(snapshot) and status == Status.OK and done < epochs:
                        stopped = True
                        break
            if status != Status.OK:
                break
    except KeyboardInterrupt as error:
        interrupted = True
        # the chunk that was running finished (kernels are not interruptible; the reference
        # rolls back a partial epoch): count the epochs it recorded. Those before it are all
        # recorded, so only the rest of the history is scanned (it may be millions long).
        pending = np.isnan(hist[chunk_start:])
        done = chunk_start + (int(np.argmax(pending)) if pending.any() else pending.shape[0])
        _interrupt_note(error, done, epochs)
        raise
    finally:
        if shuffle:  # whatever ended the run: the orders of epochs not run are given back
            orders.used(done - chunk_start)
        if progress is not None:
            progress.end(done)
        model.history_ = _recorded(
            hist, val_hist, full_hist, done, status, es, config, has_val, interrupted, stopped
        )
    if status == Status.DIVERGED:
        raise _diverged(done, config, model.history_)
    return model.history_


def _no_validation(model) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kernels' "no validation data": empty arrays of the model's dtype and widths."""
    dtype = model.dtype
    return (
        np.empty((0, model.layer_sizes[0]), dtype=dtype),
        np.empty((0, model.layer_sizes[-1]), dtype=dtype),
        np.empty(0, dtype=dtype),
    )


def _recorded(
    hist, val_hist, full_hist, done, status, es, config, has_val, interrupted=False, stopped=False
) -> History:
    """The :class:`History` of a run that completed ``done`` epochs and ended with ``status``."""
    used = math.ceil(done / config.loss_every) if config.loss_every else 0
    return History(
        loss=hist[:done].copy(),
        val_loss=val_hist[:done].copy() if has_val else None,
        full_loss=full_hist[:used].copy() if config.loss_every else None,
        stopped_early=status == Status.EARLY_STOP,
        best_epoch=int(es[1]) if config.patience and es[1] >= 0 else None,
        diverged_at=done if status == Status.DIVERGED else None,
        interrupted=interrupted,
        stopped_by_callback=stopped,
    )


def _diverged(done: int, config: TrainConfig, history: History) -> TrainingDiverged:
    return TrainingDiverged(
        f"training diverged in epoch {done} (0-based): the loss or the parameters became "
        f"NaN or infinite. The parameters were restored to their values before that epoch. "
        f"Try a smaller learning_rate (was {config.learning_rate:g}), gradient clipping "
        f"(clip_norm=...) or scaled inputs.",
        done,
        history,
    )


# --- many models in one call (fastnn.train_many) ---------------------------------------------


def _shuffles(plan, n: int) -> bool:
    """Whether a ``fit`` with ``plan`` on ``n`` rows draws row orders."""
    return plan.shuffle and plan.config.batch_size < n


def _block_models(model, n: int, n_val: int, plans: list) -> int:
    """How many of the models planned by ``plans`` (``fit`` plans, in order, for ``n`` rows) one
    call of :func:`_train_block` should train: as long as the pessimistic estimate of their
    epochs (:func:`_epoch_seconds`) stays within :data:`CHUNK_SECONDS` and their row orders
    within :data:`CHUNK_PERMUTATION_ENTRIES`, all shuffled or none. 0 when the first model alone
    would take longer: it trains through ``fit``'s chunked, interruptible path instead."""
    shuffled = _shuffles(plans[0], n)
    seconds = entries = 0.0
    count = 0
    for plan in plans:
        if plan.callback is not None or plan.verbose or _shuffles(plan, n) != shuffled:
            break
        config = plan.config
        seconds += plan.epochs * _epoch_seconds(
            model.layer_sizes, model.n_params, n, config.batch_size, n_val, config.loss_every
        )
        entries += plan.epochs * n if shuffled else 0
        if seconds > CHUNK_SECONDS or entries > CHUNK_PERMUTATION_ENTRIES:
            break
        count += 1
    return count


def _train_block(kernel, models, X, Y, sw, validation, plans, theta) -> list:
    """Train ``models`` (fresh, of one architecture, θ the rows of ``theta``) in one call of the
    compiled block loop ``kernel``, each exactly as its own ``fit`` with ``plans[m]`` would (the
    same θ, history, optimizer state and generator state).

    Sets each model's ``history_`` and optimizer state; returns each one's
    :class:`TrainingDiverged` or None. For models whose training is short
    (:func:`_block_models`): the call cannot be interrupted.
    """
    first = models[0]
    K, n, dtype = len(models), X.shape[0], first.dtype
    if validation is None:
        validation = _no_validation(first)
    has_val = validation[0].shape[0] > 0
    configs = [plan.config for plan in plans]
    epochs = max(plan.epochs for plan in plans)
    packed = [config.pack() for config in configs]
    state = np.zeros((K, 2, first.n_params), dtype=dtype)
    counters = np.zeros((K, 2), dtype=np.int64)
    es = np.tile(np.array([np.inf, -1.0, 0.0]), (K, 1))
    patience = any(config.patience for config in configs)
    best = theta.copy() if patience else np.empty((K, 0), dtype=dtype)
    hist = np.full((K, epochs), np.nan)
    val_hist = np.full((K, epochs if has_val else 0), np.nan)
    every = [config.loss_every for config in configs]
    full_hist = np.full((K, max((epochs - 1) // k + 1 if k else 0 for k in every)), np.nan)
    rngs = [model._rng_for(plan) for model, plan in zip(models, plans, strict=True)]
    orders = [_GeneratorOrders(rng, n, first._row_orders) for rng in rngs]
    shuffled = _shuffles(plans[0], n)
    if shuffled:
        perms = np.zeros((K, epochs, n), dtype=np.int64)
        for m, plan in enumerate(plans):
            perms[m, : plan.epochs] = orders[m].draw(plan.epochs)
    else:
        perms = np.empty((K, 0, 0), dtype=np.int64)
    result = np.zeros((K, 2), dtype=np.int64)
    kernel(
        theta, first._net, first._netf, X, Y, sw, perms,
        np.array([plan.epochs for plan in plans], dtype=np.int64),
        np.stack([p[0] for p in packed]), np.stack([p[1] for p in packed]), state, counters, es,
        best, hist, *validation, val_hist, full_hist, result,
    )  # fmt: skip
    errors = []
    for m, model in enumerate(models):
        status, done = int(result[m, 0]), int(result[m, 1])
        model._optimizer_state = OptimizerState(configs[m].optimizer, state[m], counters[m])
        if shuffled:
            orders[m].used(done)
        model.history_ = _recorded(
            hist[m], val_hist[m], full_hist[m], done, status, es[m], configs[m], has_val
        )
        errors.append(
            _diverged(done, configs[m], model.history_) if status == Status.DIVERGED else None
        )
    return errors


def _grown(array: np.ndarray, size: int) -> np.ndarray:
    """``array`` extended with NaN to ``size`` entries (a new array)."""
    out = np.full(size, np.nan)
    out[: array.shape[0]] = array
    return out


def objective(model, X, y, config: TrainConfig, sample_weight=None) -> tuple[float, np.ndarray]:
    """The full-batch loss ``config`` trains ``model`` on, and its gradient with respect to θ.

    The data loss (times ``config.loss_scale``) plus the L2 penalty ``0.5 * l2 * Σ W²`` (divided
    by the weight sum when ``config.l2_per_batch``): the objective of one full-batch step.

    Returns
    -------
    (float, ndarray)
        The loss, and a new array shaped like θ.
    """
    X, Y, sw = model._data(X, y, sample_weight)
    grad = np.empty_like(model.params)
    loss = float(model._loss_gradient(X, Y, sw, config.loss_scale, grad))
    l2 = config.l2
    if config.l2_per_batch:
        l2 = l2 / (float(X.shape[0]) if sw.shape[0] == 0 else float(sw.sum()))
    if l2 != 0.0:
        loss += float(model._add_l2(grad, l2))
    return loss, grad
