"""Injectable credentials whose tokens the double issues and last a few seconds.

They implement azure-core's ``TokenCredential`` and ``SupportsTokenInfo`` protocols, so the
extension takes them exactly where it would take an azure-identity credential, and the tokens
they hand out are checked by the double's ARM and AML front like any other.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

if TYPE_CHECKING:
    from typing_extensions import Self

    from .double import AzureDouble
    from .tokens import IssuedToken


class ShortLivedCredential:
    """Tokens for ``identity`` lasting ``lifetime`` seconds, minted by the double.

    ``calls`` counts every token request (thread-safe), ``scopes`` records what was asked.
    ``delay`` makes each request take that long, to show whether concurrent callers share one.
    ``revoke()`` signs the identity out: requests raise ClientAuthenticationError, as real
    credentials do, until ``restore()``.
    """

    def __init__(
        self,
        double: AzureDouble,
        identity: str = "alice@contoso.com",
        lifetime: float = 3.0,
        *,
        delay: float = 0.0,
        refresh_in: float | None = None,
    ) -> None:
        self.double, self.identity, self.lifetime = double, identity, lifetime
        self.delay, self.refresh_in = delay, refresh_in
        self.scopes: list[tuple[str, ...]] = []
        self._calls = 0
        self._revoked = False
        self._lock = threading.Lock()

    @property
    def calls(self) -> int:
        """Token requests so far, failed ones included."""
        with self._lock:
            return self._calls

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A fresh token for the first scope (``TokenCredential``)."""
        issued = self._issue(scopes)
        return AccessToken(issued.token, issued.expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        """A fresh token with ``refresh_on`` when ``refresh_in`` is set (``SupportsTokenInfo``)."""
        issued = self._issue(scopes)
        refresh_on = (
            int(issued.issued_at + self.refresh_in) if self.refresh_in is not None else None
        )
        return AccessTokenInfo(issued.token, issued.expires_on, refresh_on=refresh_on)

    def _issue(self, scopes: tuple[str, ...]) -> IssuedToken:
        if not scopes:
            raise ValueError('"get_token" requires at least one scope')
        with self._lock:
            self._calls += 1
            self.scopes.append(scopes)
        if self.delay:
            time.sleep(self.delay)
        if self._revoked:
            raise ClientAuthenticationError(
                message=f"{self.identity} is signed out. AADSTS50173: The provided grant has "
                "expired due to it being revoked, a fresh auth token is needed. The user might "
                "have changed or reset their password."
            )
        return self.double.tokens.issue(self.identity, scopes[0], self.lifetime)

    def revoke(self, *, tokens: bool = True) -> None:
        """Sign out: no new tokens; with ``tokens`` the ones handed out stop working too."""
        self._revoked = True
        if tokens:
            self.double.revoke(self.identity)

    def restore(self) -> None:
        """Sign back in: tokens are issued again."""
        self._revoked = False

    def close(self) -> None:
        """Nothing to release (``SupportsTokenInfo``)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncShortLivedCredential:
    """The ``azure.core.credentials_async`` flavour: same tokens, ``await``-able, and a delay
    that yields to the loop instead of blocking it."""

    def __init__(
        self,
        double: AzureDouble,
        identity: str = "alice@contoso.com",
        lifetime: float = 3.0,
        *,
        delay: float = 0.0,
        refresh_in: float | None = None,
    ) -> None:
        self.sync = ShortLivedCredential(double, identity, lifetime, refresh_in=refresh_in)
        self.delay = delay

    @property
    def calls(self) -> int:
        """Token requests so far."""
        return self.sync.calls

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """A fresh token for the first scope."""
        return await self._slow(self.sync.get_token, scopes, kwargs)

    async def get_token_info(self, *scopes: str, options: Any = None) -> AccessTokenInfo:
        """A fresh token with ``refresh_on`` when set."""
        return await self._slow(self.sync.get_token_info, scopes, {"options": options})

    async def _slow(self, method: Any, scopes: tuple[str, ...], kwargs: dict[str, Any]) -> Any:
        if self.delay:
            await asyncio.sleep(self.delay)
        return method(*scopes, **kwargs)

    def revoke(self, *, tokens: bool = True) -> None:
        """Sign out (see ShortLivedCredential.revoke)."""
        self.sync.revoke(tokens=tokens)

    def restore(self) -> None:
        """Sign back in."""
        self.sync.restore()

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
