"""What the compiled training loop must not contain: reference counting inside its loops.

Every inlined helper of the per-step path is written so that Numba's reference counts of its
arrays cancel out (see :mod:`fastnn.kernels._jit`). When that breaks — a helper calling another
array-taking helper, a ``range`` with a variable step, a view inside a branch — each step pays two
atomic operations per array: several times the arithmetic of a tutorial-sized network. The
benchmark gate would notice only a large slowdown; this test reads the generated code of the
training loop itself (the inlined helpers are part of it; the functions it calls on purpose — BLAS
products, big activation blocks, per-epoch evaluation — are not inspected).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from numba import njit

import fastnn
import fastnn.model
from fastnn.kernels import train

pytestmark = pytest.mark.needs_jit


def _blocks(function_ir: str) -> dict[str, str]:
    """Basic blocks of one LLVM function, by label."""
    blocks, label, lines = {}, "entry", []
    for line in function_ir.splitlines():
        match = re.match(r"^([\w.$\"-]+):", line)
        if match:
            blocks[label] = "\n".join(lines)
            label, lines = match.group(1).strip('"'), []
        else:
            lines.append(line)
    blocks[label] = "\n".join(lines)
    return blocks


def _blocks_in_loops(blocks: dict[str, str]) -> set[str]:
    """Labels of blocks that lie on a cycle of the control-flow graph (Tarjan's SCCs)."""
    succ = {
        label: [t.strip('"') for t in re.findall(r"label %([\w.$\"-]+)", body)]
        for label, body in blocks.items()
    }
    index, low, stack, on_stack, result, counter = {}, {}, [], set(), set(), [0]

    def visit(v):  # iterative enough for these sizes: recursion depth = longest path
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in succ.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in succ.get(v, []):
                result.update(component)

    import sys

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 100_000))
    try:
        for v in blocks:
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return result


LOOPS = ("_train_epochs", "_train_epochs_per_sample")


@pytest.fixture(scope="module")
def train_loop_ir():
    """LLVM IR of the training loops (the general one and its per-sample twin), compiled afresh
    (cached code cannot be inspected), by label."""
    options = {k: v for k, v in train._train_epochs.targetoptions.items() if k != "nopython"}
    fresh = {name: njit(**options)(getattr(train, name).py_func) for name in LOOPS}
    patch = pytest.MonkeyPatch()
    for name, kernel in fresh.items():  # what MLP._train_chunk calls
        patch.setattr(fastnn.model, name, kernel)
    try:
        X = np.array([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
        for clip_norm in (None, 1.0):  # per-sample SGD, then (clipping) the general loop
            net = fastnn.MLP((2, 2, 1), "sigmoid", seed=0)
            net.fit(X, [1, 0, 0, 1], epochs=2, learning_rate=0.1, batch_size=1, shuffle=False,
                    clip_norm=clip_norm)  # fmt: skip
    finally:
        patch.undo()
    found = {}
    for name, kernel in fresh.items():
        assert kernel.signatures, f"{name} did not run"
        ir = kernel.inspect_llvm(kernel.signatures[0])
        # the mangled name holds the length before the name: "13_train_epochs"
        pattern = r"define [^\n]*" + f"{len(name)}{name}" + r"[^\n]*\{\n(.*?)\n\}"
        match = re.search(pattern, ir, re.S)
        assert match, f"{name} not found in the generated code"
        found[name] = match.group(1)
    return found


@pytest.mark.parametrize("name", LOOPS)
def test_training_loop_has_no_reference_counting_inside_loops(train_loop_ir, name):
    blocks = _blocks(train_loop_ir[name])
    in_loops = _blocks_in_loops(blocks)
    assert in_loops, "no loops found: the IR was not parsed"
    offenders = sorted(
        label for label in in_loops if re.search(r"call void @NRT_(incref|decref)", blocks[label])
    )
    assert not offenders, f"reference counting inside {name}'s loops: {offenders[:10]}"
