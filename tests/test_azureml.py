"""azureml workspaces against the loopback Azure double, with injected short-lived credentials.

The double's ARM, authority and AML front are https with their own CA; its front checks every
bearer token (and its expiry and audience) and forwards to a real MLflow server. Tokens last 3 s
here, so refreshes really happen while the tests run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time

import pytest
from mlflow.tracking import MlflowClient

from .azure_double import ShortLivedCredential
from .azure_double.fixtures import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE
from .azureml_helpers import add_azureml, azureml_body, wait_state
from .kernel_helpers import run_cell, start_notebook_kernel
from .test_local_runs import seed

IDENTITY = "alice@contoso.com"


class RecordingCredential(ShortLivedCredential):
    """Keeps every token it hands out, so tests can look for leaks."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.issued: list[str] = []

    def get_token_info(self, *scopes, options=None):
        info = super().get_token_info(*scopes, options=options)
        self.issued.append(info.token)
        return info


@pytest.fixture
def credential(azure_double) -> RecordingCredential:
    return RecordingCredential(azure_double, IDENTITY, lifetime=3.0)


@pytest.fixture
def aml_settings(azure_double, credential) -> dict:
    return {"credential_factory": lambda spec: credential, "ca_bundle": azure_double.ca_pem_path}


async def test_discovery_makes_the_workspace_ready_and_shows_who_signed_in(
    aml_fetch, wait_for, azure_double, credential
):
    info = await add_azureml(aml_fetch, wait_for, azure_double)
    assert info["identity"] == IDENTITY
    assert time.time() < info["token_expires_on"] <= time.time() + 3.5
    assert info["tracking_uri"].startswith(f"azureml://127.0.0.1:{azure_double.ports['front']}/")
    assert info["workspace_name"] == "ws-double" and info["credential"] == "default"
    assert {s for s in credential.scopes} == {(azure_double.scope,)}
    code, body = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 200
    assert "Default" in [e["name"] for e in body["experiments"]]
    assert azure_double.stats["arm 200"] == 1


async def test_runs_are_ordered_by_metrics_params_and_tags_which_azure_cannot(
    aml_fetch, wait_for, azure_double, mlflow_server, mlflow_client
):
    await add_azureml(aml_fetch, wait_for, azure_double)
    experiment_id = seed(mlflow_client, f"ordering-azure-{time.monotonic_ns()}")
    for order_by in (["metrics.loss DESC"], ["tags.team ASC", "params.lr DESC"]):
        expected = mlflow_client.search_runs([experiment_id], order_by=order_by, max_results=100)
        seen, token = [], None
        while True:  # pages of 5, as the sidebar pages
            params = [("experiment_ids", experiment_id), ("max_results", "5")]
            params += [("order_by", clause) for clause in order_by]
            if token:
                params.append(("page_token", token))
            code, body = await aml_fetch("api", "workspaces", "aml", "runs", params=params)
            assert code == 200, body
            seen += [r["run_id"] for r in body["runs"]]
            token = body["next_page_token"]
            if not token:
                break
        assert seen == [r.info.run_id for r in expected]
    # Ordering never reached Azure's endpoint, which refuses it.
    assert azure_double.stats["front 400"] == 0


async def test_concurrent_requests_share_one_refresh(aml_fetch, wait_for, azure_double, credential):
    await add_azureml(aml_fetch, wait_for, azure_double)
    credential.delay = 0.5
    await asyncio.sleep(3.2)  # the token has expired
    before = credential.calls
    results = await asyncio.gather(
        *(aml_fetch("api", "workspaces", "aml", "experiments") for _ in range(12))
    )
    assert [code for code, _ in results] == [200] * 12
    assert credential.calls == before + 1


async def test_upstream_401_forces_one_refresh_and_one_resend(
    aml_fetch, wait_for, azure_double, credential, caplog
):
    caplog.set_level(logging.DEBUG)
    await add_azureml(aml_fetch, wait_for, azure_double)
    azure_double.reset_stats()
    azure_double.revoke(IDENTITY)  # tokens already handed out stop working; new ones are fine
    code, body = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 200, body

    # The double counts a request after answering it: wait for the second answer's count.
    async def counted():
        return azure_double.stats["front 200"] >= 1

    await wait_for(counted, timeout=5)
    assert azure_double.stats["front 401"] == 1
    assert azure_double.stats["front 200"] == 1
    # Everything the server logged (debug included) holds no token.
    assert len(credential.issued) >= 2
    assert caplog.text and not any(token in caplog.text for token in credential.issued)


