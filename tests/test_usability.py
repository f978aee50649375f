"""What users expect of the API's edges: both spellings of ``activation(s)``, suggestions for
misspelled names, public class names in messages, the exported exceptions, consistent ``fit``
defaults, ``--version`` and a benchmark command that leaves the checkout alone."""

from __future__ import annotations

import inspect
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

import fastnn
import fastnn.reference as ref
from fastnn.__main__ import main
from fastnn.engine import TrainConfig

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])
ROOT = Path(__file__).resolve().parents[1]

_RNG = np.random.default_rng(1)
X = _RNG.standard_normal((12, 2))
Y = X[:, :1] * 0.5
LABELS = np.where(X[:, 0] > 0, "yes", "no")


# --- activation and activations -------------------------------------------------------------


@IMPLEMENTATIONS
def test_mlp_takes_activation_as_well_as_activations(nn):
    one = nn.MLP((2, 3, 1), activation="tanh", seed=0)
    other = nn.MLP((2, 3, 1), activations="tanh", seed=0)
    assert one.activations == other.activations == ("tanh", "tanh")
    assert np.array_equal(one.params, other.params)
    per_layer = nn.MLP((2, 3, 1), activation=["relu", "identity"])
    assert per_layer.activations == ("relu", "identity")
    assert nn.MLP((2, 1)).activations == ("sigmoid",)  # the default is unchanged


@IMPLEMENTATIONS
def test_classifier_takes_activations_as_well_as_activation(nn):
    a = nn.Classifier((4,), activations="tanh", seed=0)
    b = nn.Classifier((4,), activation="tanh", seed=0)
    a.fit(X, LABELS, epochs=3)
    b.fit(X, LABELS, epochs=3)
    assert a.activation == b.activation == "tanh"
    assert a.model.activations == ("tanh", "sigmoid")
    assert np.array_equal(a.model.params, b.model.params)
    assert nn.Classifier().activation == "relu"


@IMPLEMENTATIONS
def test_classifier_takes_one_activation_per_hidden_layer(nn):
    clf = nn.Classifier((4, 3), activations=["tanh", ("leaky_relu", 0.2)], seed=0)
    clf.fit(X, LABELS, epochs=2)
    assert clf.model.activations == ("tanh", "leaky_relu", "sigmoid")
    assert clf.model.spec.activation_params[1] == 0.2
    with pytest.raises(ValueError, match=r"one activation or 2 \(one per hidden layer"):
        nn.Classifier((4, 3), activation=["tanh"])
    with pytest.raises(ValueError, match=r"activation\[1\]: softmax"):
        nn.Classifier((4, 3), activation=["tanh", "softmax"])


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "make, owner",
    [
        (lambda nn: nn.MLP((2, 1), "tanh", activation="relu"), "MLP"),
        (lambda nn: nn.Classifier((3,), "tanh", activations="relu"), "Classifier"),
    ],
)
def test_both_spellings_at_once_are_refused(nn, make, owner):
    with pytest.raises(TypeError, match=rf"^{owner}\(\) got both .* two spellings of one"):
        make(nn)


# --- misspelled names ---------------------------------------------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "call, argument, given, suggestion",
    [
        (lambda nn: nn.MLP((2, 3, 1), "rleu"), "activations[0]", "rleu", "relu"),
        (lambda nn: nn.MLP((2, 3, 1), ["tanh", "sigmiod"]), "activations[1]", "sigmiod", "sigmoid"),
        (lambda nn: nn.MLP((2, 1), loss="mes"), "loss", "mes", "mse"),
        (lambda nn: nn.MLP((2, 1), loss=("hubber", 1.0)), "loss", "hubber", "huber"),
        (lambda nn: nn.MLP((2, 1), init="he_unifrom"), "init", "he_unifrom", "he_uniform"),
        (lambda nn: nn.MLP((2, 1)).fit(X, Y, optimizer="adma"), "optimizer", "adma", "adam"),
        (lambda nn: nn.MLP((2, 1)).fit(X, Y, schedule="cosin"), "schedule", "cosin", "cosine"),
        (lambda nn: nn.Classifier((3,), "Tanh"), "activation", "Tanh", "tanh"),
        (
            lambda nn: fastnn.engine.train(
                nn.MLP((2, 1)), X, Y, TrainConfig(optimizer="rmsprob"), 1
            ),
            "config.optimizer",
            "rmsprob",
            "rmsprop",
        ),
    ],
)
def test_misspelled_names_get_a_suggestion(nn, call, argument, given, suggestion):
    with pytest.raises(ValueError) as info:
        call(nn)
    message = str(info.value)
    assert message.startswith(f"{argument}: unknown name {given!r}; did you mean {suggestion!r}?")
    assert "(choose from " in message and repr(suggestion) in message.split("choose from")[1]


