"""The embedded workspace's fast path: metric history read straight from MLflow's sqlite store."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path

import httpx
import numpy as np
import pytest
from mlflow.entities import Metric

from jupyterlab_aml.errors import NotFound
from jupyterlab_aml.metrics import fetch_history_paged, history_response
from jupyterlab_aml.workspaces.local_history import (
    _CHUNK_SQL,
    connect_read_only,
    load_points_sqlite,
    load_small_histories_sqlite,
    sample_response_sqlite,
)


@pytest.fixture(scope="module")
def store(mlflow_server, mlflow_client) -> dict:
    """Two runs logged through the real server by MLflow's client; the store is its sqlite db."""
    assert mlflow_server.backend_uri.startswith("sqlite:///")
    experiment_id = mlflow_client.create_experiment("local-history")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    other_run_id = mlflow_client.create_run(experiment_id).info.run_id
    values = np.random.default_rng(3).normal(size=3_000).cumsum()
    values[[7, 1_500, 2_999]] = [math.nan, math.inf, -math.inf]
    # Steps repeat with falling timestamps, so sqlite's step order and get-history's timestamp
    # order disagree until both are sorted the same way.
    metrics = [Metric("loss", float(v), 10_000 - i, i // 3) for i, v in enumerate(values)]
    for start in range(0, len(metrics), 1_000):
        mlflow_client.log_batch(run_id, metrics=metrics[start : start + 1_000])
    mlflow_client.log_metric(other_run_id, "loss", 123.0, step=5)
    # Logged without a step, as mlflow.log_metric does by default: all at step 0.
    flat = [Metric("flat", float(i), 20_000 + i, 0) for i in range(10)]
    mlflow_client.log_batch(run_id, metrics=[*flat, Metric("flat", -1.0, 30_000, 1)])
    # One point per step, with spikes, dips and NaN far apart: what SQL sampling is for.
    wide = np.random.default_rng(4).normal(size=5_000).cumsum()
    wide[[600, 2_100, 3_700]] = [1e6, -1e6, math.inf]
    wide[[1_000, 1_001, 4_321]] = math.nan
    for start in range(0, 5_000, 1_000):
        batch = [Metric("wide", float(wide[i]), 50_000 + i, i) for i in range(start, start + 1_000)]
        mlflow_client.log_batch(run_id, metrics=batch)
    # Two clusters of steps a million apart: most step-wide buckets would be empty.
    clustered = [
        Metric("clustered", float(i), 60_000 + i, i % 100 + i // 100 * 10**6) for i in range(200)
    ]
    mlflow_client.log_batch(run_id, metrics=clustered)
    return {
        "db": Path(mlflow_server.backend_uri.removeprefix("sqlite:///")),
        "url": mlflow_server.url,
        "run_id": run_id,
        "other_run_id": other_run_id,
        "values": values,
    }


async def get_history(url: str, run_id: str, key: str):
    """The same metric through MLflow's public get-history route."""

    async def call(method: str, path: str, *, params=None, body=None) -> dict:
        async with httpx.AsyncClient(base_url=url, trust_env=False) as client:
            response = await client.request(method, f"/{path}", params=params)
        response.raise_for_status()
        return response.json()

    return await fetch_history_paged(call, run_id, key)


@pytest.mark.asyncio
async def test_sqlite_points_equal_the_get_history_points(store):
    local = load_points_sqlite(store["db"], store["run_id"], "loss")
    remote = await get_history(store["url"], store["run_id"], "loss")

    assert len(local) == len(remote) == 3_000
    np.testing.assert_array_equal(local.steps, remote.steps)
    np.testing.assert_array_equal(local.timestamps, remote.timestamps)
    np.testing.assert_array_equal(local.values, remote.values)  # NaN equals NaN here


def test_nan_and_infinities_come_back_as_logged(store):
    points = load_points_sqlite(store["db"], store["run_id"], "loss")
    by_timestamp = points.values[np.argsort(-points.timestamps, kind="stable")]

    np.testing.assert_array_equal(by_timestamp, store["values"])
    body = history_response(points, key="loss", run_id=store["run_id"], max_points=100)
    json.dumps(body, allow_nan=False)
    assert body["max"] == {"step": 500, "value": "Infinity"}
    assert body["min"] == {"step": 999, "value": "-Infinity"}


def test_points_are_ordered_by_step_then_timestamp(store):
    points = load_points_sqlite(store["db"], store["run_id"], "loss")

    assert points.steps.tolist() == [i // 3 for i in range(3_000)]
    assert points.timestamps[:3].tolist() == [9_998, 9_999, 10_000]


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 7, 1_000])
def test_chunked_reads_give_the_same_points_whatever_the_chunk(store, chunk_rows):
    whole = load_points_sqlite(store["db"], store["run_id"], "loss", chunk_rows=10_000)

    chunked = load_points_sqlite(store["db"], store["run_id"], "loss", chunk_rows=chunk_rows)
    flat = load_points_sqlite(store["db"], store["run_id"], "flat", chunk_rows=chunk_rows)

    np.testing.assert_array_equal(chunked.steps, whole.steps)
    np.testing.assert_array_equal(chunked.timestamps, whole.timestamps)
    np.testing.assert_array_equal(chunked.values, whole.values)
    # Chunks end inside steps (3 points each) and one step outgrows a chunk (10 points).
    assert flat.steps.tolist() == [0] * 10 + [1]
    assert flat.values.tolist() == [*map(float, range(10)), -1.0]


def test_only_the_asked_run_and_key_are_read(store):
    other = load_points_sqlite(store["db"], store["other_run_id"], "loss")

    assert (other.steps.tolist(), other.values.tolist()) == ([5], [123.0])
    assert len(load_points_sqlite(store["db"], store["run_id"], "no-such-key")) == 0
    assert len(load_points_sqlite(store["db"], "0" * 32, "loss")) == 0


def test_small_histories_read_together_equal_one_by_one_and_leave_long_ones(store):
    pairs = [
        (store["run_id"], "loss"),
        (store["other_run_id"], "loss"),
        (store["run_id"], "flat"),
        (store["run_id"], "wide"),
    ]
    together = load_small_histories_sqlite(store["db"], pairs, below=4_000)

    # "wide" has 5,000 points: at or over the bound it is left to the SQL sampler.
    assert list(together) == pairs[:3]
    for run_id, key in pairs[:3]:
        alone = load_points_sqlite(store["db"], run_id, key)
        np.testing.assert_array_equal(together[(run_id, key)].steps, alone.steps)
        np.testing.assert_array_equal(together[(run_id, key)].timestamps, alone.timestamps)
        np.testing.assert_array_equal(together[(run_id, key)].values, alone.values)


def test_the_store_is_opened_read_only(store):
    connection = connect_read_only(store["db"])
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            connection.execute("DELETE FROM metrics WHERE run_uuid = ?", (store["run_id"],))
    finally:
        connection.close()
    assert len(load_points_sqlite(store["db"], store["run_id"], "loss")) == 3_000


def test_a_missing_store_is_an_error_and_is_not_created(tmp_path):
    missing = tmp_path / "mlflow.db"

    with pytest.raises(sqlite3.OperationalError):
        load_points_sqlite(missing, "r1", "loss")
    assert not missing.exists()


def test_history_query_walks_the_run_key_step_index(store):
    connection = connect_read_only(store["db"])
    try:
        plan = " | ".join(
            row[-1]
            for row in connection.execute(
                f"EXPLAIN QUERY PLAN {_CHUNK_SQL}", (store["run_id"], "loss", 0, 2**62, 50_000)
            )
        )
    finally:
        connection.close()

    # Only this run's rows from the chunk's first step on, already in step order: no scan of the
    # key across all runs, and no sort.
    assert (
        "USING INDEX index_metrics_run_uuid_key_step (run_uuid=? AND key=? AND step>? AND step<?)"
        in plan
    )
    assert "TEMP B-TREE" not in plan, plan


def sample(store: dict, key: str, **kwargs):
    """The SQL-sampled body, checked to serialize as strict JSON."""
    kwargs = {"max_points": 200, "min_points": 0, **kwargs}
    body = sample_response_sqlite(store["db"], store["run_id"], key, **kwargs)
    json.dumps(body, allow_nan=False)
    return body


def test_sql_sample_keeps_extremes_nan_and_ends_and_agrees_with_the_full_read(store):
    body = sample(store, "wide")
    full = history_response(
        load_points_sqlite(store["db"], store["run_id"], "wide"),
        key="wide",
        run_id=store["run_id"],
        max_points=200,
    )

    steps = [p[0] for p in body["points"]]
    assert body["sampled"] is True and len(steps) <= 200 and steps == sorted(steps)
    assert steps[0] == 0 and steps[-1] == 4_999
    assert {600, 2_100, 3_700, 1_000, 4_321} <= set(steps)  # spike, dip, +Inf, NaN markers
    assert 1_001 not in steps  # one NaN marker per bucket
    assert {p[0]: p[2] for p in body["points"]}[600] == 1e6
    for field in ("total_points", "min", "max", "last"):
        assert body[field] == full[field], field
    assert body["max"] == {"step": 3_700, "value": "Infinity"}


def test_sql_sample_of_a_step_range_counts_only_that_range(store):
    body = sample(store, "wide", start_step=1_000, end_step=2_999, max_points=100)

    assert body["total_points"] == 2_000
    assert body["points"][0][0] == 1_000 and body["points"][-1][0] == 2_999
    assert body["min"] == {"step": 2_100, "value": -1e6}


def test_sql_sample_leaves_small_or_crowded_histories_to_the_full_read(store):
    assert sample(store, "wide", min_points=100_000) is None  # small: read it all
    assert sample(store, "wide", max_points=5_000) is None  # fits whole
    assert sample(store, "loss") is None  # three points per step
    assert sample(store, "clustered", max_points=100) is None  # most buckets empty


def test_sql_sample_of_an_unknown_key_is_not_found(store):
    with pytest.raises(NotFound):
        sample(store, "no-such-key")
