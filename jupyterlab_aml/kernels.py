"""Kernels log to the active workspace with nothing typed, and never leave runs RUNNING.

``AmlSessionManagerMixin`` gives every notebook kernel ``MLFLOW_TRACKING_URI`` (the passthrough of
the active workspace, on loopback) and ``MLFLOW_TRACKING_TOKEN`` (a per-kernel token good only for
the passthrough). ``KernelRuns`` closes the runs a kernel leaves RUNNING when it is shut down,
restarted, interrupted or dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Callable
from typing import Any

from .errors import AmlError, NotFound
from .kernel_registry import KernelIdentity, KernelRegistry
from .workspaces.registry import WorkspaceManager
from .workspaces.rest import MLFLOW_API

log = logging.getLogger(__name__)

KERNEL_ACTIONS = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"
END_REASON_TAG = "jupyterlab_aml.end_reason"
# Env a kernel must not inherit: MLflow's client prefers basic auth over our token.
_STALE_ENV = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_AUTH")
_ACTIVE = ("RUNNING", "SCHEDULED")

# The token minted in get_kernel_env, for the start_kernel_for_session call in the same task.
_pending_token: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "aml_pending_token", default=None
)


class KernelRuns:
    """The kernel side of the extension: tokens, kernel env, and run lifecycle."""

    def __init__(
        self, workspaces: WorkspaceManager, server_url: Callable[[], str], live: Any = None
    ):
        self.workspaces = workspaces
        self.live = live  # LiveHub: browsers see runs turn KILLED
        self.registry = KernelRegistry()
        # e.g. http://127.0.0.1:8888/base/ : where kernels reach this server. A callable, since
        # the port is only final once the server has bound it.
        self._server_url = server_url
        self._tasks: set[asyncio.Task[Any]] = set()
        self._watched: set[str] = set()
        self._closing: dict[str, asyncio.Future[None]] = {}
        self._stopped = False

    # ---- kernel env --------------------------------------------------------------------------
    def tracking_uri(self, workspace: str) -> str:
        """The passthrough URL kernels log to, for one workspace."""
        return f"{self._server_url()}aml/mlflow/{workspace}"

    def kernel_env(self, token: str) -> dict[str, str]:
        """What a notebook kernel needs to log to the active workspace."""
        return {
            "MLFLOW_TRACKING_URI": self.tracking_uri(self.workspaces.active),
            "MLFLOW_TRACKING_TOKEN": token,
            "JUPYTERLAB_AML_KERNEL": "1",
        }

    def issue_token(self, kernel_id: str, path: str | None = None) -> dict[str, str]:
        """A token for a running kernel that was started without one (``%aml_track``)."""
        token = self.registry.mint(path, kernel_id)
        return {
            "workspace": self.workspaces.active,
            "tracking_uri": self.tracking_uri(self.workspaces.active),
            "token": token,
        }

    # ---- queries -------------------------------------------------------------------------------
    async def kernel_runs(self, kernel_id: str, known_kernel: bool) -> dict[str, Any]:
        """The runs a kernel created, newest first."""
        identity = self.registry.get(kernel_id)
        if identity is None and not known_kernel:
            raise NotFound(f"no kernel with id {kernel_id!r}")
        workspace = (identity.workspace if identity else None) or self.workspaces.active
        if identity is None or not identity.runs:
            return {"workspace": workspace, "runs": []}
        runs = await asyncio.gather(
            *(self._get_run(ws, run_id) for run_id, ws in identity.runs.items()),
        )
        found = [r for r in runs if r is not None]
        found.sort(key=lambda r: r.start_time or 0, reverse=True)
        return {"workspace": workspace, "runs": [r.to_json() for r in found]}

    async def _get_run(self, workspace: str, run_id: str):
        try:
            return await self.workspaces.get(workspace).get_run(run_id)
        except NotFound:
            return None  # deleted since, or its workspace removed

    # ---- lifecycle -----------------------------------------------------------------------------
    def watch(self, kernel_manager: Any, kernel_id: str) -> None:
        """Close runs when the kernel's process dies or is restarted by its restarter."""
        if kernel_id in self._watched:
            return
        self._watched.add(kernel_id)
        with contextlib.suppress(Exception):  # a kernel already gone has nothing to watch
            kernel_manager.add_restart_callback(
                kernel_id, lambda: self.close_runs_soon(kernel_id, "kernel died and restarted"),
                "restart",
            )  # fmt: skip
            kernel_manager.add_restart_callback(
                kernel_id, lambda: self.close_runs_soon(kernel_id, "kernel died", revoke=True),
                "dead",
            )  # fmt: skip

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Listener for jupyter_server's kernel_actions events."""
        kernel_id, action = data.get("kernel_id"), data.get("action")
        if not kernel_id or data.get("status", "success") != "success":
            return
        if action == "shutdown":
            self.close_runs_soon(kernel_id, "kernel shut down", revoke=True)
        elif action == "restart":
            self.close_runs_soon(kernel_id, "kernel restarted")
        # An interrupt is left alone on purpose: inside `with mlflow.start_run()` MLflow itself
        # ends the run (FAILED), and a run started without `with` is still the kernel's active
        # run, which the user may go on logging to. A run abandoned by the very cell that was
        # interrupted is ended in the kernel (context.py), where that can be known.

    def close_runs_soon(self, kernel_id: str, reason: str, *, revoke: bool = False) -> None:
        """Schedule closing a kernel's RUNNING runs; never blocks the caller."""
        if self._stopped:
            return  # the server is going away: stop() already closed every kernel's runs
        identity = self.registry.revoke(kernel_id) if revoke else self.registry.get(kernel_id)
        if revoke:
            self._watched.discard(kernel_id)
        if identity is None or not identity.runs:
            return
        # A crash fires the restarter's callback and then a "restart" event: the first reason,
        # the more precise one, is kept.
        running = self._closing.get(kernel_id)
        if running is not None and not running.done():
            return
        task = asyncio.ensure_future(self._close_runs(identity, reason))
        self._closing[kernel_id] = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_runs(self, identity: KernelIdentity, reason: str) -> None:
        for run_id, workspace in list(identity.runs.items()):
            try:
                await self._kill_if_running(workspace, run_id, reason)
            except AmlError as err:
                # The run stays RUNNING only if its server is gone; say so, do not crash.
                log.warning("could not close run %s in %s: %s", run_id, workspace, err.message)

    async def _kill_if_running(self, workspace_name: str, run_id: str, reason: str) -> None:
        workspace = self.workspaces.get(workspace_name)
        run = await workspace.get_run(run_id)
        if run.status not in _ACTIVE:
            return  # finished by the user or by mlflow itself: leave it untouched
        client = workspace.client  # type: ignore[attr-defined]
        await client.call(
            "POST", f"{MLFLOW_API}/runs/set-tag",
            body={"run_id": run_id, "key": END_REASON_TAG, "value": reason},
        )  # fmt: skip
        await client.call(
            "POST", f"{MLFLOW_API}/runs/update",
            body={"run_id": run_id, "status": "KILLED", "end_time": int(time.time() * 1000)},
        )  # fmt: skip
        log.info("run %s in %s marked KILLED: %s", run_id, workspace_name, reason)
        if self.live is not None:
            self.live.publish_run(workspace_name, (await workspace.get_run(run_id)).to_json())

    async def stop(self) -> None:
        """At server shutdown, close the runs of every kernel (they are shut down after the
        extensions, when the tracking servers may already be gone), then let pending closures
        finish, briefly."""
        self._stopped = True
        for identity in self.registry.identities():
            if identity.runs:
                task = asyncio.ensure_future(self._close_runs(identity, "Jupyter server stopped"))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)


