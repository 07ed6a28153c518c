"""The embedded workspace end to end: API, passthrough (REST and MLflow UI), fast history."""

from __future__ import annotations

import asyncio
import math
import os
import signal

import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient
from tornado.httpclient import AsyncHTTPClient, HTTPRequest


@pytest.fixture
def local_autostart() -> bool:
    return True


async def test_local_store_serves_api_ui_and_fast_history(
    aml_fetch, local_ready, jp_serverapp, jp_base_url, jp_http_port, monkeypatch
):
    await local_ready()
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/local/"
    token = jp_serverapp.identity_provider.token
    http = AsyncHTTPClient()
    auth = {"Authorization": f"token {token}"}

    index = await http.fetch(HTTPRequest(base, headers=auth))
    assert b"<title>MLflow</title>" in index.body
    asset = index.body.split(b'src="')[1].split(b'"')[0].decode()
    script = await http.fetch(HTTPRequest(base + asset, headers=auth))
    assert script.code == 200 and len(script.body) > 10_000

    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    client = MlflowClient(tracking_uri=base.rstrip("/"))

    def log() -> str:
        run = client.create_run("0")
        # Long enough (60k) that the first answer is sampled in SQL, not from every point.
        values = [math.cos(i / 10) for i in range(60_000)]
        values[777] = 99.0
        values[31_500] = math.nan
        values[45_001] = -77.0
        for start in range(0, 60_000, 1000):
            client.log_batch(
                run.info.run_id,
                metrics=[Metric("m", values[i], 1000 + i, i) for i in range(start, start + 1000)],
            )
        client.set_terminated(run.info.run_id)
        return run.info.run_id

    run_id = await asyncio.to_thread(log)
    code, body = await aml_fetch(
        "api", "workspaces", "local", "runs", run_id, "metrics", "m", params={"max_points": "40"}
    )
    assert code == 200
    assert body["total_points"] == 60_000 and body["sampled"] and len(body["points"]) <= 40
    assert body["max"] == {"step": 777, "value": 99.0}
    assert body["min"] == {"step": 45_001, "value": -77.0}
    steps = {p[0]: p[2] for p in body["points"]}
    assert steps[0] == 1.0 and 59_999 in steps
    assert steps[777] == 99.0 and steps[45_001] == -77.0

    # Zooming in is answered from the full history (loaded in the background meanwhile).
    code, zoom = await aml_fetch(
        "api", "workspaces", "local", "runs", run_id, "metrics", "m",
        params={"max_points": "100", "start_step": "31000", "end_step": "32000"},
    )  # fmt: skip
    assert code == 200
    assert zoom["total_points"] == 1001 and len(zoom["points"]) <= 100
    zoomed = {p[0]: p[2] for p in zoom["points"]}
    assert 31_500 in zoomed and zoomed[31_500] is None  # the NaN survives sampling as null


async def test_killed_embedded_server_comes_back_through_the_api(
    aml_fetch, local_ready, wait_for, jp_serverapp
):
    await local_ready()
    code, body = await aml_fetch("api", "workspaces", "local", "experiments")
    assert code == 200
    manager = jp_serverapp.web_app.settings["jupyterlab_aml"]["manager"]
    os.kill(manager.get("local").pid, signal.SIGKILL)

    async def not_ready():
        _, listing = await aml_fetch("api", "workspaces")
        return listing["workspaces"][0]["state"] != "ready"

    await wait_for(not_ready, timeout=10, interval=0.02)
    code, body = await aml_fetch("api", "workspaces", "local", "experiments")
    assert code in (200, 503)
    if code == 503:
        assert "embedded MLflow server" in body["message"]
    await local_ready()
    code, body = await aml_fetch("api", "workspaces", "local", "experiments")
    assert code == 200 and "Default" in [e["name"] for e in body["experiments"]]
