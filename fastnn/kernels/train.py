"""The compiled entry points: prediction, loss, gradient and whole training loops.

These are the only kernels the Python side calls. Each allocates its workspaces once, at the
start of the call, then runs allocation-free loops. None of them checks its arguments: the public
wrappers in :mod:`fastnn._base` have already converted and validated everything (dtype,
C-contiguity, shapes, finiteness), so a kernel never raises.
"""

import numpy as np

from .._config import (
    HP_BETA1,
    HP_BETA2,
    HP_CLIP_NORM,
    HP_EPS,
    HP_GAMMA,
    HP_L2,
    HP_LOSS_SCALE,
    HP_LR,
    HP_MIN_LR,
    HP_MOMENTUM,
    HP_POWER,
    HP_RHO,
    HP_TOL,
    HP_WEIGHT_DECAY,
    IC_BATCH_SIZE,
    IC_L2_PER_BATCH,
    IC_LOSS_EVERY,
    IC_NESTEROV,
    IC_OPTIMIZER,
    IC_PATIENCE,
    IC_SCHEDULE,
    IC_SCHEDULE_EPOCHS,
    IC_STEP_SIZE,
)
from .._names import (
    OPT_ADAMW,
    OPT_RMSPROP,
    OPT_SGD,
    SSE,
    STATUS_DIVERGED,
    STATUS_EARLY_STOP,
    STATUS_OK,
)
from ._jit import ROW_BLOCK, _ix, _refs_end_here, jit, jit_inline
from .activations import ACTIVATE_CALL_MIN, _activate, _activate_call
from .dense import (
    _act,
    _act_offsets,
    _backward,
    _backward_layer_done,
    _dense_backward,
    _dense_backward_blas,
    _dense_forward,
    _dense_forward_blas,
    _forward,
    _keep_logits,
    _loss_code,
    _n_layers,
    _size,
    _uses_blas,
    _w_off,
    _widest,
)
from .losses import _loss_norm, _loss_rows, _loss_rows_call
from .optimizers import _learning_rate


@jit
def _workspace(theta, net, cap):
    """Allocate the per-call buffers for blocks of up to ``cap`` rows."""
    offsets, total = _act_offsets(net, cap)
    acts = np.empty(total, dtype=theta.dtype)
    zout = np.empty(cap * _size(net, _n_layers(net)), dtype=theta.dtype)
    return acts, offsets, zout


@jit_inline
def _weight_sum(sw, rows):
    """Sum of the first ``rows`` sample weights, or ``rows`` when there are none."""
    s = 0.0
    if sw.shape[0] == 0:
        s = float(rows)
    else:
        for i in range(rows):
            s += sw[i]
    _refs_end_here(sw)
    return s


@jit
def _load_rows(acts, X, start, rows):
    """Copy rows ``start … start+rows-1`` of ``X`` into the input block; index of a non-finite row.

    Returns -1 when every copied value is finite.
    """
    n_in = X.shape[1]
    bad = -1
    for i in range(rows):
        for j in range(n_in):
            x = X[_ix(start + i), j]
            if bad < 0 and not np.isfinite(x):
                bad = start + i
            acts[_ix(i * n_in + j)] = x
    return bad


@jit
def _evaluate(theta, net, netf, X, Y, sw, acts, offsets, zout, scratch, cap, loss_scale):
    """Loss of the whole data set ``(X, Y, sw)``, walked in blocks of ``cap`` rows.

    ``scratch`` is a ``(1, cap * n_outputs)`` array the loss writes its unused slopes into.
    """
    L = _n_layers(net)
    n_out = _size(net, L)
    loss = _loss_code(net)
    n = X.shape[0]
    weighted = sw.shape[0] > 0
    total = 0.0
    wsum = 0.0
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        _forward(theta, net, netf, acts, offsets, zout, rows)
        swb = sw[start : start + rows] if weighted else sw
        total += _loss_rows_call(
            loss,
            netf[L],
            _act(net, L - 1),
            netf[L - 1],
            acts,
            offsets[L],
            zout,
            Y[start : start + rows],
            swb,
            rows,
            n_out,
            scratch,
            0.0,
        )
        wsum += _weight_sum(swb, rows)
    return loss_scale * total / _loss_norm(loss, wsum, n_out)


