"""Ordered run pages on the embedded store: our SQL gives MLflow's own order, page by page."""

from __future__ import annotations

import asyncio
import json
import math

import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient
from tornado.httpclient import AsyncHTTPClient, HTTPRequest


@pytest.fixture
def local_autostart() -> bool:
    return True


ORDERINGS = [
    ["metrics.loss ASC"],
    ["metrics.loss DESC"],
    ["params.lr DESC"],
    ["tags.team ASC", "metrics.`loss` DESC"],
]


def seed(client: MlflowClient, name: str = "ordering") -> str:
    """Runs with ties, NaN, missing metrics/params/tags, and a deleted run."""
    experiment_id = client.create_experiment(name)
    for index in range(23):
        run = client.create_run(experiment_id, start_time=1_000 + index % 5).info.run_id
        metrics = []
        if index % 7 != 3:  # some runs have no loss at all
            value = math.nan if index % 11 == 5 else float(index % 6)  # ties and NaN
            metrics.append(Metric("loss", value, 0, 0))
        params = [] if index % 4 == 1 else [Param("lr", f"0.{index % 3}")]
        tags = [] if index % 5 == 2 else [RunTag("team", "ab"[index % 2])]
        client.log_batch(run, metrics=metrics, params=params, tags=tags)
        if index == 9:
            client.delete_run(run)
    return experiment_id


@pytest.fixture
def upstream_search(jp_serverapp, jp_base_url, jp_http_port):
    """MLflow's own runs/search on the embedded server (through the passthrough)."""

    async def search(body: dict) -> dict:
        url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/local/api/2.0/mlflow/runs/search"
        response = await AsyncHTTPClient().fetch(
            HTTPRequest(
                url,
                method="POST",
                body=json.dumps(body),
                headers={
                    "Authorization": f"token {jp_serverapp.identity_provider.token}",
                    "Content-Type": "application/json",
                },
            ),
            raise_error=False,
        )
        assert response.code == 200, response.body
        return json.loads(response.body)

    return search


async def test_ordered_pages_match_mlflow_and_lose_nothing(
    aml_fetch, local_ready, upstream_search, jp_serverapp, jp_base_url, jp_http_port, monkeypatch
):
    await local_ready()
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jp_serverapp.identity_provider.token)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/local"
    experiment_id = await asyncio.to_thread(seed, MlflowClient(tracking_uri=url))

    for order_by in ORDERINGS:
        expected = await upstream_search(
            {"experiment_ids": [experiment_id], "order_by": order_by, "max_results": 1000}
        )
        expected_ids = [r["info"]["run_id"] for r in expected["runs"]]
        assert len(expected_ids) == 22  # the deleted run is not listed

        seen, token = [], None
        while True:
            params = {"experiment_ids": experiment_id, "max_results": "5"}
            if token:
                params["page_token"] = token
            query = [*params.items(), *(("order_by", clause) for clause in order_by)]
            code, body = await aml_fetch("api", "workspaces", "local", "runs", params=query)
            assert code == 200, body
            seen += [r["run_id"] for r in body["runs"]]
            token = body["next_page_token"]
            if not token:
                break
        assert seen == expected_ids, order_by


async def test_compare_on_the_local_store_reads_runs_of_several_experiments_at_once(
    aml_fetch, local_ready, jp_serverapp, jp_base_url, jp_http_port, monkeypatch
):
    await local_ready()
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jp_serverapp.identity_provider.token)
    client = MlflowClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/local")

    def log() -> list[str]:
        run_ids = []
        for name in ("compare-a", "compare-b"):
            experiment_id = client.create_experiment(name)
            for index in range(2):
                run_id = client.create_run(experiment_id).info.run_id
                metrics = [Metric("loss", float(step * index), 0, step) for step in range(10)]
                client.log_batch(run_id, metrics=metrics, params=[Param("lr", str(index))])
                run_ids.append(run_id)
        client.delete_run(run_ids[-1])  # deleted runs can still be compared, as in MLflow
        return run_ids

    run_ids = await asyncio.to_thread(log)
    unknown = "f" * 32
    code, body = await aml_fetch(
        "api", "workspaces", "local", "compare", method="POST",
        body={"run_ids": [*run_ids, unknown], "keys": None, "max_points": 100},
    )  # fmt: skip
    assert code == 200, body
    assert [r["run_id"] for r in body["runs"]] == run_ids
    assert {r["experiment_id"] for r in body["runs"]} == {
        r["experiment_id"] for r in body["runs"][:1] + body["runs"][2:3]
    }
    assert len({r["experiment_id"] for r in body["runs"]}) == 2
    assert body["missing"] == [unknown]
    assert {run_id: len(s["points"]) for run_id, s in body["series"]["loss"].items()} == {
        run_id: 10 for run_id in run_ids
    }
    assert [r["params"]["lr"] for r in body["runs"]] == ["0", "1", "0", "1"]
