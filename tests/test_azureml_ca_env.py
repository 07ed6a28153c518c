"""The CA bundle can come from REQUESTS_CA_BUNDLE alone, as for requests-based Azure tools."""

from __future__ import annotations

import pytest

from .azure_double.fixtures import CLIENT_ID, service_principal_env
from .azureml_helpers import azureml_body, wait_state


@pytest.fixture
def aml_settings(azure_double, monkeypatch) -> dict:
    # Before the server starts: the extension reads its default from the environment.
    service_principal_env(monkeypatch, azure_double)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", azure_double.ca_pem_path)  # the double's CA only
    monkeypatch.delenv("SSL_CERT_FILE")
    return {}


async def test_requests_ca_bundle_is_trusted_for_arm_the_authority_and_the_front(
    aml_fetch, wait_for, azure_double
):
    body = azureml_body(azure_double, credential="environment")
    assert (await aml_fetch("api", "workspaces", method="POST", body=body))[0] == 201
    info = await wait_state(aml_fetch, wait_for, "ready")
    assert info["identity"] == f"application {CLIENT_ID}"
    assert (await aml_fetch("api", "workspaces", "aml", "experiments"))[0] == 200
