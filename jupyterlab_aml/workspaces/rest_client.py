"""Async client for the public MLflow REST API, with upstream errors mapped to domain errors.

We talk REST through httpx rather than ``mlflow.MlflowClient``: that client is synchronous and is
configured through process-global env (tracking URI, token), while one server here serves several
workspaces at once, each signed with its own, refreshing credentials.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

from ..errors import BadRequest, NotFound, UpstreamError, UpstreamTimeout

AuthHeaders = Callable[[], Awaitable[dict[str, str]]]

# MLflow error codes that mean "the caller asked for something that does not exist" or "bad input".
_NOT_FOUND_CODES = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}
_BAD_INPUT_CODES = {"INVALID_PARAMETER_VALUE", "BAD_REQUEST", "MALFORMED_REQUEST"}


async def _no_auth() -> dict[str, str]:
    return {}


class MlflowRestClient:
    """Calls ``{base_url}/api/2.0/mlflow/...`` and friends on one tracking server."""

    def __init__(
        self,
        base_url: str,
        auth_headers: AuthHeaders = _no_auth,
        *,
        timeout: float = 30.0,
        verify: Any = True,
        display_uri: str | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self._auth_headers = auth_headers
        self._display = display_uri or self.base_url
        # HTTP/1.1 keep-alive pool; MLflow's uvicorn answers fast on a warm connection.
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=5.0),
            verify=verify,
            limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
            # Never pick up HTTP(S)_PROXY for loopback or workspace traffic implicitly.
            trust_env=False,
        )

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._http.aclose()

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Send one request and return its decoded JSON, or raise a domain error."""
        try:
            response = await self._http.request(
                method,
                f"{self.base_url}/{path.lstrip('/')}",
                params=params,
                json=body,
                headers=await self._auth_headers(),
            )
        except httpx.TimeoutException as err:
            raise UpstreamTimeout(f"{self._display} did not answer in time") from err
        except httpx.HTTPError as err:
            raise UpstreamError(f"cannot reach {self._display}: {err}") from err
        if response.status_code >= 400:
            raise upstream_error(response.status_code, response.content, self._display)
        try:
            return response.json() if response.content else {}
        except json.JSONDecodeError as err:
            raise UpstreamError(
                f"{self._display} answered with something that is not JSON", response.status_code
            ) from err

    @asynccontextmanager
    async def stream(
        self, method: str, path: str, *, params: Any = None
    ) -> AsyncIterator[httpx.Response]:
        """Open a streamed response; errors are raised before the body is read."""
        headers = await self._auth_headers()
        request = self._http.build_request(
            method, f"{self.base_url}/{path.lstrip('/')}", params=params, headers=headers
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException as err:
            raise UpstreamTimeout(f"{self._display} did not answer in time") from err
        except httpx.HTTPError as err:
            raise UpstreamError(f"cannot reach {self._display}: {err}") from err
        try:
            if response.status_code >= 400:
                raise upstream_error(response.status_code, await response.aread(), self._display)
            yield response
        finally:
            await response.aclose()


def upstream_error(status: int, content: bytes, display: str) -> Exception:
    """Map an MLflow error response to a domain error that keeps the upstream message."""
    code, message = "", content.decode("utf-8", "replace")[:500].strip()
    try:
        payload = json.loads(content)
        code = payload.get("error_code", "")
        message = payload.get("message", message)
    except (ValueError, AttributeError):
        pass
    if status == 404 or code in _NOT_FOUND_CODES:
        return NotFound(message or "not found")
    if status == 400 and code in _BAD_INPUT_CODES:
        return BadRequest(message)
    return UpstreamError(f"{display} answered {status}: {message}", status)
