"""The training loop, all in compiled code (twin: :meth:`fastnn.reference.MLP._train_chunk`).

:func:`_train_epochs` is the training loop the Python side calls, or its twin for per-sample
SGD, :func:`_train_epochs_per_sample`, where :func:`_per_sample_sgd` allows (and
:func:`fastnn.kernels.many._train_block` calls them per model). The loop allocates its
workspaces once, then runs epochs without allocating; each epoch is::

    snapshot (θ, optimizer state) → the steps of the epoch → divergence check (undo the epoch)
    → validation loss → every-k-epochs loss on the whole training set → early stopping

and each step of :func:`_run_epoch` is the algorithm of the twin::

    load the batch → forward → loss and its delta → backward → + L2 → clip → optimizer update

The stages are named kernels of their own files (:mod:`~fastnn.kernels.dense`,
:mod:`~fastnn.kernels.losses`, :mod:`~fastnn.kernels.regularization`,
:mod:`~fastnn.kernels.optimizers`, :mod:`~fastnn.kernels.stopping`). The kernels do not check
their arguments: the public wrappers have converted and validated everything.
"""

import numpy as np

from .._config import HP, IC
from .._names import Loss, Status, Update
from ._jit import ROW_BLOCK, _ix, _refs_end_here, jit, jit_inline, recompiled
from .dense import (
    _act,
    _backward_layer_done,
    _dense_backward,
    _dense_backward_blas,
    _dense_backward_sgd,
    _forward,
    _forward_loops,
    _forward_one_row,
    _loss_code,
    _n_layers,
    _needs_calls,
    _size,
    _uses_blas,
    _w_off,
    _widest,
)
from .losses import _loss_norm, _loss_row, _loss_rows
from .objective import _evaluate, _unit_weights, _weight_sum
from .optimizers import _settings
from .predict import _workspace
from .regularization import _add_l2, _clip_by_global_norm
from .schedules import _learning_rate
from .stopping import _all_finite, _early_stopping, _restore, _snapshot

_OK, _EARLY_STOP, _DIVERGED = int(Status.OK), int(Status.EARLY_STOP), int(Status.DIVERGED)


#: Whether :func:`_load_batch` is compiled as its twin :func:`_load_row`.
_ONE_ROW = False


@jit_inline
def _load_batch(X, Y, sw, perms, local, start, rows, acts, Yb, swb):
    """Copy ``rows`` rows of the epoch's order from ``start`` on into the batch buffers.

    Row ``r`` of the batch is row ``perms[local, start + r]`` of the data (``start + r`` when
    ``perms`` is empty); its inputs go to the input block of ``acts``, its targets to ``Yb``,
    its weight to ``swb`` (when there are weights).
    """
    if _ONE_ROW:  # the twin _load_row: the branch is resolved when it compiles
        rows = min(rows, 1)
    n_in = X.shape[1]
    for r in range(rows):
        src = _ix(perms[local, start + r] if perms.shape[0] > 0 else start + r)
        for j in range(n_in):
            acts[_ix(r * n_in + j)] = X[src, j]
        for j in range(Y.shape[1]):
            Yb[r, j] = Y[src, j]
        if not _ONE_ROW and sw.shape[0] > 0:
            swb[r] = sw[src]
    _refs_end_here(X, Y, sw, perms, acts, Yb, swb)


#: :func:`_load_batch` for the per-sample loop: at most one row, no sample weights.
_load_row = recompiled(_load_batch, "_load_row", jit_inline, _ONE_ROW=True)


@jit
def _stepped(theta):
    """How many parameters the training loop's optimizer step updates: all of them."""
    return theta.shape[0]


@jit
def _none_stepped(theta):
    """:func:`_stepped` in the per-sample loop, whose backward pass has updated θ already."""
    return 0


