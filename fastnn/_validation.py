"""The argument checks of every public entry point, in one module.

:class:`fastnn.MLP` and :class:`fastnn.reference.MLP` (through :class:`fastnn._base.MLPBase`),
:class:`fastnn.Classifier`, the scikit-learn estimators (where they check things themselves) and
the tutorial classes in :mod:`fastnn.tutorials` and :mod:`fastnn.reference.tutorials` take their
arguments through these functions, so one kind of argument is checked one way everywhere, with
one message. Inputs are converted here *before* any kernel runs, so kernels only ever see
C-contiguous, aligned, writeable arrays of the model's dtype (one compiled version per dtype)
and never raise. Each error names the argument (as the public class spells it) and says what was
expected.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers
import os
from typing import Any, SupportsFloat, cast

import numpy as np

from . import _names

#: Integers the kernels keep in int64 slots (epochs, patience, …) must stay below this.
INT_LIMIT = 2**62


def _describe(value: object) -> str:
    return type(value).__name__


def _magnitude(value) -> str:
    """An integer for a message: itself if short, else its order of magnitude."""
    value = int(value)
    if abs(value) < 10**20:
        return str(value)
    return f"about 10**{int(abs(value).bit_length() * math.log10(2))}"


# --- keyword arguments ----------------------------------------------------------------------------


def _binding_problem(signature: inspect.Signature, args: tuple, kwargs: dict) -> str | None:
    """Why ``signature`` does not accept ``(args, kwargs)`` (None if it does)."""
    accepted = [
        p.name
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if not takes_any:
        for key in kwargs:
            if key not in accepted:
                return unexpected_keyword(key, accepted[1:])  # [1:]: not ``self``
    try:
        signature.bind(*args, **kwargs)
    except TypeError as error:
        return str(error)
    return None


def closest_name(name: str, choices) -> str | None:
    """The entry of ``choices`` closest to ``name`` (case ignored), or None if none is close."""
    choices = list(choices)
    lowered = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1)
    return lowered[close[0]] if close else None


def unknown_name(argument: str, name: str, choices) -> str:
    """The message for a misspelled name: ``loss: unknown name 'mes'; did you mean 'mse'? …``."""
    choices = list(choices)
    close = closest_name(name, choices)
    hint = f"did you mean {close!r}? (choose from " if close else "(choose from "
    return f"{argument}: unknown name {name!r}; {hint}{', '.join(map(repr, choices))})"


def lookup_name(table: dict, name: object, argument: str) -> int:
    """:func:`fastnn._names.lookup` (the code of ``name`` in ``table``), suggesting the closest
    name when ``name`` is misspelled."""
    if isinstance(name, str) and name not in table:
        raise ValueError(unknown_name(argument, name, sorted(table)))
    return _names.lookup(table, name, argument)


def unexpected_keyword(key: str, accepted) -> str:
    """The message for an unknown keyword ``key``, with the closest of ``accepted`` if any."""
    close = difflib.get_close_matches(key, list(accepted), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"got an unexpected keyword argument {key!r}{hint}"


def public_signature(method: str):
    """Make argument-binding errors of a method name the public class and suggest a spelling.

    ``MLP(...).fit(X, y, epoch=3)`` then raises ``TypeError: MLP.fit() got an unexpected keyword
    argument 'epoch'; did you mean 'epochs'?`` instead of naming the internal base class. The
    call itself is unchanged (one extra frame, a few hundred nanoseconds): the signature is only
    examined after a ``TypeError``, and an error raised inside the method (not by binding its
    arguments) propagates untouched.
    """

    def decorate(func):
        signature = inspect.signature(func)

        @functools.wraps(func)
        def checked(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except TypeError:
                problem = _binding_problem(signature, args, kwargs)
                if problem is None:
                    raise
            owner = type(args[0]).__name__ if args else func.__qualname__.split(".")[0]
            call = f"{owner}()" if method == "__init__" else f"{owner}.{method}()"
            raise TypeError(f"{call} {problem}") from None

        return checked

    return decorate


# --- scalars --------------------------------------------------------------------------------------


def check_int(value: object, name: str, minimum: int = 1, maximum: int | None = INT_LIMIT) -> int:
    """An integer ``>= minimum`` (and ``< maximum``); bools and non-integral floats are refused."""
    if type(value) is not int and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
    ):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {_describe(value)} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    if maximum is not None and value >= maximum:
        raise ValueError(
            f"{name} is too large: {_magnitude(value)} (it must be below 2**"
            f"{maximum.bit_length() - 1})"
        )
    return value


def is_int(value: object) -> bool:
    """Whether ``value`` is an integer (a Python or numpy one; bools are not)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value: object) -> bool:
    """Whether ``value`` is a real number (bools are not)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_in_range(value, name, low=None, high=None, low_open=False, high_open=False) -> float:
    """A real number in ``[low, high]`` (``(`` / ``)`` for open ends); NaN is refused."""
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {_describe(value)} {value!r}")
    try:
        value = float(value)
    except OverflowError:
        value = math.copysign(math.inf, value)
    bad = math.isnan(value)
    if low is not None:
        bad = bad or value < low or (low_open and value == low)
    if high is not None:
        bad = bad or value > high or (high_open and value == high)
    if bad:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise ValueError(f"{name} must be in the range {left}{lo}, {hi}{right}, got {value!r}")
    return value


def check_option(value: object, name: str, options) -> str:
    """One of the strings ``options``."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {sorted(options)}, got {value!r}")
    return value


