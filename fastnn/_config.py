"""Training settings, and the kernel calling convention for them, declared once.

:class:`TrainConfig` is what a training run is configured with (:meth:`fastnn.MLP.fit` builds
one from its arguments; :func:`fastnn.engine.train` takes one). The reference twin reads its
fields by name. The compiled training loop receives two small arrays instead, so that its
signature stays the same whatever the settings (one compilation per dtype):

* ``hp`` (float64): the fields of :class:`FloatSettings`, in their declared order;
* ``ic`` (int64): the fields of :class:`IntSettings`, in their declared order.

The slot numbers are generated from those declarations: a kernel reads ``hp[HP.momentum]``,
where ``HP`` is a tuple holding each field's position (Numba compiles it as a constant). Adding a
setting is one field in :class:`TrainConfig`, one in a settings tuple and its use in a kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import numpy as np

from ._names import OPTIMIZERS, SCHEDULES, UPDATES


class FloatSettings(NamedTuple):
    """The float settings a training kernel reads, in slot order (``hp``)."""

    learning_rate: float
    momentum: float
    beta1: float
    beta2: float
    eps: float
    rho: float
    weight_decay: float
    l2: float
    clip_norm: float
    power: float
    gamma: float
    min_lr: float
    loss_scale: float
    tol: float


class IntSettings(NamedTuple):
    """The integer settings a training kernel reads, in slot order (``ic``)."""

    update: int  # the update rule (fastnn._names.Update), from optimizer, momentum, nesterov
    schedule: int  # fastnn._names.Schedule
    step_size: int
    schedule_epochs: int
    batch_size: int
    patience: int
    loss_every: int
    l2_per_batch: int


def _slots(settings: Any) -> Any:
    """An instance of ``settings`` holding each field's own position: ``HP.momentum == 1``."""
    return settings._make(range(len(settings._fields)))


#: Slot of each float setting in ``hp``.
HP = _slots(FloatSettings)
#: Slot of each integer setting in ``ic``.
IC = _slots(IntSettings)


@dataclass(frozen=True)
class TrainConfig:
    """Everything one training run needs besides data and parameters.

    Attributes
    ----------
    optimizer : str
        ``"sgd"``, ``"adam"``, ``"adamw"`` or ``"rmsprop"``.
    learning_rate : float
        Base step size η (before the schedule).
    momentum, nesterov : float, bool
        SGD momentum μ and whether it is Nesterov momentum (PyTorch's formulation).
    beta1, beta2, eps : float
        Adam/AdamW moment decay rates and the denominator's ε (also RMSprop's ε).
    rho : float
        RMSprop's decay rate of the squared-gradient average.
    weight_decay : float
        AdamW's decoupled weight decay (weights only).
    l2 : float
        L2 penalty ``0.5 * l2 * Σ W²`` added to the loss (weights only, not biases).
    l2_per_batch : bool
        Divide the L2 penalty by each batch's weight sum: the penalty is then counted once per
        unit of sample weight, as in the objective ``(Σ w_i ℓ_i + ½ l2 ΣW²) / Σ w_i`` that
        scikit-learn's MLPs minimise with ``alpha=l2``.
    clip_norm : float
        Clip the gradient to this global L2 norm (0: no clipping).
    schedule : str
        ``"constant"``, ``"invscaling"``, ``"step"`` or ``"cosine"``.
    power, step_size, gamma, min_lr, schedule_epochs
        Schedule parameters: inverse-scaling power; step decay every ``step_size`` epochs by
        ``gamma``; cosine annealing from η to ``min_lr`` over ``schedule_epochs`` epochs.
    batch_size : int
        Rows per gradient step (1: per-sample SGD; the data size: full batch).
    patience : int
        Stop after this many epochs without improvement and restore the best θ (0: never).
    tol : float
        An epoch improves on the best loss only if lower by more than ``tol``.
    loss_every : int
        Also evaluate the loss on the whole training set after epochs 0, k, 2k, … (0: never).
    loss_scale : float
        Factor applied to the data term of the loss and its gradient (not to the L2 penalty);
        1 for the losses as documented. Objectives such as ``½ Σ_outputs mean_rows (p - y)²``
        are ``mse`` with ``loss_scale = n_outputs / 2``.
    """

    optimizer: str = "sgd"
    learning_rate: float = 0.01
    momentum: float = 0.0
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    rho: float = 0.99
    weight_decay: float = 0.0
    l2: float = 0.0
    l2_per_batch: bool = False
    clip_norm: float = 0.0
    schedule: str = "constant"
    power: float = 0.5
    step_size: int = 1
    gamma: float = 0.1
    min_lr: float = 0.0
    schedule_epochs: int = 1
    batch_size: int = 1
    patience: int = 0
    tol: float = 0.0
    loss_every: int = 0
    loss_scale: float = 1.0

    @property
    def update(self) -> str:
        """The update rule: the optimizer's name, or ``"momentum"``/``"nesterov"`` for SGD."""
        if self.optimizer == "sgd" and self.momentum != 0.0:
            return "nesterov" if self.nesterov else "momentum"
        return self.optimizer

    def pack(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(hp, ic)`` arrays read by the compiled training loop.

        Packed once per configuration (a ``fit`` packs it for every chunk of epochs) and
        shared: the kernels only read them, and so must every caller.
        """
        return _packed(self)

    def _pack(self) -> tuple[np.ndarray, np.ndarray]:
        if self.optimizer not in OPTIMIZERS or self.schedule not in SCHEDULES:
            raise ValueError(f"unknown optimizer or schedule in {self!r}")
        codes = {"update": UPDATES[self.update], "schedule": SCHEDULES[self.schedule]}
        floats = FloatSettings(*(float(getattr(self, f)) for f in FloatSettings._fields))
        ints = IntSettings(*(int(codes.get(f, getattr(self, f, 0))) for f in IntSettings._fields))
        return np.array(floats, dtype=np.float64), np.array(ints, dtype=np.int64)


@lru_cache(maxsize=64)
def _packed(config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    return config._pack()
