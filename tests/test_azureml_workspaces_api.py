"""azureml workspaces through the REST API without Azure: validation, detection, signed out."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import ClientAuthenticationError


class SignedOutCredential:
    """What azure-identity raises when nobody is signed in (e.g. no `az login`)."""

    def get_token(self, *scopes, **kwargs):
        raise ClientAuthenticationError("Please run 'az login' to set up an account")


@pytest.fixture
def aml_settings() -> dict:
    return {"credential_factory": lambda spec: SignedOutCredential()}


AZ = {"subscription_id": "sub-1", "resource_group": "rg-1", "workspace_name": "ws-1"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"subscription_id": ""}, "needs subscription_id"),
        ({"workspace_name": None}, "needs workspace_name"),
        ({"cloud": "Mars"}, "cloud must be one of"),
        ({"credential": "password"}, "credential must be one of"),
        ({"arm_endpoint": "http://127.0.0.1:1"}, "arm_endpoint must be an https URL"),
        ({"authority_host": "login.example"}, "authority_host must be an https URL"),
    ],
)
async def test_bad_azureml_fields_are_400_with_a_message(aml_fetch, extra, message):
    body = {"name": "aml", "kind": "azureml", **AZ, **extra}
    code, payload = await aml_fetch("api", "workspaces", method="POST", body=body)
    assert code == 400
    assert message in payload["message"]
    _, listing = await aml_fetch("api", "workspaces")
    assert [w["name"] for w in listing["workspaces"]] == ["local"]


async def test_signed_out_credential_shows_how_to_sign_in(aml_fetch, wait_for, aml_dirs):
    body = {"name": "aml", "kind": "azureml", **AZ, "credential": "cli"}
    code, created = await aml_fetch("api", "workspaces", method="POST", body=body)
    assert code == 201, created
    assert created["kind"] == "azureml"
    assert created["workspace_name"] == "ws-1"

    async def signed_out():
        _, listing = await aml_fetch("api", "workspaces")
        (aml,) = [w for w in listing["workspaces"] if w["name"] == "aml"]
        return aml if aml["state"] == "signed_out" else None

    aml = await wait_for(signed_out, timeout=20)
    assert "az login" in aml["detail"]
    assert aml["identity"] is None and aml["token_expires_on"] is None
    # Data calls say why they cannot answer, with the same reason.
    code, payload = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 503
    assert "az login" in payload["message"]
    # Persisted without any secret: Azure's own tools hold the credentials.
    saved = json.loads(aml_dirs["workspaces_file"].read_text())
    (entry,) = [w for w in saved["workspaces"] if w["name"] == "aml"]
    assert entry["credential"] == "cli" and entry["subscription_id"] == "sub-1"
    assert not (aml_dirs["workspaces_file"].parent / "workspaces.secrets.json").exists() or (
        "aml" not in (aml_dirs["workspaces_file"].parent / "workspaces.secrets.json").read_text()
    )


async def test_sign_in_with_a_non_interactive_credential_retries(aml_fetch, wait_for):
    body = {"name": "aml", "kind": "azureml", **AZ, "credential": "environment"}
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    code, payload = await aml_fetch("api", "workspaces", "aml", "sign-in", method="POST")
    assert code == 202
    assert payload["user_code"] is None and payload["verification_uri"] is None

    async def signed_out():
        _, listing = await aml_fetch("api", "workspaces")
        (aml,) = [w for w in listing["workspaces"] if w["name"] == "aml"]
        return aml["state"] == "signed_out" and "AZURE_CLIENT_ID" in aml["detail"]

    await wait_for(signed_out, timeout=20)


async def test_config_json_under_the_root_is_offered_then_added(aml_fetch, jp_root_dir):
    (jp_root_dir / ".azureml").mkdir()
    (jp_root_dir / ".azureml" / "config.json").write_text(json.dumps(AZ))
    _, listing = await aml_fetch("api", "workspaces")
    (detected,) = listing["detected"]
    assert detected == {"name": "ws-1", "kind": "azureml", **AZ, "source": ".azureml/config.json"}
    fields = {k: v for k, v in detected.items() if k != "source"}
    code, _ = await aml_fetch("api", "workspaces", method="POST", body=fields)
    assert code == 201
    _, listing = await aml_fetch("api", "workspaces")
    assert listing["detected"] == []
