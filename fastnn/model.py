"""The compiled model: :class:`MLP`, whose arithmetic runs in the Numba kernels."""

from __future__ import annotations

import numpy as np

from . import _io
from ._base import MLPBase
from ._validation import overflow_error
from .kernels._aot import (
    _add_l2_call,
    _layer_outputs,
    _loss,
    _loss_and_gradient,
    _per_sample_sgd,
    _predict,
    _predict_sample,
    _row_orders,
    _train_block,
    _train_epochs,
    _train_epochs_per_sample,
)


class MLP(MLPBase):
    __doc__ = (
        (MLPBase.__doc__ or "")
        + """
    Notes
    -----
    Prediction, loss, gradient and whole training loops run as compiled, cached Numba kernels that
    release the GIL, so threads run them in parallel. Different models can be trained and used
    from different threads at once, with exactly the results of running them one after another.

    One model shared between threads:

    * ``predict``, ``layer_outputs``, ``loss`` and ``gradient`` only read θ (each call has its
      own workspace), so any number of threads may call them on one model at once.
    * ``fit``, the ``params`` setter and writes through ``weights``/``biases`` change θ in place,
      and nothing locks the model: two ``fit`` calls on one model at once, or reading a model
      while another thread trains it, race on θ. Nothing crashes, but the results are
      meaningless (a mix of both runs, or θ read mid-update). Give each thread its own
      ``model.copy()``, or serialise access with a ``threading.Lock``.
    * A KeyboardInterrupt reaches only the main thread; a ``fit`` running in another thread
      finishes.

    Examples
    --------
    >>> import fastnn
    >>> net = fastnn.MLP((2, 2, 1), "sigmoid", loss="mse", seed=0)
    >>> X = [[-2, -1], [25, 6], [17, 4], [-15, -6]]
    >>> y = [1, 0, 0, 1]
    >>> losses = net.fit(X, y, epochs=1000, learning_rate=0.1, batch_size=1, shuffle=False)
    >>> bool(losses[-1] < losses[0])
    True
    >>> net.predict([[-7, -3], [20, 2]]).round(2).ravel().tolist()
    [0.97, 0.06]
    """
    )

    #: The kernel reports overflowed outputs itself (see :func:`fastnn.kernels.predict._predict`).
    _predict_checks_output = True

    #: The row orders of shuffled epochs, in compiled code (:mod:`fastnn.kernels.shuffle`).
    _row_orders = staticmethod(_row_orders)

    def _attach(self, theta: np.ndarray) -> None:
        super()._attach(theta)
        # for predict's one-row fast path: the shapes it takes, and the kernels for θ's dtype
        # (looked up on the first call: a model that never predicts loads no kernel)
        self._one_row, self._one_out = (1, self._n_in), (1, self._n_out)
        self._one_sample = (self._n_in,)
        self._predict_row_impl = self._predict_sample_impl = None

    def predict(self, X) -> np.ndarray:
        # Fast path for serving one sample at a time: one row, (1, n_inputs) or (n_inputs,),
        # already in θ's dtype and C-contiguous, aligned and writeable (flags.carray). It makes
        # the kernel call MLPBase.predict makes with fewer Python steps (one shape comparison,
        # no dtype hash, no views). Anything else, and a row the kernel refuses (NaN/inf in or
        # out), goes through MLPBase.predict, which converts, checks and raises the error.
        if type(X) is np.ndarray and X.dtype is self._dtype and X.flags.carray:
            shape = X.shape
            if shape == self._one_row:
                impl = self._predict_row_impl
                if impl is None:
                    impl = self._predict_row_impl = _predict.implementations[self._dtype]
                out = np.empty(self._one_out, self._dtype)
                if impl(self._theta, self._net, self._netf, X, out) < 0:
                    return out
            elif shape == self._one_sample:
                impl = self._predict_sample_impl
                if impl is None:
                    impl = self._predict_sample_impl = _predict_sample.implementations[self._dtype]
                out = np.empty(self._n_out, self._dtype)
                if impl(self._theta, self._net, self._netf, X, out) < 0:
                    return out
        return super().predict(X)

    predict.__doc__ = MLPBase.predict.__doc__

    def _predict_rows(self, X: np.ndarray) -> np.ndarray:
        n = X.shape[0]
        out = np.empty((n, self._n_out), self._dtype)
        # the implementation for θ's dtype called directly, not through the entry point's own
        # Python frame
        bad = _predict.implementations[self._dtype](self._theta, self._net, self._netf, X, out)
        if bad < 0:
            return out
        if bad >= n:
            raise overflow_error(bad - n)
        raise ValueError(
            f"X contains NaN or infinity (first in row {bad}); remove or impute those values"
        )

    def _layer_outputs_rows(self, X):
        out = np.empty((X.shape[0], sum(self._spec.sizes[1:])), dtype=self._spec.dtype)
        _layer_outputs(self._theta, self._net, self._netf, X, out)
        return out

    def _loss_value(self, X, Y, sw, loss_scale):
        return _loss(self._theta, self._net, self._netf, X, Y, sw, loss_scale)

    def _loss_gradient(self, X, Y, sw, loss_scale, grad):
        return _loss_and_gradient(self._theta, self._net, self._netf, X, Y, sw, loss_scale, grad)

    def _add_l2(self, grad, l2):
        return _add_l2_call(self._theta, self._net, grad, l2)

    @staticmethod
    def _train_models(*args):
        """The compiled loop over a block of models (:func:`fastnn.kernels.many._train_block`),
        as :func:`fastnn.engine._train_block` calls it (looked up at each call, like every
        kernel of this module)."""
        return _train_block(*args)

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
        hp, ic = config.pack()
        # per-sample plain SGD on small layers has a loop of its own (same bits, faster)
        per_sample = _per_sample_sgd(sw, self._net, X.shape[0], ic, hp)
        return (_train_epochs_per_sample if per_sample else _train_epochs)(
            self._theta,
            self._net,
            self._netf,
            X,
            Y,
            sw,
            perms,
            first,
            count,
            hp,
            ic,
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
        )


def load(path) -> MLP:
    """Load a model saved with :meth:`MLP.save` as a compiled :class:`fastnn.MLP`.

    Parameters
    ----------
    path : str or os.PathLike
        The model file.

    Returns
    -------
    fastnn.MLP
        The saved network: the same architecture, bit-identical parameters and the same state of
        its random generator (so it trains on exactly as the saved model would have). Files saved
        from :class:`fastnn.reference.MLP` load too: both write the same format.

    Raises
    ------
    ModelFileError
        If the file is not a fastnn model file, is truncated or damaged (its checksum does not
        match), has an unsupported format version, or is not a regular file (a FIFO, a device,
        ...). A subclass of ``ValueError``.
    OSError
        If the file cannot be read (``FileNotFoundError``, ``IsADirectoryError`` and so on).
    """
    return MLP._from_model_file(_io.read_model_file(path))
