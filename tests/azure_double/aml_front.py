"""The Azure ML MLflow front: checks the bearer token, enforces Azure ML's gaps, and forwards.

``/mlflow/v2.0/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.MachineLearning
Services/workspaces/{ws}/api/2.0/mlflow/...`` (v1.0 too) loses its prefix and goes, with
its query and body, to the real MLflow server registered for the workspace; the answer comes
back streamed, status and headers as they are. What Azure ML's endpoint cannot do is refused
here, as it is there, so the extension's own gap-filling is what the tests exercise.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from yarl import URL

from .recording import IDENTITY, ROUTE, recording_middleware
from .tokens import Verdict

if TYPE_CHECKING:
    from .double import AzureDouble

_PREFIX = re.compile(
    r"^/mlflow/v[12]\.0/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)(?P<rest>/.*)?$",
    re.IGNORECASE,
)
# The MLflow REST families Azure ML answers; not the UI, not ajax-api.
_SERVED = re.compile(r"^/api/[23]\.0/mlflow(-artifacts)?/")
_UNSERVED_ROUTES = ("get-history-bulk-interval",)
_ORDER_BY_ENTITY = re.compile(r"^\s*`?(metrics?|params?|parameters?|tags?)`?\.", re.IGNORECASE)
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")
_OR = re.compile(r"\bOR\b", re.IGNORECASE)
# Hop-by-hop headers, and what a real front never passes on (the caller's Azure token).
_REQUEST_DROP = {
    "host", "authorization", "origin", "cookie", "connection", "keep-alive", "te",
    "transfer-encoding", "upgrade", "proxy-authorization", "content-length",
}  # fmt: skip
_RESPONSE_DROP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "set-cookie"}


def build_front_app(double: AzureDouble) -> web.Application:
    """The AML MLflow front role."""
    app = web.Application(
        middlewares=[
            recording_middleware(
                double,
                "front",
                lambda status: mlflow_error(status, "TEMPORARILY_UNAVAILABLE", "Injected failure."),
            )
        ],
        client_max_size=1024**3,
    )

    async def handle(request: web.Request) -> web.StreamResponse:
        match = _PREFIX.match(request.rel_url.raw_path)
        rest = (match["rest"] or "") if match else ""
        request[ROUTE] = rest.lstrip("/") or "unrouted"
        if match is None:
            return mlflow_error(404, "ENDPOINT_NOT_FOUND", f"No endpoint {request.path}.")
        verdict, issued = double.tokens.check(
            request.headers.get("Authorization"), double.audiences, double.clock_skew
        )
        if issued is not None:
            request[IDENTITY] = issued.identity
        if verdict is not Verdict.OK or issued is None:
            return unauthenticated(double, verdict)
        workspace = double.lookup(match["sub"], match["rg"], match["ws"])
        if workspace is None:
            return mlflow_error(
                404, "RESOURCE_DOES_NOT_EXIST", f"Workspace {match['ws']!r} was not found."
            )
        if double.is_denied(match["sub"], match["rg"], match["ws"], issued.identity):
            return mlflow_error(
                403,
                "PERMISSION_DENIED",
                f"The client '{issued.identity}' with object id '{issued.object_id}' does not "
                f"have access to workspace '{workspace.name}'.",
            )
        body = await request.read()
        if double.enforce_gaps:
            refusal = gap_refusal(rest, request, body)
            if refusal is not None:
                return refusal
        return await forward(double, request, workspace.mlflow_url + rest, body)

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def gap_refusal(rest: str, request: web.Request, body: bytes) -> web.Response | None:
    """Azure ML's answer to what its MLflow endpoint does not do, or None."""
    path = rest.split("?", 1)[0]
    if not _SERVED.match(path) or any(route in path for route in _UNSERVED_ROUTES):
        return mlflow_error(404, "ENDPOINT_NOT_FOUND", f"Azure ML does not serve {path}.")
    if not path.endswith("/runs/search"):
        return None
    search = _search_fields(request, body)
    order_by = search.get("order_by") or []
    if isinstance(order_by, str):
        order_by = [order_by]
    bad = [clause for clause in order_by if _ORDER_BY_ENTITY.match(str(clause))]
    if bad:
        return mlflow_error(
            400,
            "INVALID_PARAMETER_VALUE",
            f"Ordering runs by metrics, params or tags is not supported: {', '.join(bad)}.",
        )
    if _OR.search(_QUOTED.sub("''", str(search.get("filter") or ""))):
        return mlflow_error(
            400, "INVALID_PARAMETER_VALUE", "The OR operator is not supported in run filters."
        )
    return None


async def forward(
    double: AzureDouble, request: web.Request, target: str, body: bytes
) -> web.StreamResponse:
    """Send the request on to MLflow and stream its answer back unchanged."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _REQUEST_DROP}
    query = request.rel_url.raw_query_string
    url = URL(target + (f"?{query}" if query else ""), encoded=True)
    if double.session is None:
        raise RuntimeError("the double is not started")
    try:
        async with double.session.request(
            request.method, url, headers=headers, data=body or None, allow_redirects=False
        ) as upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for name, value in upstream.headers.items():
                if name.lower() not in _RESPONSE_DROP:
                    response.headers.add(name, value)
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(64 * 1024):
                await response.write(chunk)
            await response.write_eof()
            return response
    except aiohttp.ClientError as err:
        return mlflow_error(502, "TEMPORARILY_UNAVAILABLE", f"Upstream MLflow failed: {err}")


def unauthenticated(double: AzureDouble, verdict: Verdict) -> web.Response:
    """401 with an MLflow-style body and a Bearer challenge."""
    message = {
        Verdict.MISSING: "The request has no bearer token.",
        Verdict.EXPIRED: "The bearer token has expired.",
        Verdict.WRONG_AUDIENCE: "The bearer token was issued for another audience.",
        Verdict.REVOKED: "The bearer token has been revoked.",
        Verdict.UNKNOWN: "The bearer token is invalid.",
    }[verdict]
    challenge = (
        f'Bearer authorization_uri="{double.authority_host}/{double.tenant_id}", '
        f'error="invalid_token", error_description="{message}"'
    )
    return mlflow_error(401, "UNAUTHENTICATED", message, {"WWW-Authenticate": challenge})


def mlflow_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """MLflow's error body ``{"error_code", "message"}``."""
    return web.json_response(
        {"error_code": code, "message": message}, status=status, headers=headers
    )


def _search_fields(request: web.Request, body: bytes) -> dict[str, Any]:
    # MLflow clients POST JSON; a GET carries the same fields in its query.
    if request.method == "GET":
        return {
            "order_by": request.query.getall("order_by", []),
            "filter": request.query.get("filter"),
        }
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
