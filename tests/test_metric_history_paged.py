"""Paged loading of a metric history from a real `mlflow server`: complete and ordered,
smaller pages where a server refuses large ones, and a repeating page token."""

from __future__ import annotations

import math

import httpx
import numpy as np
import pytest
from mlflow.entities import Metric

from jupyterlab_aml.errors import BadRequest, UpstreamError
from jupyterlab_aml.metrics import GET_HISTORY, fetch_history_paged

from .metric_helpers import as_tuples, respond


def http_call(base_url: str):
    """The ``call`` shape that ``fetch_history_paged`` expects, on plain httpx."""

    async def call(method: str, path: str, *, params=None, body=None) -> dict:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
            response = await client.request(method, f"/{path}", params=params, json=body)
        if response.status_code == 400:
            raise BadRequest(response.text)
        response.raise_for_status()
        return response.json()

    return call


@pytest.fixture(scope="module")
def logged_run(mlflow_client) -> dict:
    """A run on the real server with 1,000 `loss` points including NaN, ±Inf and step repeats."""
    experiment_id = mlflow_client.create_experiment("metrics-paged")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    rng = np.random.default_rng(7)
    values = rng.normal(size=1_000).cumsum()
    values[[100, 500, 900]] = [math.nan, math.inf, -math.inf]
    metrics = [Metric("loss", float(v), 1_000 + i, i // 2) for i, v in enumerate(values)]
    for start in range(0, len(metrics), 500):
        mlflow_client.log_batch(run_id, metrics=metrics[start : start + 500])
    mlflow_client.set_terminated(run_id)
    return {"run_id": run_id, "values": values}


@pytest.mark.asyncio
async def test_paged_history_from_mlflow_server_is_complete_and_ordered(mlflow_server, logged_run):
    call = http_call(mlflow_server.url)

    paged = await fetch_history_paged(call, logged_run["run_id"], "loss", page_size=37)
    whole = await fetch_history_paged(call, logged_run["run_id"], "loss", page_size=5_000)

    assert len(paged) == 1_000
    assert as_tuples(paged) == as_tuples(whole)
    assert paged.steps.tolist() == [i // 2 for i in range(1_000)]
    np.testing.assert_array_equal(paged.values, logged_run["values"])  # Inf survives the store
    body = respond(paged, max_points=100)
    assert body["max"]["value"] == "Infinity" and body["min"]["value"] == "-Infinity"


@pytest.mark.asyncio
async def test_paged_history_of_unknown_key_is_empty(mlflow_server, logged_run):
    points = await fetch_history_paged(http_call(mlflow_server.url), logged_run["run_id"], "nope")

    assert len(points) == 0


@pytest.mark.asyncio
async def test_server_that_refuses_large_pages_is_asked_with_smaller_ones(
    mlflow_server, logged_run
):
    real = http_call(mlflow_server.url)
    asked: list[int] = []

    async def strict_server(method, path, *, params=None, body=None):
        # Stands in for a store with a lower max_results cap than MLflow's (Azure ML's is not
        # documented); the pages themselves come from the real server.
        asked.append(params["max_results"])
        if params["max_results"] > 25_000:
            raise BadRequest("max_results too large")
        return await real(method, path, params=params, body=body)

    points = await fetch_history_paged(strict_server, logged_run["run_id"], "loss", 100_000)

    assert len(points) == 1_000 and asked == [100_000, 25_000]


@pytest.mark.asyncio
async def test_a_page_token_that_repeats_is_an_upstream_error():
    async def stuck_server(method, path, *, params=None, body=None):
        assert path == GET_HISTORY
        return {"metrics": [{"key": "k", "value": 1, "timestamp": 1}], "next_page_token": "same"}

    with pytest.raises(UpstreamError):
        await fetch_history_paged(stuck_server, "r1", "k")
