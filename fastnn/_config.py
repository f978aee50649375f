"""Training settings, and how they are packed into the two small arrays the kernels read.

:class:`TrainConfig` is what :meth:`fastnn.MLP.fit` builds from its arguments. The reference
implementation reads its fields by name; the compiled training loop receives
:meth:`TrainConfig.pack`'s ``(hp, ic)`` arrays and reads them with the index constants below, so the
kernel signature stays the same whatever the settings (one compilation per dtype).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._names import OPT_SGD, SCHED_CONSTANT

# float settings: hp[...]
HP_LR = 0
HP_MOMENTUM = 1
HP_BETA1 = 2
HP_BETA2 = 3
HP_EPS = 4
HP_RHO = 5
HP_WEIGHT_DECAY = 6
HP_L2 = 7
HP_CLIP_NORM = 8
HP_POWER = 9
HP_GAMMA = 10
HP_MIN_LR = 11
HP_LOSS_SCALE = 12
HP_TOL = 13
HP_SIZE = 14

# integer settings: ic[...]
IC_OPTIMIZER = 0
IC_NESTEROV = 1
IC_SCHEDULE = 2
IC_STEP_SIZE = 3
IC_SCHEDULE_EPOCHS = 4
IC_BATCH_SIZE = 5
IC_PATIENCE = 6
IC_LOSS_EVERY = 7
IC_L2_PER_BATCH = 8
IC_SIZE = 9


@dataclass(frozen=True)
class TrainConfig:
    """Everything one call of the training loop needs besides data and parameters.

    Attributes
    ----------
    optimizer : int
        Optimizer code (:data:`fastnn._names.OPTIMIZERS`).
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
        Divide the L2 penalty by each batch's weight sum (scikit-learn's ``alpha`` convention).
    clip_norm : float
        Clip the gradient to this global L2 norm (0: no clipping).
    schedule : int
        Learning-rate schedule code (:data:`fastnn._names.SCHEDULES`).
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
        Factor applied to the data loss and its gradient (1 for the standard losses).
    """

    optimizer: int = OPT_SGD
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
    schedule: int = SCHED_CONSTANT
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

    def pack(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(hp, ic)`` arrays read by the compiled training loop."""
        floats = {
            HP_LR: self.learning_rate,
            HP_MOMENTUM: self.momentum,
            HP_BETA1: self.beta1,
            HP_BETA2: self.beta2,
            HP_EPS: self.eps,
            HP_RHO: self.rho,
            HP_WEIGHT_DECAY: self.weight_decay,
            HP_L2: self.l2,
            HP_CLIP_NORM: self.clip_norm,
            HP_POWER: self.power,
            HP_GAMMA: self.gamma,
            HP_MIN_LR: self.min_lr,
            HP_LOSS_SCALE: self.loss_scale,
            HP_TOL: self.tol,
        }
        ints = {
            IC_OPTIMIZER: self.optimizer,
            IC_NESTEROV: int(self.nesterov),
            IC_SCHEDULE: self.schedule,
            IC_STEP_SIZE: self.step_size,
            IC_SCHEDULE_EPOCHS: self.schedule_epochs,
            IC_BATCH_SIZE: self.batch_size,
            IC_PATIENCE: self.patience,
            IC_LOSS_EVERY: self.loss_every,
            IC_L2_PER_BATCH: int(self.l2_per_batch),
        }
        hp = np.array([floats[i] for i in range(HP_SIZE)], dtype=np.float64)
        ic = np.array([ints[i] for i in range(IC_SIZE)], dtype=np.int64)
        return hp, ic
