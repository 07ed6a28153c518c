"""The embedded workspace: MLflow's own tracking server as a lean child process.

We launch MLflow's ASGI app (``mlflow.server.fastapi_app:app``) with uvicorn directly, configured
through the same environment that ``mlflow server`` sets for its workers. ``mlflow server`` itself
is a CLI process that imports MLflow, then execs uvicorn as a second process: measured here, that
wrapper doubles both launch time and memory (see bench/README.md), and buys nothing.
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
from typing import Any

import aiohttp

from ..metrics import MetricPoints
from ..models import Run
from .context import WorkspaceContext
from .local_history import connect_read_only, load_points_sqlite, sample_response_sqlite
from .local_runs import ordered_run_ids, page_offset, parse_joined_order_by
from .local_runs import page_token as next_page_token
from .rest import RestWorkspace
from .rest_client import new_session

log = logging.getLogger(__name__)

# Restart backoff after the child dies: 0.5 s doubling to 30 s, reset once it stays up a minute.
_BACKOFF_START, _BACKOFF_MAX, _STABLE_AFTER = 0.5, 30.0, 60.0
_READY_TIMEOUT = 120.0
# Above this page size the run-id filter gets long; MLflow's own search is used instead.
_FAST_PAGE_MAX = 1000
_PR_SET_PDEATHSIG = 1


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


class LocalWorkspace(RestWorkspace):
    """The embedded default workspace; always present, never removable."""

    kind = "local"

    def __init__(
        self,
        name: str,
        *,
        store_dir: str,
        context: WorkspaceContext | None = None,
        autostart: bool = True,
    ):
        super().__init__(name, context=context)
        self.store_dir = Path(store_dir)
        self.autostart = autostart
        self.port: int | None = None
        self.pid: int | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self._warming: set[asyncio.Task[Any]] = set()

    @property
    def db_path(self) -> Path:
        """The sqlite file the child serves."""
        return self.store_dir / "mlflow.db"

    @property
    def log_path(self) -> Path:
        """The child's stdout/stderr, kept for error messages."""
        return self.store_dir / "mlflow-server.log"

    def to_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The local workspace is implicit; nothing to persist."""
        return {"name": self.name, "kind": self.kind}, {}

    def upstream_base_url(self) -> str:
        """Loopback URL of the child, once it has a port."""
        return f"http://127.0.0.1:{self.port}" if self.port else ""

    def display_uri(self) -> str:
        """Show where the data lives, which is what a user wants to know."""
        return f"sqlite:///{self.db_path}"

    async def auth_headers(self) -> dict[str, str]:
        """The child listens on loopback only and needs no credentials."""
        return {}

    # ---- process supervision ------------------------------------------------------------------
    async def start(self) -> None:
        """Start supervising in the background; Jupyter never waits for MLflow."""
        if not self.autostart:
            self.set_state("starting", "the embedded MLflow server starts on first use")
            return
        self.ensure_started()

    def ensure_started(self) -> None:
        """Launch the supervisor if it is not running (first use when autostart is off)."""
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
        for task in list(self._warming):
            task.cancel()
        await self._terminate()
        await super().stop()

    async def _supervise(self) -> None:
        backoff = _BACKOFF_START
        while not self._stopping:
            launched = time.monotonic()
            try:
                code = await self._run_once()
            except Exception as err:  # keep supervising whatever went wrong
                log.exception("embedded MLflow server failed")
                code, detail = None, f"embedded MLflow server failed: {err}"
            else:
                detail = f"embedded MLflow server exited with code {code}{self._log_tail()}"
            if self._stopping:
                return
            if time.monotonic() - launched > _STABLE_AFTER:
                backoff = _BACKOFF_START
            self.set_state("starting" if backoff < _BACKOFF_MAX else "error", detail)
            log.warning("%s; restarting in %.1f s", detail, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _run_once(self) -> int:
        """Launch the child, wait until it serves, then wait for it to exit."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        (self.store_dir / "artifacts").mkdir(exist_ok=True)
        self.port = None  # no upstream for the passthrough until the new child serves
        self.set_state("starting", "starting the embedded MLflow server")
        # Two Jupyter servers on one store: the first to start migrates the db, the other waits
        # for it instead of racing sqlite schema changes.
        async with _StartupLock(self.store_dir / ".startup.lock"):
            port = free_loopback_port()
            with open(self.log_path, "wb") as log_file:  # noqa: ASYNC230 - local, once
                self._process = await asyncio.create_subprocess_exec(
                    *self._command(port),
                    env=self._child_env(),
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
            await self.stop_client()
            self.port = port
            self._client = self.make_client()
            self.set_state("ready", "")
        code = await exited
        self.port = None
        return code

    def _command(self, port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "uvicorn",
            "mlflow.server.fastapi_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--no-access-log",
        ]

    def _child_env(self) -> dict[str, str]:
        db_uri = f"sqlite:///{self.db_path}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
        env.update(
            {
                # The environment `mlflow server` gives its uvicorn workers.
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
            self.set_state("error", f"embedded MLflow server not ready after {_READY_TIMEOUT} s")
        return False

    async def stop_client(self) -> None:
        """Drop pooled connections to a previous child."""
        await RestWorkspace.stop(self)

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

    # ---- fast paths ----------------------------------------------------------------------------
    async def search_runs(
        self,
        *,
        experiment_ids: list[str],
        filter: str | None,
        order_by: list[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        """Pages ordered by metrics, params or tags come from our own SQL (MLflow's takes
        seconds at 10k runs); everything else is MLflow's search."""
        keys = parse_joined_order_by(order_by) if not filter else None
        offset = page_offset(page_token) if keys else None
        if (
            keys is None
            or offset is None
            or max_results > _FAST_PAGE_MAX
            or not all(e.isdigit() for e in experiment_ids)
        ):
            return await super().search_runs(
                experiment_ids=experiment_ids,
                filter=filter,
                order_by=order_by,
                max_results=max_results,
                page_token=page_token,
            )
        self.client  # noqa: B018 - raises NotReady while the embedded server starts
        ids, more = await asyncio.to_thread(
            ordered_run_ids, self.db_path, experiment_ids, keys, offset=offset, limit=max_results
        )
        runs = await self._runs_by_id(experiment_ids, ids)
        return runs, (next_page_token(offset + len(ids)) if more else None)

    async def _runs_by_id(self, experiment_ids: list[str], run_ids: list[str]) -> list[Run]:
        """The runs, in the order given, through MLflow's (fast, unordered) search."""
        if not run_ids:
            return []
        quoted = ", ".join(f"'{run_id}'" for run_id in run_ids if run_id.isalnum())
        found, _ = await super().search_runs(
            experiment_ids=experiment_ids,
            filter=f"attributes.run_id IN ({quoted})",
            order_by=[],
            max_results=len(run_ids),
            page_token=None,
        )
        by_id = {run.run_id: run for run in found}
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]

    # ---- fast path -----------------------------------------------------------------------------
    async def load_history(self, run_id: str, key: str) -> MetricPoints:
        """Read our own sqlite store read-only (about 0.9 s for 1M points)."""
        return await asyncio.to_thread(load_points_sqlite, str(self.db_path), run_id, key)

    def history_sampler(
        self,
        run_id: str,
        key: str,
        version: Any,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> Callable[[], Awaitable[dict[str, Any] | None]]:
        """Sample long histories in SQL (about 0.5 s for 1M points), then load every point in
        the background so that zooming into the chart is answered from memory."""

        async def sample() -> dict[str, Any] | None:
            body = await asyncio.to_thread(
                sample_response_sqlite,
                str(self.db_path),
                run_id,
                key,
                max_points=max_points,
                start_step=start_step,
                end_step=end_step,
            )
            if body is not None:
                self._warm_history(run_id, key, version)
            return body

        return sample

    def _warm_history(self, run_id: str, key: str, version: Any) -> None:
        task = asyncio.create_task(
            self.context.history_cache.points(
                self.name,
                run_id,
                key,
                version=version,
                load=lambda: self.load_history(run_id, key),
            )
        )
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    # ---- live polling (jupyterlab_aml.live_poll): incremental reads from sqlite ---------------
    # A range on index_metrics_run_uuid_key_step; the timestamp test runs inside SQLite, so
    # metrics logged without a step (all at step 0) do not bring their whole history back.
    _POINTS_AFTER_SQL = (
        "SELECT step, timestamp, iif(is_nan, NULL, value) FROM metrics"
        " WHERE run_uuid = ? AND key = ? AND step >= ? AND (step > ? OR timestamp >= ?)"
        " ORDER BY step"
    )

    async def metric_points_after(
        self, run_id: str, key: str, after_step: int | None, after_timestamp: int | None = None
    ) -> MetricPoints:
        """Points of ``key`` from (after_step, after_timestamp) on, maybe more; all if None."""
        if after_step is None:
            return await self.load_history(run_id, key)
        since = -(2**63) if after_timestamp is None else after_timestamp
        args = (run_id, key, after_step, after_step, since)
        return await asyncio.to_thread(self._points_after_sqlite, str(self.db_path), args)

    @classmethod
    def _points_after_sqlite(cls, db_path: str, args: tuple) -> MetricPoints:
        with contextlib.closing(connect_read_only(db_path)) as connection:
            rows = connection.execute(cls._POINTS_AFTER_SQL, args).fetchall()
        # NULL (a logged NaN) becomes NaN in a float array; MetricPoints turns ±DBL_MAX into ±Inf.
        return MetricPoints([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
