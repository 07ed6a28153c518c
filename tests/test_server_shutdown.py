"""A real `jupyter server` process: the embedded store starts with it and dies with it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request

import psutil
import pytest

from .servers import free_port


@pytest.fixture
def jupyter_server(tmp_path):
    port, token = free_port(), "shutdown-test-token"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            "--no-browser",
            f"--port={port}",
            f"--IdentityProvider.token={token}",
            "--ServerApp.allow_root=True",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={tmp_path}",
            f"--AmlExtension.local_store_dir={tmp_path / 'store'}",
            f"--AmlExtension.workspaces_file={tmp_path / 'workspaces.json'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "server.log", "wb"),  # noqa: SIM115 - closed with the process
    )
    yield process, f"http://127.0.0.1:{port}", token
    if process.poll() is None:
        process.kill()
        process.wait()


def local_state(url: str, token: str) -> str | None:
    request = urllib.request.Request(
        f"{url}/aml/api/workspaces", headers={"Authorization": f"token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)["workspaces"][0]["state"]
    except OSError:
        return None


def test_sigterm_stops_jupyter_and_its_embedded_store(jupyter_server):
    process, url, token = jupyter_server
    deadline = time.monotonic() + 120
    while local_state(url, token) != "ready":
        assert time.monotonic() < deadline, "local workspace never became ready"
        assert process.poll() is None, "jupyter server exited early"
        time.sleep(0.2)
    children = psutil.Process(process.pid).children(recursive=True)
    mlflow = [c for c in children if "mlflow.server" in " ".join(c.cmdline())]
    assert len(mlflow) == 1

    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)

    _, alive = psutil.wait_procs(mlflow, timeout=15)
    assert not alive, f"orphaned: {[p.pid for p in alive]}"
