"""The row order of a shuffled epoch, from a 64-bit key (twin of :mod:`fastnn.kernels.shuffle`).

Epoch ``e``'s order is a Fisher–Yates shuffle of ``0 … n-1``: going from the last position down
to the second, position ``i`` swaps with a position ``j`` drawn uniformly from ``0 … i``. The
draws come from a counter-based generator rather than a stateful one, so that any epoch's order
can be computed on its own, and all the draws of an epoch at once:

* the word of counter ``c`` is the high 32 bits of SplitMix64's ``c``-th output for seed ``key``;
* the draw for position ``i`` uses counter ``i``: ``j = (word · (i+1)) >> 32``, except when the
  low half of that product falls below ``2^32 mod (i+1)`` (Lemire's rejection, which makes the
  draw exactly uniform); then counters ``i + 2^56``, ``i + 2·2^56``, … are tried in turn.

Each epoch has a key of its own, drawn from the model's generator
(:func:`fastnn.engine.shuffle_keys`).

numpy's unsigned arithmetic wraps modulo 2^64, as the hash needs.
"""

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_ATTEMPT = np.uint64(1 << 56)


def word(key, counter):
    """32-bit words (as uint64) of the uint64 arrays ``counter`` for seeds ``key``."""
    z = np.asarray(key, dtype=np.uint64) + (counter + np.uint64(1)) * _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return (z ^ (z >> np.uint64(31))) >> np.uint64(32)


def partners(key, counter, bound):
    """Uniform draws from ``0 … bound-1`` (uint64 arrays ``key``, ``counter`` and ``bound`` that
    broadcast to ``counter``'s shape): the high half of word · bound, retried while its low half
    is below ``2^32 mod bound``."""
    key = np.broadcast_to(np.asarray(key, dtype=np.uint64), counter.shape)
    bound = np.broadcast_to(np.asarray(bound, dtype=np.uint64), counter.shape)
    m = word(key, counter) * bound  # a 32-bit word times the bound: no overflow
    threshold = (np.uint64(1 << 32) - bound) % bound
    retry = counter.copy()
    rejected = (m & np.uint64(0xFFFFFFFF)) < threshold
    while rejected.any():  # rare: probability below bound / 2^32 each
        retry[rejected] += _ATTEMPT
        m[rejected] = word(key[rejected], retry[rejected]) * bound[rejected]
        rejected = (m & np.uint64(0xFFFFFFFF)) < threshold
    return (m >> np.uint64(32)).astype(np.int64)


def row_orders(keys, out):
    """Row ``r`` of ``out`` (``(len(keys), n)``, int64) := the order of the epoch of ``keys[r]``."""
    count, n = out.shape
    position = np.arange(n, dtype=np.uint64)
    counter = np.broadcast_to(position, (count, n)).copy()
    bound = np.broadcast_to(position + np.uint64(1), (count, n))
    partner = partners(np.asarray(keys, dtype=np.uint64)[:, None], counter, bound)
    out[:] = np.arange(n)
    rows = np.arange(count)
    for i in range(n - 1, 0, -1):  # the swaps, all epochs at once
        j = partner[:, i]
        held = out[:, i].copy()
        out[:, i] = out[rows, j]
        out[rows, j] = held
