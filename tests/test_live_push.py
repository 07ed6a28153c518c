"""End to end: a real kernel logs plain mlflow, and the browser's websocket gets the points."""

from __future__ import annotations

import asyncio
import json

from .kernel_helpers import run_cell, start_notebook_kernel
from .test_kernels import activate_team

START = """
import mlflow
mlflow.set_experiment("live")
run = mlflow.start_run()
print("RUN", run.info.run_id)
"""

LOG_20 = """
import time
for step in range(20):
    mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
    time.sleep(0.02)
mlflow.log_metric("loss", float("nan"), step=20)
mlflow.end_run()
"""


async def next_message(socket, timeout: float = 20.0) -> dict:
    return json.loads(await asyncio.wait_for(socket.read_message(), timeout))


async def test_kernel_logged_points_are_pushed_without_polling(
    aml_fetch, team_workspace, jp_serverapp, jp_ws_fetch, notebook_dir
):
    ws = await activate_team(aml_fetch, team_workspace)
    hub = jp_serverapp.web_app.settings["jupyterlab_aml"]["live"]
    socket = await jp_ws_fetch("aml", "api", "live")
    await socket.write_message(json.dumps({"subscribe": {"workspace": ws}}))
    assert (await next_message(socket))["type"] == "subscribed"

    session = await start_notebook_kernel(aml_fetch, "work/live.ipynb")
    kernel_id = session["kernel"]["id"]
    output = await run_cell(jp_serverapp, kernel_id, START)
    run_id = output["stdout"].split("RUN ", 1)[1].split()[0]

    created = await next_message(socket)
    assert created["type"] == "run" and created["run"]["run_id"] == run_id
    assert created["run"]["status"] == "RUNNING"
    assert created["run"]["tags"]["mlflow.source.name"] == "work/live.ipynb"

    await socket.write_message(json.dumps({"subscribe": {"workspace": ws, "run_id": run_id}}))
    cell = asyncio.ensure_future(run_cell(jp_serverapp, kernel_id, LOG_20))
    points, statuses = [], []
    while len(points) < 21 or "FINISHED" not in statuses:
        message = await next_message(socket)
        if message["type"] == "metrics" and message["run_id"] == run_id:
            points += message["points"].get("loss", [])
        elif message["type"] == "run" and message["run"]["run_id"] == run_id:
            statuses.append(message["run"]["status"])
    assert (await cell)["status"] == "ok"

    assert [p[0] for p in points] == list(range(21))
    assert points[0][2] == 1.0 and points[20][2] is None  # NaN travels as null
    assert hub.stats.upstream_reads == 0  # pushed, never polled
    socket.close()
