"""Ways to run one workload: fastnn, its numpy reference twin, the baselines, and the peers.

Implementations (the names used everywhere in ``bench/``):

``fastnn``, ``fastnn-shuffled``
    ``fastnn.MLP``; ``fastnn-shuffled`` is W1 with fit's default shuffling switched on.
``reference``
    ``fastnn.reference.MLP``, fastnn's plain-numpy twin (its own column, not a baseline).
``tutorial``
    W1–W3's baseline: the tutorial's loop, transcribed in :mod:`bench.baselines`.
``numpy``
    W4–W6's baseline: vectorised numpy, :class:`bench.baselines.NumpyMLP`.
``numba``
    W1's hand-written ``@njit`` loop, :mod:`bench.numba_peer`.
``torch``, ``jax``, ``sklearn``
    PyTorch eager, JAX ``jit`` + ``lax.scan``, scikit-learn's MLP estimators.

A runner's :meth:`fresh` returns the state for one timed run (a new model holding θ₀: training
mutates θ, so every round starts from a fresh copy), :meth:`run` trains it, and :meth:`theta`
returns the trained parameters in fastnn's flat layout, so the benchmarks can check that a peer
did the same work (same steps, same result to rounding) rather than trust it; where a workload
records the whole-data loss every few epochs, :meth:`full_loss` returns that history too.

PyTorch and JAX are handed exactly fastnn's steps: the same θ₀, the same row order
(:meth:`bench.workloads.Case.permutations`), the same loss, learning rate and per-epoch
bookkeeping (the epoch loss, and the whole-dataset loss every ``loss_every`` epochs).
scikit-learn cannot be given θ₀ or a sigmoid regression output, so it is the same architecture
and the same number of steps of the same size, with its own initialisation (see
:class:`SklearnRunner`).

Peers are imported lazily; :func:`make_runner` raises :class:`PeerMissing` when one is not
installed, which the benchmarks turn into a skip.
"""

from __future__ import annotations

import importlib
import os
import time
import warnings
from typing import ClassVar

import numpy as np

from .workloads import Case

IMPLEMENTATIONS = (
    "fastnn",
    "fastnn-shuffled",
    "reference",
    "tutorial",
    "numpy",
    "numba",
    "torch",
    "jax",
    "sklearn",
)
PEER_MODULES = {"torch": "torch", "jax": "jax", "sklearn": "sklearn"}


class PeerMissing(RuntimeError):
    """The library a runner needs is not installed."""


def import_peer(name: str):
    """Import a peer library by runner name, or raise :class:`PeerMissing`."""
    try:
        return importlib.import_module(PEER_MODULES.get(name, name))
    except ImportError as exc:
        raise PeerMissing(f"{name} is not installed ({exc})") from exc


def peer_version(name: str) -> str | None:
    """Version of an installed peer, None when it is not installed (does not import it twice)."""
    from importlib import metadata

    dist = {"torch": "torch", "jax": "jax", "sklearn": "scikit-learn"}[name]
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


# --- fastnn and the reference ----------------------------------------------------------------


class ModelRunner:
    """``fastnn.MLP`` or ``fastnn.reference.MLP``, looked up when the runner is made.

    ``shuffle`` overrides the workload's setting (``fastnn-shuffled``: W1 as ``fit`` runs it by
    default, drawing a new row order every epoch).
    """

    def __init__(self, case: Case, impl: str, shuffle: bool | None = None):
        import fastnn
        import fastnn.reference

        self.case = case
        self.impl = impl
        self.module = fastnn.reference if impl == "reference" else fastnn
        self.proto = case.build(self.module)
        self.kwargs = case.fit_kwargs()
        if shuffle is not None:
            self.kwargs["shuffle"] = shuffle

    def fresh(self):
        return self.proto.copy()

    def run(self, model):
        model.fit(self.case.X, self.case.Y, **self.kwargs)

    def theta(self, model) -> np.ndarray | None:
        if self.kwargs["shuffle"] != self.case.shuffle:
            return None  # other steps: nothing to compare
        return np.asarray(model.params, dtype=np.float64)

    def full_loss(self, model):
        return None if model.history_.full_loss is None else np.asarray(model.history_.full_loss)


