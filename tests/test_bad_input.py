"""Bad input at every public entry point: refused clearly, and nothing is lost.

Three tables drive this file, and every row runs against both implementations (``fastnn`` and
``fastnn.reference``, or ``fastnn.tutorials`` and ``fastnn.reference.tutorials``):

* :data:`BAD` — a call that must raise the given ``ValueError`` / ``TypeError`` (or, for files,
  ``OSError`` / :class:`fastnn.ModelFileError`) whose message names the offending argument and
  matches a pattern. The model the call was made on must come out bit-for-bit as it went in: θ,
  training history and the state of its random generator.
* :data:`GOOD` — odd but valid input (read-only, non-contiguous or Fortran-ordered arrays, bool,
  integer lists, object arrays of numbers, float32 for a float64 model, a batch larger than the
  data, numpy scalars) that must give exactly the result of the plain equivalent, leave the
  caller's arrays untouched and produce no NaN.
* :data:`TUTORIAL_BAD` — like :data:`BAD`, for the tutorial classes; the object must pickle to
  the same bytes before and after the rejected call.

Never acceptable, and caught here: a Numba typing error, a silent NaN, or a crash.
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import fastnn
import fastnn.reference as ref

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((6, 3))
Y = _RNG.standard_normal((6, 2))
SW = _RNG.random(6) + 0.5
SIZES = (3, 4, 2)
N_PARAMS = 3 * 4 + 4 + 4 * 2 + 2
FIT = dict(epochs=2, learning_rate=0.05, batch_size=2)


def make_model(nn):
    """The model every case is run on: trained one epoch, so it has history and optimizer state."""
    model = nn.MLP(SIZES, "tanh", seed=0)
    model.fit(X, Y, epochs=1, learning_rate=0.01, batch_size=2)
    return model


def _with(array, index, value):
    out = np.array(array, dtype=float)
    out[index] = value
    return out


def _masked(array, index):
    """``array`` as a masked array with the entry at ``index`` masked (the value under it: 0)."""
    mask = np.zeros(np.shape(array), dtype=bool)
    mask[index] = True
    return np.ma.masked_array(array, mask=mask)


@dataclass(frozen=True)
class Bad:
    """``call(nn, model, tmp_path)`` raises ``error`` naming ``argument``, matching ``match``."""

    entry: str
    label: str
    call: Callable[..., Any]
    error: type[BaseException]
    argument: str
    match: str = ""

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.label}"


@dataclass(frozen=True)
class Good:
    """``call(model, *odd)`` must equal ``call(model, *plain)`` and leave ``odd`` untouched."""

    entry: str
    label: str
    call: Callable[..., Any]
    odd: Callable[[], tuple]
    plain: Callable[[], tuple] = field(default=lambda: ())

    @property
    def id(self) -> str:
        return f"{self.entry}-{self.label}"


# --- arrays that are wrong -----------------------------------------------------------------------

BAD_X = [
    ("3-D", X[None], ValueError, r"must be .*2-D.*got 3-D"),
    ("0-D", 1.5, ValueError, r"must be .*2-D.*got 0-D"),
    ("too-few-features", X[:, :2], ValueError, r"has 2 features per row but the network expects 3"),
    ("too-many-features", np.hstack([X, X]), ValueError, r"has 6 features per row"),
    ("no-rows", np.empty((0, 3)), ValueError, r"is empty.*need at least one row"),
    ("no-columns", np.empty((6, 0)), ValueError, r"has 0 features per row"),
    ("nan", _with(X, (2, 1), np.nan), ValueError, r"contains NaN or infinity"),
    ("+inf", _with(X, (0, 0), np.inf), ValueError, r"contains NaN or infinity"),
    ("-inf", _with(X, (5, 2), -np.inf), ValueError, r"contains NaN or infinity"),
    ("complex", X + 1j, TypeError, r"must hold real numbers, got complex"),
    ("complex-zero-imag", X.astype(complex), TypeError, r"must hold real numbers"),
    ("str", X.astype(str), TypeError, r"must hold numbers, got dtype <U"),
    ("bytes", X.astype("S8"), TypeError, r"must hold numbers, got dtype \|S8"),
    ("string", "abc", TypeError, r"must hold numbers, got dtype <U3"),
    ("object-str", np.full((6, 3), "a", dtype=object), TypeError, r"must hold numbers.*object"),
    # None in an object array reads as a missing value (NaN); None itself as a 0-D NaN
    ("object-none", np.full((6, 3), None, dtype=object), ValueError, r"contains NaN or infinity"),
    ("None", None, ValueError, r"must be .*2-D.*got 0-D"),
    ("dict", {"a": 1}, TypeError, r"must hold numbers.*object"),
    ("ragged", [[1.0, 2.0, 3.0], [4.0, 5.0]], ValueError, r"must be a rectangular array"),
    ("datetime", np.zeros((6, 3), "datetime64[s]"), TypeError, r"must hold numbers.*datetime64"),
    ("masked", _masked(X, (4, 2)), ValueError, r"masked array with 1 masked.*\(4, 2\).*filled"),
]
BAD_X_2D_ONLY = [  # 1-D X is one sample for predict, refused everywhere else
    ("1-D", X[0], ValueError, r"must be 2-D .*got 1-D.*reshape\(1, -1\)"),
]
BAD_X_PREDICT_ONLY = [
    ("1-D-wrong-length", X[0, :2], ValueError, r"is 1-D with 2 values.*expects 3 inputs"),
    ("1-D-empty", [], ValueError, r"is 1-D with 0 values"),
]
X_ENTRIES = {
    "predict": lambda nn, m, x: m.predict(x),
    "layer_outputs": lambda nn, m, x: m.layer_outputs(x),
    "loss": lambda nn, m, x: m.loss(x, Y),
    "gradient": lambda nn, m, x: m.gradient(x, Y),
    "fit": lambda nn, m, x: m.fit(x, Y, **FIT),
}

BAD_Y = [
    ("fewer-rows", Y[:5], ValueError, r"has 5 rows but X has 6"),
    ("more-rows", np.vstack([Y, Y]), ValueError, r"has 12 rows but X has 6"),
    ("no-rows", np.empty((0, 2)), ValueError, r"has 0 rows but X has 6"),
    ("too-few-columns", Y[:, :1], ValueError, r"has 1 columns but the network has 2 outputs"),
    ("too-many-columns", np.hstack([Y, Y]), ValueError, r"has 4 columns"),
    ("1-D-for-2-outputs", Y[:, 0], ValueError, r"must have shape \(6, 2\), got 1-D"),
    ("3-D", Y[None], ValueError, r"must have shape \(6, 2\), got 3-D"),
    ("0-D", 1.0, ValueError, r"must have shape \(6, 2\), got 0-D"),
    ("nan", _with(Y, (3, 1), np.nan), ValueError, r"contains NaN or infinity"),
    ("+inf", _with(Y, (0, 0), np.inf), ValueError, r"contains NaN or infinity"),
    ("-inf", _with(Y, (5, 1), -np.inf), ValueError, r"contains NaN or infinity"),
    ("complex", Y * 1j, TypeError, r"must hold real numbers"),
    ("str", Y.astype(str), TypeError, r"must hold numbers, got dtype <U"),
    ("object-str", np.full((6, 2), "b", dtype=object), TypeError, r"must hold numbers.*object"),
    ("None", None, ValueError, r"must have shape \(6, 2\), got 0-D"),
    ("ragged", [[1.0, 2.0]] * 5 + [[1.0]], ValueError, r"must be a rectangular array"),
    ("masked", _masked(Y, (1, 0)), ValueError, r"masked array with 1 masked.*filled"),
]
Y_ENTRIES = {
    "loss": lambda nn, m, y: m.loss(X, y),
    "gradient": lambda nn, m, y: m.gradient(X, y),
    "fit": lambda nn, m, y: m.fit(X, y, **FIT),
}

BAD_SW = [
    ("wrong-length", SW[:5], ValueError, r"must have shape \(6,\), one weight per row"),
    ("2-D", SW[:, None], ValueError, r"must have shape \(6,\)"),
    ("negative", _with(SW, 2, -1.0), ValueError, r"must be >= 0"),
    ("all-zero", np.zeros(6), ValueError, r"weights sum to zero"),
    ("masked", _masked(SW, 3), ValueError, r"masked array with 1 masked.*index 3"),
    ("nan", _with(SW, 1, np.nan), ValueError, r"contains NaN or infinity"),
    ("inf", _with(SW, 4, np.inf), ValueError, r"contains NaN or infinity"),
    ("complex", SW + 0j, TypeError, r"must hold real numbers"),
    ("str", SW.astype(str), TypeError, r"must hold numbers"),
    ("ragged", [1.0, [2.0, 3.0], 1.0, 1.0, 1.0, 1.0], ValueError, r"rectangular|must hold"),
]
SW_ENTRIES = {
    "loss": lambda nn, m, w: m.loss(X, Y, sample_weight=w),
    "gradient": lambda nn, m, w: m.gradient(X, Y, sample_weight=w),
    "fit": lambda nn, m, w: m.fit(X, Y, sample_weight=w, **FIT),
}


# --- fit's other arguments -----------------------------------------------------------------------

#: (argument, label, value, error, pattern): ``model.fit(X, Y, **{**FIT, argument: value})``.
BAD_FIT_ARGUMENTS = [
    ("epochs", "zero", 0, ValueError, r"must be an integer >= 1, got 0"),
    ("epochs", "negative", -3, ValueError, r"must be an integer >= 1, got -3"),
    ("epochs", "fraction", 2.5, TypeError, r"must be an integer >= 1, got float 2.5"),
    ("epochs", "integral-float", 2.0, TypeError, r"must be an integer >= 1, got float"),
    ("epochs", "numpy-float", np.float64(3.0), TypeError, r"must be an integer"),
    ("epochs", "str", "3", TypeError, r"must be an integer >= 1, got str"),
    ("epochs", "bool", True, TypeError, r"must be an integer >= 1, got bool"),
    ("epochs", "None", None, TypeError, r"must be an integer"),
    ("epochs", "inf", np.inf, TypeError, r"must be an integer"),
    ("learning_rate", "zero", 0.0, ValueError, r"must be > 0, got 0"),
    ("learning_rate", "negative", -0.1, ValueError, r"must be > 0, got -0.1"),
    ("learning_rate", "nan", np.nan, ValueError, r"must be finite, got nan"),
    ("learning_rate", "+inf", np.inf, ValueError, r"must be finite, got inf"),
    ("learning_rate", "-inf", -np.inf, ValueError, r"must be finite, got -inf"),
    ("learning_rate", "str", "0.1", TypeError, r"must be a real number, got str"),
    ("learning_rate", "complex", 0.1j, TypeError, r"must be a real number, got complex"),
    ("learning_rate", "bool", True, TypeError, r"must be a real number, got bool"),
    ("learning_rate", "list", [0.1], TypeError, r"must be a real number, got list"),
    ("learning_rate", "huge-int", 10**400, ValueError, r"too large for a float: about 10\*\*400"),
    ("epochs", "huge-int", 10**30, ValueError, r"too large: about 10\*\*30"),
    ("momentum", "huge-int", 10**400, ValueError, r"too large for a float"),
    ("patience", "huge-int", 10**25, ValueError, r"too large"),
    ("loss_every", "huge-int", 2**70, ValueError, r"too large"),
    ("batch_size", "zero", 0, ValueError, r"must be an integer >= 1, got 0"),
    ("batch_size", "negative", -4, ValueError, r"must be an integer >= 1, got -4"),
    ("batch_size", "fraction", 2.5, TypeError, r"must be an integer >= 1, got float"),
    ("batch_size", "integral-float", 4.0, TypeError, r"must be an integer"),
    ("batch_size", "str", "8", TypeError, r"must be an integer"),
    ("batch_size", "bool", True, TypeError, r"must be an integer"),
    ("optimizer", "unknown", "adamm", ValueError, r"unknown name 'adamm'.*'adam'"),
    ("optimizer", "None", None, TypeError, r"must be a string naming one of"),
    ("optimizer", "list", ["sgd"], TypeError, r"must be a string"),
    ("schedule", "unknown", "linear", ValueError, r"unknown name 'linear'"),
    ("schedule", "int", 3, TypeError, r"must be a string"),
    ("momentum", "negative", -0.5, ValueError, r"must be >= 0"),
    ("momentum", "nan", np.nan, ValueError, r"must be finite"),
    ("nesterov", "str", "yes", TypeError, r"must be True or False"),
    ("beta1", "one", 1.0, ValueError, r"must be < 1.0"),
    ("beta2", "negative", -0.1, ValueError, r"must be >= 0"),
    ("eps", "zero", 0.0, ValueError, r"must be > 0"),
    ("rho", "above-one", 1.5, ValueError, r"must be < 1.0"),
    ("l2", "negative", -1.0, ValueError, r"must be >= 0"),
    ("l2", "inf", np.inf, ValueError, r"must be finite"),
    ("clip_norm", "zero", 0.0, ValueError, r"must be > 0"),
    ("clip_norm", "nan", np.nan, ValueError, r"must be finite"),
    ("power", "negative", -1.0, ValueError, r"must be >= 0"),
    ("step_size", "zero", 0, ValueError, r"must be an integer >= 1"),
    ("gamma", "zero", 0.0, ValueError, r"must be > 0"),
    ("schedule_epochs", "zero", 0, ValueError, r"must be an integer >= 1"),
    ("shuffle", "str", "no", TypeError, r"must be True or False"),
    ("seed", "negative", -1, ValueError, r"must be >= 0"),
    ("seed", "float", 1.5, TypeError, r"must be None, an int or a numpy Generator"),
    ("seed", "str", "abc", TypeError, r"must be None, an int or a numpy Generator"),
    ("patience", "zero", 0, ValueError, r"must be an integer >= 1"),
    ("patience", "float", 1.5, TypeError, r"must be an integer"),
    ("tol", "negative", -1.0, ValueError, r"must be >= 0"),
    ("loss_every", "zero", 0, ValueError, r"must be an integer >= 1"),
]

#: Combinations of fit arguments that are refused together: (argument named, label, kwargs, ...).
BAD_FIT_COMBINATIONS = [
    ("momentum", "with-adam", dict(optimizer="adam", momentum=0.9), ValueError, r"sgd' only"),
    ("nesterov", "without-momentum", dict(nesterov=True), ValueError, r"needs momentum > 0"),
    ("weight_decay", "with-sgd", dict(weight_decay=0.1), ValueError, r"AdamW's decoupled decay"),
    (
        "weight_decay",
        "negative",
        dict(optimizer="adamw", weight_decay=-0.1),
        ValueError,
        r"must be >= 0",
    ),
    (
        "min_lr",
        "above-learning-rate",
        dict(schedule="cosine", learning_rate=0.01, min_lr=0.1),
        ValueError,
        r"must be below learning_rate",
    ),
    (
        "validation_data",
        "not-a-tuple",
        dict(validation_data=X),
        TypeError,
        r"must be a tuple \(X_val, y_val\)",
    ),
    ("validation_data", "one-item", dict(validation_data=(X,)), TypeError, r"must be a tuple"),
    (
        "validation_data",
        "four-items",
        dict(validation_data=(X, Y, SW, SW)),
        TypeError,
        r"must be a tuple",
    ),
    (
        "X_val",
        "wrong-features",
        dict(validation_data=(X[:, :2], Y)),
        ValueError,
        r"has 2 features per row",
    ),
    (
        "X_val",
        "nan",
        dict(validation_data=(_with(X, (1, 1), np.nan), Y)),
        ValueError,
        r"contains NaN",
    ),
    (
        "y_val",
        "mismatched-rows",
        dict(validation_data=(X, Y[:3])),
        ValueError,
        r"has 3 rows but X_val has 6",
    ),
    (
        "y_val",
        "complex",
        dict(validation_data=(X, Y + 1j)),
        TypeError,
        r"must hold real numbers",
    ),
    (
        "sample_weight_val",
        "negative",
        dict(validation_data=(X, Y, -SW)),
        ValueError,
        r"must be >= 0",
    ),
]


# --- construction and the parameter setter ------------------------------------------------------

#: (argument, label, constructor kwargs, error, pattern): ``nn.MLP(**{**defaults, **kwargs})``.
BAD_CONSTRUCTION = [
    ("layer_sizes[1]", "zero-width", dict(layer_sizes=(3, 0, 2)), ValueError, r"no zero-width"),
    ("layer_sizes[0]", "zero-inputs", dict(layer_sizes=(0, 4, 2)), ValueError, r"must be >= 1"),
    ("layer_sizes[2]", "negative", dict(layer_sizes=(3, 4, -2)), ValueError, r"must be >= 1"),
    ("layer_sizes[1]", "float", dict(layer_sizes=(3, 4.0, 2)), TypeError, r"must be an integer"),
    ("layer_sizes[1]", "bool", dict(layer_sizes=(3, True, 2)), TypeError, r"must be an integer"),
    ("layer_sizes[1]", "str", dict(layer_sizes=(3, "4", 2)), TypeError, r"must be an integer"),
    ("layer_sizes", "one-layer", dict(layer_sizes=(3,)), ValueError, r"at least an input and"),
    ("layer_sizes", "empty", dict(layer_sizes=()), ValueError, r"at least an input and"),
    ("layer_sizes", "string", dict(layer_sizes="3,4,2"), TypeError, r"sequence of integers"),
    ("layer_sizes", "int", dict(layer_sizes=3), TypeError, r"sequence of integers"),
    (
        "layer_sizes",
        "huge-int",
        dict(layer_sizes=(10**20, 1)),
        ValueError,
        r"about 10\*\*20 parameters.*bytes but this machine has",
    ),
    (
        "layer_sizes",
        "beyond-memory",
        dict(layer_sizes=(10**6, 10**6, 1)),
        ValueError,
        r"1000002000001 parameters: .* need 40000080000040 bytes",
    ),
    ("activations[0]", "unknown", dict(activations="sigmod"), ValueError, r"unknown name"),
    ("activations[1]", "unknown-2nd", dict(activations=["tanh", "gelu"]), ValueError, r"'gelu'"),
    ("activations", "too-few", dict(activations=["tanh"]), ValueError, r"one name or 2 names"),
    (
        "activations",
        "too-many",
        dict(activations=["tanh"] * 3),
        ValueError,
        r"one name or 2 names",
    ),
    ("activations", "int", dict(activations=3), TypeError, r"must be a name"),
    ("activations", "None", dict(activations=None), TypeError, r"must be a name"),
    ("activations[0]", "name-int", dict(activations=[1, 2]), TypeError, r"must be a string"),
    (
        "activations[0]",
        "nan-parameter",
        dict(activations=("leaky_relu", np.nan)),
        ValueError,
        r"must be finite",
    ),
    (
        "activations[0]",
        "negative-elu",
        dict(activations=("elu", -1.0)),
        ValueError,
        r"elu alpha must be > 0",
    ),
    (
        "activations[0]",
        "parameter-for-tanh",
        dict(activations=[("tanh", 1.0), "identity"]),
        ValueError,
        r"takes no parameter",
    ),
    (
        "activations[0]",
        "hidden-softmax",
        dict(activations=["softmax", "identity"]),
        ValueError,
        r"softmax is only available as the output",
    ),
    ("loss", "unknown", dict(loss="mse2"), ValueError, r"unknown name 'mse2'"),
    ("loss", "None", dict(loss=None), TypeError, r"must be a string"),
    ("loss", "callable", dict(loss=len), TypeError, r"must be a string"),
    ("loss", "huber-zero-delta", dict(loss=("huber", 0.0)), ValueError, r"delta must be > 0"),
    ("loss", "huber-inf-delta", dict(loss=("huber", np.inf)), ValueError, r"must be finite"),
    (
        "loss",
        "crossentropy-without-sigmoid",
        dict(loss="binary_crossentropy"),
        ValueError,
        r"needs a|sigmoid output layer",
    ),
    ("dtype", "float16", dict(dtype=np.float16), TypeError, r"must be float64 or float32"),
    ("dtype", "int", dict(dtype=np.int64), TypeError, r"must be float64 or float32"),
    ("dtype", "unknown-str", dict(dtype="double-ish"), TypeError, r"must be float64 or float32"),
    ("bias", "str", dict(bias="yes"), TypeError, r"must be True or False"),
    ("bias", "int", dict(bias=1), TypeError, r"must be True or False"),
    ("seed", "negative", dict(seed=-1), ValueError, r"must be >= 0"),
    ("seed", "float", dict(seed=1.5), TypeError, r"must be None, an int"),
    ("init", "unknown", dict(init="glorot"), ValueError, r"unknown name 'glorot'"),
    ("init", "int", dict(init=3), TypeError, r"must be None or one of"),
    ("params", "wrong-length", dict(params=np.zeros(5)), ValueError, r"1-D array of 26 values"),
    ("params", "nan", dict(params=_with(np.zeros(26), 3, np.nan)), ValueError, r"NaN"),
    ("params", "str", dict(params=["a"] * 26), TypeError, r"must hold numbers"),
    ("params", "with-init", dict(params=np.zeros(26), init="normal"), ValueError, r"params or"),
]

#: (label, value, error, pattern): ``model.params = value``.
BAD_PARAMS = [
    ("too-short", np.zeros(N_PARAMS - 1), ValueError, r"1-D array of 26 values.*got shape \(25,\)"),
    ("too-long", np.zeros(N_PARAMS + 1), ValueError, r"1-D array of 26 values"),
    ("2-D", np.zeros((2, 13)), ValueError, r"1-D array of 26 values.*\(2, 13\)"),
    ("empty", [], ValueError, r"1-D array of 26 values"),
    ("scalar", 0.5, ValueError, r"1-D array of 26 values"),
    ("nan", _with(np.zeros(N_PARAMS), 7, np.nan), ValueError, r"contains NaN or infinity"),
    ("inf", _with(np.zeros(N_PARAMS), 0, np.inf), ValueError, r"contains NaN or infinity"),
    ("-inf", _with(np.zeros(N_PARAMS), 25, -np.inf), ValueError, r"contains NaN or infinity"),
    ("complex", np.zeros(N_PARAMS, complex), TypeError, r"must hold real numbers"),
    ("str", np.zeros(N_PARAMS).astype(str), TypeError, r"must hold numbers"),
    ("object-str", np.full(N_PARAMS, "w", dtype=object), TypeError, r"must hold numbers"),
    ("None", None, ValueError, r"1-D array of 26 values.*got shape \(\)"),
    ("ragged", [[0.0] * 13, [0.0] * 12], ValueError, r"rectangular"),
]


# --- files and warm-up ---------------------------------------------------------------------------


def _file(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _non_finite_save(nn, m, t):
    m.params[0] = np.nan  # bypasses the setter: the model's own storage
    try:
        m.save(t / "nan.fnn")
    finally:
        m.params[0] = make_model(nn).params[0]


BAD_FILES = [
    Bad("save", "path-int", lambda nn, m, t: m.save(123), TypeError, "path", r"str or os.PathLike"),
    Bad("save", "path-None", lambda nn, m, t: m.save(None), TypeError, "path", r"os.PathLike"),
    Bad("save", "path-bytes", lambda nn, m, t: m.save(b"m.fnn"), TypeError, "path", r"PathLike"),
    Bad(
        "save", "path-empty", lambda nn, m, t: m.save(""), ValueError, "path", r"must not be empty"
    ),
    Bad(
        "save",
        "path-directory",
        lambda nn, m, t: m.save(t),
        IsADirectoryError,
        "path",
        r"is a directory",
    ),
    Bad(
        "save",
        "missing-directory",
        lambda nn, m, t: m.save(t / "missing" / "m.fnn"),
        FileNotFoundError,
        "path",
        r"directory .*missing.* does not exist",
    ),
    Bad("save", "nan-params", _non_finite_save, ValueError, "params", r"contain NaN or infinity"),
    Bad("load", "path-int", lambda nn, m, t: nn.load(123), TypeError, "path", r"os.PathLike"),
    Bad(
        "load",
        "missing-file",
        lambda nn, m, t: nn.load(t / "missing.fnn"),
        FileNotFoundError,
        "path",
        r"no fastnn model file at path.*missing\.fnn",
    ),
    Bad(
        "load",
        "directory",
        lambda nn, m, t: nn.load(t),
        IsADirectoryError,
        "path",
        r"is a directory, not a model file",
    ),
    Bad(
        "load",
        "empty-file",
        lambda nn, m, t: nn.load(_file(t, "empty.fnn", b"")),
        fastnn.ModelFileError,
        "empty.fnn",
        r"is empty",
    ),
    Bad(
        "load",
        "text-file",
        lambda nn, m, t: nn.load(_file(t, "notes.txt", b"some text\n" * 20)),
        fastnn.ModelFileError,
        "notes.txt",
        r"is not a fastnn model file",
    ),
    Bad(
        "load",
        "pickle",
        lambda nn, m, t: nn.load(_file(t, "model.pkl", pickle.dumps(m))),
        fastnn.ModelFileError,
        "model.pkl",
        r"Python pickle.*never unpickles",
    ),
    Bad(
        "load",
        "npz",
        lambda nn, m, t: (np.savez(t / "m.npz", params=m.params), nn.load(t / "m.npz")),
        fastnn.ModelFileError,
        "m.npz",
        r"zip archive",
    ),
    Bad("warmup", "float16", lambda nn, m, t: nn.warmup("float16"), TypeError, "dtypes[0]", ""),
    Bad("warmup", "int", lambda nn, m, t: nn.warmup([np.float64, int]), TypeError, "dtypes[1]", ""),
    Bad("warmup", "number", lambda nn, m, t: nn.warmup(3), TypeError, "dtypes", r"sequence of"),
    Bad("warmup", "empty", lambda nn, m, t: nn.warmup([]), ValueError, "dtypes", r"at least one"),
]


def _build_bad_cases() -> list[Bad]:
    cases = []
    for entry, call in X_ENTRIES.items():
        extra = BAD_X_PREDICT_ONLY if entry == "predict" else BAD_X_2D_ONLY
        for label, value, error, match in BAD_X + extra:
            cases.append(
                Bad(
                    entry,
                    f"X-{label}",
                    lambda nn, m, t, c=call, v=value: c(nn, m, v),
                    error,
                    "X",
                    match,
                )
            )
    for table, entries, argument in (
        (BAD_Y, Y_ENTRIES, "y"),
        (BAD_SW, SW_ENTRIES, "sample_weight"),
    ):
        for entry, call in entries.items():
            for label, value, error, match in table:
                cases.append(
                    Bad(
                        entry,
                        f"{argument}-{label}",
                        lambda nn, m, t, c=call, v=value: c(nn, m, v),
                        error,
                        argument,
                        match,
                    )
                )
    for argument, label, value, error, match in BAD_FIT_ARGUMENTS:
        kwargs = {**FIT, argument: value}
        cases.append(
            Bad(
                "fit",
                f"{argument}-{label}",
                lambda nn, m, t, k=kwargs: m.fit(X, Y, **k),
                error,
                argument,
                match,
            )
        )
    for argument, label, extra, error, match in BAD_FIT_COMBINATIONS:
        kwargs = {**FIT, **extra}
        cases.append(
            Bad(
                "fit",
                f"{argument}-{label}",
                lambda nn, m, t, k=kwargs: m.fit(X, Y, **k),
                error,
                argument,
                match,
            )
        )
    defaults = dict(layer_sizes=SIZES, activations="tanh", loss="mse", seed=0)
    for argument, label, extra, error, match in BAD_CONSTRUCTION:
        kwargs = {**defaults, **extra}
        cases.append(
            Bad(
                "MLP",
                f"{argument}-{label}",
                lambda nn, m, t, k=kwargs: nn.MLP(**k),
                error,
                argument,
                match,
            )
        )
    for label, value, error, match in BAD_PARAMS:
        cases.append(
            Bad(
                "params-setter",
                label,
                lambda nn, m, t, v=value: setattr(m, "params", v),
                error,
                "params",
                match,
            )
        )
    return cases + BAD_FILES


BAD = _build_bad_cases()


# --- odd input that must work --------------------------------------------------------------------


def _read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _strided(a):
    """The same values in a non-contiguous view (every other element of a larger array)."""
    a = np.asarray(a)
    big = np.zeros(tuple(2 * s for s in a.shape), dtype=a.dtype)
    every_other = tuple(slice(None, None, 2) for _ in a.shape)
    big[every_other] = a
    view = big[every_other]
    assert not view.flags.c_contiguous
    return view


def _fortran(a):
    a = np.asfortranarray(a)
    assert a.ndim < 2 or not a.flags.c_contiguous
    return a


#: (label, odd version, plain version) of an input array.
TRANSFORMS = [
    ("read-only", _read_only, lambda a: a),
    ("non-contiguous", _strided, lambda a: a),
    ("fortran-ordered", _fortran, lambda a: a),
    ("bool", lambda a: a > 0, lambda a: (a > 0).astype(float)),
    ("int-list", lambda a: np.ceil(3 * a).astype(int).tolist(), lambda a: np.ceil(3 * a) + 0.0),
    ("object-numbers", lambda a: a.astype(object), lambda a: a),
    ("float32", lambda a: a.astype(np.float32), lambda a: a.astype(np.float32).astype(float)),
    ("masked-nothing-masked", lambda a: np.ma.masked_array(a, mask=False), lambda a: a),
    ("masked-no-mask", np.ma.masked_array, lambda a: a),
]

#: Entry points and the arrays they take.
GOOD_ENTRIES = {
    "predict": (lambda m, x: m.predict(x), (X,)),
    "layer_outputs": (lambda m, x: m.layer_outputs(x), (X,)),
    "loss": (lambda m, x, y, w: m.loss(x, y, sample_weight=w), (X, Y, SW)),
    "gradient": (lambda m, x, y, w: m.gradient(x, y, sample_weight=w), (X, Y, SW)),
    "fit": (lambda m, x, y, w: m.fit(x, y, sample_weight=w, **FIT), (X, Y, SW)),
    "fit-validation": (
        lambda m, x, y: m.fit(X, Y, validation_data=(x, y), patience=5, **FIT),
        (X, Y),
    ),
    "params-setter": (lambda m, p: setattr(m, "params", p), (np.linspace(-1, 1, N_PARAMS),)),
}


def _build_good_cases() -> list[Good]:
    cases = []
    for entry, (call, arrays) in GOOD_ENTRIES.items():
        for label, odd, plain in TRANSFORMS:
            if label == "fortran-ordered" and all(np.ndim(a) < 2 for a in arrays):
                continue  # 1-D arrays are both C and Fortran ordered
            cases.append(
                Good(
                    entry,
                    label,
                    call,
                    odd=lambda o=odd, a=arrays: tuple(o(v) for v in a),
                    plain=lambda p=plain, a=arrays: tuple(p(v) for v in a),
                )
            )

    cases += [
        Good(
            "fit",
            "batch-larger-than-data",
            lambda m, b: m.fit(X, Y, epochs=3, learning_rate=0.05, batch_size=b),
            odd=lambda: (1000,),
            plain=lambda: (None,),
        ),
        Good(
            "fit",
            "batch-equal-to-data",
            lambda m, b: m.fit(X, Y, epochs=3, learning_rate=0.05, batch_size=b),
            odd=lambda: (6,),
            plain=lambda: (None,),
        ),
        Good(
            "fit",
            "numpy-integers",
            lambda m, e, b: m.fit(X, Y, epochs=e, learning_rate=0.05, batch_size=b),
            odd=lambda: (np.int64(3), np.int32(2)),
            plain=lambda: (3, 2),
        ),
        Good(
            "fit",
            "numpy-float-learning-rate",
            lambda m, lr: m.fit(X, Y, epochs=2, learning_rate=lr, batch_size=2),
            odd=lambda: (np.float32(0.25),),
            plain=lambda: (0.25,),
        ),
        Good(
            "fit",
            "default-learning-rate",
            lambda m, lr: m.fit(X, Y, epochs=2, learning_rate=lr, batch_size=2),
            odd=lambda: (None,),
            plain=lambda: (0.01,),
        ),
        Good(
            "predict",
            "one-sample-1-D",
            lambda m, x: m.predict(x).reshape(1, -1),
            odd=lambda: (X[2],),
            plain=lambda: (X[2:3],),
        ),
        Good(
            "MLP",
            "params-read-only",
            lambda m, p: type(m)(SIZES, "tanh", params=p).params,
            odd=lambda: (_read_only(np.linspace(0, 1, N_PARAMS)),),
            plain=lambda: (np.linspace(0, 1, N_PARAMS),),
        ),
        Good(
            "MLP",
            "layer_sizes-numpy",
            lambda m, s: type(m)(s, "tanh", seed=0).params,
            odd=lambda: (np.array(SIZES),),
            plain=lambda: (SIZES,),
        ),
    ]
    return cases


GOOD = _build_good_cases()


# --- the tests -----------------------------------------------------------------------------------


def _snapshot(model):
    history = model.history_
    return (
        model.params.tobytes(),
        history,
        history.loss.tobytes(),
        repr(model._rng.bit_generator.state),
        model.params.__array_interface__["data"][0],
    )


@IMPLEMENTATIONS
@pytest.mark.parametrize("case", BAD, ids=[case.id for case in BAD])
def test_bad_input_is_refused_clearly_and_loses_nothing(nn, case, tmp_path):
    model = make_model(nn)
    before = _snapshot(model)
    with pytest.raises(case.error) as info:
        case.call(nn, model, tmp_path)
    error = info.value
    message = str(error)
    assert not type(error).__module__.startswith("numba"), f"a Numba error leaked: {error!r}"
    assert "numba" not in message.lower()
    assert re.search(rf"(?<![\w\[]){re.escape(case.argument)}(?![\w\[])", message), (
        f"the message does not name {case.argument!r}: {message}"
    )
    assert re.search(case.match, message, flags=re.DOTALL), f"unexpected message: {message}"
    assert _snapshot(model) == before, "a rejected call changed the model"
    assert np.isfinite(model.params).all()


def _as_bytes(result):
    if result is None:
        return None
    if isinstance(result, (list, tuple)):
        return [_as_bytes(r) for r in result]
    array = np.asarray(result)
    assert np.isfinite(array).all(), "a NaN or infinity came out"
    return array.dtype.str, array.shape, array.tobytes()


@IMPLEMENTATIONS
@pytest.mark.parametrize("case", GOOD, ids=[case.id for case in GOOD])
def test_odd_but_valid_input_works_like_plain_input(nn, case):
    odd_model, plain_model = make_model(nn), make_model(nn)
    odd = case.odd()
    kept = [np.array(a, copy=True) if isinstance(a, np.ndarray) else None for a in odd]
    result = case.call(odd_model, *odd)
    expected = case.call(plain_model, *case.plain())
    assert _as_bytes(result) == _as_bytes(expected)
    assert odd_model.params.tobytes() == plain_model.params.tobytes()
    for before, after in zip(kept, odd, strict=True):
        if before is not None:
            assert np.array_equal(before, after), "the caller's array was modified"


def test_the_tables_are_as_large_as_claimed():
    """At least 250 bad and 50 good cases, each id unique: the tables do not shrink silently."""
    assert len({case.id for case in BAD}) == len(BAD)
    assert len({case.id for case in GOOD}) == len(GOOD)
    assert len(BAD) >= 250 and len(GOOD) >= 50


# --- the tutorial classes ------------------------------------------------------------------------

try:
    import fastnn.reference.tutorials as ref_tutorials
    import fastnn.tutorials as tutorials
except ImportError:  # pragma: no cover - the tutorials are optional
    tutorials = ref_tutorials = None

TUTORIALS = pytest.mark.parametrize(
    "tut",
    [
        pytest.param(tutorials, id="compiled"),
        pytest.param(ref_tutorials, id="reference"),
    ],
)

PX = np.arange(5.0)
PY = 2 * PX + 1
PEOPLE = np.array([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
GENDER = np.array([1.0, 0.0, 0.0, 1.0])
TABLE = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
TABLE_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@dataclass(frozen=True)
class TutorialBad:
    """``call(tut, make(tut))`` raises ``error`` naming ``argument`` (``make`` None: no object)."""

    cls: str
    label: str
    make: Callable[[Any], Any] | None
    call: Callable[[Any, Any], Any]
    error: type[BaseException]
    argument: str
    match: str = ""

    @property
    def id(self) -> str:
        return f"{self.cls}-{self.label}"


def _perceptron(tut):
    return tut.Perceptron()


def _our(tut):
    return tut.OurNeuralNetwork(seed=0)


def _network(tut):
    return tut.NeuralNetwork(TABLE, TABLE_Y, seed=0)


def _neuron(tut):
    return tut.Neuron([0.0, 1.0], 0.0)


P, Q, N, U = "Perceptron", "OurNeuralNetwork", "NeuralNetwork", "Neuron"
V, T = ValueError, TypeError
NAN_PX = _with(PX, 2, np.nan)
NAN_PEOPLE = _with(PEOPLE, (1, 0), np.nan)

TUTORIAL_BAD = [
    TutorialBad(P, "m-nan", None, lambda t, o: t.Perceptron(m=np.nan), V, "m", "finite"),
    TutorialBad(P, "m-str", None, lambda t, o: t.Perceptron(m="abc"), T, "m", "real number"),
    TutorialBad(P, "b-inf", None, lambda t, o: t.Perceptron(b=np.inf), V, "b", "finite"),
    TutorialBad(P, "set-m-nan", _perceptron, lambda t, o: setattr(o, "m", np.nan), V, "m"),
    TutorialBad(P, "train-x-nan", _perceptron, lambda t, o: o.train(NAN_PX, PY), V, "x", "NaN"),
    TutorialBad(P, "train-x-2-D", _perceptron, lambda t, o: o.train(np.ones((5, 2)), PY), V, "x"),
    TutorialBad(P, "train-y-short", _perceptron, lambda t, o: o.train(PX, PY[:4]), V, "y"),
    TutorialBad(
        P, "train-y-inf", _perceptron, lambda t, o: o.train(PX, _with(PY, 0, np.inf)), V, "y"
    ),
    TutorialBad(
        P, "train-iterations-0", _perceptron, lambda t, o: o.train(PX, PY, 0), V, "iterations"
    ),
    TutorialBad(
        P, "train-iterations-2.5", _perceptron, lambda t, o: o.train(PX, PY, 2.5), T, "iterations"
    ),
    TutorialBad(
        P,
        "train-learning_rate-nan",
        _perceptron,
        lambda t, o: o.train(PX, PY, 3, learning_rate=np.nan),
        V,
        "learning_rate",
    ),
    TutorialBad(
        P,
        "train-learning_rate-zero",
        _perceptron,
        lambda t, o: o.train(PX, PY, 3, learning_rate=0.0),
        V,
        "learning_rate",
    ),
    TutorialBad(
        P,
        "step-learning_rate-str",
        _perceptron,
        lambda t, o: o.step(PX, PY, learning_rate="a"),
        T,
        "learning_rate",
    ),
    TutorialBad(P, "feedforward-str", _perceptron, lambda t, o: o.feedforward("abc"), T, "x"),
    TutorialBad(P, "feedforward-complex", _perceptron, lambda t, o: o.feedforward(PX + 1j), T, "x"),
    TutorialBad(
        P, "loss-y-inf", _perceptron, lambda t, o: o.loss(PX, _with(PY, 3, np.inf)), V, "y"
    ),
    TutorialBad(
        P, "backpropagate-x-nan", _perceptron, lambda t, o: o.backpropagate(NAN_PX, PY), V, "x"
    ),
    TutorialBad(
        P,
        "descent_path-steps-0",
        _perceptron,
        lambda t, o: o.descent_path(1.0, 3.0, 0.1, steps=0),
        V,
        "steps",
    ),
    TutorialBad(
        Q, "values-8", None, lambda t, o: t.OurNeuralNetwork(values=np.ones(8)), V, "values"
    ),
    TutorialBad(
        Q,
        "values-nan",
        None,
        lambda t, o: t.OurNeuralNetwork(values=_with(np.ones(9), 4, np.nan)),
        V,
        "values",
    ),
    TutorialBad(Q, "seed-negative", None, lambda t, o: t.OurNeuralNetwork(seed=-1), V, "seed"),
    TutorialBad(
        Q,
        "set-values-complex",
        _our,
        lambda t, o: setattr(o, "values", np.ones(9) * 1j),
        T,
        "values",
    ),
    TutorialBad(Q, "set-w1-nan", _our, lambda t, o: setattr(o, "w1", np.nan), V, "w1"),
    TutorialBad(Q, "feedforward-3-values", _our, lambda t, o: o.feedforward([1, 2, 3]), V, "x"),
    TutorialBad(Q, "feedforward-nan", _our, lambda t, o: o.feedforward([1.0, np.nan]), V, "x"),
    TutorialBad(
        Q,
        "gradient-data-3-columns",
        _our,
        lambda t, o: o.gradient(np.ones((4, 3)), GENDER),
        V,
        "data",
    ),
    TutorialBad(
        Q,
        "gradient-all_y_trues-short",
        _our,
        lambda t, o: o.gradient(PEOPLE, GENDER[:3]),
        V,
        "all_y_trues",
    ),
    TutorialBad(
        Q, "train-data-nan", _our, lambda t, o: o.train(NAN_PEOPLE, GENDER, epochs=3), V, "data"
    ),
    TutorialBad(
        Q,
        "train-all_y_trues-short",
        _our,
        lambda t, o: o.train(PEOPLE, GENDER[:3], epochs=3),
        V,
        "all_y_trues",
    ),
    TutorialBad(
        Q, "train-epochs-0", _our, lambda t, o: o.train(PEOPLE, GENDER, epochs=0), V, "epochs"
    ),
    TutorialBad(
        Q,
        "train-learn_rate-nan",
        _our,
        lambda t, o: o.train(PEOPLE, GENDER, learn_rate=np.nan, epochs=3),
        V,
        "learn_rate",
    ),
    TutorialBad(
        Q,
        "train-learn_rate-str",
        _our,
        lambda t, o: o.train(PEOPLE, GENDER, learn_rate="fast", epochs=3),
        T,
        "learn_rate",
    ),
    TutorialBad(
        Q,
        "train-loss_every-0",
        _our,
        lambda t, o: o.train(PEOPLE, GENDER, epochs=3, loss_every=0),
        V,
        "loss_every",
    ),
    TutorialBad(
        N,
        "x-nan",
        None,
        lambda t, o: t.NeuralNetwork(_with(TABLE, (0, 0), np.nan), TABLE_Y, seed=0),
        V,
        "x",
    ),
    TutorialBad(N, "x-str", None, lambda t, o: t.NeuralNetwork(TABLE.astype(str), TABLE_Y), T, "x"),
    TutorialBad(N, "y-short", None, lambda t, o: t.NeuralNetwork(TABLE, TABLE_Y[:3]), V, "y"),
    TutorialBad(
        N, "hidden-0", None, lambda t, o: t.NeuralNetwork(TABLE, TABLE_Y, hidden=0), V, "hidden"
    ),
    TutorialBad(
        N,
        "weights1-shape",
        None,
        lambda t, o: t.NeuralNetwork(TABLE, TABLE_Y, weights1=np.ones((3, 3))),
        V,
        "weights1",
    ),
    TutorialBad(
        N,
        "weights1-complex",
        None,
        lambda t, o: t.NeuralNetwork(TABLE, TABLE_Y, weights1=np.ones((3, 4)) * 1j),
        T,
        "weights1",
    ),
    TutorialBad(N, "train-0", _network, lambda t, o: o.train(0), V, "iterations"),
    TutorialBad(N, "train-2.5", _network, lambda t, o: o.train(2.5), T, "iterations"),
    TutorialBad(
        N,
        "set-weights1-nan",
        _network,
        lambda t, o: setattr(o, "weights1", np.full((3, 4), np.nan)),
        V,
        "weights1",
    ),
    TutorialBad(
        N,
        "set-weights2-shape",
        _network,
        lambda t, o: setattr(o, "weights2", np.ones((2, 2))),
        V,
        "weights2",
    ),
    TutorialBad(U, "weights-empty", None, lambda t, o: t.Neuron([], 0.0), V, "weights"),
    TutorialBad(U, "weights-nan", None, lambda t, o: t.Neuron([1.0, np.nan], 0.0), V, "weights"),
    TutorialBad(U, "weights-2-D", None, lambda t, o: t.Neuron(np.ones((2, 2)), 0.0), V, "weights"),
    TutorialBad(U, "bias-nan", None, lambda t, o: t.Neuron([1.0, 1.0], np.nan), V, "bias"),
    TutorialBad(U, "feedforward-3", _neuron, lambda t, o: o.feedforward([1, 2, 3]), V, "inputs"),
    TutorialBad(
        U, "feedforward-nan", _neuron, lambda t, o: o.feedforward([1.0, np.nan]), V, "inputs"
    ),
    TutorialBad(U, "set-bias-inf", _neuron, lambda t, o: setattr(o, "bias", np.inf), V, "bias"),
    TutorialBad(
        U,
        "set-weights-nan",
        _neuron,
        lambda t, o: setattr(o, "weights", [np.nan, 1.0]),
        V,
        "weights",
    ),
    TutorialBad(
        "FixedWeightNetwork",
        "weights-nan",
        None,
        lambda t, o: t.FixedWeightNetwork(weights=(np.nan, 1.0)),
        V,
        "weights",
    ),
    TutorialBad(
        "FixedWeightNetwork",
        "feedforward-3",
        lambda t: t.FixedWeightNetwork(),
        lambda t, o: o.feedforward([1.0, 2.0, 3.0]),
        V,
        "x",
    ),
]


@pytest.mark.skipif(tutorials is None, reason="fastnn.tutorials is not available")
@TUTORIALS
@pytest.mark.parametrize("case", TUTORIAL_BAD, ids=[case.id for case in TUTORIAL_BAD])
def test_tutorial_bad_input_is_refused_clearly_and_loses_nothing(tut, case):
    obj = None if case.make is None else case.make(tut)
    before = None if obj is None else pickle.dumps(obj)
    with pytest.raises(case.error) as info:
        case.call(tut, obj)
    message = str(info.value)
    assert re.search(rf"(?<![\w\[]){re.escape(case.argument)}(?![\w\[])", message), (
        f"the message does not name {case.argument!r}: {message}"
    )
    assert re.search(case.match, message, flags=re.DOTALL), f"unexpected message: {message}"
    if obj is not None:
        assert pickle.dumps(obj) == before, "a rejected call changed the object"


# --- hardening: weights, targets per loss, overflow, memory ---------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize("scale", [1e308, 2.0**-1074, 1e-310, 2.0**600], ids=str)
def test_extreme_sample_weights_give_the_weighted_mean(nn, scale):
    """Weights near the float limits are rescaled exactly: the loss is that of weights ~1."""
    model = make_model(nn)
    ratios = np.array([1.0, 0.5, 0.5, 1.0, 0.25, 0.125])
    weights = ratios * scale if scale > 1 else np.full(6, scale)
    expected = ratios if scale > 1 else np.ones(6)
    loss = model.loss(X, Y, sample_weight=weights)
    assert np.isfinite(loss)
    assert loss == pytest.approx(model.loss(X, Y, sample_weight=expected), rel=1e-14)
    grad = model.gradient(X, Y, sample_weight=weights)
    assert np.allclose(grad, model.gradient(X, Y, sample_weight=expected), rtol=1e-12)
    history = model.fit(X, Y, sample_weight=weights, **FIT)
    assert np.isfinite(history).all()


@IMPLEMENTATIONS
def test_ordinary_sample_weights_are_used_bit_for_bit(nn):
    from fastnn._validation import check_sample_weight

    weights = SW.copy()
    checked = check_sample_weight(weights, 6, np.dtype(np.float64))
    assert checked is weights  # not even copied
    tiny_but_ordinary = np.array([1e-300, 1.0, 0.0, 3.0, 1e-200, 2.0])
    assert check_sample_weight(tiny_but_ordinary, 6, np.dtype(np.float64)) is tiny_but_ordinary


def _bce(nn):
    return nn.MLP((3, 4, 1), ["tanh", "sigmoid"], "binary_crossentropy", seed=0)


def _cce(nn, dtype=np.float64):
    return nn.MLP((3, 4, 3), ["tanh", "softmax"], "categorical_crossentropy", seed=0, dtype=dtype)


ONE_HOT = np.eye(3)[[0, 1, 2, 0, 1, 2]]
TARGET_CALLS = {
    "fit": lambda m, y: m.fit(X, y, **FIT),
    "loss": lambda m, y: m.loss(X, y),
    "gradient": lambda m, y: m.gradient(X, y),
    "validation_data": lambda m, y: m.fit(X, _good_targets(m), validation_data=(X, y), **FIT),
}


def _good_targets(model):
    return ONE_HOT if model.layer_sizes[-1] == 3 else np.array([0, 1, 1, 0, 0.5, 1.0])


BAD_TARGETS = [
    (
        "bce-above-one",
        _bce,
        _with([0, 1, 1.5, 0, 1, 0], 2, 1.5),
        r"binary_crossentropy.*\[0, 1\].*row 2",
    ),
    ("bce-negative", _bce, _with([0, 1, 1, 0, 1, 0], 4, -0.1), r"binary_crossentropy.*row 4"),
    ("bce-labels-1-2", _bce, np.array([1, 2, 1, 2, 1, 2.0]), r"binary_crossentropy.*row 1"),
    (
        "cce-negative",
        _cce,
        _with(ONE_HOT, (3, 1), -0.5),
        r"categorical_crossentropy.*non-negative.*row 3",
    ),
    (
        "cce-row-sum",
        _cce,
        _with(ONE_HOT, (1, 0), 0.5),
        r"categorical_crossentropy.*sum to 1.*row 1",
    ),
    (
        "cce-class-indices",
        _cce,
        np.tile([[0.0, 1.0, 2.0]], (6, 1)),
        r"categorical_crossentropy.*row 0",
    ),
    ("cce-zeros", _cce, np.zeros((6, 3)), r"sum to 1.*row 0.*summing to 0.0"),
]


@IMPLEMENTATIONS
@pytest.mark.parametrize("entry", list(TARGET_CALLS))
@pytest.mark.parametrize(
    "label, build, targets, match", BAD_TARGETS, ids=[c[0] for c in BAD_TARGETS]
)
def test_targets_that_do_not_suit_the_loss_are_refused(nn, entry, label, build, targets, match):
    model = build(nn)
    before = model.params.copy()
    with pytest.raises(ValueError, match=match) as info:
        TARGET_CALLS[entry](model, targets)
    name = "y_val" if entry == "validation_data" else "y"
    assert str(info.value).startswith(f"{name}: loss ")
    assert np.array_equal(model.params, before)


@IMPLEMENTATIONS
def test_probability_targets_within_the_tolerance_are_accepted(nn):
    soft = np.full((6, 3), 1 / 3)
    assert np.isfinite(_cce(nn).loss(X, soft))
    off32 = ONE_HOT.astype(np.float32) * np.float32(1 + 2e-4)  # float32: 1e-3 tolerance
    assert np.isfinite(_cce(nn, np.float32).loss(X, off32))
    with pytest.raises(ValueError, match="sum to 1"):
        _cce(nn).loss(X, ONE_HOT * (1 + 2e-4))  # float64: 1e-6
    assert np.isfinite(_bce(nn).loss(X, [0, 1, 0.25, 1, 0, 1]))


@IMPLEMENTATIONS
@pytest.mark.parametrize("entry", ["loss", "gradient"])
def test_a_loss_that_overflows_is_refused_not_returned(nn, entry):
    model = nn.MLP((3, 1), "identity", "mse", seed=0)
    huge = np.full((6, 3), 1e200)
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"mse loss overflowed"):
        getattr(model, entry)(huge, np.ones(6))


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "make",
    [
        lambda: np.full((1, 3), 1e308),  # the one-row fast path
        lambda: np.full((4, 3), 1e308),  # several rows
        lambda: [1e308, 1e308, 1e308],  # one 1-D sample
        lambda: np.full((40, 3), 1e308),  # more outputs than the cheap check covers
    ],
    ids=["one-row", "rows", "1-D", "many-rows"],
)
def test_predict_refuses_outputs_that_overflowed(nn, make):
    model = nn.MLP((3, 1), "identity", seed=0, params=[1.0, 1.0, 1.0, 0.0])
    with np.errstate(all="ignore"), pytest.raises(ValueError, match=r"X overflowed the network"):
        model.predict(make())
    assert np.isfinite(model.predict(np.full((1, 3), 1e300))).all()


@IMPLEMENTATIONS
def test_a_huge_epochs_allocates_only_what_is_run(nn):
    import time
    import tracemalloc

    model = nn.MLP((3, 2, 2), "tanh", seed=0)
    tracemalloc.start()
    try:
        start = time.perf_counter()
        losses = model.fit(X, Y, epochs=10**9, learning_rate=0.01, patience=1, tol=1e9)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(losses) == 2 and model.history_.stopped_early
    assert peak < 64e6, f"peak {peak / 1e6:.0f} MB"  # 10**9 epochs of history would be 16 GB
    assert elapsed < 30


@IMPLEMENTATIONS
@pytest.mark.parametrize("loss_every", [None, 3])
def test_histories_grow_across_chunks(nn, loss_every, monkeypatch):
    """Many small chunks (as for a large network): the grown histories hold every epoch."""
    from conftest import fixed_chunks

    model = nn.MLP((3, 4, 2), "tanh", seed=0)
    expected = model.copy().fit(X, Y, epochs=37, learning_rate=0.05, loss_every=loss_every,
                                validation_data=(X, Y))  # fmt: skip
    full = model.copy()
    full.fit(X, Y, epochs=37, learning_rate=0.05, loss_every=loss_every, validation_data=(X, Y))
    fixed_chunks(monkeypatch, 5)
    losses = model.fit(X, Y, epochs=37, learning_rate=0.05, loss_every=loss_every,
                       validation_data=(X, Y))  # fmt: skip
    assert losses.tobytes() == expected.tobytes() and len(losses) == 37
    assert model.history_.val_loss.tobytes() == full.history_.val_loss.tobytes()
    if loss_every:
        assert model.history_.full_loss.tobytes() == full.history_.full_loss.tobytes()
        assert len(model.history_.full_loss) == 13


@pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])
def test_remembered_fit_settings_are_still_checked_by_type_and_value(nn):
    # fit remembers the checked plan of plain settings (fastnn._base._plan_for): a value equal
    # to one that passed (True == 1) must still be refused, and a NaN learning rate each time
    # (it is never equal to itself, so never remembered)
    X, y = np.zeros((6, 2)), np.zeros(6)
    model = nn.MLP((2, 2, 1), "tanh", seed=0)
    for _ in range(2):  # the second round finds the plans remembered
        model.fit(X, y, epochs=1, batch_size=2, learning_rate=0.1)
        with pytest.raises(TypeError, match="epochs must be an integer"):
            model.fit(X, y, epochs=True, batch_size=2, learning_rate=0.1)
        with pytest.raises(TypeError, match="batch_size must be an integer"):
            model.fit(X, y, epochs=1, batch_size=True, learning_rate=0.1)
        with pytest.raises(ValueError, match="learning_rate"):
            model.fit(X, y, epochs=1, batch_size=2, learning_rate=float("nan"))
    before = model.params.copy()
    model.fit(X, y, epochs=1, batch_size=2, learning_rate=0.1, shuffle=False)
    again = nn.MLP((2, 2, 1), "tanh", seed=0)
    again.params = before
    again.fit(X, y, epochs=1, batch_size=2, learning_rate=0.1, shuffle=False)
    np.testing.assert_array_equal(model.params, again.params)
