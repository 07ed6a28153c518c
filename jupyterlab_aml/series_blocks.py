"""Block summaries of one metric series, and charts sampled from them.

A block stands for about ``BLOCK_POINTS`` consecutive points (in step order) by five of them:
its first, last, lowest, highest and first NaN. Merging neighbouring blocks gives the same
five for any longer stretch, so a chart's min/max-keeping sample of a 1M-point series comes
from 31k blocks instead of 1M points, and every extreme of the series is still in it. Blocks
end where a step ends, so "every point up to step s" is always a whole number of blocks.
"""

from __future__ import annotations

import numpy as np

from .metrics import MetricPoints
from .sampling import first_match

BLOCK_POINTS = 32
# A step logged this many times over (metrics logged without a step all sit at step 0) cannot
# be split into blocks: such series are not summarized, their points are read instead.
DENSE_BLOCK_POINTS = 16 * BLOCK_POINTS
FIRST, LAST, LOWEST, HIGHEST, FIRST_NAN = range(5)
# Without a NaN, a block's FIRST_NAN role repeats its first point: NaN there means "has NaN".
BLOCK = np.dtype(
    [("n", np.int64), ("step", np.int64, 5), ("timestamp", np.int64, 5), ("value", np.float64, 5)]
)


def blocks_of(points: MetricPoints, block_points: int = BLOCK_POINTS) -> np.ndarray | None:
    """The blocks of a sorted history; None when one step holds too many points to split."""
    n = len(points)
    if not n:
        return np.empty(0, dtype=BLOCK)
    steps = points.steps
    step_starts = np.flatnonzero(np.diff(steps)) + 1
    # Each block ends at the first step change at or after its nominal end.
    at = np.searchsorted(step_starts, np.arange(block_points, n, block_points))
    starts = np.concatenate(([0], np.unique(step_starts[at[at < len(step_starts)]])))
    ends = np.append(starts[1:], n)
    if (ends - starts).max() > DENSE_BLOCK_POINTS:
        return None
    return _reduce(points.steps, points.timestamps, points.values, starts, ends)


def single_point_blocks(points: MetricPoints) -> np.ndarray:
    """Each point as a block of one, to merge with summarized blocks."""
    starts = np.arange(len(points))
    return _reduce(points.steps, points.timestamps, points.values, starts, starts + 1)


def _reduce(
    steps: np.ndarray,
    timestamps: np.ndarray,
    values: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
) -> np.ndarray:
    blocks = np.empty(len(starts), dtype=BLOCK)
    blocks["n"] = ends - starts
    if not len(starts):
        return blocks
    sizes = ends - starts
    # fmin/fmax skip NaN; a block of NaN only keeps NaN, matches nothing, and names its start.
    lowest = np.fmin.reduceat(values, starts)
    highest = np.fmax.reduceat(values, starts)
    roles = np.stack(
        [
            starts,
            ends - 1,
            first_match(values == np.repeat(lowest, sizes), starts, ends, starts),
            first_match(values == np.repeat(highest, sizes), starts, ends, starts),
            first_match(np.isnan(values), starts, ends, starts),
        ],
        axis=1,
    )
    blocks["step"], blocks["timestamp"], blocks["value"] = (
        steps[roles],
        timestamps[roles],
        values[roles],
    )
    return blocks


def merge_blocks(blocks: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Blocks ``starts[i]:starts[i+1]`` merged into one block each (``starts`` sorted, from 0)."""
    ends = np.append(starts[1:], len(blocks))
    merged = np.empty(len(starts), dtype=BLOCK)
    merged["n"] = np.add.reduceat(blocks["n"], starts)
    for field in ("step", "timestamp", "value"):
        merged[field][:, FIRST] = blocks[field][starts, FIRST]
        merged[field][:, LAST] = blocks[field][ends - 1, LAST]
    sizes = ends - starts
    for role, reduce in ((LOWEST, np.fmin), (HIGHEST, np.fmax)):
        values = blocks["value"][:, role]
        best = reduce.reduceat(values, starts)
        source = first_match(values == np.repeat(best, sizes), starts, ends, starts)
        for field in ("step", "timestamp", "value"):
            merged[field][:, role] = blocks[field][source, role]
    has_nan = np.isnan(blocks["value"][:, FIRST_NAN])
    source = first_match(has_nan, starts, ends, starts)
    for field in ("step", "timestamp", "value"):
        # A stretch without NaN names its first point again (not a NaN: "none here").
        merged[field][:, FIRST_NAN] = np.where(
            has_nan[source], blocks[field][source, FIRST_NAN], merged[field][:, FIRST]
        )
    return merged


def sample_blocks(blocks: np.ndarray, max_points: int) -> MetricPoints:
    """At most ``max_points`` points: per stretch of about equal point counts, its first, last,
    lowest and highest point, then first NaNs while the budget lasts (a twentieth is kept for
    them, since a NaN usually marks a diverged run)."""
    if not len(blocks):
        return MetricPoints.empty()
    buckets = max(1, (max_points - max_points // 20) // 4)
    if len(blocks) > buckets:
        counts = blocks["n"]
        total = int(counts.sum())
        bucket_of = ((np.cumsum(counts) - counts) * buckets) // total
        blocks = merge_blocks(blocks, np.flatnonzero(np.diff(bucket_of, prepend=-1)))
    core = _unique_points([(blocks, [FIRST, LAST, LOWEST, HIGHEST])])
    with_nan = blocks[np.isnan(blocks["value"][:, FIRST_NAN])]
    spare = max(0, max_points - len(core))
    return _unique_points(
        [(blocks, [FIRST, LAST, LOWEST, HIGHEST]), (with_nan[:spare], [FIRST_NAN])]
    )


def _unique_points(picks: list[tuple[np.ndarray, list[int]]]) -> MetricPoints:
    """The points of those blocks' roles, each point once."""
    steps, timestamps, values = (
        np.concatenate([blocks[field][:, roles].ravel() for blocks, roles in picks])
        for field in ("step", "timestamp", "value")
    )
    # A point is its step, timestamp and value bits (so NaN equals NaN).
    identity = np.stack([steps, timestamps, values.view(np.int64)], axis=1)
    _, keep = np.unique(identity, axis=0, return_index=True)
    return MetricPoints(steps[keep], timestamps[keep], values[keep])


def to_bytes(blocks: np.ndarray) -> bytes:
    """Blocks as stored in the summary file."""
    return np.ascontiguousarray(blocks, dtype=BLOCK).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    """Blocks back from the summary file (a copy: callers may merge in place)."""
    return np.frombuffer(data, dtype=BLOCK).copy()
