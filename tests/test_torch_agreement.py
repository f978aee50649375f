"""Agreement with PyTorch, an independent implementation, where it is installed (float64).

The same network is built in torch from a fastnn model's weights (fastnn's ``W_k`` has shape
``(n_in, n_out)``; a ``torch.nn.Linear`` weight is its transpose). Then every activation, every
loss value and its gradient with respect to θ, and training steps of every optimizer (with L2, with
gradient clipping, with each learning-rate schedule) must agree with ``torch.nn.functional`` and
``torch.optim`` to 1e-10 relative. Skipped cleanly when torch is missing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import assert_close, regression_data

import fastnn
import fastnn.reference as ref

torch = pytest.importorskip("torch")
F = torch.nn.functional

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_activation(name, param):
    return {
        "identity": lambda z: z,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, negative_slope=param),
        "elu": lambda z: F.elu(z, alpha=param),
        "softplus": F.softplus,
        "softmax": lambda z: F.softmax(z, dim=1),
    }[name]


class TorchTwin:
    """A torch copy of a fastnn model: its layers, forward pass, loss and θ-shaped gradient."""

    def __init__(self, model):
        self.model = model
        self.layers = []
        for k, W in enumerate(model.weights):
            layer = torch.nn.Linear(*W.shape, bias=model.bias, dtype=torch.float64)
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(W.T.copy()))
                if model.bias:
                    layer.bias.copy_(torch.from_numpy(model.biases[k].copy()))
            self.layers.append(layer)

    @property
    def weights(self):
        return [layer.weight for layer in self.layers]

    @property
    def biases(self):
        return [layer.bias for layer in self.layers] if self.model.bias else []

    def parameters(self):
        return self.weights + self.biases

    def logits_and_output(self, X):
        spec = self.model.spec
        a = torch.from_numpy(np.asarray(X, dtype=np.float64))
        for layer, name, param in zip(
            self.layers, spec.activations, spec.activation_params, strict=True
        ):
            z = layer(a)
            a = torch_activation(name, param)(z)
        return z, a

    def loss(self, X, y, sample_weight=None):
        """The model's loss computed by torch.nn.functional (weighted through reduction='none')."""
        spec = self.model.spec
        z, p = self.logits_and_output(X)
        y = torch.from_numpy(np.asarray(y, dtype=np.float64).reshape(p.shape))
        per = {
            "mse": lambda: F.mse_loss(p, y, reduction="none"),
            "sse": lambda: F.mse_loss(p, y, reduction="none"),
            "mae": lambda: F.l1_loss(p, y, reduction="none"),
            "huber": lambda: F.huber_loss(p, y, reduction="none", delta=spec.loss_param),
            "binary_crossentropy": lambda: F.binary_cross_entropy_with_logits(
                z, y, reduction="none"
            ),
            "categorical_crossentropy": lambda: F.cross_entropy(z, y, reduction="none"),
        }
        if sample_weight is None:
            # torch's own reductions
            if spec.loss == "sse":
                return F.mse_loss(p, y, reduction="sum")
            if spec.loss == "mse":
                return F.mse_loss(p, y)
            if spec.loss == "mae":
                return F.l1_loss(p, y)
            if spec.loss == "huber":
                return F.huber_loss(p, y, delta=spec.loss_param)
            if spec.loss == "binary_crossentropy":
                return F.binary_cross_entropy_with_logits(z, y)
            return F.cross_entropy(z, y)
        values = per[spec.loss]()
        w = torch.from_numpy(np.asarray(sample_weight, dtype=np.float64))
        if values.ndim == 1:  # cross_entropy: one value per row
            return (w * values).sum() / w.sum()
        total = (w[:, None] * values).sum()
        return total if spec.loss == "sse" else total / (w.sum() * values.shape[1])

    def gradient(self, X, y, sample_weight=None):
        """∂loss/∂θ laid out like the fastnn model's θ, and the loss."""
        for q in self.parameters():
            q.grad = None
        loss = self.loss(X, y, sample_weight)
        loss.backward()
        return self.flat([q.grad for q in self.weights], [q.grad for q in self.biases]), float(
            loss.detach()
        )

    def flat(self, weights, biases):
        layout = self.model.layout
        theta = np.empty(layout.n_params)
        for k, W in enumerate(weights):
            theta[layout.weight_slice(k)] = W.detach().numpy().T.ravel()
        for k, b in enumerate(biases):
            theta[layout.bias_slice(k)] = b.detach().numpy()
        return theta

    def params(self):
        return self.flat(self.weights, self.biases)


# --- activations ---------------------------------------------------------------------------------

ACTIVATIONS = [
    "identity",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    ("leaky_relu", 0.2),
    "elu",
    ("elu", 0.7),
    "softplus",
]


def activation_id(a):
    return a if isinstance(a, str) else f"{a[0]}-{a[1]}"


