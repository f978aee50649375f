"""Refactorings change no result: fixed-seed runs replayed against their recorded arrays.

The cases are in :mod:`tests.golden_cases`. On the CPU the recording was made on, every array
must match bit for bit; elsewhere (another vector width or BLAS kernel, or kernels run as Python)
to 1e-12 relative.
"""

from __future__ import annotations

import json

import golden_cases as cases
import numpy as np
import pytest
from conftest import JIT_DISABLED, assert_close

RECORDED = dict(np.load(cases.GOLDEN))
#: Bit for bit only where the recording was made, and only compiled: kernels run as Python
#: (NUMBA_DISABLE_JIT=1) round differently and are held to the tolerance used across CPUs.
SAME_CPU = (
    json.loads(cases.GOLDEN_META.read_text())["host_cpu"] == cases.host_cpu() and not JIT_DISABLED
)


#: Results changed on purpose since the recording, each compared to 1e-12 relative instead:
#: L-BFGS's L2 penalty now comes from the L2 kernel of the twin (summed in a loop, not by a
#: BLAS dot product), which moves θ by rounding steps (2e-15 measured).
CHANGED = {"sklearn/clf_lbfgs_theta": 1e-12}


def _compare(key, value):
    expected = RECORDED[key]
    if key in CHANGED:
        assert_close(value, expected, rtol=CHANGED[key], what=key)
    elif SAME_CPU:
        assert value.dtype == expected.dtype, key
        assert np.array_equal(value, expected), (
            f"{key}: differs from the recording (max abs difference "
            f"{np.max(np.abs(value.astype(float) - expected.astype(float))):.3e})"
        )
    else:
        # a float32 case's loss history is float64 holding float32 sums
        rtol = 1e-5 if value.dtype == np.float32 or "float32" in key else 1e-12
        assert_close(value, expected, rtol=rtol, what=key)


@pytest.mark.parametrize("side", ["compiled", "reference"])
@pytest.mark.parametrize("name", sorted(cases.MLP_CASES))
def test_mlp_case_unchanged(side, name):
    import fastnn
    import fastnn.reference

    module = fastnn if side == "compiled" else fastnn.reference
    result = cases.run_mlp(module, name)
    recorded = {k.split("/")[2] for k in RECORDED if k.startswith(f"{side}/{name}/")}
    assert recorded == set(result)
    for key, value in result.items():
        _compare(f"{side}/{name}/{key}", np.asarray(value))


@pytest.mark.parametrize("side", ["compiled", "reference"])
def test_classifier_unchanged(side):
    import fastnn
    import fastnn.reference

    module = fastnn if side == "compiled" else fastnn.reference
    for key, value in cases.run_classifier(module).items():
        _compare(f"{side}/classifier/{key}", np.asarray(value))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_unchanged():
    pytest.importorskip("sklearn")
    result = cases.run_sklearn()
    assert {k.split("/", 1)[1] for k in RECORDED if k.startswith("sklearn/")} == set(result)
    for key, value in result.items():
        _compare(f"sklearn/{key}", np.asarray(value))