# --- the baselines: the tutorials' loops, vectorised numpy ---------------------------------------


class TutorialRunner:
    """W1–W3 trained by the tutorial's own loop (see :mod:`bench.baselines`)."""

    def __init__(self, case: Case):
        from . import baselines

        if case.id not in ("W1", "W2", "W3"):
            raise NotImplementedError(f"no tutorial baseline for {case.id}")
        self.case = case
        self.b = baselines
        self.layers = case.layer_params()
        self.notes = {
            "W1": "seed 001's per-sample loop (bench.baselines.train_people)",
            "W2": "seeds 002/003's NeuralNetwork(x, y).feedforward()/backprop()",
            "W3": "seed 004's per-sample gradient lists (bench.baselines.train_perceptron)",
        }[case.id]

    def fresh(self):
        c, b = self.case, self.b
        if c.id == "W1":
            return {"net": b.PeopleNetwork.from_layers(self.layers)}
        if c.id == "W2":
            (W1, _), (W2, _) = self.layers
            return {"net": b.NeuralNetwork(c.X, c.Y, W1, W2)}
        ((W, bias),) = self.layers
        return {"m": float(W[0, 0]), "b": float(bias[0])}

    def run(self, state):
        c, b = self.case, self.b
        if c.id == "W1":
            state["losses"] = b.train_people(
                state["net"], c.X, c.Y[:, 0], c.learning_rate, c.epochs, c.loss_every
            )
        elif c.id == "W2":
            b.train_neural_network(state["net"], c.epochs)
        else:
            state["m"], state["b"] = b.train_perceptron(
                c.X, c.Y, state["m"], state["b"], c.learning_rate, c.epochs
            )

    def theta(self, state) -> np.ndarray:
        if "net" in state:
            return state["net"].flat()
        return np.array([state["m"], state["b"]], dtype=np.float64)

    def full_loss(self, state):
        return None if "losses" not in state else np.asarray(state["losses"])


class NumpyRunner:
    """Vectorised numpy SGD (:class:`bench.baselines.NumpyMLP`) over the workload's row order."""

    def __init__(self, case: Case):
        from .baselines import NumpyMLP

        if case.optimizer != "sgd" or not case.bias:
            raise NotImplementedError("NumpyRunner: plain SGD with biases only")
        self.case = case
        self.cls = NumpyMLP
        self.layers = [(W.astype(case.dtype), b.astype(case.dtype)) for W, b in case.layer_params()]
        perms = case.permutations()
        if perms is None:
            perms = np.tile(np.arange(case.n_samples), (case.epochs, 1))
        self.orders = perms

    def fresh(self):
        return self.cls(self.layers, self.case.activations, self.case.loss)

    def run(self, net):
        c = self.case
        net.fit_epochs(c.X, c.Y, self.orders, c.batch_size, c.learning_rate)

    def theta(self, net) -> np.ndarray:
        return net.flat()


# --- W1's hand-written Numba loop ----------------------------------------------------------------


class NumbaRunner:
    """W1 by :func:`bench.numba_peer.train` (one sigmoid hidden layer, per-sample SGD)."""

    def __init__(self, case: Case):
        from . import numba_peer

        ok = (
            len(case.sizes) == 3
            and case.sizes[-1] == 1
            and case.activations == ("sigmoid", "sigmoid")
            and case.loss == "mse"
            and case.batch_size == 1
            and not case.shuffle
            and case.bias
            and case.dtype == np.float64
        )
        if not ok:
            raise NotImplementedError("the hand-written Numba loop is W1's network only")
        self.case = case
        self.train = numba_peer.train
        self.layers = case.layer_params()
        self.y = np.ascontiguousarray(case.Y[:, 0])
        self.notes = "hand-written @njit per-sample loop (bench.numba_peer)"

    def fresh(self):
        return {"layers": [(W.copy(), b.copy()) for W, b in self.layers]}

    def run(self, state):
        c = self.case
        (W0, b0), (W1, b1) = state["layers"]
        state["losses"] = self.train(
            W0, b0, W1, b1, c.X, self.y, c.learning_rate, c.epochs, c.loss_every or c.epochs
        )

    def theta(self, state) -> np.ndarray:
        return np.concatenate([a.ravel() for layer in state["layers"] for a in layer])

    def full_loss(self, state):
        return state.get("losses")


