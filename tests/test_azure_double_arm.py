"""The loopback Azure double's ARM, as requests and aiohttp see it: the workspace and its
tracking URI, Azure's token errors, audiences per cloud, RBAC denial, not-found shapes, and
injected failures."""

from __future__ import annotations

import time

import aiohttp
import pytest
import requests

from .azure_double import AzureDouble
from .azure_double.fixtures import (
    API_VERSION,
    CLOUD_SCOPES,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    WORKSPACE,
    arm_get,
    arm_path,
)


@pytest.fixture
def double(azure_double: AzureDouble) -> AzureDouble:
    """The session's double, reset, with one workspace whose front forwards to the sqlite server."""
    return azure_double


def arm_error(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def test_arm_gives_the_workspace_and_its_tracking_uri(double):
    response = arm_get(double, double.mint("alice@contoso.com").token)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == arm_path()
    assert (body["name"], body["location"]) == (WORKSPACE, "eastus")
    assert body["type"] == "Microsoft.MachineLearningServices/workspaces"
    host = double.front_url.removeprefix("https://")
    assert body["properties"]["mlFlowTrackingUri"] == f"azureml://{host}/mlflow/v1.0{arm_path()}"
    assert body["properties"]["discoveryUrl"] == f"https://{host}/discovery"
    # ARM names are case-insensitive; the answer keeps the registered spelling.
    upper = arm_path(SUBSCRIPTION.upper(), RESOURCE_GROUP.upper(), WORKSPACE.upper())
    assert arm_get(double, double.mint().token, upper).json()["id"] == arm_path()


def test_arm_refuses_a_token_once_it_expires(double):
    token = double.mint(lifetime=1.0).token
    assert arm_get(double, token).status_code == 200
    time.sleep(1.1)
    response = arm_get(double, token)
    status, code, message = arm_error(response)
    assert (status, code) == (401, "ExpiredAuthenticationToken")
    assert "is earlier than current UTC time" in message
    assert response.headers["WWW-Authenticate"].startswith("Bearer authorization_uri=")
    assert (
        'error_description="The access token has expired."' in response.headers["WWW-Authenticate"]
    )


def test_arm_refuses_missing_unknown_and_revoked_tokens(double):
    assert arm_error(arm_get(double, None))[:2] == (401, "AuthenticationFailed")
    forged = double.mint().token.rsplit(".", 1)[0] + ".forged"
    assert arm_error(arm_get(double, forged))[:2] == (401, "InvalidAuthenticationToken")
    token = double.mint("carol@contoso.com", lifetime=60).token
    assert double.revoke("carol@contoso.com") == 1
    assert arm_error(arm_get(double, token))[:2] == (401, "InvalidAuthenticationToken")
    assert arm_get(double, double.mint("carol@contoso.com").token).status_code == 200
    assert double.stats["arm 401"] == 3


@pytest.mark.parametrize("cloud_scope", CLOUD_SCOPES)
def test_arm_accepts_only_its_clouds_audience(double, cloud_scope):
    double.scope = cloud_scope
    others = [s for s in CLOUD_SCOPES if s != cloud_scope]
    for other in others:
        status, code, message = arm_error(arm_get(double, double.mint(scope=other).token))
        assert (status, code) == (401, "InvalidAuthenticationTokenAudience")
        assert other.removesuffix("/.default") in message
    # A trailing slash names the same resource, as Entra treats it.
    slashed = cloud_scope.replace("/.default", "//.default")
    assert arm_get(double, double.mint(scope=slashed).token).status_code == 200


def test_arm_denial_is_authorization_failed_with_azures_message(double):
    double.deny(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, identity="alice@contoso.com")
    status, code, message = arm_error(arm_get(double, double.mint("alice@contoso.com").token))
    assert (status, code) == (403, "AuthorizationFailed")
    object_id = double.object_id("alice@contoso.com")
    assert message.startswith(
        f"The client 'alice@contoso.com' with object id '{object_id}' does not have "
        "authorization to perform action 'Microsoft.MachineLearningServices/workspaces/read' "
        f"over scope '{arm_path()}' or the scope is invalid."
    )
    assert arm_get(double, double.mint("bob@contoso.com").token).status_code == 200
    double.allow(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE, identity="alice@contoso.com")
    assert arm_get(double, double.mint("alice@contoso.com").token).status_code == 200


@pytest.mark.parametrize(
    ("path", "code", "says"),
    [
        (
            arm_path(sub="9999"),
            "SubscriptionNotFound",
            "The subscription '9999' could not be found.",
        ),
        (arm_path(rg="nope"), "ResourceGroupNotFound", "Resource group 'nope' could not be found."),
        (
            arm_path(ws="nope"),
            "ResourceNotFound",
            "Microsoft.MachineLearningServices/workspaces/nope",
        ),
    ],
)
def test_arm_not_found_shapes(double, path, code, says):
    status, got_code, message = arm_error(arm_get(double, double.mint().token, path))
    assert (status, got_code) == (404, code)
    assert says in message


def test_arm_needs_an_api_version(double):
    response = requests.get(
        double.arm_endpoint + arm_path(),
        headers={"Authorization": f"Bearer {double.mint().token}"},
        verify=double.ca_pem_path,
        timeout=10,
    )
    assert arm_error(response)[:2] == (400, "MissingApiVersionParameter")


def test_injected_arm_failure_comes_before_the_real_answer(double):
    double.fail_next("arm", 503)
    token = double.mint().token
    assert arm_get(double, token).status_code == 503
    assert arm_get(double, token).status_code == 200


async def test_double_serves_an_async_client_on_the_tests_loop(double):
    token = double.mint().token
    connector = aiohttp.TCPConnector(ssl=double.tls.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        url = double.arm_endpoint + arm_path()
        headers = {"Authorization": f"Bearer {token}"}
        async with session.get(url, params={"api-version": API_VERSION}, headers=headers) as got:
            assert got.status == 200
            assert (await got.json())["name"] == WORKSPACE
    # Without its CA the double is refused: it really speaks TLS with a CA of its own.
    async with aiohttp.ClientSession() as untrusting:
        with pytest.raises(aiohttp.ClientConnectorCertificateError):
            await untrusting.get(url)
