"""Zero-config kernels: plain mlflow code logs to the active workspace, tagged, never left RUNNING."""

from __future__ import annotations

import asyncio
import json

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .foreign_env import install_kernelspec
from .kernel_helpers import run_cell, start_notebook_kernel

PLAIN_MLFLOW = """
import mlflow
mlflow.set_experiment("zero-config")
with mlflow.start_run() as run:
    for step in range(3):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
print("RUN", run.info.run_id)
"""


async def activate_team(aml_fetch, team_workspace) -> str:
    name = await team_workspace()
    code, _ = await aml_fetch("api", "workspaces", "active", method="PUT", body={"name": name})
    assert code == 200
    return name


def run_id_from(output: dict) -> str:
    assert output["status"] == "ok", output
    return output["stdout"].split("RUN ", 1)[1].split()[0]


async def test_plain_mlflow_in_a_new_notebook_logs_to_active_workspace_with_provenance(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/train.ipynb")
    kernel_id = session["kernel"]["id"]

    run_id = run_id_from(await run_cell(jp_serverapp, kernel_id, PLAIN_MLFLOW))

    run = team_client.get_run(run_id)
    assert [m.value for m in team_client.get_metric_history(run_id, "loss")] == [1.0, 0.5, 1 / 3]
    assert run.info.status == "FINISHED"
    assert run.data.tags["mlflow.source.name"] == "work/train.ipynb"
    assert run.data.tags["mlflow.source.type"] == "NOTEBOOK"
    assert run.data.tags["jupyterlab_aml.kernel_id"] == kernel_id

    code, body = await aml_fetch("api", "kernels", kernel_id, "runs")
    assert code == 200
    assert body["workspace"] == "team"
    assert [r["run_id"] for r in body["runs"]] == [run_id]


async def test_kernel_env_holds_a_per_kernel_token_not_the_server_token(
    aml_fetch, jp_serverapp, notebook_dir
):
    session = await start_notebook_kernel(aml_fetch, "work/env.ipynb")
    output = await run_cell(
        jp_serverapp,
        session["kernel"]["id"],
        "import os, json; print(json.dumps({k: os.environ.get(k) for k in "
        "('MLFLOW_TRACKING_URI', 'MLFLOW_TRACKING_TOKEN')}))",
    )
    env = json.loads(output["stdout"])
    assert env["MLFLOW_TRACKING_URI"].startswith("http://127.0.0.1:")
    assert env["MLFLOW_TRACKING_URI"].endswith("/aml/mlflow/local")
    assert env["MLFLOW_TRACKING_TOKEN"] and len(env["MLFLOW_TRACKING_TOKEN"]) >= 32
    assert env["MLFLOW_TRACKING_TOKEN"] != jp_serverapp.identity_provider.token


async def test_kernel_token_opens_only_the_passthrough_and_dies_with_the_kernel(
    aml_fetch, team_workspace, jp_serverapp, jp_base_url, jp_http_port, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/token.ipynb")
    output = await run_cell(
        jp_serverapp,
        session["kernel"]["id"],
        "import os; print(os.environ['MLFLOW_TRACKING_TOKEN'])",
    )
    token = output["stdout"].strip()
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/"
    http = AsyncHTTPClient()

    async def status(path: str) -> int:
        request = HTTPRequest(base + path, headers={"Authorization": f"Bearer {token}"})
        return (await http.fetch(request, raise_error=False)).code

    assert await status("mlflow/team/api/2.0/mlflow/experiments/search?max_results=1") == 200
    assert await status("api/workspaces") == 403
    assert await status("api/kernels/" + session["kernel"]["id"] + "/runs") == 403

    await aml_fetch.jp_fetch("api", "sessions", session["id"], method="DELETE")
    assert await status("mlflow/team/api/2.0/mlflow/experiments/search?max_results=1") == 403


async def wait_for_status(client, run_id: str, status: str, timeout: float = 30.0):
    for _ in range(int(timeout / 0.2)):
        run = client.get_run(run_id)
        if run.info.status == status:
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"run {run_id} is {client.get_run(run_id).info.status}, not {status}")


# MlflowClient runs are not ended by MLflow's own exit handler (fluent runs are, as FINISHED, when
# a kernel exits cleanly): these are the runs a clean shutdown or restart leaves RUNNING.
OPEN_RUN = """
import mlflow
client = mlflow.MlflowClient()
experiment_id = mlflow.set_experiment("lifecycle").experiment_id
open_run = client.create_run(experiment_id)
client.log_metric(open_run.info.run_id, "loss", 0.25, step=7)
finished = client.create_run(experiment_id)
client.set_terminated(finished.info.run_id)
print("RUN", open_run.info.run_id, finished.info.run_id)
"""

# A fluent run inside a cell that never returns: the kernel dies before anything can end it.
CRASHING_RUN = """
import mlflow
mlflow.set_experiment("crash")
run = mlflow.start_run()
mlflow.log_metric("loss", 0.5)
print("RUN", run.info.run_id)
"""


async def test_shutdown_kills_open_runs_and_leaves_finished_ones(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/lifecycle.ipynb")
    output = await run_cell(jp_serverapp, session["kernel"]["id"], OPEN_RUN)
    open_id, finished_id = output["stdout"].split("RUN ", 1)[1].split()[:2]
    assert team_client.get_run(open_id).info.status == "RUNNING"

    await aml_fetch.jp_fetch("api", "sessions", session["id"], method="DELETE")

    run = await wait_for_status(team_client, open_id, "KILLED")
    assert run.info.end_time is not None
    assert run.data.tags["jupyterlab_aml.end_reason"] == "kernel shut down"
    assert [m.step for m in team_client.get_metric_history(open_id, "loss")] == [7]
    assert team_client.get_run(finished_id).info.status == "FINISHED"


async def test_restart_kills_runs_of_the_previous_process(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/restart.ipynb")
    kernel_id = session["kernel"]["id"]
    output = await run_cell(jp_serverapp, kernel_id, OPEN_RUN)
    open_id = output["stdout"].split("RUN ", 1)[1].split()[0]

    await aml_fetch.jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body="{}")

    run = await wait_for_status(team_client, open_id, "KILLED")
    assert run.data.tags["jupyterlab_aml.end_reason"] == "kernel restarted"
    # The restarted kernel keeps logging with the same identity.
    new_run = run_id_from(await run_cell(jp_serverapp, kernel_id, PLAIN_MLFLOW))
    assert team_client.get_run(new_run).data.tags["jupyterlab_aml.kernel_id"] == kernel_id


async def test_crashed_kernel_runs_are_killed(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/crash.ipynb")
    kernel_id = session["kernel"]["id"]
    output = await run_cell(jp_serverapp, kernel_id, CRASHING_RUN)
    open_id = output["stdout"].split("RUN ", 1)[1].split()[0]

    # The process dies under the kernel manager (OOM killer, segfault, os._exit).
    kernel = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    kernel.provisioner.process.kill()

    run = await wait_for_status(team_client, open_id, "KILLED", timeout=60)
    assert "died" in run.data.tags["jupyterlab_aml.end_reason"]


async def test_unknown_kernel_runs_is_404(aml_fetch):
    code, body = await aml_fetch("api", "kernels", "0000-dead", "runs")
    assert code == 404 and "0000-dead" in body["message"]


@pytest.fixture
def foreign_kernel(jp_data_dir):
    """Registered before the server starts (list it before aml_fetch)."""
    return install_kernelspec(jp_data_dir)


async def test_kernel_from_an_env_with_only_mlflow_logs_too(
    foreign_kernel, aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/foreign.ipynb", foreign_kernel)
    kernel_id = session["kernel"]["id"]
    probe = await run_cell(
        jp_serverapp,
        kernel_id,
        "import importlib.util as u, sys\nprint(u.find_spec('jupyterlab_aml') is None, sys.prefix)",
    )
    assert probe["stdout"].startswith("True "), probe

    run_id = run_id_from(await run_cell(jp_serverapp, kernel_id, PLAIN_MLFLOW))

    run = team_client.get_run(run_id)
    assert run.data.tags["mlflow.source.name"] == "work/foreign.ipynb"
    assert run.data.tags["jupyterlab_aml.kernel_id"] == kernel_id
    assert len(team_client.get_metric_history(run_id, "loss")) == 3


INTERRUPTED_CELL = """
import mlflow, time
mlflow.set_experiment("interrupt")
earlier = mlflow.start_run(run_name="earlier")
mlflow.end_run()
run = mlflow.start_run()
print("RUN", earlier.info.run_id, run.info.run_id, flush=True)
time.sleep(120)
"""


async def test_cell_interrupted_out_of_its_run_ends_it_killed(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/interrupt.ipynb")
    kernel_id = session["kernel"]["id"]
    cell = asyncio.ensure_future(run_cell(jp_serverapp, kernel_id, INTERRUPTED_CELL))
    run_id = None
    for _ in range(600):
        runs = (
            team_client.search_runs([team_client.get_experiment_by_name("interrupt").experiment_id])
            if team_client.get_experiment_by_name("interrupt")
            else []
        )
        running = [r for r in runs if r.info.status == "RUNNING" and r.info.run_name != "earlier"]
        if running:
            run_id = running[0].info.run_id
            break
        await asyncio.sleep(0.1)
    assert run_id, "the cell never started its run"
    await asyncio.sleep(2)  # let start_run() return in the kernel: the cell is now sleeping

    await aml_fetch.jp_fetch("api", "kernels", kernel_id, "interrupt", method="POST", body="{}")
    output = await cell
    assert output["status"] == "error" and "KeyboardInterrupt" in (output["error"] or "")

    run = await wait_for_status(team_client, run_id, "KILLED", timeout=10)
    assert run.data.tags["jupyterlab_aml.end_reason"] == "cell interrupted"
    # The kernel is free to start a new run at once (no "run already active").
    assert run_id_from(await run_cell(jp_serverapp, kernel_id, PLAIN_MLFLOW))


async def test_server_shutdown_kills_runs_of_kernels_still_running(
    aml_fetch, team_workspace, team_client, jp_serverapp, notebook_dir
):
    await activate_team(aml_fetch, team_workspace)
    session = await start_notebook_kernel(aml_fetch, "work/stopping.ipynb")
    output = await run_cell(jp_serverapp, session["kernel"]["id"], OPEN_RUN)
    open_id, finished_id = output["stdout"].split("RUN ", 1)[1].split()[:2]

    # What the server does first when it stops: stop its extensions (kernels come after).
    await jp_serverapp.extension_manager.stop_all_extensions()

    run = team_client.get_run(open_id)
    assert run.info.status == "KILLED"
    assert run.data.tags["jupyterlab_aml.end_reason"] == "Jupyter server stopped"
    assert team_client.get_run(finished_id).info.status == "FINISHED"
