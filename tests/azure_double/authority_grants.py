"""The token endpoint's grants: client credentials, device code and refresh token."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .entra import (
    DEVICE_CODE_GRANT,
    TENANT_ALIASES,
    Authority,
    aad_error,
    id_token_parts,
    missing_parameter,
    resource_scope,
)

if TYPE_CHECKING:
    from .double import AzureDouble

Redeemed = tuple[web.Response, str | None]  # the answer, and who signed in (for the counters)


def redeem(
    double: AzureDouble, authority: Authority, tenant: str, fields: dict[str, str]
) -> Redeemed:
    """Answer one ``POST .../oauth2/v2.0/token``."""
    client_id = fields.get("client_id")
    if not client_id:
        return missing_parameter("client_id"), None
    grant = fields.get("grant_type")
    if grant == "client_credentials":
        return _client_credentials(double, authority, tenant, client_id, fields)
    if grant == DEVICE_CODE_GRANT:
        return _device_code(double, authority, client_id, fields)
    if grant == "refresh_token":
        return _refresh_token(double, authority, client_id, fields)
    if not grant:
        return missing_parameter("grant_type"), None
    return aad_error(
        400,
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant}'.",
    ), None


def _client_credentials(
    double: AzureDouble, authority: Authority, tenant: str, client_id: str, fields: dict[str, str]
) -> Redeemed:
    if tenant in TENANT_ALIASES:
        return aad_error(
            400,
            "invalid_request",
            50059,
            "No tenant-identifying information found in either the request or implied by any "
            "provided credentials.",
        ), None
    scope = fields.get("scope", "").strip()
    if not scope:
        return missing_parameter("scope"), None
    if len(scope.split()) != 1 or not scope.endswith("/.default"):
        return aad_error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential flows must "
            "have a scope value with /.default suffixed to the resource identifier "
            "(application ID URI).",
        ), None
    secret = authority.client_secret(client_id)
    if secret is None:
        return aad_error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{tenant}'. This can happen if the application has not been installed by the "
            "administrator of the tenant or consented to by any user in the tenant. You may "
            "have sent your authentication request to the wrong tenant.",
        ), None
    given = fields.get("client_secret")
    if given is None:
        return aad_error(
            401,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
        ), client_id
    if given != secret:
        return aad_error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client_id}'.",
        ), client_id
    return _token_response(double, client_id, scope), client_id


def _device_code(
    double: AzureDouble, authority: Authority, client_id: str, fields: dict[str, str]
) -> Redeemed:
    code = fields.get("device_code")
    if not code:
        return missing_parameter("device_code"), None
    flow = authority.flow(code)
    if flow is None or flow.client_id != client_id or flow.redeemed:
        return aad_error(
            400, "invalid_grant", 70000, "Provided grant is invalid or malformed."
        ), None
    if flow.declined:
        return aad_error(
            400,
            "authorization_declined",
            70000,
            "The user declined the sign-in request.",
        ), None
    if flow.identity is None:
        if time.time() > flow.expires_at:
            return aad_error(
                400,
                "expired_token",
                70020,
                "The provided value for the input parameter 'device_code' is not valid. "
                "This device code has expired.",
            ), None
        return aad_error(
            400,
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ), None
    flow.redeemed = True
    return _user_tokens(double, authority, flow.identity, client_id, flow.resource_scope)


def _refresh_token(
    double: AzureDouble, authority: Authority, client_id: str, fields: dict[str, str]
) -> Redeemed:
    token = fields.get("refresh_token")
    if not token:
        return missing_parameter("refresh_token"), None
    resource, refusal = resource_scope(fields.get("scope", ""))
    if refusal is not None:
        return refusal, None
    grant = authority.refresh_grant(token)
    if grant is None or grant.client_id != client_id:
        return aad_error(
            400, "invalid_grant", 70000, "Provided grant is invalid or malformed."
        ), None
    if grant.revoked:
        return aad_error(
            400,
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is "
            "needed. The user might have changed or reset their password.",
        ), grant.identity
    return _user_tokens(double, authority, grant.identity, client_id, resource)


def _user_tokens(
    double: AzureDouble, authority: Authority, identity: str, client_id: str, scope: str
) -> Redeemed:
    extra = {
        "refresh_token": authority.new_refresh_token(identity, client_id),
        **id_token_parts(double, identity, client_id),
    }
    return _token_response(double, identity, scope, extra), identity


def _token_response(
    double: AzureDouble, identity: str, scope: str, extra: dict[str, Any] | None = None
) -> web.Response:
    lifetime = double.token_lifetime
    issued = double.tokens.issue(identity, scope, lifetime)
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "scope": scope,
        "expires_in": int(lifetime),
        "ext_expires_in": int(lifetime),
        "access_token": issued.token,
        **(extra or {}),
    }
    if double.refresh_in is not None:
        body["refresh_in"] = int(double.refresh_in)
    return web.json_response(body)
