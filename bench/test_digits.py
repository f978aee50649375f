"""W8: scikit-learn's digits, fastnn against ``MLPClassifier``, in interleaved rounds.

Both get the same recipe: one hidden layer of 64 relu units, a softmax output with cross-entropy,
Adam with learning rate 1e-3, batches of 200, no L2 penalty, shuffling, a fixed seed, and no
early stopping. Two tests:

* ``W8`` (``test_w8_digits_200_epochs``): 200 epochs each, as the workload is defined; the
  accuracy after training is recorded and judged (≥ 97 %).
* ``W8-to-97`` (``test_w8_digits_time_to_97_percent``): each is first trained from scratch for
  the epoch counts of ``Digits.epoch_grid`` until one reaches 97 % test accuracy; the rounds
  then time training from scratch for that many epochs, so the ratio is time to the same
  accuracy. The reference (the same maths as fastnn) uses fastnn's epoch count.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from . import runners, workloads
from .harness import interleave


class FastnnDigits:
    def __init__(self, module, data, epochs):
        self.module, self.data, self.epochs = module, data, epochs

    def fresh(self):
        return self.module.MLP(
            (64, self.data.hidden, 10),
            ("relu", "softmax"),
            "categorical_crossentropy",
            seed=workloads.SEED,
        )

    def run(self, model):
        d = self.data
        model.fit(
            d.X_train,
            d.Y_train,
            epochs=self.epochs,
            learning_rate=d.learning_rate,
            batch_size=d.batch_size,
            optimizer="adam",
            shuffle=True,
        )

    def accuracy(self, model):
        predicted = np.argmax(model.predict(self.data.X_test), axis=1)
        return float(np.mean(predicted == self.data.y_test))


class SklearnDigits:
    def __init__(self, data, epochs):
        runners.import_peer("sklearn")
        self.data, self.epochs = data, epochs

    def fresh(self):
        from sklearn.neural_network import MLPClassifier

        d = self.data
        return MLPClassifier(
            hidden_layer_sizes=(d.hidden,),
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=d.batch_size,
            learning_rate_init=d.learning_rate,
            max_iter=self.epochs,
            shuffle=True,
            random_state=workloads.SEED,
            tol=0.0,
            n_iter_no_change=self.epochs + 1,
        )

    def run(self, est):
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(self.data.X_train, self.data.y_train)

    def accuracy(self, est):
        return float(est.score(self.data.X_test, self.data.y_test))


def _trainer(impl, data, epochs):
    import fastnn
    import fastnn.reference

    if impl == "sklearn":
        return SklearnDigits(data, epochs)
    return FastnnDigits(fastnn if impl == "fastnn" else fastnn.reference, data, epochs)


def _data():
    try:
        return workloads.digits()
    except ImportError as exc:
        pytest.skip(f"W8 needs scikit-learn's digits: {exc}")


def _accuracy_check(accuracies):
    def check(impl, runner, state):
        accuracies[impl] = runner.accuracy(state)
        return {"accuracy": accuracies[impl]}

    return check


@pytest.mark.benchmark(group="W8")
def test_w8_digits_200_epochs(benchmark, request):
    data = _data()
    accuracies = {}
    record = interleave(
        benchmark,
        request,
        "W8",
        ("fastnn", "reference", "sklearn"),
        3,
        lambda impl: _trainer(impl, data, data.epochs),
        check=_accuracy_check(accuracies),
        info={"title": "digits, 64 hidden relu, Adam, 200 epochs"},
    )
    info = benchmark.extra_info
    info["accuracy"] = accuracies
    info["epochs"] = {impl: data.epochs for impl in record["impls"]}


def _epochs_to_target(trainer_for, data):
    """The first epoch count of the grid whose test accuracy reaches the target (else the last),
    and that accuracy."""
    for epochs in data.epoch_grid:
        trainer = trainer_for(epochs)
        model = trainer.fresh()
        trainer.run(model)
        accuracy = trainer.accuracy(model)
        if accuracy >= data.target_accuracy:
            break
    return epochs, accuracy


@pytest.mark.benchmark(group="W8")
def test_w8_digits_time_to_97_percent(benchmark, request):
    data = _data()
    epochs = {}

    def factory(impl):
        if impl == "sklearn":
            runners.import_peer("sklearn")
        source = "fastnn" if impl == "reference" else impl
        if source not in epochs:
            epochs[source] = _epochs_to_target(lambda e: _trainer(source, data, e), data)[0]
        return _trainer(impl, data, epochs[source])

    accuracies = {}
    record = interleave(
        benchmark,
        request,
        "W8-to-97",
        ("fastnn", "reference", "sklearn"),
        3,
        factory,
        check=_accuracy_check(accuracies),
        info={"title": "digits, 64 hidden relu, Adam, to 97% test accuracy"},
    )
    info = benchmark.extra_info
    info["accuracy"] = accuracies
    info["epochs"] = {
        impl: epochs["fastnn" if impl == "reference" else impl] for impl in record["impls"]
    }
