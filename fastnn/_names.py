"""The one name table: every activation, loss, optimizer, schedule and initialiser by name.

Kernels never receive Python functions; they receive the small integer codes defined here
(a function argument would compile a new kernel per function and defeat the disk cache).
The reference implementation uses the same names, so a network described by names means the
same thing on both sides.

Parameterised entries carry a default parameter: ``leaky_relu`` has a negative-side slope
(0.01), ``elu`` its ``alpha`` (1.0), and ``huber`` its ``delta`` (1.0).
"""

from __future__ import annotations

# --- activations -------------------------------------------------------------------------------
IDENTITY = 0
SIGMOID = 1
TANH = 2
RELU = 3
LEAKY_RELU = 4
ELU = 5
SOFTPLUS = 6
SOFTMAX = 7

ACTIVATIONS = {
    "identity": IDENTITY,
    "sigmoid": SIGMOID,
    "tanh": TANH,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "elu": ELU,
    "softplus": SOFTPLUS,
    "softmax": SOFTMAX,
}
ACTIVATION_DEFAULT_PARAM = {"leaky_relu": 0.01, "elu": 1.0}

# --- losses ------------------------------------------------------------------------------------
MSE = 0
SSE = 1
MAE = 2
HUBER = 3
BINARY_CROSSENTROPY = 4
CATEGORICAL_CROSSENTROPY = 5

LOSSES = {
    "mse": MSE,
    "sse": SSE,
    "mae": MAE,
    "huber": HUBER,
    "binary_crossentropy": BINARY_CROSSENTROPY,
    "categorical_crossentropy": CATEGORICAL_CROSSENTROPY,
}
LOSS_DEFAULT_PARAM = {"huber": 1.0}
#: Losses that are sums over samples rather than means (the epoch loss adds batch losses).
SUM_LOSSES = frozenset({"sse"})
#: Losses that need a particular output activation: they are computed from its input (the logits).
LOSS_REQUIRES_OUTPUT = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax"}

# --- optimizers --------------------------------------------------------------------------------
OPT_SGD = 0
OPT_ADAM = 1
OPT_ADAMW = 2
OPT_RMSPROP = 3

OPTIMIZERS = {"sgd": OPT_SGD, "adam": OPT_ADAM, "adamw": OPT_ADAMW, "rmsprop": OPT_RMSPROP}

# --- learning-rate schedules -------------------------------------------------------------------
SCHED_CONSTANT = 0
SCHED_INVSCALING = 1
SCHED_STEP = 2
SCHED_COSINE = 3

SCHEDULES = {
    "constant": SCHED_CONSTANT,
    "invscaling": SCHED_INVSCALING,
    "step": SCHED_STEP,
    "cosine": SCHED_COSINE,
}

# --- initialisers ------------------------------------------------------------------------------
INITS = ("normal", "uniform", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal")

# --- training status codes returned by the training loops --------------------------------------
STATUS_OK = 0
STATUS_EARLY_STOP = 1
STATUS_DIVERGED = 2


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
