"""azureml sign-in with real azure-identity credentials against the double's token authority."""

from __future__ import annotations

import asyncio
import time

import pytest

from .azure_double.fixtures import CLIENT_ID, service_principal_env
from .azureml_helpers import azureml_body, wait_state


@pytest.fixture
def aml_settings(azure_double) -> dict:
    # The double's CA through the server setting; credentials are azure-identity's own.
    return {"ca_bundle": azure_double.ca_pem_path}


@pytest.mark.parametrize("credential", ["environment", "default"])
async def test_service_principal_from_env_with_a_custom_authority(
    aml_fetch, wait_for, azure_double, monkeypatch, credential
):
    service_principal_env(monkeypatch, azure_double)
    azure_double.token_lifetime = 5  # MSAL then asks the authority again on every call
    body = azureml_body(azure_double, credential=credential)
    if credential == "default":
        del body["authority_host"]  # azure-identity's own AZURE_AUTHORITY_HOST names it
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    info = await wait_state(aml_fetch, wait_for, "ready")
    assert info["identity"] == f"application {CLIENT_ID}"
    await asyncio.sleep(5.5)  # past the first token's life
    code, _ = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 200
    stats = azure_double.stats
    assert stats["authority token client_credentials"] >= 2
    assert stats["front 401"] == 0 and stats["arm 401"] == 0


async def test_wrong_service_principal_secret_is_signed_out_with_azures_reason(
    aml_fetch, wait_for, azure_double, monkeypatch
):
    service_principal_env(monkeypatch, azure_double)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    body = azureml_body(azure_double, credential="environment")
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    info = await wait_state(aml_fetch, wait_for, "signed_out")
    assert "AADSTS7000215" in info["detail"]


async def test_device_code_sign_in_from_the_sidebar(aml_fetch, wait_for, azure_double):
    body = azureml_body(azure_double, credential="device_code", tenant_id=azure_double.tenant_id)
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    info = await wait_state(aml_fetch, wait_for, "signed_out")
    assert "Click Sign in" in info["detail"]

    code, device = await aml_fetch("api", "workspaces", "aml", "sign-in", method="POST")
    assert code == 202, device
    assert device["user_code"] in azure_double.pending_user_codes()
    assert device["verification_uri"] and device["expires_on"] > time.time()
    info = await wait_state(aml_fetch, wait_for, "signed_out")
    assert device["user_code"] in info["detail"]  # the sidebar can show it from the state too
    # Asking again while it is pending gives the same code, not a second sign-in.
    assert (await aml_fetch("api", "workspaces", "aml", "sign-in", method="POST"))[1] == device

    await asyncio.to_thread(azure_double.approve_device_code, device["user_code"])
    info = await wait_state(aml_fetch, wait_for, "ready")
    assert info["identity"] == "alice@contoso.com"
    assert (await aml_fetch("api", "workspaces", "aml", "experiments"))[0] == 200


async def test_declined_device_code_leaves_a_clear_signed_out_state(
    aml_fetch, wait_for, azure_double
):
    body = azureml_body(azure_double, credential="device_code", tenant_id=azure_double.tenant_id)
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    await wait_state(aml_fetch, wait_for, "signed_out")
    _, device = await aml_fetch("api", "workspaces", "aml", "sign-in", method="POST")
    await asyncio.to_thread(azure_double.decline_device_code, device["user_code"])

    async def declined():
        _, listing = await aml_fetch("api", "workspaces")
        (aml,) = [w for w in listing["workspaces"] if w["name"] == "aml"]
        return "did not complete" in aml["detail"] and aml["state"] == "signed_out"

    await wait_for(declined, timeout=30)