def test_a_name_close_to_nothing_lists_the_choices():
    with pytest.raises(ValueError) as info:
        fastnn.MLP((2, 1), loss="xyzzy")
    message = str(info.value)
    assert "did you mean" not in message
    assert "(choose from 'binary_crossentropy', 'categorical_crossentropy'," in message


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "call, public",
    [
        (lambda nn: nn.MLP((2, 1), sed=0), "MLP()"),
        (lambda nn: nn.MLP((2, 1)).fit(X, Y, epoch=2), "MLP.fit()"),
        (lambda nn: nn.Classifier((3,), sed=0), "Classifier()"),
        (lambda nn: nn.Classifier((3,)).fit(X, LABELS, verbos=1), "Classifier.fit()"),
        (lambda nn: nn.MLP((2, 1), "tanh", activation="relu"), "MLP()"),
    ],
)
def test_messages_name_the_public_classes(nn, call, public):
    with pytest.raises(TypeError) as info:
        call(nn)
    assert str(info.value).startswith(public)
    assert "Base" not in str(info.value)


# --- exported exceptions, consistent defaults ------------------------------------------------


@IMPLEMENTATIONS
def test_not_fitted_error_is_exported(nn):
    assert nn.NotFittedError is fastnn.classifier.NotFittedError
    assert issubclass(nn.NotFittedError, ValueError)
    assert "NotFittedError" in nn.__all__
    with pytest.raises(nn.NotFittedError, match="Classifier is not fitted yet"):
        nn.Classifier().predict(X)


@IMPLEMENTATIONS
def test_mlp_and_classifier_fit_default_to_the_same_epochs_and_return_the_losses(nn):
    mlp_epochs = inspect.signature(nn.MLP.fit).parameters["epochs"].default
    clf_epochs = inspect.signature(nn.Classifier.fit).parameters["epochs"].default
    assert mlp_epochs == clf_epochs == 100
    losses = nn.MLP((2, 1), seed=0).fit(X, Y)
    assert losses.shape == (100,)
    clf = nn.Classifier((3,), seed=0)
    losses = clf.fit(X, LABELS)
    assert losses.shape == (100,) and np.array_equal(losses, clf.history_.loss)


# --- the command line ---------------------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastnn {fastnn.__version__}"


report = None
if (ROOT / "bench" / "report.py").exists():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import bench.report as report


needs_bench = pytest.mark.skipif(report is None, reason="bench/ is not in this checkout")


def _results_json(path: Path) -> Path:
    path.write_text(json.dumps({"benchmarks": [], "datetime": "2026-12-01T00:00:00"}))
    return path


@needs_bench
def test_bench_report_writes_under_the_current_directory_by_default(tmp_path, monkeypatch):
    tracked = [ROOT / "bench" / "results" / name for name in ("latest.md", "speedups.png")]
    before = [p.stat().st_mtime_ns if p.exists() else None for p in tracked]
    monkeypatch.chdir(tmp_path)
    assert report.main([str(_results_json(tmp_path / "r.json"))]) == 0
    assert (tmp_path / "fastnn-bench" / "latest.md").is_file()
    assert [p.stat().st_mtime_ns if p.exists() else None for p in tracked] == before


@needs_bench
def test_bench_report_output_chooses_the_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert report.main([str(_results_json(tmp_path / "r.json")), "--output", "elsewhere"]) == 0
    assert (tmp_path / "elsewhere" / "latest.md").is_file()
    assert not (tmp_path / "fastnn-bench").exists()


@needs_bench
def test_bench_runs_pytest_with_per_workload_progress_and_a_log(tmp_path, monkeypatch):
    calls = []

    def fake_call(cmd, cwd=None, stdout=None):
        calls.append((cmd, stdout))
        json_path = next(a for a in cmd if a.startswith("--benchmark-json="))
        _results_json(Path(json_path.split("=", 1)[1]))
        stdout.write("pytest's own output\n")
        return 0

    monkeypatch.setattr(report.subprocess, "call", fake_call)
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--quick"]) == 0
    ((cmd, _),) = calls
    assert cmd[cmd.index("bench.progress") - 1] == "-p"
    assert cmd[cmd.index("quick") - 1] == "-m"
    log = tmp_path / "fastnn-bench" / "pytest.log"
    assert log.read_text() == "pytest's own output\n"
    assert (tmp_path / "fastnn-bench" / "latest.json").is_file()


@needs_bench
def test_the_progress_plugin_prints_a_line_per_test(tmp_path):
    import subprocess

    (tmp_path / "test_some.py").write_text(
        "import pytest\n"
        "def test_one(): pass\n"
        "def test_two(): assert False\n"
        "@pytest.mark.skip\n"
        "def test_three(): pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "bench.progress", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    lines = result.stderr.splitlines()
    assert lines[0] == "fastnn bench: 3 benchmarks"
    assert lines[1].startswith("[1/3] test_some.py::test_one passed in ")
    assert lines[2].startswith("[2/3] test_some.py::test_two FAILED in ")
    assert lines[3].startswith("[3/3] test_some.py::test_three skipped in ")