def check_bool(value: object, name: str) -> bool:
    """``True`` or ``False`` (numpy bools too; ints are refused)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_describe(value)} {value!r}")
    return bool(value)


def check_float(
    value: object,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    below: float | None = None,
) -> float:
    """A finite real number, optionally ``> 0``, ``>= 0`` or ``< below``."""
    kind = type(value)
    if (
        kind is not float
        and kind is not int
        and (isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real))
    ):
        raise TypeError(f"{name} must be a real number, got {_describe(value)} {value!r}")
    try:
        value = float(cast(SupportsFloat, value))  # a real number, as just checked
    except OverflowError:  # an int (or Fraction, Decimal) beyond the float range
        raise ValueError(
            f"{name} must be finite, got a number too large for a float: {_magnitude(value)}"
        ) from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    if below is not None and value >= below:
        raise ValueError(f"{name} must be < {below}, got {value}")
    return value


def as_float_array(value: object, name: str, dtype: np.dtype) -> np.ndarray:
    """``value`` as a numeric array of ``dtype``: C-contiguous, aligned and writeable.

    Lists (also nested and ragged ones), integer and bool arrays are accepted and converted;
    object, complex, string and other non-numeric data raise ``TypeError``. The input is copied
    only when it is not already in that form (a read-only array is copied, never written).
    """
    if isinstance(value, np.ndarray):
        array = value
        # already as required (flags.carray: C-contiguous, aligned, writeable, the test the
        # compiled MLP.predict's one-row path uses): what np.require would return, ~2 µs sooner
        if type(array) is np.ndarray and array.dtype == dtype and array.flags.carray:
            return array
        if type(value) is not np.ndarray and isinstance(value, np.ma.MaskedArray):
            array = unmasked(value, name)
    else:
        try:
            array = np.asarray(value)
        except ValueError as error:  # ragged nested sequences
            raise ValueError(
                f"{name} must be a rectangular array of numbers; could not convert it: {error}"
            ) from None
    kind = array.dtype.kind
    if kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must hold numbers; it has dtype object with non-numeric or ragged items"
            ) from None
        kind = "f"
    if kind == "c":
        raise TypeError(f"{name} must hold real numbers, got complex dtype {array.dtype}")
    if kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    return np.require(array, dtype=dtype, requirements=("C", "A", "W"))


def unmasked(array: np.ma.MaskedArray, name: str) -> np.ndarray:
    """The data of a masked array that has no masked entry; one with masked entries is refused.

    The kernels read an array's raw values, masked or not, so a masked entry would be used as
    whatever value happens to sit under the mask.
    """
    mask = np.ma.getmaskarray(array)
    if mask.any():
        where = tuple(int(i) for i in np.argwhere(mask)[0])
        raise ValueError(
            f"{name} is a masked array with {int(mask.sum())} masked entries (first at index "
            f"{where[0] if len(where) == 1 else where}); fastnn would read the values under the "
            f"mask: fill them first ({name}.filled(value)) or drop those rows"
        )
    return np.ma.getdata(array)


def check_finite(array: np.ndarray, name: str) -> None:
    """Raise ``ValueError`` naming the first NaN or infinite entry of ``array``."""
    if not np.isfinite(array).all():
        where = np.argwhere(~np.isfinite(array))[0]
        position = tuple(int(i) for i in where)
        raise ValueError(
            f"{name} contains NaN or infinity (first at index "
            f"{position[0] if len(position) == 1 else position}: "
            f"{array[tuple(where)]}); remove or impute those values first"
        )


def check_X(X: object, n_features: int, dtype: np.dtype, name: str = "X") -> np.ndarray:
    """A 2-D, non-empty, finite ``(n_samples, n_features)`` array."""
    array = as_float_array(X, name, dtype)
    if array.ndim != 2:
        hint = ""
        if array.ndim == 1:
            hint = (
                f"; for one sample use {name}.reshape(1, -1), for one feature use "
                f"{name}.reshape(-1, 1)"
            )
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, {n_features}), got {array.ndim}-D "
            f"shape {array.shape}{hint}"
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has shape {array.shape}, need at least one row")
    if array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} features per row but the network expects {n_features} "
            f"(layer_sizes[0])"
        )
    check_finite(array, name)
    return array


def check_y(
    y: object, n_rows: int, n_outputs: int, dtype: np.dtype, name: str = "y", x_name: str = "X"
) -> np.ndarray:
    """Targets as a finite ``(n_rows, n_outputs)`` array; 1-D is accepted for one output."""
    array = as_float_array(y, name, dtype)
    if array.ndim == 1 and n_outputs == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(
            f"{name} must have shape ({n_rows}, {n_outputs})"
            + (f" or ({n_rows},)" if n_outputs == 1 else "")
            + f", got {array.ndim}-D shape {array.shape}"
        )
    if array.shape[0] != n_rows:
        raise ValueError(
            f"{name} has {array.shape[0]} rows but {x_name} has {n_rows}; they must match"
        )
    if array.shape[1] != n_outputs:
        raise ValueError(
            f"{name} has {array.shape[1]} columns but the network has {n_outputs} outputs "
            f"(layer_sizes[-1])"
        )
    check_finite(array, name)
    return array


#: Weights whose largest entry lies outside these bounds are rescaled by a power of two: beyond
#: them a weighted sum can overflow, or a weight times a loss underflow to zero.
_WEIGHT_RANGE = {
    np.dtype(np.float64): (2.0**-500, 2.0**500),
    np.dtype(np.float32): (2.0**-60, 2.0**60),
}


def check_sample_weight(
    sample_weight: object,
    n_rows: int,
    dtype: np.dtype,
    name: str = "sample_weight",
    *,
    rescale: bool = True,
) -> np.ndarray:
    """Sample weights as a 1-D array of ``n_rows`` non-negative finite values (empty: none).

    All-zero weights are refused. With ``rescale``, weights whose largest value is extreme (say
    1e308 or 5e-324, where a weighted sum overflows or a weight times a loss underflows) are
    multiplied by a power of two, exactly, so that the largest becomes about 1: a weighted
    *mean* is unchanged by that. Ordinary weights are returned as they came, bit for bit.
    """
    if sample_weight is None:
        return np.empty(0, dtype=dtype)
    array = as_float_array(sample_weight, name, dtype)
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have shape ({n_rows},), one weight per row, got shape {array.shape}"
        )
    check_finite(array, name)
    if (array < 0).any():
        raise ValueError(
            f"{name} must be >= 0 everywhere (first negative weight at index "
            f"{int(np.flatnonzero(array < 0)[0])})"
        )
    largest = float(array.max())
    if largest == 0.0:
        raise ValueError(
            f"{name}: weights sum to zero (all {n_rows} are 0); they must have a positive sum"
        )
    low, high = _WEIGHT_RANGE[array.dtype]
    if rescale and not low <= largest <= high:
        exponent = math.frexp(largest)[1]  # largest = m * 2**exponent, 0.5 <= m < 1
        # a new array (never the caller's); multiplying by a power of two is exact
        array = np.ldexp(array, -exponent).astype(dtype, copy=False)
    return array


def check_targets(Y: np.ndarray, loss: str, name: str = "y") -> np.ndarray:
    """Targets that suit ``loss``: in [0, 1] for binary cross-entropy, probability rows (>= 0,
    summing to 1) for categorical cross-entropy, non-negative for poisson (counts or rates);
    other losses take any finite target."""
    if loss == "binary_crossentropy":
        bad = (Y < 0) | (Y > 1)
        if bad.any():
            row = int(np.flatnonzero(bad.any(axis=1))[0])
            raise ValueError(
                f"{name}: loss 'binary_crossentropy' needs targets in [0, 1] (labels or "
                f"probabilities); row {row} is {Y[row].tolist()}"
            )
    elif loss == "poisson":
        negative = (Y < 0).any(axis=1)
        if negative.any():
            row = int(np.flatnonzero(negative)[0])
            raise ValueError(
                f"{name}: loss 'poisson' needs non-negative targets (counts, rates or other "
                f"means of a non-negative quantity); row {row} is {Y[row].tolist()}"
            )
    elif loss == "categorical_crossentropy":
        negative = (Y < 0).any(axis=1)
        if negative.any():
            row = int(np.flatnonzero(negative)[0])
            raise ValueError(
                f"{name}: loss 'categorical_crossentropy' needs non-negative targets (one-hot "
                f"rows or probabilities); row {row} is {Y[row].tolist()}"
            )
        tolerance = 1e-6 if Y.dtype == np.float64 else 1e-3
        off = np.abs(Y.sum(axis=1, dtype=np.float64) - 1.0) > tolerance
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise ValueError(
                f"{name}: loss 'categorical_crossentropy' needs each target row to sum to 1 "
                f"(one-hot rows or probabilities, within {tolerance:g}); row {row} is "
                f"{Y[row].tolist()}, summing to {float(Y[row].sum(dtype=np.float64))!r}"
            )
    return Y


def check_labels(labels: object, name: str) -> np.ndarray:
    """Class labels as a 1-D numpy array without missing values (None, NaN, NaT)."""
    if isinstance(labels, np.ndarray):
        array = labels
        if type(labels) is not np.ndarray and isinstance(labels, np.ma.MaskedArray):
            array = unmasked(labels, name)
    else:
        try:
            array = np.asarray(labels)
        except ValueError as error:
            raise ValueError(f"{name} must be a 1-D sequence of labels: {error}") from None
    if array.ndim != 1:
        hint = (
            f"; it looks like a column: pass {name}.ravel()"
            if array.ndim == 2 and array.shape[1] == 1
            else ""
        )
        raise ValueError(
            f"{name} must be 1-D, one label per row, got shape {array.shape}{hint} (for "
            "one-hot or probability targets train an MLP with a softmax output directly)"
        )
    if array.dtype.kind == "f" and np.isnan(array).any():
        raise ValueError(
            f"{name} contains NaN at index {int(np.flatnonzero(np.isnan(array))[0])}; "
            "every row needs a label"
        )
    if array.dtype.kind == "O":
        for i, label in enumerate(array):
            if label is None or (isinstance(label, float) and math.isnan(label)):
                raise ValueError(
                    f"{name} contains a missing label ({label!r}) at index {i}; every row "
                    "needs a label"
                )
    if array.dtype.kind in "mM" and np.isnat(array).any():
        raise ValueError(f"{name} contains NaT; every row needs a label")
    return array


# --- names: initialisation, activations -----------------------------------------------------------


def check_init(init: object) -> str | None:
    """An initialisation scheme's name, or None (the default for each activation)."""
    if init is not None and init not in _names.INITS:
        if not isinstance(init, str):
            raise TypeError(f"init must be None or one of {list(_names.INITS)}, got {init!r}")
        raise ValueError(unknown_name("init", init, _names.INITS))
    return init


