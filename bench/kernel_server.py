"""What the kernel benches share: a Jupyter server on a fresh store, and real notebook kernels.

Kernels are started as JupyterLab starts them (``POST api/sessions``), so each gets the
extension's ``MLFLOW_TRACKING_URI`` (the passthrough) and its own ``MLFLOW_TRACKING_TOKEN``. The
bench runs code in them over ZMQ with ``jupyter_client``, from the connection file the server
writes to its runtime dir: the kernel's own HTTP traffic, the thing measured, is the same either
way. A cell reports back by printing one ``BENCH_RESULT {json}`` line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import psutil
from jupyter_client.asynchronous import AsyncKernelClient

from .servers import JupyterServer, raise_for_status

if TYPE_CHECKING:
    from typing_extensions import Self

NOTEBOOK_DIR = "bench"  # under the server root; a notebook kernel's working directory
RESULT_MARK = "BENCH_RESULT "
# 20 kernels starting at once on 2 cores all answer within about 5 s; one that has not after
# this long never will (see KernelStartFailed).
KERNEL_READY_TIMEOUT = 45.0
KERNEL_EXIT_TIMEOUT = 30.0
READY_POLL_SECONDS = 5.0
# Jupyter logs every failed request: "[E ...] 500 POST /aml/mlflow/local/api/... (user@ip) 3ms".
_FAILED_PASSTHROUGH = re.compile(r"\] ([45]\d\d) ([A-Z]+) (/\S*aml/mlflow/\S*)")


def start_kernel_server(
    work_dir: Path, extra_args: tuple[str, ...] = ()
) -> tuple[JupyterServer, dict[str, float]]:
    """A Jupyter server with the extension, its embedded ``local`` store new and empty."""
    jupyter = JupyterServer(work_dir / "jupyter", work_dir / "store", extra_args=extra_args)
    try:
        started = jupyter.start()
        ready = jupyter.wait_workspace_ready("local")
        jupyter.check_local_store()
    except Exception:
        jupyter.stop()
        raise
    (jupyter.work_dir / "root" / NOTEBOOK_DIR).mkdir(parents=True, exist_ok=True)
    return jupyter, {"jupyter_start_seconds": started, "local_ready_after_jupyter_seconds": ready}


def passthrough_url(jupyter: JupyterServer, workspace: str = "local") -> str:
    """The tracking URI the extension gives kernels for ``workspace``."""
    return f"{jupyter.url}aml/mlflow/{workspace}"


def mlflow_child_url(jupyter: JupyterServer) -> str:
    """Loopback URL of the embedded MLflow server, read from its listening socket."""
    for process in psutil.Process(jupyter.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "mlflow.server" not in " ".join(process.cmdline()):
                continue
            for conn in process.net_connections("inet"):
                if conn.status == psutil.CONN_LISTEN:
                    return f"http://{conn.laddr.ip}:{conn.laddr.port}"
    raise RuntimeError(f"no listening mlflow.server child under Jupyter (pid {jupyter.pid})")


def kernel_processes(jupyter: JupyterServer) -> list[psutil.Process]:
    """Kernel processes the server started and that are still alive."""
    found = []
    for process in psutil.Process(jupyter.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "ipykernel_launcher" in " ".join(process.cmdline()):
                found.append(process)
    return found


def wait_kernels_gone(jupyter: JupyterServer, timeout: float = KERNEL_EXIT_TIMEOUT) -> int:
    """How many kernel processes are left once they have had ``timeout`` seconds to exit."""
    deadline = time.monotonic() + timeout
    while (left := kernel_processes(jupyter)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(left)


def log_offset(jupyter: JupyterServer) -> int:
    """Current size of the server log, to read only what a bench phase added."""
    return jupyter.log_path.stat().st_size if jupyter.log_path.exists() else 0


def log_since(jupyter: JupyterServer, since: int) -> str:
    """What the server (and its kernels) logged after offset ``since``."""
    with open(jupyter.log_path, "rb") as log:
        log.seek(since)
        return log.read().decode(errors="replace")


def failed_passthrough_requests(jupyter: JupyterServer, since: int) -> dict[str, int]:
    """Failed passthrough requests the server logged after ``since``, by status and route."""
    counts: dict[str, int] = {}
    for status, method, path in _FAILED_PASSTHROUGH.findall(log_since(jupyter, since)):
        route = path.split("?")[0].rsplit("/mlflow/", 1)[-1]
        key = f"{status} {method} {route}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def percentiles(values: list[float]) -> dict[str, Any]:
    """p50, p95, max and min of a sample (empty: only n)."""
    if not values:
        return {"n": 0}
    array = np.asarray(values, dtype=np.float64)
    return {
        "n": len(values),
        "p50": float(np.percentile(array, 50)),
        "p95": float(np.percentile(array, 95)),
        "max": float(array.max()),
        "min": float(array.min()),
    }


class KernelStartFailed(RuntimeError):
    """The kernel never answered: it died, or it lives on without one of its ports.

    jupyter_client picks five free ports, then the kernel binds them a moment later; with many
    kernels starting at once, a connection made in between can take one (``Address already in
    use`` in the server log). Such a kernel may exit (the restarter then tries new ports) or
    hang on, alive and deaf.
    """


@dataclass
class CellResult:
    """What one cell printed, and its ``BENCH_RESULT`` payload."""

    status: str
    stdout: str
    error: str | None
    payload: Any = None


@dataclass
class NotebookKernel:
    """A notebook session's kernel, with a client on its ZMQ channels."""

    session_id: str
    kernel_id: str
    client: AsyncKernelClient | None = None
    cells: list[CellResult] = field(default_factory=list)

    async def run(self, code: str, timeout: float = 300.0) -> CellResult:
        """Execute ``code``; an error in the cell raises with the kernel's traceback."""
        out: dict[str, Any] = {"stdout": "", "error": None}

        def on_output(msg: dict[str, Any]) -> None:
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind == "stream" and content.get("name") == "stdout":
                out["stdout"] += content["text"]
            elif kind == "error":
                out["error"] = "\n".join(content.get("traceback", [])) or content.get("evalue")

        assert self.client is not None, "not connected"
        reply = await self.client.execute_interactive(
            code, timeout=timeout, output_hook=on_output, store_history=False
        )
        result = CellResult(reply["content"]["status"], out["stdout"], out["error"])
        for line in result.stdout.splitlines():
            if line.startswith(RESULT_MARK):
                result.payload = json.loads(line[len(RESULT_MARK) :])
        self.cells.append(result)
        if result.status != "ok":
            raise RuntimeError(f"cell failed in kernel {self.kernel_id}: {result.error}")
        return result


