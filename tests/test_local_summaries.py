"""The embedded workspace keeps series summaries as runs end, answers from them, and does
without them when their file is unusable."""

from __future__ import annotations

import asyncio
import math
import sqlite3

import pytest
from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from jupyterlab_aml.workspaces import summary_upkeep
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


def log_points(client: MlflowClient, run_id: str, points: range, offset: float = 0.0) -> None:
    """Points of "m" at those steps; the one at ``spike_step(len(points))`` is 500 + offset."""
    values = {i: math.sin(i / 50) + offset for i in points}
    if spike_step(len(points)) in values:
        values[spike_step(len(points))] = 500.0 + offset
    steps = list(points)
    for start in range(0, len(steps), 1_000):
        batch = [Metric("m", values[i], 10 + i, i) for i in steps[start : start + 1_000]]
        client.log_batch(run_id, metrics=batch)


def log_ended_runs(client: MlflowClient, count: int, points: int) -> list[str]:
    run_ids = []
    for r in range(count):
        run_id = client.create_run("0").info.run_id
        log_points(client, run_id, range(points), offset=r)
        client.set_terminated(run_id)
        run_ids.append(run_id)
    return run_ids


def summarized_points(store) -> dict[str, int]:
    """Points covered per summarized run (of metric "m")."""
    path = store / SUMMARY_FILE
    if not path.exists():
        return {}
    with sqlite3.connect(path) as own:
        try:
            rows = own.execute("SELECT run_uuid, points FROM series WHERE NOT dense AND key='m'")
            return dict(rows.fetchall())
        except sqlite3.DatabaseError:  # not created yet, or not (yet) a database again
            return {}


def summarized_runs(store) -> set[str]:
    return set(summarized_points(store))


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


async def test_a_running_run_is_summarized_while_it_logs(
    aml_fetch, local_ready, wait_for, passthrough_client, aml_dirs, monkeypatch
):
    monkeypatch.setattr(summary_upkeep, "REFRESH_DELAY_S", 0.3)
    await local_ready()
    # MLflow's client blocks: off the loop that serves Jupyter.
    run_id = (await asyncio.to_thread(passthrough_client.create_run, "0")).info.run_id
    await asyncio.to_thread(log_points, passthrough_client, run_id, range(3_000))

    async def covered(points: int):
        return summarized_points(aml_dirs["store"]).get(run_id) == points

    await wait_for(lambda: covered(3_000), timeout=30)  # the run has not ended
    await asyncio.to_thread(log_points, passthrough_client, run_id, range(3_000, 3_500), 7.0)
    await wait_for(lambda: covered(3_500), timeout=30)  # new points appended
    code, body = await aml_fetch(
        "api", "workspaces", "local", "runs", run_id, "metrics", "m",
        params={"max_points": "100"},
    )  # fmt: skip
    assert code == 200, body
    assert body["total_points"] == 3_500 and body["last"]["step"] == 3_499
    assert body["max"] == {"step": spike_step(3_000), "value": 500.0}


class TestSummariesOff:
    @pytest.fixture
    def aml_settings(self) -> dict:
        return {"series_summaries": False}

    async def test_nothing_is_written_beside_the_store(
        self, aml_fetch, local_ready, passthrough_client, aml_dirs
    ):
        await local_ready()
        (run_id,) = await asyncio.to_thread(log_ended_runs, passthrough_client, 1, 3_000)
        code, body = await aml_fetch(
            "api", "workspaces", "local", "runs", run_id, "metrics", "m",
            params={"max_points": "50"},
        )  # fmt: skip
        assert code == 200 and body["max"] == {"step": spike_step(3_000), "value": 500.0}
        await asyncio.sleep(1.0)  # time enough for a summary to be written, were it on
        assert not (aml_dirs["store"] / SUMMARY_FILE).exists()
