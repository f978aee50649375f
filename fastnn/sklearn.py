"""scikit-learn drop-in estimators: :class:`MLPRegressor` and :class:`MLPClassifier`.

They take the constructor parameters of ``sklearn.neural_network.MLPRegressor`` and
``MLPClassifier`` with the same names, defaults and meanings, set the same fitted attributes, and
train with fastnn's compiled kernels: ``sgd`` and ``adam`` run their epochs in fastnn's compiled
training loop over the flat parameter vector θ, and ``lbfgs`` hands fastnn's compiled
loss-and-gradient kernel to :func:`scipy.optimize.minimize`. ``coefs_`` and ``intercepts_`` are
lists of views into θ: writing into an array, or assigning an item (``coefs_[0] = W``), writes θ.
As in scikit-learn they may also be assigned before any fit, and ``partial_fit`` (or a
warm-started ``fit``) then continues from them.

scikit-learn's own tests of its MLP (``sklearn/neural_network/tests/test_mlp.py``, as installed)
run against these estimators in ``tests/test_sklearn_suite.py``; all pass except one, skipped,
that calls a private scikit-learn method.

scikit-learn is an optional dependency of fastnn (``pip install fastnn[sklearn]``); ``import
fastnn`` never imports it, this module does.

What is the same as scikit-learn
--------------------------------
* Initial weights: Glorot-uniform draws from ``check_random_state(random_state)`` in
  scikit-learn's order, so the same ``random_state`` gives the same initial ``coefs_`` and
  ``intercepts_`` as scikit-learn's estimator.
* Shuffling: the same random stream and the same cumulative index shuffle, so with the same
  ``random_state`` the batches of every epoch hold the same rows; the early-stopping split is
  ``train_test_split`` with that stream, as in scikit-learn.
* Loss and gradient scaling: squared error is ``0.5 * mean((y - p)²)`` per output (the gradient,
  like scikit-learn's, is that of the sum over outputs), the log-losses and the Poisson loss
  (half the Poisson deviance, ``mean(y log(y/p) - y + p)`` per output, with an exponential
  output) are summed over outputs, and ``alpha`` is the L2 penalty ``0.5 * alpha * ΣW²`` divided
  by the batch's sample-weight sum.
* SGD momentum: scikit-learn's velocity form; when the learning rate changes between epochs
  (``invscaling``, ``adaptive``) fastnn's momentum buffer is rescaled so the steps stay equal.
* Convergence: ``tol``, ``n_iter_no_change``, ``early_stopping`` (validation accuracy or R²),
  ``learning_rate="invscaling"`` and ``"adaptive"``, warm starts and ``partial_fit`` follow
  scikit-learn's epoch logic. Python looks at the losses between kernel calls; a call runs as many
  epochs as can pass before the next possible decision (``n_iter_no_change + 1`` at most when
  the loss keeps improving; one with early stopping or ``invscaling``). When early stopping meets
  a diverging run, the epoch's validation score is NaN and the best epoch's weights are restored,
  as in scikit-learn.
* Errors: a run that diverges without early stopping raises scikit-learn's ``ValueError``
  ("Solver produced non-finite parameter weights. ..."), fastnn's details after it.

With ``solver="sgd"`` (momentum or not, any schedule, shuffled or not) the loss curves and weights
equal scikit-learn's to rounding error (about 1e-15 relative over 20 epochs).

Differences
-----------
* Adam's ε: fastnn adds ε to the bias-corrected ``sqrt(v̂)``, scikit-learn to ``sqrt(v)``, so
  scikit-learn's effective ε is larger by ``1 / sqrt(1 - β2^t)`` (about 32× at the first step,
  1.26× after 1,000 steps). With ε = 1e-8 this moves the loss in the sixth digit over the first
  epochs; over long shuffled runs the two trajectories drift apart like any two roundings of the
  same chaotic process, with no systematic effect on accuracy.
* ``loss_curve_`` with ``sample_weight`` and several batches per epoch: fastnn averages the batch
  losses weighted by each batch's weight sum, scikit-learn by its row count (the updates are the
  same).
* Multi-output regression with ``alpha > 0``: the L2 part of the reported loss is divided by
  ``n_outputs_``. scikit-learn reports the squared error averaged over outputs but follows the
  gradient of its sum; the compiled loop reports the loss whose gradient it follows, and the
  estimator divides it by ``n_outputs_``, which is exact when ``alpha = 0`` or there is one
  output. Training itself is identical. For the same reason, with ``lbfgs`` on multi-output
  targets scikit-learn hands L-BFGS a loss and a gradient that do not match; fastnn hands it
  matching ones (the sum over outputs), so the two ``lbfgs`` runs differ there.
* A run that diverges under early stopping stops at the diverged epoch (with a
  ``ConvergenceWarning``); scikit-learn keeps iterating on NaN weights until ``max_iter``, with a
  NaN validation score per epoch. The restored weights are the same.
* ``loss="poisson"`` refuses negative targets (ValueError); scikit-learn documents ``y >= 0`` but
  does not check it.
* Weights assigned to ``coefs_``/``intercepts_`` are copied into θ: assigning an array of another
  shape, or changing the number of layers, is refused.
* Sparse inputs are accepted and converted to dense arrays.
* Negative sample weights are refused (ValueError).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning, NotFittedError
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import LabelBinarizer
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import type_of_target, unique_labels
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as error:  # pragma: no cover - exercised only without scikit-learn
    raise ImportError(
        "fastnn.sklearn needs scikit-learn >= 1.6, which is an optional dependency of fastnn: "
        "install it with `pip install fastnn[sklearn]` (or `pip install scikit-learn`)"
    ) from error

from ._validation import (
    check_bool,
    check_hidden_sizes,
    check_in_range,
    check_int,
    check_option,
    check_sample_weight,
    is_int,
    is_real,
)
from .engine import OptimizerState, Progress, TrainConfig, TrainingDiverged, objective, train
from .model import MLP

__all__ = ["MLPClassifier", "MLPRegressor"]

_STOCHASTIC_SOLVERS = ("sgd", "adam")
#: scikit-learn's hidden-activation names → fastnn's.
_ACTIVATIONS = {"identity": "identity", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
#: MLPRegressor's losses → fastnn's.
_REGRESSION_LOSSES = {"squared_error": "mse", "poisson": "poisson"}
#: scikit-learn's output-activation names → fastnn's.
_OUT_ACTIVATIONS = {
    "identity": "identity",
    "exp": "exp",
    "logistic": "sigmoid",
    "softmax": "softmax",
}


# --- optimizer bookkeeping ----------------------------------------------------------------------


@dataclass
class _Optimizer:
    """What scikit-learn's optimizer object holds besides the moment arrays.

    ``state`` holds the moment arrays (the engine's :class:`fastnn.engine.OptimizerState`);
    ``fresh`` says they must be reset at the next epoch (a new optimizer, as scikit-learn builds
    one per ``fit``).
    """

    learning_rate: float
    fresh: bool = True
    state: OptimizerState | None = None


class _SklearnShuffle:
    """Row orders drawn the way scikit-learn's MLP draws them.

    scikit-learn keeps an index array for the whole ``fit`` call and, every epoch, reorders it by
    ``sklearn.utils.shuffle`` (``indices = arange(n); random_state.shuffle(indices)``). The fastnn
    training driver asks its ``rng`` for ``permutation(n)``; this object answers with that order.
    """

    def __init__(self, random_state: np.random.RandomState, n: int):
        self._random_state = random_state
        self._order = np.arange(n, dtype=np.int64)

    def permutation(self, n: int) -> np.ndarray:
        step = np.arange(n, dtype=np.int64)
        self._random_state.shuffle(step)
        self._order = self._order[step]
        return self._order


def _checked_view_value(name, index, value, view) -> np.ndarray:
    """``value`` as an array that may be copied into ``view`` (``name[index]``)."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name}[{index}] must be a numeric array, got dtype {array.dtype}")
    if array.shape != view.shape:
        raise ValueError(f"{name}[{index}] must have shape {view.shape}, got {array.shape}")
    array = array.astype(view.dtype, copy=False)
    if not np.isfinite(array).all():
        raise ValueError(f"{name}[{index}] contains NaN or infinity")
    return array


