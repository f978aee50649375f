"""Saving and loading: bit-exact round trips, damaged files refused, atomic writes, pickling."""

from __future__ import annotations

import ast
import copy
import errno
import hashlib
import json
import os
import pathlib
import pickle
import re
import struct

import numpy as np
import pytest
from conftest import regression_data

import fastnn
import fastnn.reference as ref
from fastnn import _io

IMPLEMENTATIONS = pytest.mark.parametrize("nn", [fastnn, ref], ids=["compiled", "reference"])

#: Architectures covering every part of the metadata: parameterised activations and loss,
#: no biases, softmax with categorical cross-entropy, sigmoid with binary cross-entropy.
ARCHITECTURES = {
    "leaky-elu-huber": dict(
        layer_sizes=(3, 5, 4, 2),
        activations=[("leaky_relu", 0.2), ("elu", 0.7), "identity"],
        loss=("huber", 0.5),
    ),
    "tanh-mse": dict(layer_sizes=(2, 3, 1), activations="tanh", loss="mse"),
    "softmax": dict(
        layer_sizes=(4, 6, 3), activations=["relu", "softmax"], loss="categorical_crossentropy"
    ),
    "sigmoid-bce": dict(layer_sizes=(3, 2, 2), activations="sigmoid", loss="binary_crossentropy"),
}


def _model(nn, arch="leaky-elu-huber", dtype=np.float64, bias=True, seed=0):
    return nn.MLP(**ARCHITECTURES[arch], dtype=dtype, bias=bias, seed=seed)


def _encode(model, format_version: int = _io.FORMAT_VERSION) -> bytes:
    """The bytes ``model.save`` writes, with the given format version."""
    return _io.encode(
        model.spec.describe(), model.params, model._rng.bit_generator.state, format_version
    )


def _metadata(data: bytes) -> dict:
    """The JSON metadata of the model file ``data``, parsed here without fastnn."""
    size = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[16 : 16 + size])


def _resign(data: bytes) -> bytes:
    """Replace the trailing checksum so that it matches the (edited) rest of the file."""
    body = data[:-32]
    return body + hashlib.sha256(body).digest()


def _edit_metadata(data: bytes, edit) -> bytes:
    """Rewrite the JSON metadata of a model file with ``edit(dict)`` and fix up the checksum."""
    magic, version, size = struct.unpack_from("<8sII", data)
    metadata = json.loads(data[16 : 16 + size])
    edit(metadata)
    header = json.dumps(metadata).encode()
    header += b" " * (-(16 + len(header)) % 16)
    body = struct.pack("<8sII", magic, version, len(header)) + header + data[16 + size : -32]
    return _resign(body + b"\0" * 32)


# --- round trips ---------------------------------------------------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize("arch", sorted(ARCHITECTURES))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "nobias"])
def test_round_trip_is_bit_exact(nn, arch, dtype, bias, tmp_path):
    model = _model(nn, arch, dtype, bias)
    model.params = model.params + np.linspace(-0.3, 0.3, model.n_params)  # not only initial values
    path = tmp_path / "model.fnn"
    model.save(path)
    loaded = nn.load(path)
    assert type(loaded) is type(model)
    assert loaded.params.dtype == model.params.dtype
    assert loaded.params.tobytes() == model.params.tobytes()
    assert loaded.spec == model.spec
    assert repr(loaded) == repr(model)
    # the loaded θ is the model's own storage, with the layer views into it
    for view in loaded.weights + loaded.biases:
        assert np.shares_memory(view, loaded.params)
    assert loaded.params.flags.writeable and loaded.params.flags.c_contiguous
    X = np.random.default_rng(1).standard_normal((7, model.layer_sizes[0]))
    assert loaded.predict(X).tobytes() == model.predict(X).tobytes()


@pytest.mark.parametrize("writer, reader", [(fastnn, ref), (ref, fastnn)])
def test_compiled_and_reference_files_are_interchangeable(writer, reader, tmp_path):
    model = _model(writer, "softmax", np.float32)
    model.save(tmp_path / "m.fnn")
    loaded = reader.load(tmp_path / "m.fnn")
    assert type(loaded) is reader.MLP
    assert loaded.params.tobytes() == model.params.tobytes()
    assert loaded.spec == model.spec


@IMPLEMENTATIONS
def test_loaded_model_trains_on_exactly_like_the_saved_one(nn, tmp_path):
    """The random generator's state is saved: shuffling continues identically after a load."""
    X, y = regression_data(np.random.default_rng(2), 40, 3, 2)
    model = _model(nn)
    model.fit(X, y, epochs=3, learning_rate=0.05, batch_size=8)
    model.save(tmp_path / "m.fnn")
    loaded = nn.load(tmp_path / "m.fnn")
    a = model.fit(X, y, epochs=4, learning_rate=0.05, batch_size=8)
    b = loaded.fit(X, y, epochs=4, learning_rate=0.05, batch_size=8)
    assert a.tobytes() == b.tobytes()
    assert model.params.tobytes() == loaded.params.tobytes()


