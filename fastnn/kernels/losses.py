"""Loss kernels: the loss of a block of rows and its gradient with respect to the output logits.

For a block of rows with outputs ``P = f(Z)`` (``f`` the output activation), targets ``Y`` and
sample weights ``w_i`` (all 1 when none are given), every loss is

    loss = Σ_i w_i ℓ_i / norm

with ``ℓ_i`` the per-row loss and ``norm`` from :func:`_loss_norm` (so ``mse`` is the mean over
every output of every row, ``sse`` the plain sum, ``categorical_crossentropy`` the mean over
rows). :func:`_loss_rows` returns the numerator and, when asked, writes ``∂loss/∂Z`` — the delta
that the backward pass starts from — already divided by ``norm``.

The two cross-entropies are fused with their output activation and computed from the logits ``Z``,
so they never take ``log(0)``:

* ``binary_crossentropy`` (sigmoid output): ``ℓ = max(z, 0) - y z + log1p(exp(-|z|))``,
  ``∂ℓ/∂z = p - y``.
* ``categorical_crossentropy`` (softmax output): ``ℓ_i = Σ_j y_ij (lse_i - z_ij)`` with
  ``lse_i`` the log-sum-exp of row ``i`` (read off the softmax output at the largest logit, so
  no exponential is computed twice); ``∂ℓ_i/∂z_ij = (Σ_k y_ik) p_ij - y_ij``.

``poisson`` (exp output) is fused with its activation too: the half Poisson deviance
``ℓ = (p - y) + y (log y - z)`` with ``p = e^z`` (``y log y = 0`` at ``y = 0``), whose slope
``∂ℓ/∂z`` is ``p - y`` as for binary cross-entropy; it takes the logarithm of the target only,
never of the output. The two share one loop, which sums both losses separately and keeps one
sum by multiplying them by 1 and 0 (exact, as both are finite for finite logits) instead of
branching: the training loop inlines this function, and one more branch or flag test in it is
enough to defeat Numba's pruning of reference counts there (``tests/test_kernel_codegen.py``);
the cross-entropy's own statement is unchanged, so its rounding is too (``tests/test_golden.py``).

The regression losses (mse, sse, mae, huber) take the derivative with respect to ``p`` and chain
it through the output activation's derivative.
"""

import numpy as np

from .._names import Loss
from ._jit import _ix, _refs_end_here, jit, jit_exact, jit_inline, recompiled
from .activations import _scale_derivative_rows


@jit_exact
def _half_poisson_deviance(y, z, r):
    """``y log(y / p) - y + p`` at ``p = e^z``, given ``r = p - y``: ``r + y (log y - z)``, with
    ``log 1`` standing in for ``log 0`` (``y = 0`` contributes ``p``).

    Compiled without reassociation (see :func:`fastnn.kernels._jit.jit_exact`), so that LLVM,
    inlining it into the loop it shares with binary cross-entropy, cannot merge its products
    with that loss's and change the cross-entropy's rounding (``tests/test_golden.py``).
    """
    return r + y * (np.log(y + (y == 0.0)) - z)


@jit
def _loss_norm(loss, weight_sum, n_outputs):
    """Divisor that turns the weighted sum of per-row losses into the reported loss."""
    if loss == Loss.SSE:
        return 1.0
    if loss == Loss.CATEGORICAL_CROSSENTROPY:
        return weight_sum
    return weight_sum * n_outputs


@jit
def _plus(a, b):
    """``a + b`` (the general :func:`_loss_rows` adds its elementwise losses with this: ``+=``)."""
    return a + b


@jit_exact
def _plus_in_order(a, b):
    """``a + b``, never reassociated with the additions around it: :func:`_loss_row` adds its
    elementwise losses with this, so that its sum over a row's outputs, no longer inside a loop
    over rows, is not vectorised into another order than the general loop's."""
    return a + b


#: Whether :func:`_loss_rows` is compiled as its twin :func:`_loss_row` (see there), and the
#: addition its elementwise sums use.
_ONE_ROW = False
_add = _plus


