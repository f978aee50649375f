"""The one name table: every activation, loss, optimizer, schedule and initialiser by name.

Kernels never receive Python functions or strings; they receive small integer codes. The codes
are not written down anywhere: each kind is an :class:`IntEnum` whose members are numbered in the
order they are declared (``Activation.SIGMOID == 1`` because it is declared second), and the name
tables are read off the enums. The kernels compare with the enum members
(``code == Activation.SIGMOID``), which Numba compiles as constants; the Python side turns names
into codes with :func:`lookup`. The reference twin never sees a code: it works with the names.

Parameterised entries carry a default parameter: ``leaky_relu`` has a negative-side slope
(0.01), ``elu`` its ``alpha`` (1.0), and ``huber`` its ``delta`` (1.0).
"""

from __future__ import annotations

from enum import IntEnum, auto


class _Codes(IntEnum):
    """Members numbered 0, 1, 2, … in the order they are declared (``auto()`` counts from 0)."""

    @staticmethod
    def _generate_next_value_(name, start, count, last_values):
        return count


def _table(codes: type[IntEnum]) -> dict[str, int]:
    return {member.name.lower(): member for member in codes}


def _names(codes: type[IntEnum]) -> tuple[str, ...]:
    return tuple(member.name.lower() for member in codes)


class Activation(_Codes):
    IDENTITY = auto()
    SIGMOID = auto()
    TANH = auto()
    RELU = auto()
    LEAKY_RELU = auto()
    ELU = auto()
    SOFTPLUS = auto()
    SOFTMAX = auto()
    EXP = auto()  # new members go last, so that the codes of the others never change


class Loss(_Codes):
    MSE = auto()
    SSE = auto()
    MAE = auto()
    HUBER = auto()
    BINARY_CROSSENTROPY = auto()
    CATEGORICAL_CROSSENTROPY = auto()
    POISSON = auto()


class Update(_Codes):
    """The update rules of the kernels; the public optimizer "sgd" is one of the first three,
    chosen by its momentum and nesterov arguments."""

    SGD = auto()
    MOMENTUM = auto()
    NESTEROV = auto()
    ADAM = auto()
    ADAMW = auto()
    RMSPROP = auto()


class Schedule(_Codes):
    CONSTANT = auto()
    INVSCALING = auto()
    STEP = auto()
    COSINE = auto()


class Status(_Codes):
    """What a training kernel returns."""

    OK = auto()
    EARLY_STOP = auto()
    DIVERGED = auto()


ACTIVATION_NAMES = _names(Activation)
LOSS_NAMES = _names(Loss)
UPDATE_NAMES = _names(Update)
SCHEDULE_NAMES = _names(Schedule)
STATUS_NAMES = _names(Status)

ACTIVATIONS = _table(Activation)
LOSSES = _table(Loss)
SCHEDULES = _table(Schedule)
UPDATES = _table(Update)
#: The optimizers a user names (``fit(optimizer=...)``).
OPTIMIZERS = {name: code for name, code in UPDATES.items() if name not in ("momentum", "nesterov")}

ACTIVATION_DEFAULT_PARAM = {"leaky_relu": 0.01, "elu": 1.0}
LOSS_DEFAULT_PARAM = {"huber": 1.0}
#: Losses that need a particular output activation: they are computed from its input (the logits).
LOSS_REQUIRES_OUTPUT = {
    "binary_crossentropy": "sigmoid",
    "categorical_crossentropy": "softmax",
    "poisson": "exp",
}

INITS = ("normal", "uniform", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal")


def lookup(table: dict, name: object, argument: str) -> int:
    """Return the code of ``name`` in ``table`` or raise an error naming ``argument``."""
    if not isinstance(name, str):
        raise TypeError(
            f"{argument} must be a string naming one of {sorted(table)}, got {type(name).__name__}"
        )
    try:
        return table[name]
    except KeyError:
        raise ValueError(
            f"{argument}: unknown name {name!r}; expected one of {sorted(table)}"
        ) from None