@pytest.mark.parametrize("bit_generator", ["PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"])
def test_every_numpy_bit_generator_state_is_saved(bit_generator, tmp_path):
    X, y = regression_data(np.random.default_rng(4), 20, 3, 2)
    seed = np.random.Generator(getattr(np.random, bit_generator)(5))
    model = _model(fastnn, seed=seed)
    model.save(tmp_path / "m.fnn")
    loaded = fastnn.load(tmp_path / "m.fnn")
    assert type(loaded._rng.bit_generator).__name__ == bit_generator
    a = model.fit(X, y, epochs=2, learning_rate=0.05, batch_size=4)
    b = loaded.fit(X, y, epochs=2, learning_rate=0.05, batch_size=4)
    assert a.tobytes() == b.tobytes()


def test_file_records_versions_and_architecture(tmp_path):
    model = _model(fastnn, dtype=np.float32, bias=False)
    model.save(tmp_path / "m.fnn")
    data = (tmp_path / "m.fnn").read_bytes()
    assert data[:8] == _io.MAGIC
    metadata = _metadata(data)
    file = _io.read_model_file(tmp_path / "m.fnn")
    assert file.architecture == {
        **model.spec.describe(),
        "layer_sizes": model.layer_sizes,
        "activations": [("leaky_relu", 0.2), ("elu", 0.7), "identity"],
        "loss": ("huber", 0.5),
    }
    assert file.rng_state == model._rng.bit_generator.state
    assert file.path == str(tmp_path / "m.fnn")
    assert struct.unpack_from("<I", data, 8)[0] == _io.FORMAT_VERSION == 1
    assert metadata["fastnn_version"] == fastnn.__version__
    assert metadata["architecture"] == model.spec.describe()
    assert metadata["architecture"]["dtype"] == "float32"
    assert metadata["architecture"]["bias"] is False
    assert metadata["params_dtype"] == "<f4"
    assert file.theta.tobytes() == model.params.tobytes()
    assert hashlib.sha256(data[:-32]).digest() == data[-32:]
    # θ starts on a 16-byte boundary
    assert (len(data) - 32 - model.n_params * 4) % 16 == 0


@IMPLEMENTATIONS
def test_save_accepts_str_and_pathlike_and_overwrites(nn, tmp_path):
    first, second = _model(nn, seed=1), _model(nn, seed=2)
    first.save(str(tmp_path / "m.fnn"))
    second.save(tmp_path / "m.fnn")  # replaces the file
    assert nn.load(str(tmp_path / "m.fnn")).params.tobytes() == second.params.tobytes()
    assert sorted(os.listdir(tmp_path)) == ["m.fnn"]


def test_new_file_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        _model(fastnn).save(tmp_path / "m.fnn")
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "m.fnn").st_mode & 0o777 == 0o640


# --- damaged and foreign files -------------------------------------------------------------------


@pytest.fixture
def saved(tmp_path):
    """The bytes of a saved 3-5-4-2 model file."""
    _model(fastnn).save(tmp_path / "good.fnn")
    return (tmp_path / "good.fnn").read_bytes()


@IMPLEMENTATIONS
@pytest.mark.parametrize("tenths", range(10))
def test_truncated_file_is_refused(nn, saved, tmp_path, tenths):
    cut = len(saved) * tenths // 10
    path = tmp_path / "cut.fnn"
    path.write_bytes(saved[:cut])
    with pytest.raises(nn.ModelFileError, match=r"empty|truncated") as info:
        nn.load(path)
    assert "cut.fnn" in str(info.value)


def test_truncated_file_is_refused_at_every_length(saved, tmp_path):
    path = tmp_path / "cut.fnn"
    for cut in range(len(saved)):
        path.write_bytes(saved[:cut])
        with pytest.raises(fastnn.ModelFileError, match=r"empty|truncated"):
            fastnn.load(path)


def test_a_flipped_byte_anywhere_is_detected(saved, tmp_path):
    """Every byte of the file, flipped in turn, makes loading fail with a clear error."""
    path = tmp_path / "flipped.fnn"
    for position in range(len(saved)):
        damaged = bytearray(saved)
        damaged[position] ^= 0xFF
        path.write_bytes(bytes(damaged))
        with pytest.raises(
            fastnn.ModelFileError,
            match=r"checksum|not a fastnn model file|first bytes are damaged|format version",
        ):
            fastnn.load(path)


@pytest.mark.parametrize("bit", range(8))
def test_a_single_flipped_bit_in_theta_fails_the_checksum(saved, tmp_path, bit):
    damaged = bytearray(saved)
    damaged[len(saved) - 40] ^= 1 << bit  # inside θ
    (tmp_path / "bit.fnn").write_bytes(bytes(damaged))
    with pytest.raises(fastnn.ModelFileError, match="checksum does not match"):
        fastnn.load(tmp_path / "bit.fnn")


