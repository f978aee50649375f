"""Shuffled row orders (``fastnn.kernels.shuffle._row_orders``) against their numpy twin
(``fastnn.reference.shuffle.row_orders``), and what ``fit`` promises about them.

The orders must be the same integers in both twins for any keys and size; every one must be a
permutation; the keys must not depend on how the epochs are split into calls; and the orders
must be uniform (checked with fixed keys, so the χ² statistics are fixed numbers, not
flaky draws). Lemire's rejection is rare for small bounds, so it is exercised directly with
bounds just above 2^31, where about half the words are rejected.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import fastnn
import fastnn.reference
from fastnn import engine
from fastnn.kernels import shuffle as kernel
from fastnn.reference import shuffle as twin

KEYS = [0, 1, 2**63, 2**64 - 1, 0x0123456789ABCDEF]
SIZES = [(1, 1), (3, 1), (5, 2), (1000, 6), (40, 7), (100, 15), (10, 16), (30, 37), (5, 1000),
         (2, 5000)]  # fmt: skip


def keys_for(key, count):
    """``count`` keys: ``key`` and the ones after it (wrapping around 2^64)."""
    return (np.uint64(key) + np.arange(count, dtype=np.uint64)).astype(np.uint64)


def compiled(keys, n):
    return engine.row_orders(fastnn.MLP._row_orders, np.asarray(keys, dtype=np.uint64), n)


def reference(keys, n):
    return engine.row_orders(fastnn.reference.MLP._row_orders, np.asarray(keys, dtype=np.uint64), n)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(("count", "n"), SIZES)
def test_kernel_and_twin_give_the_same_orders_and_each_is_a_permutation(key, count, n):
    keys = keys_for(key, count)
    orders = compiled(keys, n)
    assert orders.dtype == np.int64 and orders.shape == (count, n)
    np.testing.assert_array_equal(orders, reference(keys, n))
    np.testing.assert_array_equal(np.sort(orders, axis=1), np.tile(np.arange(n), (count, 1)))


@pytest.mark.parametrize("bits", ["PCG64", "PCG64DXSM", "SFC64", "Philox", "MT19937"])
def test_keys_are_the_generators_uint64_draws_for_every_bit_generator(bits):
    rng = np.random.Generator(getattr(np.random, bits)(12))
    rng.random(dtype=np.float32)  # a half-used 32-bit buffer, where a generator has one
    twin = np.random.Generator(getattr(np.random, bits)(12))
    twin.bit_generator.state = rng.bit_generator.state
    keys = engine.shuffle_keys(rng, 9)
    assert keys.dtype == np.uint64 and keys.shape == (9,)
    np.testing.assert_array_equal(keys, twin.integers(0, 2**64, size=9, dtype=np.uint64))
    assert repr(rng.bit_generator.state) == repr(twin.bit_generator.state)


def test_no_epochs_is_an_empty_array():
    assert compiled([], 4).shape == (0, 4)
    assert reference([], 4).shape == (0, 4)


def test_an_order_depends_on_its_key_only_and_keys_do_not_depend_on_chunking():
    keys = keys_for(7, 50)
    whole = compiled(keys, 9)
    np.testing.assert_array_equal(whole[20], compiled(keys[20:21], 9)[0])
    assert len({tuple(row) for row in whole}) > 40  # epochs differ from each other
    rng = np.random.default_rng(3)
    state = rng.bit_generator.state
    at_once = engine.shuffle_keys(rng, 10)
    rng.bit_generator.state = state
    pieces = np.concatenate([engine.shuffle_keys(rng, 1), engine.shuffle_keys(rng, 9)])
    np.testing.assert_array_equal(at_once, pieces)


@pytest.mark.parametrize("key", [3, 2**64 - 5])
def test_every_permutation_of_four_rows_is_equally_likely(key):
    orders = compiled(np.random.default_rng(key).integers(0, 2**64, 48_000, np.uint64), 4)
    codes = orders @ np.array([64, 16, 4, 1])
    counts = np.unique(codes, return_counts=True)[1]
    assert counts.shape == (24,)
    assert stats.chisquare(counts).pvalue > 1e-4


@pytest.mark.parametrize("n", [5, 23, 100])
def test_each_row_lands_on_each_position_equally_often(n):
    orders = compiled(keys_for(11, 400 * n), n)
    # for each row, the positions it took: a χ² test of uniformity over the n positions
    positions = np.argsort(orders, axis=1)  # positions[e, row] = where row went in epoch e
    for row in (0, n // 2, n - 1):
        counts = np.bincount(positions[:, row], minlength=n)
        assert stats.chisquare(counts).pvalue > 1e-5, (row, counts)


def test_the_rejection_step_agrees_and_keeps_draws_uniform():
    # bound 2^31 + 1: 2^32 mod bound = 2^31 - 1, so about half the first words are rejected
    bound = np.uint64(2**31 + 1)
    counters = np.arange(4000, dtype=np.uint64) * np.uint64(977)
    low = (twin.word(9, counters) * bound) & np.uint64(0xFFFFFFFF)
    assert 0.4 < np.mean(low < np.uint64(2**31 - 1)) < 0.6  # the retries really run
    expected = twin.partners(9, counters, np.full(counters.shape, bound))
    with np.errstate(over="ignore"):  # with NUMBA_DISABLE_JIT the hash runs on numpy scalars
        got = [
            kernel._partner(np.uint64(9), c, bound, kernel._word(np.uint64(9), c) * bound)
            for c in counters
        ]
    np.testing.assert_array_equal(np.array(got, dtype=np.int64), expected)
    assert expected.min() >= 0 and expected.max() < 2**31 + 1
    # uniform on 0 … 2^31: a rejection that kept the biased low values would shift the mean
    assert abs(expected.mean() / 2**31 - 0.5) < 4 * math.sqrt(1 / 12 / counters.shape[0])


@pytest.mark.parametrize("module", [fastnn, fastnn.reference], ids=["compiled", "reference"])
def test_a_shuffled_run_draws_a_key_per_epoch_from_the_generator_and_trains_in_its_orders(module):
    X = np.random.default_rng(0).normal(size=(13, 3))
    y = X.sum(axis=1)
    config = engine.TrainConfig(learning_rate=0.05, batch_size=4)
    model = module.MLP((3, 4, 1), "tanh", seed=21)
    replay = model.copy()
    rng = np.random.Generator(np.random.PCG64())
    rng.bit_generator.state = model._rng.bit_generator.state
    engine.train(model, X, y, config, 6, shuffle=True)
    # by hand: the keys from the same generator state, the orders handed over explicitly
    keys = engine.shuffle_keys(rng, 6)
    assert repr(model._rng.bit_generator.state) == repr(rng.bit_generator.state)  # 6 draws
    orders = iter(reference(keys, 13))
    engine.train(replay, X, y, config, 6, shuffle=True, permutation=lambda n: next(orders))
    np.testing.assert_array_equal(model.params, replay.params)


def test_a_fit_that_shuffles_nothing_leaves_the_generator_alone():
    X = np.random.default_rng(1).normal(size=(8, 2))
    model = fastnn.MLP((2, 3, 1), "tanh", seed=4)
    before = repr(model._rng.bit_generator.state)
    model.fit(X, X[:, 0], epochs=3, batch_size=8, shuffle=True)  # full batch: no order
    model.fit(X, X[:, 0], epochs=3, batch_size=2, shuffle=False)
    assert repr(model._rng.bit_generator.state) == before
