"""One credential's access token, cached and refreshed before it expires.

Tokens are asked for proactively, at the credential's ``refresh_on`` hint or 5 minutes before
expiry (half the lifetime for tokens shorter than 10 minutes), while the current one keeps
being used. Refreshes are single-flight: concurrent callers share one. After an upstream 401
the caller forces one refresh; callers that fail together share that too.

Credentials are synchronous (azure-identity's are; a CLI call takes a second), so they run in
a worker thread and never block the event loop. Tokens stay in this object: they are never
logged, and nothing but the ``Authorization`` header of an upstream request carries them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_REFRESH_MARGIN = 300.0
# A token this close to expiry is not sent: it could expire on the way.
_SEND_MARGIN = 5.0


@dataclass(frozen=True)
class Token:
    """An access token and when to renew it."""

    value: str
    expires_on: float
    refresh_on: float
    identity: str | None


class TokenProvider:
    """Cache and refresher for one credential and scope."""

    def __init__(
        self, credential: Any, scope: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.credential = credential
        self.scope = scope
        self._clock = clock
        self._token: Token | None = None
        self._refresh: asyncio.Task[Token] | None = None
        self.refreshes = 0

    @property
    def current(self) -> Token | None:
        """The cached token, if any (for display: identity and expiry)."""
        return self._token

    def forget(self) -> None:
        """Drop the cached token (signed out, or a new credential)."""
        self._token = None

    async def token(self) -> str:
        """A token good for at least a few more seconds; refreshes in the background when due."""
        token, now = self._token, self._clock()
        if token is not None and now < token.expires_on - self._send_margin(token):
            if now >= token.refresh_on:
                self._start_refresh()
            return token.value
        return (await self._shared_refresh()).value

    async def refresh_after_rejection(self, rejected: str) -> str:
        """A fresh token after the upstream refused ``rejected`` (once per rejected token)."""
        token = self._token
        if token is not None and token.value != rejected:
            return token.value  # someone else already replaced it
        if self._refresh is None or self._refresh.done():
            self._token = None
        return (await self._shared_refresh()).value

    async def _shared_refresh(self) -> Token:
        task = self._start_refresh()
        # shield: one caller giving up (a closed connection) must not cancel the others' refresh.
        return await asyncio.shield(task)

    def _start_refresh(self) -> asyncio.Task[Token]:
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.get_running_loop().create_task(self._fetch())
            # A background refresh that fails is retried by the next caller; mark it retrieved.
            self._refresh.add_done_callback(_retrieve)
        return self._refresh

    async def _fetch(self) -> Token:
        token = await asyncio.to_thread(self._get_token_sync)
        self._token = token
        self.refreshes += 1
        return token

    def _get_token_sync(self) -> Token:
        now = self._clock()
        get_info = getattr(self.credential, "get_token_info", None)
        if get_info is not None:
            info = get_info(self.scope)
            value, expires_on = info.token, float(info.expires_on)
            refresh_on = float(info.refresh_on) if getattr(info, "refresh_on", None) else None
        else:
            access = self.credential.get_token(self.scope)
            value, expires_on, refresh_on = access.token, float(access.expires_on), None
        lifetime = max(expires_on - now, 0.0)
        proactive = expires_on - min(_REFRESH_MARGIN, lifetime / 2)
        return Token(
            value=value,
            expires_on=expires_on,
            refresh_on=min(refresh_on, proactive) if refresh_on else proactive,
            identity=identity_of(value),
        )

    @staticmethod
    def _send_margin(token: Token) -> float:
        return min(_SEND_MARGIN, (token.expires_on - token.refresh_on) / 2)


def _retrieve(task: asyncio.Task[Any]) -> None:
    if not task.cancelled():
        task.exception()


def identity_of(token: str) -> str | None:
    """Who a JWT access token was issued to (not verified: for display only)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError):
        return None
    if not isinstance(claims, dict):
        return None
    for claim in ("upn", "unique_name", "preferred_username", "email"):
        if isinstance(claims.get(claim), str):
            return claims[claim]
    if isinstance(claims.get("appid"), str):
        return f"application {claims['appid']}"
    if isinstance(claims.get("oid"), str):
        return f"object {claims['oid']}"
    return None
