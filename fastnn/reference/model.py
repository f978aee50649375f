"""The reference model: the same :class:`MLP` API, every computation in plain numpy.

Read this file to see what the compiled kernels compute. A forward pass keeps every layer's
output; backpropagation walks the layers from the top, turning the output delta into gradients
of each ``W_k`` and ``b_k`` — written straight into the matching views of a gradient vector shaped
like θ — and into the delta of the layer below.
"""

from __future__ import annotations

import numpy as np

from .. import _io
from .._base import MLPBase
from .._names import Status
from . import activations, losses, optimizers, regularization, schedules, shuffle, stopping


class MLP(MLPBase):
    __doc__ = (
        (MLPBase.__doc__ or "")
        + """
    Notes
    -----
    This is the plain-numpy twin of :class:`fastnn.MLP`: same constructor, attributes and methods,
    same results to rounding error, much slower. Use it to read or debug what fastnn computes.
    """
    )

    #: The row orders of shuffled epochs, in numpy (:mod:`fastnn.reference.shuffle`).
    _row_orders = staticmethod(shuffle.row_orders)

    # --- the maths -----------------------------------------------------------------------------

    def _forward(self, X):
        """Outputs of every layer (``outputs[0]`` is ``X``) and the output layer's logits."""
        spec = self._spec
        outputs = [X]
        z = X
        for k, (W, name, param) in enumerate(
            zip(self._weights, spec.activations, spec.activation_params, strict=True)
        ):
            z = outputs[-1] @ W
            if spec.bias:
                z = z + self._biases[k]
            activation = activations.ACTIVATIONS[name][0]
            outputs.append(activation(z, param))
        return outputs, z

    def _loss_and_delta(self, X, Y, sw, loss_scale):
        """Forward pass, the loss, and ∂loss/∂z of the output layer."""
        spec = self._spec
        outputs, z = self._forward(X)
        row_losses, row_gradients = losses.row_losses_and_gradients(
            spec.loss,
            spec.loss_param,
            spec.activations[-1],
            spec.activation_params[-1],
            Y,
            outputs[-1],
            z,
        )
        weights = np.ones(X.shape[0]) if sw.shape[0] == 0 else sw
        norm = losses.loss_norm(spec.loss, weights.sum(), spec.sizes[-1])
        loss = loss_scale * (weights * row_losses).sum() / norm
        delta = (loss_scale / norm) * weights[:, None] * row_gradients
        return outputs, loss, delta

    def _backward(self, outputs, delta, grad):
        """Fill ``grad`` (shaped like θ) with ∂loss/∂θ, given the output layer's delta."""
        spec = self._spec
        grad_weights = self._layout.weights(grad)
        grad_biases = self._layout.biases(grad)
        for k in reversed(range(self._layout.n_layers)):
            grad_weights[k][:] = outputs[k].T @ delta
            if spec.bias:
                grad_biases[k][:] = delta.sum(axis=0)
            if k > 0:
                derivative = activations.ACTIVATIONS[spec.activations[k - 1]][1]
                delta = (delta @ self._weights[k].T) * derivative(
                    outputs[k], spec.activation_params[k - 1]
                )

    # --- the four methods MLPBase needs -----------------------------------------------------------

    def _predict_rows(self, X):
        if not np.isfinite(X).all():
            bad = int(np.argwhere(~np.isfinite(X))[0][0])
            raise ValueError(
                f"X contains NaN or infinity (first in row {bad}); remove or impute those values"
            )
        outputs, _ = self._forward(X)
        return outputs[-1].astype(self._spec.dtype)

    def _layer_outputs_rows(self, X):
        outputs, _ = self._forward(X)
        return np.hstack(outputs[1:]).astype(self._spec.dtype)

    def _loss_value(self, X, Y, sw, loss_scale):
        return self._loss_and_delta(X, Y, sw, loss_scale)[1]

    def _loss_gradient(self, X, Y, sw, loss_scale, grad):
        outputs, loss, delta = self._loss_and_delta(X, Y, sw, loss_scale)
        self._backward(outputs, delta, grad)
        return loss

    def _add_l2(self, grad, l2):
        """``grad += l2 * W`` for the weights (not the biases); returns ``0.5 l2 ΣW²``."""
        mask = self._layout.weight_mask()
        penalty = 0.5 * l2 * np.sum(self._theta[mask] ** 2)
        grad[mask] += l2 * self._theta[mask]
        return penalty

    # a diverging run overflows on its way to inf/NaN; that is detected below and reported as
    # TrainingDiverged (as the compiled loop does), so numpy's warnings would only be noise
    @np.errstate(all="ignore")
    def _train_chunk(
        self,
        X,
        Y,
        sw,
        perms,
        first,
        count,
        config,
        state,
        counters,
        es,
        best_theta,
        hist,
        X_val,
        Y_val,
        sw_val,
        val_hist,
        full_hist,
    ):
        """Epochs ``first … first+count-1``: the reference version of the compiled training loop."""
        theta = self._theta
        n = X.shape[0]
        batch = min(config.batch_size, n)
        weight_mask = self._layout.weight_mask()
        step = optimizers.OPTIMIZER_STEPS[config.optimizer]
        sum_loss = self._spec.loss == "sse"
        grad = np.empty_like(theta)
        for epoch in range(first, first + count):
            order = perms[epoch - first] if perms.shape[0] else np.arange(n)
            lr = schedules.learning_rate_at(config, epoch, counters[1])
            saved = theta.copy(), state.copy(), counters.copy()
            epoch_sum = epoch_weight = 0.0
            finite = True
            try:
                for start in range(0, n, batch):
                    rows = order[start : start + batch]
                    sw_batch = sw[rows] if sw.shape[0] else sw
                    weight_sum = sw_batch.sum() if sw.shape[0] else float(len(rows))
                    if weight_sum == 0.0:  # zero-weight rows only: no contribution, no step
                        continue
                    outputs, batch_loss, delta = self._loss_and_delta(
                        X[rows], Y[rows], sw_batch, config.loss_scale
                    )
                    self._backward(outputs, delta, grad)
                    l2 = config.l2 / weight_sum if config.l2_per_batch else config.l2
                    if l2 != 0.0:
                        batch_loss += self._add_l2(grad, l2)
                    if config.clip_norm > 0.0:
                        regularization.clip_by_global_norm(grad, config.clip_norm)
                    counters[0] += 1
                    step(theta, grad, state, config, lr, counters[0], weight_mask)
                    counters[1] += len(rows)
                    if sum_loss:
                        epoch_sum += batch_loss
                    else:
                        epoch_sum += batch_loss * weight_sum
                        epoch_weight += weight_sum
                    if not np.isfinite(batch_loss):
                        finite = False
                        break
            except KeyboardInterrupt:
                # keep the last completed epoch, as the compiled loop does
                theta[:], state[:], counters[:] = saved
                raise
            epoch_loss = epoch_sum if sum_loss else epoch_sum / epoch_weight
            finite = finite and stopping.all_finite(theta, epoch_loss)
            val_loss = 0.0
            if finite and X_val.shape[0]:
                val_loss = self._loss_value(X_val, Y_val, sw_val, config.loss_scale)
                finite = np.isfinite(val_loss)
            if not finite:
                theta[:], state[:], counters[:] = saved
                return Status.DIVERGED, epoch - first
            hist[epoch] = epoch_loss
            if X_val.shape[0]:
                val_hist[epoch] = val_loss
            if config.loss_every and epoch % config.loss_every == 0:
                full_hist[epoch // config.loss_every] = self._loss_value(
                    X, Y, sw, config.loss_scale
                )
            monitored = val_loss if X_val.shape[0] else epoch_loss
            if config.patience and stopping.early_stopping(
                es, monitored, epoch, config.tol, config.patience, theta, best_theta
            ):
                return Status.EARLY_STOP, epoch - first + 1
        return Status.OK, count


def load(path) -> MLP:
    """Load a model saved with :meth:`MLP.save` as a plain-numpy :class:`fastnn.reference.MLP`.

    The file format is the same as :func:`fastnn.load`'s; see there.
    """
    return MLP._from_model_file(_io.read_model_file(path))
