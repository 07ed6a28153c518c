"""Access tokens the double issues and later checks: who, for which audience, until when.

Tokens are JWT-shaped (header.claims.signature, like Entra's) so clients can read the
identity for display, but the signature is random and the double only honours tokens it
remembers: a token with edited claims is simply unknown.
"""

from __future__ import annotations

import base64
import enum
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass

# Object ids derive from the identity, so a message about "alice" always names the same id.
_OBJECT_IDS = uuid.UUID("5f0b9a34-7c1e-4d2a-9a51-0c6a1e3b2d77")


def object_id_of(identity: str) -> str:
    """The stable object id the double gives an identity."""
    return str(uuid.uuid5(_OBJECT_IDS, identity.lower()))


def audience_of(scope: str) -> str:
    """The resource a scope asks for: ``https://management.azure.com/.default`` ->
    ``https://management.azure.com`` (lower case, no trailing slash, as ARM compares)."""
    scope = scope.strip()
    scope = scope.removesuffix("/.default")
    return scope.rstrip("/").lower()


def is_user(identity: str) -> bool:
    """Users sign in by name (``alice@contoso.com``); anything else is an application id."""
    return "@" in identity


def b64url(data: dict | bytes) -> str:
    """Unpadded base64url, as JWT parts are written."""
    raw = data if isinstance(data, bytes) else json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unsigned_jwt(claims: dict) -> str:
    """A JWT with a random signature: readable claims, nothing verifiable."""
    header = {"typ": "JWT", "alg": "RS256", "kid": "azure-double"}
    return f"{b64url(header)}.{b64url(claims)}.{b64url(secrets.token_bytes(32))}"


class Verdict(enum.Enum):
    """Why a presented bearer token is (not) accepted."""

    OK = "ok"
    MISSING = "missing"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    WRONG_AUDIENCE = "wrong_audience"


@dataclass
class IssuedToken:
    """What the double remembers about one access token."""

    token: str
    identity: str
    object_id: str
    tenant_id: str
    audience: str
    issued_at: float
    expires_at: float
    revoked: bool = False

    @property
    def expires_on(self) -> int:
        """Whole epoch seconds, rounded down: clients never think it lives longer than it does."""
        return int(self.expires_at)


class TokenBook:
    """Every token issued, thread-safe (tests mint and revoke from their own threads)."""

    def __init__(self, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self._tokens: dict[str, IssuedToken] = {}
        self._lock = threading.Lock()

    def issue(self, identity: str, scope: str, lifetime: float) -> IssuedToken:
        """A new access token for ``identity`` and the resource of ``scope``."""
        now = time.time()
        audience = audience_of(scope)
        object_id = object_id_of(identity)
        claims = {
            "aud": audience,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": int(now),
            "nbf": int(now),
            "exp": int(now + lifetime),
            "oid": object_id,
            "tid": self.tenant_id,
            "sub": object_id,
            "jti": secrets.token_urlsafe(12),
        }
        if is_user(identity):
            claims.update(upn=identity, unique_name=identity, name=identity.split("@")[0])
        else:
            claims.update(appid=identity, idtyp="app")
        issued = IssuedToken(
            token=unsigned_jwt(claims),
            identity=identity,
            object_id=object_id,
            tenant_id=self.tenant_id,
            audience=audience,
            issued_at=now,
            expires_at=now + lifetime,
        )
        with self._lock:
            self._tokens[issued.token] = issued
        return issued

    def check(
        self, authorization: str | None, audiences: set[str], skew: float = 0.0
    ) -> tuple[Verdict, IssuedToken | None]:
        """Judge an ``Authorization`` header value against the accepted audiences."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return Verdict.MISSING, None
        with self._lock:
            issued = self._tokens.get(token.strip())
        if issued is None:
            return Verdict.UNKNOWN, None
        if issued.revoked:
            return Verdict.REVOKED, issued
        if time.time() > issued.expires_at + skew:
            return Verdict.EXPIRED, issued
        if issued.audience not in audiences:
            return Verdict.WRONG_AUDIENCE, issued
        return Verdict.OK, issued

    def revoke(self, identity: str) -> int:
        """Invalidate every token ``identity`` holds now; how many there were."""
        with self._lock:
            mine = [t for t in self._tokens.values() if t.identity == identity and not t.revoked]
            for issued in mine:
                issued.revoked = True
        return len(mine)

    def revoke_token(self, token: str) -> None:
        """Invalidate one token."""
        with self._lock:
            if token in self._tokens:
                self._tokens[token].revoked = True
