"""The optimizer update over the flat parameter vector θ (twin: :mod:`fastnn.reference.optimizers`).

The training loop applies one update rule per step, chosen by its code
(:class:`fastnn._names.Update`). The state is a ``(2, n_params)`` array shaped like θ row by row
(``state[0]``: momentum buffer or Adam's first moment; ``state[1]``: the squared-gradient
average); ``t`` is the 1-based step count. The formulas follow ``torch.optim``:

* ``sgd``: ``θ -= η g``.
* ``momentum``: ``b = μ b + g`` (``b`` starts at 0, so the first step uses ``g``); ``θ -= η b``.
* ``nesterov``: ``b = μ b + g``; ``θ -= η (g + μ b)``.
* ``adam``: ``m = β1 m + (1-β1) g``; ``v = β2 v + (1-β2) g²``;
  ``θ -= η (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)``.
* ``adamw``: ``W *= 1 - η λ`` on the weights (not the biases), then the Adam step.
* ``rmsprop``: ``v = ρ v + (1-ρ) g²``; ``θ -= η g / (sqrt(v) + ε)``.

The update rules are written out in the training loop
(:func:`fastnn.kernels.train._train_epochs`), one branch per rule, rather than as inlined
helpers here: the per-step path must not reference-count its arrays
(``tests/test_kernel_codegen.py``), and every arrangement of inlined update helpers that was
tried (one helper per rule called from an ``if`` chain, with or without guards, all of them in a
row, or one helper with a branch per rule) left Numba's reference counts around the call.
"""

from .._config import HP
from ._jit import jit


@jit
def _settings(hp):
    """The optimizer's scalar settings from a packed configuration, read once per call."""
    return (
        hp[HP.momentum],
        hp[HP.rho],
        hp[HP.eps],
        hp[HP.beta1],
        hp[HP.beta2],
        hp[HP.weight_decay],
    )
