"""Random streams: one generator per purpose and day, so every part is reproducible alone.

A stream is seeded with ``[seed, day, stream]``: the same seed and options give the same
numbers whatever else changes, and adding draws to one stream never shifts another.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: the "day" of streams that build the world before the first day
SETUP = 1_000_000


class Stream(IntEnum):
    """What a generator is used for."""

    PLACES = 1
    CATALOGUE = 2
    MEMBERS = 3
    WEATHER = 4
    PROMOTIONS = 5
    JOIN_TIMES = 6
    TRIPS = 10
    BASKETS = 11
    TIMES = 12
    INVENTORY = 13
    SUPPLY = 14
    ONLINE = 15
    EVENTS = 16
    RETURNS = 17
    SERVICE = 18
    DIRT = 19
    AFTER_SALES = 20
    DROPOUT = 21


def rng(seed: int, day: int, stream: Stream) -> np.random.Generator:
    """The generator of ``stream`` on ``day`` (``SETUP`` before the first day)."""
    return np.random.default_rng([seed, day, int(stream)])


def haversine_km(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    """Great-circle distance in km between points (broadcasting like NumPy)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2) - np.radians(lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(a)), dtype=np.float64)


def group_cumsum(values: FloatArray, groups: IntArray) -> FloatArray:
    """Running sum of ``values`` within runs of equal ``groups`` (rows sorted by group)."""
    total = np.cumsum(values)
    if values.size == 0:
        return total
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    offsets = np.repeat(total[starts] - values[starts], np.diff(np.r_[starts, values.size]))
    return np.asarray(total - offsets, dtype=np.float64)


def group_rank(groups: IntArray) -> IntArray:
    """0-based position of each row within its run of equal ``groups`` (sorted by group)."""
    n = groups.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, n]))
    return np.arange(n, dtype=np.int64) - first


def sample_rows(cdf: FloatArray, rows: IntArray, uniforms: FloatArray) -> IntArray:
    """For each draw, the column picked from row ``rows[i]`` of a row-normalised CDF matrix.

    ``cdf`` has shape (R, K), each row ascending from >0 to 1. All draws are answered by
    one ``searchsorted`` over the rows laid end to end (row r shifted by r).
    """
    n_rows, width = cdf.shape
    flat = (cdf + np.arange(n_rows, dtype=np.float64)[:, None]).ravel()
    found = np.searchsorted(flat, rows + np.minimum(uniforms, 1 - 1e-12), side="right")
    return np.asarray(np.minimum(found - rows * width, width - 1), dtype=np.int64)
