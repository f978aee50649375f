"""fastnn's benchmarks: workloads W1–W8, their runners, the report and the CI gate.

The modules here are plain Python so that the report (:mod:`bench.report`), the gate
(:mod:`bench.gate`) and the tests in ``tests/`` can reuse them; the pytest-benchmark suites are the
``test_*.py`` files. Run ``pytest bench --benchmark-only`` for everything, ``-m quick`` for the
subset the gate uses.
"""
