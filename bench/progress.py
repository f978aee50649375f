"""A pytest plugin for ``python -m fastnn bench``: one line per benchmark on stderr as it runs.

``bench/report.py`` loads it (``-p bench.progress``) when it runs the benchmarks for a person at
a terminal, and sends pytest's own output (dots, pytest-benchmark's tables) to a log file. Each
benchmark then shows as ``[ 3/27] test_medium.py::test_w4_... passed in 12.3 s (1:05 so far)``:
which workload runs, how many are left and how long they take.
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}:{secs:02d}"


class BenchProgress:
    """Writes a line per test item to the real stderr (outside pytest's output capture)."""

    def __init__(self, config, stream=None):
        self.config = config
        self.stream = stream
        self.total = 0
        self.index = 0
        self.began = time.perf_counter()
        self.item_began = self.began
        self.outcome = "passed"

    def _write(self, text: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        capman = self.config.pluginmanager.getplugin("capturemanager")
        if capman is None:
            stream.write(text)
            stream.flush()
            return
        with capman.global_and_fixture_disabled():
            stream = self.stream if self.stream is not None else sys.stderr
            stream.write(text)
            stream.flush()

    def pytest_collection_finish(self, session) -> None:
        self.total = len(session.items)
        self._write(f"fastnn bench: {self.total} benchmarks\n")

    def pytest_runtest_logstart(self, nodeid, location) -> None:
        self.index += 1
        self.item_began = time.perf_counter()
        self.outcome = "passed"
        width = len(str(self.total))
        name = nodeid.split("/")[-1]
        self._write(f"[{self.index:>{width}}/{self.total}] {name} ")

    def pytest_runtest_logreport(self, report) -> None:
        if report.failed:
            self.outcome = "FAILED" if report.when == "call" else f"ERROR in {report.when}"
        elif report.skipped and self.outcome == "passed":
            self.outcome = "skipped"

    def pytest_runtest_logfinish(self, nodeid, location) -> None:
        now = time.perf_counter()
        self._write(
            f"{self.outcome} in {now - self.item_began:.1f} s ({_clock(now - self.began)} so far)\n"
        )


def pytest_configure(config) -> None:
    config.pluginmanager.register(BenchProgress(config), "fastnn-bench-progress")
