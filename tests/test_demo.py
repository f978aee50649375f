"""``python -m fastnn demo``: the walkthrough it prints, the PNG figures it writes, the CLI."""

from __future__ import annotations

import contextlib
import io
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

from fastnn import demo
from fastnn.__main__ import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    with open(path, "rb") as fh:
        head = fh.read(24)
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR", f"{path} has no IHDR chunk first"
    return struct.unpack(">II", head[16:24])


def assert_pngs(directory) -> None:
    names = sorted(os.listdir(directory))
    assert names == sorted(demo.FIGURES), names  # and no temporary files left behind
    for name in demo.FIGURES:
        path = os.path.join(directory, name)
        assert os.path.getsize(path) > 5000, name
        width, height = png_size(path)
        assert width >= 300 and height >= 200, (name, width, height)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """``main(["demo", ...])`` in this process: exit status, printed text, output directory."""
    out = tmp_path_factory.mktemp("demo") / "figures"
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        status = main(["demo", "--out", str(out), "--repeats", "2"])
    return status, text.getvalue(), out


def test_demo_prints_all_three_walkthroughs(demo_run):
    status, text, _ = demo_run
    assert status == 0
    for heading in ("== 1. A 2-2-1 network", "== 2. NeuralNetwork(x, y)", "== 3. The perceptron"):
        assert heading in text
    assert "Numba warm-up" in text and "not counted in the times below" in text
    assert text.count("reference (plain numpy) ...") == 3
    assert text.count("x faster") == 3 and "== Summary" in text
    # the seeds' numbers, printed for both implementations
    assert text.count("0.7216325609518421") == 2
    assert text.count("y_pred 98.93169381, error -134.06830619, loss 17974.3107,") == 2
    assert text.count("dL/dm -4769.1686, dL/db -268.1366") == 2
    assert text.count("dL/dm -1544.1194, dL/db -142.3783 -> m 6.5441, b 10.1424") == 2
    assert text.count("m = 11.2349, b = 25.0117") == 2
    assert "m = 11.2137, b = 25.2528" in text


def test_demo_writes_the_figures(demo_run):
    pytest.importorskip("matplotlib")
    status, text, out = demo_run
    assert status == 0
    assert_pngs(out)
    for name in demo.FIGURES:
        assert os.path.join(str(out), name) in text


@pytest.mark.slow_as_python
def test_demo_result_holds_matching_numbers():
    result = demo.run_demo(plots=False, repeats=1, stream=io.StringIO())
    assert result.figures == [] and result.warmup_s > 0
    assert set(result.timings) == {"2-2-1", "3-4-1", "perceptron"}
    for timing in result.timings.values():
        assert timing.reference_s > 0 and timing.fastnn_s > 0
        assert timing.speedup == timing.reference_s / timing.fastnn_s
    values = result.values
    assert values["2-2-1"]["fixed"] == (0.7216325609518421, 0.7216325609518421)
    assert values["2-2-1"]["max_param_diff"] < 1e-12
    emily, frank = values["2-2-1"]["emily"], values["2-2-1"]["frank"]
    assert min(emily) > 0.5 > max(frank)
    ref_out, fast_out = values["3-4-1"]["output"]
    assert np.max(np.abs(fast_out - [0, 1, 1, 0])) < 0.1
    assert np.max(np.abs(ref_out - fast_out)) < 1e-12
    (m_ref, b_ref), (m_fast, b_fast) = values["perceptron"]["trained"]
    assert (round(m_fast, 4), round(b_fast, 4)) == (11.2349, 25.0117)
    assert abs(m_ref - m_fast) < 1e-10 and abs(b_ref - b_fast) < 1e-10


@pytest.mark.slow_as_python
def test_no_plots_and_no_matplotlib_write_nothing(tmp_path, monkeypatch):
    out = tmp_path / "none"
    demo.run_demo(out, plots=False, repeats=1, stream=io.StringIO())
    assert not out.exists()
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    text = io.StringIO()
    demo.run_demo(out, repeats=1, stream=text)
    assert "matplotlib is not installed" in text.getvalue()
    assert not out.exists()


def test_a_failed_figure_leaves_no_file(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    class Broken(Figure):
        def savefig(self, fh, **kwargs):
            fh.write(b"\x89PNG half a picture")
            raise RuntimeError("disk full")

    target = tmp_path / "picture.png"
    with pytest.raises(RuntimeError, match="disk full"):
        demo._save_png(Broken(), str(target))
    assert os.listdir(tmp_path) == []


def test_out_that_is_a_file_fails_cleanly(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    blocker = tmp_path / "taken"
    blocker.write_text("not a directory")
    assert main(["demo", "--out", str(blocker), "--repeats", "1"]) == 1
    assert "could not write the figures" in capsys.readouterr().err
    assert blocker.read_text() == "not a directory"


def test_bench_runs_the_report_of_the_source_checkout(capsys):
    # `fastnn bench` hands its arguments to bench/report.py
    with pytest.raises(SystemExit) as info:
        main(["bench", "--help"])
    assert info.value.code == 0
    assert "pytest-benchmark JSON" in capsys.readouterr().out


def test_bench_without_the_source_checkout_says_so(monkeypatch, capsys, tmp_path):
    import fastnn.__main__ as cli

    monkeypatch.setattr(cli, "__file__", str(tmp_path / "fastnn" / "__main__.py"))
    assert main(["bench"]) == 1
    assert "source checkout" in capsys.readouterr().err


def test_no_command_prints_help(capsys):
    assert main([]) == 2
    assert "demo" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["demo", "--repeats", "0"], ["demo", "--seed", "-1"], ["fly"]])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "usage: fastnn" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.slow_as_python
def test_python_dash_m_fastnn_demo(tmp_path):
    """The module entry point, in a fresh process."""
    result = subprocess.run(
        [sys.executable, "-m", "fastnn", "demo", "--out", "tmp", "--repeats", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert "== 3. The perceptron" in result.stdout
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return
    assert_pngs(tmp_path / "tmp")
