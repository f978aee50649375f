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

An *ensemble file* (:func:`save_ensemble_file`, :func:`read_ensemble_file`; written by
:class:`fastnn.Ensemble`) has the same layout: its metadata names the format ``"fastnn ensemble"``
and adds ``n_models``, ``rng_states`` (one per model) and ``classes``, and the values are the
``n_models`` θ rows one after another (``n_models`` × ``n_params`` values). It is read with the
same checks; each kind of file names the other's loader when given to the wrong one.

Reading treats every file as possibly hostile; whatever it holds, :func:`read_model_file` returns
a checked :class:`ModelFile` or raises :class:`ModelFileError` (``OSError`` only for a file that
cannot be opened, ``IsADirectoryError`` for a directory), with bounded work and memory:

* Anything but a regular file (a FIFO, a character or block device such as ``/dev/zero``, a
  socket) is refused before a byte is read. The file is opened with ``O_NONBLOCK`` and checked
  again with :func:`os.fstat`, so one swapped for a FIFO in between cannot block the reader.
* The 16-byte header is read first: magic bytes, format version, and a metadata length of at most
  :data:`MAX_METADATA` that fits in the file.
* The metadata is parsed with :mod:`json`, refusing integers of more than 40 digits, NaN and
  infinities, repeated keys and nesting too deep for the parser.
* The θ size it declares (``n_params`` × 4 or 8 bytes) must make header, metadata, θ and checksum
  exactly the file's size before anything is allocated for θ; no more than those bytes are read.
  (When a file turns out broken before its checksum could be verified — a mis-cut header,
  unreadable metadata, a wrong size — a file of at most 64 MiB is also checksummed, to say whether
  it is damaged or well-formed but forged.)
* After the checksum: the architecture must describe exactly ``n_params`` values of the declared
  dtype (layer sizes are Python ints, so one needing terabytes is refused, naming the bytes), θ
  must be finite, and the random generator's state must fit the exact layout of its numpy bit
  generator (numpy itself accepts, e.g., an MT19937 position past the end of its key, and then
  reads beyond its buffer).

Nothing in a file is ever unpickled or executed, so loading an untrusted file can at worst fail
with :class:`ModelFileError` or produce a network with unexpected weights. The checksum catches
accidental damage (truncation, a flipped bit); it is not a signature and cannot prove who wrote a
file. Memory is bounded by the file's real size: a regular file whose declared sizes add up
exactly gets θ allocated, as a real model of that size would.