# --- PyTorch, eager ----------------------------------------------------------------------------


#: PyTorch intra-op threads per workload (absent: 1). On the small-step workloads extra threads
#: only add synchronisation: with its default 2 OpenMP threads W4 ran 10-20x slower on a busy
#: 2-core machine (spinning threads competing for the cores). W5 is BLAS-bound: all cores.
TORCH_THREADS = {"W5": None}


class TorchRunner:
    """The same SGD steps in PyTorch eager mode (``nn.Linear`` layers, ``torch.optim.SGD``).

    Runs with :data:`TORCH_THREADS` intra-op threads (None: PyTorch's default, all cores).
    """

    def __init__(self, case: Case):
        torch = import_peer("torch")
        self.threads = TORCH_THREADS.get(case.id, 1) or torch.get_num_threads()
        if case.optimizer != "sgd":
            raise NotImplementedError("TorchRunner implements plain SGD only")
        self.torch = torch
        self.case = case
        self.dtype = torch.float64 if case.dtype == np.float64 else torch.float32
        self.X = torch.from_numpy(np.ascontiguousarray(case.X))
        self.Y = torch.from_numpy(np.ascontiguousarray(case.Y))
        perms = case.permutations()
        self.perms = None if perms is None else torch.from_numpy(perms)
        F = torch.nn.functional
        if case.loss == "mse":
            self.loss_fn = F.mse_loss
        elif case.loss == "sse":
            self.loss_fn = lambda out, y: F.mse_loss(out, y, reduction="sum")
        elif case.loss == "categorical_crossentropy":
            self.loss_fn = F.cross_entropy  # the model ends in logits; probability targets
        else:
            raise NotImplementedError(f"loss {case.loss!r}")

    def fresh(self):
        torch = self.torch
        acts = {"sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}
        layers = []
        for (W, b), act in zip(self.case.layer_params(), self.case.activations, strict=True):
            lin = torch.nn.Linear(W.shape[0], W.shape[1], bias=b is not None, dtype=self.dtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                if b is not None:
                    lin.bias.copy_(torch.from_numpy(b))
            layers.append(lin)
            if act in acts:
                layers.append(acts[act]())
            elif act not in ("identity", "softmax"):  # softmax is inside cross_entropy
                raise NotImplementedError(f"activation {act!r}")
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=self.case.learning_rate)
        return {"model": model, "opt": opt}

    def run(self, state):
        torch = self.torch
        threads = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            self._train(state)
        finally:
            torch.set_num_threads(threads)

    def _train(self, state):
        torch = self.torch
        model, opt = state["model"], state["opt"]
        case, X, Y, loss_fn = self.case, self.X, self.Y, self.loss_fn
        n, B = case.n_samples, case.batch_size
        history, full = [], []
        for epoch in range(case.epochs):
            total = torch.zeros((), dtype=self.dtype)
            for start in range(0, n, B):
                if self.perms is not None:
                    rows = self.perms[epoch, start : start + B]
                    xb, yb = X[rows], Y[rows]
                elif B >= n:
                    xb, yb = X, Y
                else:
                    xb, yb = X[start : start + B], Y[start : start + B]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(xb), yb)
                loss.backward()
                opt.step()
                total += loss.detach() * xb.shape[0]
            history.append(total)
            if case.loss_every and epoch % case.loss_every == 0:
                with torch.no_grad():
                    full.append(loss_fn(model(X), Y))
        state["loss"], state["full_loss"] = history, full

    def theta(self, state) -> np.ndarray:
        model = state["model"]
        parts = []
        for lin in (m for m in model if isinstance(m, self.torch.nn.Linear)):
            parts.append(lin.weight.detach().numpy().T.ravel())
            if lin.bias is not None:
                parts.append(lin.bias.detach().numpy())
        return np.concatenate(parts).astype(np.float64)

    def full_loss(self, state):
        full = state.get("full_loss")
        return np.array([float(v) for v in full]) if full else None


