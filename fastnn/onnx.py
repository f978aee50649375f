"""Export to ONNX: :func:`to_onnx` turns a fastnn network into an ``onnx.ModelProto``.

The graph computes what the model's ``predict`` (and, for classifiers, ``predict_proba``)
computes, in the model's own dtype, with standard ONNX operators that onnxruntime runs in float32
and float64 alike. Each dense layer is a ``MatMul`` (plus an ``Add`` when the network has
biases) followed by its activation, built from the table :data:`ACTIVATIONS`:

=============  ================================================  ================================
activation     fastnn computes                                   ONNX operators
=============  ================================================  ================================
identity       z                                                 (none)
sigmoid        1 / (1 + exp(-z))                                 Neg, Exp, Add, Reciprocal
tanh           tanh z                                            Tanh
relu           max(z, 0)                                         Relu
leaky_relu     z if z >= 0 else s·z                              Less, Mul, Where
elu            z if z >= 0 else α·expm1(z)                       Min, Tanh, Div, Less, Where, …
softplus       max(z, 0) + log1p(exp(-|z|))                      Abs, Exp, Log, Where, Max, …
softmax        exp(z - max z) / Σ exp(z - max z), per row        Softmax (axis -1)
=============  ================================================  ================================

ONNX's own ``Sigmoid``, ``LeakyRelu``, ``Elu`` and ``Softplus`` are not used: onnxruntime has no
float64 kernels for the last three, its ``Sigmoid`` loses the relative precision of small outputs
(measured with onnxruntime 1.32: off by more than 1e-6 relative below z = -23 and exactly 0
below -37 in float64, off from z = -2.8 and 0 below -16.3 in float32; fastnn returns about e^z
there), and ``Elu``/``Softplus`` are specified as
``exp(z) - 1`` and ``log(exp(z) + 1)``, which lose the relative precision of small values that
fastnn keeps with ``expm1`` and ``log1p``. ONNX has neither of those, so the graph writes them
with operators it has, without cancellation: ``expm1(z) = 2t / (1 - t)`` with ``t = tanh(z/2)``
(exact for the ``z <= 0`` that elu needs), and ``log1p(w) = w · log(u) / (u - 1)`` with ``u = 1 +
w`` (``w`` itself when ``u`` rounds to 1; Kahan's correction of the rounding in ``u``).

Outputs (the names skl2onnx gives its converters' outputs):

* :class:`fastnn.MLP`, :class:`fastnn.reference.MLP`: ``variable``, the network output of shape
  ``[N, n_outputs]``.
* :class:`fastnn.sklearn.MLPRegressor`: ``variable``, ``[N]`` for one target (as ``predict``
  returns it), else ``[N, n_outputs]``.
* :class:`fastnn.Classifier`, :class:`fastnn.reference.Classifier`,
  :class:`fastnn.sklearn.MLPClassifier`: ``label``, shape ``[N]``, the predicted class (an element
  of ``classes_``: int64 for integer classes, string, bool, or float64/float32 as the classes
  are), and ``probabilities``, ``[N, n_classes]`` in the model's dtype (two columns ``[1 - p, p]``
  for two classes). For multi-label targets (a scikit-learn classifier trained on an indicator
  matrix) ``label`` is the int64 indicator matrix ``[N, n_labels]`` (``p > 0.5``) and
  ``probabilities`` the per-label probabilities. Probabilities are plain tensors (skl2onnx's
  ``zipmap=False`` form), not sequences of maps.

The input is ``X`` of shape ``[N, n_features]``; the batch dimension ``N`` is dynamic.

The ``onnx`` package is imported only when :func:`to_onnx` runs (``pip install fastnn[onnx]``,
which also installs onnxruntime to run the graphs); ``import fastnn`` never imports it.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import _io
from ._base import MLPBase
from ._validation import check_int
from ._version import __version__
from .classifier import ClassifierBase, NotFittedError

__all__ = ["ACTIVATIONS", "DEFAULT_OPSET", "MIN_OPSET", "to_onnx"]

#: The opset a graph is written for unless ``opset=`` says otherwise (onnxruntime >= 1.18 runs it).
DEFAULT_OPSET = 21
#: The oldest opset the graphs can be written for (``Softmax`` on the last axis, as used here).
MIN_OPSET = 13
#: The graph's input.
INPUT_NAME = "X"


# --- building a graph ----------------------------------------------------------------------------


class _Graph:
    """The nodes and initialisers of a graph being built, with fresh tensor names.

    ``dtype`` is the network's numpy float dtype: constants made by :meth:`scalar` have it.
    """

    def __init__(self, onnx, dtype: np.dtype):
        self.onnx = onnx
        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        self.initializers: list = []
        self._scalars: dict = {}
        self._count = 0

    def _fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}_{self._count}"

    def constant(self, array: np.ndarray, hint: str) -> str:
        """An initializer holding ``array``; returns its name."""
        name = self._fresh(hint)
        array = np.asarray(array)
        if array.dtype.kind in "UO":  # strings: onnx stores them as bytes
            tensor = self.onnx.helper.make_tensor(
                name,
                self.onnx.TensorProto.STRING,
                list(array.shape),
                [str(s).encode("utf-8") for s in array.ravel()],
            )
        else:
            tensor = self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
        self.initializers.append(tensor)
        return name

    def scalar(self, value: float) -> str:
        """A 0-d constant of the graph's dtype (one initializer per distinct value)."""
        key = float(value)
        if key not in self._scalars:
            self._scalars[key] = self.constant(np.array(value, dtype=self.dtype), "c")
        return self._scalars[key]

    def node(self, op: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        """Append an ``op`` node; returns the name of its (single) output."""
        output = output or self._fresh(op.lower())
        self.nodes.append(
            self.onnx.helper.make_node(
                op, inputs, [output], name=self._fresh(f"{op}_node"), **attributes
            )
        )
        return output


# --- activations ----------------------------------------------------------------------------------


def _identity(g: _Graph, z: str, param: float) -> str:
    return z


def _sigmoid(g: _Graph, z: str, param: float) -> str:
    # 1 / (1 + e^-z), as fastnn computes it (onnxruntime's Sigmoid loses tiny values)
    e = g.node("Exp", [g.node("Neg", [z])])
    return g.node("Reciprocal", [g.node("Add", [e, g.scalar(1.0)])])


def _tanh(g: _Graph, z: str, param: float) -> str:
    return g.node("Tanh", [z])


def _relu(g: _Graph, z: str, param: float) -> str:
    return g.node("Relu", [z])


def _leaky_relu(g: _Graph, z: str, param: float) -> str:
    negative = g.node("Less", [z, g.scalar(0.0)])
    return g.node("Where", [negative, g.node("Mul", [z, g.scalar(param)]), z])


def _expm1_nonpositive(g: _Graph, z: str) -> str:
    """``e^z - 1`` for ``z <= 0`` to full relative precision: ``2t / (1 - t)``, ``t = tanh(z/2)``.

    ``1 - t`` lies in [1, 2] there, so nothing cancels; at ``z = -inf`` it gives -1.
    """
    t = g.node("Tanh", [g.node("Mul", [z, g.scalar(0.5)])])
    return g.node("Div", [g.node("Add", [t, t]), g.node("Sub", [g.scalar(1.0), t])])


def _elu(g: _Graph, z: str, param: float) -> str:
    em1 = _expm1_nonpositive(g, g.node("Min", [z, g.scalar(0.0)]))
    negative_side = em1 if param == 1.0 else g.node("Mul", [em1, g.scalar(param)])
    return g.node("Where", [g.node("Less", [z, g.scalar(0.0)]), negative_side, z])


def _log1p(g: _Graph, w: str) -> str:
    """``log(1 + w)`` for ``w >= 0`` to full relative precision (Kahan's trick).

    ``u = 1 + w`` rounds; ``log(u) * w / (u - 1)`` corrects for that rounding, and where ``u`` is
    exactly 1 the answer is ``w``.
    """
    one = g.scalar(1.0)
    u = g.node("Add", [w, one])
    corrected = g.node("Mul", [g.node("Log", [u]), g.node("Div", [w, g.node("Sub", [u, one])])])
    return g.node("Where", [g.node("Equal", [u, one]), w, corrected])


def _softplus(g: _Graph, z: str, param: float) -> str:
    # max(z, 0) + log1p(e^-|z|): neither the exponential nor the logarithm can overflow
    tail = _log1p(g, g.node("Exp", [g.node("Neg", [g.node("Abs", [z])])]))
    return g.node("Add", [g.node("Max", [z, g.scalar(0.0)]), tail])


def _softmax(g: _Graph, z: str, param: float) -> str:
    return g.node("Softmax", [z], axis=-1)


def _exp(g: _Graph, z: str, param: float) -> str:
    return g.node("Exp", [z])  # the output of the poisson loss


#: fastnn activation name → a function ``(graph, input name, parameter) -> output name`` that adds
#: the nodes computing it. A new activation in :data:`fastnn._names.ACTIVATION_NAMES` (hidden or
#: output: an exponential output for a Poisson loss would be ``lambda g, z, p: g.node("Exp",
#: [z])``) needs one entry here; ``tests/test_onnx.py`` fails until every name has one.
ACTIVATIONS: dict[str, Callable[[_Graph, str, float], str]] = {
    "identity": _identity,
    "sigmoid": _sigmoid,
    "tanh": _tanh,
    "relu": _relu,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
    "softmax": _softmax,
    "exp": _exp,
}


# --- what is exported -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Network:
    """A dense network read from a model's public attributes."""

    weights: tuple  # W_k, shape (n_k, n_k+1)
    biases: tuple | None  # b_k, or None for a network without biases
    activations: tuple  # (name, parameter) per layer
    dtype: np.dtype

    @classmethod
    def of(cls, model: MLPBase) -> _Network:
        return cls.from_parts(
            model.weights,
            model.biases if model.bias else None,
            model.activations,
            model.spec.activation_params,
            model.dtype,
        )

    @classmethod
    def from_parts(cls, weights, biases, names, params, dtype) -> _Network:
        dtype = np.dtype(dtype)
        unknown = sorted(set(names) - set(ACTIVATIONS))
        if unknown:
            raise ValueError(
                f"to_onnx() cannot export the activation(s) {unknown}: fastnn.onnx.ACTIVATIONS "
                "has no ONNX form for them"
            )
        return cls(
            tuple(np.array(w, dtype=dtype) for w in weights),
            None if biases is None else tuple(np.array(b, dtype=dtype) for b in biases),
            tuple(zip(names, (float(p) for p in params), strict=True)),
            dtype,
        )

    @property
    def n_inputs(self) -> int:
        return self.weights[0].shape[0]

    @property
    def n_outputs(self) -> int:
        return self.weights[-1].shape[1]

    def add_to(self, g: _Graph, x: str) -> str:
        """The nodes of every layer, from input ``x``; returns the output layer's name."""
        for k, (w, (name, param)) in enumerate(zip(self.weights, self.activations, strict=True)):
            x = g.node("MatMul", [x, g.constant(w, f"W{k}")])
            if self.biases is not None:
                x = g.node("Add", [x, g.constant(self.biases[k], f"b{k}")])
            x = ACTIVATIONS[name](g, x, param)
        return x


@dataclass(frozen=True)
class _Export:
    """A network and how its output becomes the graph's outputs."""

    network: _Network
    #: "values" (output as is), "values_1d" (one output, flattened to [N]), "binary" (one
    #: sigmoid unit, p of classes[1]), "multiclass" (softmax), "multilabel" (sigmoid per label)
    head: str
    #: the class labels as the label output holds them (binary and multiclass heads)
    labels: np.ndarray | None = None
    doc: str = ""


def _label_constant(classes: np.ndarray) -> np.ndarray:
    """``classes`` as an array an ONNX tensor can hold: int64, bool, float or strings."""
    classes = np.asarray(classes)
    kind = classes.dtype.kind
    if kind in "iu":
        if kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
            raise ValueError("to_onnx(): the classes do not fit in int64 labels")
        return classes.astype(np.int64)
    if kind == "b" or classes.dtype in (np.float32, np.float64):
        return classes
    if kind == "f":  # float16 or long double
        converted = classes.astype(np.float64)
        if (converted == classes).all():
            return converted
    if kind == "U":
        return classes
    if kind == "O":
        values = classes.tolist()
        if all(isinstance(v, str) for v in values):
            return np.array(values, dtype=object)
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
            return np.array(values, dtype=np.int64)
    raise TypeError(
        "to_onnx(): an ONNX label output holds integers, floats, booleans or strings; this "
        f"classifier's classes are {classes.dtype} values such as {classes.tolist()[:3]!r}"
    )


def _sklearn_estimator_classes() -> tuple[type, ...]:
    """fastnn.sklearn's estimators, if that module is loaded (a model of it can exist only then)."""
    module = sys.modules.get("fastnn.sklearn")
    if module is None:
        return ()
    return (module.MLPClassifier, module.MLPRegressor)


def _describe(model: object) -> _Export:
    name = f"{type(model).__module__}.{type(model).__qualname__}"
    if isinstance(model, MLPBase):
        return _Export(_Network.of(model), "values", doc=f"{name} {model.layer_sizes}")
    if isinstance(model, ClassifierBase):
        if model.model is None:
            raise NotFittedError(
                f"this {type(model).__name__} is not fitted yet: call fit(X, y) before to_onnx()"
            )
        network = _Network.of(model.model)
        head = "binary" if len(model.classes_) == 2 else "multiclass"
        labels = _label_constant(model.classes_)
        return _Export(network, head, labels, doc=f"{name} {model.model.layer_sizes}")
    if isinstance(model, _sklearn_estimator_classes()):
        return _describe_sklearn(model, name)
    hint = ""
    if type(model).__module__.startswith("sklearn"):
        hint = " (scikit-learn's own estimators are converted by skl2onnx)"
    raise TypeError(
        "to_onnx() exports fastnn models: fastnn.MLP, fastnn.Classifier, their fastnn.reference "
        "twins, or a fitted fastnn.sklearn.MLPClassifier or MLPRegressor; got an object of type "
        f"{name}{hint}"
    )


def _describe_sklearn(estimator, name: str) -> _Export:
    from sklearn.utils.validation import check_is_fitted  # loaded already by fastnn.sklearn

    check_is_fitted(estimator)  # NotFittedError for an unfitted estimator
    # weights from scikit-learn's attributes; the activation names (with their parameters) from
    # the fitted fastnn network, which predict runs (the `activation` hyper-parameter could have
    # been changed by set_params since fit)
    net = estimator.fastnn_model_
    network = _Network.from_parts(
        estimator.coefs_,
        estimator.intercepts_,
        net.activations,
        net.spec.activation_params,
        estimator.coefs_[0].dtype,
    )
    doc = f"{name} {net.layer_sizes}"
    if not hasattr(estimator, "classes_"):
        head = "values_1d" if estimator.n_outputs_ == 1 else "values"
        return _Export(network, head, doc=doc)
    if estimator.out_activation_ == "logistic" and estimator.n_outputs_ > 1:
        # an indicator matrix in, an indicator matrix out: the label output needs no classes
        return _Export(network, "multilabel", doc=doc)
    head = "multiclass" if estimator.out_activation_ == "softmax" else "binary"
    return _Export(network, head, _label_constant(estimator.classes_), doc=doc)


# --- the graph ------------------------------------------------------------------------------------


def _build(onnx, export: _Export, opset: int):
    helper, TensorProto = onnx.helper, onnx.TensorProto
    network = export.network
    float_type = helper.np_dtype_to_tensor_dtype(network.dtype)
    g = _Graph(onnx, network.dtype)
    inputs = [helper.make_tensor_value_info(INPUT_NAME, float_type, ["N", network.n_inputs])]
    out = network.add_to(g, INPUT_NAME)
    head = export.head
    if head in ("values", "values_1d"):
        if head == "values_1d":
            out = g.node("Reshape", [out, g.constant(np.array([-1], dtype=np.int64), "shape")])
            shape: list[str | int] = ["N"]
        else:
            shape = ["N", network.n_outputs]
        g.node("Identity", [out], output="variable")
        outputs = [helper.make_tensor_value_info("variable", float_type, shape)]
    else:
        if head == "binary":  # [1 - p, p], as predict_proba returns them
            pair = [g.node("Sub", [g.scalar(1.0), out]), out]
            probabilities = g.node("Concat", pair, axis=1)
        else:
            probabilities = out
        g.node("Identity", [probabilities], output="probabilities")
        n_columns = 2 if head == "binary" else network.n_outputs
        if head == "multilabel":  # scikit-learn's indicator matrix: p > 0.5
            above = g.node("Greater", [out, g.scalar(0.5)])
            g.node("Cast", [above], output="label", to=TensorProto.INT64)
            label_type, label_shape = TensorProto.INT64, ["N", network.n_outputs]
        else:
            # the first most probable class, as numpy's argmax picks it (for two classes this
            # is classes[1] exactly when p > 0.5, scikit-learn's threshold)
            index = g.node("ArgMax", [probabilities], axis=1, keepdims=0, select_last_index=0)
            labels = export.labels
            assert labels is not None  # the binary and multiclass heads always carry labels
            g.node("Gather", [g.constant(labels, "classes"), index], output="label", axis=0)
            label_type = (
                TensorProto.STRING
                if labels.dtype.kind in "UO"
                else helper.np_dtype_to_tensor_dtype(labels.dtype)
            )
            label_shape = ["N"]
        outputs = [
            helper.make_tensor_value_info("label", label_type, label_shape),
            helper.make_tensor_value_info("probabilities", float_type, ["N", n_columns]),
        ]
    graph = helper.make_graph(
        g.nodes, "fastnn", inputs, outputs, initializer=g.initializers, doc_string=export.doc
    )
    opset_import = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opset_import,
        producer_name="fastnn",
        producer_version=__version__,
        ir_version=helper.find_min_ir_version_for(opset_import),
    )
    onnx.checker.check_model(model, full_check=True)
    return model