class AmlSessionManagerMixin:
    """Mixed into the server's SessionManager class by the extension (see ``session_manager``)."""

    aml_kernels: KernelRuns | None = None

    def get_kernel_env(self, path: Any, name: Any = None) -> dict[str, str]:
        """The usual kernel env plus MLflow tracking for the active workspace."""
        env = super().get_kernel_env(path, name)  # type: ignore[misc]
        if self.aml_kernels is None:
            return env
        for key in _STALE_ENV:
            env.pop(key, None)
        token = self.aml_kernels.registry.mint(path)
        _pending_token.set(token)
        env.update(self.aml_kernels.kernel_env(token))
        return env

    async def start_kernel_for_session(self, *args: Any, **kwargs: Any) -> str:
        """Start as usual, then bind the kernel's token to its id and watch its lifecycle."""
        _pending_token.set(None)
        try:
            kernel_id = await super().start_kernel_for_session(*args, **kwargs)  # type: ignore[misc]
        except BaseException:
            token = _pending_token.get()
            if self.aml_kernels is not None and token:
                self.aml_kernels.registry.discard(token)
            raise
        token = _pending_token.get()
        if self.aml_kernels is not None and token:
            self.aml_kernels.registry.bind(token, kernel_id)
            self.aml_kernels.watch(self.kernel_manager, kernel_id)  # type: ignore[attr-defined]
        return kernel_id


def session_manager(base: type) -> type:
    """The configured SessionManager class with kernel tracking mixed in (idempotent)."""
    if issubclass(base, AmlSessionManagerMixin):
        return base
    return type(f"Aml{base.__name__}", (AmlSessionManagerMixin, base), {})


def server_loopback_url(serverapp: Any) -> str:
    """Where kernels on this machine reach the server: loopback unless it listens elsewhere."""
    scheme = "https" if getattr(serverapp, "certfile", None) else "http"
    host = serverapp.ip if serverapp.ip not in ("", "*", "0.0.0.0", "::", "localhost") else ""
    host = host or "127.0.0.1"
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{scheme}://{host}:{serverapp.port}{serverapp.base_url}"
