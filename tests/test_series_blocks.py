"""Block summaries of a metric series: what a chart sampled from them keeps."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from jupyterlab_aml.metrics import MetricPoints, history_response
from jupyterlab_aml.series_blocks import (
    BLOCK_POINTS,
    DENSE_BLOCK_POINTS,
    FIRST,
    FIRST_NAN,
    HIGHEST,
    LAST,
    LOWEST,
    blocks_of,
    from_bytes,
    merge_blocks,
    sample_blocks,
    single_point_blocks,
    to_bytes,
)


def series(n: int, seed: int = 0, repeat_steps: bool = False) -> MetricPoints:
    """A random walk with spikes, dips, NaNs and infinities planted far apart."""
    rng = np.random.default_rng(seed)
    values = rng.normal(size=n).cumsum()
    for at, value in ((n // 7, 1e9), (n // 3, -1e9), (n // 2, math.nan), (n - 5, math.nan)):
        values[at] = value
    values[n // 5] = math.inf
    steps = np.arange(n) // 3 if repeat_steps else np.arange(n) * 2
    return MetricPoints(steps, 1_000 + np.arange(n)[::-1], values)


def as_set(points: MetricPoints) -> set[tuple]:
    return {
        (s, t, "nan" if math.isnan(v) else v)
        for s, t, v in zip(
            points.steps.tolist(), points.timestamps.tolist(), points.values.tolist(), strict=True
        )
    }


@pytest.mark.parametrize("n,repeat_steps", [(10_000, False), (100_003, True), (2_500, False)])
@pytest.mark.parametrize("max_points", [40, 400, 1000])
def test_sample_from_blocks_keeps_extremes_and_statistics(n, repeat_steps, max_points):
    points = series(n, seed=n, repeat_steps=repeat_steps)
    blocks = blocks_of(points)
    sample = sample_blocks(blocks, max_points)

    assert len(sample) <= max_points
    assert as_set(sample) <= as_set(points)  # only real points, each once
    assert len(as_set(sample)) == len(sample)
    body = history_response(
        sample, key="m", run_id="r", max_points=max_points, summary_of=int(blocks["n"].sum())
    )
    full = history_response(points, key="m", run_id="r", max_points=max_points)
    for field in ("total_points", "min", "max", "last", "sampled"):
        assert body[field] == full[field], field
    kept_values = set(sample.values.tolist())
    assert {-1e9, math.inf} <= kept_values  # the global extremes
    if max_points >= 400:  # then the spike has a bucket without the +Inf
        assert 1e9 in kept_values
    assert np.isnan(sample.values).any()  # the first NaN fits the budget
    assert sample.steps[0] == points.steps[0] and sample.steps[-1] == points.steps[-1]


def test_blocks_end_where_a_step_ends():
    points = series(5_000, repeat_steps=True)
    blocks = blocks_of(points)
    assert blocks["n"].sum() == len(points)
    assert (blocks["step"][1:, FIRST] > blocks["step"][:-1, LAST]).all()
    assert blocks["n"].min() >= 1 and np.median(blocks["n"]) == BLOCK_POINTS + 1


def test_merging_blocks_equals_reducing_their_points():
    points = series(9_999, seed=5)
    blocks = blocks_of(points)
    starts = np.array([0, 3, 4, 40, 200])
    merged = merge_blocks(blocks, starts)
    bounds = np.append(np.cumsum(blocks["n"])[starts - 1] * (starts > 0), len(points))
    for i, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        values = points.values[lo:hi]
        nan_at = np.flatnonzero(np.isnan(values))
        expected = [
            lo,
            hi - 1,
            lo + np.nanargmin(values),  # the first of equal extremes
            lo + np.nanargmax(values),
            lo + nan_at[0] if len(nan_at) else lo,  # no NaN: the first point again
        ]
        assert merged["n"][i] == hi - lo
        assert merged["step"][i].tolist() == points.steps[expected].tolist(), i
        assert merged["timestamp"][i].tolist() == points.timestamps[expected].tolist(), i
        assert np.array_equal(merged["value"][i], points.values[expected], equal_nan=True), i


def test_a_block_of_nan_only_names_no_extreme_and_its_first_nan():
    values = np.array([1.0, 5.0, -2.0] + [math.nan] * 40 + [3.0])
    points = MetricPoints(np.arange(len(values)), np.arange(len(values)), values)
    blocks = blocks_of(points, block_points=3)
    nan_block = blocks[1]
    assert math.isnan(nan_block["value"][LOWEST]) and math.isnan(nan_block["value"][HIGHEST])
    assert nan_block["step"][FIRST_NAN] == 3
    assert blocks[0]["value"][LOWEST] == -2.0 and blocks[0]["step"][HIGHEST] == 1
    assert not math.isnan(blocks[0]["value"][FIRST_NAN])  # "no NaN here"
    sample = sample_blocks(blocks, 5)  # one bucket: first, last, lowest, highest, first NaN
    assert sorted(sample.steps.tolist()) == [0, 1, 2, 3, 43]


def test_one_step_logged_over_and_over_is_not_split_into_blocks():
    n = DENSE_BLOCK_POINTS + 1
    points = MetricPoints(np.zeros(n), np.arange(n), np.arange(n, dtype=float))
    assert blocks_of(points) is None


def test_single_points_merge_with_blocks_and_bytes_round_trip():
    points = series(3_000, seed=9)
    head = MetricPoints(points.steps[:2_000], points.timestamps[:2_000], points.values[:2_000])
    tail = MetricPoints(points.steps[2_000:], points.timestamps[2_000:], points.values[2_000:])
    blocks = np.concatenate([from_bytes(to_bytes(blocks_of(head))), single_point_blocks(tail)])
    assert blocks["n"].sum() == 3_000
    sample = sample_blocks(blocks, 200)
    full = history_response(points, key="m", run_id="r", max_points=200)
    body = history_response(sample, key="m", run_id="r", max_points=200, summary_of=3_000)
    assert (body["min"], body["max"], body["last"]) == (full["min"], full["max"], full["last"])
    assert len(sample_blocks(blocks[:0], 100)) == 0
