"""fastnn's benchmarks: the workloads of ``bench/WORKLOADS.md``, their runners, the report and
the CI gate.

The modules here are plain Python so that the report (:mod:`bench.report`), the gate
(:mod:`bench.gate`) and the tests in ``tests/`` can reuse them: :mod:`bench.workloads` (data,
networks, targets), :mod:`bench.baselines` (the tutorials' loops and vectorised numpy),
:mod:`bench.numba_peer` (W1's hand-written Numba loop), :mod:`bench.runners` (one way to run each
implementation) and :mod:`bench.harness` (interleaved timing). The pytest-benchmark suites are
the ``test_*.py`` files. Run ``pytest bench --benchmark-only`` for everything, ``-m quick`` for
the subset the gate uses.
"""