Saving (:func:`save_model_file`) writes a temporary file ``.fnn-<tag>-<random>.tmp`` (38 ASCII
characters, whatever the destination's name) in the destination's directory, flushes it to disk
and renames it over the destination (:func:`os.replace`, atomic on POSIX and Windows), so a crash
mid-write leaves either the old file or the new one under the real name, never a mixture. A
symlink is written through: the file it points to is replaced and the link stays. Temporary files
of the same destination that a killed save left behind are deleted by the next successful save
once they are an hour old; nothing else is ever deleted.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import itertools
import json
import math
import os
import secrets
import stat
import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from ._version import __version__

#: The first bytes of every fastnn model file (a non-ASCII first byte, like PNG's, so a model file
#: is never mistaken for text, and a newline to detect line-ending conversion).
MAGIC = b"\x89FASTNN\n"
#: The version of the layout above that this fastnn writes and reads.
FORMAT_VERSION = 1
#: The largest metadata block a model file may have (bytes).
MAX_METADATA = 16 * 1024 * 1024

_PREFIX = struct.Struct("<8sII")  # magic, format version, metadata length
_DIGEST_SIZE = hashlib.sha256().digest_size
_ALIGN = 16
#: Integers in the metadata have at most this many digits (a 128-bit generator state has 39).
_MAX_DIGITS = 40
#: Numbers other than integers are written in at most this many characters (repr needs 24).
_MAX_NUMBER_CHARS = 64
#: Activation and loss names are at most this long.
_MAX_NAME = 100
#: When a file is broken before its checksum could be verified, files up to this size are
#: checksummed anyway, to tell damage (the checksum fails) from a forged but well-formed file.
_DIAGNOSE_LIMIT = 64 * 1024 * 1024
_CHUNK = 1024 * 1024
#: Temporary files of a save that are older than this (seconds) are left over from a killed save.
STALE_AGE = 3600.0
_DTYPES = {"float64": "<f8", "float32": "<f4"}
_ARCHITECTURE_KEYS = ("activations", "bias", "dtype", "layer_sizes", "loss")
#: The formats a file's metadata may name, and what loads each (for the message when a file of
#: one is read as the other).
_LOADERS = {"fastnn model": "fastnn.load", "fastnn ensemble": "fastnn.Ensemble.load"}
#: An ensemble file's class labels are at most this many JSON strings or integers.
_MAX_CLASSES = 1_000_000

#: The state of each numpy bit generator a file may restore: a dict has exactly these keys, a list
#: exactly these items, and an int ``b`` stands for an integer in ``[0, b)``. numpy checks little
#: of this itself (an MT19937 ``pos`` beyond its key makes it read past its buffer), so nothing
#: else gets through.
_U32, _U64, _U128 = 2**32, 2**64, 2**128
_STATE_LAYOUTS = {
    "PCG64": {"state": {"state": _U128, "inc": _U128}, "has_uint32": 2, "uinteger": _U32},
    "PCG64DXSM": {"state": {"state": _U128, "inc": _U128}, "has_uint32": 2, "uinteger": _U32},
    "Philox": {
        "state": {"counter": [_U64] * 4, "key": [_U64] * 2},
        "buffer": [_U64] * 4,
        "buffer_pos": 5,
        "has_uint32": 2,
        "uinteger": _U32,
    },
    "SFC64": {"state": {"state": [_U64] * 4}, "has_uint32": 2, "uinteger": _U32},
    "MT19937": {"state": {"key": [_U32] * 624, "pos": 625}},
}
#: What some common non-fastnn files start with, to say what a file is when it is not ours.
_FOREIGN_MAGIC = (
    (b"\x80", "a Python pickle"),
    (b"PK\x03\x04", "a zip archive (such as numpy's .npz)"),
    (b"\x93NUMPY", "a numpy .npy file"),
    (b"\x89HDF", "an HDF5 file"),
)


class ModelFileError(ValueError):
    """A file could not be loaded as a fastnn model: not one, damaged, or of another version."""


class ModelFile(NamedTuple):
    """What a model file holds, checked (returned by :func:`read_model_file`).

    Attributes
    ----------
    architecture : dict
        The model's constructor arguments ``layer_sizes`` (a tuple of ints), ``activations`` (a
        name, or a list of names and ``(name, parameter)`` tuples), ``loss`` (a name or a
        ``(name, parameter)`` tuple), ``bias`` (bool) and ``dtype`` (``"float64"`` or
        ``"float32"``). Names are not checked here: the model's constructor checks them.
    theta : ndarray
        θ: 1-D, native byte order, writable, finite, as many values as the architecture has
        parameters, of its dtype.
    rng_state : dict or None
        A ``bit_generator.state`` that :func:`generator_from_state` accepts, or None.
    path : str
        The file's name as given, for messages.
    """

    architecture: dict
    theta: np.ndarray
    rng_state: dict | None
    path: str = ""


class EnsembleFile(NamedTuple):
    """What an ensemble file holds, checked (returned by :func:`read_ensemble_file`).

    Attributes
    ----------
    architecture : dict
        The constructor arguments every model shares (as :attr:`ModelFile.architecture`).
    thetas : ndarray, shape (n_models, n_params)
        Each model's θ as one row: C-contiguous, native byte order, writable, finite.
    rng_states : list
        Each model's ``bit_generator.state`` (checked as :attr:`ModelFile.rng_state`) or None.
    classes : list or None
        Class labels (strings or integers) when the ensemble is a classifier's, else None.
    path : str
        The file's name as given, for messages.
    """

    architecture: dict
    thetas: np.ndarray
    rng_states: list
    classes: list | None
    path: str = ""


class _Malformed(Exception):
    """What is wrong with a model file's contents; the caller says which file (or that it saves)."""


def _describe(value: object) -> str:
    """A short description of a value read from a file, for messages (never a huge repr)."""
    if value is None or isinstance(value, (bool, float)):
        return repr(value)
    if isinstance(value, int):
        return repr(value) if value.bit_length() <= 4 * _MAX_DIGITS else "a huge integer"
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else f"{value[:40]!r}... ({len(value)} characters)"
    return {"list": "a list", "tuple": "a tuple", "dict": "an object"}.get(
        type(value).__name__, f"a {type(value).__name__}"
    )


def _check_path(path: object) -> str:
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike file name, got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"path must be a str or os.PathLike file name, got {path!r}")
    if path == "":
        raise ValueError("path must not be empty")
    return path


# --- what the metadata may say (checked on saving and on loading) --------------------------------


def _named(item: object, where: str) -> str | tuple:
    """A ``name`` or a ``[name, number]`` pair (as a tuple)."""
    if (
        isinstance(item, (list, tuple))
        and len(item) == 2
        and isinstance(item[1], (int, float))
        and not isinstance(item[1], bool)
    ):
        name = item[0]
    elif isinstance(item, str):
        name = item
    else:
        raise _Malformed(
            f"its {where} must be a name or a [name, number] pair, got {_describe(item)}"
        )
    if not isinstance(name, str) or not 0 < len(name) <= _MAX_NAME:
        raise _Malformed(f"its {where} must be named by a short string, got {_describe(name)}")
    return item if isinstance(item, str) else (name, item[1])


