"""The loopback Azure double's injectable credentials (sync and async): azure-core
credentials whose tokens last seconds, that count concurrent calls, and can be revoked."""

from __future__ import annotations

import base64
import json
import threading
import time

import pytest
from azure.core.credentials import SupportsTokenInfo, TokenCredential
from azure.core.exceptions import ClientAuthenticationError

from .azure_double import (
    AsyncShortLivedCredential,
    AzureDouble,
    ShortLivedCredential,
    audience_of,
)
from .azure_double.fixtures import arm_get


@pytest.fixture
def double(azure_double: AzureDouble) -> AzureDouble:
    """The session's double, reset, with one workspace whose front forwards to the sqlite server."""
    return azure_double


def test_short_lived_credential_is_an_azure_core_credential(double):
    credential = ShortLivedCredential(double, "dana@contoso.com", lifetime=5, refresh_in=2)
    assert isinstance(credential, TokenCredential)
    assert isinstance(credential, SupportsTokenInfo)
    info = credential.get_token_info(double.scope)
    assert info.refresh_on is not None and info.refresh_on < info.expires_on
    assert info.expires_on <= time.time() + 5
    assert arm_get(double, info.token).status_code == 200
    assert credential.scopes == [(double.scope,)]
    # JWT-shaped like Entra's, so a client can show who is signed in (never trusted by the double).
    claims = json.loads(base64.urlsafe_b64decode(info.token.split(".")[1] + "=="))
    assert (claims["upn"], claims["aud"]) == ("dana@contoso.com", audience_of(double.scope))
    with pytest.raises(ValueError, match="at least one scope"):
        credential.get_token()


def test_short_lived_credential_counts_concurrent_calls(double):
    credential = ShortLivedCredential(double, delay=0.2)
    threads = [
        threading.Thread(target=credential.get_token, args=(double.scope,)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert credential.calls == 8


def test_revoked_credential_raises_and_its_tokens_stop_working(double):
    credential = ShortLivedCredential(double, "erin@contoso.com", lifetime=60)
    token = credential.get_token(double.scope).token
    credential.revoke()
    with pytest.raises(ClientAuthenticationError, match="AADSTS50173"):
        credential.get_token(double.scope)
    assert arm_get(double, token).status_code == 401
    credential.restore()
    assert arm_get(double, credential.get_token(double.scope).token).status_code == 200
    assert credential.calls == 3


async def test_async_short_lived_credential(double):
    async with AsyncShortLivedCredential(double, lifetime=5, delay=0.05) as credential:
        info = await credential.get_token_info(double.scope)
        token = await credential.get_token(double.scope)
    assert info.token != token.token
    assert credential.calls == 2
    assert double.tokens.check(f"Bearer {token.token}", double.audiences)[0].value == "ok"
