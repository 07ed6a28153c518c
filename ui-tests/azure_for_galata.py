"""The loopback Azure for the Galata UI tests, started inside the Jupyter server process.

`jupyter_server_test_config.py` imports this module, so Python's module cache starts it once
per process even if the config file is read twice. It runs the pytest suite's AzureDouble
(ARM, an Entra ID authority with its device-code verification page, the AML MLflow front)
and a real `mlflow server` behind the double's one workspace, and writes the coordinates a
spec types into the "Add workspace" dialog to a JSON file.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.azure_double import AzureDouble
from tests.azure_double.fixtures import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE
from tests.servers import MlflowServer

# The double's MLflow server yields the CPU to Jupyter and its embedded store (nice 19), and
# starts only once that store is ready, so the other specs' start-up is not shared with it.
BACKEND_NICENESS = 19
LOCAL_STORE_WAIT = 180.0  # seconds; then the backend starts anyway
# The spec adds the workspace as a custom cloud (the dialog's "Custom" choice): its ARM
# endpoint is its own token audience, which is the double's default scope.
CUSTOM_CLOUD = "custom"


def start_azure(coordinates_file: Path, jupyter_url: str, since: float) -> AzureDouble:
    """Start the double (now) and its MLflow backend (soon), both stopped at exit; write the
    coordinates a spec needs to ``coordinates_file``.

    ``since`` is the ``time.perf_counter()`` before this module's import, so the start-up
    time reported counts the imports (aiohttp, trustme, azure-core, requests) too.
    """
    double = AzureDouble().start()
    atexit.register(double.stop)
    backend = _backend_when_local_is_ready(f"{jupyter_url}aml/api/workspaces", since)
    double.add_workspace(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, backend.url)
    startup = time.perf_counter() - since
    coordinates_file.parent.mkdir(parents=True, exist_ok=True)
    coordinates_file.write_text(
        json.dumps(
            {
                "arm_endpoint": double.arm_endpoint,
                "authority_host": double.authority_host,
                "tenant_id": double.tenant_id,
                "cloud": CUSTOM_CLOUD,
                "subscription_id": SUBSCRIPTION,
                "resource_group": RESOURCE_GROUP,
                "workspace_name": WORKSPACE,
                # The spec waits for it before signing in (it starts after Jupyter's store).
                "mlflow_url": backend.url,
                "startup_seconds": round(startup, 3),
            },
            indent=2,
        )
    )
    atexit.register(coordinates_file.unlink, missing_ok=True)
    _say(f"Azure double up in {startup:.3f} s (imports included); see {coordinates_file}")
    return double


def _backend_when_local_is_ready(workspaces_url: str, since: float) -> MlflowServer:
    """A `mlflow server` on a temp sqlite store (its URL is known now), started in a thread."""
    store = Path(tempfile.mkdtemp(prefix="jupyterlab-aml-azure-mlflow-"))
    atexit.register(shutil.rmtree, store, ignore_errors=True)
    backend = MlflowServer(store)
    stopping = threading.Event()
    atexit.register(backend.stop)  # runs before the rmtree above (atexit is last in, first out)
    atexit.register(stopping.set)
    threading.Thread(
        target=_start_backend,
        args=(backend, workspaces_url, since, stopping),
        name="azure-mlflow",
        daemon=True,
    ).start()
    return backend


def _start_backend(
    backend: MlflowServer, workspaces_url: str, since: float, stopping: threading.Event
) -> None:
    # Linux keeps the nice value per thread, and a child inherits its forking thread's: this
    # lowers the priority of the MLflow server started here, and of nothing else.
    os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BACKEND_NICENESS)
    _wait_for_local_store(workspaces_url, stopping)
    if stopping.is_set():
        return
    try:
        backend.start()
    except RuntimeError as err:
        if not stopping.is_set():
            _say(f"the Azure double's MLflow server did not start: {err}")
        return
    ready = time.perf_counter() - since
    _say(f"the Azure double's MLflow server answers {ready:.1f} s after the double's imports")


def _wait_for_local_store(workspaces_url: str, stopping: threading.Event) -> None:
    # Galata's server needs no token; the REST contract says when `local` is ready.
    deadline = time.monotonic() + LOCAL_STORE_WAIT
    while not stopping.wait(0.5) and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(workspaces_url, timeout=5) as response:
                listing = json.load(response)
        except (OSError, ValueError):
            continue  # Jupyter is not listening yet
        states = {ws.get("name"): ws.get("state") for ws in listing.get("workspaces", [])}
        if states.get("local") == "ready":
            return


def _say(message: str) -> None:
    # Before Jupyter's logging is set up: straight to the server's output (Playwright shows it).
    print(f"[jupyterlab_aml Galata] {message}", file=sys.stderr, flush=True)
