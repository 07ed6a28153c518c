"""Metric histories for the metrics tests: a random walk, and the response body checked to be
strict JSON."""

from __future__ import annotations

import json
import math

import numpy as np

from jupyterlab_aml.metrics import MetricPoints, history_response


def walk(n: int, seed: int = 0) -> MetricPoints:
    """A noisy random walk over steps 0..n-1, one point per step."""
    rng = np.random.default_rng(seed)
    return MetricPoints(np.arange(n), 1_700_000_000_000 + np.arange(n), rng.normal(size=n).cumsum())


def respond(points: MetricPoints, max_points: int = 1000, **steps) -> dict:
    """The response body, checked to serialize as strict JSON."""
    body = history_response(points, key="loss", run_id="r1", max_points=max_points, **steps)
    json.dumps(body, allow_nan=False)
    return body


def as_tuples(points: MetricPoints) -> list[tuple]:
    """Points as the wire shows them."""
    return [
        (s, t, v if math.isfinite(v) else None)
        for s, t, v in zip(
            points.steps.tolist(), points.timestamps.tolist(), points.values.tolist(), strict=True
        )
    ]
