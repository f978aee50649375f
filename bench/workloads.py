"""The benchmark workloads of ``bench/WORKLOADS.md``: data, networks, training settings, targets.

Every training workload is a :class:`Case`: the data, the network, the initial parameters θ₀ and
the training settings, all fixed by a seed. ``case.build(fastnn)`` and
``case.build(fastnn.reference)`` give the compiled and the numpy model with the same θ₀, and
``case.permutations()`` reproduces the order in which they will visit the rows (they draw it from
``numpy.random.default_rng(case.seed)``), so a peer library can be handed exactly the same steps.

The targets of ``bench/WORKLOADS.md`` are in :data:`TARGETS`, read by :mod:`bench.report`.
Only fastnn's public API is used here (``fastnn.MLP``, ``fastnn.reference.MLP`` and their
``params``, ``weights``, ``biases``), so that the kernels' internals can move freely.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np

SEED = 20240501


@dataclass(frozen=True, eq=False)
class Case:
    """One training workload (see the module docstring).

    ``batch_size`` is the number of rows per step (``n_samples`` for full-batch training).
    """

    id: str
    title: str
    sizes: tuple
    activations: tuple
    loss: str
    X: np.ndarray
    Y: np.ndarray
    theta0: np.ndarray
    epochs: int
    learning_rate: float
    batch_size: int
    shuffle: bool = False
    optimizer: str = "sgd"
    loss_every: int | None = None
    bias: bool = True
    dtype: type = np.float64
    seed: int = SEED
    notes: dict = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def full_batch(self) -> bool:
        return self.batch_size >= self.n_samples

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.n_samples // self.batch_size)

    @property
    def steps(self) -> int:
        return self.epochs * self.steps_per_epoch

    def build(self, module):
        """A fresh ``module.MLP`` (``fastnn`` or ``fastnn.reference``) holding θ₀."""
        return module.MLP(
            self.sizes,
            self.activations,
            self.loss,
            seed=self.seed,
            bias=self.bias,
            dtype=self.dtype,
            params=self.theta0,
        )

    def fit_kwargs(self) -> dict:
        """Keyword arguments of ``MLP.fit`` (after ``X, y``) for this workload."""
        kwargs = {
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "batch_size": None if self.full_batch else self.batch_size,
            "shuffle": self.shuffle,
            "optimizer": self.optimizer,
        }
        if self.loss_every:
            kwargs["loss_every"] = self.loss_every
        return kwargs

    def train(self, model):
        """Run this workload's training on ``model`` (in place)."""
        return model.fit(self.X, self.Y, **self.fit_kwargs())

    def permutations(self) -> np.ndarray | None:
        """The row order of every epoch, as a model built by :meth:`build` draws it.

        None when training does not shuffle (full batch, or ``shuffle=False``).
        """
        if not self.shuffle or self.full_batch:
            return None
        from fastnn import engine
        from fastnn.reference import shuffle

        keys = engine.shuffle_keys(np.random.default_rng(self.seed), self.epochs)  # as fit draws
        return engine.row_orders(shuffle.row_orders, keys, self.n_samples)

    def layer_params(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """θ₀ as copies ``[(W_k, b_k), ...]``, W of shape (in, out), b None without biases."""
        import fastnn.reference

        model = self.build(fastnn.reference)
        biases = model.biases if self.bias else [None] * len(model.weights)
        return [
            (np.array(w, copy=True), None if b is None else np.array(b, copy=True))
            for w, b in zip(model.weights, biases, strict=True)
        ]

    def with_dtype(self, dtype) -> Case:
        """The same workload in another float dtype (data and θ₀ converted)."""
        return Case(
            id=self.id,
            title=self.title,
            sizes=self.sizes,
            activations=self.activations,
            loss=self.loss,
            X=self.X.astype(dtype),
            Y=self.Y.astype(dtype),
            theta0=self.theta0.astype(dtype),
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            shuffle=self.shuffle,
            optimizer=self.optimizer,
            loss_every=self.loss_every,
            bias=self.bias,
            dtype=dtype,
            seed=self.seed,
            notes=dict(self.notes),
        )

    def training_flops(self) -> float:
        """Floating-point operations of the matrix products of this training run.

        Per row and layer ``n_in × n_out``: 2 for the forward product, 2 for the weight gradient
        and 2 for passing the delta down (not done for the first layer, whose input needs none).
        Activations, losses and the update are not counted (they are O(units), not O(weights)).
        """
        products = [a * b for a, b in zip(self.sizes[:-1], self.sizes[1:], strict=True)]
        per_row = 4 * sum(products) + 2 * sum(products[1:])
        return float(per_row) * self.n_samples * self.epochs


def _theta0(sizes, activations, loss, bias, init, seed) -> np.ndarray:
    import fastnn.reference

    net = fastnn.reference.MLP(sizes, activations, loss, seed=seed, bias=bias, init=init)
    return net.params.copy()


def _one_hot_teacher(rng, X, n_classes) -> np.ndarray:
    """One-hot labels of a fixed random linear teacher: learnable, balanced enough."""
    labels = np.argmax(X @ rng.standard_normal((X.shape[1], n_classes)), axis=1)
    return np.eye(n_classes)[labels]


#: The seed-001 table: weight (lb − 135), height (in − 66); 1 for female.
PEOPLE_X = np.array([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
PEOPLE_Y = np.array([[1.0], [0.0], [0.0], [1.0]])

#: The seed-003 table (the third column is a constant input) and its XOR-like target.
XOR3_X = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
XOR3_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


@functools.cache
def w1() -> Case:
    sizes, acts = (2, 2, 1), ("sigmoid", "sigmoid")
    return Case(
        id="W1",
        title="2-2-1 sigmoid, per-sample SGD, 1000 epochs, loss every 10",
        sizes=sizes,
        activations=acts,
        loss="mse",
        X=PEOPLE_X,
        Y=PEOPLE_Y,
        theta0=_theta0(sizes, acts, "mse", True, "normal", SEED),
        epochs=1000,
        learning_rate=0.1,
        batch_size=1,
        shuffle=False,
        loss_every=10,
    )


@functools.cache
def w2() -> Case:
    sizes, acts = (3, 4, 1), ("sigmoid", "sigmoid")
    # the seed adds 2·(y − ŷ)·… to W: plain gradient descent on the sum of squares with η = 1
    return Case(
        id="W2",
        title="3-4-1 sigmoid, no biases, SSE, full-batch GD, 1500 iterations",
        sizes=sizes,
        activations=acts,
        loss="sse",
        X=XOR3_X,
        Y=XOR3_Y,
        theta0=_theta0(sizes, acts, "sse", False, "uniform", SEED),
        epochs=1500,
        learning_rate=1.0,
        batch_size=4,
        bias=False,
    )


def _diabetes_20() -> tuple[np.ndarray, np.ndarray, str]:
    """The seed-004 data: the last 20 rows of the diabetes BMI column (×100 + 10) and target."""
    try:
        from sklearn.datasets import load_diabetes
    except ImportError:
        rng = np.random.default_rng(SEED)
        x = rng.uniform(4.0, 22.0, 20)
        y = 10.0 * x + 40.0 + rng.normal(0.0, 40.0, 20)
        return x.reshape(-1, 1), y.reshape(-1, 1), "synthetic (scikit-learn not installed)"
    x, y = load_diabetes(return_X_y=True)
    return x[-20:, 2:3] * 100 + 10, y[-20:].reshape(-1, 1), "diabetes (scikit-learn)"


@functools.cache
def w3() -> Case:
    X, Y, source = _diabetes_20()
    theta0 = np.array([5.0, 10.0])  # the seed's m = 5, b = 10 (θ = [W, b])
    return Case(
        id="W3",
        title="1→1 identity perceptron, MSE, full-batch GD, lr 0.001, 10,000 iterations",
        sizes=(1, 1),
        activations=("identity",),
        loss="mse",
        X=X,
        Y=Y,
        theta0=theta0,
        epochs=10_000,
        learning_rate=0.001,
        batch_size=20,
        notes={"data": source},
    )


@functools.cache
def w4() -> Case:
    rng = np.random.default_rng(SEED + 4)
    X = rng.standard_normal((20_000, 64))
    Y = _one_hot_teacher(rng, X, 10)
    sizes, acts = (64, 128, 64, 10), ("sigmoid", "sigmoid", "sigmoid")
    return Case(
        id="W4",
        title="64-128-64-10 sigmoid, MSE, SGD batch 32, 20,000 rows, 2 epochs",
        sizes=sizes,
        activations=acts,
        loss="mse",
        X=X,
        Y=Y,
        theta0=_theta0(sizes, acts, "mse", True, None, SEED + 4),
        epochs=2,
        learning_rate=0.1,
        batch_size=32,
        shuffle=True,
    )


@functools.cache
def w4_float32() -> Case:
    return w4().with_dtype(np.float32)


@functools.cache
def w5() -> Case:
    rng = np.random.default_rng(SEED + 5)
    X = rng.random((8192, 784))
    Y = _one_hot_teacher(rng, X - 0.5, 10)
    sizes, acts = (784, 1024, 1024, 10), ("relu", "relu", "softmax")
    loss = "categorical_crossentropy"
    return Case(
        id="W5",
        title="784-1024-1024-10 relu/softmax, cross-entropy, SGD batch 1024, 8,192 rows, 1 epoch",
        sizes=sizes,
        activations=acts,
        loss=loss,
        X=X,
        Y=Y,
        theta0=_theta0(sizes, acts, loss, True, None, SEED + 5),
        epochs=1,
        learning_rate=0.01,
        batch_size=1024,
        shuffle=True,
    )


#: W4-like shapes, trained as W4 is (sigmoid, MSE, SGD batch 32, lr 0.1, shuffled, 2 epochs) on
#: 16,000 random rows: where fastnn's compiled layer loops and BLAS calls trade places
MEDIUM_SHAPES = ((48, 96, 48, 8), (50, 100, 50, 5), (32, 64, 32, 4))


def _shape_name(sizes) -> str:
    return "W4-" + "-".join(str(n) for n in sizes)


@functools.cache
def medium(sizes: tuple) -> Case:
    """A W4-like workload on another shape (one of :data:`MEDIUM_SHAPES`)."""
    seed = SEED + 40 + sum(sizes)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((16_000, sizes[0]))
    Y = _one_hot_teacher(rng, X, sizes[-1])
    acts = ("sigmoid",) * (len(sizes) - 1)
    shape = "-".join(str(n) for n in sizes)
    return Case(
        id=_shape_name(sizes),
        title=f"{shape} sigmoid, MSE, SGD batch 32, 16,000 rows, 2 epochs",
        sizes=tuple(sizes),
        activations=acts,
        loss="mse",
        X=X,
        Y=Y,
        theta0=_theta0(tuple(sizes), acts, "mse", True, None, seed),
        epochs=2,
        learning_rate=0.1,
        batch_size=32,
        shuffle=True,
    )


@dataclass(frozen=True, eq=False)
class Predict:
    """W6: ``predict`` on the (untrained, θ₀) W4 network, for ``n_rows`` rows of W4's data."""

    id: str
    title: str
    case: Case
    n_rows: int

    @property
    def dtype(self):
        return self.case.dtype

    @property
    def X(self) -> np.ndarray:
        return np.ascontiguousarray(self.case.X[: self.n_rows])

    def flops(self) -> float:
        """2 FLOPs per multiply-add of the forward products."""
        sizes = self.case.sizes
        return 2.0 * self.n_rows * sum(a * b for a, b in itertools.pairwise(sizes))


PREDICTS = {
    "W6": lambda: Predict("W6", "predict one row, float64", w4(), 1),
    "W6-f32": lambda: Predict("W6-f32", "predict one row, float32", w4_float32(), 1),
    "W6-1000": lambda: Predict("W6-1000", "predict 1,000 rows, float64", w4(), 1000),
}


def predict_case(name: str) -> Predict:
    """The :class:`Predict` workload called ``name`` (``"W6"``, ``"W6-f32"``, ``"W6-1000"``)."""
    return PREDICTS[name]()


#: W7's child process: import fastnn, build the W4 network, one fit on 64 rows; prints JSON.
COLD_START_SCRIPT = """
import json, time
t0 = time.perf_counter()
import numpy as np
import fastnn
t1 = time.perf_counter()
rng = np.random.default_rng(0)
X = rng.standard_normal((64, 64))
Y = np.eye(10)[rng.integers(0, 10, 64)]
net = fastnn.MLP((64, 128, 64, 10), "sigmoid", "mse", seed=0)
t2 = time.perf_counter()
net.fit(X, Y, epochs=1, learning_rate=0.1, batch_size=32)
t3 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "build_s": t2 - t1, "fit_s": t3 - t2, "total_s": t3 - t0}))
"""


#: W7's baseline: a new process that only imports numpy
IMPORT_NUMPY_SCRIPT = "import numpy"

#: W7's end-to-end digits script; ``{module}`` is ``fastnn.sklearn`` or ``sklearn.neural_network``.
#: The estimator runs all 200 epochs (``n_iter_no_change`` = ``max_iter``) in both cases.
DIGITS_SCRIPT = """
import json, time, warnings
t0 = time.perf_counter()
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from {module} import MLPClassifier
t1 = time.perf_counter()
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.25, random_state=0, stratify=y
)
clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, n_iter_no_change=200, random_state=0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    clf.fit(X_train, y_train)
t2 = time.perf_counter()
score = clf.score(X_test, y_test)
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "fit_s": t2 - t1, "score_s": t3 - t2,
                   "total_s": t3 - t0, "accuracy": score, "n_iter": clf.n_iter_}}))
"""

DIGITS_SCRIPT_MODULES = {"fastnn": "fastnn.sklearn", "sklearn": "sklearn.neural_network"}

#: W7-digits' third child: the part both scripts share (interpreter start, scikit-learn's imports,
#: load, split) and nothing else. Its time bounds the ratio fastnn's script can reach: even with
#: an instant import and fit, fastnn's script takes at least this long.
DIGITS_SHARED_SCRIPT = """
import json, time
t0 = time.perf_counter()
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
t1 = time.perf_counter()
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, y, test_size=0.25, random_state=0, stratify=y
)
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "total_s": t2 - t0}))
"""


@dataclass(frozen=True)
class Interrupt:
    """W10: Ctrl-C during a long ``fit`` of workload ``case``'s network and settings, on its first
    ``rows`` rows with ``batch_size``; ``blas_threads`` None: every core."""

    id: str
    title: str
    case: str
    rows: int
    batch_size: int
    blas_threads: int | None
    epochs: int = 10**7
    #: seconds from the start of ``fit`` to the SIGINT
    delay_s: float = 1.0

    def spec(self) -> dict:
        """What :data:`INTERRUPT_SCRIPT` reads from its argument (JSON)."""
        return {
            "case": self.case,
            "rows": self.rows,
            "batch_size": self.batch_size,
            "blas_threads": self.blas_threads,
            "epochs": self.epochs,
        }


INTERRUPTS = {
    "W10a": Interrupt("W10a", "Ctrl-C: the W1 network on its 4 rows", "W1", 4, 1, 1),
    "W10b": Interrupt("W10b", "Ctrl-C: the W4 network, 16,000 rows, batch 32", "W4", 16_000, 32, 1),
    "W10c": Interrupt(
        "W10c", "Ctrl-C: 784-1024-1024-10 (W5's network), 2,048 rows, batch 256", "W5", 2048,
        256, None,
    ),
}  # fmt: skip

#: W10's child process (run with the repository root as its directory, the :meth:`Interrupt.spec`
#: as its argument): builds the network and its data, loads the kernels with a one-epoch fit on
#: 8 rows, prints ``fitting`` and starts the long ``fit``. When the KeyboardInterrupt reaches
#: it, it prints ``interrupted`` at once, then one JSON line: what the model kept (epochs,
#: whether θ and the history are finite, the epoch named by the interrupt's note) and the kernel
#: calls it made (each call's epochs and seconds, timed around the call).
INTERRUPT_SCRIPT = r"""
import json, re, signal, sys, time
import numpy as np
import fastnn
from bench import workloads
spec = json.loads(sys.argv[1])
if spec["blas_threads"] is not None:
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=spec["blas_threads"], user_api="blas")
case = workloads.case(spec["case"])
X, Y = case.X[: spec["rows"]], case.Y[: spec["rows"]]
fit = dict(case.fit_kwargs(), batch_size=spec["batch_size"])
case.build(fastnn).fit(X[:8], Y[:8], **dict(fit, epochs=1))
model = case.build(fastnn)
calls = []
kernel = model._train_chunk
def timed(*args):
    t0 = time.perf_counter()
    try:
        return kernel(*args)
    finally:
        calls.append((args[5], time.perf_counter() - t0))
model._train_chunk = timed
signal.signal(signal.SIGINT, signal.default_int_handler)
print("fitting", flush=True)
try:
    model.fit(X, Y, **dict(fit, epochs=spec["epochs"]))
except KeyboardInterrupt as error:
    print("interrupted", flush=True)
    note = " ".join(getattr(error, "__notes__", []))
    kept = re.search(r"after epoch (\d+) of", note)
    history = model.history_
    print(json.dumps({
        "interrupted": bool(history.interrupted),
        "epochs_done": int(history.loss.shape[0]),
        "note_epochs": int(kept.group(1)) if kept else None,
        "finite_params": bool(np.isfinite(model.params).all()),
        "finite_history": bool(np.isfinite(history.loss).all()),
        "calls": calls,
    }), flush=True)
else:
    print(json.dumps({"interrupted": False, "calls": calls}), flush=True)
"""


@dataclass(frozen=True)
class Digits:
    """W8: scikit-learn's 8×8 digits, pixels scaled to [0, 1], a stratified 75/25 split."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray
    hidden: int = 64
    batch_size: int = 200
    learning_rate: float = 1e-3
    epochs: int = 200
    target_accuracy: float = 0.97
    #: epoch counts tried, in order, when looking for the first that reaches the target
    epoch_grid: tuple = (10, 20, 30, 40, 50, 60, 80, 100, 120, 150, 200, 250, 300, 400, 500)

    @property
    def Y_train(self) -> np.ndarray:
        return np.eye(10)[self.y_train]


@functools.cache
def digits() -> Digits:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    return Digits(np.ascontiguousarray(X_train), np.ascontiguousarray(X_test), y_train, y_test)


CASES = {"W1": w1, "W2": w2, "W3": w3, "W4": w4, "W4-f32": w4_float32, "W5": w5}
CASES.update({_shape_name(sizes): functools.partial(medium, sizes) for sizes in MEDIUM_SHAPES})


def case(name: str) -> Case:
    """The :class:`Case` called ``name``: ``"W1"`` … ``"W5"``, ``"W4-f32"``, ``"W4-48-96-48-8"``…"""
    return CASES[name]()


#: The targets of bench/WORKLOADS.md, one row per check. ``kind``:
#: ``ratio`` — the median over interleaved rounds of ``peer``'s time divided by fastnn's is at
#: least ``value``;
#: ``overhead`` — the median ratio of ``impl``'s time to fastnn's is at most ``value``;
#: ``seconds`` — fastnn's median time (of ``impl``) is at most ``value`` (W10: the median, over
#: rounds, of the time from SIGINT to the KeyboardInterrupt);
#: ``above`` — fastnn's median time exceeds ``peer``'s by at most ``value`` seconds;
#: ``gemm_fraction`` — fastnn's FLOP rate is at least ``value`` × the GEMM rate measured in the
#: same run (``gemm``: which measurement, see bench/test_blas.py);
#: ``accuracy`` — fastnn's test accuracy is at least ``value``.
TARGETS = [
    {"workload": "W1", "kind": "ratio", "peer": "tutorial", "value": 100.0},
    {"workload": "W1", "kind": "ratio", "peer": "numba", "value": 1.0},
    {"workload": "W1", "kind": "ratio", "peer": "jax", "value": 1.5},
    {"workload": "W1", "kind": "overhead", "impl": "fastnn-shuffled", "value": 1.10},
    {"workload": "W2", "kind": "ratio", "peer": "tutorial", "value": 50.0},
    {"workload": "W2", "kind": "ratio", "peer": "jax", "value": 1.5},
    {"workload": "W3", "kind": "ratio", "peer": "tutorial", "value": 500.0},
    {"workload": "W4", "kind": "ratio", "peer": "numpy", "value": 2.5},
    {"workload": "W4", "kind": "ratio", "peer": "jax", "value": 1.5},
    {"workload": "W4", "kind": "ratio", "peer": "torch", "value": 5.0},
    {"workload": "W4", "kind": "ratio", "peer": "sklearn", "value": 3.0},
    {"workload": "W5", "kind": "ratio", "peer": "numpy", "value": 1.1},
    {"workload": "W5", "kind": "gemm_fraction", "gemm": "gemm-float64-all", "value": 0.90},
    {"workload": "W6", "kind": "seconds", "impl": "fastnn", "value": 3e-6},
    {"workload": "W6", "kind": "seconds", "impl": "fastnn-1d", "value": 3e-6},
    {"workload": "W6-f32", "kind": "seconds", "impl": "fastnn", "value": 2e-6},
    {"workload": "W6-f32", "kind": "seconds", "impl": "fastnn-1d", "value": 2e-6},
    {"workload": "W7", "kind": "above", "peer": "import-numpy", "value": 0.2},
    {"workload": "W7-fresh", "kind": "seconds", "impl": "fastnn", "value": 2.0},
    {"workload": "W7-digits", "kind": "ratio", "peer": "sklearn", "value": 1.5},
    {"workload": "W8", "kind": "accuracy", "impl": "fastnn", "value": 0.97},
    {"workload": "W8", "kind": "ratio", "peer": "sklearn", "value": 5.0},
    {"workload": "W10a", "kind": "seconds", "impl": "fastnn", "value": 0.5},
    {"workload": "W10b", "kind": "seconds", "impl": "fastnn", "value": 0.5},
    {"workload": "W10c", "kind": "seconds", "impl": "fastnn", "value": 0.5},
]