class _ParamList(list):
    """``coefs_`` or ``intercepts_`` of a fitted estimator: a list of views into θ.

    Its items are the model's views, so writing into them writes θ; assigning an item
    (``coefs_[0] = W``, or a slice) copies the new values into that view, after checking their
    shape. The list's length is the network's number of layers: what would change it is refused.
    Pickling or copying it gives a plain list of arrays.
    """

    __slots__ = ("_name",)

    def __init__(self, views, name: str):
        super().__init__(views)
        self._name = name

    def __setitem__(self, index, value) -> None:
        if isinstance(index, slice):
            views = list.__getitem__(self, index)
            values = list(value)
            if len(values) != len(views):
                raise ValueError(
                    f"{self._name}[{index.start}:{index.stop}] holds {len(views)} arrays; the "
                    f"network's layers are fixed, so {len(values)} cannot replace them"
                )
            positions = range(len(self))[index]
            arrays = [
                _checked_view_value(self._name, i, v, view)
                for i, v, view in zip(positions, values, views, strict=True)
            ]
            for view, array in zip(views, arrays, strict=True):
                view[...] = array
            return
        view = list.__getitem__(self, index)
        view[...] = _checked_view_value(self._name, index, value, view)

    def _fixed_length(self, *args, **kwargs):
        raise TypeError(
            f"{self._name} holds one array per layer of the fitted network; its length cannot "
            f"change (assign arrays of the same shapes to its items instead)"
        )

    append = extend = insert = pop = remove = clear = sort = reverse = _fixed_length
    __delitem__ = __iadd__ = __imul__ = _fixed_length

    def __reduce_ex__(self, protocol):
        return (list, (list(self),))


# --- the shared estimator -----------------------------------------------------------------------