def _check_architecture(architecture: object) -> tuple[dict, int]:
    """The constructor arguments in ``architecture`` and how many parameters they describe."""
    if not isinstance(architecture, dict) or sorted(architecture) != list(_ARCHITECTURE_KEYS):
        raise _Malformed(f"its architecture must have the keys {list(_ARCHITECTURE_KEYS)}")
    sizes = architecture["layer_sizes"]
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise _Malformed(
            f"its layer_sizes must be a list of at least two integers, got {_describe(sizes)}"
        )
    for i, size in enumerate(sizes):
        if isinstance(size, bool) or not isinstance(size, int):
            raise _Malformed(f"its layer_sizes[{i}] must be an integer, got {_describe(size)}")
        if size < 1:
            raise _Malformed(f"its layer_sizes[{i}] is {size}: there are no zero-width layers")
    bias = architecture["bias"]
    if not isinstance(bias, bool):
        raise _Malformed(f"its bias must be true or false, got {_describe(bias)}")
    dtype = architecture["dtype"]
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise _Malformed(f"its dtype must be one of {list(_DTYPES)}, got {_describe(dtype)}")
    activations = architecture["activations"]
    if isinstance(activations, (list, tuple)):
        activations = [_named(a, f"activations[{i}]") for i, a in enumerate(activations)]
    elif not isinstance(activations, str):
        raise _Malformed(
            f"its activations must be a name or a list of them, got {_describe(activations)}"
        )
    elif not 0 < len(activations) <= _MAX_NAME:
        raise _Malformed(f"its activations must be a short name, got {_describe(activations)}")
    arguments = {
        "layer_sizes": tuple(sizes),
        "activations": activations,
        "loss": _named(architecture["loss"], "loss"),
        "bias": bias,
        "dtype": dtype,
    }
    n_params = sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(sizes))
    return arguments, n_params


def _check_layout(value: Any, layout: Any, where: str) -> None:
    """``value`` has the shape and ranges of ``layout`` (see :data:`_STATE_LAYOUTS`)."""
    if isinstance(layout, dict):
        if not isinstance(value, dict) or set(value) != set(layout):
            raise _Malformed(
                f"bad random generator state: {where} must have the keys {sorted(layout)}"
            )
        for key, inner in layout.items():
            _check_layout(value[key], inner, f"{where}[{key!r}]")
    elif isinstance(layout, list):
        if not isinstance(value, list) or len(value) != len(layout):
            raise _Malformed(
                f"bad random generator state: {where} must be a list of {len(layout)} integers, "
                f"got {_describe(value)}"
            )
        for i, (item, bound) in enumerate(zip(value, layout, strict=True)):
            _check_layout(item, bound, f"{where}[{i}]")
    elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < layout:
        bound = f"2**{layout.bit_length() - 1}" if layout > 1024 else str(layout)
        raise _Malformed(
            f"bad random generator state: {where} must be an integer in [0, {bound}), "
            f"got {_describe(value)}"
        )


