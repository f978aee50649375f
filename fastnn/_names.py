"""The one name table: every activation, loss, optimizer, schedule and initialiser by name.

Kernels never receive Python functions or strings; they receive small integer codes. The codes
are not written down anywhere: each table below is a tuple of names, and its :class:`IntEnum`
numbers them in that order (``Activation.SIGMOID == 1`` because ``"sigmoid"`` is second). The
kernels compare with the enum members (``code == Activation.SIGMOID``), which Numba compiles as
constants; the Python side turns names into codes with :func:`lookup`. The reference twin never
sees a code: it works with the names.

Parameterised entries carry a default parameter: ``leaky_relu`` has a negative-side slope
(0.01), ``elu`` its ``alpha`` (1.0), and ``huber`` its ``delta`` (1.0).
"""

from __future__ import annotations

from enum import IntEnum


def _codes(kind: str, names: tuple[str, ...]) -> type[IntEnum]:
    """An IntEnum numbering ``names`` 0, 1, 2, … in order, members named in upper case."""
    return IntEnum(kind, [(name.upper(), code) for code, name in enumerate(names)])  # type: ignore[return-value]


def _table(codes: type[IntEnum]) -> dict[str, int]:
    return {member.name.lower(): member for member in codes}


ACTIVATION_NAMES = (
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "softmax",
    "exp",
)
#: New names go at the end of each tuple, so the codes of the existing ones never change.
LOSS_NAMES = (
    "mse",
    "sse",
    "mae",
    "huber",
    "binary_crossentropy",
    "categorical_crossentropy",
    "poisson",
)
#: The update rules of the kernels; the public optimizer "sgd" is one of the first three,
#: chosen by its momentum and nesterov arguments.
UPDATE_NAMES = ("sgd", "momentum", "nesterov", "adam", "adamw", "rmsprop")
SCHEDULE_NAMES = ("constant", "invscaling", "step", "cosine")
STATUS_NAMES = ("ok", "early_stop", "diverged")

Activation = _codes("Activation", ACTIVATION_NAMES)
Loss = _codes("Loss", LOSS_NAMES)
Update = _codes("Update", UPDATE_NAMES)
Schedule = _codes("Schedule", SCHEDULE_NAMES)
#: What a training kernel returns.
Status = _codes("Status", STATUS_NAMES)

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
