"""Metric history sampling: a point budget that keeps the first and last points and every
extreme, step ranges, bad requests, and points in step order."""

from __future__ import annotations

import math

import numpy as np
import pytest

from jupyterlab_aml.errors import BadRequest, NotFound
from jupyterlab_aml.metrics import MetricPoints

from .metric_helpers import as_tuples, respond, walk


def test_sampled_history_keeps_first_last_and_planted_spikes_and_dips():
    points = walk(200_000)
    rng = np.random.default_rng(1)
    # At least 1,000 steps apart: more than one bucket (200,000 / 250 buckets) between any two.
    spikes = rng.choice(99, size=40, replace=False) * 2_000 + rng.integers(1, 1_000, size=40)
    points.values[spikes[:20]] = 1e6 + np.arange(20)  # every spike higher than the walk
    points.values[spikes[20:]] = -1e6 - np.arange(20)

    body = respond(points, max_points=1000)

    assert body["sampled"] is True and body["total_points"] == 200_000
    assert len(body["points"]) <= 1000
    kept = {p[0]: p[2] for p in body["points"]}
    assert body["points"][0][0] == 0 and body["points"][-1][0] == 199_999
    assert all(kept.get(int(s)) == points.values[s] for s in spikes)  # no spike or dip vanished
    assert body["max"] == {"step": int(spikes[19]), "value": 1e6 + 19}
    assert body["min"] == {"step": int(spikes[39]), "value": -1e6 - 19}


def test_points_stay_within_max_points_and_keep_extremes_for_many_sizes():
    rng = np.random.default_rng(20240611)
    for _ in range(300):
        n = int(rng.integers(1, 30_000))
        max_points = int(rng.integers(4, 2_000))
        values = rng.normal(size=n).cumsum()
        for special in (math.nan, math.inf, -math.inf):
            if rng.random() < 0.3:
                values[rng.integers(0, n, size=int(rng.integers(1, 50)))] = special
        points = MetricPoints(np.arange(n), np.arange(n), values)

        body = respond(points, max_points=max_points)
        steps = [p[0] for p in body["points"]]

        assert len(steps) <= max_points, (n, max_points)
        assert body["sampled"] == (n > max_points)
        assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == n - 1
        if body["max"] is not None:
            assert {body["max"]["step"], body["min"]["step"]} <= set(steps), (n, max_points)
        if n > max_points >= 20:
            assert len(steps) >= max_points // 2  # the budget is used, not wasted


def test_history_that_fits_is_returned_whole_and_unsampled():
    points = walk(1000)

    body = respond(points, max_points=1000)

    assert body["sampled"] is False
    assert [tuple(p) for p in body["points"]] == as_tuples(points)


def test_step_range_limits_points_and_statistics():
    points = walk(10_000)
    points.values[9_000] = 1e9  # outside the range: must not be the max

    body = respond(points, max_points=100, start_step=2_000, end_step=2_999)

    inside = points.values[2_000:3_000]
    assert body["total_points"] == 1_000 and body["sampled"] is True
    assert body["points"][0][0] == 2_000 and body["points"][-1][0] == 2_999
    assert body["max"] == {"step": 2_000 + int(np.argmax(inside)), "value": float(inside.max())}
    assert body["last"]["step"] == 2_999


def test_empty_step_range_is_an_empty_answer():
    body = respond(walk(100), start_step=500, end_step=600)

    assert body["total_points"] == 0 and body["points"] == []
    assert body["min"] is None and body["last"] is None and body["sampled"] is False


def test_unknown_key_and_bad_requests_raise_domain_errors():
    with pytest.raises(NotFound):
        respond(MetricPoints([], [], []))
    with pytest.raises(BadRequest):
        respond(walk(10), max_points=3)
    with pytest.raises(BadRequest):
        respond(walk(10), start_step=5, end_step=4)


def test_points_are_ordered_by_step_then_timestamp():
    points = MetricPoints.from_mlflow(
        [
            {"key": "loss", "value": 3, "timestamp": 30, "step": 1},
            {"key": "loss", "value": 1, "timestamp": 10, "step": 1},
            {"key": "loss", "value": 0, "timestamp": 99, "step": 0},
            {"key": "loss", "value": 2, "timestamp": 20, "step": 1},
        ]
    )

    body = respond(points)

    assert body["points"] == [[0, 99, 0.0], [1, 10, 1.0], [1, 20, 2.0], [1, 30, 3.0]]
    assert body["last"] == {"step": 1, "timestamp": 30, "value": 3.0}


def test_concat_of_pages_is_one_sorted_history():
    page_a = MetricPoints.from_mlflow([{"value": 1, "timestamp": 1, "step": 5}])
    page_b = MetricPoints.from_mlflow([{"value": 2, "timestamp": 2, "step": 3}])

    joined = MetricPoints.concat([page_a, page_b])

    assert joined.steps.tolist() == [3, 5] and len(joined) == 2
    assert len(MetricPoints.concat([])) == 0