@IMPLEMENTATIONS
def test_pickle_file_is_refused_without_unpickling(nn, tmp_path, monkeypatch):
    model = _model(nn)
    path = tmp_path / "model.pkl"
    with open(path, "wb") as f:
        pickle.dump(model, f)

    def forbidden(*args, **kwargs):
        raise AssertionError("the loader must never unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(pickle, "Unpickler", forbidden)
    monkeypatch.setattr(np, "load", forbidden)
    with pytest.raises(nn.ModelFileError, match=r"not a fastnn model file.*pickle") as info:
        nn.load(path)
    assert "never unpickles" in str(info.value)


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "model.npz"
    np.savez(path, params=np.arange(3.0), metadata=np.array([{"evil": object()}], dtype=object))
    with pytest.raises(fastnn.ModelFileError, match=r"not a fastnn model file.*zip"):
        fastnn.load(path)


def test_pickle_behind_fastnn_magic_is_refused(saved, tmp_path):
    """A pickle appended to or substituted into a model file never gets unpickled."""
    payload = pickle.dumps({"params": [1.0, 2.0]})
    path = tmp_path / "evil.fnn"
    path.write_bytes(saved[:16] + payload)
    with pytest.raises(fastnn.ModelFileError, match="checksum"):
        fastnn.load(path)
    # even with a matching checksum, the payload is read as JSON and θ, never unpickled
    path.write_bytes(_resign(saved[:16] + payload + b"\0" * 32))
    with pytest.raises(fastnn.ModelFileError, match="malformed"):
        fastnn.load(path)


@pytest.mark.parametrize("content", [b"", b"hello world\n", b"\x89FAS", b"\x93NUMPY\x01\x00"])
def test_other_files_are_refused(tmp_path, content):
    path = tmp_path / "other"
    path.write_bytes(content)
    with pytest.raises(fastnn.ModelFileError, match=r"empty|truncated|not a fastnn model file"):
        fastnn.load(path)


@IMPLEMENTATIONS
@pytest.mark.parametrize("version", [0, 2, 1000])
def test_wrong_format_version_is_refused(nn, tmp_path, version):
    data = _encode(_model(nn), format_version=version)
    assert hashlib.sha256(data[:-32]).digest() == data[-32:]  # a valid file apart from its version
    (tmp_path / "v.fnn").write_bytes(data)
    with pytest.raises(
        nn.ModelFileError, match=rf"format version {version}, but this fastnn reads .*version 1"
    ):
        nn.load(tmp_path / "v.fnn")


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda m: m["architecture"].update(layer_sizes=[3, 5, 4, 3]), "do not fit"),
        (lambda m: m["architecture"].update(activations="swish"), "unknown name 'swish'"),
        (lambda m: m["architecture"].update(layer_sizes=[3, 0, 4, 2]), "zero-width"),
        (lambda m: m["architecture"].pop("loss"), "must have the keys"),
        (lambda m: m.update(n_params=10**12), "does not match n_params"),
        (lambda m: m.update(params_dtype="|O"), "unsupported params_dtype"),
        (lambda m: m.update(format="something else"), "not a fastnn model's"),
        (lambda m: m.update(rng_state={"bit_generator": "os.system"}), "unknown random generator"),
        (lambda m: m["rng_state"].update(state="nonsense"), "bad random generator state"),
    ],
    ids=[
        "sizes",
        "activation",
        "zero-width",
        "missing-key",
        "n_params",
        "object-dtype",
        "format",
        "rng-name",
        "rng-state",
    ],
)
def test_tampered_metadata_with_a_valid_checksum_is_refused(saved, tmp_path, edit, message):
    """The checksum is not a signature: a forged file is still parsed defensively."""
    (tmp_path / "t.fnn").write_bytes(_edit_metadata(saved, edit))
    with pytest.raises(fastnn.ModelFileError, match=message):
        fastnn.load(tmp_path / "t.fnn")


def test_tampered_params_with_a_valid_checksum_are_checked(saved, tmp_path):
    damaged = bytearray(saved)
    damaged[-40:-32] = np.array([np.nan]).tobytes()
    (tmp_path / "nan.fnn").write_bytes(_resign(bytes(damaged)))
    with pytest.raises(fastnn.ModelFileError, match="NaN or infinity"):
        fastnn.load(tmp_path / "nan.fnn")


@IMPLEMENTATIONS
def test_non_finite_params_are_not_saved(nn, tmp_path):
    model = _model(nn)
    model.params[3] = np.inf  # written into θ directly, bypassing the checked setter
    with pytest.raises(ValueError, match="params contain NaN or infinity"):
        model.save(tmp_path / "m.fnn")
    assert os.listdir(tmp_path) == []


# --- hostile files: always ModelFileError, bounded memory, no blocking ----------------------------


def _build(text: bytes, theta: bytes, sign: bool = True, version: int = 1) -> bytes:
    """A model file of the given metadata text and θ bytes, with a valid checksum if ``sign``."""
    text += b" " * (-(16 + len(text)) % 16)
    body = struct.pack("<8sII", _io.MAGIC, version, len(text)) + text + theta
    return body + (hashlib.sha256(body).digest() if sign else b"\0" * 32)


def _theta_of(data: bytes) -> bytes:
    size = struct.unpack_from("<I", data, 12)[0]
    return data[16 + size : -32]


def _refused(nn, path, match):
    with pytest.raises(nn.ModelFileError, match=match) as info:
        nn.load(path)
    assert str(path) in str(info.value)
    return info.value


