"""A network's architecture: parsed, checked, initialised and packed for the kernels."""

from __future__ import annotations

import itertools
import math
import numbers
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np
import numpy.typing as npt

from . import _names
from ._layout import Layout
from ._validation import (
    check_bool,
    check_float,
    check_init,
    check_layer_size,
    check_network_memory,
    lookup_name,
)

DTYPES = {np.dtype(np.float64): "float64", np.dtype(np.float32): "float32"}

# Activations after which He initialisation is the sensible default (Glorot for the rest).
_HE_ACTIVATIONS = frozenset({"relu", "leaky_relu", "elu"})


def parse_dtype(dtype: object) -> np.dtype:
    """``np.float64`` or ``np.float32`` (anything numpy understands as either)."""
    message = f"dtype must be float64 or float32, got {dtype!r}"
    try:
        parsed = np.dtype(cast(npt.DTypeLike, dtype))
    except TypeError:
        raise TypeError(message) from None
    if parsed not in DTYPES:
        raise TypeError(message)
    return parsed


def _parse_named(item: object, table: dict, defaults: dict, argument: str) -> tuple[str, float]:
    """``"name"`` or ``("name", parameter)`` → ``(name, parameter)``."""
    if isinstance(item, tuple):
        if len(item) != 2:
            raise ValueError(f"{argument} must be a name or a (name, parameter) pair, got {item!r}")
        name, param = item
        lookup_name(table, name, argument)
        if name not in defaults:
            raise ValueError(f"{argument}: {name!r} takes no parameter, got {item!r}")
        return name, check_float(param, f"{argument} parameter of {name!r}")
    lookup_name(table, item, argument)  # raises unless item is a name in table
    return cast(str, item), defaults.get(item, 0.0)


@dataclass(frozen=True)
class NetworkSpec:
    """Everything that defines a network except its parameter values.

    Attributes
    ----------
    sizes : tuple of int
        Units per layer, input first.
    activations : tuple of str
        One activation name per dense layer.
    activation_params : tuple of float
        Parameter of each activation (slope of ``leaky_relu``, ``alpha`` of ``elu``; else 0).
    loss : str
        Loss name.
    loss_param : float
        Loss parameter (``delta`` of ``huber``; else 0).
    bias : bool
        Whether the layers have biases.
    dtype : numpy.dtype
        float64 or float32.
    """

    sizes: tuple
    activations: tuple
    activation_params: tuple
    loss: str
    loss_param: float
    bias: bool
    dtype: np.dtype

    @classmethod
    def parse(cls, layer_sizes, activations, loss, bias=True, dtype=np.float64) -> NetworkSpec:
        """Check user arguments and build the spec; errors name the offending argument."""
        if isinstance(layer_sizes, (str, bytes)) or not hasattr(layer_sizes, "__len__"):
            raise TypeError(
                "layer_sizes must be a sequence of integers such as (2, 2, 1), "
                f"got {type(layer_sizes).__name__}"
            )
        sizes = [check_layer_size(size, f"layer_sizes[{i}]") for i, size in enumerate(layer_sizes)]
        if len(sizes) < 2:
            raise ValueError(
                f"layer_sizes needs at least an input and an output size, got {list(layer_sizes)}"
            )
        n_layers = len(sizes) - 1
        is_pair = (
            isinstance(activations, tuple)
            and len(activations) == 2
            and isinstance(activations[0], str)
            and isinstance(activations[1], numbers.Real)
        )
        if isinstance(activations, str) or is_pair:
            items = [activations] * n_layers  # one activation for every layer
        elif isinstance(activations, (list, tuple)):
            items = list(activations)
        else:
            raise TypeError(
                "activations must be a name, a (name, parameter) pair or a list with one per "
                f"layer, got {type(activations).__name__}"
            )
        if len(items) != n_layers:
            raise ValueError(
                f"activations must be one name or {n_layers} names (one per layer), "
                f"got {len(items)}"
            )
        parsed = [
            _parse_named(
                a, _names.ACTIVATIONS, _names.ACTIVATION_DEFAULT_PARAM, f"activations[{i}]"
            )
            for i, a in enumerate(items)
        ]
        names = tuple(name for name, _ in parsed)
        params = tuple(param for _, param in parsed)
        for i, (name, param) in enumerate(parsed):
            if name == "leaky_relu" and param < 0:
                raise ValueError(f"activations[{i}]: leaky_relu slope must be >= 0, got {param}")
            if name == "elu" and param <= 0:
                raise ValueError(f"activations[{i}]: elu alpha must be > 0, got {param}")
            if name == "softmax" and i != n_layers - 1:
                raise ValueError(
                    f"activations[{i}]: softmax is only available as the output layer's activation"
                )
        loss_name, loss_param = _parse_named(loss, _names.LOSSES, _names.LOSS_DEFAULT_PARAM, "loss")
        if loss_name == "huber" and loss_param <= 0:
            raise ValueError(f"loss: huber delta must be > 0, got {loss_param}")
        required = _names.LOSS_REQUIRES_OUTPUT.get(loss_name)
        if required is not None and names[-1] != required:
            raise ValueError(
                f"loss {loss_name!r} is computed from the logits of a {required} output layer: "
                f"set the last activation to {required!r} (got {names[-1]!r})"
            )
        if names[-1] == "softmax":
            if loss_name != "categorical_crossentropy":
                raise ValueError(
                    "a softmax output layer needs loss='categorical_crossentropy' "
                    f"(got {loss_name!r})"
                )
            if sizes[-1] < 2:
                raise ValueError("a softmax output layer needs at least 2 units")
        bias = check_bool(bias, "bias")
        dtype = parse_dtype(dtype)
        # θ's size from Python ints (no overflow), checked before anything is allocated
        n_params = sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(sizes))
        check_network_memory(n_params, dtype.itemsize, sizes)
        return cls(tuple(sizes), names, params, loss_name, loss_param, bias, dtype)

    @cached_property
    def layout(self) -> Layout:
        return Layout(self.sizes, self.bias)

    def pack(self) -> tuple[np.ndarray, np.ndarray]:
        """The ``(net, netf)`` arrays of :mod:`fastnn.kernels.dense`: made once per spec and
        shared by every model built from it (the kernels only read them, as must callers)."""
        return self._packed

    @cached_property
    def _packed(self) -> tuple[np.ndarray, np.ndarray]:
        layout = self.layout
        n_layers = layout.n_layers
        net = np.array(
            [n_layers, *self.sizes, *layout.w_offsets, *layout.b_offsets]
            + [_names.ACTIVATIONS[a] for a in self.activations]
            + [_names.LOSSES[self.loss]],
            dtype=np.int64,
        )
        netf = np.array([*self.activation_params, self.loss_param], dtype=np.float64)
        return net, netf

    def describe(self) -> dict:
        """Plain-data description (for saving and ``repr``)."""
        return {
            "layer_sizes": list(self.sizes),
            "activations": [
                [name, param] if name in _names.ACTIVATION_DEFAULT_PARAM else name
                for name, param in zip(self.activations, self.activation_params, strict=True)
            ],
            "loss": [self.loss, self.loss_param]
            if self.loss in _names.LOSS_DEFAULT_PARAM
            else self.loss,
            "bias": self.bias,
            "dtype": DTYPES[self.dtype],
        }


