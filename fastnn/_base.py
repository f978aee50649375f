"""The model class both implementations share: construction, checks, the training driver.

:class:`MLPBase` owns everything that is not arithmetic — argument checking, the flat parameter
vector and its views, random initialisation, drawing the shuffling permutations, splitting a long
training run into interruptible chunks, early-stopping and divergence bookkeeping, pickling — so
the compiled :class:`fastnn.MLP` and the plain-numpy :class:`fastnn.reference.MLP` cannot drift
apart. A subclass supplies the methods that do the maths: ``_predict_rows``,
``_layer_outputs_rows``, ``_loss_value``, ``_loss_gradient`` and ``_train_chunk``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from . import _io, _names, engine
from ._config import TrainConfig
from ._diagnostics import warn_if_unhealthy
from ._spec import NetworkSpec, initial_params
from ._validation import (
    as_float_array,
    as_rng,
    check_bool,
    check_float,
    check_int,
    check_output,
    check_sample_weight,
    check_seed,
    check_targets,
    check_X,
    check_y,
    lookup_name,
    public_signature,
)

#: Default learning rate of each optimizer (PyTorch's defaults).
DEFAULT_LEARNING_RATE = {"sgd": 0.01, "adam": 0.001, "adamw": 0.001, "rmsprop": 0.01}


class DefaultName(str):
    """A default activation name, told apart from the same name passed explicitly (``is``)."""


def pick_activations(primary, alternative, default: DefaultName, owner: str, plural: bool):
    """The activation(s) given as ``primary`` (its default is ``default``) or under the other
    spelling as ``alternative`` (None when not given): ``activations`` and ``activation`` mean
    the same on :class:`fastnn.MLP` and :class:`fastnn.Classifier`. Both given explicitly is a
    ``TypeError`` naming ``owner``; ``plural`` says which spelling ``primary`` is."""
    if alternative is None:
        return str(primary) if primary is default else primary
    if primary is not default:
        given, other = ("activations", "activation") if plural else ("activation", "activations")
        raise TypeError(
            f"{owner}() got both {given}= and {other}=: they are two spellings of one "
            "argument; give one"
        )
    return alternative


_SIGMOID = DefaultName("sigmoid")


class _FitPlan(NamedTuple):
    """The checked settings of one ``fit`` call, apart from its data (``MLPBase._fit_plan``)."""

    config: TrainConfig
    epochs: int
    shuffle: bool
    seed: Any  # None (the model's own generator), an int or a numpy Generator
    keep_optimizer_state: bool
    verbose: Any
    callback: Any


#: Types of ``fit`` settings whose checked plan :func:`_plan_for` may remember: immutable, and
#: checked by value and type alone (a callback, a Generator or a Progress is checked afresh).
_PLAIN_TYPES = frozenset({int, float, bool, str, type(None)})
#: The plans of recent ``fit`` settings: (model class, settings, their types) → plan.
_PLANS: dict[tuple, _FitPlan] = {}
_PLANS_KEPT = 64


def _plan_for(model: MLPBase, args: tuple) -> _FitPlan:
    """``model._fit_plan(*args)``, remembered for settings of plain types: checking ``fit``'s
    28 settings costs about 9 µs, a noticeable share of a small network's ``fit``; a plan is
    immutable, so repeated fits with the same settings can share it. The types are part of the
    key (``1``, ``1.0`` and ``True`` are equal but checked differently); settings that fail
    their checks raise every time (nothing is remembered for them)."""
    types = tuple(map(type, args))
    if not _PLAIN_TYPES.issuperset(types):
        return model._fit_plan(*args)
    key = (type(model), args, types)
    plan = _PLANS.get(key)
    if plan is None:
        plan = model._fit_plan(*args)
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


class MLPBase:
    """A dense feed-forward network whose parameters live in one flat vector θ.

    Parameters
    ----------
    layer_sizes : sequence of int
        Units per layer, input first: ``(2, 2, 1)`` is two inputs, one hidden layer of two units
        and one output.
    activations : str, (str, float) or sequence of them
        One activation for every layer, or one per layer (``len(layer_sizes) - 1`` of them).
        ``activation=`` is accepted as another spelling (as :class:`fastnn.Classifier` names it).
        Names: ``identity``, ``sigmoid``, ``tanh``, ``relu``, ``leaky_relu``, ``elu``,
        ``softplus``, ``exp``, ``softmax`` (output layer only). ``("leaky_relu", 0.1)`` sets the
        negative slope (default 0.01), ``("elu", a)`` sets alpha (default 1.0).
    loss : str or (str, float)
        ``mse`` (mean over every output of every row), ``sse`` (sum of squared errors), ``mae``,
        ``huber`` (``("huber", delta)``, default delta 1.0), ``binary_crossentropy`` (needs a
        sigmoid output; computed from its logits), ``categorical_crossentropy`` (needs a
        softmax output; targets are one-hot rows or probabilities) or ``poisson`` (needs an
        ``exp`` output; half the Poisson deviance ``y log(y/p) - y + p``, mean over every output
        of every row, from the logits; targets are non-negative, e.g. counts).
    seed : int, numpy Generator or None
        Seeds the initial parameters and, later, the shuffling in :meth:`fit`. The same seed gives
        the same θ and the same training, bit for bit.
    init : str or None
        ``normal``, ``uniform``, ``glorot_uniform``, ``glorot_normal``, ``he_uniform`` or
        ``he_normal``; None chooses He uniform after relu-family layers and Glorot uniform
        elsewhere.
    dtype : float64 or float32
        Dtype of θ; inputs are converted to it.
    bias : bool
        Whether layers have bias vectors (the 3-4-1 tutorial network has none).
    params : array-like or None
        Start from these parameters instead of random ones (copied; length :attr:`n_params`).
    activation : optional
        The same as ``activations`` (give one of the two).
    """

    @public_signature("__init__")
    def __init__(
        self,
        layer_sizes,
        activations=_SIGMOID,
        loss="mse",
        *,
        seed=None,
        init=None,
        dtype=np.float64,
        bias=True,
        params=None,
        activation=None,
    ):
        activations = pick_activations(
            activations, activation, _SIGMOID, type(self).__name__, plural=True
        )
        self._spec = NetworkSpec.parse(layer_sizes, activations, loss, bias, dtype)
        self._rng = as_rng(seed, "seed")
        if params is None:
            theta = initial_params(self._spec, init, self._rng)
        else:
            if init is not None:
                raise ValueError("give either params or init, not both")
            theta = self._checked_params(params)
        self._attach(theta)
        self.history_: engine.History | None = None
        self._optimizer_state: engine.OptimizerState | None = None

    # --- parameters and their views -------------------------------------------------------------

    def _attach(self, theta: np.ndarray) -> None:
        self._layout = self._spec.layout
        self._theta = theta
        self._weights = self._layout.weights(theta)
        self._biases = self._layout.biases(theta)
        self._net, self._netf = self._spec.pack()
        # read on every predict call (attribute lookups are a fair part of a one-row predict)
        self._dtype = self._spec.dtype
        self._n_in, self._n_out = self._spec.sizes[0], self._spec.sizes[-1]

    def _checked_params(self, params) -> np.ndarray:
        n = self._spec.layout.n_params
        theta = as_float_array(params, "params", self._spec.dtype)
        if theta.ndim != 1 or theta.shape[0] != n:
            raise ValueError(
                f"params must be a 1-D array of {n} values for layer_sizes {self._spec.sizes}, "
                f"got shape {theta.shape}"
            )
        if not np.isfinite(theta).all():
            raise ValueError("params contains NaN or infinity")
        return theta.copy()

    @property
    def params(self) -> np.ndarray:
        """θ: every weight and bias in one C-contiguous 1-D array (the model's own storage)."""
        return self._theta

    @params.setter
    def params(self, value) -> None:
        self._theta[:] = self._checked_params(value)

    @property
    def weights(self) -> list[np.ndarray]:
        """``W_k`` of shape ``(layer_sizes[k], layer_sizes[k+1])``: views into :attr:`params`."""
        return list(self._weights)

    @property
    def biases(self) -> list[np.ndarray]:
        """``b_k`` of length ``layer_sizes[k+1]``: views into :attr:`params` (empty if no bias)."""
        return list(self._biases)

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self._spec.sizes

    @property
    def activations(self) -> tuple[str, ...]:
        return self._spec.activations

    @property
    def loss_name(self) -> str:
        return self._spec.loss

    @property
    def dtype(self) -> np.dtype:
        return self._spec.dtype

    @property
    def bias(self) -> bool:
        return self._spec.bias

    @property
    def n_params(self) -> int:
        return self._layout.n_params

    @property
    def layout(self):
        """The :class:`fastnn._layout.Layout` mapping layers to slices of θ."""
        return self._layout

    @property
    def spec(self) -> NetworkSpec:
        return self._spec

    def copy(self):
        """An independent model with the same architecture and a copy of θ."""
        other = self.__class__.__new__(self.__class__)
        other.__setstate__(self.__getstate__())
        return other

    def save(self, path) -> None:
        """Write the model to one file at ``path``; read it back with :func:`fastnn.load`.

        The file holds θ, the architecture, the random generator's state, the format and fastnn
        versions and a SHA-256 checksum; it contains no pickle. It is written to a temporary file
        (``.fnn-<tag>-<random>.tmp``) in the same directory, flushed to disk and renamed over
        ``path``, so a crash mid-write never leaves a partial file under that name; temporary
        files that killed saves to ``path`` left behind are deleted by a later save once they are
        an hour old. If ``path``
        is a symlink, the file it points to is replaced and the link stays. Training history and
        optimizer state are not saved.

        Raises
        ------
        TypeError
            If ``path`` is not a str or ``os.PathLike``.
        ValueError
            If θ holds NaN or infinity, or the random generator is in a state that a model file
            cannot hold.
        OSError
            If the file cannot be written (``path`` is a directory, its directory is missing, …).
        """
        _io.save_model_file(path, self._spec.describe(), self._theta, self._rng.bit_generator.state)

    @classmethod
    def _from_model_file(cls, file: _io.ModelFile):
        """The model that a checked model file describes (see :func:`fastnn.load`)."""
        try:
            model = cls(**file.architecture, params=file.theta)
        except (TypeError, ValueError) as error:
            raise _io.ModelFileError(
                f"model file {file.path!r} describes an invalid network: {error}"
            ) from None
        if file.rng_state is not None:
            model._rng = _io.generator_from_state(file.rng_state)
        return model

    def __getstate__(self) -> dict:
        return {
            "spec": self._spec,
            "params": self._theta.copy(),
            "rng": self._rng.bit_generator.state,
            "history": self.history_,
            "optimizer_state": self._optimizer_state,
        }

    def __setstate__(self, state: dict) -> None:
        self._spec = state["spec"]
        rng = np.random.default_rng()
        rng.bit_generator.state = state["rng"]
        self._rng = rng
        self._attach(np.ascontiguousarray(state["params"], dtype=self._spec.dtype).copy())
        self.history_ = state["history"]
        self._optimizer_state = state["optimizer_state"]

    def __repr__(self) -> str:
        d = self._spec.describe()
        return (
            f"{type(self).__module__.split('.')[0]}.{type(self).__name__}("
            f"layer_sizes={tuple(d['layer_sizes'])}, activations={d['activations']}, "
            f"loss={d['loss']!r}, dtype={d['dtype']}, bias={d['bias']}, n_params={self.n_params})"
        )

    # --- evaluation ---------------------------------------------------------------------------

    def predict(self, X) -> np.ndarray:
        """Network outputs for the rows of ``X``.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_inputs) or (n_inputs,)
            Rows of inputs; a 1-D array is one sample.

        Returns
        -------
        ndarray, shape (n_samples, n_outputs) or (n_outputs,) for 1-D ``X``
            Output-layer activations (probabilities for sigmoid/softmax outputs).
        """
        n_in = self._n_in
        dtype = self._dtype
        array = as_float_array(X, "X", dtype)
        if array.ndim == 1:
            if array.shape[0] != n_in:
                raise ValueError(
                    f"X is 1-D with {array.shape[0]} values, read as one sample, but the network "
                    f"expects {n_in} inputs; pass a 2-D array (n_samples, {n_in}) for many rows"
                )
            return self._checked_output(self._predict_rows(array.reshape(1, n_in)))[0]
        if array.ndim != 2:
            raise ValueError(
                f"X must be 1-D (one sample) or 2-D, got {array.ndim}-D shape {array.shape}"
            )
        if array.shape[0] == 0:
            raise ValueError(f"X is empty: it has shape {array.shape}, need at least one row")
        if array.shape[1] != n_in:
            raise ValueError(
                f"X has {array.shape[1]} features per row but the network expects {n_in} "
                f"(layer_sizes[0])"
            )
        return self._checked_output(self._predict_rows(array))

    #: Whether ``_predict_rows`` refuses overflowed outputs itself.
    _predict_checks_output = False

    #: ``_row_orders(keys, out)``: the row orders of shuffled epochs (see
    #: :func:`fastnn.engine.row_orders`), set by each twin.
    _row_orders: Callable

    def _checked_output(self, out: np.ndarray) -> np.ndarray:
        return out if self._predict_checks_output else check_output(out)

    def layer_outputs(self, X) -> list[np.ndarray]:
        """The output of every layer for the rows of ``X``, input layer excluded.

        Returns
        -------
        list of ndarray
            ``L`` arrays; array ``k`` has shape ``(n_samples, layer_sizes[k + 1])`` and holds the
            activations of layer ``k + 1`` (the last one equals :meth:`predict`).
        """
        X = check_X(X, self._spec.sizes[0], self._spec.dtype)
        flat = self._layer_outputs_rows(X)
        bounds = np.cumsum(self._spec.sizes[1:])[:-1]
        return np.split(flat, bounds, axis=1)

    def _data(self, X, y, sample_weight):
        X = check_X(X, self._spec.sizes[0], self._spec.dtype)
        Y = check_targets(
            check_y(y, X.shape[0], self._spec.sizes[-1], self._spec.dtype), self._spec.loss
        )
        # extreme weights are rescaled (exactly) for the losses that are weighted means; sse is
        # a weighted sum, which rescaling would change
        sw = check_sample_weight(
            sample_weight, X.shape[0], self._spec.dtype, rescale=self._spec.loss != "sse"
        )
        return X, Y, sw

    def _overflowed(self, value: float, what: str) -> ValueError:
        return ValueError(
            f"the {self._spec.loss} loss overflowed for these inputs and parameters: {what} "
            f"{value}; scale X (and y), or check the model's params"
        )

    def loss(self, X, y, sample_weight=None) -> float:
        """The loss of the network on ``(X, y)`` (see ``loss`` in the class docstring).

        ``y`` may be 1-D for a single-output network. With ``sample_weight`` the per-row losses are
        averaged with those weights (summed with them for ``sse``).
        """
        X, Y, sw = self._data(X, y, sample_weight)
        value = float(self._loss_value(X, Y, sw, 1.0))
        if not math.isfinite(value):
            raise self._overflowed(value, "the loss is")
        return value

    def gradient(self, X, y, sample_weight=None) -> np.ndarray:
        """``∂loss/∂θ`` on ``(X, y)``: a new array shaped like :attr:`params`.

        Use :attr:`layout` (or ``model.layout.weights(g)``) to view it per layer.
        """
        X, Y, sw = self._data(X, y, sample_weight)
        grad = np.empty_like(self._theta)
        value = float(self._loss_gradient(X, Y, sw, 1.0, grad))
        if not math.isfinite(value):
            raise self._overflowed(value, "the loss is")
        if not np.isfinite(grad).all():
            raise self._overflowed(np.nan, "the gradient has a non-finite entry, e.g.")
        return grad

    # --- training ---------------------------------------------------------------------------------

    @public_signature("fit")
    def fit(
        self,
        X,
        y,
        epochs=100,
        learning_rate=None,
        batch_size=None,
        *,
        optimizer="sgd",
        momentum=0.0,
        nesterov=False,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        rho=0.99,
        weight_decay=None,
        l2=0.0,
        clip_norm=None,
        schedule="constant",
        power=0.5,
        step_size=1,
        gamma=0.1,
        min_lr=0.0,
        schedule_epochs=None,
        shuffle=True,
        seed=None,
        sample_weight=None,
        validation_data=None,
        patience=None,
        tol=0.0,
        loss_every=None,
        keep_optimizer_state=False,
        verbose=0,
        callback=None,
    ) -> np.ndarray:
        """Train the network in place and return the per-epoch training loss.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_inputs)
        y : array-like, shape (n_samples, n_outputs), or (n_samples,) for one output
        epochs : int
            Passes over the data (default 100, as :meth:`fastnn.Classifier.fit`).
        learning_rate : float, optional
            Step size η; default 0.01 for sgd and rmsprop, 0.001 for adam and adamw.
        batch_size : int or None
            Rows per update: 1 is per-sample (online) SGD, None is full-batch gradient descent.
            A batch size above ``n_samples`` means full batch. The last batch of an epoch holds
            the remaining rows when ``n_samples`` is not a multiple of ``batch_size``.
        optimizer : {"sgd", "adam", "adamw", "rmsprop"}
        momentum, nesterov : float, bool
            SGD momentum (0 = plain SGD) and Nesterov momentum, as in ``torch.optim.SGD``.
        beta1, beta2, eps : float
            Adam/AdamW moment decay rates and ε (ε is also RMSprop's).
        rho : float
            RMSprop's squared-gradient decay rate (``alpha`` in PyTorch).
        weight_decay : float, optional
            AdamW's decoupled weight decay λ (default 0.01), applied to weights, not biases.
        l2 : float
            L2 penalty ``0.5 * l2 * Σ W²`` added to the loss (weights only).
        clip_norm : float, optional
            Clip each gradient to this global L2 norm before the update.
        schedule : {"constant", "invscaling", "step", "cosine"}
            Learning rate per epoch: constant; ``η / (1 + rows_seen)^power`` (scikit-learn's
            inverse scaling); ``η * gamma^(epoch // step_size)``; cosine annealing from η to
            ``min_lr`` over ``schedule_epochs`` (default ``epochs``).
        shuffle : bool
            Visit rows in a new random order each epoch (ignored for full-batch training). Each
            shuffled epoch draws one 64-bit key from the generator (see ``seed``) and its order
            is a Fisher–Yates shuffle computed from that key (:mod:`fastnn.kernels.shuffle`):
            the same seed gives the same orders, and two fits of 2 epochs shuffle as one of 4.
        seed : int, numpy Generator or None
            Source of the shuffling; None continues the model's own generator (seeded at
            construction), so a seeded model trains reproducibly.
        sample_weight : array-like, shape (n_samples,), optional
            Non-negative weight of each row in the loss.
        validation_data : tuple, optional
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``; its loss is recorded after
            every epoch and drives early stopping.
        patience : int, optional
            Stop when the validation loss (the training loss without validation data) has not
            improved by more than ``tol`` for ``patience`` epochs, and restore the best θ.
        tol : float
            Minimum improvement for early stopping.
        loss_every : int, optional
            Also record the loss on the whole training set after epochs 0, k, 2k, … (as the
            tutorials print it) in ``history_.full_loss``.
        keep_optimizer_state : bool
            Continue from the optimizer state (momentum, Adam moments, step count) of the previous
            ``fit`` with the same optimizer instead of starting afresh.
        verbose : {0, 1, 2}
            0: silent; 1: a progress bar on stderr (tqdm's if installed, else one updating line)
            with the epoch, loss, validation loss and elapsed time; 2: one line per epoch on
            stderr. Reporting runs between chunks of epochs and does not change the results.
        callback : callable, optional
            ``callback(history)`` is called between chunks of epochs — after the first epoch,
            then a few times a second, and after the last — with a :class:`fastnn.History` of
            the epochs completed so far (read-only arrays). Returning True stops training: θ keeps
            the values of the last completed epoch (early stopping's best θ is not restored),
            ``fit`` returns the losses of the completed epochs and ``history_.stopped_by_callback``
            is True. None or False continues. Results are bit-identical with and without it.

        Returns
        -------
        ndarray
            Training loss of each completed epoch (also in ``history_.loss``); shorter than
            ``epochs`` when early stopping or the callback ended training.

        Raises
        ------
        TrainingDiverged
            If a loss or parameter became NaN or infinite. θ is restored to its value after the last
            epoch whose loss was finite; the exception says which epoch and carries the history.

        Warns
        -----
        TrainingWarning
            If the final training loss is not below the first epoch's, or a hidden layer is dead
            (relu outputs all zero) or saturated (sigmoid/tanh at their limits) on the training
            data at the end; the message names the likely cause (see
            :class:`fastnn.TrainingWarning`).

        Notes
        -----
        A KeyboardInterrupt stops training between chunks of epochs; θ keeps the last completed
        epoch's values and ``history_`` records the completed epochs, then the interrupt propagates
        with a note saying after which epoch the parameters are. The chunks are sized by measured
        time to about 0.15 s each (``fastnn.engine.CHUNK_SECONDS``), so Ctrl-C takes effect
        within about that long whatever the network's size; an epoch is never split, so when
        one epoch takes longer, Ctrl-C takes effect when the running epoch ends.
        """
        X, Y, sw = self._data(X, y, sample_weight)
        plan = _plan_for(self, (
            X.shape[0], epochs, learning_rate, batch_size, optimizer, momentum, nesterov, beta1,
            beta2, eps, rho, weight_decay, l2, clip_norm, schedule, power, step_size, gamma,
            min_lr, schedule_epochs, shuffle, seed, patience, tol, loss_every,
            keep_optimizer_state, verbose, callback,
        ))  # fmt: skip
        validation = self._validation(validation_data)  # checked before anything changes
        return self._fit_planned(X, Y, sw, validation, plan).history.loss

    def _fit_plan(
        self, n, epochs, learning_rate, batch_size, optimizer, momentum, nesterov, beta1, beta2,
        eps, rho, weight_decay, l2, clip_norm, schedule, power, step_size, gamma, min_lr,
        schedule_epochs, shuffle, seed, patience, tol, loss_every, keep_optimizer_state,
        verbose, callback,
    ) -> _FitPlan:  # fmt: skip
        """``fit``'s settings checked and gathered, for ``n`` training rows (nothing changes)."""
        epochs = check_int(epochs, "epochs")
        lookup_name(_names.OPTIMIZERS, optimizer, "optimizer")
        if learning_rate is None:
            learning_rate = DEFAULT_LEARNING_RATE[optimizer]
        learning_rate = check_float(learning_rate, "learning_rate", positive=True)
        batch = (
            n if batch_size is None else min(check_int(batch_size, "batch_size", maximum=None), n)
        )
        momentum = check_float(momentum, "momentum", nonnegative=True)
        if momentum and optimizer != "sgd":
            raise ValueError(f"momentum applies to optimizer='sgd' only (got {optimizer!r})")
        nesterov = check_bool(nesterov, "nesterov")
        if nesterov and momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        if weight_decay is None:
            weight_decay = 0.01 if optimizer == "adamw" else 0.0
        weight_decay = check_float(weight_decay, "weight_decay", nonnegative=True)
        if weight_decay and optimizer != "adamw":
            raise ValueError(
                "weight_decay is AdamW's decoupled decay; for an L2 penalty with "
                f"optimizer={optimizer!r} use l2="
            )
        lookup_name(_names.SCHEDULES, schedule, "schedule")
        min_lr = check_float(min_lr, "min_lr", nonnegative=True)
        if schedule == "cosine" and min_lr >= learning_rate:
            raise ValueError(f"min_lr must be below learning_rate ({learning_rate}), got {min_lr}")
        config = TrainConfig(
            optimizer=optimizer,
            learning_rate=learning_rate,
            momentum=momentum,
            nesterov=bool(nesterov),
            beta1=check_float(beta1, "beta1", nonnegative=True, below=1.0),
            beta2=check_float(beta2, "beta2", nonnegative=True, below=1.0),
            eps=check_float(eps, "eps", positive=True),
            rho=check_float(rho, "rho", nonnegative=True, below=1.0),
            weight_decay=weight_decay,
            l2=check_float(l2, "l2", nonnegative=True),
            clip_norm=0.0
            if clip_norm is None
            else check_float(clip_norm, "clip_norm", positive=True),
            schedule=schedule,
            power=check_float(power, "power", nonnegative=True),
            step_size=check_int(step_size, "step_size"),
            gamma=check_float(gamma, "gamma", positive=True),
            min_lr=min_lr,
            schedule_epochs=epochs
            if schedule_epochs is None
            else check_int(schedule_epochs, "schedule_epochs"),
            batch_size=batch,
            patience=0 if patience is None else check_int(patience, "patience"),
            tol=check_float(tol, "tol", nonnegative=True),
            loss_every=0 if loss_every is None else check_int(loss_every, "loss_every"),
        )
        shuffle = check_bool(shuffle, "shuffle")
        engine.Progress.from_verbose(verbose)  # checked before anything changes
        if callback is not None and not callable(callback):
            raise TypeError(f"callback must be callable, got {type(callback).__name__}")
        keep_optimizer_state = check_bool(keep_optimizer_state, "keep_optimizer_state")
        return _FitPlan(
            config, epochs, bool(shuffle), check_seed(seed), bool(keep_optimizer_state), verbose,
            callback,
        )  # fmt: skip

    def _rng_for(self, plan: _FitPlan) -> np.random.Generator:
        """The generator a ``fit`` with ``plan`` shuffles with."""
        return self._rng if plan.seed is None else as_rng(plan.seed, "seed")

    def _state_for(self, plan: _FitPlan) -> engine.OptimizerState:
        """The optimizer state a ``fit`` with ``plan`` starts from (also kept on the model)."""
        optimizer = plan.config.optimizer
        previous = self._optimizer_state
        if plan.keep_optimizer_state and previous is not None and previous.optimizer == optimizer:
            state = previous
        else:
            state = engine.OptimizerState.fresh(optimizer, self.n_params, self._spec.dtype)
        self._optimizer_state = state
        return state

    def _fit_planned(self, X, Y, sw, validation, plan: _FitPlan) -> engine.TrainResult:
        """``fit`` on checked data with checked settings."""
        rng = self._rng_for(plan)
        state = self._state_for(plan)
        result = engine._train_data(  # engine.train, on the data checked above
            self, X, Y, sw, validation, plan.config, plan.epochs, shuffle=plan.shuffle, rng=rng,
            permutation=None, state=state, verbose=plan.verbose, callback=plan.callback,
        )  # fmt: skip
        warn_if_unhealthy(self, X, result.history, plan.config.learning_rate)
        return result

    def _validation(self, validation_data):
        if validation_data is None:
            return None
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise TypeError(
                "validation_data must be a tuple (X_val, y_val) or "
                "(X_val, y_val, sample_weight_val)"
            )
        X_val = check_X(validation_data[0], self._spec.sizes[0], self._spec.dtype, "X_val")
        Y_val = check_y(
            validation_data[1],
            X_val.shape[0],
            self._spec.sizes[-1],
            self._spec.dtype,
            "y_val",
            "X_val",
        )
        check_targets(Y_val, self._spec.loss, "y_val")
        sw_val = check_sample_weight(
            validation_data[2] if len(validation_data) == 3 else None,
            X_val.shape[0],
            self._spec.dtype,
            "sample_weight_val",
            rescale=self._spec.loss != "sse",
        )
        return X_val, Y_val, sw_val

    # --- implemented by the compiled and the reference model ----------------------------------

    def _predict_rows(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _layer_outputs_rows(self, X) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss_value(self, X, Y, sw, loss_scale) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _loss_gradient(self, X, Y, sw, loss_scale, grad) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _add_l2(self, grad, l2) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _train_chunk(self, *args):  # pragma: no cover - abstract
        raise NotImplementedError