class _BaseMLP(BaseEstimator):
    """Behaviour shared by :class:`MLPRegressor` and :class:`MLPClassifier`."""

    # --- checks -----------------------------------------------------------------------------

    def _check_params(self) -> list[int]:
        hidden = list(check_hidden_sizes(self.hidden_layer_sizes))
        check_option(self.activation, "activation", _ACTIVATIONS)
        check_option(self.solver, "solver", {"lbfgs", "sgd", "adam"})
        check_in_range(self.alpha, "alpha", low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if not is_int(self.batch_size):
                raise TypeError(
                    f"batch_size must be 'auto' or an integer >= 1, got {self.batch_size!r}"
                )
            check_int(self.batch_size, "batch_size", 1)
        check_option(self.learning_rate, "learning_rate", {"constant", "invscaling", "adaptive"})
        check_in_range(self.learning_rate_init, "learning_rate_init", low=0.0, low_open=True)
        check_in_range(self.power_t, "power_t", low=0.0)
        check_int(self.max_iter, "max_iter", 1)
        check_bool(self.shuffle, "shuffle")
        check_in_range(self.tol, "tol", low=0.0)
        if not (is_int(self.verbose) or isinstance(self.verbose, (bool, np.bool_))):
            raise TypeError(f"verbose must be a bool or an integer, got {self.verbose!r}")
        check_bool(self.warm_start, "warm_start")
        check_in_range(self.momentum, "momentum", low=0.0, high=1.0)
        check_bool(self.nesterovs_momentum, "nesterovs_momentum")
        check_bool(self.early_stopping, "early_stopping")
        check_in_range(self.validation_fraction, "validation_fraction", 0.0, 1.0, high_open=True)
        check_in_range(self.beta_1, "beta_1", 0.0, 1.0, high_open=True)
        check_in_range(self.beta_2, "beta_2", 0.0, 1.0, high_open=True)
        check_in_range(self.epsilon, "epsilon", low=0.0, low_open=True)
        if not (is_real(self.n_iter_no_change) and self.n_iter_no_change == np.inf):
            check_int(self.n_iter_no_change, "n_iter_no_change", 1)
        check_int(self.max_fun, "max_fun", 1)
        return hidden

    def _check_solver(self) -> bool:
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for the stochastic solvers 'sgd' and 'adam'; "
                f"solver={self.solver!r} is not stochastic"
            )
        return True

    def _check_weights(self, sample_weight, X):
        if sample_weight is None:
            return None
        if np.isscalar(sample_weight):
            sample_weight = np.full(X.shape[0], sample_weight, dtype=X.dtype)
        weights = np.asarray(sample_weight)
        if weights.shape == (X.shape[0],) and weights.dtype.kind in "biuf" and not weights.any():
            raise ValueError("sample_weight must contain at least one non-zero weight")
        return check_sample_weight(weights, X.shape[0], X.dtype)

    # --- views into θ -------------------------------------------------------------------------

    def _fitted_model(self) -> MLP:
        model = self.__dict__.get("_model")
        if model is None and self._has_assigned_weights():
            model = self._adopt_assigned_weights()
        if model is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with "
                "appropriate arguments before using this estimator."
            )
        return model

    def _has_assigned_weights(self) -> bool:
        return "_assigned_coefs" in self.__dict__ or "_assigned_intercepts" in self.__dict__

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Weight matrices, ``coefs_[i]`` of shape (units of layer i, units of layer i + 1).

        A list of views into the fastnn model's θ: writing into an array, assigning an item
        (``coefs_[0] = W``, same shape) or assigning the whole list copies the values into θ.
        Before the first fit, as in scikit-learn, a list may be assigned (and its items set);
        the next ``partial_fit``, warm-started ``fit`` or ``predict`` builds the network from it
        (with ``intercepts_``).
        """
        if "_model" not in self.__dict__ and "_assigned_coefs" in self.__dict__:
            return self.__dict__["_assigned_coefs"]
        return _ParamList(self._fitted_model().weights, "coefs_")

    @coefs_.setter
    def coefs_(self, values) -> None:
        if "_model" not in self.__dict__:
            self.__dict__["_assigned_coefs"] = values if isinstance(values, list) else list(values)
            return
        self._set_views(self._model.weights, values, "coefs_")

    @property
    def intercepts_(self) -> list[np.ndarray]:
        """Bias vectors, ``intercepts_[i]`` of length (units of layer i + 1); views into θ, which
        item assignment writes (see :attr:`coefs_`)."""
        if "_model" not in self.__dict__ and "_assigned_intercepts" in self.__dict__:
            return self.__dict__["_assigned_intercepts"]
        return _ParamList(self._fitted_model().biases, "intercepts_")

    @intercepts_.setter
    def intercepts_(self, values) -> None:
        if "_model" not in self.__dict__:
            self.__dict__["_assigned_intercepts"] = (
                values if isinstance(values, list) else list(values)
            )
            return
        self._set_views(self._model.biases, values, "intercepts_")

    @staticmethod
    def _set_views(views, values, name) -> None:
        values = list(values)
        if len(values) != len(views):
            raise ValueError(f"{name} needs {len(views)} arrays, got {len(values)}")
        arrays = [
            _checked_view_value(name, i, v, view)
            for i, (v, view) in enumerate(zip(values, views, strict=True))
        ]
        for array, view in zip(arrays, views, strict=True):
            view[...] = array

    def _adopt_assigned_weights(self) -> MLP:
        """Build the network from ``coefs_`` and ``intercepts_`` assigned before any fit.

        scikit-learn lets a user set the weights (and the fitted attributes its training reads)
        by hand and continue with ``partial_fit``; the layer sizes come from the arrays' shapes,
        the output activation from ``out_activation_`` when it was set. Bookkeeping attributes
        that were not set start as a first fit would start them.
        """
        coefs = self.__dict__.get("_assigned_coefs")
        intercepts = self.__dict__.get("_assigned_intercepts")
        if coefs is None or intercepts is None:
            missing = "intercepts_" if coefs is not None else "coefs_"
            raise ValueError(
                f"coefs_ and intercepts_ must both be assigned before this {type(self).__name__} "
                f"can use them; {missing} was not"
            )
        if len(coefs) == 0 or len(coefs) != len(intercepts):
            raise ValueError(
                "coefs_ and intercepts_ must hold one array per layer (the same number, at least "
                f"one), got {len(coefs)} and {len(intercepts)}"
            )
        coefs = [np.asarray(c) for c in coefs]
        intercepts = [np.asarray(b) for b in intercepts]
        for i, (c, b) in enumerate(zip(coefs, intercepts, strict=True)):
            if c.ndim != 2 or c.dtype.kind not in "biuf":
                raise ValueError(
                    f"coefs_[{i}] must be a 2-D numeric array, got {c.dtype} shape {c.shape}"
                )
            if b.shape != (c.shape[1],) or b.dtype.kind not in "biuf":
                raise ValueError(
                    f"intercepts_[{i}] must be a numeric array of shape ({c.shape[1]},) to match "
                    f"coefs_[{i}] of shape {c.shape}, got {b.dtype} shape {b.shape}"
                )
            if i > 0 and c.shape[0] != coefs[i - 1].shape[1]:
                raise ValueError(
                    f"coefs_[{i}] has shape {c.shape} but coefs_[{i - 1}] has {coefs[i - 1].shape}"
                    f": layer {i} must have {coefs[i - 1].shape[1]} inputs"
                )
        arrays = coefs + intercepts
        dtype = np.float32 if all(a.dtype == np.float32 for a in arrays) else np.float64
        layer_units = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
        out_activation = self.__dict__.get("out_activation_")
        if out_activation is None:
            out_activation = self._default_out_activation(layer_units[-1])
        parts = []
        for c, b in zip(coefs, intercepts, strict=True):
            parts += [c.astype(dtype).ravel(), b.astype(dtype)]
        params = np.concatenate(parts)
        if not np.isfinite(params).all():
            raise ValueError("coefs_ or intercepts_ contain NaN or infinity")
        self._build_model(layer_units, out_activation, dtype, params)
        del self.__dict__["_assigned_coefs"], self.__dict__["_assigned_intercepts"]
        defaults = {"n_iter_": 0, "t_": 0, "n_outputs_": layer_units[-1]}
        defaults["n_layers_"] = len(layer_units)
        if self.solver in _STOCHASTIC_SOLVERS:
            defaults["loss_curve_"] = []
            defaults["_no_improvement_count"] = 0
            if self.early_stopping:
                defaults.update(validation_scores_=[], best_validation_score_=-np.inf)
                defaults["best_loss_"] = None
            else:
                defaults.update(best_loss_=np.inf, validation_scores_=None)
                defaults["best_validation_score_"] = None
        for name, value in defaults.items():
            self.__dict__.setdefault(name, value)
        return self._model

    @property
    def fastnn_model_(self) -> MLP:
        """The fitted :class:`fastnn.MLP` (shares θ with this estimator)."""
        return self._fitted_model()

    # --- fitting ------------------------------------------------------------------------------

    def _fit(self, X, y, sample_weight=None, incremental=False):
        hidden = self._check_params()
        if not self._is_classifier and not (
            isinstance(self.loss, str) and self.loss in ("squared_error", "poisson")
        ):
            hint = (
                ""
                if isinstance(self.loss, str)
                else " (as in scikit-learn, loss is "
                "MLPRegressor's first positional parameter: pass hidden_layer_sizes=... by name)"
            )
            raise ValueError(f"loss must be 'squared_error' or 'poisson', got {self.loss!r}{hint}")
        has_weights = "_model" in self.__dict__ or self._has_assigned_weights()
        first_pass = not has_weights or (not self.warm_start and not incremental)
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        if not self._is_classifier and self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "loss='poisson' needs non-negative targets y (counts, rates or other means of a "
                f"non-negative quantity); the smallest is {float(np.min(y))!r}"
            )
        if first_pass:
            dtype = X.dtype
            self.__dict__.pop("_assigned_coefs", None)
            self.__dict__.pop("_assigned_intercepts", None)
        else:
            dtype = self._fitted_model().dtype
            X = X.astype(dtype, copy=False)
        X = np.require(X, dtype=dtype, requirements=("C", "A", "W"))
        Y = np.require(y.reshape(y.shape[0], -1), dtype=dtype, requirements=("C", "A", "W"))
        sample_weight = self._check_weights(sample_weight, X)
        layer_units = [X.shape[1], *hidden, Y.shape[1]]
        self._random_state = check_random_state(self.random_state)
        if first_pass:
            self._initialize(Y, layer_units, dtype)
        elif list(self._model.layer_sizes) != layer_units:
            raise ValueError(
                f"cannot continue training (warm_start or partial_fit): the network has layer "
                f"sizes {list(self._model.layer_sizes)} but these data and hidden_layer_sizes "
                f"need {layer_units}; refit with warm_start=False"
            )
        elif not self._is_classifier and self._model.loss_name != _REGRESSION_LOSSES[self.loss]:
            raise ValueError(
                f"cannot continue training (warm_start or partial_fit) with loss={self.loss!r}: "
                f"the network was fitted with fastnn's {self._model.loss_name!r} loss and its "
                "output activation; refit with warm_start=False"
            )
        if self.solver in _STOCHASTIC_SOLVERS:
            self._fit_stochastic(X, Y, sample_weight, incremental, y.reshape(y.shape[0], -1))
        else:
            self._fit_lbfgs(X, Y, sample_weight)
        return self

    def _default_out_activation(self, n_outputs: int) -> str:
        """scikit-learn's output activation for this estimator and its targets."""
        if not self._is_classifier:
            return "exp" if self.loss == "poisson" else "identity"
        binarizer = self.__dict__.get("_label_binarizer")
        if binarizer is not None and getattr(binarizer, "y_type_", None) == "multiclass":
            return "softmax"
        if binarizer is None and n_outputs > 1:
            return "softmax"
        return "logistic"

    def _initialize(self, Y, layer_units, dtype) -> None:
        self.n_iter_ = 0
        self.t_ = 0
        self.n_outputs_ = Y.shape[1]
        self.n_layers_ = len(layer_units)
        self.out_activation_ = self._default_out_activation(Y.shape[1])
        # scikit-learn's initialisation, drawn from the same stream in the same order
        factor = 2.0 if self.activation == "logistic" else 6.0
        parts = []
        for fan_in, fan_out in pairwise(layer_units):
            bound = np.sqrt(factor / (fan_in + fan_out))
            coef = self._random_state.uniform(-bound, bound, (fan_in, fan_out))
            intercept = self._random_state.uniform(-bound, bound, fan_out)
            parts += [coef.astype(dtype, copy=False).ravel(), intercept.astype(dtype, copy=False)]
        self._build_model(layer_units, self.out_activation_, dtype, np.concatenate(parts))
        if self.solver in _STOCHASTIC_SOLVERS:
            self.loss_curve_: list[float] = []
            self._no_improvement_count = 0
            # None or a value, as scikit-learn sets them, by solver and early stopping
            self.validation_scores_: Any
            self.best_validation_score_: Any
            self.best_loss_: Any
            if self.early_stopping:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
                self.best_loss_ = None
            else:
                self.best_loss_ = np.inf
                self.validation_scores_ = None
                self.best_validation_score_ = None

    def _build_model(self, layer_units, out_activation, dtype, params) -> None:
        """The fastnn network for these layer sizes, output activation and θ, and the scaling
        that turns its loss into scikit-learn's."""
        allowed = (
            ("logistic", "softmax")
            if self._is_classifier
            else ("exp",)
            if self.loss == "poisson"
            else ("identity",)
        )
        if out_activation not in allowed:
            raise ValueError(
                f"out_activation_ {out_activation!r} does not suit this {type(self).__name__}"
                + ("" if self._is_classifier else f" with loss={self.loss!r}")
                + f"; expected {' or '.join(map(repr, allowed))}"
            )
        n_hidden = len(layer_units) - 2
        activations = [_ACTIVATIONS[self.activation]] * n_hidden
        activations.append(_OUT_ACTIVATIONS[out_activation])
        loss = {
            "identity": "mse",
            "exp": "poisson",
            "softmax": "categorical_crossentropy",
            "logistic": "binary_crossentropy",
        }[out_activation]
        self._model = MLP(layer_units, activations, loss, seed=0, dtype=dtype, params=params)
        # scikit-learn's loss for our kernel's: squared error is half the mean square error per
        # output but its gradient is that of the sum over outputs (so the kernel trains with
        # loss_scale 0.5 * n_outputs and the reported loss is divided by n_outputs); the binary
        # log-loss and the half Poisson deviance are summed over outputs (fastnn averages them);
        # categorical is the same.
        n_out = layer_units[-1]
        if loss == "mse":
            self._loss_scale, self._loss_divisor = 0.5 * n_out, float(n_out)
        elif loss in ("binary_crossentropy", "poisson"):
            self._loss_scale, self._loss_divisor = float(n_out), 1.0
        else:
            self._loss_scale, self._loss_divisor = 1.0, 1.0
        self._best_theta = self._model.params.copy()
        self.__dict__.pop("_optimizer", None)

    def _train_config(self, batch_size: int, learning_rate: float) -> TrainConfig:
        sgd = self.solver == "sgd"
        return TrainConfig(
            optimizer="sgd" if sgd else "adam",
            learning_rate=learning_rate,
            momentum=float(self.momentum) if sgd else 0.0,
            nesterov=bool(self.nesterovs_momentum) and sgd and self.momentum > 0,
            beta1=float(self.beta_1),
            beta2=float(self.beta_2),
            eps=float(self.epsilon),
            l2=float(self.alpha),
            l2_per_batch=True,
            batch_size=batch_size,
            loss_scale=self._loss_scale,
        )

    def _set_learning_rate(self, optimizer: _Optimizer, new: float) -> None:
        """Change the SGD learning rate the way scikit-learn's velocity update sees it.

        scikit-learn keeps the velocity ``v = μ v - η g``; fastnn keeps ``b = μ b + g`` and steps
        ``-η b``. They agree while η is constant (``v = -η b``); when η changes to ``η'`` the
        buffer is rescaled by ``η / η'`` so the next step matches scikit-learn's exactly.
        """
        state = optimizer.state
        if (
            self.solver == "sgd"
            and self.momentum > 0
            and not optimizer.fresh
            and state is not None
            and new != optimizer.learning_rate
        ):
            state.buffers[0] *= optimizer.learning_rate / new
        optimizer.learning_rate = new

    def _fit_stochastic(self, X, Y, sample_weight, incremental, labels) -> None:
        if not incremental or "_optimizer" not in self.__dict__:
            self._optimizer = _Optimizer(float(self.learning_rate_init))
        optimizer = self._optimizer
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        early_stopping = self.early_stopping
        if early_stopping:
            # stratified on the binarized labels as scikit-learn splits them (so a class too
            # small to stratify is reported as scikit-learn reports it)
            stratify = labels if self._is_classifier and self.n_outputs_ == 1 else None
            arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
            split = train_test_split(
                *arrays,
                random_state=self._random_state,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            X_train, X_val, Y_train, Y_val = (np.ascontiguousarray(a) for a in split[:4])
            sw_train, sw_val = (None, None) if sample_weight is None else split[4:]
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' or the size "
                    "of your dataset."
                )
            y_val = self._validation_targets(Y_val)
        else:
            X_train, Y_train, sw_train = X, Y, sample_weight
            X_val = y_val = sw_val = None  # type: ignore[assignment]  # no validation split
        n_samples = X_train.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is going to be "
                    "clipped",
                    stacklevel=4,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        rng = _SklearnShuffle(self._random_state, n_samples)
        config = self._train_config(batch_size, optimizer.learning_rate)
        model = self._model
        self.n_iter_ = 0  # scikit-learn counts the epochs of this call only
        # verbose=1 (or True): a progress bar on stderr over all the epochs of this call;
        # verbose >= 2: scikit-learn's own lines ("Iteration N, loss = ...") on stdout
        progress = (
            Progress(1, total=self.max_iter, desc=type(self).__name__)
            if int(self.verbose) == 1
            else None
        )
        try:
            self._train_epochs(
                model, X_train, Y_train, sw_train, config, rng, early_stopping, incremental,
                (X_val, y_val, sw_val), n_samples, progress,
            )  # fmt: skip
        finally:
            if progress is not None:
                progress.close()
        if early_stopping:
            model.params[:] = self._best_theta

    def _train_epochs(
        self, model, X_train, Y_train, sw_train, config, rng, early_stopping, incremental,
        validation, n_samples, progress,
    ) -> None:  # fmt: skip
        """The epochs of one ``fit``/``partial_fit`` call, in kernel calls as long as
        scikit-learn's bookkeeping allows (:meth:`_epochs_per_call`)."""
        optimizer = self._optimizer
        remaining = self.max_iter
        stop = False
        while remaining > 0 and not stop:
            count = self._epochs_per_call(early_stopping, incremental, remaining)
            if config.learning_rate != optimizer.learning_rate:
                config = replace(config, learning_rate=optimizer.learning_rate)
            try:
                if optimizer.fresh or optimizer.state is None:
                    optimizer.state = OptimizerState.fresh(
                        config.optimizer, model.n_params, model.dtype
                    )
                losses = train(
                    model,
                    X_train,
                    Y_train,
                    config,
                    count,
                    sample_weight=sw_train,
                    shuffle=self.shuffle,
                    permutation=rng.permutation,
                    state=optimizer.state,
                    verbose=0 if progress is None else progress,
                ).history.loss
            except TrainingDiverged as error:
                for loss in error.history.loss:
                    self._end_epoch(float(loss), n_samples, early_stopping, incremental, None)
                if not early_stopping:
                    raise ValueError(
                        "Solver produced non-finite parameter weights. The input data may "
                        "contain large values and need to be preprocessed. (fastnn: the loss or "
                        f"the weights became NaN or infinite in epoch {self.n_iter_ + 1}, and "
                        "the weights were restored to their values before it; a smaller "
                        "learning_rate_init may also help.)"
                    ) from error
                # as scikit-learn: the diverged epoch scores NaN on the validation set and the
                # weights of the best epoch are restored below
                self._diverged_epoch(n_samples)
                break
            except KeyboardInterrupt:
                history = model.history_
                for loss in [] if history is None else history.loss:
                    self._end_epoch(float(loss), n_samples, early_stopping, incremental, None)
                warnings.warn("Training interrupted by user.", stacklevel=5)
                break
            optimizer.fresh = False
            remaining -= count
            for loss in losses:
                stop = self._end_epoch(
                    float(loss), n_samples, early_stopping, incremental, validation
                )
                if stop:
                    break

    def _diverged_epoch(self, n_samples) -> None:
        """Record an early-stopping epoch in which training diverged, as scikit-learn does: its
        loss (NaN here: the compiled loop stops before reporting it) and a NaN validation score.
        Training stops there (scikit-learn keeps iterating on NaN weights until ``max_iter``);
        the caller restores the best epoch's weights and this warns."""
        self.n_iter_ += 1
        self.t_ += n_samples
        self.loss_ = np.nan
        self.loss_curve_.append(np.nan)
        self.validation_scores_.append(np.nan)
        best = self.best_validation_score_
        restored = (
            f"those of the epoch with the best validation score ({best:g})"
            if np.isfinite(best)
            else "their values before this fit"
        )
        warnings.warn(
            f"Training diverged in epoch {self.n_iter_}: the loss or the weights became NaN or "
            f"infinite. Its validation score is recorded as NaN, training stopped, and the "
            f"weights were restored to {restored}. The input data may contain large values and "
            "need to be preprocessed, or learning_rate_init is too large.",
            ConvergenceWarning,
            stacklevel=6,
        )

    def _epochs_per_call(self, early_stopping, incremental, remaining) -> int:
        """How many epochs the next kernel call may run before Python must look at the losses.

        scikit-learn decides after every epoch whether to stop or to lower an adaptive learning
        rate, but either needs more than ``n_iter_no_change`` epochs in a row without improvement:
        with ``c`` such epochs counted so far, the next ``n_iter_no_change + 1 - c`` epochs can run
        in one call, and only the last of them can end in a decision. Early stopping (a validation
        score and a copy of θ after every epoch), the per-epoch ``invscaling`` rate and
        ``partial_fit`` (one epoch) go one epoch at a time.
        """
        if (
            incremental
            or early_stopping
            or (self.solver == "sgd" and self.learning_rate == "invscaling")
        ):
            return 1
        if self.n_iter_no_change == np.inf:
            return remaining
        return max(1, min(remaining, int(self.n_iter_no_change) + 1 - self._no_improvement_count))

    @property
    def _prints_lines(self) -> bool:
        """scikit-learn's per-epoch lines: with ``verbose >= 2`` (1 shows a progress bar)."""
        return int(self.verbose) >= 2

    def _end_epoch(self, loss, n_samples, early_stopping, incremental, validation) -> bool:
        """scikit-learn's bookkeeping after one epoch; True when training must stop."""
        optimizer = self._optimizer
        self.n_iter_ += 1
        self.loss_ = loss / self._loss_divisor
        self.t_ += n_samples
        self.loss_curve_.append(self.loss_)
        if self._prints_lines:
            print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
        if validation is None:  # an epoch that was cut short by an error or an interrupt
            return True
        self._update_no_improvement_count(early_stopping, *validation)
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            self._set_learning_rate(
                optimizer, float(self.learning_rate_init) / (self.t_ + 1) ** self.power_t
            )
        if self._no_improvement_count > self.n_iter_no_change:
            what = "Validation score" if early_stopping else "Training loss"
            msg = (
                f"{what} did not improve more than tol={self.tol:f} for "
                f"{self.n_iter_no_change} consecutive epochs."
            )
            adaptive = self.solver == "sgd" and self.learning_rate == "adaptive"
            if not adaptive or optimizer.learning_rate <= 1e-6:
                if self._prints_lines:
                    extra = " Learning rate too small." if adaptive else ""
                    print(msg + extra + " Stopping.")
                return True
            self._set_learning_rate(optimizer, optimizer.learning_rate / 5.0)
            if self._prints_lines:
                print(msg + f" Setting learning rate to {optimizer.learning_rate:f}")
            self._no_improvement_count = 0
        if incremental:
            return True
        if self.n_iter_ == self.max_iter:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and the "
                "optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=6,
            )
        return False

    def _update_no_improvement_count(self, early_stopping, X_val, y_val, sw_val) -> None:
        if early_stopping:
            score = self._score(X_val, y_val, sw_val)
            self.validation_scores_.append(score)
            if self._prints_lines:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_theta = self._model.params.copy()
        else:
            last = self.loss_curve_[-1]
            if last > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if last < self.best_loss_:
                self.best_loss_ = last

    def _fit_lbfgs(self, X, Y, sample_weight) -> None:
        from scipy.optimize import minimize

        # L-BFGS-B works in float64; a float32 network is optimised through a float64 twin (the
        # compiled float64 loss-and-gradient kernel), then rounded back
        target = self._model
        if target.dtype == np.float64:
            model = target
        else:
            model = MLP(
                target.layer_sizes,
                list(target.activations),
                target.loss_name,
                seed=0,
                params=target.params.astype(np.float64),
            )
            X = X.astype(np.float64)
            Y = Y.astype(np.float64)
            if sample_weight is not None:
                sample_weight = sample_weight.astype(np.float64)
        theta = model.params
        scale = self._loss_scale
        config = TrainConfig(l2=float(self.alpha), l2_per_batch=True, loss_scale=scale)
        last = [np.nan]

        def loss_and_gradient(p):
            theta[:] = p
            loss, grad = objective(model, X, Y, config, sample_weight)
            last[0] = loss
            return loss, grad.astype(np.float64)

        iteration = [0]

        def report(*_):
            iteration[0] += 1
            print(f"Iteration {iteration[0]}, loss = {last[0]:.8f}")

        start = target.params.copy()
        result = minimize(
            loss_and_gradient,
            theta.astype(np.float64),
            method="L-BFGS-B",
            jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
            callback=report if self.verbose else None,
        )
        if not np.isfinite(result.x).all() or not np.isfinite(result.fun):
            target.params[:] = start
            raise ValueError(
                "Solver produced non-finite parameter weights (the weights were restored to "
                "their values before this fit). The input data may contain large values and "
                "need to be preprocessed."
            )
        theta[:] = result.x
        target.params[:] = theta
        if result.status != 0:
            message = result.message
            message = message.decode("latin1") if isinstance(message, bytes) else message
            warnings.warn(
                f"lbfgs failed to converge after {result.nit} iteration(s) (status="
                f"{result.status}): {message}.\nIncrease the number of iterations (max_iter) or "
                "scale the data.",
                ConvergenceWarning,
                stacklevel=4,
            )
        self.n_iter_ = min(int(result.nit), self.max_iter)
        # result.fun is the objective the gradient belongs to (data term plus L2 penalty); report
        # scikit-learn's loss_, whose data term is divided by the loss divisor
        data = objective(model, X, Y, replace(config, l2=0.0), sample_weight)[0]
        self.loss_ = data / self._loss_divisor + (float(result.fun) - data)

    # --- prediction ---------------------------------------------------------------------------

    def _forward(self, X, check_input=True) -> np.ndarray:
        check_is_fitted(self)
        if check_input:
            X = validate_data(
                self, X, accept_sparse=["csr", "csc"], dtype=(np.float64, np.float32), reset=False
            )
            X = _dense(X)
        return self._fitted_model().predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _dense(X):
    return X.toarray() if hasattr(X, "toarray") else X


