"""The loopback Azure double enforces Azure's protocol, as seen by real clients only:
requests and aiohttp for ARM, azure-identity (MSAL) for the authority, MLflow's client for
the AML front, and a real `mlflow server` behind it."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator

import aiohttp
import pytest
import requests
from azure.core.credentials import AccessTokenInfo, SupportsTokenInfo, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AuthenticationRequiredError,
    ClientSecretCredential,
    DeviceCodeCredential,
    EnvironmentCredential,
)
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from .azure_double import (
    AsyncShortLivedCredential,
    AzureDouble,
    ShortLivedCredential,
    audience_of,
)
from .azure_double.fixtures import (
    API_VERSION,
    CLIENT_ID,
    CLIENT_SECRET,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    WORKSPACE,
    arm_get,
    arm_path,
    mlflow_env_for_front,
    running_double,
    service_principal_env,
    with_workspace,
)

CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
CLOUD_SCOPES = (
    "https://management.azure.com/.default",
    "https://management.chinacloudapi.cn/.default",
    "https://management.usgovcloudapi.net/.default",
)


@pytest.fixture(scope="module")
def double_server() -> Iterator[AzureDouble]:
    with running_double() as double:
        yield double


@pytest.fixture
def double(double_server: AzureDouble, mlflow_server) -> AzureDouble:
    with_workspace(double_server, mlflow_server.url)
    return double_server


def arm_error(response: requests.Response) -> tuple[int, str, str]:
    error = response.json()["error"]
    return response.status_code, error["code"], error["message"]


def service_principal(double: AzureDouble, secret: str) -> ClientSecretCredential:
    return ClientSecretCredential(
        double.tenant_id,
        CLIENT_ID,
        secret,
        authority=double.authority_host,
        disable_instance_discovery=True,  # else MSAL asks the public cloud about the authority
        connection_verify=double.ca_pem_path,
    )


def front_client(double: AzureDouble) -> MlflowClient:
    return MlflowClient(tracking_uri=double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE))


# ---- ARM ---------------------------------------------------------------------------------------
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


# ---- AML MLflow front --------------------------------------------------------------------------
def test_metric_logged_through_the_front_lands_in_the_real_server(
    double, monkeypatch, mlflow_client
):
    mlflow_env_for_front(monkeypatch, double, double.mint(lifetime=60).token)
    client = front_client(double)
    experiment_id = client.create_experiment(f"through-front-{time.time_ns()}")
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "loss", 0.25, step=3)
    history = mlflow_client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(3, 0.25)]
    assert client.get_run(run.info.run_id).data.metrics == {"loss": 0.25}
    assert double.stats["front api/2.0/mlflow/runs/log-metric"] == 1
    assert {r.identity for r in double.requests if r.role == "front"} == {"alice@contoso.com"}


def test_front_refuses_expired_missing_and_foreign_tokens(double, monkeypatch):
    mlflow_env_for_front(monkeypatch, double, double.mint(lifetime=-1).token)
    with pytest.raises(MlflowException, match="has expired") as expired:
        front_client(double).search_experiments()
    assert expired.value.error_code == "UNAUTHENTICATED"
    assert expired.value.get_http_status_code() == 401
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", double.mint(scope=CLOUD_SCOPES[1]).token)
    with pytest.raises(MlflowException, match="another audience"):
        front_client(double).search_experiments()
    url = double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    bare = requests.get(
        f"{url}/api/2.0/mlflow/experiments/search", verify=double.ca_pem_path, timeout=10
    )
    assert bare.status_code == 401
    assert bare.json()["error_code"] == "UNAUTHENTICATED"
    assert bare.headers["WWW-Authenticate"].startswith("Bearer ")
    assert double.stats["front 401"] == 3


def test_front_refuses_what_azure_ml_cannot_do(double, monkeypatch):
    mlflow_env_for_front(monkeypatch, double, double.mint(lifetime=60).token)
    client = front_client(double)
    experiment_id = client.create_experiment(f"gaps-{time.time_ns()}")
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.search_runs([experiment_id], order_by=["metrics.loss DESC"])
    with pytest.raises(MlflowException, match="INVALID_PARAMETER_VALUE"):
        client.search_runs([experiment_id], order_by=["params.`learning rate`"])
    with pytest.raises(MlflowException, match="OR operator"):
        client.search_runs([experiment_id], "params.a = '1' OR params.a = '2'")
    # What Azure ML does support goes through, an "or" inside a quoted value included.
    assert client.search_runs([experiment_id], "params.a = 'this or that'") == []
    assert client.search_runs([experiment_id], order_by=["attributes.start_time DESC"]) == []
    double.enforce_gaps = False
    assert client.search_runs([experiment_id], order_by=["metrics.loss DESC"]) == []


@pytest.mark.parametrize(
    "route",
    [
        "ajax-api/2.0/mlflow/runs/search",
        "api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=x&metric_key=loss",
        "",  # the MLflow UI
    ],
)
def test_front_has_no_mlflow_server_only_routes(double, route):
    url = f"{double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)}/{route}"
    headers = {"Authorization": f"Bearer {double.mint().token}"}
    got = requests.get(url, headers=headers, verify=double.ca_pem_path, timeout=10)
    assert (got.status_code, got.json()["error_code"]) == (404, "ENDPOINT_NOT_FOUND")


def test_front_denies_like_rbac_and_knows_only_its_workspaces(double):
    token = double.mint("alice@contoso.com").token
    headers = {"Authorization": f"Bearer {token}"}
    double.deny(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    base = double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    url = f"{base}/api/2.0/mlflow/experiments/search?max_results=1"
    denied = requests.get(url, headers=headers, verify=double.ca_pem_path, timeout=10)
    assert (denied.status_code, denied.json()["error_code"]) == (403, "PERMISSION_DENIED")
    elsewhere = url.replace(f"/workspaces/{WORKSPACE}/", "/workspaces/other/")
    missing = requests.get(elsewhere, headers=headers, verify=double.ca_pem_path, timeout=10)
    assert (missing.status_code, missing.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


# ---- the authority, with real azure-identity credentials ---------------------------------------
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


# ---- injected credentials ----------------------------------------------------------------------
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