def _generator(state: Any) -> np.random.Generator:
    """A Generator over a new numpy bit generator in ``state``, which is checked first."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if not isinstance(name, str) or name not in _STATE_LAYOUTS:
        raise _Malformed(f"unknown random generator {_describe(name)}")
    _check_layout(
        {key: value for key, value in state.items() if key != "bit_generator"},
        _STATE_LAYOUTS[name],
        "rng_state",
    )
    bit_generator = getattr(np.random, name)()
    try:
        bit_generator.state = state
    except Exception as error:  # whatever numpy may raise about a state it does not like
        raise _Malformed(
            f"bad random generator state: numpy refuses it ({type(error).__name__}: "
            f"{str(error)[:200]})"
        ) from None
    return np.random.Generator(bit_generator)


def generator_from_state(state: dict) -> np.random.Generator:
    """A numpy Generator over a new bit generator of ``state``'s kind, set to ``state``.

    ``state`` is a ``bit_generator.state`` as :attr:`ModelFile.rng_state` holds it (numpy arrays
    as lists). Raises :class:`ModelFileError` if it is not a state fastnn saves.
    """
    try:
        return _generator(state)
    except _Malformed as error:
        raise ModelFileError(f"cannot restore a random generator: {error}") from None


# --- saving --------------------------------------------------------------------------------------


def _saved_rng_state(state: Mapping[str, Any] | None) -> dict | None:
    """``state`` as JSON data, or None for a bit generator that model files do not record."""
    if not isinstance(state, dict) or state.get("bit_generator") not in _STATE_LAYOUTS:
        return None
    # numpy arrays (MT19937's key, ...) become lists; everything else is plain ints and strings
    saved = json.loads(json.dumps(state, default=lambda a: np.asarray(a).tolist()))
    _generator(saved)  # never write a state that loading would refuse
    return saved


def encode(
    architecture: dict,
    theta: np.ndarray,
    rng_state: Mapping[str, Any] | None,
    format_version: int = FORMAT_VERSION,
) -> bytes:
    """The bytes of a model file (see the module docstring for the layout).

    ``architecture`` is a ``NetworkSpec.describe()``; ``theta`` is θ, 1-D float64 or float32 of
    the architecture's dtype and length; ``rng_state`` is a ``bit_generator.state`` (or None; the
    states of bit generators other than numpy's PCG64, PCG64DXSM, Philox, SFC64 and MT19937 are
    not recorded).

    Raises
    ------
    ValueError
        If θ holds NaN or infinity, or the arguments do not describe a model file this module
        would read back.
    """
    theta = np.asarray(theta)
    if theta.ndim != 1 or theta.dtype.kind != "f" or theta.dtype.itemsize not in (4, 8):
        raise ValueError(
            f"θ must be a 1-D float64 or float32 array, got {theta.dtype} {theta.shape}"
        )
    if not np.isfinite(theta).all():
        raise ValueError(
            "cannot save the model: its params contain NaN or infinity (a model that diverged "
            "keeps finite parameters; these were set by hand)"
        )
    dtype = theta.dtype.newbyteorder("<")
    try:
        checked, n_params = _check_architecture(architecture)
        if n_params != theta.shape[0] or _DTYPES[checked["dtype"]] != dtype.str:
            raise _Malformed(
                f"θ ({theta.shape[0]} {theta.dtype} values) does not fit its architecture "
                f"({n_params} {checked['dtype']} parameters)"
            )
        metadata = {
            "format": "fastnn model",
            "fastnn_version": __version__,
            "architecture": architecture,
            "n_params": n_params,
            "params_dtype": dtype.str,
            "rng_state": _saved_rng_state(rng_state),
        }
    except _Malformed as error:
        raise ValueError(f"cannot save the model: {error}") from None
    return _container(metadata, theta.astype(dtype, copy=False), format_version, "model")


def _container(metadata: dict, values: np.ndarray, format_version: int, what: str) -> bytes:
    """Header, ``metadata`` as JSON, ``values`` (little-endian already) and the checksum."""
    text = json.dumps(metadata, sort_keys=True, separators=(",", ":"), allow_nan=False)
    header = text.encode("utf-8")
    header += b" " * (-(_PREFIX.size + len(header)) % _ALIGN)
    if len(header) > MAX_METADATA:
        raise ValueError(
            f"cannot save the {what}: its description takes {len(header)} bytes, more than the "
            f"{MAX_METADATA} a {what} file may hold"
        )
    body = _PREFIX.pack(MAGIC, format_version, len(header)) + header + values.tobytes()
    return body + hashlib.sha256(body).digest()


def _check_classes(classes: object) -> list | None:
    """Class labels as a JSON list of strings or integers (None stays None)."""
    if classes is None:
        return None
    if not isinstance(classes, list) or not 0 < len(classes) <= _MAX_CLASSES:
        raise _Malformed(f"its classes must be a non-empty list, got {_describe(classes)}")
    kinds = {type(label) for label in classes}
    if not (kinds == {str} or kinds == {int}):
        raise _Malformed("its classes must be all strings or all integers")
    for label in classes:
        if isinstance(label, str) and len(label) > _MAX_NAME:
            raise _Malformed(f"its classes hold a label of {len(label)} characters")
    if len(set(classes)) != len(classes):
        raise _Malformed("its classes repeat a label")
    return classes


def encode_ensemble(
    architecture: dict,
    thetas: np.ndarray,
    rng_states: list,
    classes: list | None = None,
    format_version: int = FORMAT_VERSION,
) -> bytes:
    """The bytes of an ensemble file: the layout of a model file, whose metadata names the format
    ``"fastnn ensemble"`` and says ``n_models``, and whose values are the rows of ``thetas``
    (``n_models`` × ``n_params``) one after another.

    ``rng_states`` holds one ``bit_generator.state`` (or None) per model; ``classes`` is None or
    a list of strings or of integers (a classifier ensemble's labels).

    Raises
    ------
    ValueError
        If a θ holds NaN or infinity, or the arguments do not make a file this module reads back.
    """
    thetas = np.asarray(thetas)
    if thetas.ndim != 2 or thetas.shape[0] < 1 or thetas.dtype.kind != "f":
        raise ValueError(
            f"thetas must be a 2-D float array of at least one row, got {thetas.dtype} "
            f"{thetas.shape}"
        )
    if not np.isfinite(thetas).all():
        raise ValueError("cannot save the ensemble: its params contain NaN or infinity")
    if len(rng_states) != thetas.shape[0]:
        raise ValueError(f"need {thetas.shape[0]} rng states, got {len(rng_states)}")
    dtype = thetas.dtype.newbyteorder("<")
    try:
        checked, n_params = _check_architecture(architecture)
        if n_params != thetas.shape[1] or _DTYPES[checked["dtype"]] != dtype.str:
            raise _Malformed(
                f"θ rows ({thetas.shape[1]} {thetas.dtype} values) do not fit their architecture "
                f"({n_params} {checked['dtype']} parameters)"
            )
        metadata = {
            "format": "fastnn ensemble",
            "fastnn_version": __version__,
            "architecture": architecture,
            "n_models": int(thetas.shape[0]),
            "n_params": n_params,
            "params_dtype": dtype.str,
            "rng_states": [_saved_rng_state(state) for state in rng_states],
            "classes": _check_classes(classes),
        }
    except _Malformed as error:
        raise ValueError(f"cannot save the ensemble: {error}") from None
    values = np.ascontiguousarray(thetas.astype(dtype, copy=False))
    return _container(metadata, values, format_version, "ensemble")


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


def _temporary_prefix(name: str) -> str:
    """``.fnn-<tag>-``: the start of the names of ``name``'s temporary files.

    The tag is 16 hex digits of the SHA-256 of the file name, so temporary names are 38 ASCII
    characters whatever the destination's length (a legal 255-byte name stays saveable), and a
    save recognises the leftovers of earlier saves to the same destination.
    """
    return f".fnn-{hashlib.sha256(os.fsencode(name)).hexdigest()[:16]}-"


def _temporary_name(name: str) -> str:
    return f"{_temporary_prefix(name)}{secrets.token_hex(6)}.tmp"


def _is_temporary_of(entry: str, prefix: str) -> bool:
    token = entry[len(prefix) : -len(".tmp")]
    return (
        entry.startswith(prefix)
        and entry.endswith(".tmp")
        and len(token) == 12
        and all(c in "0123456789abcdef" for c in token)
    )


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Delete temporary files of saves to ``name`` that are older than :data:`STALE_AGE`.

    Only regular files whose names have this module's pattern for ``name`` are considered (never
    symlinks or anything else), and their age is measured against the modification time of the
    file just saved, so the file system's clock is compared with itself. Best effort: errors
    (another user's file, a race with another cleanup) are ignored.
    """
    prefix = _temporary_prefix(name)
    with contextlib.suppress(OSError):
        now = os.stat(os.path.join(directory, name)).st_mtime
        with os.scandir(directory) as entries:
            for entry in entries:
                if not _is_temporary_of(entry.name, prefix):
                    continue
                with contextlib.suppress(OSError):
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISREG(info.st_mode) and info.st_mtime < now - STALE_AGE:
                        os.unlink(entry.path)


def _destination(path: str) -> str:
    """The file that saving to ``path`` replaces: ``path``, or the file a symlink points to."""
    if not os.path.islink(path):
        return path
    target = os.path.realpath(path)
    if os.path.islink(target):  # realpath gives up on a loop of links
        raise OSError(errno.ELOOP, "cannot save through path: its symlinks form a loop", path)
    return target


def save_model_file(
    path, architecture: dict, theta: np.ndarray, rng_state: Mapping[str, Any] | None
) -> None:
    """Write a model file of ``architecture``, θ and ``rng_state`` to ``path``, atomically.

    The bytes (see :func:`encode`) go to a new temporary file ``.fnn-<tag>-<random>.tmp`` in the
    destination's directory, are flushed to disk (``fsync``) and the file is renamed over the
    destination (:func:`os.replace`), then the directory is flushed. A crash leaves the old file
    or the new one under the destination's name, never a mixture. A new file's permissions follow
    the umask; an existing file is replaced by a new one (its permissions are not kept).

    If ``path`` is a symlink, the file it points to is replaced and the link stays a link (a
    dangling link gets its target created). After a successful save, temporary files of earlier
    saves to the same destination that are more than :data:`STALE_AGE` seconds old (left by a
    killed process) are deleted; no other file is ever touched.

    Raises
    ------
    TypeError, ValueError
        If ``path`` is not a str or ``os.PathLike`` or is empty; ValueError also if θ holds NaN
        or infinity or the arguments do not make a readable model file.
    OSError
        If the file cannot be written (``IsADirectoryError``, ``FileNotFoundError`` for a missing
        directory, ...).
    """
    path = _check_path(path)
    destination = _destination(path)
    if os.path.isdir(destination):
        raise IsADirectoryError(errno.EISDIR, "path is a directory; give a file name", path)
    _write_atomically(path, destination, encode(architecture, theta, rng_state))


def save_ensemble_file(
    path, architecture: dict, thetas: np.ndarray, rng_states: list, classes: list | None = None
) -> None:
    """Write an ensemble file (:func:`encode_ensemble`) to ``path``, atomically.

    Written exactly as :func:`save_model_file` writes a model file (temporary file, ``fsync``,
    rename; symlinks written through; stale temporaries of the destination removed).
    """
    path = _check_path(path)
    destination = _destination(path)
    if os.path.isdir(destination):
        raise IsADirectoryError(errno.EISDIR, "path is a directory; give a file name", path)
    _write_atomically(path, destination, encode_ensemble(architecture, thetas, rng_states, classes))


def _write_atomically(path: str, destination: str, data: bytes) -> None:
    """Write ``data`` to ``destination`` (``path`` resolved) as :func:`save_model_file` does."""
    directory = os.path.dirname(os.path.abspath(destination))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"cannot save to path: its directory {directory!r} does not exist", path
        )
    name = os.path.basename(destination)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, _temporary_name(name))
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
        os.replace(tmp, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)
    _remove_stale_temporaries(directory, name)