class TorchPredictor:
    """W6 in PyTorch: one row through the W4 network under ``torch.inference_mode``."""

    def __init__(self, case: Case):
        self.runner = TorchRunner(case)
        self.model = self.runner.fresh()["model"]
        self.torch = self.runner.torch

    @property
    def threads(self):
        return self.runner.threads

    def predict(self, x: np.ndarray):
        with self.torch.inference_mode():
            return self.model(self.torch.from_numpy(x))


# --- JAX: jit + lax.scan -------------------------------------------------------------------------


#: XLA's CPU thread pool keeps its threads spinning between calls; on this 2-CPU machine they took
#: the core from whatever ran next (fastnn's W3 measured 1.9 ms instead of 0.9 ms after JAX had
#: run). So JAX runs with one intra-op thread, as PyTorch does on the small workloads. Set before
#: JAX starts its backend; an XLA_FLAGS already in the environment wins.
JAX_XLA_FLAGS = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"


def _jax():
    os.environ.setdefault("XLA_FLAGS", JAX_XLA_FLAGS)
    jax = import_peer("jax")
    jax.config.update("jax_enable_x64", True)  # float64 where the workload is float64
    return jax


class JaxRunner:
    """The whole training loop as one ``jax.jit`` function: ``lax.scan`` over epochs and steps."""

    def __init__(self, case: Case):
        jax = _jax()
        import jax.numpy as jnp
        from jax import lax

        if case.optimizer != "sgd":
            raise NotImplementedError("JaxRunner implements plain SGD only")
        if case.n_samples % case.batch_size:
            raise NotImplementedError("JaxRunner needs batch_size to divide n_samples")
        self.jax, self.case = jax, case
        dtype = jnp.float64 if case.dtype == np.float64 else jnp.float32
        n, B, lr = case.n_samples, case.batch_size, case.learning_rate
        steps = n // B
        acts, loss_name = case.activations, case.loss
        full_batch = B >= n
        loss_every = case.loss_every or 0

        def forward(params, x):
            h = x
            z = x
            for (W, b), act in zip(params, acts, strict=True):
                z = h @ W if b is None else h @ W + b
                if act == "sigmoid":
                    h = jax.nn.sigmoid(z)
                elif act == "relu":
                    h = jax.nn.relu(z)
                elif act == "tanh":
                    h = jnp.tanh(z)
                elif act in ("identity", "softmax"):
                    h = z  # softmax is applied inside the cross-entropy
                else:
                    raise NotImplementedError(f"activation {act!r}")
            return h

        def loss_fn(params, x, y):
            out = forward(params, x)
            if loss_name == "mse":
                return jnp.mean((out - y) ** 2)
            if loss_name == "sse":
                return jnp.sum((out - y) ** 2)
            if loss_name == "categorical_crossentropy":
                return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(out, axis=1), axis=1))
            raise NotImplementedError(f"loss {loss_name!r}")

        value_and_grad = jax.value_and_grad(loss_fn)

        def train(params, X, Y, order, lr=lr):
            def step(p, rows):
                xb, yb = (X, Y) if full_batch else (X[rows], Y[rows])
                loss, g = value_and_grad(p, xb, yb)
                p = jax.tree.map(lambda a, d: a - lr * d, p, g)
                return p, loss

            def epoch(p, inputs):
                e, rows = inputs
                p, losses = lax.scan(step, p, rows.reshape(steps, B))
                epoch_loss = jnp.sum(losses) if loss_name == "sse" else jnp.mean(losses)
                if loss_every:
                    full = lax.cond(
                        e % loss_every == 0,
                        lambda q: loss_fn(q, X, Y),
                        lambda q: jnp.asarray(jnp.nan, dtype=dtype),
                        p,
                    )
                else:
                    full = epoch_loss
                return p, (epoch_loss, full)

            epochs = jnp.arange(order.shape[0])
            return lax.scan(epoch, params, (epochs, order))

        self.train = jax.jit(train)
        self.train_function = train  # not jitted, for jax.vmap (JaxVmapRunner)
        perms = case.permutations()
        if perms is None:
            perms = np.tile(np.arange(n), (case.epochs, 1))
        self.order = jnp.asarray(perms)
        self.X = jnp.asarray(case.X, dtype=dtype)
        self.Y = jnp.asarray(case.Y, dtype=dtype)
        self.params0 = [
            (jnp.asarray(W, dtype=dtype), None if b is None else jnp.asarray(b, dtype=dtype))
            for W, b in case.layer_params()
        ]

    def fresh(self):
        return {"params": self.params0}  # JAX arrays are immutable: θ₀ is never changed

    def run(self, state):
        state["result"] = self.jax.block_until_ready(
            self.train(state["params"], self.X, self.Y, self.order)
        )

    def theta(self, state) -> np.ndarray:
        params = state["result"][0]
        parts = []
        for W, b in params:
            parts.append(np.asarray(W).ravel())
            if b is not None:
                parts.append(np.asarray(b))
        return np.concatenate(parts).astype(np.float64)

    def full_loss(self, state):
        every = self.case.loss_every
        if not every:
            return None
        return np.asarray(state["result"][1][1])[::every]