_COMMON_PARAMS_DOC = """
    hidden_layer_sizes : int or sequence of int, default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Hidden-layer activation (fastnn's ``identity``, ``sigmoid``, ``tanh``, ``relu``).
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        ``sgd`` and ``adam`` run each epoch in fastnn's compiled training loop; ``lbfgs`` runs
        :func:`scipy.optimize.minimize` (L-BFGS-B) on fastnn's compiled loss and gradient.
    alpha : float, default=1e-4
        L2 penalty ``0.5 * alpha * ΣW²`` (weights, not intercepts), divided by the sample-weight
        sum of each batch (of the whole set for lbfgs), as in scikit-learn.
    batch_size : int or "auto", default="auto"
        Rows per update; ``"auto"`` is ``min(200, n_samples)``. Larger values are clipped.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule of ``solver="sgd"`` (ignored by adam, as in scikit-learn):
        ``invscaling`` uses ``learning_rate_init / (t_ + 1) ** power_t`` after each epoch;
        ``adaptive`` divides it by 5 whenever ``n_iter_no_change`` epochs in a row fail to improve
        by ``tol``, and stops once it is at most 1e-6.
    learning_rate_init : float, default=1e-3
        Initial step size of sgd and adam.
    power_t : float, default=0.5
        Exponent of ``invscaling``.
    max_iter : int, default=200
        Epochs for sgd and adam; iterations for lbfgs.
    shuffle : bool, default=True
        Reorder the rows every epoch (sgd and adam), with scikit-learn's random stream.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the early-stopping split.
    tol : float, default=1e-4
        Improvement below which an epoch counts as not improving (the gradient tolerance of
        lbfgs).
    verbose : bool or int, default=False
        Print the loss after every epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (a new optimizer state, as in scikit-learn).
    momentum : float, default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Nesterov's momentum for SGD (when ``momentum > 0``).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows (stratified for single-output
        classification) and stop when its score (accuracy or R²) stops improving by ``tol``; the
        weights of the best epoch are restored.
    validation_fraction : float, default=0.1
        Share of rows held out for early stopping.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and ε.
    n_iter_no_change : int or inf, default=10
        Epochs without improvement by ``tol`` before stopping (or lowering an adaptive rate).
    max_fun : int, default=15000
        Most loss evaluations of lbfgs.
"""

