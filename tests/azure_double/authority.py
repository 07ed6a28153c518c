"""An Entra ID (Azure AD) authority that real azure-identity / MSAL credentials sign in to.

With ``authority=<authority_host>`` and ``disable_instance_discovery=True`` MSAL asks for
``GET /{tenant}/v2.0/.well-known/openid-configuration``, then ``POST`` to the token endpoint
(client credentials, device code, refresh token) and the device-code endpoint named there.
Its ``/devicelogin`` is the verification page, where a browser enters the user code
(``device_login.py``).
Errors use Entra's JSON shape and AADSTS codes, so MSAL and azure-identity raise what they
raise against the real service.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from .authority_grants import redeem
from .device_login import DEVICE_LOGIN_PATH, device_login
from .entra import (
    DEVICE_CODE_GRANT,
    TENANT_ALIASES,
    Authority,
    aad_error,
    missing_parameter,
    resource_scope,
)
from .recording import IDENTITY, ROUTE, recording_middleware

if TYPE_CHECKING:
    from .double import AzureDouble

_GRANT_NAMES = {
    "client_credentials": "client_credentials",
    DEVICE_CODE_GRANT: "device_code",
    "refresh_token": "refresh_token",
}


def build_authority_app(double: AzureDouble) -> web.Application:
    """The authority role."""
    authority = double.authority
    app = web.Application(
        middlewares=[
            recording_middleware(
                double,
                "authority",
                lambda status: aad_error(status, "temporarily_unavailable", 90033, "Busy."),
            )
        ]
    )

    async def handle(request: web.Request) -> web.Response:
        parts = request.path.strip("/").split("/")
        tenant, rest = parts[0], "/".join(parts[1:])
        if request.path == DEVICE_LOGIN_PATH:
            request[ROUTE] = "devicelogin" if request.method == "GET" else "devicelogin approve"
            return await device_login(double, request)
        known = {"v2.0/.well-known/openid-configuration", "oauth2/v2.0/token",
                 "oauth2/v2.0/devicecode", "discovery/v2.0/keys"}  # fmt: skip
        if rest not in known:
            request[ROUTE] = "unrouted"
            return aad_error(404, "invalid_request", 90027, f"The double has no {request.path}.")
        if tenant != double.tenant_id and tenant not in TENANT_ALIASES:
            request[ROUTE] = rest.rsplit("/", 1)[-1]
            return aad_error(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID "
                "and are signing into the correct cloud.",
            )
        if rest == "v2.0/.well-known/openid-configuration" and request.method == "GET":
            request[ROUTE] = "openid-configuration"
            return web.json_response(openid_configuration(double, tenant))
        if rest == "discovery/v2.0/keys" and request.method == "GET":
            request[ROUTE] = "keys"
            return web.json_response({"keys": []})
        if request.method != "POST":
            request[ROUTE] = "unrouted"
            return aad_error(405, "invalid_request", 900561, "The endpoint only accepts POST.")
        form = await request.post()
        fields = {k: str(v) for k, v in form.items()}
        request[IDENTITY] = fields.get("client_id")
        if rest == "oauth2/v2.0/devicecode":
            request[ROUTE] = "devicecode"
            return device_code_response(double, authority, fields)
        grant = fields.get("grant_type", "")
        request[ROUTE] = f"token {_GRANT_NAMES.get(grant, grant or 'none')}"
        response, identity = redeem(double, authority, tenant, fields)
        if identity:
            request[IDENTITY] = identity
        return response

    app.router.add_route("*", "/{tail:.*}", handle)
    return app


def openid_configuration(double: AzureDouble, tenant: str) -> dict[str, Any]:
    """The v2.0 OpenID configuration, as Entra publishes it (the fields MSAL reads first)."""
    base = f"{double.authority_host}/{tenant}"
    issuer_tenant = "{tenantid}" if tenant in TENANT_ALIASES else tenant
    return {
        "token_endpoint": f"{base}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        "jwks_uri": f"{base}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{double.authority_host}/{issuer_tenant}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
        "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
        "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
        "tenant_region_scope": "NA",
        "cloud_instance_name": "azure-double.invalid",
    }


def device_code_response(
    double: AzureDouble, authority: Authority, fields: dict[str, str]
) -> web.Response:
    """Start a device-code sign-in."""
    client_id = fields.get("client_id")
    if not client_id:
        return missing_parameter("client_id")
    resource, refusal = resource_scope(fields.get("scope", ""))
    if refusal is not None:
        return refusal
    flow = authority.new_flow(client_id, resource)
    uri = f"{double.authority_host}{DEVICE_LOGIN_PATH}"
    return web.json_response(
        {
            "user_code": flow.user_code,
            "device_code": flow.device_code,
            "verification_uri": uri,
            "expires_in": authority.lifetime,
            "interval": authority.interval,
            "message": f"To sign in, use a web browser to open the page {uri} and enter the "
            f"code {flow.user_code} to authenticate.",
        }
    )