def _write_atomically(path, data: bytes) -> None:
    """Write ``data`` to ``path`` the way :meth:`fastnn.MLP.save` writes model files.

    A temporary file in the destination's directory, flushed to disk and renamed over the
    destination (:func:`os.replace`); a symlink's target is replaced.
    """
    path = _io._check_path(path)
    destination = _io._destination(path)
    if os.path.isdir(destination):
        raise IsADirectoryError(errno.EISDIR, "path is a directory; give a file name", path)
    _io._write_atomically(path, destination, data)


def to_onnx(model, path=None, *, opset=None):
    """An ONNX graph computing ``model``'s predictions: an ``onnx.ModelProto``.

    Parameters
    ----------
    model : fastnn.MLP, fastnn.Classifier, fastnn.sklearn.MLPClassifier or MLPRegressor
        Or the reference twins ``fastnn.reference.MLP`` / ``Classifier``. Classifiers and the
        scikit-learn estimators must be fitted.
    path : str or os.PathLike, optional
        Also write the serialised model there, atomically (a temporary file in the same
        directory, renamed over ``path``; a symlink's target is replaced, as by
        :meth:`fastnn.MLP.save`).
    opset : int, optional
        The ONNX opset to write for (default :data:`DEFAULT_OPSET`, or the newest the installed
        onnx package knows if that is older; at least :data:`MIN_OPSET`).

    Returns
    -------
    onnx.ModelProto
        Input ``X`` ``[N, n_features]`` in the model's dtype (float32 or float64; ``N`` is
        dynamic). Networks and regressors output ``variable``, equal to ``predict``; classifiers
        output ``label`` (``predict``) and ``probabilities`` (``predict_proba``). See
        :mod:`fastnn.onnx` for the operators and the exact shapes and types.

    Raises
    ------
    TypeError
        If ``model`` is not one of the fastnn models above, ``opset`` is not an integer or
        ``path`` is not a file name.
    NotFittedError
        For an unfitted classifier (``fastnn.classifier.NotFittedError``) or scikit-learn
        estimator (scikit-learn's ``NotFittedError``).
    ValueError
        If ``opset`` is below :data:`MIN_OPSET` or newer than the installed onnx package.
    ImportError
        If the onnx package is not installed (``pip install fastnn[onnx]``).
    OSError
        If ``path`` cannot be written.

    Examples
    --------
    With onnx and onnxruntime installed::

        import onnxruntime
        proto = fastnn.to_onnx(clf, "clf.onnx")
        session = onnxruntime.InferenceSession("clf.onnx")
        label, probabilities = session.run(None, {"X": X.astype(clf.dtype)})
    """
    export = _describe(model)  # TypeError / NotFittedError before onnx is needed
    try:
        import onnx
        import onnx.checker
        import onnx.helper
        import onnx.numpy_helper
    except ImportError as error:
        raise ImportError(
            "fastnn.to_onnx needs the onnx package, an optional dependency of fastnn: install "
            "it with `pip install fastnn[onnx]` (or `pip install onnx`)"
        ) from error
    newest = onnx.defs.onnx_opset_version()
    if opset is None:
        opset = min(DEFAULT_OPSET, newest)
    else:
        opset = check_int(opset, "opset", minimum=MIN_OPSET)
        if opset > newest:
            raise ValueError(
                f"opset {opset} is newer than the installed onnx package ({onnx.__version__}) "
                f"knows; it writes opsets up to {newest}"
            )
    if path is not None:
        path = _io._check_path(path)  # before the graph is built
    proto = _build(onnx, export, opset)
    if path is not None:
        _write_atomically(path, proto.SerializeToString())
    return proto
