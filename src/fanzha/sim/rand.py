"""Random streams. Every piece of the world draws from its own named stream, so adding a knob or a
scenario does not shift the numbers of the others, and a (day, chunk) can be generated on its own."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """An independent generator for (seed, name, keys…)."""
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(name.encode()), *keys]))


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def hash_uniform(seed: int, *cols: np.ndarray | int) -> np.ndarray:
    """Uniform [0, 1) per element from integer keys (splitmix64): the same keys give the same number,
    whichever chunk asks — used for per-person-per-day facts such as "on a trip today"."""
    with np.errstate(over="ignore"):
        h = np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64)
        for col in cols:
            x = np.asarray(col).astype(np.uint64) + h
            x = (x ^ (x >> np.uint64(30))) * _M1
            x = (x ^ (x >> np.uint64(27))) * _M2
            h = x ^ (x >> np.uint64(31))
        return (np.asarray(h) >> np.uint64(11)).astype(np.float64) / float(2**53)


def choice_cdf(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probability ∝ weights (fast for many draws from a fixed table)."""
    cdf = np.cumsum(weights, dtype=np.float64)
    u = rng.random(size) * cdf[-1]
    if len(cdf) <= 8:
        # A few comparisons per draw beat a binary search with unpredictable branches (same result:
        # the number of table entries at or below u).
        idx = np.zeros(len(u), np.int64)
        for c in cdf[:-1]:
            idx += u >= c
        return np.minimum(idx, len(cdf) - 1)
    if len(cdf) > 4096 and len(u) > 4096:
        # In a large table, searching the draws in sorted order walks it forwards (cache-friendly).
        o = np.argsort(u)
        idx = np.empty(len(u), np.int64)
        idx[o] = np.searchsorted(cdf, u[o], side="right")
        return idx.clip(0, len(cdf) - 1)
    return np.searchsorted(cdf, u, side="right").clip(0, len(weights) - 1)


def int_range(rng: np.random.Generator, bounds: list[int] | tuple[int, int], size=None):
    lo, hi = bounds
    return rng.integers(lo, hi + 1, size=size)
