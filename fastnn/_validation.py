"""Input checks shared by the compiled and the reference models.

Every public entry point converts its inputs here *before* any kernel runs, so kernels only ever
see C-contiguous, aligned, writeable arrays of the model's dtype (one compiled version per dtype)
and never raise. Each error names the argument and says what was expected.
"""

from __future__ import annotations

import math
import numbers
from typing import SupportsFloat, cast

import numpy as np


def _describe(value: object) -> str:
    return type(value).__name__


def check_int(value: object, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum`` (bools and non-integral floats are refused)."""
    if type(value) is not int and (
        isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral)
    ):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {_describe(value)} {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value}")
    return value


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
    value = float(cast(SupportsFloat, value))  # a real number, as just checked
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


def check_sample_weight(
    sample_weight: object, n_rows: int, dtype: np.dtype, name: str = "sample_weight"
) -> np.ndarray:
    """Sample weights as a 1-D array of ``n_rows`` non-negative finite values (empty: none)."""
    if sample_weight is None:
        return np.empty(0, dtype=dtype)
    array = as_float_array(sample_weight, name, dtype)
    if array.ndim != 1 or array.shape[0] != n_rows:
        raise ValueError(
            f"{name} must have shape ({n_rows},), one weight per row, got shape {array.shape}"
        )
    check_finite(array, name)
    if (array < 0).any():
        raise ValueError(f"{name} must be >= 0 everywhere")
    if not array.sum() > 0:
        raise ValueError(f"{name} must have a positive sum")
    return array
