"""Non-finite metric values (NaN, ±Infinity): kept by sampling, JSON-safe in the answer, and
parsed from MLflow's JSON, strings included."""

from __future__ import annotations

import math

import numpy as np

from jupyterlab_aml.metrics import MetricPoints

from .metric_helpers import respond, walk


def test_sampled_history_keeps_the_first_nan_of_a_bucket():
    points = walk(100_000)
    points.values[[10_000, 10_001, 55_555, 99_000]] = np.nan

    body = respond(points, max_points=500)

    null_steps = [p[0] for p in body["points"] if p[2] is None]
    assert null_steps == [10_000, 55_555, 99_000]
    assert len(body["points"]) <= 500


def test_non_finite_values_are_null_in_points_and_strings_elsewhere():
    values = [1.0, math.nan, math.inf, -2.0, -math.inf, 3.0, math.nan]
    points = MetricPoints(np.arange(7), np.arange(7) * 10, values)

    body = respond(points, max_points=100)

    assert [p[2] for p in body["points"]] == [1.0, None, None, -2.0, None, 3.0, None]
    assert body["max"] == {"step": 2, "value": "Infinity"}
    assert body["min"] == {"step": 4, "value": "-Infinity"}
    assert body["last"] == {"step": 6, "timestamp": 60, "value": "NaN"}


def test_sampled_infinities_survive_as_extremes():
    points = walk(50_000)
    points.values[[123, 40_000]] = [math.inf, -math.inf]

    body = respond(points, max_points=200)

    assert body["max"] == {"step": 123, "value": "Infinity"}
    assert body["min"] == {"step": 40_000, "value": "-Infinity"}
    assert [123, 40_000] == [p[0] for p in body["points"] if p[2] is None]


def test_all_nan_history_has_no_min_or_max():
    body = respond(MetricPoints([1, 2], [5, 6], [math.nan, math.nan]))

    assert body["min"] is None and body["max"] is None
    assert body["points"] == [[1, 5, None], [2, 6, None]]


def test_mlflow_json_with_strings_and_missing_fields_is_parsed():
    points = MetricPoints.from_mlflow(
        [
            {"key": "k", "value": "NaN", "timestamp": "1700000000001", "step": "2"},
            {"key": "k", "value": "Infinity", "timestamp": 5},
            {"key": "k", "value": "-Infinity", "timestamp": 6, "step": 1},
            # How MLflow's SQL stores hand back a logged +Inf.
            {"key": "k", "value": 1.7976931348623157e308, "timestamp": 7, "step": 3},
        ]
    )

    assert points.steps.tolist() == [0, 1, 2, 3]
    assert points.timestamps.tolist() == [5, 6, 1_700_000_000_001, 7]
    assert points.values[0] == math.inf and points.values[1] == -math.inf
    assert math.isnan(points.values[2]) and points.values[3] == math.inf