def check_hidden_activation(activation: object, name: str = "activation"):
    """A hidden-layer activation: a name or a ``(name, parameter)`` pair; softmax is refused."""
    if isinstance(activation, tuple) and len(activation) == 2:
        key, param = activation
    else:
        key, param = activation, None
    lookup_name(_names.ACTIVATIONS, key, name)
    if key == "softmax":
        raise ValueError(
            f"{name}: softmax is the output layer of a multi-class Classifier, not a hidden "
            "activation; choose one of relu, tanh, sigmoid, leaky_relu, elu, softplus, identity"
        )
    if param is None:
        return activation
    if key not in _names.ACTIVATION_DEFAULT_PARAM:
        raise ValueError(f"{name}: {key!r} takes no parameter, got {activation!r}")
    value = check_float(param, f"{name} parameter of {key!r}")
    if key == "leaky_relu" and value < 0:
        raise ValueError(f"{name}: leaky_relu slope must be >= 0, got {value}")
    if key == "elu" and value <= 0:
        raise ValueError(f"{name}: elu alpha must be > 0, got {value}")
    return (key, value)


# --- random seeds, network sizes, memory ----------------------------------------------------------


def check_seed(seed: object, name: str = "seed") -> Any:
    """``seed`` if it is None, a numpy Generator or an integer ``>= 0`` (returned as int)."""
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be None, an int or a numpy Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be >= 0, got {seed}")
    return int(seed)


