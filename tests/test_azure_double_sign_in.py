"""The loopback Azure double's sign-in authority, through real azure-identity credentials: a
service principal by secret or from the environment, and device-code sign-in with approval,
refresh, revocation and decline."""

from __future__ import annotations

import threading
import time

import pytest
from azure.core.credentials import AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AuthenticationRequiredError,
    ClientSecretCredential,
    DeviceCodeCredential,
    EnvironmentCredential,
)

from .azure_double import AzureDouble
from .azure_double.fixtures import (
    CLI_CLIENT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    arm_get,
    service_principal_env,
)


@pytest.fixture
def double(azure_double: AzureDouble) -> AzureDouble:
    """The session's double, reset, with one workspace whose front forwards to the sqlite server."""
    return azure_double


def service_principal(double: AzureDouble, secret: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        double.tenant_id,
        CLIENT_ID,
        secret,
        authority=double.authority_host,
        disable_instance_discovery=True,  # else MSAL asks the public cloud about the authority
        connection_verify=double.ca_pem_path,
    )


def test_client_secret_credential_signs_in_and_its_token_works_on_arm(double):
    double.register_client(CLIENT_ID, CLIENT_SECRET)
    token = service_principal(double, CLIENT_SECRET).get_token(double.scope)
    assert arm_get(double, token.token).status_code == 200
    assert double.stats["authority openid-configuration"] == 1
    assert double.stats["authority token client_credentials"] == 1
    assert double.requests[-1].identity == CLIENT_ID  # ARM saw the service principal
    with pytest.raises(ClientAuthenticationError, match="AADSTS7000215"):
        service_principal(double, "not-the-secret").get_token(double.scope)
    assert double.stats["authority 401"] == 1


def test_environment_credential_uses_the_double_as_authority(double, monkeypatch):
    service_principal_env(monkeypatch, double)
    credential = EnvironmentCredential(disable_instance_discovery=True)
    info = credential.get_token_info(double.scope)
    assert isinstance(info, AccessTokenInfo)
    assert arm_get(double, info.token).status_code == 200
    assert double.stats["authority token client_credentials"] == 1


def test_device_code_sign_in_waits_for_approval_and_refreshes(double):
    double.token_lifetime = 5  # under MSAL's 5-minute margin: every call refreshes
    prompts: list[tuple[str, str]] = []

    def prompt(verification_uri, user_code, expires_on):
        prompts.append((verification_uri, user_code))

    credential = DeviceCodeCredential(
        client_id=CLI_CLIENT_ID,
        tenant_id="organizations",
        authority=double.authority_host,
        disable_instance_discovery=True,
        connection_verify=double.ca_pem_path,
        prompt_callback=prompt,
        disable_automatic_authentication=True,
    )
    with pytest.raises(AuthenticationRequiredError):
        credential.get_token(double.scope)

    def approve_after_a_poll():
        code = double.wait_for_user_code()
        deadline = time.monotonic() + 10
        while double.stats["authority token device_code"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        double.approve_device_code(code, identity="bob@contoso.com")

    approver = threading.Thread(target=approve_after_a_poll)
    approver.start()
    record = credential.authenticate(scopes=[double.scope])
    approver.join()
    assert record.username == "bob@contoso.com"
    assert prompts == [(f"{double.authority_host}/devicelogin", prompts[0][1])]
    assert double.stats["authority 400"] >= 1  # authorization_pending before the approval
    assert double.pending_user_codes() == []
    # Tokens of seconds are never served from MSAL's cache: each call redeems the refresh token.
    token = credential.get_token(double.scope)
    assert double.stats["authority token refresh_token"] == 1
    assert arm_get(double, token.token).status_code == 200
    assert double.requests[-1].identity == "bob@contoso.com"
    double.revoke("bob@contoso.com")
    with pytest.raises(ClientAuthenticationError):
        credential.get_token(double.scope)


def test_declined_device_code_fails_the_sign_in(double):
    credential = DeviceCodeCredential(
        client_id=CLI_CLIENT_ID,
        authority=double.authority_host,
        disable_instance_discovery=True,
        connection_verify=double.ca_pem_path,
        prompt_callback=lambda uri, code, expires: double.decline_device_code(code),
    )
    with pytest.raises(ClientAuthenticationError, match="declined"):
        credential.get_token(double.scope)