# --- loading -------------------------------------------------------------------------------------


def _what_is(data: bytes) -> str:
    for magic, what in _FOREIGN_MAGIC:
        if data.startswith(magic):
            return f"; it looks like {what}"
    if data.startswith(MAGIC[:6]):
        return "; its first bytes are damaged"
    return ""


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > _MAX_DIGITS:
        raise _Malformed(
            f"its metadata holds an integer of {digits} digits (at most {_MAX_DIGITS} are allowed)"
        )
    return int(text)


def _parse_float(text: str) -> float:
    if len(text) > _MAX_NUMBER_CHARS:
        raise _Malformed(f"its metadata holds a number written with {len(text)} characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed(f"its metadata holds a number too large for a float ({text[:40]})")
    return value


def _parse_constant(text: str) -> object:
    raise _Malformed(f"its metadata holds {text}, which is not a number JSON allows")


def _json_object(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        counts: dict = {}
        for key, _ in pairs:
            counts[key] = counts.get(key, 0) + 1
        repeated = next(key for key, count in counts.items() if count > 1)
        raise _Malformed(f"its metadata repeats the key {_describe(repeated)}")
    return obj


def _parse_metadata(raw: bytes, kind: str = "fastnn model") -> dict:
    """The metadata block as a dict; no input makes this raise anything but :class:`_Malformed`.

    ``kind`` is the ``format`` the metadata must name: ``"fastnn model"`` or ``"fastnn ensemble"``.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _Malformed(
            f"its metadata is not UTF-8 text (bad byte {error.start} of {len(raw)})"
        ) from None
    try:
        metadata = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_parse_constant,
            object_pairs_hook=_json_object,
        )
    except RecursionError:
        raise _Malformed("its metadata is nested too deeply") from None
    except json.JSONDecodeError as error:
        raise _Malformed(
            f"its metadata is not JSON ({error.msg} at character {error.pos})"
        ) from None
    except ValueError as error:  # pragma: no cover - the hooks leave nothing else that raises it
        raise _Malformed(f"its metadata cannot be read ({str(error)[:200]})") from None
    if not isinstance(metadata, dict) or metadata.get("format") != kind:
        other = metadata.get("format") if isinstance(metadata, dict) else None
        if other in _LOADERS and other != kind:
            raise _Malformed(f"it is a {other} file; load it with {_LOADERS[other]}")
        raise _Malformed(f"its metadata is not a {kind}'s")
    return metadata


def _declared_params(metadata: dict, kind: str = "fastnn model") -> tuple[int, np.dtype]:
    """How many values of which dtype the metadata says θ holds (all models' for an ensemble)."""
    code = metadata.get("params_dtype")
    if not isinstance(code, str) or code not in _DTYPES.values():
        raise _Malformed(f"it has an unsupported params_dtype {_describe(code)}")
    n_params = metadata.get("n_params")
    if isinstance(n_params, bool) or not isinstance(n_params, int) or n_params < 0:
        raise _Malformed(f"its n_params must be a count, got {_describe(n_params)}")
    if kind == "fastnn ensemble":
        n_models = metadata.get("n_models")
        if isinstance(n_models, bool) or not isinstance(n_models, int) or n_models < 1:
            raise _Malformed(f"its n_models must be a count >= 1, got {_describe(n_models)}")
        return n_models * n_params, np.dtype(code)  # Python ints: no overflow
    return n_params, np.dtype(code)


def _check_regular(info: os.stat_result, path: str, source: str) -> None:
    mode = info.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "path is a directory, not a model file", path)
    kind = (
        "a FIFO (named pipe)"
        if stat.S_ISFIFO(mode)
        else "a character device"
        if stat.S_ISCHR(mode)
        else "a block device"
        if stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a special file"
    )
    raise ModelFileError(
        f"{source} is {kind}, not a regular file: fastnn reads model files only from regular files"
    )


def _read_exact(file, buffer: memoryview, source: str) -> None:
    """Fill ``buffer`` from ``file`` (an unbuffered binary file)."""
    done = 0
    while done < len(buffer):
        n = file.readinto(buffer[done:])
        if not n:
            raise ModelFileError(
                f"{source} is truncated: it ended while being read (is something writing it?)"
            )
        done += n


def _read_bytes(file, size: int, source: str) -> bytes:
    data = bytearray(size)
    _read_exact(file, memoryview(data), source)
    return bytes(data)


def _checksum_matches(file, end: int) -> bool | None:
    """Whether the file's bytes ``[end - 32, end)`` are the SHA-256 of the bytes before them.

    None if ``end`` is beyond :data:`_DIAGNOSE_LIMIT` (not checked).
    """
    if end > _DIAGNOSE_LIMIT:
        return None
    file.seek(0)
    digest = hashlib.sha256()
    remaining = end - _DIGEST_SIZE
    while remaining > 0:
        chunk = file.read(min(_CHUNK, remaining))
        if not chunk:
            return False
        digest.update(chunk)
        remaining -= len(chunk)
    return digest.digest() == file.read(_DIGEST_SIZE)


def read_model_file(path) -> ModelFile:
    """Read and check the model file at ``path`` (see the module docstring).

    Raises
    ------
    ModelFileError
        If the file is not a regular file, not a fastnn model file, truncated, damaged, malformed
        or of an unsupported format version. A subclass of ``ValueError``.
    TypeError, ValueError
        If ``path`` is not a str or ``os.PathLike``, or is empty.
    OSError
        If the file cannot be read (``FileNotFoundError``, ``IsADirectoryError``, ...).
    """
    path = _check_path(path)
    source = f"model file {path!r}"
    try:
        # refuse a directory, FIFO or device before opening it (opening some has side effects)
        _check_regular(os.stat(path), path, source)
        # O_NONBLOCK: should the file have become a FIFO since, opening it does not wait for a
        # writer; it has no effect on regular files
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, "no fastnn model file at path", path) from None
    with open(fd, "rb", buffering=0) as file:
        info = os.fstat(file.fileno())
        _check_regular(info, path, source)
        return _read_model(file, info.st_size, path, source)


def _open_regular(path, reader, what: str):
    """``reader(file, size, path, source)`` on the regular file at ``path`` (see the docstring).

    ``what`` names the kind of file in messages (``"ensemble file"``).
    """
    path = _check_path(path)
    source = f"{what} {path!r}"
    try:
        _check_regular(os.stat(path), path, source)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"no fastnn {what} at path", path) from None
    with open(fd, "rb", buffering=0) as file:
        info = os.fstat(file.fileno())
        _check_regular(info, path, source)
        return reader(file, info.st_size, path, source)


