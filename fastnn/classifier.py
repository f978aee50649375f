"""Classification on top of the MLP: labels of any type in, labels out.

:class:`Classifier` maps the labels it is trained on to classes (``np.unique`` order, kept in
``classes_``), builds a network whose output suits the number of classes, trains it with
:meth:`MLP.fit` and turns its outputs back into probabilities and labels:

* two classes: one sigmoid output unit trained with binary cross-entropy, the probability of
  ``classes_[1]``;
* three or more: one softmax unit per class trained with categorical cross-entropy on one-hot
  targets.

The logic lives in :class:`ClassifierBase`, parameterised by the MLP class it builds, so that
``fastnn.Classifier`` (compiled kernels) and ``fastnn.reference.Classifier`` (plain numpy) share
every line of it and differ only in the network underneath.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ._base import DefaultName, MLPBase, pick_activations
from ._spec import DTYPES, parse_dtype
from ._validation import (
    as_float_array,
    check_hidden_activation,
    check_hidden_sizes,
    check_init,
    check_labels,
    check_sample_weight,
    check_seed,
    check_X,
    public_signature,
    unexpected_keyword,
)
from .model import MLP


class NotFittedError(ValueError, AttributeError):
    """The classifier was used before :meth:`ClassifierBase.fit` was called.

    Exported as ``fastnn.NotFittedError``; a ``ValueError`` and an ``AttributeError``, like
    scikit-learn's exception of that name.
    """


_RELU = DefaultName("relu")


class _Required:
    """The default of ``fit``'s ``y``, which is required (``labels=``, its old name, also works)."""

    def __repr__(self) -> str:
        return "<required>"


_REQUIRED = _Required()
#: The arguments ``Classifier.fit`` takes itself; it passes the other keywords on to ``MLP.fit``.
_CLASSIFIER_FIT = frozenset(("X", "y", "epochs", "learning_rate", "batch_size", "optimizer")) | {
    "sample_weight",
    "validation_data",
}
_PASSED_ON = (
    frozenset(name for name in inspect.signature(MLPBase.fit).parameters if name != "self")
    - _CLASSIFIER_FIT
)