@IMPLEMENTATIONS
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=activation_id)
def test_activation_values_match_torch(nn, activation, rng):
    """A one-layer network with W = I and b = 0 outputs f(X) itself."""
    n = 6
    model = nn.MLP(
        (n, n), activation, "mse", params=np.concatenate([np.eye(n).ravel(), np.zeros(n)])
    )
    X = 4.0 * rng.standard_normal((40, n))  # both signs, saturated regions included
    name, param = model.activations[0], model.spec.activation_params[0]
    expected = torch_activation(name, param)(torch.from_numpy(X)).numpy()
    assert_close(model.predict(X), expected, what=f"{activation} values")


@IMPLEMENTATIONS
def test_softmax_output_matches_torch(nn, rng):
    model = nn.MLP((5, 4), "softmax", "categorical_crossentropy", seed=0)
    X = 3.0 * rng.standard_normal((30, 5))
    assert_close(model.predict(X), TorchTwin(model).logits_and_output(X)[1].detach().numpy())


@IMPLEMENTATIONS
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=activation_id)
def test_activation_gradients_match_torch(nn, activation, rng):
    """Backpropagation through two hidden layers of each activation agrees with torch autograd."""
    model = nn.MLP((3, 6, 5, 2), [activation, activation, "identity"], "mse", seed=3)
    X = 2.0 * rng.standard_normal((17, 3))
    y = rng.standard_normal((17, 2))
    grad, loss = TorchTwin(model).gradient(X, y)
    assert model.loss(X, y) == pytest.approx(loss, rel=1e-10)
    assert_close(model.gradient(X, y), grad, what=f"{activation} gradient")


# --- losses --------------------------------------------------------------------------------------

LOSSES = [
    "mse",
    "sse",
    "mae",
    "huber",
    ("huber", 0.3),
    "binary_crossentropy",
    "categorical_crossentropy",
]


def loss_case(loss, rng, n=19, n_out=3):
    name = loss if isinstance(loss, str) else loss[0]
    if name == "binary_crossentropy":
        return "sigmoid", (rng.random((n, n_out)) < 0.5).astype(float)
    if name == "categorical_crossentropy":
        return "softmax", np.eye(n_out)[rng.integers(0, n_out, n)]
    return "identity", 1.5 * rng.standard_normal((n, n_out))


@IMPLEMENTATIONS
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("loss", LOSSES, ids=activation_id)
def test_loss_and_gradient_match_torch(nn, loss, weighted, rng):
    out, y = loss_case(loss, rng)
    model = nn.MLP((4, 6, 3), ["tanh", out], loss, seed=5)
    X = rng.standard_normal((19, 4))
    w = rng.random(19) + 0.1 if weighted else None
    grad, value = TorchTwin(model).gradient(X, y, w)
    assert model.loss(X, y, w) == pytest.approx(value, rel=1e-10)
    assert_close(model.gradient(X, y, w), grad, what="gradient")


@IMPLEMENTATIONS
def test_cross_entropy_with_soft_targets_matches_torch(nn, rng):
    """Targets may be probability rows (label smoothing, distillation), not just one-hot rows."""
    model = nn.MLP((4, 6, 5), ["relu", "softmax"], "categorical_crossentropy", seed=2)
    X = rng.standard_normal((13, 4))
    y = rng.dirichlet(np.ones(5), 13)
    grad, value = TorchTwin(model).gradient(X, y)
    assert model.loss(X, y) == pytest.approx(value, rel=1e-10)
    assert_close(model.gradient(X, y), grad)


@IMPLEMENTATIONS
@pytest.mark.parametrize("loss", ["mse", "mae", "huber"])
def test_regression_loss_through_a_sigmoid_output_matches_torch(nn, loss, rng):
    model = nn.MLP((4, 5, 2), ["elu", "sigmoid"], loss, seed=1)
    X = rng.standard_normal((11, 4))
    y = rng.random((11, 2))
    grad, value = TorchTwin(model).gradient(X, y)
    assert model.loss(X, y) == pytest.approx(value, rel=1e-10)
    assert_close(model.gradient(X, y), grad)


@IMPLEMENTATIONS
def test_binary_cross_entropy_stays_finite_for_huge_logits(nn):
    """From logits, a confidently wrong prediction costs |z|, never log(0) = -inf."""
    model = nn.MLP((1, 1), "sigmoid", "binary_crossentropy", params=[1.0, 0.0])
    X = np.array([[800.0], [-800.0]])
    y = np.array([0.0, 1.0])
    expected = F.binary_cross_entropy_with_logits(
        torch.tensor([800.0, -800.0], dtype=torch.float64), torch.from_numpy(y)
    )
    assert model.loss(X, y) == pytest.approx(float(expected), rel=1e-12)
    assert model.loss(X, y) == pytest.approx(800.0)


# --- optimizers ----------------------------------------------------------------------------------

OPTIMIZERS = {
    "sgd": dict(optimizer="sgd"),
    "momentum": dict(optimizer="sgd", momentum=0.9),
    "nesterov": dict(optimizer="sgd", momentum=0.8, nesterov=True),
    "adam": dict(optimizer="adam", beta1=0.8, beta2=0.95),
    "adamw": dict(optimizer="adamw", weight_decay=0.1),
    "rmsprop": dict(optimizer="rmsprop", rho=0.9, eps=1e-6),
}


