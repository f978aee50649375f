"""Model files: an architecture, θ and a random generator's state as bytes on disk, and back.

This module knows the file format and nothing about models. It imports only the standard library,
numpy and :mod:`fastnn._version`, so it is on no import cycle: :meth:`MLPBase.save` hands it
``spec.describe()``, θ and ``bit_generator.state`` (:func:`save_model_file`), and the models'
``load`` functions build a model from the checked :class:`ModelFile` that
:func:`read_model_file` returns (``MLPBase._from_model_file``).

A fastnn model file holds everything needed to rebuild a network: θ, the architecture (layer
sizes, activations with their parameters, loss with its parameter, bias, dtype), the state of the
model's random generator (so training continues exactly as it would have), the fastnn version that
wrote it, a format version and a SHA-256 checksum of the whole file. Training history and optimizer
state are not saved; pickle a model for a complete snapshot of a running session.

File layout (all integers little-endian)::

    offset  size  content
    0       8     magic bytes b"\\x89FASTNN\\n"
    8       4     format version (uint32), currently 1
    12      4     length H of the metadata block (uint32)
    16      H     metadata: UTF-8 JSON, padded with spaces so θ starts at a multiple of 16
    16+H    P     θ: n_params little-endian float64 or float32 values
    16+H+P  32    SHA-256 of every byte before it

Loading parses JSON with :mod:`json` and θ with :func:`numpy.frombuffer`; nothing in the file is
ever unpickled or executed, so loading an untrusted file can at worst fail with
:class:`ModelFileError` or produce a network with unexpected weights. The checksum catches
accidental damage (truncation, a flipped bit); it is not a signature and cannot prove who wrote a
file.

Saving writes a temporary file in the destination's directory, flushes it to disk and renames it
over the destination (:func:`os.replace`, atomic on POSIX and Windows), so a crash mid-write leaves
either the old file or the new one under the real name, never a mixture.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import os
import secrets
import struct
from typing import NamedTuple

import numpy as np

from ._version import __version__

#: The first bytes of every fastnn model file (a non-ASCII first byte, like PNG's, so a model file
#: is never mistaken for text, and a newline to detect line-ending conversion).
MAGIC = b"\x89FASTNN\n"
#: The version of the layout above that this fastnn writes and reads.
FORMAT_VERSION = 1

_PREFIX = struct.Struct("<8sII")  # magic, format version, metadata length
_DIGEST_SIZE = hashlib.sha256().digest_size
_ALIGN = 16
_MAX_METADATA = 16 * 1024 * 1024
#: Random bit generators whose state a file may restore (all part of numpy).
_BIT_GENERATORS = ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937")
#: What some common non-fastnn files start with, to say what a file is when it is not ours.
_FOREIGN_MAGIC = (
    (b"\x80", "a Python pickle"),
    (b"PK\x03\x04", "a zip archive (such as numpy's .npz)"),
    (b"\x93NUMPY", "a numpy .npy file"),
    (b"\x89HDF", "an HDF5 file"),
)


class ModelFileError(ValueError):
    """A file could not be loaded as a fastnn model: not one, damaged, or of another version."""


# --- saving --------------------------------------------------------------------------------------


def _check_path(path: object) -> str:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike file name, got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str or os.PathLike file name, got {path!r}")
    if path == "":
        raise ValueError("path must not be empty")
    return path


def _rng_state(state: dict | None) -> dict | None:
    if state is None or state.get("bit_generator") not in _BIT_GENERATORS:
        return None
    # numpy arrays (MT19937's key) become lists; everything else is plain ints and strings
    return json.loads(json.dumps(state, default=lambda a: np.asarray(a).tolist()))


def encode(
    architecture: dict,
    theta: np.ndarray,
    rng_state: dict | None,
    format_version: int = FORMAT_VERSION,
) -> bytes:
    """The bytes of a model file (see the module docstring for the layout)."""
    if not np.isfinite(theta).all():
        raise ValueError(
            "cannot save the model: its params contain NaN or infinity (a model that diverged "
            "keeps finite parameters; these were set by hand)"
        )
    dtype = np.dtype(theta.dtype).newbyteorder("<")
    metadata = {
        "format": "fastnn model",
        "fastnn_version": __version__,
        "architecture": architecture,
        "n_params": int(theta.shape[0]),
        "params_dtype": dtype.str,
        "rng_state": _rng_state(rng_state),
    }
    text = json.dumps(metadata, sort_keys=True, separators=(",", ":"), allow_nan=False)
    header = text.encode("utf-8")
    header += b" " * (-(_PREFIX.size + len(header)) % _ALIGN)
    body = (
        _PREFIX.pack(MAGIC, format_version, len(header))
        + header
        + theta.astype(dtype, copy=False).tobytes()
    )
    return body + hashlib.sha256(body).digest()


def _write_bytes(file, data: bytes) -> None:
    """Write ``data`` to the open binary ``file`` (a seam for the crash-mid-write tests)."""
    file.write(data)


def _fsync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable (POSIX only; best effort)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_model_file(path, architecture: dict, theta: np.ndarray, rng_state: dict | None) -> None:
    """Write a model file atomically (see :meth:`fastnn.MLP.save`)."""
    path = _check_path(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "path is a directory; give a file name", path)
    data = encode(architecture, theta, rng_state)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save to path: its directory {directory!r} does not exist", path
        )
    name = os.path.basename(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for any new file
            break
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
    try:
        with os.fdopen(fd, "wb") as file:
            _write_bytes(file, data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


# --- loading -------------------------------------------------------------------------------------


def _what_is(data: bytes) -> str:
    for magic, what in _FOREIGN_MAGIC:
        if data.startswith(magic):
            return f"; it looks like {what}"
    if data.startswith(MAGIC[:6]):
        return "; its first bytes are damaged"
    return ""


def decode(data: bytes, source: str = "the file") -> tuple[dict, np.ndarray]:
    """Check and split the bytes of a model file into its metadata and θ.

    Raises
    ------
    ModelFileError
        If ``data`` is not a complete, undamaged fastnn model file of a supported version.
    """
    if len(data) == 0:
        raise ModelFileError(f"{source} is empty: it is not a fastnn model file")
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise ModelFileError(f"{source} is truncated: it ends after {len(data)} bytes")
        pickle_note = (
            " fastnn never unpickles model files, because unpickling can run arbitrary code;"
            " load pickles yourself only if you trust their source."
            if data.startswith(b"\x80")
            else ""
        )
        raise ModelFileError(
            f"{source} is not a fastnn model file (it does not start with fastnn's magic bytes"
            f"{_what_is(data)}).{pickle_note}"
        )
    if len(data) < _PREFIX.size + _DIGEST_SIZE:
        raise ModelFileError(
            f"{source} is truncated: {len(data)} bytes is shorter than any fastnn model file"
        )
    _, version, header_size = _PREFIX.unpack_from(data)
    body, digest = data[:-_DIGEST_SIZE], data[-_DIGEST_SIZE:]
    checksum_ok = hashlib.sha256(body).digest() == digest
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{source} has model file format version {version}, but this fastnn reads format "
            f"version {FORMAT_VERSION}"
            + (
                "; load it with the fastnn version that wrote it (or a newer one)"
                if checksum_ok
                else " (the file also fails its checksum: it may be damaged)"
            )
        )
    if not checksum_ok:
        raise ModelFileError(
            f"{source} is damaged or truncated: its SHA-256 checksum does not match its contents"
        )
    # From here on the bytes are exactly what fastnn wrote (or were forged along with the checksum:
    # everything is still parsed defensively).
    if header_size > min(_MAX_METADATA, len(body) - _PREFIX.size):
        raise ModelFileError(f"{source} is malformed: metadata length {header_size} is impossible")
    try:
        metadata = json.loads(data[_PREFIX.size : _PREFIX.size + header_size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelFileError(f"{source} is malformed: its metadata is not JSON ({error})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != "fastnn model":
        raise ModelFileError(f"{source} is malformed: its metadata is not a fastnn model's")
    dtype_code = metadata.get("params_dtype")
    if dtype_code not in ("<f8", "<f4"):
        raise ModelFileError(f"{source} is malformed: unsupported params_dtype {dtype_code!r}")
    dtype = np.dtype(dtype_code)
    raw = body[_PREFIX.size + header_size :]
    n_params = metadata.get("n_params")
    if (
        not isinstance(n_params, int)
        or isinstance(n_params, bool)
        or n_params * dtype.itemsize != len(raw)
    ):
        raise ModelFileError(
            f"{source} is malformed: it holds {len(raw)} bytes of parameters, which does not "
            f"match n_params={n_params!r} values of {dtype_code}"
        )
    theta = np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("="), copy=True)
    return metadata, theta


class ModelFile(NamedTuple):
    """What a model file holds, checked.

    Attributes
    ----------
    architecture : dict
        The model's constructor arguments ``layer_sizes``, ``activations``, ``loss``, ``bias``
        and ``dtype`` (with ``(name, parameter)`` pairs as tuples).
    theta : ndarray
        θ: 1-D, native byte order, writable, finite.
    rng_state : dict or None
        A ``bit_generator.state`` (see :func:`generator_from_state`), or None.
    path : str
        The file's name as given, for messages.
    """

    architecture: dict
    theta: np.ndarray
    rng_state: dict | None
    path: str = ""


def _architecture(architecture: object, source: str) -> dict:
    """Constructor arguments of the model described by ``architecture`` (checked by the model)."""
    keys = {"layer_sizes", "activations", "loss", "bias", "dtype"}
    if not isinstance(architecture, dict) or set(architecture) != keys:
        raise ModelFileError(
            f"{source} is malformed: its architecture must have the keys {sorted(keys)}"
        )

    def named(item):
        return tuple(item) if isinstance(item, list) else item

    activations = architecture["activations"]
    return {
        "layer_sizes": named(architecture["layer_sizes"]),
        "activations": [named(a) for a in activations]
        if isinstance(activations, list)
        else activations,
        "loss": named(architecture["loss"]),
        "bias": architecture["bias"],
        "dtype": architecture["dtype"],
    }


def generator_from_state(state: dict, source: str = "the file") -> np.random.Generator:
    """A numpy Generator over a new bit generator set to ``state``."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ModelFileError(f"{source} is malformed: unknown random generator {name!r}")
    try:
        bit_generator = getattr(np.random, name)()
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as error:
        raise ModelFileError(
            f"{source} is malformed: bad random generator state ({error})"
        ) from None
    return np.random.Generator(bit_generator)


def read_model_file(path) -> ModelFile:
    """Read and check the model file at ``path``."""
    path = _check_path(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "path is a directory, not a model file", path)
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no fastnn model file at path", path) from None
    source = f"model file {path!r}"
    metadata, theta = decode(data, source)
    architecture = _architecture(metadata.get("architecture"), source)
    sizes, bias = architecture["layer_sizes"], architecture["bias"]
    if (
        isinstance(sizes, tuple)
        and all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
        and isinstance(bias, bool)
    ):
        expected = sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(sizes))
        if expected != theta.shape[0] or architecture["dtype"] != theta.dtype.name:
            raise ModelFileError(
                f"{source} is malformed: its {theta.shape[0]} {theta.dtype} parameters do not "
                f"fit the architecture it describes ({expected} {architecture['dtype']} "
                "parameters)"
            )
    if not np.isfinite(theta).all():
        raise ModelFileError(f"{source} holds unusable parameters: they contain NaN or infinity")
    state = metadata.get("rng_state")
    if state is not None:
        generator_from_state(state, source)
    return ModelFile(architecture, theta, state, path)