def read_ensemble_file(path) -> EnsembleFile:
    """Read and check the ensemble file at ``path``, as :func:`read_model_file` reads a model.

    The values the header declares (``n_models`` × ``n_params``) must fill the file exactly before
    anything is allocated for them, so memory is bounded by the file's real size.

    Raises
    ------
    ModelFileError
        If the file is not a regular file, not a fastnn ensemble file (a model file says so),
        truncated, damaged, malformed or of an unsupported format version.
    OSError
        If the file cannot be read.
    """
    return _open_regular(path, _read_ensemble, "ensemble file")


def _read_ensemble(file, size: int, path: str, source: str) -> EnsembleFile:
    metadata, values, dtype = _read_container(file, size, source, "fastnn ensemble")
    n_models = metadata["n_models"]
    n_params = values.shape[0] // n_models
    try:
        architecture = _checked_architecture(metadata, n_params, dtype)
        if not np.isfinite(values).all():
            raise _Malformed("its parameters contain NaN or infinity")
        rng_states = metadata.get("rng_states")
        if not isinstance(rng_states, list) or len(rng_states) != n_models:
            raise _Malformed(f"its rng_states must be a list of {n_models} states or nulls")
        for state in rng_states:
            if state is not None:
                _generator(state)
        classes = _check_classes(metadata.get("classes"))
    except _Malformed as error:
        raise ModelFileError(f"{source} is malformed: {error}") from None
    thetas = values.astype(dtype.newbyteorder("="), copy=False).reshape(n_models, n_params)
    return EnsembleFile(architecture, thetas, rng_states, classes, path)


