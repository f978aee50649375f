"""Learning-rate schedules (``fastnn.kernels.schedules._learning_rate``) against their numpy twin
(``fastnn.reference.schedules.learning_rate_at``).

The kernel receives its settings the way the training loop reads them, from the packed
``(hp, ic)`` of a :class:`fastnn.engine.TrainConfig`; so a setting packed into the wrong slot
fails here too. Every schedule over a range of epochs, including epoch 0, epochs past a cosine
schedule's end, step sizes of 1, and ``samples_seen`` from 0 to 10¹².
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close

from fastnn._config import HP, IC
from fastnn._names import SCHEDULE_NAMES
from fastnn.engine import TrainConfig
from fastnn.kernels.schedules import _learning_rate
from fastnn.reference.schedules import learning_rate_at

CONFIGS = {
    "constant": [dict(learning_rate=0.1), dict(learning_rate=3e-5)],
    "invscaling": [dict(power=0.5), dict(power=0.25, learning_rate=0.5), dict(power=0.0)],
    "step": [dict(step_size=1, gamma=0.5), dict(step_size=3, gamma=0.1), dict(gamma=1.0)],
    "cosine": [
        dict(schedule_epochs=1),
        dict(schedule_epochs=10, min_lr=1e-3),
        dict(schedule_epochs=7, min_lr=0.2, learning_rate=0.05),  # min_lr above η: increases
    ],
}
CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]
IDS = [f"{name}-{i}" for name, kws in CONFIGS.items() for i in range(len(kws))]
EPOCHS = [0, 1, 2, 3, 5, 6, 7, 9, 10, 11, 25, 1000]
SEEN = [0, 1, 7, 1000, 123_456, 10**12]


def kernel_rate(config, epoch, samples_seen):
    hp, ic = config.pack()
    return _learning_rate(
        ic[IC.schedule],
        hp[HP.learning_rate],
        hp[HP.power],
        hp[HP.gamma],
        ic[IC.step_size],
        hp[HP.min_lr],
        ic[IC.schedule_epochs],
        np.int64(epoch),
        np.int64(samples_seen),
    )


@pytest.mark.parametrize(("schedule", "kw"), CASES, ids=IDS)
def test_learning_rate_matches_reference(schedule, kw):
    config = TrainConfig(schedule=schedule, **kw)
    ref = np.array([[learning_rate_at(config, e, s) for s in SEEN] for e in EPOCHS])
    comp = np.array([[kernel_rate(config, e, s) for s in SEEN] for e in EPOCHS])
    assert np.isfinite(comp).all()
    for e, (c, r) in enumerate(zip(comp, ref, strict=True)):  # each epoch on its own scale
        assert_close(c, r, rtol=1e-12, what=f"{schedule} epoch {EPOCHS[e]}")


@pytest.mark.parametrize("schedule", SCHEDULE_NAMES)
def test_epoch_zero_with_nothing_seen_is_the_base_rate(schedule):
    config = TrainConfig(schedule=schedule, learning_rate=0.37, schedule_epochs=4)
    assert kernel_rate(config, 0, 0) == learning_rate_at(config, 0, 0) == 0.37


def test_schedules_change_the_rate():
    """Each schedule other than constant moves the rate between epochs (a dropped branch fails)."""
    for schedule in SCHEDULE_NAMES[1:]:
        config = TrainConfig(schedule=schedule, schedule_epochs=5, step_size=2)
        assert kernel_rate(config, 4, 100) < kernel_rate(config, 0, 0), schedule


def test_every_schedule_is_covered():
    assert set(CONFIGS) == set(SCHEDULE_NAMES)
