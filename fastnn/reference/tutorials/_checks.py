"""Argument checks of the tutorial classes, shared by both implementations.

The compiled classes in :mod:`fastnn.tutorials` and their plain-numpy twins in
:mod:`fastnn.reference.tutorials` take their arguments through these functions, so both accept
the same inputs and refuse the same ones with the same messages. Each error names the argument
as the tutorial spells it (``x``, ``data``, ``all_y_trues``, ``learn_rate``, ``iterations``, …),
never the name of the :class:`fastnn.MLP` argument it is passed on to, and every check runs
before anything is changed, so a refused call leaves the object as it was.

The conversions and the checks themselves are the library's own (:mod:`fastnn._validation`):
lists, integer and bool arrays are accepted and converted to float64; complex, string and object
data raise ``TypeError``; NaN and infinity raise ``ValueError``.

This module lives with the reference twins because the compiled classes already import from
them (constants, elementwise helpers); importing it from :mod:`fastnn.tutorials` instead would
make the two packages import each other.
"""

from __future__ import annotations

import numpy as np

from ..._validation import as_float_array, check_finite, check_float, check_int, check_X, check_y

F64 = np.dtype(np.float64)


def number(value, name: str) -> float:
    """A finite real number (a weight, a bias, ``m``, ``b``)."""
    return check_float(value, name)


def rate(value, name: str) -> float:
    """A finite learning rate ``> 0`` (``learn_rate`` or ``learning_rate``)."""
    return check_float(value, name, positive=True)


def count(value, name: str, meaning: str = "") -> int:
    """An integer ``>= 1``; ``meaning``, if given, is added to the message of a refused value."""
    try:
        return check_int(value, name)
    except (TypeError, ValueError) as error:
        if not meaning:
            raise
        raise type(error)(f"{error} ({meaning})") from None


def iterations(value, name: str = "iterations") -> int:
    """The tutorials' ``iterations``: a count of full-batch steps (fastnn's epochs)."""
    return count(value, name, "iterations are training epochs: full-batch gradient-descent steps")


def exact(value, shape: tuple[int, ...], name: str, what: str = "") -> np.ndarray:
    """``value`` as a finite float64 array of exactly ``shape`` (converted, not always copied)."""
    array = as_float_array(value, name, F64)
    if array.shape != shape:
        raise ValueError(f"{name} must {what or f'have shape {shape}'}, got shape {array.shape}")
    check_finite(array, name)
    return array


def pair_weights(value) -> np.ndarray:
    """``FixedWeightNetwork``'s ``weights``: the 2 weights every one of its neurons uses."""
    return exact(
        value, (2,), "weights", "hold 2 numbers: each neuron of the 2-2-1 network has 2 inputs"
    )


def nine_values(value) -> np.ndarray:
    """``OurNeuralNetwork``'s ``values``: ``w1 … w6, b1 … b3`` in that order."""
    return exact(value, (9,), "values", "hold 9 numbers (w1 … w6, b1 … b3)")


def vector(value, name: str) -> np.ndarray:
    """A non-empty, finite 1-D float64 array (a neuron's weights)."""
    array = as_float_array(value, name, F64)
    if array.ndim != 1 or array.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {array.shape}")
    check_finite(array, name)
    return array


def rows(value, n_inputs: int, name: str) -> tuple[np.ndarray, bool]:
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


def labels(value, n_rows: int, name: str, rows_name: str) -> np.ndarray:
    """One finite target per row of ``rows_name``, as an ``(n_rows, 1)`` column.

    A 1-D array or an ``(n_rows, 1)`` column is accepted, and a single number for a single row.
    """
    array = as_float_array(value, name, F64)
    if array.ndim == 0 and n_rows == 1:
        array = array.reshape(1)
    return check_y(array, n_rows, 1, F64, name, rows_name)


def table(x, y) -> tuple[np.ndarray, np.ndarray]:
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


def column(value, name: str) -> tuple[np.ndarray, tuple[int, ...]]:
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


def points(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The perceptron's ``x`` and ``y`` (each as :func:`column` takes it) as ``(n, 1)`` columns
    of equal length."""
    X, _ = column(x, "x")
    Y, _ = column(y, "y")
    return X, check_y(Y, X.shape[0], 1, F64, "y", "x")


def one_point(x, y) -> tuple[np.ndarray, np.ndarray]:
    """:func:`points` for exactly one point (``descent_path``)."""
    X, Y = points(x, y)
    if X.shape[0] != 1:
        raise ValueError(f"x must be one point for descent_path, got {X.shape[0]} values")
    return X, Y
