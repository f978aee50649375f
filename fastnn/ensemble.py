"""Ensembles: K networks of one architecture whose parameters are the rows of one array.

An :class:`Ensemble` holds θ of all its models as one C-contiguous ``(n_models, n_params)`` array
(:attr:`Ensemble.params`); model ``k`` (``ensemble[k]``, a :class:`fastnn.MLP`) has row ``k`` as
its own θ, so its ``weights`` and ``biases`` are views into that row, and writing either writes
the other. :func:`fastnn.train_many` returns one; ``Ensemble(models)`` gathers trained models
(copying their θ), :meth:`Ensemble.from_classifiers` fitted :class:`fastnn.Classifier` objects.

Prediction runs every model on the same rows in one call: :meth:`Ensemble.predict` gives the mean
output (bagging, seed ensembles) or each model's output; :meth:`Ensemble.predict_proba` and
:meth:`Ensemble.predict_labels` average probabilities for classifier networks (one sigmoid output,
or softmax outputs). :meth:`Ensemble.save` writes one file holding the architecture and the K θ
rows (the model file format of :mod:`fastnn._io`, written atomically); :meth:`Ensemble.load`
reads it with memory bounded by the file's size.
"""

from __future__ import annotations

import numbers

import numpy as np

from . import _io
from ._base import MLPBase
from ._validation import as_float_array, check_output
from .engine import History, OptimizerState, TrainingDiverged
from .model import MLP


def _on_row(model: MLPBase, row: np.ndarray, fill: bool = True) -> MLPBase:
    """A copy of ``model`` whose θ is ``row``, views and all; ``fill``: copy the model's θ there
    first (else ``row`` keeps its values)."""
    other = model.copy()
    if fill:
        row[:] = other.params
    other._attach(row)
    state = other._optimizer_state
    if state is not None:  # copy() shares it; an ensemble's models own theirs
        other._optimizer_state = OptimizerState(
            state.optimizer, state.buffers.copy(), state.counters.copy()
        )
    return other