def _read_model(file, size: int, path: str, source: str) -> ModelFile:
    """The checked contents of the open regular ``file`` of ``size`` bytes."""
    metadata, theta, dtype = _read_container(file, size, source, "fastnn model")
    n_params = theta.shape[0]
    # From here on the bytes are exactly what fastnn wrote (or were forged along with the
    # checksum: everything is still checked).
    try:
        architecture = _checked_architecture(metadata, n_params, dtype)
        if not np.isfinite(theta).all():
            raise _Malformed("its parameters contain NaN or infinity")
        rng_state = metadata.get("rng_state")
        if rng_state is not None:
            _generator(rng_state)
    except _Malformed as error:
        raise ModelFileError(f"{source} is malformed: {error}") from None
    return ModelFile(
        architecture, theta.astype(dtype.newbyteorder("="), copy=False), rng_state, path
    )


def _checked_architecture(metadata: dict, n_params: int, dtype: np.dtype) -> dict:
    """The architecture in ``metadata``, which must describe ``n_params`` values of ``dtype``."""
    architecture, expected = _check_architecture(metadata.get("architecture"))
    if expected != n_params:
        raise _Malformed(
            f"its {n_params} parameters do not fit the architecture it describes, which has "
            f"{expected} parameters ({expected * dtype.itemsize} bytes)"
        )
    if _DTYPES[architecture["dtype"]] != dtype.str:
        raise _Malformed(
            f"its {dtype.str} parameters do not fit the {architecture['dtype']} architecture "
            "it describes"
        )
    return architecture


