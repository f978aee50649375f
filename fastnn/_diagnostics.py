"""End-of-fit health checks: :class:`TrainingWarning` when training visibly went wrong.

After a successful :meth:`fastnn.MLP.fit` (and so :meth:`fastnn.Classifier.fit`), on both twins
alike, :func:`warn_if_unhealthy` looks at two things:

* the history: the last epoch's training loss is not below the first epoch's;
* the hidden layers, on at most :data:`CHECK_ROWS` evenly spaced training rows (one forward
  pass, no random draw): a relu layer whose every unit is zero on every row (dead), or a
  sigmoid/tanh layer whose values all but sit at the function's limits — at least
  :data:`SATURATED_SHARE` of them within :data:`SATURATION` (saturated). Either stops the
  gradients, so the layer has stopped learning. (Healthy networks can have most of their
  sigmoid units near 0 or 1 — the 2-2-1 tutorial network has three quarters — so the bar is
  high.)

Each finding is one :class:`TrainingWarning` naming the likely cause — inputs not scaled when
they are large, otherwise a learning rate too large. The check costs one forward pass over a few
hundred rows, bounded by :data:`CHECK_WORK`, next to a whole training run.
"""

from __future__ import annotations

import os
import sys
import warnings
from itertools import accumulate
from types import FrameType

import numpy as np

__all__ = ["TrainingWarning", "warn_if_unhealthy"]

#: At most this many training rows are looked at.
CHECK_ROWS = 256
#: ... and at most about this many row × parameter units of work (at least 16 rows).
CHECK_WORK = 8_000_000
#: A sigmoid or tanh value within this distance of its limits counts as saturated.
SATURATION = 1e-3
#: A sigmoid or tanh layer is saturated when at least this share of its values is.
SATURATED_SHARE = 0.99
#: Inputs larger than this (in absolute value) are called "not scaled" in the messages.
LARGE_INPUT = 10.0

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


class TrainingWarning(UserWarning):
    """Training finished but looks unhealthy: the loss did not fall, or a hidden layer is dead
    (relu outputs all zero) or saturated (sigmoid/tanh at their limits) on the training data.

    The message names the likely cause: a learning rate too large, or inputs not scaled.
    Silence it with ``warnings.simplefilter("ignore", fastnn.TrainingWarning)``.
    """


def _stacklevel() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside the package."""
    frame: FrameType | None = sys._getframe(1)  # the caller of this function is level 1
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    return level


def _cause(X: np.ndarray, learning_rate: float, kind: str) -> str:
    """The likely cause of a finding of ``kind`` (``rose``, ``flat``, ``dead``, ``saturated``)."""
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    if largest > LARGE_INPUT:
        return (
            f"the inputs are probably not scaled (|X| reaches {largest:.3g}): standardise each "
            f"feature (zero mean, unit variance), or lower learning_rate ({learning_rate:g})"
        )
    if kind == "flat":
        return (
            f"the learning rate may be too small for this many epochs (learning_rate="
            f"{learning_rate:g}), or too large if a hidden layer is dead or saturated"
        )
    if kind == "dead":
        return (
            f"the learning rate is probably too large (learning_rate={learning_rate:g}), or the "
            "layer too narrow to survive its initialisation: lower the rate or widen the layer"
        )
    return f"the learning rate is probably too large (learning_rate={learning_rate:g}): lower it"


def _rows(X: np.ndarray, n_params: int) -> np.ndarray:
    limit = int(min(CHECK_ROWS, max(16, CHECK_WORK // max(1, n_params))))
    n = X.shape[0]
    if n <= limit:
        return X
    return X[(np.arange(limit) * n) // limit]  # evenly spaced, no random draw


def findings(model, X: np.ndarray, history, learning_rate: float) -> list[str]:
    """What looks wrong after training ``model`` on the (checked) rows ``X``."""
    found = []
    loss = history.loss
    if loss.shape[0] >= 2:
        first, last = float(loss[0]), float(loss[-1])
        if last > first:
            found.append(
                f"the training loss rose from {first:.4g} in the first epoch to {last:.4g} in "
                f"epoch {loss.shape[0]}; {_cause(X, learning_rate, 'rose')}"
            )
        elif last == first and last != 0.0:  # 0: a perfect fit from the start
            found.append(
                f"the training loss did not decrease: {last:.4g} in epoch {loss.shape[0]} as in "
                f"the first; {_cause(X, learning_rate, 'flat')}"
            )
    hidden = [
        (k, name)
        for k, name in enumerate(model.activations[:-1])
        if name in ("relu", "sigmoid", "tanh")
    ]
    if not hidden:
        return found
    rows = _rows(X, model.n_params)
    flat = model._layer_outputs_rows(rows)
    starts = list(accumulate(model.layer_sizes[1:], initial=0))
    for k, name in hidden:
        values = flat[:, starts[k] : starts[k + 1]]
        where = f"hidden layer {k + 1} ({name}, {values.shape[1]} units)"
        if name == "relu":
            if not (values > 0).any():
                found.append(
                    f"{where} is dead: every unit outputs 0 on the {rows.shape[0]} training rows "
                    "checked, so no gradient reaches the layers below; "
                    + _cause(X, learning_rate, "dead")
                )
            continue
        low, high = (0.0, 1.0) if name == "sigmoid" else (-1.0, 1.0)
        near = (values <= low + SATURATION) | (values >= high - SATURATION)
        share = np.count_nonzero(near) / near.size  # as .mean(), without its overhead
        if share >= SATURATED_SHARE:
            found.append(
                f"{where} is saturated: {share:.1%} of its values are within {SATURATION:g} of "
                f"{low:g} or {high:g} on the {rows.shape[0]} training rows checked, so its "
                f"gradients vanish; {_cause(X, learning_rate, 'saturated')}"
            )
    return found


def warn_if_unhealthy(model, X: np.ndarray, history, learning_rate: float) -> None:
    """Issue one :class:`TrainingWarning` per finding of :func:`findings`."""
    for message in findings(model, X, history, learning_rate):
        warnings.warn(TrainingWarning(message), stacklevel=_stacklevel())
