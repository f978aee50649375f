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
  ``lse_i`` the log-sum-exp of row ``i``; ``∂ℓ_i/∂z_ij = (Σ_k y_ik) p_ij - y_ij``.

The regression losses (mse, sse, mae, huber) take the derivative with respect to ``p`` and chain
it through the output activation's derivative.
"""

import numpy as np

from .._names import BINARY_CROSSENTROPY, CATEGORICAL_CROSSENTROPY, HUBER, MAE, MSE, SSE
from ._jit import _refs_end_here, jit, jit_inline
from .activations import _derivative_from_output


@jit
def _loss_norm(loss, weight_sum, n_outputs):
    """Divisor that turns the weighted sum of per-row losses into the reported loss."""
    if loss == SSE:
        return 1.0
    if loss == CATEGORICAL_CROSSENTROPY:
        return weight_sum
    return weight_sum * n_outputs


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
        Its row 0 receives ``delta_scale * w_i * ∂ℓ_i/∂z`` (row-major); ``delta_scale = 0`` skips
        it.

    Returns
    -------
    float
        ``Σ_i w_i ℓ_i`` accumulated in float64.
    """
    weighted = sw.shape[0] > 0
    want_delta = delta_scale != 0.0
    total = 0.0
    for i in range(rows):
        w = sw[i] if weighted else 1.0
        row = 0.0
        z0 = i * n
        p0 = p_off + i * n
        if loss == CATEGORICAL_CROSSENTROPY:
            m = Z[z0]
            for j in range(1, n):
                m = max(m, Z[z0 + j])
            s = 0.0
            for j in range(n):
                s += np.exp(Z[z0 + j] - m)
            lse = m + np.log(s)
            ysum = 0.0
            for j in range(n):
                row += Y[i, j] * (lse - Z[z0 + j])
                ysum += Y[i, j]
            if want_delta:
                for j in range(n):
                    D[0, z0 + j] = delta_scale * w * (ysum * P[p0 + j] - Y[i, j])
        elif loss == BINARY_CROSSENTROPY:
            for j in range(n):
                z = Z[z0 + j]
                row += max(z, 0.0) - Y[i, j] * z + np.log1p(np.exp(-abs(z)))
                if want_delta:
                    D[0, z0 + j] = delta_scale * w * (P[p0 + j] - Y[i, j])
        else:
            for j in range(n):
                r = P[p0 + j] - Y[i, j]
                if loss == MSE or loss == SSE:
                    row += r * r
                    g = 2.0 * r
                elif loss == MAE:
                    row += abs(r)
                    g = np.sign(r)
                elif loss == HUBER:
                    if abs(r) <= loss_param:
                        row += 0.5 * r * r
                        g = r
                    else:
                        row += loss_param * (abs(r) - 0.5 * loss_param)
                        g = loss_param * np.sign(r)
                else:
                    g = 0.0
                if want_delta:
                    D[0, z0 + j] = (
                        delta_scale
                        * w
                        * g
                        * _derivative_from_output(out_code, out_param, P[p0 + j])
                    )
        total += w * row
    _refs_end_here(P, Z, Y, sw, D)
    return total