def _read_container(file, size: int, source: str, kind: str) -> tuple[dict, np.ndarray, np.dtype]:
    """Header, metadata and values of the open regular ``file`` of ``size`` bytes, checksummed.

    The layout of the module docstring, whose metadata names the format ``kind``. Returns the
    parsed metadata, the values (1-D, file byte order) and their dtype; nothing else is checked.
    """
    if size == 0:
        raise ModelFileError(f"{source} is empty: it is not a fastnn model file")
    head = _read_bytes(file, min(size, _PREFIX.size), source)
    if not head.startswith(MAGIC):
        if MAGIC.startswith(head):
            raise ModelFileError(f"{source} is truncated: it ends after {size} bytes")
        pickle_note = (
            " fastnn never unpickles model files, because unpickling can run arbitrary code;"
            " load pickles yourself only if you trust their source."
            if head.startswith(b"\x80")
            else ""
        )
        raise ModelFileError(
            f"{source} is not a fastnn model file (it does not start with fastnn's magic bytes"
            f"{_what_is(head)}).{pickle_note}"
        )
    if size < _PREFIX.size + _DIGEST_SIZE:
        raise ModelFileError(
            f"{source} is truncated: {size} bytes is shorter than any fastnn model file"
        )
    _, version, metadata_size = _PREFIX.unpack(head)
    if version != FORMAT_VERSION:
        raise ModelFileError(
            f"{source} has model file format version {version}, but this fastnn reads format "
            f"version {FORMAT_VERSION}; load it with the fastnn version that wrote it (or a newer "
            "one). If no fastnn wrote such a file, it is damaged."
        )

    def broken(detail: str, end: int = size) -> ModelFileError:
        """The error for a file found broken before its checksum was verified."""
        matches = _checksum_matches(file, end)
        if matches is None:
            return ModelFileError(f"{source} is damaged, truncated or malformed: {detail}")
        if matches:
            return ModelFileError(f"{source} is malformed: {detail}")
        return ModelFileError(
            f"{source} is damaged or truncated: its SHA-256 checksum does not match its contents "
            f"({detail})"
        )

    if metadata_size > MAX_METADATA:
        raise broken(
            f"its header declares {metadata_size} bytes of metadata, more than the {MAX_METADATA} "
            "a model file may have"
        )
    if _PREFIX.size + metadata_size + _DIGEST_SIZE > size:
        raise broken(
            f"its header declares {metadata_size} bytes of metadata, but the file is only {size} "
            "bytes long"
        )
    raw = _read_bytes(file, metadata_size, source)
    try:
        metadata = _parse_metadata(raw, kind)
        n_params, dtype = _declared_params(metadata, kind)
    except _Malformed as error:
        raise broken(str(error)) from None
    theta_size = n_params * dtype.itemsize
    end = _PREFIX.size + metadata_size + theta_size + _DIGEST_SIZE
    if end != size:  # checked before anything is allocated for θ
        raise broken(
            f"it holds {size - _PREFIX.size - metadata_size - _DIGEST_SIZE} bytes of parameters, "
            f"which does not match n_params={n_params} values of {dtype.str} ({theta_size} bytes)",
            min(end, size),
        )
    try:
        theta = np.empty(n_params, dtype=dtype)
    except MemoryError:
        raise ModelFileError(
            f"{source} holds {n_params} parameters ({theta_size} bytes), more than this machine "
            "can allocate"
        ) from None
    theta_bytes = memoryview(theta).cast("B")  # type: ignore[arg-type]  # numpy arrays are buffers
    _read_exact(file, theta_bytes, source)
    digest = hashlib.sha256(head)
    digest.update(raw)
    digest.update(theta_bytes)
    if digest.digest() != _read_bytes(file, _DIGEST_SIZE, source):
        raise ModelFileError(
            f"{source} is damaged or truncated: its SHA-256 checksum does not match its contents"
        )
    return metadata, theta, dtype