def torch_optimizer(
    twin,
    lr,
    optimizer,
    momentum=0.0,
    nesterov=False,
    beta1=0.9,
    beta2=0.999,
    eps=1e-8,
    rho=0.99,
    weight_decay=0.0,
):
    params = twin.parameters()
    if optimizer == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov)
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)
    if optimizer == "adamw":
        # fastnn decays weights only: biases go in a group without decay
        groups = [
            {"params": twin.weights, "weight_decay": weight_decay},
            {"params": twin.biases, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=lr, betas=(beta1, beta2), eps=eps)
    return torch.optim.RMSprop(params, lr=lr, alpha=rho, eps=eps)


def torch_training(twin, X, y, *, epochs, lr, batch, l2=0.0, clip_norm=None, scheduler=None, **opt):
    """Mini-batches in data order; the penalty 0.5·l2·ΣW² joins the loss before clipping."""
    optimizer = torch_optimizer(twin, lr, **opt)
    schedule = scheduler(optimizer) if scheduler else None
    history = []
    for _ in range(epochs):
        total = 0.0
        for start in range(0, X.shape[0], batch):
            rows = slice(start, start + batch)
            optimizer.zero_grad()
            loss = twin.loss(X[rows], y[rows])
            if l2:
                loss = loss + 0.5 * l2 * sum((W * W).sum() for W in twin.weights)
            loss.backward()
            if clip_norm is not None:
                torch.nn.utils.clip_grad_norm_(twin.parameters(), clip_norm)
            optimizer.step()
            total += float(loss.detach()) * len(range(*rows.indices(X.shape[0])))
        history.append(total / X.shape[0])
        if schedule is not None:
            schedule.step()
    return np.array(history)


REGULARISATION = {
    "plain": {},
    "l2": dict(l2=0.05),
    "clip": dict(clip_norm=0.2),
    "l2+clip": dict(l2=0.05, clip_norm=0.2),
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("reg", list(REGULARISATION))
@pytest.mark.parametrize("opt", list(OPTIMIZERS))
def test_optimizer_steps_match_torch(nn, opt, reg, rng):
    """3 epochs of mini-batches (4 steps each, the last batch partial) against torch.optim."""
    X, y = regression_data(rng, 22, 4, 2)
    model = nn.MLP((4, 6, 2), ["tanh", "identity"], "mse", seed=4)
    twin = TorchTwin(model)
    lr = 0.05
    history = model.fit(
        X,
        y,
        epochs=3,
        learning_rate=lr,
        batch_size=6,
        shuffle=False,
        **OPTIMIZERS[opt],
        **REGULARISATION[reg],
    )
    expected = torch_training(
        twin, X, y, epochs=3, lr=lr, batch=6, **OPTIMIZERS[opt], **REGULARISATION[reg]
    )
    assert_close(model.params, twin.params(), what="theta")
    assert_close(history, expected, what="loss history")


@IMPLEMENTATIONS
def test_l2_equals_torch_weight_decay_on_weights(nn, rng):
    """Without clipping, fastnn's l2 is torch SGD's weight_decay applied to the weights only."""
    X, y = regression_data(rng, 20, 3, 1)
    model = nn.MLP((3, 5, 1), ["sigmoid", "identity"], "mse", seed=0)
    twin = TorchTwin(model)
    sgd = torch.optim.SGD(
        [{"params": twin.weights, "weight_decay": 0.3}, {"params": twin.biases}],
        lr=0.1,
        momentum=0.5,
    )
    for _ in range(4):
        sgd.zero_grad()
        twin.loss(X, y).backward()
        sgd.step()
    model.fit(X, y, epochs=4, learning_rate=0.1, momentum=0.5, l2=0.3)
    assert_close(model.params, twin.params())


SCHEDULES = {
    "step": (
        dict(schedule="step", step_size=2, gamma=0.5),
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5),
    ),
    "cosine": (
        dict(schedule="cosine", min_lr=0.01),
        lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=6, eta_min=0.01),
    ),
    # rows seen before epoch e = 20 e
    "invscaling": (
        dict(schedule="invscaling", power=0.5),
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1.0 / math.sqrt(1.0 + 20 * e)),
    ),
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("schedule", list(SCHEDULES))
@pytest.mark.parametrize("opt", ["momentum", "adam"])
def test_schedules_match_torch_schedulers(nn, schedule, opt, rng):
    X, y = regression_data(rng, 20, 3, 2)
    model = nn.MLP((3, 5, 2), ["relu", "identity"], "mse", seed=2)
    twin = TorchTwin(model)
    settings, scheduler = SCHEDULES[schedule]
    history = model.fit(
        X,
        y,
        epochs=6,
        learning_rate=0.1,
        batch_size=8,
        shuffle=False,
        **settings,
        **OPTIMIZERS[opt],
    )
    expected = torch_training(
        twin, X, y, epochs=6, lr=0.1, batch=8, scheduler=scheduler, **OPTIMIZERS[opt]
    )
    assert_close(model.params, twin.params(), what="theta")
    assert_close(history, expected, what="loss history")