@jit
def _train_epochs(
    theta, net, netf, X, Y, sw, perms, first_epoch, n_epochs, hp, ic, state, counters, es,
    best_theta, hist, val_X, val_Y, val_sw, val_hist, full_hist,
):  # fmt: skip
    """Train for epochs ``first_epoch … first_epoch + n_epochs - 1``.

    ``theta``, ``state`` (``(2, n_params)`` optimizer state) and ``counters`` (``[optimizer
    steps, rows trained on]``) are updated in place. ``perms`` holds the row order of each epoch
    of this call (shape ``(0, 0)``: data order); ``hp``/``ic`` are a packed
    :class:`fastnn._config.TrainConfig`; ``es`` is the early-stopping state; ``best_theta`` the
    best θ so far; ``hist``, ``val_hist`` and ``full_hist`` are indexed by the epoch number of the
    whole ``fit`` (``full_hist`` by ``epoch // loss_every``).

    Returns ``(status, epochs_done)``: ``Status.OK`` after all epochs, ``Status.EARLY_STOP``
    when patience ran out (θ is the best θ), ``Status.DIVERGED`` when an epoch produced a
    non-finite loss or θ (θ, state and counters are restored to their values before that
    epoch, which is not counted).
    """
    L = _n_layers(net)
    loss = _loss_code(net)
    n = X.shape[0]
    n_out = _size(net, L)
    B = min(ic[IC.batch_size], n)
    has_val = val_X.shape[0] > 0
    loss_scale = hp[HP.loss_scale]
    l2 = hp[HP.l2]
    loss_every = ic[IC.loss_every]
    patience = ic[IC.patience]
    n_params = _stepped(theta)  # the parameters the optimizer step below updates
    update = ic[IC.update]
    mu, rho, eps, beta1, beta2, weight_decay = _settings(hp)
    sum_loss = loss == Loss.SSE

    acts, offsets, zout = _workspace(theta, net, B)
    deltas = np.empty((2, B * _widest(net)), dtype=theta.dtype)
    grad = np.empty_like(theta)
    Yb = np.empty((B, n_out), dtype=theta.dtype)
    swb = np.empty(B if sw.shape[0] > 0 else 0, dtype=theta.dtype)
    theta_backup, state_backup, counters_backup = theta.copy(), state.copy(), counters.copy()
    eval_cap = min(ROW_BLOCK, max(n, val_X.shape[0]))
    eval_acts, eval_offsets, eval_zout = _workspace(theta, net, eval_cap)
    eval_scratch = np.empty((1, eval_zout.shape[0]), dtype=theta.dtype)
    load_once = B == n and perms.shape[0] == 0  # full batch in data order: load the rows once

    for epoch in range(first_epoch, first_epoch + n_epochs):
        local = epoch - first_epoch
        lr = _learning_rate(
            ic[IC.schedule], hp[HP.learning_rate], hp[HP.power], hp[HP.gamma], ic[IC.step_size],
            hp[HP.min_lr], ic[IC.schedule_epochs], epoch, counters[1],
        )  # fmt: skip
        _snapshot(theta, state, counters, theta_backup, state_backup, counters_backup)
        epoch_sum = 0.0
        epoch_weight = 0.0
        for block in range((n + B - 1) // B):
            start = block * B
            rows = min(B, n - start)
            load = rows if not load_once or (epoch == first_epoch and block == 0) else 0
            _load_batch(X, Y, sw, perms, local, start, load, acts, Yb, swb)
            # a batch whose weights sum to zero contributes nothing: its loss and delta are 0 and it
            # takes no optimizer step (written as arithmetic, not `continue`: see the codegen test)
            wsum = _weight_sum(swb, rows)
            live = wsum != 0.0
            calls = _needs_calls(net, rows)
            # forward: a call for big layers (BLAS), the same pass inlined for tiny ones; the
            # inlined one always runs (on 0 rows if the call did it: see fastnn.kernels.dense)
            if calls:
                _forward(theta, net, netf, acts, offsets, zout, rows)
            _forward_loops(theta, net, netf, acts, offsets, zout, 0 if calls else rows)
            norm = _loss_norm(loss, wsum if live else 1.0, n_out)
            batch_loss = loss_scale * _loss_rows(
                loss, netf[L], _act(net, L - 1), netf[L - 1], acts, offsets[L], zout, Yb, swb,
                rows, n_out, deltas, loss_scale / norm,
            ) / norm  # fmt: skip
            # backward, layer by layer (_backward's steps written out: see fastnn.kernels.dense)
            cur = 0
            for k in range(L - 1, -1, -1):
                if _uses_blas(net, k, rows):
                    _dense_backward_blas(
                        theta, net, netf, acts, offsets, k, rows, deltas, cur, grad
                    )
                else:
                    _dense_backward(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad, lr)
                _backward_layer_done(net, netf, acts, offsets, k, rows, deltas, cur)
                cur = 1 - cur
            l2_step = l2 / wsum if ic[IC.l2_per_batch] != 0 else l2
            batch_loss += _add_l2(theta, net, grad, l2_step if live else 0.0)
            _clip_by_global_norm(grad, hp[HP.clip_norm])
            counters[0] += 1 if live else 0
            # the optimizer step (formulas and why it is written out: fastnn.kernels.optimizers)
            if not live:
                pass
            elif update == Update.SGD:
                for p in range(n_params):
                    theta[p] -= lr * grad[p]
            elif update == Update.MOMENTUM or update == Update.NESTEROV:
                for p in range(n_params):
                    b = mu * state[0, p] + grad[p]
                    state[0, p] = b
                    theta[p] -= lr * (grad[p] + mu * b if update == Update.NESTEROV else b)
            elif update == Update.RMSPROP:
                for p in range(n_params):
                    v = rho * state[1, p] + (1.0 - rho) * grad[p] * grad[p]
                    state[1, p] = v
                    theta[p] -= lr * grad[p] / (np.sqrt(v) + eps)
            else:  # Adam, and AdamW: its decoupled weight decay first
                if update == Update.ADAMW:
                    decay = 1.0 - lr * weight_decay
                    for k in range(L):
                        w = _w_off(net, k)
                        for q in range(_size(net, k) * _size(net, k + 1)):
                            theta[_ix(w + q)] *= decay
                c1 = 1.0 - beta1 ** counters[0]
                c2 = 1.0 - beta2 ** counters[0]
                for p in range(n_params):
                    g = grad[p]
                    m = beta1 * state[0, p] + (1.0 - beta1) * g
                    v = beta2 * state[1, p] + (1.0 - beta2) * g * g
                    state[0, p] = m
                    state[1, p] = v
                    theta[p] -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
            counters[1] += rows if live else 0
            epoch_sum += batch_loss if sum_loss else batch_loss * wsum
            epoch_weight += wsum
            if not np.isfinite(batch_loss):
                break  # the epoch diverged (and so its loss is not finite)
        epoch_loss = epoch_sum if sum_loss else epoch_sum / epoch_weight
        finite = _all_finite(theta, epoch_loss)
        val_loss = 0.0
        if finite and has_val:
            val_loss = _evaluate(
                theta, net, netf, val_X, val_Y, val_sw, eval_acts, eval_offsets, eval_zout,
                eval_scratch, eval_cap, loss_scale,
            )  # fmt: skip
            finite = np.isfinite(val_loss)
        if not finite:  # undo the epoch
            _restore(theta_backup, state_backup, counters_backup, theta, state, counters)
            return _DIVERGED, local
        hist[epoch] = epoch_loss
        if has_val:
            val_hist[epoch] = val_loss
        if loss_every > 0 and epoch % loss_every == 0:
            full_hist[epoch // loss_every] = _evaluate(
                theta, net, netf, X, Y, sw, eval_acts, eval_offsets, eval_zout, eval_scratch,
                eval_cap, loss_scale,
            )  # fmt: skip
        monitored = val_loss if has_val else epoch_loss
        if patience > 0 and _early_stopping(es, monitored, epoch, hp, ic, theta, best_theta):
            return _EARLY_STOP, local + 1
    return _OK, n_epochs


#: :func:`_train_epochs` for per-sample plain SGD on a network of small layers, where
#: :func:`_per_sample_sgd` says so: the same source, with helpers that know the batch is one row
#: without sample weights (:func:`_load_row`, :func:`fastnn.kernels.losses._loss_row`,
#: :func:`fastnn.kernels.objective._unit_weights`), the forward pass keeping each output's sum in a
#: register (:func:`fastnn.kernels.dense._forward_one_row`) and the backward pass updating each
#: layer as it goes (:func:`fastnn.kernels.dense._dense_backward_sgd`; the optimizer step after it
#: then updates no parameter). The same steps and bits as :func:`_train_epochs`. Only helpers with
#: the same arguments are swapped, so the loop's structure, and its freedom from reference counting,
#: is the general loop's. (The tests of whether a layer goes to BLAS stay: replaced by constant
#: ``False`` helpers, LLVM folds them and Numba's reference-count pruning then misses five pairs per
#: layer and step.) A kernel of its own, called by the Python side, rather than a branch inside
#: :func:`_train_epochs`: there, the general loop became a helper of a small dispatcher, and the
#: precompiled build then rounded it differently from the JIT.
_train_epochs_per_sample = recompiled(
    _train_epochs,
    "_train_epochs_per_sample",
    jit,
    _weight_sum=_unit_weights,
    _load_batch=_load_row,
    _loss_rows=_loss_row,
    _forward_loops=_forward_one_row,
    _dense_backward=_dense_backward_sgd,
    _stepped=_none_stepped,
)


@jit
def _per_sample_sgd(sw, net, n, ic, hp):
    """Whether :func:`_train_epochs_per_sample` may train on ``n`` rows with the packed settings
    ``ic``/``hp``: per-sample plain SGD (batches of one row, no sample weights, no L2 penalty, no
    clipping) on layers small enough for loops."""
    return (
        min(ic[IC.batch_size], n) == 1
        and sw.shape[0] == 0
        and ic[IC.update] == Update.SGD
        and hp[HP.l2] == 0.0
        and not hp[HP.clip_norm] > 0.0
        and not _needs_calls(net, 1)
    )