class ClassifierBase:
    """A classifier built on a dense network whose parameters live in one flat vector θ.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int
        Units of each hidden layer; ``()`` trains a (multinomial) logistic regression.
    activation : str, (str, float) or sequence of them
        Activation of every hidden layer: ``relu``, ``tanh``, ``sigmoid``, ``leaky_relu``,
        ``elu``, ``softplus`` or ``identity`` (``("leaky_relu", 0.1)`` sets the parameter), or
        a list with one per hidden layer. ``activations=`` is accepted as another spelling (as
        :class:`fastnn.MLP` names it); give one of the two.
    seed : int, numpy Generator or None
        Seeds the initial parameters and the shuffling. With an int every :meth:`fit` starts from
        the same θ and draws the same batches, so results repeat bit for bit.
    init : str or None
        Initialisation scheme (see :class:`fastnn.MLP`); None picks He uniform after relu-family
        layers and Glorot uniform elsewhere.
    dtype : float64 or float32
        Dtype of the network's parameters; inputs are converted to it.

    Attributes
    ----------
    classes_ : ndarray
        The distinct labels seen by :meth:`fit`, sorted (``np.unique``); column ``j`` of
        :meth:`predict_proba` is the probability of ``classes_[j]``.
    model : MLP
        The trained network: one sigmoid output for two classes (the probability of
        ``classes_[1]``), else one softmax output per class.
    history_ : History
        What the last :meth:`fit` recorded (``model.history_``).
    """

    #: The network class the classifier builds (set by each subclass).
    _mlp_class: type = MLP

    @public_signature("__init__")
    def __init__(
        self,
        hidden_layer_sizes=(64,),
        activation=_RELU,
        *,
        seed=None,
        init=None,
        dtype=np.float64,
        activations=None,
    ):
        self.hidden_layer_sizes = check_hidden_sizes(hidden_layer_sizes)
        activation = pick_activations(
            activation, activations, _RELU, type(self).__name__, plural=False
        )
        self.activation = self._checked_activation(activation)
        self.init = check_init(init)
        self.dtype = parse_dtype(dtype)
        check_seed(seed)
        self.seed = seed
        self.model = None
        self.classes_ = None

    def _checked_activation(self, activation):
        """One hidden activation, or a list of one per hidden layer (each checked)."""
        is_pair = (
            isinstance(activation, tuple)
            and len(activation) == 2
            and isinstance(activation[0], str)
            and not isinstance(activation[1], (str, tuple))
        )
        if not isinstance(activation, (list, tuple)) or is_pair:
            return check_hidden_activation(activation)
        n_hidden = len(self.hidden_layer_sizes)
        if len(activation) != n_hidden:
            raise ValueError(
                f"activation must be one activation or {n_hidden} (one per hidden layer of "
                f"hidden_layer_sizes={self.hidden_layer_sizes}), got {len(activation)}"
            )
        return [
            check_hidden_activation(item, f"activation[{i}]") for i, item in enumerate(activation)
        ]

    # --- labels ↔ network targets ---------------------------------------------------------------

    @property
    def n_classes_(self) -> int:
        return len(self._fitted()[1])

    @property
    def history_(self):
        return self._fitted()[0].history_

    def _check_fitted(self) -> None:
        self._fitted()

    def _fitted(self) -> tuple[Any, np.ndarray]:
        """``(model, classes_)``; NotFittedError before :meth:`fit` (which sets both)."""
        model, classes = self.model, self.classes_
        if model is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X, y) first"
            )
        assert classes is not None  # fit sets classes_ together with model
        return model, classes

    def _class_indices(self, labels, classes, argument: str) -> np.ndarray:
        """Index into ``classes`` of every label; unknown labels raise ValueError."""
        labels = check_labels(labels, argument)
        try:
            index = np.searchsorted(classes, labels)
        except TypeError:
            raise TypeError(
                f"{argument} cannot be compared with the classes {classes.tolist()!r}"
            ) from None
        index = np.minimum(index, len(classes) - 1)
        unknown = classes[index] != labels
        if np.any(unknown):
            missing = np.unique(labels[np.asarray(unknown, dtype=bool)])
            raise ValueError(
                f"{argument} holds labels not seen in fit: {missing.tolist()!r} (known classes: "
                f"{classes.tolist()!r})"
            )
        return index

    def _targets(self, index: np.ndarray, n_classes: int) -> np.ndarray:
        """Network targets: the 0/1 label of classes_[1] (two classes) or one-hot rows."""
        if n_classes == 2:
            return index.astype(self.dtype).reshape(-1, 1)
        return np.eye(n_classes, dtype=self.dtype)[index]

    def _build(self, n_features: int, n_classes: int):
        hidden = self.hidden_layer_sizes
        if n_classes == 2:
            out, loss, n_out = "sigmoid", "binary_crossentropy", 1
        else:
            out, loss, n_out = "softmax", "categorical_crossentropy", n_classes
        if isinstance(self.activation, list):
            hidden_activations = list(self.activation)
        else:
            hidden_activations = [self.activation] * len(hidden)
        return self._mlp_class(
            (n_features, *hidden, n_out),
            [*hidden_activations, out],
            loss,
            seed=self.seed,
            init=self.init,
            dtype=self.dtype,
        )

    # --- training -------------------------------------------------------------------------------

    @public_signature("fit")
    def fit(
        self,
        X,
        y=_REQUIRED,
        epochs=100,
        learning_rate=None,
        batch_size=32,
        optimizer="adam",
        *,
        sample_weight=None,
        validation_data=None,
        **fit_kwargs,
    ) -> np.ndarray:
        """Build a new network for the classes in ``y`` and train it.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_features)
        y : array-like, shape (n_samples,)
            One label per row, of any type numpy can sort: ints, strings, bools, floats or
            comparable objects. At least two distinct labels; None and NaN are refused.
            (``labels=``, its former name, is still accepted.)
        epochs, learning_rate, batch_size, optimizer
            As in :meth:`fastnn.MLP.fit` (the learning rate defaults to the optimizer's).
        sample_weight : array-like, shape (n_samples,), optional
            Non-negative weight of each row in the loss.
        validation_data : tuple, optional
            ``(X_val, y_val)`` or ``(X_val, y_val, sample_weight_val)``; the labels
            must be among those of ``y``. Its loss is recorded in ``history_.val_loss``
            and drives early stopping (``patience=``).
        **fit_kwargs
            Any other argument of :meth:`fastnn.MLP.fit` (``l2``, ``clip_norm``, ``schedule``,
            ``patience``, ``seed``, ``verbose`` for a progress bar, ``callback`` to watch or stop
            training, …).

        Returns
        -------
        ndarray
            Training loss (cross-entropy) of each completed epoch, as :meth:`fastnn.MLP.fit`
            returns it (also in ``history_.loss``).

        Warns
        -----
        TrainingWarning
            As :meth:`fastnn.MLP.fit`: the loss did not fall, or a hidden layer is dead or
            saturated at the end.

        Notes
        -----
        A call refused for bad arguments leaves the classifier as it was. An unknown keyword
        raises ``TypeError`` naming ``Classifier.fit()`` (with the closest spelling) before
        anything runs. If training diverges
        or is interrupted, the new network (restored to its last good epoch, see
        :meth:`fastnn.MLP.fit`) is kept before the exception propagates.
        """
        labels = self._fit_keywords(y, fit_kwargs)
        array = as_float_array(X, "X", self.dtype)
        if array.ndim != 2:
            raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {array.shape}")
        X = check_X(array, array.shape[1], self.dtype)
        labels = check_labels(labels, "y")
        if labels.shape[0] != X.shape[0]:
            raise ValueError(
                f"y has {labels.shape[0]} labels but X has {X.shape[0]} rows; they must match"
            )
        try:
            classes, index = np.unique(labels, return_inverse=True)
        except TypeError:
            raise TypeError(
                "y: labels must be mutually comparable (np.unique sorts them); got a mix of types "
                f"such as {sorted({type(label).__name__ for label in labels.tolist()})}"
            ) from None
        if len(classes) < 2:
            raise ValueError(
                f"y holds a single class ({classes.tolist()!r}); a classifier needs at least two"
            )
        Y = self._targets(index.reshape(-1), len(classes))
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise TypeError(
                    "validation_data must be a tuple (X_val, y_val) or "
                    "(X_val, y_val, sample_weight_val)"
                )
            val_index = self._class_indices(validation_data[1], classes, "y_val")
            validation_data = (
                validation_data[0],
                self._targets(val_index, len(classes)),
                *validation_data[2:],
            )
        model = self._build(X.shape[1], len(classes))
        try:
            history = model.fit(
                X,
                Y,
                epochs,
                learning_rate,
                batch_size,
                optimizer=optimizer,
                sample_weight=sample_weight,
                validation_data=validation_data,
                **fit_kwargs,
            )
        except (FloatingPointError, KeyboardInterrupt):
            # TrainingDiverged or an interrupt: the network holds its last good epoch; keep it
            self.model, self.classes_ = model, classes
            raise
        self.model, self.classes_ = model, classes
        return history

    # --- prediction ------------------------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """Probability of each class for each row of ``X``.

        Returns
        -------
        ndarray, shape (n_samples, n_classes), or (n_classes,) for one 1-D sample
            Column ``j`` is the probability of ``classes_[j]``; rows sum to 1. For two classes
            the columns are ``[1 - p, p]`` with ``p`` the network's sigmoid output.
        """
        model, classes = self._fitted()
        out = model.predict(X)
        if len(classes) > 2:
            return out
        p = out[..., 0]
        return np.stack([1.0 - p, p], axis=-1)

    def decision_function(self, X) -> np.ndarray:
        """The output layer's logits: shape (n_samples,) for two classes (the log-odds of
        ``classes_[1]``), (n_samples, n_classes) otherwise."""
        model, classes = self._fitted()
        single = np.ndim(X) == 1
        rows = check_X(
            np.reshape(as_float_array(X, "X", self.dtype), (1, -1)) if single else X,
            model.layer_sizes[0],
            self.dtype,
        )
        below = model.layer_outputs(rows)[-2] if len(model.layer_sizes) > 2 else rows
        z = below @ model.weights[-1] + model.biases[-1]
        if len(classes) == 2:
            z = z[:, 0]
        return z[0] if single else z

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row, as one of the original labels."""
        proba = self.predict_proba(X)  # NotFittedError first, as before
        return self._fitted()[1][np.argmax(proba, axis=-1)]

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy: the (weighted) fraction of rows whose predicted label equals ``y``."""
        self._check_fitted()
        labels = check_labels(y, "y")
        predicted = self.predict(X)
        if predicted.shape[0] != labels.shape[0]:
            raise ValueError(f"y has {labels.shape[0]} labels but X has {predicted.shape[0]} rows")
        correct = (predicted == labels).astype(np.float64)
        if sample_weight is None:
            return float(correct.mean())
        w = check_sample_weight(sample_weight, correct.shape[0], np.dtype(np.float64))
        return float(np.dot(w, correct) / w.sum())

    def _fit_keywords(self, y, fit_kwargs: dict):
        """``y`` (or ``labels=``, its old name), after checking the keywords passed on to
        ``MLP.fit``: an unknown one is refused naming this class, before anything runs."""
        if "labels" in fit_kwargs:
            if y is not _REQUIRED:
                raise TypeError(
                    f"{type(self).__name__}.fit() got both y and labels (the old name of y)"
                )
            y = fit_kwargs.pop("labels")
        if y is _REQUIRED:
            raise TypeError(f"{type(self).__name__}.fit() missing a required argument: 'y'")
        for key in fit_kwargs:
            if key not in _PASSED_ON:
                accepted = sorted(_PASSED_ON | _CLASSIFIER_FIT)
                raise TypeError(f"{type(self).__name__}.fit() {unexpected_keyword(key, accepted)}")
        return y

    def __repr__(self) -> str:
        fitted = "" if self.model is None else f", classes={self.n_classes_}"
        return (
            f"{type(self).__module__.split('.')[0]}.{type(self).__name__}("
            f"hidden_layer_sizes={self.hidden_layer_sizes}, activation={self.activation!r}, "
            f"dtype={DTYPES[self.dtype]}{fitted})"
        )


class Classifier(ClassifierBase):
    __doc__ = (
        (ClassifierBase.__doc__ or "")
        + """
    Notes
    -----
    The network is a :class:`fastnn.MLP`: training and prediction run in the compiled kernels.
    :class:`fastnn.reference.Classifier` is the same class over the numpy reference MLP.

    Examples
    --------
    >>> import numpy as np, fastnn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 2))
    >>> labels = np.where(X[:, 0] * X[:, 1] > 0, "same sign", "mixed")
    >>> clf = fastnn.Classifier((16,), "tanh", seed=0)
    >>> losses = clf.fit(X, labels, epochs=200, learning_rate=0.01)
    >>> clf.classes_.tolist()
    ['mixed', 'same sign']
    >>> bool(clf.score(X, labels) > 0.9)
    True
    >>> clf.predict([[1.0, 2.0], [-1.0, 2.0]]).tolist()
    ['same sign', 'mixed']
    """
    )

    _mlp_class = MLP