def as_rng(seed: object, name: str = "seed") -> np.random.Generator:
    """``seed`` (see :func:`check_seed`) as a numpy Generator; a Generator is used as it is."""
    checked = check_seed(seed, name)
    if isinstance(checked, np.random.Generator):
        return checked
    return np.random.default_rng(checked)


def check_hidden_sizes(value: object, name: str = "hidden_layer_sizes") -> tuple[int, ...]:
    """Units of each hidden layer: an integer or a sequence of integers ``>= 1`` (maybe empty)."""
    given = value
    if is_int(value):
        value = (value,)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(
            f"{name} must be an integer or a sequence of integers such as (64,) or (32, 16), "
            f"got {_describe(value)} {value!r}"
        )
    sizes = list(value)
    for i, size in enumerate(sizes):
        if not is_int(size):
            raise TypeError(
                f"{name} must hold integers >= 1, got {given!r} ({name}[{i}] is "
                f"{_describe(size)} {size!r})"
            )
        if size < 1:
            raise ValueError(
                f"{name} must hold integers >= 1, got {given!r} ({name}[{i}] is {size})"
            )
    return tuple(int(size) for size in sizes)


def check_layer_size(value: object, name: str) -> int:
    """The number of units of one layer: an integer ``>= 1``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (no zero-width layers), got {value}")
    return int(value)


def physical_memory() -> int:
    """Bytes of RAM of this machine (a large constant where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 48


def check_network_memory(n_params: int, itemsize: int, sizes, name: str = "layer_sizes") -> None:
    """Refuse a network whose θ, gradient and optimizer state cannot fit in this machine's RAM.

    Training holds about five θ-sized arrays (θ, the gradient, two optimizer buffers, the best θ
    of early stopping); ``n_params`` is a Python int, so this works for any size.
    """
    needed = 5 * n_params * itemsize
    available = physical_memory()
    if needed > available:
        raise ValueError(
            f"{name} {list(sizes) if len(sizes) <= 8 else '...'} give {_magnitude(n_params)} "
            f"parameters: θ, gradients and optimizer state need {_magnitude(needed)} bytes "
            f"but this machine has {available} bytes of memory"
        )


def check_output(out: np.ndarray) -> np.ndarray:
    """``out`` (network outputs for finite inputs) if finite; overflowed ones are refused.

    Cheap for a few outputs (one row served at a time): ``math.fsum`` over them is NaN or
    infinite (or raises) only if one of them is, or, for finite outputs, if their sum
    overflows — which the exact numpy check then clears.
    """
    if out.size <= 16:
        try:
            total = math.fsum(out.flat)
        except (OverflowError, ValueError):  # inf - inf, or a sum beyond the float range
            total = math.nan
        if total - total == 0.0:
            return out
    if not np.isfinite(out).all():
        row = int(np.flatnonzero(~np.isfinite(out).all(axis=-1))[0]) if out.ndim == 2 else 0
        raise overflow_error(row)
    return out


def overflow_error(row: int) -> ValueError:
    """The error for outputs of ``row`` that are NaN or infinite although its inputs are finite."""
    return ValueError(
        f"X overflowed the network: its values are too large (the outputs for row {row} are "
        f"NaN or infinite although X is finite); scale the inputs (e.g. standardise X)"
    )


# --- the tutorial classes -------------------------------------------------------------------------
#
# The compiled classes in fastnn.tutorials and their plain-numpy twins in fastnn.reference.tutorials
# take their arguments through these, so both accept the same inputs and refuse the same ones with
# the same messages. Each error names the argument as the tutorial spells it (x, data,
# all_y_trues, learn_rate, iterations, ...), never the name of the MLP argument it is passed on
# to, and every check runs before anything is changed, so a refused call leaves the object as it
# was.

F64 = np.dtype(np.float64)


def check_number(value, name: str) -> float:
    """A finite real number (a weight, a bias, ``m``, ``b``)."""
    return check_float(value, name)


def check_rate(value, name: str) -> float:
    """A finite learning rate ``> 0`` (``learn_rate`` or ``learning_rate``)."""
    return check_float(value, name, positive=True)


def check_count(value, name: str, meaning: str = "") -> int:
    """An integer ``>= 1``; ``meaning``, if given, is added to the message of a refused value."""
    try:
        return check_int(value, name)
    except (TypeError, ValueError) as error:
        if not meaning:
            raise
        raise type(error)(f"{error} ({meaning})") from None


def check_iterations(value, name: str = "iterations") -> int:
    """The tutorials' ``iterations``: a count of full-batch steps (fastnn's epochs)."""
    return check_count(
        value, name, "iterations are training epochs: full-batch gradient-descent steps"
    )


def check_exact(value, shape: tuple[int, ...], name: str, what: str = "") -> np.ndarray:
    """``value`` as a finite float64 array of exactly ``shape`` (converted, not always copied)."""
    array = as_float_array(value, name, F64)
    if array.shape != shape:
        raise ValueError(f"{name} must {what or f'have shape {shape}'}, got shape {array.shape}")
    check_finite(array, name)
    return array


def check_pair_weights(value) -> np.ndarray:
    """``FixedWeightNetwork``'s ``weights``: the 2 weights every one of its neurons uses."""
    return check_exact(
        value, (2,), "weights", "hold 2 numbers: each neuron of the 2-2-1 network has 2 inputs"
    )


def check_nine_values(value) -> np.ndarray:
    """``OurNeuralNetwork``'s ``values``: ``w1 … w6, b1 … b3`` in that order."""
    return check_exact(value, (9,), "values", "hold 9 numbers (w1 … w6, b1 … b3)")


def check_vector(value, name: str) -> np.ndarray:
    """A non-empty, finite 1-D float64 array (a neuron's weights)."""
    array = as_float_array(value, name, F64)
    if array.ndim != 1 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    check_finite(array, name)
    return array


def check_rows(value, n_inputs: int, name: str) -> tuple[np.ndarray, bool]:
    """``value`` as finite rows of ``n_inputs`` numbers, and whether it was one sample (1-D)."""
    array = as_float_array(value, name, F64)
    single = array.ndim == 1 and array.shape[0] == n_inputs
    if not single and (array.ndim != 2 or array.shape[1] != n_inputs):
        raise ValueError(
            f"{name} must be one sample of {n_inputs} values or rows of them, shape "
            f"(n, {n_inputs}); got shape {array.shape}"
        )
    if single:
        check_finite(array, name)  # so that a bad entry is reported by its 1-D index
        return array.reshape(1, n_inputs), True
    return check_X(array, n_inputs, F64, name), False


def check_target_column(value, n_rows: int, name: str, rows_name: str) -> np.ndarray:
    """One finite target per row of ``rows_name``, as an ``(n_rows, 1)`` column.

    A 1-D array or an ``(n_rows, 1)`` column is accepted, and a single number for a single row.
    """
    array = as_float_array(value, name, F64)
    if array.ndim == 0 and n_rows == 1:
        array = array.reshape(1)
    return check_y(array, n_rows, 1, F64, name, rows_name)


def check_table(x, y) -> tuple[np.ndarray, np.ndarray]:
    """``NeuralNetwork(x, y)``'s data: ``x`` as a non-empty 2-D float table and ``y`` as a 2-D
    float array with one row per row of ``x`` (a 1-D ``y`` is one target per row).

    Both are new arrays, never the caller's: the network keeps them.
    """
    inputs = as_float_array(x, "x", F64)
    if inputs.ndim != 2 or inputs.shape[0] == 0 or inputs.shape[1] == 0:
        raise ValueError(
            f"x must be a non-empty 2-D table (rows, features), got shape {inputs.shape}"
        )
    check_finite(inputs, "x")
    targets = as_float_array(y, "y", F64)
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    n = inputs.shape[0]
    if targets.ndim != 2 or targets.shape[0] != n or targets.shape[1] == 0:
        raise ValueError(
            f"y must have one row per row of x ({n}), given as shape ({n},) or ({n}, n_outputs); "
            f"got shape {targets.shape}"
        )
    check_finite(targets, "y")
    return _own(inputs, x), _own(targets, y)


def _own(array: np.ndarray, given) -> np.ndarray:
    """``array``, copied when it may share memory with the caller's ``given``."""
    if isinstance(given, np.ndarray) and np.may_share_memory(array, given):
        return array.copy()
    return array


def check_column(value, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
    """A number, a 1-D array or an ``(n, 1)`` column of finite values as an ``(n, 1)`` float
    column, and the shape it came in (for giving results back in that shape)."""
    array = as_float_array(value, name, F64)
    if array.ndim > 2 or (array.ndim == 2 and array.shape[1] != 1):
        raise ValueError(
            f"{name} must be a number, a 1-D array or a column of shape (n, 1); got shape "
            f"{array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty: it has shape {array.shape}, need at least one value")
    check_finite(array, name)
    return array.reshape(-1, 1), array.shape


def check_points(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The perceptron's ``x`` and ``y`` (each as :func:`column` takes it) as ``(n, 1)`` columns
    of equal length."""
    X, _ = check_column(x, "x")
    Y, _ = check_column(y, "y")
    return X, check_y(Y, X.shape[0], 1, F64, "y", "x")


def check_one_point(x, y) -> tuple[np.ndarray, np.ndarray]:
    """:func:`points` for exactly one point (``descent_path``)."""
    X, Y = check_points(x, y)
    if X.shape[0] != 1:
        raise ValueError(f"x must be one point for descent_path, got {X.shape[0]} values")
    return X, Y
