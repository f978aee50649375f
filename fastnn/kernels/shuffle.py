"""Shuffling: the row order of an epoch, a function of one 64-bit key.

Twin: :func:`fastnn.reference.shuffle.row_orders`. ``fit`` draws one key per epoch from the
model's generator, a chunk of epochs' keys in one call (:func:`fastnn.engine.shuffle_keys`); the
order of the epoch is a Fisher–Yates shuffle of ``0 … n-1`` whose swap partners come from a
counter-based generator: position ``i`` (from ``n - 1`` down to 1) swaps with ``j``, an unbiased
draw from ``0 … i`` (Lemire's multiply-and-reject) made from the word of counter ``i``: the high
32 bits of SplitMix64's output number ``i`` for seed ``key``. A rejected word (probability below
``(i + 1) / 2^32``) is followed by the words of counters ``i + a·2^56``, ``a = 1, 2, …``. The
words of a key need no state, so on tables of :data:`_VECTOR_MIN` rows or more an epoch's words
are all computed first, in a loop that vectorises.
"""

import numpy as np

from ._jit import jit, jit_inline

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_TWO32 = np.uint64(1 << 32)
_ATTEMPT = np.uint64(1 << 56)  # counter stride between a word and its retries
_ONE = np.uint64(1)
_S27, _S30, _S31, _S32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)


@jit_inline
def _word(key, counter):
    """The 32-bit word of ``counter``: the high half of SplitMix64's output ``counter``."""
    z = key + (counter + _ONE) * _GOLDEN
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return (z ^ (z >> _S31)) >> _S32


#: From this many rows on, an epoch's draws are computed first, in one loop that vectorises
#: (about 2x faster from 100 rows on); below it, each as its swap needs it (1.2x faster at 6).
_VECTOR_MIN = 16


@jit_inline
def _partner(key, counter, bound, draw):
    """The draw from ``0 … bound-1`` given ``draw`` = word(``counter``) · ``bound``: its high
    half, unless its low half is in the biased sliver (then the retry words decide)."""
    if (draw & _LOW32) < bound:  # maybe in the sliver: Lemire's exact test
        threshold = (_TWO32 - bound) % bound
        retry = counter
        while (draw & _LOW32) < threshold:
            retry += _ATTEMPT
            draw = _word(key, retry) * bound
    return np.int64(draw >> _S32)


@jit
def _row_orders(keys, out):
    """Row ``r`` of ``out`` (``(len(keys), n)``, int64) := the order of the epoch of ``keys[r]``."""
    count, n = out.shape
    vector = n >= _VECTOR_MIN
    m = np.empty(n if vector else 0, dtype=np.uint64)  # an epoch's words times their bounds
    for r in range(count):
        key = keys[r]
        if vector:
            for i in range(n):
                m[i] = _word(key, np.uint64(i)) * np.uint64(i + 1)  # < 2^32·n: no overflow
        for i in range(n):
            out[r, i] = i
        for i in range(n - 1, 0, -1):
            bound = np.uint64(i + 1)
            counter = np.uint64(i)
            draw = m[i] if vector else _word(key, counter) * bound
            j = _partner(key, counter, bound, draw)
            swap = out[r, i]
            out[r, i] = out[r, j]
            out[r, j] = swap