class JaxVmapRunner:
    """W9a in JAX: :class:`JaxRunner`'s training loop under ``jax.vmap`` over the models (each
    its own θ₀ and learning rate), all in one ``jax.jit`` call. ``thetas0`` is ``(K, n_params)``
    in fastnn's layout."""

    def __init__(self, case: Case, thetas0: np.ndarray, learning_rates):
        single = JaxRunner(case)
        jax = self.jax = single.jax
        import jax.numpy as jnp

        import fastnn

        self.single, self.case = single, case
        layout = fastnn.MLP(case.sizes, case.activations, case.loss).layout
        dtype = jnp.float64 if case.dtype == np.float64 else jnp.float32
        self.params0 = [
            (
                jnp.asarray(np.stack([layout.weights(t)[k] for t in thetas0]), dtype=dtype),
                jnp.asarray(np.stack([layout.biases(t)[k] for t in thetas0]), dtype=dtype),
            )
            for k in range(layout.n_layers)
        ]
        self.lrs = jnp.asarray(np.asarray(learning_rates, dtype=np.float64), dtype=dtype)
        self.train = jax.jit(jax.vmap(single.train_function, in_axes=(0, None, None, None, 0)))

    def fresh(self):
        return {"params": self.params0}

    def run(self, state):
        s = self.single
        state["result"] = self.jax.block_until_ready(
            self.train(state["params"], s.X, s.Y, s.order, self.lrs)
        )

    def thetas(self, state) -> np.ndarray:
        """``(K, n_params)`` in fastnn's layout."""
        parts = []
        for W, b in state["result"][0]:
            W, b = np.asarray(W), np.asarray(b)
            parts += [W.reshape(W.shape[0], -1), b.reshape(b.shape[0], -1)]
        return np.concatenate(parts, axis=1).astype(np.float64)


class JaxPredictor:
    """W6 in JAX: a jitted forward pass of one row, waited for with ``block_until_ready``."""

    def __init__(self, case: Case):
        self.runner = JaxRunner(case)
        jax = self.runner.jax
        params = self.runner.params0

        def forward(x):
            h = x
            for W, b in params:
                h = jax.nn.sigmoid(h @ W + b)
            return h

        self._forward = jax.jit(forward)
        self.jax = jax

    def predict(self, x):
        return self.jax.block_until_ready(self._forward(x))


