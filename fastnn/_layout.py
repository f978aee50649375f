"""Where each weight and bias lives inside the flat parameter vector θ.

A network with layer sizes ``(n0, n1, ..., nL)`` has ``L`` dense layers. Layer ``k`` (counting
from 0) owns a weight matrix ``W_k`` of shape ``(n_k, n_{k+1})`` and, unless the network was built
without biases, a bias vector ``b_k`` of length ``n_{k+1}``. They are stored one after another::

    θ = [ W_0 (row-major) | b_0 | W_1 (row-major) | b_1 | ... | W_{L-1} | b_{L-1} ]

so that ``x @ W_k + b_k`` maps a row of activations of layer ``k`` to layer ``k+1``.
:meth:`Layout.weights` and :meth:`Layout.biases` return reshaped *views* into θ: writing
through them changes θ, and gradients and optimizer state, being arrays shaped like θ, share the
same layout.
"""

from __future__ import annotations

import numpy as np


class Layout:
    """Offsets of every layer's weights and biases inside θ.

    Parameters
    ----------
    sizes : tuple of int
        Units per layer, input first: ``(n_inputs, hidden..., n_outputs)``.
    bias : bool
        Whether each layer has a bias vector.
    """

    def __init__(self, sizes: tuple[int, ...], bias: bool = True):
        self.sizes = tuple(int(s) for s in sizes)
        self.bias = bool(bias)
        self.n_layers = len(self.sizes) - 1
        w_off, b_off = [], []
        offset = 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w_off.append(offset)
            offset += n_in * n_out
            if self.bias:
                b_off.append(offset)
                offset += n_out
            else:
                b_off.append(-1)
        self.w_offsets = tuple(w_off)
        self.b_offsets = tuple(b_off)
        self.n_params = offset

    def weight_slice(self, k: int) -> slice:
        """Slice of θ holding ``W_k`` (row-major)."""
        start = self.w_offsets[k]
        return slice(start, start + self.sizes[k] * self.sizes[k + 1])

    def bias_slice(self, k: int) -> slice | None:
        """Slice of θ holding ``b_k``, or None for a network without biases."""
        if not self.bias:
            return None
        start = self.b_offsets[k]
        return slice(start, start + self.sizes[k + 1])

    def weights(self, theta: np.ndarray) -> list[np.ndarray]:
        """Views ``W_k`` of shape ``(n_k, n_{k+1})`` into ``theta``."""
        return [
            theta[self.weight_slice(k)].reshape(self.sizes[k], self.sizes[k + 1])
            for k in range(self.n_layers)
        ]

    def biases(self, theta: np.ndarray) -> list[np.ndarray]:
        """Views ``b_k`` of length ``n_{k+1}`` into ``theta`` (empty list without biases)."""
        if not self.bias:
            return []
        return [theta[self.bias_slice(k)] for k in range(self.n_layers)]

    def weight_mask(self) -> np.ndarray:
        """Boolean array shaped like θ, True where θ holds a weight (not a bias)."""
        mask = np.zeros(self.n_params, dtype=bool)
        for k in range(self.n_layers):
            mask[self.weight_slice(k)] = True
        return mask

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Layout) and self.sizes == other.sizes and self.bias == other.bias

    def __hash__(self) -> int:
        return hash((self.sizes, self.bias))

    def __repr__(self) -> str:
        return f"Layout(sizes={self.sizes}, bias={self.bias}, n_params={self.n_params})"
