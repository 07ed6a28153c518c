"""MLflow's own tracking server as a lean, supervised child process of the Jupyter server.

We launch MLflow's ASGI app (``mlflow.server.fastapi_app:app``) with uvicorn directly, configured
through the same environment that ``mlflow server`` sets for its workers. ``mlflow server`` itself
is a CLI process that imports MLflow, then execs uvicorn as a second process: measured in bench/,
that wrapper costs about 2 s more at launch and twice the memory, and buys nothing here.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from ..models import WorkspaceState
from .rest_client import new_session

log = logging.getLogger(__name__)

# Restart backoff after the child dies: 0.5 s doubling to 30 s, reset once it stays up a minute.
_BACKOFF_START, _BACKOFF_MAX, _STABLE_AFTER = 0.5, 30.0, 60.0
_READY_TIMEOUT = 120.0
_PR_SET_PDEATHSIG = 1

StateListener = Callable[[WorkspaceState, str], None]


def _die_with_parent() -> None:  # pragma: no cover - runs in the forked child
    """Ask Linux to SIGTERM the child if the Jupyter server dies without cleaning up."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def free_loopback_port() -> int:
    """A port free on 127.0.0.1 right now; each Jupyter server gets its own."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _StartupLock:
    """An advisory lock file, taken without blocking the event loop."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    async def __aenter__(self) -> None:
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                await asyncio.sleep(0.1)

    async def __aexit__(self, *exc: object) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing releases the flock
            self._fd = None


class EmbeddedMlflowServer:
    """Launches, health-checks, restarts and stops one MLflow server on a sqlite store."""

    def __init__(
        self,
        store_dir: Path,
        *,
        on_state: StateListener,
        on_ready: Callable[[int], Awaitable[None]],
    ):
        self.store_dir = store_dir
        self.port: int | None = None  # set only while a child serves
        self.pid: int | None = None
        self._on_state = on_state
        self._on_ready = on_ready
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False

    @property
    def db_path(self) -> Path:
        """The sqlite file the child serves."""
        return self.store_dir / "mlflow.db"

    @property
    def log_path(self) -> Path:
        """The child's stdout/stderr, kept for error messages."""
        return self.store_dir / "mlflow-server.log"

    def start(self) -> None:
        """Start supervising in the background, unless already running."""
        self._stopping = False
        if self._supervisor is None or self._supervisor.done():
            self._supervisor = asyncio.create_task(self._supervise(), name="aml-local-mlflow")

    async def stop(self) -> None:
        """Stop the child and its supervisor, leaving no process behind. Safe to call twice."""
        self._stopping = True
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await supervisor
        await self._terminate()

    async def _supervise(self) -> None:
        backoff = _BACKOFF_START
        while not self._stopping:
            launched = time.monotonic()
            try:
                code = await self._run_once()
            except Exception as err:
                log.exception("embedded MLflow server failed")
                detail = f"embedded MLflow server failed: {err}"
            else:
                detail = f"embedded MLflow server exited with code {code}{self._log_tail()}"
            if self._stopping:
                return
            if time.monotonic() - launched > _STABLE_AFTER:
                backoff = _BACKOFF_START
            self._on_state("starting" if backoff < _BACKOFF_MAX else "error", detail)
            log.warning("%s; restarting in %.1f s", detail, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _run_once(self) -> int:
        """Launch the child, wait until it serves, then wait for it to exit."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        (self.store_dir / "artifacts").mkdir(exist_ok=True)
        self.port = None  # no upstream for the passthrough until the new child serves
        self._on_state("starting", "starting the embedded MLflow server")
        # Two Jupyter servers on one store: the first to start migrates the db, the other waits
        # for it instead of racing sqlite schema changes.
        async with _StartupLock(self.store_dir / ".startup.lock"):
            port = free_loopback_port()
            with open(self.log_path, "wb") as log_file:  # noqa: ASYNC230 - local, once
                self._process = await asyncio.create_subprocess_exec(
                    *self.command(port),
                    env=self.child_env(),
                    cwd=self.store_dir,
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=log_file,
                    stderr=asyncio.subprocess.STDOUT,
                    # Own session: a Ctrl-C in Jupyter's terminal must not kill it behind our back.
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            self.pid = self._process.pid
            log.info("embedded MLflow server pid %s on port %s", self.pid, port)
            exited = asyncio.create_task(self._process.wait())
            ready = await self._wait_ready(port, exited)
        if ready:
            self.port = port
            await self._on_ready(port)
        code = await exited
        self.port = None
        return code

    def command(self, port: int) -> list[str]:
        """uvicorn serving MLflow's app: one worker, loopback only, no access log."""
        return [
            sys.executable, "-m", "uvicorn", "mlflow.server.fastapi_app:app",
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--no-access-log",
        ]  # fmt: skip

    def child_env(self) -> dict[str, str]:
        """The environment `mlflow server` gives its uvicorn workers, for our store."""
        db_uri = f"sqlite:///{self.db_path}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
        env.update(
            {
                "_MLFLOW_SERVER_FILE_STORE": db_uri,
                "_MLFLOW_SERVER_REGISTRY_STORE": db_uri,
                "_MLFLOW_SERVER_SERVE_ARTIFACTS": "true",
                "_MLFLOW_SERVER_ARTIFACT_ROOT": "mlflow-artifacts:/",
                "_MLFLOW_SERVER_ARTIFACT_DESTINATION": str(self.store_dir / "artifacts"),
                "_MLFLOW_SGI_NAME": "uvicorn",
                # Lean: no job runner or huey consumers for an embedded, single-user store.
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    async def _wait_ready(self, port: int, exited: asyncio.Task[int]) -> bool:
        """Poll a store-backed route (not /health, which answers before the db is migrated)."""
        url = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search"
        deadline = time.monotonic() + _READY_TIMEOUT
        async with new_session(read_timeout=2.0, limit=1) as http:
            while time.monotonic() < deadline and not exited.done():
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(url, params={"max_results": 1}) as response:
                        if response.status == 200:
                            return True
                await asyncio.sleep(0.05)
        if not exited.done():
            self._on_state("error", f"embedded MLflow server not ready after {_READY_TIMEOUT} s")
        return False

    async def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=5)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await process.wait()

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            lines = self.log_path.read_text(errors="replace").strip().splitlines()
            if lines:
                return f": {lines[-1][:300]}"
        return ""