def initial_params(spec: NetworkSpec, init: object, rng: np.random.Generator) -> np.ndarray:
    """Draw θ for ``spec`` with the scheme ``init`` from ``rng`` (float64 draws, then cast).

    ``normal``: every weight and bias ~ N(0, 1) (the 2-2-1 tutorial). ``uniform``: every weight and
    bias ~ U[0, 1) (the 3-4-1 tutorial). ``glorot_uniform`` / ``glorot_normal``: weights with
    variance 2 / (fan_in + fan_out), biases 0. ``he_uniform`` / ``he_normal``: variance 2 / fan_in,
    biases 0. ``None`` picks He for relu-family layers and Glorot uniform for the others.
    Layers are drawn in order, each layer's weights (row-major) before its biases.
    """
    init = check_init(init)
    layout = spec.layout
    theta = np.zeros(layout.n_params, dtype=np.float64)
    for k in range(layout.n_layers):
        fan_in, fan_out = spec.sizes[k], spec.sizes[k + 1]
        scheme = init
        if scheme is None:
            scheme = "he_uniform" if spec.activations[k] in _HE_ACTIVATIONS else "glorot_uniform"
        w = theta[layout.weight_slice(k)]
        b_slice = layout.bias_slice(k)
        if scheme == "normal":
            w[:] = rng.standard_normal(w.size)
            if b_slice is not None:
                theta[b_slice] = rng.standard_normal(fan_out)
        elif scheme == "uniform":
            w[:] = rng.random(w.size)
            if b_slice is not None:
                theta[b_slice] = rng.random(fan_out)
        else:
            fan = fan_in if scheme.startswith("he") else (fan_in + fan_out) / 2.0
            std = math.sqrt(1.0 / fan) if scheme.startswith("glorot") else math.sqrt(2.0 / fan)
            if scheme.endswith("uniform"):
                limit = math.sqrt(3.0) * std
                w[:] = rng.uniform(-limit, limit, w.size)
            else:
                w[:] = rng.normal(0.0, std, w.size)
    return theta.astype(spec.dtype)
