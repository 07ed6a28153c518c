"""Kernel-side helpers: find the Jupyter server that runs this kernel, get a tracking token.

Stdlib HTTP only, so a kernel needs nothing beyond mlflow and this package. The Jupyter server
token found here is used for the one token request and is never printed, stored or logged.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# The explicit override for setups where discovery cannot work: a server that writes no
# runtime file (tests, some hubs), password-only auth, or a kernel on another runtime dir.
SERVER_URL_ENV = "JUPYTERLAB_AML_SERVER_URL"
SERVER_TOKEN_ENV = "JUPYTERLAB_AML_SERVER_TOKEN"

_PASSTHROUGH_PATH = re.compile(r"^(?P<prefix>.*/aml/mlflow/)(?P<ws>[^/]+)/?$")
_CONNECTION_FILE = re.compile(r"^kernel-(?P<id>.+)\.json$")
# The server is on this machine; a corporate HTTP proxy from the environment must not see it.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class KernelServerError(Exception):
    """This kernel could not get tracking settings from its Jupyter server."""


class ServerNotFound(KernelServerError):
    """No Jupyter server that this kernel can reach lists it."""


@dataclass(frozen=True)
class JupyterServer:
    """A Jupyter server: its URL (ending with its base_url and "/") and its token."""

    url: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class TrackingGrant:
    """What the server hands a kernel: its workspace, passthrough URI and per-kernel token."""

    workspace: str
    tracking_uri: str
    token: str = field(repr=False)


def current_kernel_id() -> str:
    """This kernel's id, from the connection file name a Jupyter server gives it."""
    try:
        from ipykernel.connect import get_connection_file

        path = get_connection_file()
    except (ImportError, RuntimeError, OSError):
        raise ServerNotFound("this is not a Jupyter kernel") from None
    match = _CONNECTION_FILE.match(os.path.basename(path))
    if match is None:
        raise ServerNotFound("this kernel was not started by a Jupyter server")
    return match.group("id")


def find_server(kernel_id: str, timeout: float = 10.0) -> JupyterServer:
    """The server named by the env override, else the running server that lists this kernel."""
    explicit = os.environ.get(SERVER_URL_ENV)
    if explicit:
        return JupyterServer(_with_slash(explicit), os.environ.get(SERVER_TOKEN_ENV, ""))
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        raise ServerNotFound("jupyter_server is not installed in this kernel's env") from None
    for info in list_running_servers():
        url = str(info.get("url", ""))
        if not url.startswith(("http://", "https://")):
            continue  # unix-socket servers: urllib cannot reach them
        server = JupyterServer(_with_slash(url), str(info.get("token") or ""))
        try:
            status, body = _request(server, "api/kernels", timeout=timeout)
        except OSError:
            continue
        listed = body if status == 200 and isinstance(body, list) else []
        if any(isinstance(k, dict) and k.get("id") == kernel_id for k in listed):
            return server
    raise ServerNotFound(f"no running Jupyter server lists kernel {kernel_id}")


def request_tracking_token(
    server: JupyterServer, kernel_id: str, timeout: float = 10.0
) -> TrackingGrant:
    """Ask the server for this kernel's workspace, passthrough URI and tracking token."""
    path = f"aml/api/kernels/{quote(kernel_id, safe='')}/token"
    try:
        status, body = _request(server, path, method="POST", timeout=timeout)
    except OSError as err:
        raise KernelServerError(f"could not reach {server.url}: {_reason(err)}") from None
    if status != 200 and status != 201:
        message = body.get("message") if isinstance(body, dict) else None
        if status == 404 and not message:
            message = "no jupyterlab_aml token route (is the server extension enabled?)"
        raise KernelServerError(f"{server.url} answered {status}: {message or 'no details'}")
    try:
        return TrackingGrant(
            workspace=str(body["workspace"]),
            tracking_uri=str(body["tracking_uri"]),
            token=str(body["token"]),
        )
    except (KeyError, TypeError):
        raise KernelServerError(f"{server.url} sent an unexpected token answer") from None


def probe_workspace(tracking_uri: str, token: str | None, timeout: float = 10.0) -> int:
    """The HTTP status of a cheap MLflow call through a passthrough URI (404: no such workspace).

    Raises KernelServerError when nothing answers.
    """
    url = tracking_uri.rstrip("/") + "/api/2.0/mlflow/experiments/search?max_results=1"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as err:
        err.close()
        return err.code
    except OSError as err:
        raise KernelServerError(_reason(err)) from None


def workspace_of(tracking_uri: str) -> str | None:
    """The workspace a passthrough URI (``.../aml/mlflow/<ws>``) points at, else None."""
    parts = urlsplit(tracking_uri)
    if parts.scheme not in ("http", "https"):
        return None
    match = _PASSTHROUGH_PATH.match(parts.path)
    return unquote(match.group("ws")) if match else None


def with_workspace(tracking_uri: str, workspace: str) -> str:
    """The same passthrough URI, pointed at another workspace."""
    parts = urlsplit(tracking_uri)
    match = _PASSTHROUGH_PATH.match(parts.path)
    if parts.scheme not in ("http", "https") or match is None:
        raise ValueError(f"not a jupyterlab_aml passthrough URI: {display_uri(tracking_uri)}")
    path = match.group("prefix") + quote(workspace, safe="")
    return urlunsplit(parts._replace(path=path))


def display_uri(uri: str) -> str:
    """The URI with any userinfo and query masked, safe to print."""
    parts = urlsplit(uri)
    if not parts.netloc:
        return uri
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=netloc, query="***" if parts.query else ""))


def _request(
    server: JupyterServer, path: str, *, method: str = "GET", timeout: float
) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.url + path,
        method=method,
        data=b"" if method == "POST" else None,
        headers={"Authorization": f"token {server.token}", "Accept": "application/json"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, _json(err.read())


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _reason(err: OSError) -> str:
    reason = getattr(err, "reason", None) or err
    return str(getattr(reason, "strerror", None) or reason)
