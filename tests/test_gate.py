"""The CI performance gate (bench/gate.py): its logic, and that it catches a real regression."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if (ROOT / "bench" / "gate.py").exists() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
gate = pytest.importorskip("bench.gate", reason="bench/ is not in this checkout")


def bench(workload, impl, seconds, **extra):
    return {
        "extra_info": {"workload": workload, "impl": impl, **extra},
        "stats": {"median": seconds},
    }


FLOORS = {"W1": 20.0, "W4": 1.2}


def results(w1_fast=1e-3, w4_fast=0.1, allocations=(32, 32)):
    small, large = allocations
    counts = {"small": small, "small_steps": 100, "large": large, "large_steps": 400}
    return {
        "benchmarks": [
            bench("W1", "fastnn", w1_fast, nrt_allocations=counts),
            bench("W1", "reference", 0.3),
            bench("W4", "fastnn", w4_fast),
            bench("W4", "reference", 0.25),
            bench("W5", "fastnn", 1.0),  # workloads without a floor are ignored
        ]
    }


def by_name(checks):
    return {c.name.split()[0] + (" alloc" if "allocations" in c.name else ""): c for c in checks}


def test_gate_passes_when_every_ratio_is_above_its_floor():
    checks = gate.evaluate(results(), FLOORS, ("W1",))
    assert [c.passed for c in checks] == [True, True, True]
    assert "300.0x" in by_name(checks)["W1"].detail


def test_gate_fails_when_a_ratio_drops_under_its_floor():
    # W4: fastnn as slow as the reference (ratio 1.0) — what a fallback to Python looks like
    checks = by_name(gate.evaluate(results(w4_fast=0.25), FLOORS, ("W1",)))
    assert not checks["W4"].passed
    assert "1.0x (floor 1.2x" in checks["W4"].detail
    assert checks["W1"].passed
    # W1 just under its floor fails; just over passes
    assert not by_name(gate.evaluate(results(w1_fast=0.3 / 19.9), FLOORS, ()))["W1"].passed
    assert by_name(gate.evaluate(results(w1_fast=0.3 / 20.1), FLOORS, ()))["W1"].passed


def test_gate_fails_when_a_measurement_is_missing():
    data = results()
    data["benchmarks"] = [b for b in data["benchmarks"] if b["extra_info"]["impl"] != "reference"]
    checks = gate.evaluate(data, FLOORS, ("W1",))
    assert not any(c.passed for c in checks if "speed-up" in c.name)
    assert all("reference missing" in c.detail for c in checks if "speed-up" in c.name)
    assert not gate.evaluate({"benchmarks": []}, FLOORS, ("W1",))[-1].passed


def test_gate_fails_when_allocations_grow_with_steps():
    checks = by_name(gate.evaluate(results(allocations=(32, 32 + 300)), FLOORS, ("W1",)))
    assert not checks["W1 alloc"].passed
    assert "332 for 400 steps" in checks["W1 alloc"].detail


def test_gate_main_exit_status(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(gate, "FLOORS", FLOORS)
    monkeypatch.setattr(gate, "ALLOCATION_CHECKS", ("W1",))
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(results()))
    bad.write_text(json.dumps(results(w1_fast=0.1)))
    assert gate.main([str(good)]) == 0
    assert "all 3 checks passed" in capsys.readouterr().out
    assert gate.main([str(bad)]) == 1
    out = capsys.readouterr().out
    assert "FAIL  W1 speed-up over the reference: 3.0x (floor 20x" in out


@pytest.mark.needs_jit
def test_gate_passes_for_the_compiled_kernels_and_fails_for_the_reference(monkeypatch):
    """One real measurement (W2, the 3-4-1 tutorial network) against the real floor: the
    compiled MLP passes; the same gate with fastnn.MLP replaced by the numpy reference fails."""
    import fastnn
    import fastnn.reference
    from bench.floors import FLOORS as REAL_FLOORS

    floors = {"W2": REAL_FLOORS["W2"]}
    real = gate.evaluate(gate.measure(["W2"], rounds=3), floors, ())
    assert real[0].passed, real[0].detail

    monkeypatch.setattr(fastnn, "MLP", fastnn.reference.MLP)
    slowed = gate.evaluate(gate.measure(["W2"], rounds=3), floors, ())
    assert not slowed[0].passed, slowed[0].detail


@pytest.mark.parametrize("second_w4", [0.1, 0.25], ids=["noise", "regression"])
def test_gate_measures_a_failed_workload_again(monkeypatch, capsys, second_w4):
    """Run by itself, the gate re-measures only what failed: a one-off slow run passes on the
    second measurement, a real regression fails both."""
    monkeypatch.setattr(gate, "FLOORS", FLOORS)
    monkeypatch.setattr(gate, "ALLOCATION_CHECKS", ("W1",))
    calls = []

    def fake_run(path, quick=False, extra_args=()):
        calls.append(list(extra_args))
        data = results(w4_fast=0.25) if len(calls) == 1 else results(w4_fast=second_w4)
        if len(calls) > 1:  # the retry measures only W4
            data["benchmarks"] = [
                b for b in data["benchmarks"] if b["extra_info"]["workload"] == "W4"
            ]
        Path(path).write_text(json.dumps(data))
        return 0

    monkeypatch.setattr(gate, "run_benchmarks", fake_run)
    status = gate.main([])
    assert calls == [[], ["-k", "test_w4_"]]
    out = capsys.readouterr().out
    assert "measuring W4 again" in out
    if second_w4 == 0.1:
        assert status == 0 and out.rstrip().endswith("all 3 checks passed")
    else:
        assert status == 1 and "FAIL  W4 speed-up" in out.splitlines()[-3]