async def test_kernel_logs_across_many_token_lifetimes_without_losing_a_point(
    aml_fetch, wait_for, azure_double, credential, jp_serverapp, mlflow_client, notebook_dir
):
    await add_azureml(aml_fetch, wait_for, azure_double)
    assert (await aml_fetch("api", "workspaces", "active", method="PUT", body={"name": "aml"}))[
        0
    ] == 200
    session = await start_notebook_kernel(aml_fetch, "work/azure.ipynb")
    kernel_id = session["kernel"]["id"]
    code = (
        "import mlflow, time, os\n"
        "mlflow.set_experiment('azure-long')\n"
        "with mlflow.start_run() as run:\n"
        "    for step in range(120):\n"
        "        mlflow.log_metric('loss', 1 / (step + 1), step=step)\n"
        "        time.sleep(0.1)\n"
        "print('RUN', run.info.run_id, 'ENV', sorted(k for k in os.environ if 'AZURE' in k))\n"
    )
    calls_before = credential.calls
    output = await run_cell(jp_serverapp, kernel_id, code, timeout=180)
    assert output["status"] == "ok", output
    run_id = output["stdout"].split("RUN ", 1)[1].split()[0]
    history = mlflow_client.get_metric_history(run_id, "loss")
    assert sorted(m.step for m in history) == list(range(120))
    # 12+ s of logging with 3 s tokens: renewed several times, never handed to the kernel.
    assert credential.calls - calls_before >= 3
    run = mlflow_client.get_run(run_id)
    assert run.data.tags["mlflow.source.name"] == "work/azure.ipynb"
    env_output = await run_cell(
        jp_serverapp, kernel_id, "import json, os; print(json.dumps(dict(os.environ)))"
    )
    kernel_env = env_output["stdout"]
    assert "MLFLOW_TRACKING_TOKEN" in kernel_env
    assert not any(token in kernel_env for token in credential.issued)
    assert "ENV []" in output["stdout"]
    # Nor do tokens reach the browser-facing API.
    _, listing = await aml_fetch("api", "workspaces")
    _, run_json = await aml_fetch("api", "workspaces", "aml", "runs", run_id)
    api_text = json.dumps(listing) + json.dumps(run_json)
    assert not any(token in api_text for token in credential.issued)


async def test_revoked_credential_is_signed_out_and_nothing_is_lost_after_signing_in(
    aml_fetch, wait_for, azure_double, credential, jp_serverapp, jp_base_url, jp_http_port,
    mlflow_client, monkeypatch,
):  # fmt: skip
    await add_azureml(aml_fetch, wait_for, azure_double)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jp_serverapp.identity_provider.token)
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/aml"
    client = MlflowClient(tracking_uri=url)
    experiment_id = await asyncio.to_thread(client.create_experiment, f"revoked-{time.time_ns()}")
    run_id = (await asyncio.to_thread(client.create_run, experiment_id)).info.run_id

    credential.revoke()  # signed out: tokens dead, no new ones
    errors: list[BaseException] = []

    def log_points() -> None:
        try:
            for step in range(5):
                client.log_metric(run_id, "acc", step / 10, step=step)
        except BaseException as err:  # noqa: BLE001 - reported by the assert below
            errors.append(err)

    logger = threading.Thread(target=log_points)
    logger.start()
    info = await wait_state(aml_fetch, wait_for, "signed_out")
    assert "AADSTS50173" in info["detail"]
    assert "Sign in" in info["detail"]
    assert info["identity"] is None
    code, body = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 503 and "signed out" in body["message"]

    credential.restore()
    code, body = await aml_fetch("api", "workspaces", "aml", "sign-in", method="POST")
    assert code == 202 and body["user_code"] is None
    await wait_state(aml_fetch, wait_for, "ready")
    await asyncio.to_thread(logger.join, 120)
    assert not logger.is_alive() and errors == []
    history = mlflow_client.get_metric_history(run_id, "acc")
    assert sorted(m.step for m in history) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("deny", "AuthorizationFailed"),
        ("workspace", "ResourceNotFound"),
        ("subscription", "SubscriptionNotFound"),
    ],
)
async def test_arm_failures_are_clear_in_the_workspace_state(
    aml_fetch, wait_for, azure_double, change, expected
):
    fields = {}
    if change == "deny":
        azure_double.deny(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE)
    elif change == "workspace":
        fields["workspace_name"] = "no-such-workspace"
    else:
        fields["subscription_id"] = "00000000-0000-0000-0000-000000000000"
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST",
        body=azureml_body(azure_double, **fields),
    )  # fmt: skip
    assert code == 201
    info = await wait_state(aml_fetch, wait_for, "error")
    assert expected in info["detail"]
    if change == "deny":
        assert "no access to workspace 'ws-double'" in info["detail"]
    else:
        assert "was not found" in info["detail"]
    code, body = await aml_fetch("api", "workspaces", "aml", "experiments")
    assert code == 503 and expected in body["message"]


@pytest.mark.parametrize(
    ("cloud", "scope"),
    [
        ("AzureCloud", "https://management.azure.com/.default"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn/.default"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net/.default"),
    ],
)
async def test_each_cloud_asks_for_its_own_scope(
    aml_fetch, wait_for, azure_double, credential, cloud, scope
):
    azure_double.scope = scope  # the double plays that cloud: only its audience is accepted
    info = await add_azureml(aml_fetch, wait_for, azure_double, cloud=cloud)
    assert info["cloud"] == cloud
    assert set(credential.scopes) == {(scope,)}
    assert (await aml_fetch("api", "workspaces", "aml", "experiments"))[0] == 200
