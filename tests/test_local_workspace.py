"""The embedded store: background start, restart when killed, no orphan, no clash."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap

import psutil
import pytest
import pytest_asyncio

from jupyterlab_aml.workspaces.context import WorkspaceContext
from jupyterlab_aml.workspaces.local import LocalWorkspace


async def wait_state(workspace: LocalWorkspace, state: str, timeout: float = 90.0) -> None:
    for _ in range(int(timeout / 0.1)):
        if workspace.state == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workspace.name} stayed {workspace.state}: {workspace.detail}")


@pytest_asyncio.fixture
async def local(tmp_path):
    workspace = LocalWorkspace("local", store_dir=str(tmp_path), context=WorkspaceContext())
    yield workspace
    await workspace.stop()


@pytest.mark.asyncio
async def test_start_returns_at_once_then_becomes_ready(local):
    await asyncio.wait_for(local.start(), timeout=1)
    assert local.state == "starting"
    await wait_state(local, "ready")
    experiments, _ = await local.list_experiments(filter=None, max_results=10, page_token=None)
    assert "Default" in [e.name for e in experiments]
    assert (local.store_dir / "mlflow.db").exists()


@pytest.mark.asyncio
async def test_killed_server_is_restarted_and_keeps_data(local):
    await local.start()
    await wait_state(local, "ready")
    body = {"name": "survives-kill"}
    await local.client.call("POST", "api/2.0/mlflow/experiments/create", body=body)
    first_pid = local.pid

    os.kill(first_pid, signal.SIGKILL)
    await wait_state(local, "starting", timeout=10)
    await wait_state(local, "ready")

    assert local.pid != first_pid
    assert not psutil.pid_exists(first_pid)  # our own child: reaped by asyncio
    experiments, _ = await local.list_experiments(filter=None, max_results=10, page_token=None)
    assert "survives-kill" in [e.name for e in experiments]


@pytest.mark.asyncio
async def test_stop_leaves_no_process_and_is_idempotent(local):
    await local.start()
    await wait_state(local, "ready")
    pid = local.pid
    await local.stop()
    await local.stop()
    assert not psutil.pid_exists(pid)


@pytest.mark.asyncio
async def test_two_servers_on_one_store_do_not_clash(tmp_path, local):
    other = LocalWorkspace("local", store_dir=str(tmp_path), context=WorkspaceContext())
    try:
        await local.start()
        await other.start()
        await wait_state(local, "ready")
        await wait_state(other, "ready")
        assert local.port != other.port
        await other.client.call(
            "POST", "api/2.0/mlflow/experiments/create", body={"name": "shared"}
        )
        experiments, _ = await local.list_experiments(filter=None, max_results=10, page_token=None)
        assert "shared" in [e.name for e in experiments]
    finally:
        await other.stop()


def test_hard_killed_jupyter_leaves_no_orphan(tmp_path):
    """Even SIGKILL of the parent (no cleanup code runs) takes the child down with it."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from jupyterlab_aml.workspaces.context import WorkspaceContext
        from jupyterlab_aml.workspaces.local import LocalWorkspace

        async def main():
            ws = LocalWorkspace("local", store_dir={str(tmp_path)!r},
                                context=WorkspaceContext())
            await ws.start()
            while ws.pid is None:
                await asyncio.sleep(0.05)
            print(ws.pid, flush=True)
            await asyncio.sleep(3600)

        asyncio.run(main())
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = psutil.Process(int(parent.stdout.readline()))
    assert child.is_running()
    parent.kill()
    parent.wait()
    assert wait_until_dead(child, timeout=15), "embedded MLflow server outlived its Jupyter server"


def wait_until_dead(process: psutil.Process, timeout: float) -> bool:
    """Gone or a zombie (a container's init may be slow to reap): either way, not serving."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.1)
    return False
