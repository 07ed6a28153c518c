"""The token cache: proactive refresh, single flight, forced refresh after a 401, identity."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import time

import pytest
from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

from jupyterlab_aml.auth.tokens import TokenProvider, identity_of


class CountingCredential:
    """A credential whose tokens last ``lifetime`` seconds; counts calls; optionally slow."""

    def __init__(self, lifetime: float, *, delay: float = 0.0, refresh_in: float | None = None):
        self.lifetime, self.delay, self.refresh_in = lifetime, delay, refresh_in
        self.calls = 0
        self.scopes: list[tuple[str, ...]] = []
        self.fail = False
        self._lock = threading.Lock()

    def get_token_info(self, *scopes: str, options=None) -> AccessTokenInfo:
        with self._lock:
            self.calls += 1
            number = self.calls
        self.scopes.append(scopes)
        time.sleep(self.delay)
        if self.fail:
            raise ClientAuthenticationError("AADSTS700082: the refresh token has expired")
        now = time.time()
        refresh_on = int(now + self.refresh_in) if self.refresh_in is not None else None
        return AccessTokenInfo(f"token-{number}", int(now + self.lifetime), refresh_on=refresh_on)


async def test_token_is_cached_until_refresh_is_due():
    credential = CountingCredential(lifetime=3600)
    provider = TokenProvider(credential, "https://management.azure.com/.default")
    assert await provider.token() == "token-1"
    assert await provider.token() == "token-1"
    assert credential.calls == 1
    assert credential.scopes == [("https://management.azure.com/.default",)]


async def test_concurrent_callers_share_one_refresh():
    credential = CountingCredential(lifetime=3600, delay=0.3)
    provider = TokenProvider(credential, "scope/.default")
    tokens = await asyncio.gather(*(provider.token() for _ in range(20)))
    assert set(tokens) == {"token-1"}
    assert credential.calls == 1


async def test_proactive_refresh_keeps_serving_the_current_token():
    # A 4 s token is renewed after half its life, in the background: callers never wait.
    credential = CountingCredential(lifetime=4, delay=0.2)
    provider = TokenProvider(credential, "scope/.default")
    assert await provider.token() == "token-1"
    await asyncio.sleep(2.2)
    assert await provider.token() == "token-1"  # still valid: returned at once
    await asyncio.sleep(0.5)
    assert await provider.token() == "token-2"
    assert credential.calls == 2


async def test_refresh_on_hint_is_honoured():
    credential = CountingCredential(lifetime=3600, refresh_in=1)
    provider = TokenProvider(credential, "scope/.default")
    await provider.token()
    await asyncio.sleep(1.2)
    await provider.token()
    await asyncio.sleep(0.2)
    assert await provider.token() == "token-2"


async def test_expired_token_is_never_sent():
    credential = CountingCredential(lifetime=1)
    provider = TokenProvider(credential, "scope/.default")
    await provider.token()
    await asyncio.sleep(1.1)
    assert await provider.token() == "token-2"


async def test_rejected_token_is_replaced_once_for_all_callers():
    credential = CountingCredential(lifetime=3600, delay=0.2)
    provider = TokenProvider(credential, "scope/.default")
    rejected = await provider.token()
    renewed = await asyncio.gather(*(provider.refresh_after_rejection(rejected) for _ in range(10)))
    assert set(renewed) == {"token-2"}
    # A late caller with the old token gets the new one without another refresh.
    assert await provider.refresh_after_rejection(rejected) == "token-2"
    assert credential.calls == 2


async def test_credential_failure_reaches_every_waiting_caller():
    credential = CountingCredential(lifetime=3600, delay=0.1)
    credential.fail = True
    provider = TokenProvider(credential, "scope/.default")
    results = await asyncio.gather(*(provider.token() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ClientAuthenticationError) for r in results)
    assert credential.calls == 1
    credential.fail = False
    assert await provider.token() == "token-2"


def _jwt(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"upn": "alice@contoso.com", "oid": "1"}, "alice@contoso.com"),
        ({"unique_name": "bob@contoso.com"}, "bob@contoso.com"),
        ({"appid": "0000-1111", "oid": "2"}, "application 0000-1111"),
        ({"oid": "abc"}, "object abc"),
        ({}, None),
    ],
)
def test_identity_comes_from_the_token_claims(claims, expected):
    assert identity_of(_jwt(claims)) == expected


def test_opaque_tokens_have_no_identity():
    assert identity_of("not-a-jwt") is None
    assert identity_of("a.!!!.c") is None


def test_plain_get_token_credentials_work_too():
    class Legacy:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("legacy", int(time.time()) + 3600)

    provider = TokenProvider(Legacy(), "scope/.default")
    assert asyncio.run(provider.token()) == "legacy"
    assert provider.current is not None
    assert provider.current.expires_on > time.time() + 3000
