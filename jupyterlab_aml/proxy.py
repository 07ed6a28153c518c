"""The MLflow passthrough ``{base}aml/mlflow/{ws}/{path}``: kernels and the MLflow UI use it.

It forwards only to configured workspaces (the upstream host comes from the workspace, never
from the request), only MLflow's own paths, and replaces the caller's credentials with the
workspace's. Bodies stream both ways, so artifact uploads and downloads never sit in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import aiohttp
from jupyter_server.auth import User
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.call_context import CallContext
from tornado import web

from .errors import BadRequest, NotFound, NotReady
from .handlers_base import AmlHandler
from .kernel_registry import KernelIdentity
from .tap import MAX_TAPPED_BODY, PassthroughTap, add_provenance_tags, tapped_route
from .workspaces.base import Workspace
from .workspaces.rest_client import new_session, raw_url, transport_errors

# MLflow REST and artifact routes, for every kind.
_API_PREFIXES = ("api/", "ajax-api/", "get-artifact", "model-versions/get-artifact")
# Hop-by-hop headers (RFC 9110 7.6.1) plus what identifies the caller to Jupyter: the upstream
# must see neither the Jupyter token/cookie nor a browser Origin (MLflow rejects foreign ones).
_DROP_REQUEST = {
    "host", "authorization", "cookie", "origin", "referer", "x-xsrftoken", "connection",
    "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade",
}  # fmt: skip
_DROP_RESPONSE = {
    "connection", "keep-alive", "transfer-encoding", "set-cookie", "server", "date",
    "proxy-authenticate", "trailer", "upgrade",
}  # fmt: skip
_ARTIFACT_MARKERS = ("get-artifact", "mlflow-artifacts/")
_BODY_QUEUE_CHUNKS = 8
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


def check_passthrough_path(workspace: Workspace, path: str) -> str:
    """The upstream-relative path, or an error if it is not an MLflow route we forward."""
    decoded = unquote(unquote(path))
    segments = decoded.split("/")
    if any(s in ("..", ".") for s in segments) or "\\" in decoded or decoded.startswith("/"):
        raise BadRequest("passthrough paths may not contain '.' or '..' segments")
    if path.startswith(_API_PREFIXES) or workspace.serves_ui():
        return path
    raise NotFound(f"{path!r} is not an MLflow API route of workspace {workspace.name!r}")


@web.stream_request_body
class MlflowPassthroughHandler(AmlHandler):
    """Streams one request to the workspace's tracking server and its answer back."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

    _body: asyncio.Queue[bytes | None] | None = None
    _upstream: asyncio.Task[aiohttp.ClientResponse] | None = None
    # Set for the small JSON routes the tap reads (and runs/create, which it tags): these are
    # buffered whole instead of streamed.
    _tapped: str | None = None
    _buffer: bytearray | None = None
    kernel: KernelIdentity | None = None

    def check_xsrf_cookie(self) -> None:
        """Allow the MLflow UI's own same-origin XHRs (browsers set Sec-Fetch-Site; pages
        on other sites cannot forge it); everything else goes through Jupyter's check."""
        if self.request.headers.get("Sec-Fetch-Site") == "same-origin":
            return
        super().check_xsrf_cookie()

    async def prepare(self) -> None:  # type: ignore[override]
        """Authenticate before a single body byte is forwarded, then open the upstream."""
        self.kernel = self.kernels.registry.identify(self.request.headers.get("Authorization"))
        if self.kernel is not None:
            await self._prepare_kernel()
        else:
            await super().prepare()
            if self.current_user is None:
                raise web.HTTPError(403)
            action = "write" if self.request.method in _WRITES else "read"
            user = self.current_user
            if not self.authorizer.is_authorized(self, user, action, self.auth_resource):
                raise web.HTTPError(403)
        ws, path = self.path_kwargs["ws"], self.path_kwargs["path"]
        workspace = self.workspaces.get(ws)
        path = check_passthrough_path(workspace, path)
        self._tapped = tapped_route(path) if self.request.method == "POST" else None
        # Workspaces whose tokens can be refused mid-flight (azureml) get small bodies buffered,
        # so that a 401 can be answered with one refresh and one resend.
        replayable = workspace.resends_after_unauthorized and not self._chunked()
        if (self._tapped or replayable) and self._body_size() <= MAX_TAPPED_BODY:
            self._buffer = bytearray()
        elif self._has_body():
            self._body = asyncio.Queue(maxsize=_BODY_QUEUE_CHUNKS)
            self._upstream = asyncio.create_task(
                self._send(workspace, path, self._body_chunks(self._body))
            )

    async def _prepare_kernel(self) -> None:
        """A kernel's own token: good for the passthrough only, and it names the kernel."""
        CallContext.set(CallContext.JUPYTER_HANDLER, self)
        if not self.check_host():
            raise web.HTTPError(403)
        kernel_id = self.kernel.kernel_id  # type: ignore[union-attr]
        self.current_user = self._jupyter_current_user = User(
            username=f"kernel-{kernel_id}", name=f"kernel {kernel_id}"
        )
        await self.workspaces.start()

    async def data_received(self, chunk: bytes) -> None:
        """Hand each chunk on; the bounded queue pushes back on a fast sender."""
        if self._buffer is not None:
            self._buffer.extend(chunk)
            return
        await self._feed(chunk)

    async def _feed(self, item: bytes | None) -> None:
        # If the upstream already failed nobody reads the queue: discard rather than block.
        if self._body is None or self._upstream is None or self._upstream.done():
            return
        put = asyncio.ensure_future(self._body.put(item))
        await asyncio.wait({put, self._upstream}, return_when=asyncio.FIRST_COMPLETED)
        if not put.done():
            put.cancel()

    def on_connection_close(self) -> None:
        """A caller that goes away must not leave the upstream request hanging."""
        if self._upstream is not None:
            self._upstream.cancel()
        super().on_connection_close()

    @web.authenticated
    @authorized
    async def get(self, ws: str, path: str) -> None:
        """Forward a GET (MLflow REST, artifacts, UI)."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def head(self, ws: str, path: str) -> None:
        """Forward a HEAD."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def post(self, ws: str, path: str) -> None:
        """Forward a POST (log-metric, runs/create, ...)."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def put(self, ws: str, path: str) -> None:
        """Forward a PUT (artifact upload)."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def patch(self, ws: str, path: str) -> None:
        """Forward a PATCH."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def delete(self, ws: str, path: str) -> None:
        """Forward a DELETE."""
        await self._forward(ws, path)

    @web.authenticated
    @authorized
    async def options(self, ws: str, path: str) -> None:
        """Forward an OPTIONS."""
        await self._forward(ws, path)

    # ---- forwarding ------------------------------------------------------------------------------
    async def _forward(self, ws: str, path: str) -> None:
        workspace = self.workspaces.get(ws)
        if path == "" and not self.request.path.endswith("/"):
            # The MLflow UI uses relative URLs: its index must end with a slash.
            self.redirect(self.request.path + "/", permanent=False)
            return
        if self._buffer is not None:
            await self._forward_tapped(workspace, check_passthrough_path(workspace, path))
            return
        if self._upstream is None:
            self._upstream = asyncio.create_task(
                self._send(workspace, check_passthrough_path(workspace, path), None)
            )
        else:
            await self._feed(None)
        response = await self._upstream
        try:
            self._copy_status_and_headers(response)
            if any(marker in path for marker in _ARTIFACT_MARKERS):
                # Artifacts are user data: no script of theirs may run in Jupyter's origin.
                self.set_header("Content-Security-Policy", "sandbox")
                self.set_header("X-Content-Type-Options", "nosniff")
            async for chunk in response.content.iter_any():
                self.write(chunk)
                await self.flush()
        finally:
            response.release()
        self.finish()

    async def _forward_tapped(self, workspace: Workspace, path: str) -> None:
        """Small JSON calls (log-metric, log-batch, runs/create, ...): whole body in, whole
        answer out, so that runs can be tagged and logged points pushed to browsers."""
        body = bytes(self._buffer or b"")
        if self._tapped == "runs/create" and self.kernel is not None:
            body = add_provenance_tags(body, self.kernel, await self._notebook_path())
        response = await self._send(workspace, path, body)
        try:
            content = await response.read()
        finally:
            response.release()
        self._copy_status_and_headers(response)
        if response.status == 200 and self._tapped:
            self.tap.after_upstream(workspace.name, self._tapped, self.kernel, body, content)
        self.finish(content)

    async def _notebook_path(self) -> str | None:
        """The kernel's notebook, relative to the server root (it may have been renamed)."""
        kernel = self.kernel
        if kernel is None or kernel.kernel_id is None:
            return None
        try:
            session = await self.session_manager.get_session(kernel_id=kernel.kernel_id)
        except web.HTTPError:  # no session: a console or a kernel started through api/kernels
            return kernel.path
        return session.get("path") or kernel.path

    @property
    def tap(self) -> PassthroughTap:
        """What the passthrough learns from kernel traffic."""
        return self.settings["jupyterlab_aml"]["tap"]

    def _copy_status_and_headers(self, response: aiohttp.ClientResponse) -> None:
        self.set_status(response.status, response.reason or None)
        self._clear_representation_headers()
        for name, value in response.headers.items():
            if name.lower() not in _DROP_RESPONSE:
                self.add_header(name, value)

    async def _send(
        self, workspace: Workspace, path: str, body: AsyncIterator[bytes] | bytes | None
    ) -> aiohttp.ClientResponse:
        workspace.ensure_started()
        base = workspace.upstream_base_url()
        if not base:
            raise NotReady(workspace.info().detail or f"workspace {workspace.name!r} is starting")
        # A buffered body may have been rewritten: aiohttp sets its length again.
        drop = _DROP_REQUEST | {"content-length"} if isinstance(body, bytes) else _DROP_REQUEST
        headers = {
            name: value
            for name, value in self.request.headers.get_all()
            if name.lower() not in drop
        }
        url = raw_url(f"{base.rstrip('/')}/{path}{self._query()}")
        signed = {**headers, **await workspace.auth_headers()}
        response = await self._request(workspace, url, signed, body)
        # A streamed body is gone once sent: only buffered or empty ones can be sent again.
        replayable = not isinstance(body, AsyncIterator)
        if response.status == 401 and replayable and await workspace.on_unauthorized(signed):
            response.release()
            signed = {**headers, **await workspace.auth_headers()}
            response = await self._request(workspace, url, signed, body)
        return response

    def _query(self) -> str:
        return f"?{self.request.query}" if self.request.query else ""

    async def _request(
        self,
        workspace: Workspace,
        url: Any,
        headers: dict[str, str],
        body: AsyncIterator[bytes] | bytes | None,
    ) -> aiohttp.ClientResponse:
        with transport_errors(f"workspace {workspace.name!r}"):
            return await _session(self.settings).request(
                self.request.method or "GET",
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                # Forward exactly what the caller sent and what the upstream answered.
                skip_auto_headers=("Accept-Encoding", "User-Agent", "Content-Type"),
            )

    @staticmethod
    async def _body_chunks(queue: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        while (chunk := await queue.get()) is not None:
            yield chunk

    def _chunked(self) -> bool:
        return "chunked" in self.request.headers.get("Transfer-Encoding", "")

    def _has_body(self) -> bool:
        headers = self.request.headers
        return self._body_size() > 0 or "chunked" in headers.get("Transfer-Encoding", "")

    def _body_size(self) -> int:
        try:
            return int(self.request.headers.get("Content-Length", "0") or 0)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None

    def _clear_representation_headers(self) -> None:
        for name in ("Content-Type", "Content-Security-Policy"):
            self.clear_header(name)

    def on_finish(self) -> None:
        """Never leave an upstream task behind, whatever ended the request."""
        if self._upstream is not None and not self._upstream.done():
            self._upstream.cancel()
        super().on_finish()


def _session(settings: dict[str, Any]) -> aiohttp.ClientSession:
    """One pooled session per server: keep-alive matters for many small log calls. Reads may
    pause up to two minutes between chunks (large artifact uploads behind slow storage)."""
    state = settings["jupyterlab_aml"]
    session = state.get("proxy_session")
    if session is None or session.closed:
        session = state["proxy_session"] = new_session(
            read_timeout=120.0, limit=64, ssl_context=state["manager"].context.trust.ssl_context
        )
    return session


async def close_proxy_client(settings: dict[str, Any]) -> None:
    """Close the pooled session at shutdown."""
    session = settings["jupyterlab_aml"].pop("proxy_session", None)
    if session is not None:
        await session.close()