# --- scikit-learn --------------------------------------------------------------------------------


class SklearnRunner:
    """scikit-learn's ``MLPRegressor`` / ``MLPClassifier`` with ``solver="sgd"``: same steps.

    Same hidden layers and activations, batch size, number of epochs, no momentum, no L2
    (``alpha=0``), no early stopping. Differences it cannot avoid, recorded in ``notes``: its own
    initialisation (same Glorot scheme, its own random numbers), and ``MLPRegressor``'s identity
    output (it has no sigmoid output). Its squared-error gradient is ``(ŷ − y) / batch`` where
    fastnn's MSE (mean over every output) gives ``2 (ŷ − y) / (batch · n_outputs)``, so the
    learning rate is scaled to take steps of the same size.
    """

    ACTIVATION: ClassVar[dict] = {
        "sigmoid": "logistic",
        "relu": "relu",
        "tanh": "tanh",
        "identity": "identity",
    }

    def __init__(self, case: Case):
        import_peer("sklearn")
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        if case.optimizer != "sgd":
            raise NotImplementedError("SklearnRunner implements plain SGD only")
        hidden = set(case.activations[:-1])
        if len(hidden) != 1:
            raise NotImplementedError("scikit-learn uses one activation for every hidden layer")
        self.case = case
        common = {
            "hidden_layer_sizes": case.sizes[1:-1],
            "activation": self.ACTIVATION[hidden.pop()],
            "solver": "sgd",
            "alpha": 0.0,
            "batch_size": case.batch_size,
            "learning_rate": "constant",
            "max_iter": case.epochs,
            "shuffle": case.shuffle,
            "random_state": case.seed,
            "tol": 0.0,
            "n_iter_no_change": case.epochs + 1,
            "momentum": 0.0,
            "nesterovs_momentum": False,
        }
        if case.loss == "categorical_crossentropy":
            self.estimator = lambda: MLPClassifier(learning_rate_init=case.learning_rate, **common)
            self.y = np.argmax(case.Y, axis=1)
            self.notes = "own initialisation (Glorot uniform)"
        elif case.loss == "mse":
            lr = case.learning_rate * 2.0 / case.sizes[-1]
            self.estimator = lambda: MLPRegressor(learning_rate_init=lr, **common)
            self.y = case.Y
            self.notes = (
                f"own initialisation (Glorot uniform), identity output, learning_rate_init={lr:g} "
                "(the same step size as fastnn's MSE with lr 0.1)"
            )
        else:
            raise NotImplementedError(f"loss {case.loss!r}")

    def fresh(self):
        return self.estimator()

    def run(self, est):
        from sklearn.exceptions import ConvergenceWarning

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            est.fit(self.case.X, self.y)
        if est.n_iter_ != self.case.epochs:
            raise RuntimeError(f"scikit-learn ran {est.n_iter_} epochs, not {self.case.epochs}")

    def theta(self, est):
        return None  # different initialisation: nothing to compare


def make_runner(case: Case, impl: str):
    """A runner for ``impl`` (one of :data:`IMPLEMENTATIONS`); PeerMissing if not installed."""
    if impl in ("fastnn", "reference"):
        return ModelRunner(case, impl)
    if impl == "fastnn-shuffled":
        return ModelRunner(case, "fastnn", shuffle=True)
    if impl == "tutorial":
        return TutorialRunner(case)
    if impl == "numpy":
        return NumpyRunner(case)
    if impl == "numba":
        return NumbaRunner(case)
    if impl == "torch":
        return TorchRunner(case)
    if impl == "jax":
        return JaxRunner(case)
    if impl == "sklearn":
        return SklearnRunner(case)
    raise ValueError(f"unknown implementation {impl!r}; expected one of {IMPLEMENTATIONS}")


# --- W6: predict -----------------------------------------------------------------------------


