"""The documentation tells the truth: docstring examples run, README's code and commands work."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
import subprocess
import textwrap
import warnings
from pathlib import Path

import pytest

import fastnn

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _modules():
    for info in pkgutil.walk_packages(fastnn.__path__, "fastnn."):
        if info.name.endswith("__main__"):
            continue
        yield info.name


#: Modules whose examples train for many epochs: slow when the kernels run as Python.
_SLOW_EXAMPLES = {"fastnn.classifier", "fastnn.sklearn", "fastnn._search"}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.slow_as_python) if name in _SLOW_EXAMPLES else name
        for name in sorted(_modules())
    ],
)
def test_docstring_examples(name):
    if name in ("fastnn.sklearn", "fastnn._search"):
        pytest.importorskip("sklearn")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


#: Put on the line before a block that cannot run here (the comment says why).
NOT_RUN = "<!-- readme-test: not run, "


def _python_blocks(text: str, runnable: bool = False) -> list[str]:
    """The fenced Python blocks of ``text``, indented ones (in list items) dedented; with
    ``runnable``, without those marked :data:`NOT_RUN`."""
    blocks = re.findall(r"^([^\n]*\n)([ \t]*)```python\n(.*?)^\2```", text, re.S | re.M)
    return [
        textwrap.dedent(code)
        for before, _, code in blocks
        if not (runnable and before.strip().startswith(NOT_RUN))
    ]


@pytest.mark.slow_as_python
def test_every_readme_python_block_runs(tmp_path, monkeypatch, capsys):
    """Every ```python block of the README runs, in order, in one namespace (later blocks use
    the tour's ``net``, ``X`` and ``y``), in a temporary directory and without a
    TrainingWarning; the claims the tour's comments make hold."""
    blocks = _python_blocks(README, runnable=True)
    assert len(blocks) >= 4  # the tour, progress, the engine, classification
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    ran = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastnn.TrainingWarning)
        for number, code in enumerate(blocks, 1):
            if _missing_extras(code):  # run by the tests of that extra (test_onnx, ...) instead
                continue
            exec(compile(code, f"README.md, python block {number}", "exec"), namespace)
            ran += 1
            if number == 1:  # the tour
                emily, frank = namespace["p"].ravel()
                assert round(emily, 2) == 0.97 and round(frank, 2) == 0.06
            if "good_enough" in code:  # progress: a bar on stderr, the callback stopped early
                assert "epoch" in capsys.readouterr().err
                assert namespace["net"].history_.stopped_by_callback
                assert namespace["losses"][-1] < 0.001 and len(namespace["losses"]) < 100_000
            if "labels_test" in code:  # the classification block: its accuracy claim
                clf = namespace["clf"]
                assert clf.score(namespace["X_test"], namespace["labels_test"]) > 0.85
    assert ran >= 4
    assert (tmp_path / "people.fnn").is_file()


def _missing_extras(code: str) -> list[str]:
    """The optional packages a README block imports that are not installed here."""
    imported = re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M)
    return [name for name in imported if importlib.util.find_spec(name) is None]


def test_readme_blocks_are_found():
    """The block pattern finds every fenced Python block (none slips past the test above)."""
    assert len(_python_blocks(README)) == len(re.findall(r"^[ \t]*```python\n", README, re.M))


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```\n(.*?)\n```", quick, re.S)
    assert len(commands) == 2
    demo, tests = commands
    assert demo.endswith("python -m fastnn demo")
    assert "pytest" in tests and "[test]" in tests
    # .ci/run extracts its command from between the markers: it must be the second one
    extracted = subprocess.run(
        [
            "bash",
            "-c",
            "sed -n '/<!-- ci:test-command -->/,/<!-- \\/ci:test-command -->/p' "
            "README.md | grep -v '^<!--' | grep -v '^```' | sed '/^[[:space:]]*$/d'",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == tests