@jit
def _predict(theta, net, netf, X, out):
    """``out = network(X)``; returns the index of the first row holding NaN/inf, or -1."""
    L = _n_layers(net)
    n_out = _size(net, L)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    p_off = offsets[L]
    bad = -1
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        bad_here = _load_rows(acts, X, start, rows)
        if bad < 0:
            bad = bad_here
        _forward(theta, net, netf, acts, offsets, zout, rows)
        for i in range(rows):
            for j in range(n_out):
                out[_ix(start + i), j] = acts[_ix(p_off + i * n_out + j)]
    return bad


@jit
def _layer_outputs(theta, net, netf, X, out):
    """Every layer's output for each row of ``X``: row ``i`` of ``out`` is the outputs of layers
    1…L for sample ``i``, concatenated."""
    L = _n_layers(net)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        _forward(theta, net, netf, acts, offsets, zout, rows)
        col = 0
        for k in range(1, L + 1):
            width = _size(net, k)
            for i in range(rows):
                for j in range(width):
                    out[_ix(start + i), _ix(col + j)] = acts[_ix(offsets[k] + i * width + j)]
            col += width


@jit
def _loss(theta, net, netf, X, Y, sw, loss_scale):
    """Loss of the network on ``(X, Y)`` with optional sample weights ``sw``."""
    cap = min(ROW_BLOCK, X.shape[0])
    acts, offsets, zout = _workspace(theta, net, cap)
    scratch = np.empty((1, zout.shape[0]), dtype=theta.dtype)
    return _evaluate(theta, net, netf, X, Y, sw, acts, offsets, zout, scratch, cap, loss_scale)