DEEP = 100_000
HOSTILE_METADATA = {
    "nested-lists": (b'{"format":"fastnn model","x":' + b"[" * DEEP + b"]" * DEEP + b"}", "nested"),
    "nested-objects": (b'{"a":' * DEEP + b"1" + b"}" * DEEP, "nested too deeply"),
    "huge-int": (b'{"format":"fastnn model","n_params":' + b"9" * 100_000 + b"}", "100000 digits"),
    "huge-negative-int": (b'{"x":-' + b"1" * 5000 + b"}", "5000 digits"),
    "nan": (b'{"format":"fastnn model","n_params":NaN}', "NaN, which is not a number JSON"),
    "infinity": (b'{"x":-Infinity}', "-Infinity, which is not a number JSON"),
    "float-overflow": (b'{"x":1e999}', "too large for a float"),
    "long-float": (b'{"x":0.' + b"1" * 1000 + b"}", "number written with 1002 characters"),
    "repeated-key": (b'{"format":"fastnn model","format":"fastnn model"}', "repeats the key"),
    "not-utf8": (b'{"format":"\xff"}', "not UTF-8"),
    "not-json": (b"{format: fastnn}", "not JSON"),
    "a-list": (b'["format", "fastnn model"]', "not a fastnn model's"),
    "empty": (b"", "not JSON"),
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("label", sorted(HOSTILE_METADATA))
@pytest.mark.parametrize("signed", [True, False], ids=["signed", "unsigned"])
def test_hostile_metadata_is_refused(nn, saved, tmp_path, label, signed):
    """Deep nesting, huge numbers, NaN, repeated keys, bad text: ModelFileError saying what."""
    text, message = HOSTILE_METADATA[label]
    path = tmp_path / "hostile.fnn"
    path.write_bytes(_build(text, _theta_of(saved), sign=signed))
    if signed:  # well-formed apart from what was forged: the message says what is wrong
        _refused(nn, path, rf"is malformed: .*{message}")
    else:  # a damaged file: the checksum says so, and what was found is named too
        _refused(nn, path, rf"checksum does not match its contents \(.*{message}")


def _rng_edit(state):
    return lambda m: m.update(rng_state=state)


_MT = {"bit_generator": "MT19937", "state": {"key": [1] * 624, "pos": 3}}
_PHILOX = {
    "bit_generator": "Philox",
    "state": {"counter": [0] * 4, "key": [0] * 2},
    "buffer": [0] * 4,
    "buffer_pos": 4,
    "has_uint32": 0,
    "uinteger": 0,
}


def _with_state(base, **changes):
    state = json.loads(json.dumps(base))
    for where, value in changes.items():
        *outer, last = where.split("__")
        target = state
        for key in outer:
            target = target[key]
        if value is KeyError:
            del target[last]
        else:
            target[last] = value
    return state


FORGED_STATES = {
    # numpy takes these without a word, then reads past the end of its buffers
    "mt-pos-beyond-key": _with_state(_MT, state__pos=10**6),
    "mt-pos-negative": _with_state(_MT, state__pos=-1),
    "philox-buffer-pos": _with_state(_PHILOX, buffer_pos=99),
    # numpy refuses these with OverflowError, ValueError, TypeError, KeyError, ...
    "mt-short-key": _with_state(_MT, state__key=[1] * 3),
    "mt-key-overflow": _with_state(_MT, state__key=[2**32] * 624),
    "mt-key-nested": _with_state(_MT, state__key=[[[[1]]]] * 624),
    "pcg-state-overflow": {
        "bit_generator": "PCG64",
        "state": {"state": 2**130, "inc": 1},
        "has_uint32": 0,
        "uinteger": 0,
    },
    "pcg-negative": {
        "bit_generator": "PCG64",
        "state": {"state": 1, "inc": 1},
        "has_uint32": 0,
        "uinteger": -5,
    },
    "pcg-string": {
        "bit_generator": "PCG64",
        "state": {"state": "x", "inc": 1},
        "has_uint32": 0,
        "uinteger": 0,
    },
    "pcg-bool": {
        "bit_generator": "PCG64",
        "state": {"state": True, "inc": 1},
        "has_uint32": 0,
        "uinteger": 0,
    },
    "pcg-missing-key": {"bit_generator": "PCG64", "state": {"state": 1, "inc": 1}},
    "pcg-extra-key": {
        "bit_generator": "PCG64",
        "state": {"state": 1, "inc": 1, "evil": 1},
        "has_uint32": 0,
        "uinteger": 0,
    },
    "sfc-state-list": {
        "bit_generator": "SFC64",
        "state": {"state": [1, 2]},
        "has_uint32": 0,
        "uinteger": 0,
    },
    "state-a-list": ["PCG64", 1, 2],
    "state-a-number": 12,
    "name-a-list": {"bit_generator": ["PCG64"], "state": {}},
    "name-unknown": {"bit_generator": "__import__('os').system", "state": {}},
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("label", sorted(FORGED_STATES))
def test_forged_random_generator_states_are_refused(nn, saved, tmp_path, label):
    path = tmp_path / "rng.fnn"
    path.write_bytes(_edit_metadata(saved, _rng_edit(FORGED_STATES[label])))
    _refused(nn, path, r"is malformed: (bad random generator state|unknown random generator)")


@pytest.mark.parametrize("label", sorted(FORGED_STATES))
def test_generator_from_state_refuses_forged_states(label):
    with pytest.raises(fastnn.ModelFileError, match="cannot restore a random generator"):
        _io.generator_from_state(FORGED_STATES[label])


@pytest.mark.parametrize("state", [_MT, _PHILOX], ids=["MT19937", "Philox"])
def test_valid_states_at_the_edge_of_their_ranges_load(state, saved, tmp_path):
    path = tmp_path / "edge.fnn"
    edge = _with_state(state, state__pos=624) if "pos" in state["state"] else state
    path.write_bytes(_edit_metadata(saved, _rng_edit(edge)))
    model = fastnn.load(path)
    assert type(model._rng.bit_generator).__name__ == state["bit_generator"]
    model._rng.random(1000)  # draws without reading past any buffer


@IMPLEMENTATIONS
def test_a_state_that_loading_would_refuse_is_not_saved(nn, tmp_path):
    """numpy accepts an out-of-range MT19937 position; saving refuses to write it."""
    model = _model(nn, seed=np.random.Generator(np.random.MT19937(1)))
    state = model._rng.bit_generator.state
    state["state"]["pos"] = 10**6
    model._rng.bit_generator.state = state
    with pytest.raises(ValueError, match=r"cannot save the model: bad random generator state"):
        model.save(tmp_path / "m.fnn")
    assert os.listdir(tmp_path) == []


ARCHITECTURE_EDITS = {
    "terabytes": (
        {"layer_sizes": [10**6, 10**6, 2]},
        r"do not fit the architecture it describes, which has 1000003000002 parameters "
        r"\(8000024000016 bytes\)",
    ),
    "huge-size": ({"layer_sizes": [10**39, 2]}, r"do not fit .* bytes\)"),
    "float-size": ({"layer_sizes": [3, 5.0, 4, 2]}, r"layer_sizes\[1\] must be an integer"),
    "bool-size": ({"layer_sizes": [3, True, 4, 2]}, r"layer_sizes\[1\] must be an integer"),
    "negative-size": ({"layer_sizes": [3, -5, 4, 2]}, r"zero-width"),
    "nested-sizes": ({"layer_sizes": [[3], 5, 4, 2]}, r"layer_sizes\[0\] must be an integer"),
    "one-size": ({"layer_sizes": [3]}, r"at least two integers"),
    "sizes-a-string": ({"layer_sizes": "3542"}, r"at least two integers, got '3542'"),
    "bias-an-int": ({"bias": 1}, r"bias must be true or false"),
    "dtype-unknown": ({"dtype": "float16"}, r"dtype must be one of"),
    "dtype-mismatch": ({"dtype": "float32"}, r"<f8 parameters do not fit the float32"),
    "activation-nested": ({"activations": [[["relu"]], "tanh", "identity"]}, r"activations\[0\]"),
    "activation-pair-of-lists": ({"activations": [["elu", [1]], "tanh", "identity"]}, "pair"),
    "activation-long-name": ({"activations": "r" * 100_000}, r"short name, got 'rrrr.*100000"),
    "activation-a-number": ({"activations": 3}, r"activations must be a name or a list"),
    "loss-an-object": ({"loss": {"name": "mse"}}, r"loss must be a name .*got an object"),
    "loss-pair-bool": ({"loss": ["huber", True]}, r"loss must be a name or a \[name, number\]"),
}


@IMPLEMENTATIONS
@pytest.mark.parametrize("label", sorted(ARCHITECTURE_EDITS))
def test_forged_architectures_are_refused_before_allocating(nn, saved, tmp_path, label):
    import tracemalloc

    changes, message = ARCHITECTURE_EDITS[label]
    path = tmp_path / "arch.fnn"
    path.write_bytes(_edit_metadata(saved, lambda m: m["architecture"].update(changes)))
    tracemalloc.start()
    try:
        error = _refused(nn, path, rf"is malformed: .*{message}")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"loading allocated {peak} bytes"
    assert len(str(error)) < 400, "the message quotes too much of the file"


@IMPLEMENTATIONS
def test_architecture_names_are_checked_by_the_model(nn, saved, tmp_path):
    path = tmp_path / "arch.fnn"
    path.write_bytes(_edit_metadata(saved, lambda m: m["architecture"].update(loss="hinge")))
    _refused(nn, path, r"describes an invalid network: loss: unknown name 'hinge'")


@IMPLEMENTATIONS
def test_declared_sizes_are_checked_before_reading(nn, saved, tmp_path):
    """A huge (sparse) file is refused from its header, without reading or allocating it all."""
    import time
    import tracemalloc

    path = tmp_path / "huge.fnn"
    with open(path, "wb") as f:
        f.write(saved)
        f.truncate(20 * 2**30)  # 20 GiB, almost all of it a hole
    for header in (saved[:16], saved[:12] + struct.pack("<I", 2**32 - 1)):
        with open(path, "r+b") as f:
            f.write(header)
        tracemalloc.start()
        start = time.perf_counter()
        try:
            _refused(
                nn, path, r"does not match n_params=54 values of <f8|more than the 16777216 a model"
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert time.perf_counter() - start < 5
        assert peak < 20_000_000


@IMPLEMENTATIONS
def test_n_params_beyond_the_file_is_refused_before_allocating(nn, saved, tmp_path):
    path = tmp_path / "big.fnn"
    path.write_bytes(_edit_metadata(saved, lambda m: m.update(n_params=2**60)))
    error = _refused(nn, path, r"is malformed: it holds 432 bytes of parameters, which does not")
    assert f"({2**60 * 8} bytes)" in str(error)


@IMPLEMENTATIONS
def test_bytes_after_the_checksum_are_refused(nn, saved, tmp_path):
    path = tmp_path / "long.fnn"
    path.write_bytes(saved + b"\0" * 100)
    _refused(nn, path, r"is malformed: it holds 532 bytes of parameters, which does not match")


@IMPLEMENTATIONS
def test_damage_found_in_files_too_large_to_checksum_is_named(nn, saved, tmp_path, monkeypatch):
    monkeypatch.setattr(_io, "_DIAGNOSE_LIMIT", 100)
    path = tmp_path / "cut.fnn"
    path.write_bytes(saved[:-50])
    _refused(nn, path, r"is damaged, truncated or malformed: it holds")


def _no_block(call, timeout=10.0):
    """Run ``call`` in a thread; fail (instead of hanging) if it blocks."""
    import threading

    outcome = {}

    def run():
        try:
            outcome["result"] = call()
        except BaseException as error:  # handed back to the test
            outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), "reading the file blocked"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("result")


@IMPLEMENTATIONS
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_refused_without_blocking(nn, tmp_path):
    fifo = tmp_path / "pipe.fnn"
    os.mkfifo(fifo)
    with pytest.raises(nn.ModelFileError, match=r"pipe.fnn.* is a FIFO .*not a regular file"):
        _no_block(lambda: nn.load(fifo))


@IMPLEMENTATIONS
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_file_swapped_for_a_fifo_after_the_check_does_not_block(nn, tmp_path, monkeypatch):
    """Between os.stat and opening, the file may change: it is opened O_NONBLOCK and fstat-ed."""
    fifo, regular = tmp_path / "pipe.fnn", tmp_path / "regular.fnn"
    os.mkfifo(fifo)
    regular.write_bytes(b"x" * 100)
    real_stat = os.stat
    monkeypatch.setattr(os, "stat", lambda p, *a, **k: real_stat(regular if p == str(fifo) else p))
    with pytest.raises(nn.ModelFileError, match=r"is a FIFO"):
        _no_block(lambda: nn.load(fifo))


@IMPLEMENTATIONS
@pytest.mark.parametrize(
    "device, kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device")]
)
def test_devices_are_refused_without_reading(nn, device, kind):
    if not os.path.exists(device):
        pytest.skip(f"no {device} here")
    with pytest.raises(nn.ModelFileError, match=rf"{device}' is {kind}, not a regular file"):
        _no_block(lambda: nn.load(device))