#: W6 implementations: fastnn with a (rows, 64) array, or (single row) a (64,) one
PREDICTORS = ("fastnn", "fastnn-1d", "reference", "numpy", "torch", "jax")


class Predictor:
    """``calls`` predict calls per run, on one :class:`bench.workloads.Predict` workload.

    The harness divides a run's time by ``calls``: the time per call. :meth:`output` is one
    call's result, checked against the reference's before timing.
    """

    def __init__(self, work, impl: str, calls: int):
        import fastnn
        import fastnn.reference

        from .baselines import NumpyMLP

        self.work, self.impl, self.calls = work, impl, calls
        case = work.case
        X = work.X
        self.threads = None
        self._restore = None
        if impl in ("fastnn", "fastnn-1d", "reference"):
            model = case.build(fastnn.reference if impl == "reference" else fastnn)
            if impl == "fastnn-1d":
                if work.n_rows != 1:
                    raise NotImplementedError("fastnn-1d is the one-row workload's (64,) input")
                X = X[0].copy()
            self.fn, self.arg = model.predict, X
        elif impl == "numpy":
            net = NumpyMLP(case.layer_params(), case.activations, case.loss)
            net.W = [W.astype(case.dtype) for W in net.W]
            net.b = [b.astype(case.dtype) for b in net.b]
            self.fn, self.arg = net.predict, X
        elif impl == "torch":
            predictor = TorchPredictor(case)
            self.threads = predictor.threads
            torch = predictor.torch
            self._restore = (torch, torch.get_num_threads())
            self.fn, self.arg = predictor.predict, X
        elif impl == "jax":
            predictor = JaxPredictor(case)
            self.fn, self.arg = predictor.predict, predictor.runner.jax.numpy.asarray(X)
        else:
            raise ValueError(f"unknown predictor {impl!r}; expected one of {PREDICTORS}")

    def fresh(self):
        return None

    def run(self, _state):
        fn, arg = self.fn, self.arg
        if self._restore is not None:
            torch, _ = self._restore
            torch.set_num_threads(self.threads)
        try:
            for _ in range(self.calls):
                fn(arg)
        finally:
            if self._restore is not None:
                torch, before = self._restore
                torch.set_num_threads(before)

    def output(self) -> np.ndarray:
        return np.asarray(self.fn(self.arg), dtype=np.float64)

    def theta(self, _state):
        return None


# --- measuring without pytest-benchmark (the gate's self-test, the memory probe) ---------------


def median_time(runner, rounds: int) -> float:
    """Median wall time of ``rounds`` runs, each on a fresh state (after one untimed warm-up)."""
    runner.run(runner.fresh())
    times = []
    for _ in range(rounds):
        state = runner.fresh()
        t0 = time.perf_counter()
        runner.run(state)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def nrt_allocations(fn) -> int | None:
    """How many blocks Numba's runtime allocated while ``fn()`` ran (None if unavailable).

    Statistics are switched on for the call only (they cost an atomic increment per allocation).
    ``fn`` runs on the JIT kernels: precompiled (AOT) kernels carry their own copy of Numba's
    runtime, whose allocations these statistics do not see (they would always read 0).
    """
    try:
        from numba.core.runtime import _nrt_python as nrt
        from numba.core.runtime import rtsys
    except ImportError:  # pragma: no cover - numba internals moved
        return None
    import fastnn.model
    from fastnn.kernels import _aot

    saved = {name: getattr(fastnn.model, name) for name in _aot.ENTRY_POINTS}
    was_on = nrt.memsys_stats_enabled()
    try:
        for name, entry in _aot.implementations("jit").items():
            setattr(fastnn.model, name, entry)
        fn()  # compile (or load) the JIT kernels outside the count
        nrt.memsys_enable_stats()
        before = rtsys.get_allocation_stats().alloc
        fn()
        return int(rtsys.get_allocation_stats().alloc - before)
    finally:
        if not was_on:
            nrt.memsys_disable_stats()
        for name, entry in saved.items():
            setattr(fastnn.model, name, entry)
