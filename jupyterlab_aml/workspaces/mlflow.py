"""Any MLflow tracking server reached by URI: a team server, Databricks, ..."""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import AmlError, BadRequest
from .context import WorkspaceContext
from .rest import MLFLOW_API, RestWorkspace
from .rest_client import MlflowRestClient

# How stale a probe may be before listing workspaces re-checks the server.
_PROBE_EVERY = 15.0


class MlflowWorkspace(RestWorkspace):
    """An MLflow REST server by URI, with optional bearer token or basic auth."""

    kind = "mlflow"

    def __init__(
        self,
        name: str,
        *,
        uri: str,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        context: WorkspaceContext | None = None,
    ):
        super().__init__(name, context=context)
        self.uri = validate_http_uri(uri)
        self._token = token or None
        self._username = username or None
        self._password = password or None
        self._last_probe = 0.0

    @classmethod
    def from_config(
        cls, name: str, fields: dict[str, Any], secrets: dict[str, str], **kwargs: Any
    ) -> MlflowWorkspace:
        """Build from the request body or the workspaces file."""
        return cls(
            name,
            uri=str(fields.get("uri", "")),
            token=secrets.get("token"),
            username=fields.get("username") or None,
            password=secrets.get("password"),
            **kwargs,
        )

    def to_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Public fields go to the workspaces file, secrets to its 0600 sibling."""
        public: dict[str, Any] = {"name": self.name, "kind": self.kind, "uri": self.uri}
        if self._username:
            public["username"] = self._username
        secrets = {}
        if self._token:
            secrets["token"] = self._token
        if self._password:
            secrets["password"] = self._password
        return public, secrets

    def upstream_base_url(self) -> str:
        """The server's base URL as given."""
        return self.uri

    def serves_ui(self) -> bool:
        """Not through the passthrough: a remote server's UI pages would run their scripts in
        Jupyter's origin, with the user's Jupyter session. Only its REST API is forwarded; its
        UI opens at its own address, in its own origin."""
        return False

    def display_uri(self) -> str:
        """The URI without any userinfo."""
        parts = urlsplit(self.uri)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    async def auth_headers(self) -> dict[str, str]:
        """Basic auth wins over a token, as in MLflow's own client."""
        if self._username and self._password is not None:
            pair = f"{self._username}:{self._password}".encode()
            return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
        if self._token:
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    @property
    def client(self) -> MlflowRestClient:
        """Always usable: a server that went away answers 502 per call, and may come back."""
        if self._client is None:
            self._client = self.make_client()
        return self._client

    async def start(self) -> None:
        """Probe the server once in the background; the result shows in state and detail."""
        self.set_state("starting", f"connecting to {self.display_uri()}")
        await self.probe()

    async def probe(self) -> None:
        """Check the server answers MLflow REST, and record why not."""
        self._last_probe = time.monotonic()
        try:
            await self.client.call(
                "POST", f"{MLFLOW_API}/experiments/search", body={"max_results": 1}
            )
        except AmlError as err:
            self.set_state("error", f"{self.display_uri()}: {err.message}")
        else:
            self.set_state("ready")

    def probe_due(self) -> bool:
        """Whether a list of workspaces should re-check this one."""
        return time.monotonic() - self._last_probe > _PROBE_EVERY

    def probe_due_now(self) -> None:
        """Mark a probe as under way so concurrent lists do not start another."""
        self._last_probe = time.monotonic()


def validate_http_uri(uri: str) -> str:
    """An http(s) URI with a host, or BadRequest."""
    parts = urlsplit(uri.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"uri must be an http(s) URL of an MLflow server, got {uri!r}")
    return uri.strip().rstrip("/")