_ATTRIBUTES_DOC = """
    loss_ : float
        Loss after the last epoch (of the final weights for lbfgs).
    best_loss_ : float or None
        Lowest training loss seen (sgd/adam without early stopping; None with it).
    loss_curve_ : list of float
        Training loss of each epoch (sgd/adam).
    validation_scores_ : list of float or None
        Validation score of each epoch with early stopping (else None).
    best_validation_score_ : float or None
        Best validation score with early stopping (else None).
    t_ : int
        Training rows seen (sgd/adam).
    coefs_ : list of ndarray
        Weight matrices: a list of views into the fastnn model's θ (``coefs_[i] = W`` writes θ).
    intercepts_ : list of ndarray
        Bias vectors, views into θ likewise.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Input feature names, when ``X`` had string column names.
    n_iter_ : int
        Epochs (sgd/adam) or iterations (lbfgs) run.
    n_layers_ : int
        Layers, input and output included.
    n_outputs_ : int
        Output units.
    out_activation_ : str
        Output activation (scikit-learn's name).
    fastnn_model_ : fastnn.MLP
        The underlying compiled network.
"""


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = (
        """Multi-layer perceptron regressor trained by fastnn's compiled kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor`: same parameters,
    attributes and methods; squared-error or Poisson loss.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"squared_error"``: ``0.5 * mean((y - p)²)`` with an identity output. ``"poisson"``: half
        the Poisson deviance, ``mean(y log(y / p) - y + p)``, with an exponential output
        (``out_activation_ = "exp"``, fastnn's ``poisson`` loss); ``y`` must be non-negative.
"""
        + _COMMON_PARAMS_DOC
        + """
    Attributes
    ----------"""
        + _ATTRIBUTES_DOC
        + """
    Notes
    -----
    See :mod:`fastnn.sklearn` for what matches scikit-learn exactly and the few differences
    (Adam's ε placement; ``loss_curve_`` with sample weights over several batches; the L2 part of
    the reported loss for multi-output targets).

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from fastnn.sklearn import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=0.1, random_state=0)
    >>> y = y / y.std()
    >>> reg = MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, random_state=0)
    >>> bool(reg.fit(X, y).score(X, y) > 0.95)
    True
    >>> reg.coefs_[0].shape, len(reg.loss_curve_) == reg.n_iter_
    ((5, 32), True)
    """
    )

    _is_classifier = False

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return _dense(X), y

    def _validation_targets(self, Y_val):
        return Y_val[:, 0] if Y_val.shape[1] == 1 else Y_val

    def _score(self, X, y, sample_weight=None) -> float:
        try:
            pred = self._predict(X, check_input=False)
        except ValueError:  # the network overflowed on these rows: scikit-learn scores NaN
            return np.nan
        if not np.isfinite(pred).all():
            return np.nan
        return float(r2_score(y, pred, sample_weight=sample_weight))

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss.

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        Returns
        -------
        self : MLPRegressor
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _predict(self, X, check_input=True):
        pred = self._forward(X, check_input)
        return pred.ravel() if pred.shape[1] == 1 else pred

    def predict(self, X):
        """Predicted targets for the rows of ``X``.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        return self._predict(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = (
        """Multi-layer perceptron classifier trained by fastnn's compiled kernels.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier`: same parameters,
    attributes and methods; log-loss with a softmax output for several classes and a logistic
    output for two classes and for multi-label targets.

    Parameters
    ----------"""
        + _COMMON_PARAMS_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels (one array per output for multi-label targets)."""
        + _ATTRIBUTES_DOC
        + """
    Notes
    -----
    The log-losses are computed from the output layer's logits (no ``log(0)``); scikit-learn clips
    the probabilities to ``[eps, 1 - eps]`` instead, which changes the reported loss only for
    saturated outputs. See :mod:`fastnn.sklearn` for the other (small) differences.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from fastnn.sklearn import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(
    ...     StandardScaler(),
    ...     MLPClassifier((16,), learning_rate_init=0.01, max_iter=1000, random_state=0),
    ... )
    >>> bool(clf.fit(X, y).score(X, y) > 0.95)
    True
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    """
    )

    _is_classifier = True

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun

    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if "classes_" not in self.__dict__ or (not self.warm_start and not incremental):
            self._label_binarizer = LabelBinarizer()
            self._label_binarizer.fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as in the "
                        f"previous call to fit. Previously got {self.classes_}, `y` has {classes}"
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    "`y` has classes not in `self.classes_`. "
                    f"`self.classes_` has {self.classes_}. 'y' has {classes}."
                )
        y = self._label_binarizer.transform(y).astype(bool)
        return _dense(X), y

    def _validation_targets(self, Y_val):
        return self._label_binarizer.inverse_transform(Y_val)

    def _score(self, X, y, sample_weight=None) -> float:
        try:
            pred = self._predict(X, check_input=False)
        except ValueError:  # NaN outputs (the network overflowed): scikit-learn scores NaN
            return np.nan
        return float(accuracy_score(y, pred, sample_weight=sample_weight))

    def fit(self, X, y, sample_weight=None):
        """Fit the network to ``(X, y)``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Class labels, or a binary indicator matrix for multi-label classification.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each row in the loss.

        Returns
        -------
        self : MLPClassifier
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """One epoch over ``(X, y)``, continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), default=None
        classes : array-like of shape (n_classes,), default=None
            Every class that will ever appear; required on the first call, optional later (it
            must then equal ``classes_``).

        Returns
        -------
        self : MLPClassifier
        """
        current = self.__dict__.get("classes_")
        if current is None and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit.")
        if classes is not None:
            if current is not None:
                if not np.array_equal(current, unique_labels(classes)):
                    raise ValueError(
                        f"`classes={classes!r}` is not the same as on last call to partial_fit, "
                        f"was: {current!r}"
                    )
            else:
                self.classes_ = unique_labels(classes)
                self._label_binarizer = LabelBinarizer()
                if type_of_target(y).startswith("multilabel"):
                    self._label_binarizer.fit(y)
                else:
                    self._label_binarizer.fit(classes)
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def _predict(self, X, check_input=True):
        pred = self._forward(X, check_input)
        if self.n_outputs_ == 1:
            pred = pred.ravel()
        return self._label_binarizer.inverse_transform(pred)

    def predict(self, X):
        """Predicted class labels (an indicator matrix for multi-label targets).

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
        """
        return self._predict(X)

    def predict_proba(self, X):
        """Probability of each class (columns ordered as ``classes_``).

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        pred = self._forward(X)
        if self.n_outputs_ == 1:
            pred = pred.ravel()
            return np.vstack([1 - pred, pred]).T
        return pred

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


from ._search import GridSearchCV, RandomizedSearchCV  # noqa: E402

__all__ += ["GridSearchCV", "RandomizedSearchCV"]
