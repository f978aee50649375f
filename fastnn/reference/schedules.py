"""Learning-rate schedules in plain numpy (twin of :mod:`fastnn.kernels.schedules`)."""

from __future__ import annotations

import numpy as np


def learning_rate_at(config, epoch, rows_seen):
    """Learning rate of ``epoch`` (see ``schedule`` in :meth:`fastnn.MLP.fit`)."""
    lr = config.learning_rate
    if config.schedule == "invscaling":
        return lr / (1.0 + rows_seen) ** config.power
    if config.schedule == "step":
        return lr * config.gamma ** (epoch // config.step_size)
    if config.schedule == "cosine":
        e = min(epoch, config.schedule_epochs)
        return config.min_lr + (lr - config.min_lr) * 0.5 * (
            1.0 + np.cos(np.pi * e / config.schedule_epochs)
        )
    return lr