@IMPLEMENTATIONS
def test_a_socket_is_refused(nn, tmp_path):
    import socket

    if not hasattr(socket, "AF_UNIX"):
        pytest.skip("no Unix sockets here")
    path = tmp_path / "s.fnn"
    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.bind(str(path))
        except OSError as error:  # e.g. a path too long for a socket address
            pytest.skip(f"cannot bind a Unix socket here: {error}")
        with pytest.raises(nn.ModelFileError, match=r"is a socket, not a regular file"):
            _no_block(lambda: nn.load(path))


@IMPLEMENTATIONS
def test_loading_through_a_symlink_reads_its_target(nn, tmp_path):
    model = _model(nn)
    model.save(tmp_path / "real.fnn")
    (tmp_path / "link.fnn").symlink_to("real.fnn")
    assert nn.load(tmp_path / "link.fnn").params.tobytes() == model.params.tobytes()


# --- atomic writes -----------------------------------------------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize("failure", [OSError("No space left on device"), KeyboardInterrupt()])
def test_crash_mid_write_keeps_the_previous_file(nn, tmp_path, monkeypatch, failure):
    old, new = _model(nn, seed=1), _model(nn, seed=2)
    path = tmp_path / "m.fnn"
    old.save(path)
    before = path.read_bytes()
    written = []

    def half_then_fail(file, data):
        file.write(data[: len(data) // 2])
        file.flush()
        written.append(len(data) // 2)
        raise failure

    monkeypatch.setattr(_io, "_write_bytes", half_then_fail)
    with pytest.raises(type(failure)):
        new.save(path)
    assert written, "the writer was not called"
    assert path.read_bytes() == before
    assert nn.load(path).params.tobytes() == old.params.tobytes()
    assert sorted(os.listdir(tmp_path)) == ["m.fnn"], "a temporary file was left behind"


def test_crash_mid_write_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    def fail(file, data):
        file.write(data[:10])
        raise OSError("disk full")

    monkeypatch.setattr(_io, "_write_bytes", fail)
    with pytest.raises(OSError, match="disk full"):
        _model(fastnn).save(tmp_path / "m.fnn")
    assert os.listdir(tmp_path) == []


def test_file_is_complete_before_it_gets_its_name(tmp_path, monkeypatch):
    """The rename happens only after all bytes are written and flushed to disk."""
    events = []
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst):
        events.append(("replace", os.path.getsize(src)))
        real_replace(src, dst)

    def fsync(fd):
        events.append(("fsync",))
        real_fsync(fd)

    monkeypatch.setattr(os, "replace", replace)
    monkeypatch.setattr(os, "fsync", fsync)
    model = _model(fastnn)
    model.save(tmp_path / "m.fnn")
    size = len(_encode(model))
    assert events[0] == ("fsync",) and events[1] == ("replace", size)


_TEMPORARY = re.compile(r"\.fnn-[0-9a-f]{16}-[0-9a-f]{12}\.tmp")


@IMPLEMENTATIONS
def test_temporary_names_are_short_and_recognisable(nn, tmp_path, monkeypatch):
    sources = []
    real_replace = os.replace

    def replace(src, dst):
        sources.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    _model(nn).save(tmp_path / ("m" * 200 + ".fnn"))
    (name,) = sources
    assert _TEMPORARY.fullmatch(name) and len(name) == 38
    assert name.startswith(_io._temporary_prefix("m" * 200 + ".fnn"))


@IMPLEMENTATIONS
@pytest.mark.parametrize("letter", ["m", "é", "模"], ids=["ascii", "2-byte", "3-byte"])
def test_a_longest_legal_file_name_can_be_saved(nn, tmp_path, letter):
    limit = os.pathconf(tmp_path, "PC_NAME_MAX") if hasattr(os, "pathconf") else 255
    unit = len(letter.encode())
    name = letter * ((limit - 4) // unit) + "." * ((limit - 4) % unit) + ".fnn"
    assert len(os.fsencode(name)) == limit
    model = _model(nn)
    model.save(tmp_path / name)
    assert nn.load(tmp_path / name).params.tobytes() == model.params.tobytes()
    assert os.listdir(tmp_path) == [name]


def _age(path, seconds):
    info = os.stat(path, follow_symlinks=False)
    os.utime(
        path,
        (info.st_atime - seconds, info.st_mtime - seconds),
        follow_symlinks=not os.path.islink(path),
    )


@IMPLEMENTATIONS
def test_stale_temporaries_of_the_same_file_are_removed_and_nothing_else(nn, tmp_path):
    target = "m.fnn"
    ours = [_io._temporary_name(target) for _ in range(3)]
    fresh = _io._temporary_name(target)
    other_target = _io._temporary_name("other.fnn")
    lookalikes = [
        _io._temporary_prefix(target) + "notahexnumber.tmp",
        _io._temporary_prefix(target) + "0123456789ab.tmp.bak",
        _io._temporary_prefix(target) + "0123456789AB.tmp",
        ".m.fnn.0123456789ab.tmp",
        "m.fnn.tmp",
        "notes.txt",
    ]
    for name in [*ours, fresh, other_target, *lookalikes]:
        (tmp_path / name).write_bytes(b"partial")
    # a symlink and a directory with our pattern are never touched either
    link, folder = _io._temporary_name(target), _io._temporary_name(target)
    (tmp_path / "kept.txt").write_bytes(b"the link's target")
    (tmp_path / link).symlink_to("kept.txt")
    (tmp_path / folder).mkdir()
    for name in [*ours, other_target, *lookalikes, "kept.txt", link, folder]:
        _age(tmp_path / name, 2 * _io.STALE_AGE)
    _age(tmp_path / fresh, _io.STALE_AGE / 2)  # perhaps a save in progress: kept

    _model(nn).save(tmp_path / target)
    left = set(os.listdir(tmp_path))
    assert not left & set(ours), "stale temporaries of m.fnn were left"
    assert left == {
        target,
        fresh,
        other_target,
        *lookalikes,
        "kept.txt",
        link,
        folder,
    }


def test_stale_temporaries_are_only_removed_after_a_successful_save(tmp_path, monkeypatch):
    stale = tmp_path / _io._temporary_name("m.fnn")
    stale.write_bytes(b"partial")
    _age(stale, 2 * _io.STALE_AGE)

    def fail(file, data):
        raise OSError("disk full")

    monkeypatch.setattr(_io, "_write_bytes", fail)
    with pytest.raises(OSError, match="disk full"):
        _model(fastnn).save(tmp_path / "m.fnn")
    assert os.listdir(tmp_path) == [stale.name]


@IMPLEMENTATIONS
def test_saving_to_a_symlink_replaces_its_target_and_keeps_the_link(nn, tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "links").mkdir()
    real = tmp_path / "models" / "real.fnn"
    link = tmp_path / "links" / "current.fnn"
    first, second = _model(nn, seed=1), _model(nn, seed=2)
    first.save(real)
    link.symlink_to(os.path.join("..", "models", "real.fnn"))  # relative, into another directory
    second.save(link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("..", "models", "real.fnn")
    assert nn.load(real).params.tobytes() == second.params.tobytes()
    assert nn.load(link).params.tobytes() == second.params.tobytes()
    assert os.listdir(tmp_path / "links") == ["current.fnn"]
    assert os.listdir(tmp_path / "models") == ["real.fnn"]


@IMPLEMENTATIONS
def test_saving_through_a_chain_of_symlinks_and_a_dangling_one(nn, tmp_path):
    model = _model(nn)
    (tmp_path / "b.fnn").symlink_to("c.fnn")  # dangling: c.fnn does not exist yet
    (tmp_path / "a.fnn").symlink_to("b.fnn")
    model.save(tmp_path / "a.fnn")
    assert (tmp_path / "a.fnn").is_symlink() and (tmp_path / "b.fnn").is_symlink()
    assert not (tmp_path / "c.fnn").is_symlink()
    assert nn.load(tmp_path / "c.fnn").params.tobytes() == model.params.tobytes()


@IMPLEMENTATIONS
def test_saving_to_a_symlink_loop_or_a_link_to_a_directory_fails(nn, tmp_path):
    (tmp_path / "x.fnn").symlink_to("y.fnn")
    (tmp_path / "y.fnn").symlink_to("x.fnn")
    with pytest.raises(OSError, match="loop") as info:
        _model(nn).save(tmp_path / "x.fnn")
    assert info.value.errno == errno.ELOOP
    (tmp_path / "folder").mkdir()
    (tmp_path / "d.fnn").symlink_to("folder")
    with pytest.raises(IsADirectoryError):
        _model(nn).save(tmp_path / "d.fnn")
    assert sorted(os.listdir(tmp_path)) == ["d.fnn", "folder", "x.fnn", "y.fnn"]
    assert os.listdir(tmp_path / "folder") == []


# --- pickling ----------------------------------------------------------------------------------


@IMPLEMENTATIONS
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pickle_round_trip_keeps_views_into_theta(nn, dtype):
    X, y = regression_data(np.random.default_rng(3), 30, 3, 2)
    model = _model(nn, dtype=dtype)
    model.fit(X, y, epochs=2, learning_rate=0.05, batch_size=10)
    clone = pickle.loads(pickle.dumps(model))
    assert type(clone) is type(model)
    assert clone.params.tobytes() == model.params.tobytes()
    assert not np.shares_memory(clone.params, model.params)
    for view in clone.weights + clone.biases:
        assert np.shares_memory(view, clone.params)
    clone.weights[0][0, 0] = 123.0
    assert clone.params[0] == 123.0 and model.params[0] != 123.0
    assert clone.history_.loss.tobytes() == model.history_.loss.tobytes()
    # the generator state travels too: both continue identically
    clone.params = model.params
    a = model.fit(X, y, epochs=2, learning_rate=0.05, batch_size=10)
    b = clone.fit(X, y, epochs=2, learning_rate=0.05, batch_size=10)
    assert a.tobytes() == b.tobytes() and clone.params.tobytes() == model.params.tobytes()


@IMPLEMENTATIONS
def test_deepcopy_and_copy_are_independent(nn):
    model = _model(nn)
    for clone in (copy.deepcopy(model), model.copy()):
        assert clone.params.tobytes() == model.params.tobytes()
        clone.biases[0][:] = 9.0
        assert not (model.biases[0] == 9.0).any()
        assert np.shares_memory(clone.biases[0], clone.params)


# --- the import graph ----------------------------------------------------------------------------


def _import_graph() -> dict[str, set[str]]:
    """Each fastnn module → the fastnn modules it imports, anywhere in it (functions included).

    ``from package import name`` counts as importing ``package.name`` when that is a module and
    ``package`` otherwise; a parent package being initialised first is not counted as an edge.
    """
    root = pathlib.Path(fastnn.__file__).parent
    sources = {}
    for file in sorted(root.rglob("*.py")):
        parts = file.relative_to(root.parent).with_suffix("").parts
        is_package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if is_package else parts)
        sources[name] = (file, name if is_package else name.rpartition(".")[0])
    graph = {}
    for name, (file, package) in sources.items():
        edges = set()
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    stem = f"{base}.{node.module}" if node.module else base
                else:
                    stem = node.module
                targets = [
                    f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in sources else stem
                    for alias in node.names
                ]
            else:
                continue
            edges.update(target for target in targets if target in sources)
        graph[name] = edges
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> list[str] | None:
    """A path of imports from ``start`` to ``goal`` (excluding ``start``), or None."""
    seen, stack = set(), [(start, [])]
    while stack:
        module, path = stack.pop()
        for target in sorted(graph[module]):
            if target == goal:
                return [*path, target]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_io_imports_only_leaf_modules_and_is_on_no_import_cycle():
    graph = _import_graph()
    assert "fastnn._io" in graph and "fastnn._base" in graph  # the graph was found
    assert graph["fastnn._io"] <= {"fastnn._version"}, "_io must import only leaf modules"
    assert graph["fastnn._version"] == set()
    cycle = _reaches(graph, "fastnn._io", "fastnn._io")
    assert cycle is None, "import cycle: fastnn._io → " + " → ".join(cycle)
    # the models import _io (not the other way round)
    assert "fastnn._io" in graph["fastnn._base"]
    assert "fastnn._io" in graph["fastnn.model"] and "fastnn._io" in graph["fastnn.reference.model"]
