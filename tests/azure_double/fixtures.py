"""Plain helpers to make pytest fixtures of the double (conftest.py registers them).

Suggested registration (one double per session, cleaned before each test)::

    from .azure_double.fixtures import running_double, with_workspace

    @pytest.fixture(scope="session")
    def azure_double_server():
        with running_double() as double:
            yield double

    @pytest.fixture
    def azure_double(azure_double_server, mlflow_server):
        with_workspace(azure_double_server, mlflow_server.url)
        return azure_double_server
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import requests

from .double import AzureDouble

if TYPE_CHECKING:
    import pytest

    from .registry import Workspace

# The coordinates tests use unless they need others (ARM names are case-insensitive).
SUBSCRIPTION = "0b1f6471-1bf0-4dda-aec3-cb9272f09590"
RESOURCE_GROUP = "rg-double"
WORKSPACE = "ws-double"
CLIENT_ID = "5e8b1b2c-7c1d-4a5e-9f00-000000000001"
CLIENT_SECRET = "double-client-secret"  # a test double's: it guards nothing
API_VERSION = "2024-10-01"
# Azure CLI's public client id, as device-code sign-ins use it.
CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
# Resource manager scopes of the public, China and US Government clouds.
CLOUD_SCOPES = (
    "https://management.azure.com/.default",
    "https://management.chinacloudapi.cn/.default",
    "https://management.usgovcloudapi.net/.default",
)


@contextmanager
def running_double(**options: Any) -> Iterator[AzureDouble]:
    """A started double (``options`` as AzureDouble's), stopped on exit."""
    with AzureDouble(**options) as double:
        yield double


def with_workspace(
    double: AzureDouble,
    mlflow_url: str,
    subscription_id: str = SUBSCRIPTION,
    resource_group: str = RESOURCE_GROUP,
    workspace_name: str = WORKSPACE,
) -> Workspace:
    """Reset a shared double and give it one workspace backed by ``mlflow_url``."""
    double.reset()
    return double.add_workspace(subscription_id, resource_group, workspace_name, mlflow_url)


def trust_double(monkeypatch: pytest.MonkeyPatch, double: AzureDouble) -> None:
    """Point the CA environment (preset on these machines to the system bundle, and winning
    over ``requests.Session.verify``) at certifi's roots plus the double's CA, for this test."""
    for name in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(name, double.ca_bundle_path)


def service_principal_env(
    monkeypatch: pytest.MonkeyPatch,
    double: AzureDouble,
    client_id: str = CLIENT_ID,
    secret: str = CLIENT_SECRET,
) -> None:
    """Register a service principal and set the ``AZURE_*`` variables EnvironmentCredential
    (and DefaultAzureCredential) read, with the double as authority and trusted CA."""
    double.register_client(client_id, secret)
    monkeypatch.setenv("AZURE_TENANT_ID", double.tenant_id)
    monkeypatch.setenv("AZURE_CLIENT_ID", client_id)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", secret)
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", double.authority_host)
    trust_double(monkeypatch, double)


def mlflow_env_for_front(monkeypatch: pytest.MonkeyPatch, double: AzureDouble, token: str) -> None:
    """Let MLflow's own client talk to the AML front: bearer ``token`` and the double's CA."""
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
    monkeypatch.setenv("MLFLOW_TRACKING_SERVER_CERT_PATH", double.ca_pem_path)


def arm_path(sub: str = SUBSCRIPTION, rg: str = RESOURCE_GROUP, ws: str = WORKSPACE) -> str:
    """A workspace's ARM resource path."""
    return (
        f"/subscriptions/{sub}/resourceGroups/{rg}"
        f"/providers/Microsoft.MachineLearningServices/workspaces/{ws}"
    )


def arm_get(
    double: AzureDouble, token: str | None, path: str | None = None, **params: str
) -> requests.Response:
    """GET a workspace (the default one) from the double's ARM, as a client would."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.get(
        double.arm_endpoint + (path or arm_path()),
        params={"api-version": API_VERSION, **params},
        headers=headers,
        verify=double.ca_pem_path,  # per request: REQUESTS_CA_BUNDLE wins over a session's
        timeout=10,
    )
