"""Azure ML discovery: the workspace's MLflow endpoint from ARM, and config.json detection."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aiohttp

from .rest_client import describe

ARM_API_VERSION = "2024-10-01"
# What azure-ai-ml's MLClient.from_config looks for, in this order, walking up from a folder.
CONFIG_FILES = (".azureml/config.json", "aml_config/config.json", "config.json", "project.json")
_SCOPE = re.compile(
    r"/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)",
    re.IGNORECASE,
)


class DiscoveryError(Exception):
    """Why the workspace's tracking endpoint could not be found; ``retry`` if it may pass."""

    def __init__(self, message: str, *, retry: bool = False, unauthorized: bool = False):
        super().__init__(message)
        self.message, self.retry, self.unauthorized = message, retry, unauthorized


@dataclass(frozen=True)
class WorkspaceId:
    """An Azure ML workspace's ARM coordinates."""

    subscription_id: str
    resource_group: str
    workspace_name: str

    @property
    def arm_path(self) -> str:
        """The resource path under the ARM endpoint."""
        return (
            f"/subscriptions/{quote(self.subscription_id, safe='')}"
            f"/resourceGroups/{quote(self.resource_group, safe='')}"
            "/providers/Microsoft.MachineLearningServices"
            f"/workspaces/{quote(self.workspace_name, safe='')}"
        )

    def __str__(self) -> str:
        return (
            f"workspace {self.workspace_name!r} in resource group {self.resource_group!r} "
            f"of subscription {self.subscription_id}"
        )


async def discover_tracking_uri(
    session: aiohttp.ClientSession,
    arm: str,
    workspace: WorkspaceId,
    bearer: Callable[[], Awaitable[str]],
) -> str:
    """``properties.mlFlowTrackingUri`` of the workspace, from an ARM GET."""
    url = f"{arm}{workspace.arm_path}"
    try:
        async with session.get(
            url,
            params={"api-version": ARM_API_VERSION},
            headers={"Authorization": f"Bearer {await bearer()}", "Accept": "application/json"},
            allow_redirects=False,
        ) as response:
            status, body = response.status, await response.read()
    except (asyncio.TimeoutError, aiohttp.ClientError) as err:
        raise DiscoveryError(f"cannot reach {arm}: {describe(err)}", retry=True) from err
    payload = _json(body)
    if status == 200:
        uri = (payload.get("properties") or {}).get("mlFlowTrackingUri")
        if not isinstance(uri, str) or not uri:
            raise DiscoveryError(f"{workspace} has no MLflow tracking URI in its ARM properties")
        return uri
    raise _arm_error(status, payload, workspace, arm)


def _arm_error(status: int, payload: dict[str, Any], workspace: WorkspaceId, arm: str) -> Exception:
    error = payload.get("error") if isinstance(payload.get("error"), dict) else {}
    code, message = str(error.get("code", "")), str(error.get("message", "")).strip()
    said = f"{code}: {message}" if code else message or f"HTTP {status}"
    if status == 401:
        return DiscoveryError(f"Azure rejected the sign-in token ({said})", unauthorized=True)
    if status == 403:
        return DiscoveryError(
            f"no access to {workspace}: {said} Ask for a role on it that allows "
            "'Microsoft.MachineLearningServices/workspaces/read' (e.g. AzureML Data Scientist)."
        )
    if status == 404 or code in ("SubscriptionNotFound", "InvalidSubscriptionId"):
        return DiscoveryError(f"{workspace} was not found ({said})")
    return DiscoveryError(f"{arm} answered {status} ({said})", retry=status >= 500 or status == 429)


def _json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def rest_base_from_tracking_uri(uri: str) -> str:
    """``azureml://host/mlflow/v1.0/...`` -> ``https://host/mlflow/v2.0/...`` (the REST base)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("azureml", "https") or not parts.netloc:
        raise DiscoveryError(f"unexpected MLflow tracking URI {uri!r}")
    path = re.sub(r"^/mlflow/v1\.0/", "/mlflow/v2.0/", parts.path).rstrip("/")
    return urlunsplit(("https", parts.netloc, path, "", ""))


# ---- config.json detection ------------------------------------------------------------------------
def detect_config(root: str | Path) -> dict[str, Any] | None:
    """The first azure-ai-ml style workspace config found from ``root`` upwards, as the
    fields of an ``azureml`` workspace plus ``source`` (the file); None if there is none."""
    folder = Path(root).resolve()
    for directory in (folder, *folder.parents):
        for relative in CONFIG_FILES:
            path = directory / relative
            if path.is_file():
                fields = read_config(path)
                if fields is not None:
                    return {**fields, "source": _shown_path(path, folder)}
    return None


def read_config(path: Path) -> dict[str, str] | None:
    """subscription_id, resource_group, workspace_name from one config file, or None."""
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(raw, dict):
        return None
    scope = raw.get("Scope") or raw.get("scope")
    if isinstance(scope, str) and (match := _SCOPE.search(scope)):
        return {
            "subscription_id": match["sub"],
            "resource_group": match["rg"],
            "workspace_name": match["ws"],
        }
    fields = {k: raw.get(k) for k in ("subscription_id", "resource_group", "workspace_name")}
    if all(isinstance(v, str) and v for v in fields.values()):
        return fields  # type: ignore[return-value]
    return None


def _shown_path(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
