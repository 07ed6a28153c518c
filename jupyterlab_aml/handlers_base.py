"""The one base handler: service access, argument parsing, and domain errors -> HTTP."""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.base.handlers import APIHandler

from .errors import AmlError, BadRequest
from .kernels import KernelRuns
from .workspaces.registry import WorkspaceManager

log = logging.getLogger(__name__)
AUTH_RESOURCE = "jupyterlab_aml"


class AmlHandler(APIHandler):
    """Base of every ``aml/`` handler. Subclasses decorate each verb with auth."""

    auth_resource = AUTH_RESOURCE

    async def prepare(self) -> None:  # type: ignore[override]
        """Make sure workspaces are loaded, also where the server skipped extension start-up
        hooks (embedded servers, test harnesses)."""
        await super().prepare()
        await self.workspaces.start()

    @property
    def workspaces(self) -> WorkspaceManager:
        """The workspace service."""
        return self.settings["jupyterlab_aml"]["manager"]

    @property
    def kernels(self) -> KernelRuns:
        """Per-kernel tokens and runs."""
        return self.settings["jupyterlab_aml"]["kernels"]

    @property
    def aml_app(self) -> Any:
        """The extension app, for its settings (max_points, ...)."""
        return self.settings["jupyterlab_aml"]["app"]

    # ---- input ---------------------------------------------------------------------------------
    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object, or BadRequest."""
        try:
            body = json.loads(self.request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as err:
            raise BadRequest(f"request body is not valid JSON: {err}") from err
        if not isinstance(body, dict):
            raise BadRequest("request body must be a JSON object")
        return body

    def int_arg(self, name: str, default: int | None, low: int, high: int) -> int | None:
        """An integer query argument within [low, high], or BadRequest."""
        raw = self.get_query_argument(name, "")
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
        if not low <= value <= high:
            raise BadRequest(f"{name} must be between {low} and {high}, got {value}")
        return value

    def str_arg(self, name: str) -> str | None:
        """A query argument, None when absent or empty."""
        return self.get_query_argument(name, "") or None

    def send_json(self, payload: Any, status: int = 200) -> None:
        """Finish with JSON; ``allow_nan=False`` guarantees no NaN literal reaches the browser."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload, allow_nan=False))

    # ---- errors --------------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Domain errors carry their own status and message; everything else stays a 500."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, AmlError):
            self.set_status(exc.status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": exc.message}))
            return
        super().write_error(status_code, **kwargs)

    def log_exception(self, typ, value, tb) -> None:
        """Expected domain errors are one log line, not a traceback."""
        if isinstance(value, AmlError):
            log.info("%s %s -> %s: %s", self.request.method, self.request.path, value.status, value)
            return
        super().log_exception(typ, value, tb)