@jit
def _loss_and_gradient(theta, net, netf, X, Y, sw, loss_scale, grad):
    """Loss on ``(X, Y)``; writes ``∂loss/∂θ`` into ``grad``. Works in blocks of rows."""
    L = _n_layers(net)
    n_out = _size(net, L)
    loss = _loss_code(net)
    n = X.shape[0]
    cap = min(ROW_BLOCK, n)
    acts, offsets, zout = _workspace(theta, net, cap)
    deltas = np.empty((2, cap * _widest(net)), dtype=theta.dtype)
    block_grad = np.empty_like(grad)
    weighted = sw.shape[0] > 0
    norm = _loss_norm(loss, _weight_sum(sw, n), n_out)
    scale = loss_scale / norm
    total = 0.0
    grad[:] = 0.0
    for block in range((n + cap - 1) // cap):
        start = block * cap
        rows = min(cap, n - start)
        _load_rows(acts, X, start, rows)
        _forward(theta, net, netf, acts, offsets, zout, rows)
        swb = sw[start : start + rows] if weighted else sw
        total += _loss_rows_call(
            loss,
            netf[L],
            _act(net, L - 1),
            netf[L - 1],
            acts,
            offsets[L],
            zout,
            Y[start : start + rows],
            swb,
            rows,
            n_out,
            deltas,
            scale,
        )
        _backward(theta, net, netf, acts, offsets, rows, deltas, block_grad)
        grad += block_grad
    return loss_scale * total / norm


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
    """Train for epochs ``first_epoch … first_epoch + n_epochs - 1``, all in compiled code.

    Parameters
    ----------
    theta : 1-D array
        Parameters, updated in place.
    net, netf : arrays
        Network description (see :mod:`fastnn.kernels.dense`).
    X, Y, sw : arrays
        Training rows, targets and sample weights (``sw`` empty: unit weights).
    perms : 2-D int64 array
        Row order of each epoch of this call, ``(n_epochs, n_rows)``; shape ``(0, 0)`` keeps the
        data order.
    hp, ic : arrays
        Packed :class:`fastnn._config.TrainConfig`.
    state : 2-D array
        Optimizer state ``(2, n_params)``, updated in place.
    counters : int64 array
        ``[optimizer steps taken, rows trained on]``, updated in place.
    es : float64 array
        Early-stopping state ``[best loss, best epoch, epochs without improvement]``.
    best_theta : 1-D array
        θ at the best epoch so far (written when early stopping is on).
    hist, val_hist, full_hist : float64 arrays
        Per-epoch training loss, validation loss and every-k-epochs whole-set loss, indexed by the
        epoch number of the whole ``fit`` (``full_hist`` by ``epoch // loss_every``).

    Returns
    -------
    status, epochs_done : int, int
        ``STATUS_OK`` after all epochs; ``STATUS_EARLY_STOP`` when patience ran out (θ is the best
        θ); ``STATUS_DIVERGED`` when an epoch produced a non-finite loss or θ (θ, the optimizer
        state and the counters are restored to their values before that epoch, which is not
        counted in ``epochs_done``).
    """
    L = _n_layers(net)
    loss = _loss_code(net)
    out_code = _act(net, L - 1)
    n = X.shape[0]
    n_in = _size(net, 0)
    n_out = _size(net, L)
    n_params = theta.shape[0]
    B = min(ic[IC_BATCH_SIZE], n)
    shuffled = perms.shape[0] > 0
    weighted = sw.shape[0] > 0
    has_val = val_X.shape[0] > 0
    loss_scale = hp[HP_LOSS_SCALE]
    l2 = hp[HP_L2]
    l2_per_batch = ic[IC_L2_PER_BATCH] != 0
    clip_norm = hp[HP_CLIP_NORM]
    patience = ic[IC_PATIENCE]
    loss_every = ic[IC_LOSS_EVERY]
    tol = hp[HP_TOL]
    sum_loss = loss == SSE
    # optimizer settings (formulas in fastnn.kernels.optimizers)
    optimizer = ic[IC_OPTIMIZER]
    mu = hp[HP_MOMENTUM]
    nesterov = ic[IC_NESTEROV] != 0
    beta1 = hp[HP_BETA1]
    beta2 = hp[HP_BETA2]
    eps = hp[HP_EPS]
    rho = hp[HP_RHO]
    weight_decay = hp[HP_WEIGHT_DECAY]
    schedule = ic[IC_SCHEDULE]
    base_lr = hp[HP_LR]
    power = hp[HP_POWER]
    gamma = hp[HP_GAMMA]
    step_size = ic[IC_STEP_SIZE]
    min_lr = hp[HP_MIN_LR]
    schedule_epochs = ic[IC_SCHEDULE_EPOCHS]

    # --- workspaces, allocated once for the whole call
    acts, offsets, zout = _workspace(theta, net, B)
    p_off = offsets[L]
    deltas = np.empty((2, B * _widest(net)), dtype=theta.dtype)
    grad = np.empty_like(theta)
    Yb = np.empty((B, n_out), dtype=theta.dtype)
    swb = np.empty(B if weighted else 0, dtype=theta.dtype)
    theta_backup = np.empty_like(theta)
    state_backup = np.empty_like(state)
    counters_backup = counters.copy()
    eval_cap = min(ROW_BLOCK, max(n, val_X.shape[0]))
    eval_acts, eval_offsets, eval_zout = _workspace(theta, net, eval_cap)
    eval_scratch = np.empty((1, eval_zout.shape[0]), dtype=theta.dtype)
    # full-batch training in data order loads the rows once
    load_once = B == n and not shuffled
    loaded = False

    # Everything below runs per epoch or per step. Helpers that take arrays are inlined and end
    # with _refs_end_here; the optimizer update is written out here for the same reason (see
    # fastnn.kernels._jit).
    for epoch in range(first_epoch, first_epoch + n_epochs):
        local = epoch - first_epoch
        lr = _learning_rate(
            schedule, base_lr, power, gamma, step_size, min_lr, schedule_epochs, epoch, counters[1]
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
            if not (load_once and loaded):
                for r in range(rows):
                    src = _ix(perms[local, start + r] if shuffled else start + r)
                    for j in range(n_in):
                        acts[_ix(r * n_in + j)] = X[src, j]
                    for j in range(n_out):
                        Yb[r, j] = Y[src, j]
                    if weighted:
                        swb[r] = sw[src]
                loaded = True
            # forward and backward passes, layer by layer (written out here rather than calling
            # _forward/_backward, so that the inlined loops of small layers cost no call)
            for k in range(L):
                if _uses_blas(net, k, rows):
                    _dense_forward_blas(theta, net, acts, offsets, k, rows)
                else:
                    _dense_forward(theta, net, acts, offsets, k, rows)
                _keep_logits(net, acts, offsets, zout, k, rows)
                n_k = _size(net, k + 1)
                a_k = offsets[k + 1]
                if rows * n_k >= ACTIVATE_CALL_MIN:  # see _activate_call
                    _activate_call(_act(net, k), netf[k], acts, a_k, a_k + rows * n_k, n_k)
                else:
                    _activate(_act(net, k), netf[k], acts, a_k, a_k + rows * n_k, n_k)
            wsum = _weight_sum(swb, rows)
            norm = _loss_norm(loss, wsum, n_out)
            batch_loss = (
                loss_scale
                * _loss_rows(
                    loss,
                    netf[L],
                    out_code,
                    netf[L - 1],
                    acts,
                    p_off,
                    zout,
                    Yb,
                    swb,
                    rows,
                    n_out,
                    deltas,
                    loss_scale / norm,
                )
                / norm
            )
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
            # L2 penalty on the weights (not the biases): loss and gradient
            l2_step = l2 / wsum if l2_per_batch else l2
            if l2_step != 0.0:
                penalty = 0.0
                for k in range(L):
                    w = _w_off(net, k)
                    for q in range(_size(net, k) * _size(net, k + 1)):
                        p = _ix(w + q)
                        penalty += theta[p] * theta[p]
                        grad[p] += l2_step * theta[p]
                batch_loss += 0.5 * l2_step * penalty
            # clipping by global norm, as torch.nn.utils.clip_grad_norm_
            if clip_norm > 0.0:
                sq = 0.0
                for p in range(n_params):
                    sq += grad[p] * grad[p]
                coef = clip_norm / (np.sqrt(sq) + 1e-6)
                if coef < 1.0:
                    for p in range(n_params):
                        grad[p] *= coef
            # the optimizer step
            counters[0] += 1
            t = counters[0]
            if optimizer == OPT_SGD and mu == 0.0:
                for p in range(n_params):
                    theta[p] -= lr * grad[p]
            elif optimizer == OPT_SGD:
                for p in range(n_params):
                    b = mu * state[0, p] + grad[p]
                    state[0, p] = b
                    theta[p] -= lr * (grad[p] + mu * b if nesterov else b)
            elif optimizer == OPT_RMSPROP:
                for p in range(n_params):
                    v = rho * state[1, p] + (1.0 - rho) * grad[p] * grad[p]
                    state[1, p] = v
                    theta[p] -= lr * grad[p] / (np.sqrt(v) + eps)
            else:  # Adam and AdamW
                if optimizer == OPT_ADAMW:
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
            counters[1] += rows
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
                theta,
                net,
                netf,
                val_X,
                val_Y,
                val_sw,
                eval_acts,
                eval_offsets,
                eval_zout,
                eval_scratch,
                eval_cap,
                loss_scale,
            )
            finite = np.isfinite(val_loss)
        if not finite:
            for p in range(n_params):
                theta[p] = theta_backup[p]
                state[0, p] = state_backup[0, p]
                state[1, p] = state_backup[1, p]
            counters[0] = counters_backup[0]
            counters[1] = counters_backup[1]
            return STATUS_DIVERGED, local
        hist[epoch] = epoch_loss
        if has_val:
            val_hist[epoch] = val_loss
        if loss_every > 0 and epoch % loss_every == 0:
            full_hist[epoch // loss_every] = _evaluate(
                theta,
                net,
                netf,
                X,
                Y,
                sw,
                eval_acts,
                eval_offsets,
                eval_zout,
                eval_scratch,
                eval_cap,
                loss_scale,
            )
        if patience > 0:
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
                    return STATUS_EARLY_STOP, local + 1
    return STATUS_OK, n_epochs
