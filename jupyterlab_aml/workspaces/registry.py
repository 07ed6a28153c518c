"""The workspace service: which workspaces exist, which is active, and their persistence."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from ..errors import BadRequest, Conflict, NotFound
from .azureml import AzureMlWorkspace
from .azureml_discovery import detect_config
from .base import Workspace
from .context import WorkspaceContext
from .local import LocalWorkspace
from .mlflow import MlflowWorkspace
from .store import StoredWorkspaces, WorkspacesFile, WorkspacesFileError

log = logging.getLogger(__name__)

LOCAL = "local"
# Names the URL scheme already uses (`api/workspaces/active`).
_RESERVED = {LOCAL, "active"}
# Names appear in URL paths and file names: keep them plain.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Kinds a user may add; `local` is built in.
ADDABLE_KINDS: dict[str, Any] = {"mlflow": MlflowWorkspace, "azureml": AzureMlWorkspace}
_SECRET_FIELDS = ("token", "password", "client_secret")


class WorkspaceManager:
    """Owns every workspace object; tornado-free, called by thin handlers."""

    def __init__(
        self,
        *,
        workspaces_file: str,
        local_store_dir: str,
        context: WorkspaceContext,
        local_autostart: bool = True,
        local_summaries: bool = True,
    ):
        self.file = WorkspacesFile(workspaces_file)
        self.context = context
        self.config_error: str | None = None
        self.active = LOCAL
        self._workspaces: dict[str, Workspace] = {
            LOCAL: LocalWorkspace(
                LOCAL,
                store_dir=local_store_dir,
                context=context,
                autostart=local_autostart,
                summaries=local_summaries,
            )
        }
        self._background: set[asyncio.Task[Any]] = set()
        self._started = False

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        """Load the file and start every workspace in the background. Runs once."""
        if self._started:
            return
        self._started = True
        try:
            stored = self.file.load()
        except WorkspacesFileError as err:
            # Keep serving the local workspace; never overwrite the user's broken file.
            self.config_error = f"{err} Fix or remove the file; changes are not saved until then."
            log.error("jupyterlab_aml: %s", self.config_error)
            stored = StoredWorkspaces()
        for fields, secrets in stored.entries:
            try:
                workspace = self._build(fields, secrets)
            except (BadRequest, Conflict) as err:
                log.error("jupyterlab_aml: skipping workspace %r: %s", fields.get("name"), err)
                continue
            self._workspaces[workspace.name] = workspace
        if stored.active in self._workspaces:
            self.active = stored.active
        for workspace in self._workspaces.values():
            self._in_background(workspace.start())

    async def stop(self) -> None:
        """Stop every workspace (and the embedded server)."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*(w.stop() for w in self._workspaces.values()), return_exceptions=True)

    # ---- queries -----------------------------------------------------------------------------
    def get(self, name: str) -> Workspace:
        """The named workspace or NotFound."""
        try:
            return self._workspaces[name]
        except KeyError:
            raise NotFound(f"no workspace named {name!r}") from None

    def list(self) -> dict[str, Any]:
        """The wire form of ``GET api/workspaces``; re-probes stale remote servers meanwhile."""
        for workspace in self._workspaces.values():
            if workspace.probe_due():
                workspace.probe_due_now()
                self._in_background(workspace.probe())
        return {
            "active": self.active,
            "workspaces": [w.info().to_json() for w in self._workspaces.values()],
            "config_error": self.config_error,
            "detected": self.detected(),
        }

    def detected(self) -> list[dict[str, Any]]:
        """An azure-ai-ml config.json under the server root that is not added yet."""
        root = self.context.root_dir
        found = detect_config(root) if root is not None else None
        if found is None:
            return []
        for workspace in self._workspaces.values():
            if isinstance(workspace, AzureMlWorkspace) and workspace.id.__dict__ == {
                k: found[k] for k in ("subscription_id", "resource_group", "workspace_name")
            }:
                return []
        taken = set(self._workspaces)
        base = (
            re.sub(r"[^A-Za-z0-9._-]", "-", found["workspace_name"])[:64].strip("-._") or "azureml"
        )
        name = next(
            candidate
            for candidate in (base, *(f"{base}-{n}"[:64] for n in range(2, 100)))
            if candidate not in taken and candidate not in _RESERVED
        )
        return [{"name": name, "kind": "azureml", **found}]

    # ---- changes -------------------------------------------------------------------------------
    async def add(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create, persist and start a workspace; its connection state shows afterwards."""
        self._ensure_writable()
        workspace = self._build(
            {k: v for k, v in body.items() if k not in _SECRET_FIELDS},
            {k: str(body[k]) for k in _SECRET_FIELDS if body.get(k)},
        )
        if workspace.name in self._workspaces:
            raise Conflict(f"a workspace named {workspace.name!r} already exists")
        self._workspaces[workspace.name] = workspace
        try:
            self._save()
        except OSError as err:
            del self._workspaces[workspace.name]
            raise Conflict(f"cannot save {self.file.path}: {err}") from err
        self._in_background(workspace.start())
        return workspace.info().to_json()

    async def remove(self, name: str) -> None:
        """Forget a workspace; the embedded one cannot be removed."""
        if name == LOCAL:
            raise BadRequest("the local workspace is built in and cannot be removed")
        self._ensure_writable()
        workspace = self.get(name)
        del self._workspaces[name]
        if self.active == name:
            self.active = LOCAL
        self._save()
        await workspace.stop()

    def set_active(self, name: Any) -> dict[str, str]:
        """Select the workspace new kernels log to."""
        if not isinstance(name, str):
            raise BadRequest('body must be {"name": <workspace name>}')
        self.get(name)
        self._ensure_writable()
        self.active = name
        self._save()
        return {"active": name}

    # ---- internals ---------------------------------------------------------------------------
    def _build(self, fields: dict[str, Any], secrets: dict[str, str]) -> Workspace:
        name, kind = fields.get("name"), fields.get("kind")
        if not isinstance(name, str) or not _NAME.match(name):
            raise BadRequest(
                "name must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if name in _RESERVED:
            raise Conflict(f"the name {name!r} is reserved")
        if kind not in ADDABLE_KINDS:
            raise BadRequest(f"kind must be one of {sorted(ADDABLE_KINDS)}, got {kind!r}")
        return ADDABLE_KINDS[kind].from_config(name, fields, secrets, context=self.context)

    def _ensure_writable(self) -> None:
        if self.config_error:
            raise Conflict(self.config_error)

    def _save(self) -> None:
        entries = [w.to_config() for n, w in self._workspaces.items() if n != LOCAL]
        self.file.save(StoredWorkspaces(self.active, entries))

    def _in_background(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
