"""Entra ID's state and wire format for the double: registrations, device flows, refresh
tokens, and error bodies with AADSTS codes (what MSAL parses)."""

from __future__ import annotations

import secrets
import string
import threading
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web

from .tokens import b64url, object_id_of, unsigned_jwt

if TYPE_CHECKING:
    from .double import AzureDouble

DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OIDC_SCOPES = {"openid", "profile", "offline_access", "email"}
TENANT_ALIASES = {"organizations", "common"}


@dataclass
class DeviceFlow:
    """One device-code sign-in, from the code's issue to its redemption."""

    user_code: str
    device_code: str
    client_id: str
    resource_scope: str
    expires_at: float
    identity: str | None = None
    declined: bool = False
    redeemed: bool = False


@dataclass
class RefreshGrant:
    """Who a refresh token signs in, and for which public client."""

    identity: str
    client_id: str
    revoked: bool = False


class Authority:
    """App registrations, device flows and refresh tokens (thread-safe)."""

    def __init__(self, double: AzureDouble, interval: int, lifetime: int) -> None:
        self.double = double
        self.interval, self.lifetime = interval, lifetime
        self._clients: dict[str, str] = {}
        self._flows: dict[str, DeviceFlow] = {}
        self._refresh: dict[str, RefreshGrant] = {}
        self._lock = threading.Lock()

    def register_client(self, client_id: str, secret: str) -> None:
        """A confidential client and its secret."""
        with self._lock:
            self._clients[client_id] = secret

    def forget(self) -> None:
        """No registrations, device flows or refresh tokens."""
        with self._lock:
            self._clients.clear()
            self._flows.clear()
            self._refresh.clear()

    def client_secret(self, client_id: str) -> str | None:
        """The registered secret of a client, if it is registered."""
        with self._lock:
            return self._clients.get(client_id)

    def new_flow(self, client_id: str, resource_scope: str) -> DeviceFlow:
        """Hand out a user code and a device code."""
        alphabet = string.ascii_uppercase + string.digits
        flow = DeviceFlow(
            user_code="".join(secrets.choice(alphabet) for _ in range(9)),
            device_code=secrets.token_urlsafe(48),
            client_id=client_id,
            resource_scope=resource_scope,
            expires_at=time.time() + self.lifetime,
        )
        with self._lock:
            self._flows[flow.device_code] = flow
        return flow

    def flow(self, device_code: str) -> DeviceFlow | None:
        """The flow a device code belongs to."""
        with self._lock:
            return self._flows.get(device_code)

    def settle_device_code(self, user_code: str, identity: str | None) -> None:
        """Approve as ``identity``, or decline when None."""
        with self._lock:
            for flow in self._flows.values():
                if flow.user_code == user_code and not flow.redeemed:
                    flow.identity, flow.declined = identity, identity is None
                    return
        raise KeyError(f"no pending device code {user_code!r}")

    def pending_user_codes(self) -> list[str]:
        """Codes still waiting for the user."""
        now = time.time()
        with self._lock:
            return [
                f.user_code
                for f in self._flows.values()
                if f.identity is None and not f.declined and f.expires_at > now
            ]

    def new_refresh_token(self, identity: str, client_id: str) -> str:
        """A refresh token for a signed-in user."""
        token = secrets.token_urlsafe(64)
        with self._lock:
            self._refresh[token] = RefreshGrant(identity, client_id)
        return token

    def refresh_grant(self, token: str) -> RefreshGrant | None:
        """What a refresh token grants."""
        with self._lock:
            return self._refresh.get(token)

    def revoke_refresh_tokens(self, identity: str) -> None:
        """Sign the identity out everywhere."""
        with self._lock:
            for grant in self._refresh.values():
                if grant.identity == identity:
                    grant.revoked = True


def resource_scope(scope_field: str) -> tuple[str, web.Response | None]:
    """The one resource scope among the requested ones (Entra allows one resource a token)."""
    resources = [s for s in scope_field.split() if s not in OIDC_SCOPES]
    if len(resources) > 1 and len({s.rsplit("/", 1)[0] for s in resources}) > 1:
        return "", aad_error(
            400,
            "invalid_scope",
            28000,
            "Provided value for the input parameter scope is not valid because it contains "
            "more than one resource.",
        )
    if not resources:
        return "", missing_parameter("scope")
    return resources[0], None


def missing_parameter(name: str) -> web.Response:
    """Entra's answer to a request without a required form field."""
    return aad_error(
        400,
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    """Entra's error body: ``error``, ``error_description`` starting with AADSTS, and kin."""
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    now = time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime())
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} "
            f"Correlation ID: {correlation} Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": "https://login.microsoftonline.com/error?code=" + str(code),
        },
        status=status,
    )


def id_token_parts(double: AzureDouble, identity: str, client_id: str) -> dict[str, str]:
    """``id_token`` and ``client_info`` for a signed-in user (azure-identity reads both)."""
    now, oid = int(time.time()), object_id_of(identity)
    claims = {
        "aud": client_id,
        "iss": f"{double.authority_host}/{double.tenant_id}/v2.0",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "name": identity.split("@")[0],
        "oid": oid,
        "preferred_username": identity,
        "sub": b64url(oid.encode()),
        "tid": double.tenant_id,
        "ver": "2.0",
    }
    return {
        "id_token": unsigned_jwt(claims),
        "client_info": b64url({"uid": oid, "utid": double.tenant_id}),
    }