class KernelSessions:
    """Opens notebook sessions on a server and closes every one it opened."""

    def __init__(self, jupyter: JupyterServer):
        self.jupyter = jupyter
        self.http = httpx.AsyncClient(
            base_url=jupyter.url, headers=jupyter.headers, timeout=300.0, trust_env=False
        )
        self.open: dict[str, NotebookKernel] = {}
        self.start_failures: list[str] = []

    async def start(self, name: str) -> NotebookKernel:
        """``POST api/sessions`` for ``bench/{name}.ipynb``, then wait until the kernel answers."""
        response = await self.http.post(
            "api/sessions",
            json={
                "path": f"{NOTEBOOK_DIR}/{name}.ipynb",
                "name": f"{name}.ipynb",
                "type": "notebook",
                "kernel": {"name": "python3"},
            },
        )
        raise_for_status(response)
        session = response.json()
        kernel = NotebookKernel(session["id"], session["kernel"]["id"])
        self.open[kernel.session_id] = kernel
        try:
            await self._connect(kernel)
        except KernelStartFailed:
            await self.close(kernel)
            raise
        return kernel

    async def _connect(self, kernel: NotebookKernel) -> None:
        """Connect once the kernel answers ``kernel_info``, following it through restarts."""
        path = self.jupyter.work_dir / "runtime" / f"kernel-{kernel.kernel_id}.json"
        deadline = time.monotonic() + KERNEL_READY_TIMEOUT
        loaded = None
        while time.monotonic() < deadline:
            info = path.read_text() if path.exists() else None
            if info and info != loaded:  # new, or rewritten with new ports by a restart
                if kernel.client is not None:
                    kernel.client.stop_channels()
                kernel.client = AsyncKernelClient()
                kernel.client.load_connection_file(str(path))
                # No heartbeat: its 1 s deadline calls a kernel dead while 20 of them boot on
                # 2 cores.
                kernel.client.start_channels(hb=False)
                loaded = info
            if kernel.client is not None:
                with contextlib.suppress(RuntimeError):  # no answer within the timeout
                    await kernel.client.wait_for_ready(timeout=READY_POLL_SECONDS)
                    return
            response = await self.http.get(f"api/kernels/{kernel.kernel_id}")
            if response.status_code == 404:
                raise KernelStartFailed(f"kernel {kernel.kernel_id} died while starting")
            await asyncio.sleep(0.2)
        raise KernelStartFailed(
            f"kernel {kernel.kernel_id} did not answer within {KERNEL_READY_TIMEOUT:.0f} s"
        )

    async def start_many(self, names: list[str], attempts: int = 3) -> list[NotebookKernel]:
        """Start sessions in parallel, as a user opening many notebooks at once would; a kernel
        that fails to start is replaced, and noted in ``start_failures``."""

        async def start_one(name: str) -> NotebookKernel:
            for attempt in range(1, attempts + 1):
                try:
                    return await self.start(name)
                except KernelStartFailed as err:
                    self.start_failures.append(str(err))
                    if attempt == attempts:
                        raise
            raise AssertionError("unreachable")

        return list(await asyncio.gather(*(start_one(name) for name in names)))

    async def close(self, kernel: NotebookKernel) -> None:
        """Stop the client, then ``DELETE api/sessions/{id}`` (which shuts the kernel down)."""
        self.open.pop(kernel.session_id, None)
        if kernel.client is not None:
            kernel.client.stop_channels()
        response = await self.http.delete(f"api/sessions/{kernel.session_id}")
        if response.status_code != 404:
            raise_for_status(response)

    async def close_all(self) -> None:
        """Close every session still open, in parallel."""
        await asyncio.gather(*(self.close(k) for k in list(self.open.values())))

    async def running_kernels(self) -> int:
        """How many kernels ``GET api/kernels`` lists."""
        response = await self.http.get("api/kernels")
        raise_for_status(response)
        return len(response.json())

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.close_all()
        finally:
            await self.http.aclose()
