"""The run-context plugin: registered by entry point, and in a real ipykernel it tags a run with
the id and execution count of the cell that started it (checked on a real ``mlflow server``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from importlib.metadata import entry_points

import pytest
from jupyter_client import BlockingKernelClient, KernelManager
from mlflow.tracking.context.registry import _run_context_provider_registry

from jupyterlab_aml.context import CELL_ID_TAG, EXECUTION_COUNT_TAG, NotebookCellContext

START_RUN = "r = mlflow.start_run()\nprint('RUN', r.info.run_id)\nmlflow.end_run()"


@pytest.fixture(scope="module")
def kernel(mlflow_server) -> Iterator[BlockingKernelClient]:
    """A real ipykernel whose MLflow logs straight to the session's MLflow server."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_URI"] = mlflow_server.url
    manager = KernelManager(kernel_name="python3")
    manager.start_kernel(env=env)
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        assert execute(client, "import mlflow")[0]["status"] == "ok"
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def execute(
    client: BlockingKernelClient, code: str, cell_id: str | None = None, silent: bool = False
) -> tuple[dict, str]:
    """Send an execute_request as JupyterLab does (cellId in its metadata); reply and stdout."""
    content = {
        "code": code,
        "silent": silent,
        "store_history": not silent,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    metadata = {"cellId": cell_id} if cell_id else {}
    request = client.session.msg("execute_request", content, metadata=metadata)
    client.shell_channel.send(request)
    msg_id = request["header"]["msg_id"]
    printed = []
    while True:
        msg = client.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append("\n".join(msg["content"]["traceback"]))
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    reply = client.get_shell_msg(timeout=120)
    assert reply["parent_header"]["msg_id"] == msg_id
    return reply["content"], "".join(printed)


def started_run_tags(client, mlflow_client, **kwargs) -> tuple[dict, dict]:
    """Start and end a run in one cell; the reply and the run's tags as the server has them."""
    reply, printed = execute(client, START_RUN, **kwargs)
    assert reply["status"] == "ok", printed
    (run_id,) = re.findall(r"^RUN (\w+)$", printed, re.MULTILINE)
    return reply, mlflow_client.get_run(run_id).data.tags


def test_entry_point_is_registered_and_mlflow_loads_it():
    (ours,) = [
        e for e in entry_points(group="mlflow.run_context_provider") if e.name == "jupyterlab_aml"
    ]
    assert ours.load() is NotebookCellContext
    assert any(isinstance(p, NotebookCellContext) for p in _run_context_provider_registry)


def test_run_is_tagged_with_its_cell_id_and_execution_count(kernel, mlflow_client):
    execute(kernel, "x = 1", cell_id="an-earlier-cell")  # the count moves on

    reply, tags = started_run_tags(kernel, mlflow_client, cell_id="3f7c-cell")

    assert tags[CELL_ID_TAG] == "3f7c-cell"
    # The In [n] the frontend shows for this cell, which is what the reply carries.
    assert tags[EXECUTION_COUNT_TAG] == str(reply["execution_count"])
    assert reply["execution_count"] >= 3


def test_each_cell_tags_its_own_runs(kernel, mlflow_client):
    first, first_tags = started_run_tags(kernel, mlflow_client, cell_id="cell-a")
    second, second_tags = started_run_tags(kernel, mlflow_client, cell_id="cell-b")

    assert second["execution_count"] == first["execution_count"] + 1
    assert (first_tags[CELL_ID_TAG], second_tags[CELL_ID_TAG]) == ("cell-a", "cell-b")
    assert second_tags[EXECUTION_COUNT_TAG] == str(second["execution_count"])


def test_without_a_cell_id_only_the_count_is_tagged(kernel, mlflow_client):
    reply, tags = started_run_tags(kernel, mlflow_client)  # e.g. a console or nbclient < 0.6

    assert CELL_ID_TAG not in tags
    assert tags[EXECUTION_COUNT_TAG] == str(reply["execution_count"])


def test_a_silent_execution_has_no_count_of_its_own(kernel, mlflow_client):
    _, tags = started_run_tags(kernel, mlflow_client, cell_id="silent-cell", silent=True)

    assert tags[CELL_ID_TAG] == "silent-cell"
    assert EXECUTION_COUNT_TAG not in tags


def test_run_started_between_cells_names_no_cell(kernel, mlflow_client):
    # A timer the cell started fires after it finished, while the kernel is idle.
    code = (
        "import threading\nbox = {}\n"
        "timer = threading.Timer(0.2, lambda: box.update(run=mlflow.start_run().info.run_id))\n"
        "timer.start()"
    )
    assert execute(kernel, code, cell_id="timer-cell")[0]["status"] == "ok"
    time.sleep(1.5)
    reply, printed = execute(kernel, "timer.join()\nprint('RUN', box['run'])\nmlflow.end_run()")
    assert reply["status"] == "ok", printed
    (run_id,) = re.findall(r"^RUN (\w+)$", printed, re.MULTILINE)

    tags = mlflow_client.get_run(run_id).data.tags
    assert CELL_ID_TAG not in tags and EXECUTION_COUNT_TAG not in tags


def test_outside_a_kernel_it_is_not_in_context():
    from IPython.core.interactiveshell import InteractiveShell

    InteractiveShell.instance()  # an IPython shell, but no kernel

    assert NotebookCellContext().in_context() is False
    assert NotebookCellContext().tags() == {}
