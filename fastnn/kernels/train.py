"""The training loop, all in compiled code (twin: :mod:`fastnn.reference.train`).

:func:`_train_epochs` is the only training kernel the Python side calls. It allocates its
workspaces once, then runs epochs of mini-batch steps without allocating. Each step is the
algorithm of the twin, one named kernel per stage::

    load the batch → forward → loss and its delta → backward → + L2 → clip → optimizer update

and each epoch ends with the divergence check, the validation loss, the every-k-epochs loss on
the whole training set and early stopping (:mod:`fastnn.kernels.stopping`). The kernel does not
check its arguments: the public wrappers have converted and validated everything.
"""

import numpy as np

from .._config import HP, IC
from .._names import Loss, Status, Update
from ._jit import ROW_BLOCK, _ix, jit
from .dense import (
    _act,
    _backward_layer_done,
    _dense_backward,
    _dense_backward_blas,
    _forward,
    _forward_loops,
    _loss_code,
    _n_layers,
    _needs_calls,
    _size,
    _uses_blas,
    _w_off,
    _widest,
)
from .losses import _loss_norm, _loss_rows
from .objective import _evaluate, _weight_sum
from .optimizers import _settings
from .predict import _workspace
from .regularization import _add_l2, _clip_by_global_norm
from .schedules import _learning_rate

_OK, _EARLY_STOP, _DIVERGED = int(Status.OK), int(Status.EARLY_STOP), int(Status.DIVERGED)