@jit_inline
def _loss_rows(loss, loss_param, out_code, out_param, P, p_off, Z, Y, sw, rows, n, D, delta_scale):
    """Weighted sum of per-row losses over ``rows`` rows; optionally the output delta.

    Parameters
    ----------
    loss, loss_param : int, float
        Loss code and its parameter (Huber's delta).
    out_code, out_param : int, float
        Output activation code and its parameter.
    P, p_off : 1-D array, int
        Output activations: row ``i`` is ``P[p_off + i*n : p_off + (i+1)*n]``.
    Z : 1-D array
        Output pre-activations (logits), row ``i`` at ``Z[i*n : (i+1)*n]``.
    Y : 2-D array
        Targets, one row per output row.
    sw : 1-D array
        Sample weights for these rows, or an empty array for unit weights.
    rows, n : int
        Number of rows and of outputs per row.
    D : 2-D array
        Its row 0 receives ``delta_scale * w_i * ∂ℓ_i/∂z`` (row-major). With ``delta_scale = 0``
        (only the loss is wanted) the elementwise losses still write there, so pass a scratch
        array then.

    Returns
    -------
    float
        ``Σ_i w_i ℓ_i`` accumulated in float64.
    """
    if _ONE_ROW:  # the twin _loss_row: the branch is resolved when it compiles
        rows = 1
        weighted = False
    else:
        weighted = sw.shape[0] > 0
    want_delta = delta_scale != 0.0
    # poisson shares binary cross-entropy's loop (both from the logits, slope p - y): its code is
    # mapped onto that loss's and its sum kept by a 0/1 factor, by arithmetic, not by a branch
    # (see the module docstring)
    poisson = loss == Loss.POISSON
    logit_loss = loss - poisson * (Loss.POISSON - Loss.BINARY_CROSSENTROPY)
    pick_deviance = poisson + 0.0
    pick_bce = 1.0 - pick_deviance
    deviances = 0.0
    total = 0.0
    if loss == Loss.CATEGORICAL_CROSSENTROPY:  # row by row: log-sum-exp of each row's logits
        for i in range(rows):
            w = sw[i] if weighted else 1.0
            z0 = i * n
            # log-sum-exp of the logits from the softmax output already computed: at the largest
            # logit m, p = e^0 / Σ e^(z - m), so lse = m + log Σ e^(z - m) = m - log p (and p is
            # at least 1/n there, so the logarithm is well conditioned)
            top = 0
            for j in range(1, n):
                if Z[_ix(z0 + j)] > Z[_ix(z0 + top)]:
                    top = j
            lse = Z[_ix(z0 + top)] - np.log(P[_ix(p_off + z0 + top)])
            row = 0.0
            ysum = 0.0
            for j in range(n):
                row += Y[i, j] * (lse - Z[_ix(z0 + j)])
                ysum += Y[i, j]
            total += w * row
            if want_delta:
                for j in range(n):
                    D[0, _ix(z0 + j)] = delta_scale * w * (ysum * P[_ix(p_off + z0 + j)] - Y[i, j])
    else:  # elementwise losses: one output column at a time, down the rows
        for j in range(n):
            # one loop per loss, so that no branch on the loss sits inside the loop
            if loss == Loss.MSE or loss == Loss.SSE:
                for i in range(rows):
                    w = sw[i] if weighted else 1.0
                    q = i * n + j
                    r = P[_ix(p_off + q)] - Y[i, j]
                    total = _add(total, w * (r * r))  # r² in the model dtype, as the reference
                    D[0, _ix(q)] = 2.0 * r * (delta_scale * w)
            elif loss == Loss.MAE:
                for i in range(rows):
                    w = sw[i] if weighted else 1.0
                    q = i * n + j
                    r = P[_ix(p_off + q)] - Y[i, j]
                    total = _add(total, w * abs(r))
                    D[0, _ix(q)] = np.sign(r) * (delta_scale * w)
            elif logit_loss == Loss.BINARY_CROSSENTROPY:  # or poisson; from the logit z
                for i in range(rows):
                    w = sw[i] if weighted else 1.0
                    q = i * n + j
                    z = Z[_ix(q)]
                    total = _add(total, w * (max(z, 0.0) - Y[i, j] * z + np.log1p(np.exp(-abs(z)))))
                    r = P[_ix(p_off + q)] - Y[i, j]
                    deviances = _add(deviances, w * _half_poisson_deviance(Y[i, j], z, r))
                    D[0, _ix(q)] = r * (delta_scale * w)
            else:  # Loss.HUBER: quadratic within loss_param of the target, linear beyond
                for i in range(rows):
                    w = sw[i] if weighted else 1.0
                    q = i * n + j
                    r = P[_ix(p_off + q)] - Y[i, j]
                    if abs(r) <= loss_param:
                        total = _add(total, w * 0.5 * r * r)
                        D[0, _ix(q)] = r * (delta_scale * w)
                    else:
                        total = _add(total, w * loss_param * (abs(r) - 0.5 * loss_param))
                        D[0, _ix(q)] = loss_param * np.sign(r) * (delta_scale * w)
        # keep one of the two sums, exactly: the other is finite (for finite logits), times 0
        total = total * pick_bce + deviances * pick_deviance
        if want_delta and logit_loss != Loss.BINARY_CROSSENTROPY:
            # the regression losses' slopes are with respect to p = f(z): chain through f
            # the regression losses' slopes are with respect to p = f(z): chain through f
            _scale_derivative_rows(out_code, out_param, P, p_off, D, 0, rows * n)
    _refs_end_here(P, Z, Y, sw, D)
    return total


#: :func:`_loss_rows` as an ordinary call, for the kernels that walk a data set block by block
#: (loss, gradient, evaluation): compiled once and shared, instead of inlined into each of them.
_loss_rows_call = jit(getattr(_loss_rows, "py_func", _loss_rows))

#: :func:`_loss_rows` for the per-sample training loop: one row (``rows`` is 1) and no sample
#: weights, known when it compiles, so the loops over rows and the weight lookups fold away
#: (measured: 7 % of W1's training loop). The same statements, so the same bits (tested with
#: the general loop in ``tests/test_train.py``).
_loss_row = recompiled(_loss_rows, "_loss_row", jit_inline, _ONE_ROW=True, _add=_plus_in_order)
