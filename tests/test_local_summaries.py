"""The embedded workspace keeps series summaries as runs end, answers from them, and does
without them when their file is unusable."""

from __future__ import annotations

import asyncio
import math
import sqlite3

import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from jupyterlab_aml.workspaces.series_summaries import SUMMARY_FILE


def spike_step(points: int) -> int:
    return points * 4 // 5 + 3


@pytest.fixture
def local_autostart() -> bool:
    return True


@pytest.fixture
def passthrough_client(jp_serverapp, jp_base_url, jp_http_port, monkeypatch):
    """MLflow's client logging through the passthrough, as a kernel does."""
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jp_serverapp.identity_provider.token)
    return MlflowClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/local")


def log_ended_runs(client: MlflowClient, count: int, points: int) -> list[str]:
    run_ids = []
    for r in range(count):
        run_id = client.create_run("0").info.run_id
        values = [math.sin(i / 50) + r for i in range(points)]
        values[spike_step(points)] = 500.0 + r
        for start in range(0, points, 1_000):
            batch = [Metric("m", values[i], 10 + i, i) for i in range(start, start + 1_000)]
            client.log_batch(run_id, metrics=batch)
        client.set_terminated(run_id)
        run_ids.append(run_id)
    return run_ids


def summarized_runs(store) -> set[str]:
    path = store / SUMMARY_FILE
    if not path.exists():
        return set()
    with sqlite3.connect(path) as own:
        try:
            return {r for (r,) in own.execute("SELECT run_uuid FROM series WHERE NOT dense")}
        except sqlite3.DatabaseError:  # not created yet, or not (yet) a database again
            return set()


async def test_ended_runs_are_summarized_and_answered_from_the_summary(
    aml_fetch, local_ready, wait_for, passthrough_client, aml_dirs, jp_serverapp
):
    await local_ready()
    run_ids = await asyncio.to_thread(log_ended_runs, passthrough_client, 2, 8_000)

    async def summarized():
        return set(run_ids) <= summarized_runs(aml_dirs["store"])

    await wait_for(summarized, timeout=30)  # the passthrough saw each run end
    code, body = await aml_fetch(
        "api", "workspaces", "local", "runs", run_ids[1], "metrics", "m",
        params={"max_points": "100"},
    )  # fmt: skip
    assert code == 200, body
    assert body["total_points"] == 8_000 and body["sampled"] and len(body["points"]) <= 100
    assert body["max"] == {"step": spike_step(8_000), "value": 501.0}
    assert body["last"]["step"] == 7_999
    # The answer came from the summary: the history itself was never read into memory.
    cache = jp_serverapp.web_app.settings["jupyterlab_aml"]["manager"].get("local")
    assert not cache.context.history_cache.holds("local", run_ids[1], "m", None)

    code, compared = await aml_fetch(
        "api", "workspaces", "local", "compare", method="POST",
        body={"run_ids": run_ids, "keys": ["m"], "max_points": 200},
    )  # fmt: skip
    assert code == 200, compared
    for r, run_id in enumerate(run_ids):
        series = compared["series"]["m"][run_id]
        assert series["total_points"] == 8_000 and len(series["points"]) <= 200
        spike = spike_step(8_000)
        assert [spike, 10 + spike, 500.0 + r] in series["points"]


async def test_a_summaries_file_that_is_not_a_database_is_started_afresh(
    aml_fetch, local_ready, wait_for, passthrough_client, aml_dirs
):
    await local_ready()
    (aml_dirs["store"] / SUMMARY_FILE).write_bytes(b"this is not a database" * 100)
    (run_id,) = await asyncio.to_thread(log_ended_runs, passthrough_client, 1, 3_000)

    async def healed():  # the file is started afresh, and the ended run summarized in it
        return run_id in summarized_runs(aml_dirs["store"])

    await wait_for(healed, timeout=30)
    code, body = await aml_fetch(
        "api", "workspaces", "local", "runs", run_id, "metrics", "m",
        params={"max_points": "50"},
    )  # fmt: skip
    assert code == 200, body
    assert body["total_points"] == 3_000 and len(body["points"]) <= 50
    assert body["max"] == {"step": spike_step(3_000), "value": 500.0}
    assert body["last"]["step"] == 2_999
    code, listing = await aml_fetch("api", "workspaces")
    assert code == 200 and listing["workspaces"][0]["state"] == "ready"
