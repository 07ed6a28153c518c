"""ARM: the workspace GET (and list) with ARM's own errors, codes, messages and headers.

Checks run in ARM's order: the token (401), the api-version (400), the subscription and
resource group (404), RBAC (403, before the workspace is looked up, so a denied caller learns
nothing about what exists), then the workspace (404).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .recording import IDENTITY, ROUTE, recording_middleware
from .tokens import IssuedToken, Verdict

if TYPE_CHECKING:
    from .double import AzureDouble
    from .registry import Workspace

READ_ACTION = "Microsoft.MachineLearningServices/workspaces/read"
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(-preview)?$")
_PATH = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)"
    r"/providers/Microsoft\.MachineLearningServices/workspaces/(?P<ws>[^/]+)/?$",
    re.IGNORECASE,
)


def build_arm_app(double: AzureDouble) -> web.Application:
    """The ARM role."""
    app = web.Application(
        middlewares=[recording_middleware(double, "arm", lambda status: _failure(status))]
    )

    async def handle(request: web.Request) -> web.Response:
        match = _PATH.match(request.path)
        if request.method != "GET" or match is None:
            request[ROUTE] = "unsupported"
            return arm_error(
                404 if match is None else 405,
                "NotFound" if match is None else "MethodNotAllowed",
                f"The double serves only GET of one Azure ML workspace, not {request.method} "
                f"{request.path}.",
            )
        sub, rg, ws = match["sub"], match["rg"], match["ws"]
        request[ROUTE] = "workspace"
        issued = authenticate(double, request)
        if isinstance(issued, web.Response):
            return issued
        request[IDENTITY] = issued.identity
        version = request.query.get("api-version")
        if not version:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        if not _API_VERSION.match(version):
            return arm_error(
                400,
                "InvalidApiVersionParameter",
                f"The api-version '{version}' is invalid. The supported versions are "
                "'2024-10-01,2024-04-01,2023-10-01'.",
            )
        if not double.has_subscription(sub):
            return arm_error(
                404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found."
            )
        if not double.has_resource_group(sub, rg):
            return arm_error(
                404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found."
            )
        if double.is_denied(sub, rg, ws, issued.identity):
            scope = (
                f"/subscriptions/{sub}/resourceGroups/{rg}"
                f"/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
            )
            return arm_error(
                403,
                "AuthorizationFailed",
                f"The client '{issued.identity}' with object id '{issued.object_id}' does not "
                f"have authorization to perform action '{READ_ACTION}' over scope '{scope}' or "
                "the scope is invalid. If access was recently granted, please refresh your "
                "credentials.",
            )
        workspace = double.lookup(sub, rg, ws)
        if workspace is None:
            return arm_error(
                404,
                "ResourceNotFound",
                f"The Resource 'Microsoft.MachineLearningServices/workspaces/{ws}' under resource "
                f"group '{rg}' was not found. For more details please go to "
                "https://aka.ms/ARMResourceNotFoundFix",
            )
        return _json(workspace_body(double, workspace))

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def authenticate(double: AzureDouble, request: web.Request) -> IssuedToken | web.Response:
    """The caller's token, or ARM's 401 for it."""
    verdict, issued = double.tokens.check(
        request.headers.get("Authorization"), double.audiences, double.clock_skew
    )
    if verdict is Verdict.OK and issued is not None:
        return issued
    if issued is not None:
        request[IDENTITY] = issued.identity
    challenge = f'Bearer authorization_uri="{double.authority_host}/{double.tenant_id}", '
    if verdict is Verdict.MISSING:
        code, message = (
            "AuthenticationFailed",
            "Authentication failed. The 'Authorization' header is missing.",
        )
        description = "The authentication failed because of missing 'Authorization' header."
    elif verdict is Verdict.EXPIRED and issued is not None:
        code = "ExpiredAuthenticationToken"
        message = (
            f"The access token expiry UTC time '{_arm_time(issued.expires_at)}' is earlier "
            f"than current UTC time '{_arm_time(time.time())}'."
        )
        description = "The access token has expired."
    elif verdict is Verdict.WRONG_AUDIENCE and issued is not None:
        allowed = ",".join(f"'{a}'" for a in sorted(double.audiences))
        code = "InvalidAuthenticationTokenAudience"
        message = (
            f"The access token has been obtained for wrong audience or resource "
            f"'{issued.audience}'. It should exactly match with one of the allowed audiences "
            f"{allowed}."
        )
        description = "The access token has been obtained for wrong audience or resource."
    else:  # unknown or revoked
        code, message = "InvalidAuthenticationToken", "The access token is invalid."
        description = message
    challenge += f'error="invalid_token", error_description="{description}"'
    return arm_error(401, code, message, {"WWW-Authenticate": challenge})


def workspace_body(double: AzureDouble, workspace: Workspace) -> dict[str, Any]:
    """The workspace resource as ARM returns it (the fields clients read, and their kin)."""
    sub, rg, host = workspace.subscription_id, workspace.resource_group, _host(workspace)
    prefix = f"/subscriptions/{sub}/resourceGroups/{rg}/providers"
    return {
        "id": workspace.arm_id,
        "name": workspace.name,
        "type": "Microsoft.MachineLearningServices/workspaces",
        "location": workspace.location,
        "tags": {},
        "kind": "Default",
        "sku": {"name": "Basic", "tier": "Basic"},
        "identity": {
            "type": "SystemAssigned",
            "principalId": double.object_id(workspace.arm_id),
            "tenantId": double.tenant_id,
        },
        "properties": {
            "friendlyName": workspace.name,
            "description": "",
            "workspaceId": workspace.workspace_id,
            "provisioningState": "Succeeded",
            "publicNetworkAccess": "Enabled",
            "hbiWorkspace": False,
            "storageAccount": f"{prefix}/Microsoft.Storage/storageAccounts/{rg}storage",
            "keyVault": f"{prefix}/Microsoft.KeyVault/vaults/{rg}-kv",
            "applicationInsights": f"{prefix}/Microsoft.Insights/components/{rg}-ai",
            "discoveryUrl": f"https://{host}/discovery",
            "mlFlowTrackingUri": workspace.tracking_uri,
        },
    }


def arm_error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """ARM's error body ``{"error": {"code", "message"}}``."""
    return _json({"error": {"code": code, "message": message}}, status, headers)


def _failure(status: int) -> web.Response:
    if status == 429:
        return arm_error(
            429,
            "TooManyRequests",
            "The request is being throttled.",
            {"Retry-After": "1"},
        )
    return arm_error(status, "InternalServerError", "Encountered internal server error.")


def _json(payload: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None):
    request_id = str(uuid.uuid4())
    extra = {"x-ms-request-id": request_id, "x-ms-correlation-request-id": request_id}
    return web.json_response(payload, status=status, headers={**extra, **(headers or {})})


def _host(workspace: Workspace) -> str:
    return workspace.tracking_uri.split("://", 1)[-1].split("/", 1)[0]


def _arm_time(epoch: float) -> str:
    # ARM writes times the .NET way: 5/1/2024 10:00:00 AM
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return f"{moment.month}/{moment.day}/{moment.year} {moment.strftime('%I:%M:%S %p').lstrip('0')}"
