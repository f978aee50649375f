"""The shape of the package: no import cycles, adapters on public APIs, the twin a leaf."""

from __future__ import annotations

import ast
import pathlib

import pytest
from test_io import _import_graph, _reaches

import fastnn

ROOT = pathlib.Path(fastnn.__file__).parent

#: Model internals that only the core (the model classes and fastnn.engine) may touch.
ENGINE_INTERNALS = {
    "_train_chunk",
    "_loss_gradient",
    "_loss_value",
    "_add_l2",
    "_predict_rows",
    "_layer_outputs_rows",
    "_optimizer_state",
    "_data",
    "_validation",
    "_theta",
    "_net",
    "_netf",
    "_rng",
    "_run_training",
}
ADAPTERS = [
    "classifier.py",
    "sklearn.py",
    "reference/classifier.py",
    *(str(p.relative_to(ROOT)) for p in sorted(ROOT.glob("tutorials/*.py"))),
    *(str(p.relative_to(ROOT)) for p in sorted(ROOT.glob("reference/tutorials/*.py"))),
]


def test_no_import_cycle_anywhere():
    graph = _import_graph()
    assert len(graph) > 20, "the import graph was not found"
    for module in graph:
        cycle = _reaches(graph, module, module)
        assert cycle is None, f"import cycle: {module} → " + " → ".join(cycle)


@pytest.mark.parametrize("adapter", ADAPTERS)
def test_adapters_use_no_engine_internals(adapter):
    tree = ast.parse((ROOT / adapter).read_text(encoding="utf-8"))
    touched = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in ENGINE_INTERNALS
        and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
    }
    assert not touched, f"{adapter} reaches into model internals: {sorted(touched)}"


def test_reference_twin_imports_no_compiled_code():
    graph = _import_graph()
    for module, imports in graph.items():
        if module.startswith("fastnn.reference"):
            compiled = {m for m in imports if m.startswith(("fastnn.kernels", "fastnn.model"))}
            assert not compiled, f"{module} imports the compiled side: {sorted(compiled)}"


def test_kernel_settings_are_declared_not_numbered():
    """hp/ic slots come from the field order of the settings tuples, codes from name order."""
    from fastnn._config import HP, IC, FloatSettings, IntSettings
    from fastnn._names import ACTIVATION_NAMES, Activation

    assert list(HP) == list(range(len(FloatSettings._fields)))
    assert list(IC) == list(range(len(IntSettings._fields)))
    assert [a.name.lower() for a in Activation] == list(ACTIVATION_NAMES)
    source = (ROOT / "_config.py").read_text(encoding="utf-8")
    assert "HP_" not in source and "IC_" not in source