class Ensemble:
    """``n_models`` networks of one architecture, θ stacked as the rows of one array.

    Parameters
    ----------
    models : sequence of fastnn.MLP
        Networks of one architecture (layer sizes, activations, loss, bias, dtype). Their θ,
        random generators, histories and optimizer states are copied; the models passed in are
        not changed and not shared.
    classes : array-like, optional
        Class labels for :meth:`predict_labels` (column ``j`` of :meth:`predict_proba` is the
        probability of ``classes[j]``).

    Attributes
    ----------
    params : ndarray, shape (n_models, n_params)
        θ of every model; row ``k`` is ``ensemble[k].params`` (the same memory).
    histories_ : list of History or None
        What each model's training recorded (None for a model that was not trained here).
    errors_ : list of TrainingDiverged or None
        For each model, the divergence that ended its training (its θ then holds the last
        finite epoch's values), or None.
    classes_ : ndarray or None
        The class labels, if any.
    """

    def __init__(self, models, *, classes=None):
        models = list(models)
        if not models:
            raise ValueError("models must hold at least one network")
        for i, model in enumerate(models):
            if not isinstance(model, MLP):
                raise TypeError(
                    f"models[{i}] must be a fastnn.MLP, got {type(model).__name__}"
                    + (" (use Ensemble.from_classifiers)" if hasattr(model, "classes_") else "")
                )
        first = models[0].spec.describe()
        for i, model in enumerate(models[1:], 1):
            if model.spec.describe() != first:
                raise ValueError(
                    f"models[{i}] has another architecture than models[0]: {model!r} vs "
                    f"{models[0]!r}"
                )
        stack = np.empty((len(models), models[0].n_params), dtype=models[0].dtype)
        self._init(
            stack,
            [_on_row(model, stack[k]) for k, model in enumerate(models)],
            [model.history_ for model in models],
            [None] * len(models),
            classes,
        )

    def _init(self, stack, models, histories, errors, classes) -> None:
        self._params = stack
        self._models = models
        self.histories_ = list(histories)
        self.errors_ = list(errors)
        self.classes_ = None if classes is None else np.asarray(classes)
        if self.classes_ is not None and (
            self.classes_.ndim != 1 or self.classes_.shape[0] != self._n_classes_expected()
        ):
            raise ValueError(
                f"classes must be 1-D with one label per class ({self._n_classes_expected()} "
                f"for these networks), got shape {self.classes_.shape}"
            )

    @classmethod
    def _from_rows(cls, stack, models, histories, errors, classes=None) -> Ensemble:
        ensemble = cls.__new__(cls)
        ensemble._init(stack, models, histories, errors, classes)
        return ensemble

    @classmethod
    def from_classifiers(cls, classifiers) -> Ensemble:
        """An ensemble of fitted :class:`fastnn.Classifier` objects with the same ``classes_``."""
        classifiers = list(classifiers)
        if not classifiers:
            raise ValueError("classifiers must hold at least one fitted classifier")
        for i, clf in enumerate(classifiers):
            if getattr(clf, "model", None) is None or getattr(clf, "classes_", None) is None:
                raise ValueError(f"classifiers[{i}] is not a fitted fastnn.Classifier")
        classes = classifiers[0].classes_
        for i, clf in enumerate(classifiers[1:], 1):
            if not np.array_equal(clf.classes_, classes):
                raise ValueError(f"classifiers[{i}] has other classes_ than classifiers[0]")
        return cls([clf.model for clf in classifiers], classes=classes)

    # --- the models ------------------------------------------------------------------------------

    @property
    def params(self) -> np.ndarray:
        """θ of every model, shape ``(n_models, n_params)``; row ``k`` is model ``k``'s storage."""
        return self._params

    @property
    def models(self) -> list[MLP]:
        """The networks; ``models[k].params`` is a view of ``params[k]``."""
        return list(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __getitem__(self, k) -> MLP:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
            raise TypeError(f"index models by an integer, got {type(k).__name__} (see subset)")
        return self._models[k]

    def __iter__(self):
        return iter(list(self._models))

    def subset(self, indices) -> Ensemble:
        """A new ensemble of the models at ``indices`` (integers, or a boolean mask), copied."""
        index = np.asarray(indices)
        if index.dtype == bool:
            if index.shape != (len(self),):
                raise ValueError(f"a boolean mask needs {len(self)} entries, got {index.shape}")
            index = np.flatnonzero(index)
        if index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
            raise TypeError("indices must be a 1-D sequence of integers or a boolean mask")
        if index.size == 0:
            raise ValueError("indices select no model")
        picked = [int(i) for i in index]
        for i in picked:
            if not -len(self) <= i < len(self):
                raise IndexError(f"model index {i} out of range for {len(self)} models")
        chosen = Ensemble([self._models[i] for i in picked], classes=self.classes_)
        chosen.histories_ = [self.histories_[i] for i in picked]
        chosen.errors_ = [self.errors_[i] for i in picked]
        return chosen

    @property
    def diverged_(self) -> np.ndarray:
        """Which models' training diverged (bool array of ``n_models``)."""
        return np.array([error is not None for error in self.errors_], dtype=bool)

    @property
    def n_models(self) -> int:
        return len(self._models)

    @property
    def n_params(self) -> int:
        return self._params.shape[1]

    @property
    def spec(self):
        return self._models[0].spec

    @property
    def layer_sizes(self) -> tuple[int, ...]:
        return self._models[0].layer_sizes

    @property
    def activations(self) -> tuple[str, ...]:
        return self._models[0].activations

    @property
    def loss_name(self) -> str:
        return self._models[0].loss_name

    @property
    def dtype(self) -> np.dtype:
        return self._models[0].dtype

    @property
    def bias(self) -> bool:
        return self._models[0].bias

    def __repr__(self) -> str:
        return f"fastnn.Ensemble(n_models={self.n_models}, {self._models[0]!r})"

    # --- prediction ------------------------------------------------------------------------------

    def _rows(self, X) -> tuple[np.ndarray, bool, np.ndarray]:
        """``X`` checked and converted once: (rows, one sample?, model 0's prediction)."""
        first = self._models[0].predict(X)  # every check and message of MLP.predict
        array = as_float_array(X, "X", self.dtype)
        one = array.ndim == 1
        rows = np.ascontiguousarray(array.reshape(1, -1) if one else array)
        return rows, one, first

    def predict(self, X, *, reduce="mean") -> np.ndarray:
        """Every model's output for the rows of ``X``, averaged or not.

        Parameters
        ----------
        X : array-like, shape (n_samples, n_inputs) or (n_inputs,)
            Checked as by :meth:`fastnn.MLP.predict`.
        reduce : {"mean", None}
            ``"mean"``: the mean of the models' outputs, shape ``(n_samples, n_outputs)``.
            None: each model's output, shape ``(n_models, n_samples, n_outputs)``. (One sample
            given as a 1-D ``X`` drops the ``n_samples`` axis.)
        """
        if reduce not in ("mean", None):
            raise ValueError(f"reduce must be 'mean' or None, got {reduce!r}")
        rows, one, first = self._rows(X)
        first = first.reshape(1, -1) if one else first
        if reduce is None:
            out = np.empty((self.n_models, *first.shape), dtype=first.dtype)
            out[0] = first
            for k, model in enumerate(self._models[1:], 1):
                out[k] = check_output(model._predict_rows(rows))
            return out[:, 0] if one else out
        total = first.copy()
        for model in self._models[1:]:
            total += check_output(model._predict_rows(rows))
        total /= self.n_models
        return total[0] if one else total

    def _n_classes_expected(self) -> int:
        n_out = self.layer_sizes[-1]
        return 2 if n_out == 1 else n_out

    def predict_proba(self, X) -> np.ndarray:
        """The mean over the models of each class's probability, shape ``(n_samples, n_classes)``.

        For networks with one sigmoid output (the probability of class 1: columns ``1 - p̄`` and
        ``p̄``) or a softmax output layer (one column per class).
        """
        last = self.activations[-1]
        if last not in ("sigmoid", "softmax") or (last == "sigmoid" and self.layer_sizes[-1] != 1):
            raise ValueError(
                "predict_proba needs networks with one sigmoid output or a softmax output layer; "
                f"these end in {self.layer_sizes[-1]} {last} unit(s)"
            )
        mean = self.predict(X)
        if last == "sigmoid":
            return np.concatenate([1.0 - mean, mean], axis=-1)
        return mean

    def predict_labels(self, X) -> np.ndarray:
        """The most probable class of each row under :meth:`predict_proba`.

        ``classes_[j]`` when the ensemble has class labels, else the class index ``j``.
        """
        index = np.argmax(self.predict_proba(X), axis=-1)
        return index if self.classes_ is None else self.classes_[index]

    # --- files and pickling ------------------------------------------------------------------

    def save(self, path) -> None:
        """Write the ensemble to one file; read it back with :meth:`Ensemble.load`.

        The file holds the architecture, the ``n_models`` θ rows, each model's random generator
        state and the class labels (strings or integers), with a SHA-256 checksum; it is written
        atomically as :meth:`fastnn.MLP.save` writes a model file. Histories and optimizer states
        are not saved.

        Raises
        ------
        ValueError
            If θ holds NaN or infinity, or the class labels are neither all strings nor all
            integers.
        OSError
            If the file cannot be written.
        """
        classes = None if self.classes_ is None else self.classes_.tolist()
        _io.save_ensemble_file(
            path,
            self.spec.describe(),
            self._params,
            [model._rng.bit_generator.state for model in self._models],
            classes,
        )

    @classmethod
    def load(cls, path) -> Ensemble:
        """The ensemble saved at ``path`` (models are :class:`fastnn.MLP`).

        Raises
        ------
        ModelFileError
            If the file is not a fastnn ensemble file, or is truncated, damaged or malformed.
        OSError
            If it cannot be read.
        """
        file = _io.read_ensemble_file(path)
        try:
            template = MLP(**file.architecture, params=file.thetas[0])
        except (TypeError, ValueError) as error:
            raise _io.ModelFileError(
                f"ensemble file {file.path!r} describes an invalid network: {error}"
            ) from None
        stack = np.ascontiguousarray(file.thetas)
        models = []
        for k, state in enumerate(file.rng_states):
            model = _on_row(template, stack[k], fill=False)
            model._rng = (
                _io.generator_from_state(state) if state is not None else np.random.default_rng()
            )
            models.append(model)
        try:
            return cls._from_rows(stack, models, [None] * len(models), [None] * len(models),
                                  file.classes)  # fmt: skip
        except ValueError as error:
            raise _io.ModelFileError(f"ensemble file {file.path!r} is malformed: {error}") from None

    def __getstate__(self) -> dict:
        return {
            "spec": self.spec,
            "params": self._params.copy(),
            "rng": [model._rng.bit_generator.state for model in self._models],
            "histories": self.histories_,
            "errors": [None if e is None else (str(e), e.epoch) for e in self.errors_],
            "optimizer_states": [model._optimizer_state for model in self._models],
            "classes": self.classes_,
        }

    def __setstate__(self, state: dict) -> None:
        stack = np.ascontiguousarray(state["params"]).copy()
        models = []
        for k, rng_state in enumerate(state["rng"]):
            model = MLP.__new__(MLP)
            model.__setstate__(
                {
                    "spec": state["spec"],
                    "params": stack[k],
                    "rng": rng_state,
                    "history": state["histories"][k],
                    "optimizer_state": state["optimizer_states"][k],
                }
            )
            model._attach(stack[k])
            models.append(model)
        histories = state["histories"]
        errors = [
            None
            if e is None
            else TrainingDiverged(e[0], e[1], histories[k] or History(loss=np.empty(0)))
            for k, e in enumerate(state["errors"])
        ]
        self._init(stack, models, state["histories"], errors, state["classes"])