@jit
def _train_epochs(
    theta,
    net,
    netf,
    X,
    Y,
    sw,
    perms,
    first_epoch,
    n_epochs,
    hp,
    ic,
    state,
    counters,
    es,
    best_theta,
    hist,
    val_X,
    val_Y,
    val_sw,
    val_hist,
    full_hist,
):
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
    tol = hp[HP.tol]
    n_params = theta.shape[0]
    n_in = _size(net, 0)
    shuffled = perms.shape[0] > 0
    weighted = sw.shape[0] > 0
    clip_norm = hp[HP.clip_norm]
    update = ic[IC.update]
    mu, rho, eps, beta1, beta2, weight_decay = _settings(hp)
    sum_loss = loss == Loss.SSE

    # workspaces, allocated once for the whole call
    acts, offsets, zout = _workspace(theta, net, B)
    deltas = np.empty((2, B * _widest(net)), dtype=theta.dtype)
    grad = np.empty_like(theta)
    Yb = np.empty((B, n_out), dtype=theta.dtype)
    swb = np.empty(B if sw.shape[0] > 0 else 0, dtype=theta.dtype)
    theta_backup = np.empty_like(theta)
    state_backup = np.empty_like(state)
    counters_backup = counters.copy()
    eval_cap = min(ROW_BLOCK, max(n, val_X.shape[0]))
    eval_acts, eval_offsets, eval_zout = _workspace(theta, net, eval_cap)
    eval_scratch = np.empty((1, eval_zout.shape[0]), dtype=theta.dtype)
    load_once = B == n and perms.shape[0] == 0  # full batch in data order: load the rows once

    for epoch in range(first_epoch, first_epoch + n_epochs):
        local = epoch - first_epoch
        lr = _learning_rate(
            ic[IC.schedule],
            hp[HP.learning_rate],
            hp[HP.power],
            hp[HP.gamma],
            ic[IC.step_size],
            hp[HP.min_lr],
            ic[IC.schedule_epochs],
            epoch,
            counters[1],
        )
        for p in range(n_params):  # what a diverging epoch falls back to
            theta_backup[p] = theta[p]
            state_backup[0, p] = state[0, p]
            state_backup[1, p] = state[1, p]
        counters_backup[0] = counters[0]
        counters_backup[1] = counters[1]
        epoch_sum = 0.0
        epoch_weight = 0.0
        finite = True
        for block in range((n + B - 1) // B):
            start = block * B
            rows = min(B, n - start)
            if not load_once or (epoch == first_epoch and block == 0):
                for r in range(rows):
                    src = _ix(perms[local, start + r] if shuffled else start + r)
                    for j in range(n_in):
                        acts[_ix(r * n_in + j)] = X[src, j]
                    for j in range(n_out):
                        Yb[r, j] = Y[src, j]
                    if weighted:
                        swb[r] = sw[src]
            # a batch whose weights sum to zero contributes nothing: its loss and delta are 0 and it
            # takes no optimizer step (written as arithmetic, not `continue`: see the codegen test)
            wsum = _weight_sum(swb, rows)
            live = wsum != 0.0
            calls = _needs_calls(net, rows)
            # the forward pass: for big layers (BLAS products, separate activation loops) a call;
            # for tiny ones the same pass inlined here. The inlined pass runs in both cases (on
            # no rows when the call does the work): an inlined helper called in a branch would
            # keep its reference counting, one called unconditionally does not.
            if calls:
                _forward(theta, net, netf, acts, offsets, zout, rows)
            _forward_loops(theta, net, netf, acts, offsets, zout, 0 if calls else rows)
            norm = _loss_norm(loss, wsum if live else 1.0, n_out)
            delta_scale = loss_scale / norm
            batch_loss = (
                loss_scale
                * _loss_rows(
                    loss,
                    netf[L],
                    _act(net, L - 1),
                    netf[L - 1],
                    acts,
                    offsets[L],
                    zout,
                    Yb,
                    swb,
                    rows,
                    n_out,
                    deltas,
                    delta_scale,
                )
                / norm
            )
            # the backward pass, layer by layer (the layer steps of _backward, written out here:
            # inlined as one pass they would keep reference counts, see fastnn.kernels.dense)
            cur = 0
            for k in range(L - 1, -1, -1):
                if _uses_blas(net, k, rows):
                    _dense_backward_blas(
                        theta, net, netf, acts, offsets, k, rows, deltas, cur, grad
                    )
                else:
                    _dense_backward(theta, net, netf, acts, offsets, k, rows, deltas, cur, grad)
                _backward_layer_done(net, netf, acts, offsets, k, rows, deltas, cur)
                cur = 1 - cur
            l2_step = l2 / wsum if ic[IC.l2_per_batch] != 0 else l2
            batch_loss += _add_l2(theta, net, grad, l2_step if live else 0.0)
            _clip_by_global_norm(grad, clip_norm)
            counters[0] += 1 if live else 0
            # the optimizer step (formulas and why it is written out: fastnn.kernels.optimizers)
            t = counters[0]
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
                c1 = 1.0 - beta1**t
                c2 = 1.0 - beta2**t
                for p in range(n_params):
                    g = grad[p]
                    m = beta1 * state[0, p] + (1.0 - beta1) * g
                    v = beta2 * state[1, p] + (1.0 - beta2) * g * g
                    state[0, p] = m
                    state[1, p] = v
                    theta[p] -= lr * (m / c1) / (np.sqrt(v / c2) + eps)
            counters[1] += rows if live else 0
            if sum_loss:
                epoch_sum += batch_loss
            else:
                epoch_sum += batch_loss * wsum
                epoch_weight += wsum
            if not np.isfinite(batch_loss):
                finite = False
                break
        epoch_loss = epoch_sum if sum_loss else epoch_sum / epoch_weight
        if finite and np.isfinite(epoch_loss):
            for p in range(n_params):
                finite = finite and np.isfinite(theta[p])
        else:
            finite = False
        val_loss = 0.0
        if finite and has_val:
            val_loss = _evaluate(
                theta, net, netf, val_X, val_Y, val_sw, eval_acts, eval_offsets, eval_zout,
                eval_scratch, eval_cap, loss_scale,
            )  # fmt: skip
            finite = np.isfinite(val_loss)
        if not finite:
            for p in range(n_params):
                theta[p] = theta_backup[p]
                state[0, p] = state_backup[0, p]
                state[1, p] = state_backup[1, p]
            counters[0] = counters_backup[0]
            counters[1] = counters_backup[1]
            return _DIVERGED, local
        hist[epoch] = epoch_loss
        if has_val:
            val_hist[epoch] = val_loss
        if loss_every > 0 and epoch % loss_every == 0:
            full_hist[epoch // loss_every] = _evaluate(
                theta, net, netf, X, Y, sw, eval_acts, eval_offsets, eval_zout, eval_scratch,
                eval_cap, loss_scale,
            )  # fmt: skip
        if patience > 0:  # early stopping: keep the best θ, restore it when patience runs out
            monitored = val_loss if has_val else epoch_loss
            if monitored < es[0] - tol:
                es[0] = monitored
                es[1] = epoch
                es[2] = 0
                for p in range(n_params):
                    best_theta[p] = theta[p]
            else:
                es[2] += 1
                if es[2] >= patience:
                    for p in range(n_params):
                        theta[p] = best_theta[p]
                    return _EARLY_STOP, local + 1
    return _OK, n_epochs
