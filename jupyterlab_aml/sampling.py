"""Min/max-keeping downsampling of one metric's values (M4 buckets plus the first NaN)."""

from __future__ import annotations

import numpy as np


def select_indices(values: np.ndarray, max_points: int) -> np.ndarray:
    """Sorted indices of at most ``max_points`` values, keeping every bucket's extremes.

    Buckets hold equal counts of points. Each gives its first, last, min and max (M4), and its
    first NaN when the budget allows, since a NaN usually marks a diverged run. The global first,
    last, min and max are always among them.
    """
    n = len(values)
    if n <= max_points:
        return np.arange(n)
    nan = np.isnan(values)
    nan_positions = np.flatnonzero(nan)
    buckets, keep_nan = _bucket_count(n, max_points, nan_positions)
    starts = (np.arange(buckets, dtype=np.int64) * n) // buckets
    ends = np.append(starts[1:], n)
    sizes = ends - starts
    # fmin/fmax skip NaN; a bucket of NaN only gives NaN and so matches no value below.
    mins = np.fmin.reduceat(values, starts)
    maxs = np.fmax.reduceat(values, starts)
    chosen = [
        starts,
        ends - 1,
        first_in_buckets(np.flatnonzero(values == np.repeat(mins, sizes)), starts, ends),
        first_in_buckets(np.flatnonzero(values == np.repeat(maxs, sizes)), starts, ends),
    ]
    if keep_nan:
        chosen.append(first_in_buckets(nan_positions, starts, ends))
    if len(nan_positions) < n:
        # Already some bucket's min and max; listed so the guarantee does not rest on ties.
        finite = values[~nan]
        chosen.append(np.flatnonzero(~nan)[[np.argmin(finite), np.argmax(finite)]])
    return np.unique(np.concatenate(chosen))


def _bucket_count(n: int, max_points: int, nan_positions: np.ndarray) -> tuple[int, bool]:
    """Most buckets whose 4 points (5 where a NaN falls) fit ``max_points``."""
    buckets = max(1, max_points // 4)
    if not len(nan_positions):
        return buckets, False
    floor = max(1, max_points // 5)
    while True:
        starts = (np.arange(buckets, dtype=np.int64) * n) // buckets
        ends = np.append(starts[1:], n)
        nan_buckets = len(first_in_buckets(nan_positions, starts, ends))
        if 4 * buckets + nan_buckets <= max_points:
            return buckets, True
        if buckets <= floor:
            return buckets, 5 * buckets <= max_points
        buckets = max(floor, min(buckets - 1, (max_points - nan_buckets) // 4))


def first_in_buckets(positions: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For each bucket holding any of the sorted ``positions``, the first of them."""
    if not len(positions):
        return positions
    at = np.searchsorted(positions, starts)
    first = positions[np.minimum(at, len(positions) - 1)]
    return first[(at < len(positions)) & (first < ends)]


def first_match(
    mask: np.ndarray, starts: np.ndarray, ends: np.ndarray, otherwise: np.ndarray
) -> np.ndarray:
    """Per bucket, the first position where ``mask`` holds, else ``otherwise``'s entry."""
    positions = np.flatnonzero(mask)
    if not len(positions):
        return otherwise.copy()
    at = np.searchsorted(positions, starts)
    first = positions[np.minimum(at, len(positions) - 1)]
    return np.where((at < len(positions)) & (first < ends), first, otherwise)
