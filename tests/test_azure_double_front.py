"""The loopback Azure double's AML MLflow front, as MLflow's own client sees it: it forwards
to a real `mlflow server`, checks tokens, refuses what Azure ML's endpoint cannot do, has no
MLflow-server-only routes, and denies like RBAC."""

from __future__ import annotations

import time

import pytest
import requests
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from .azure_double import AzureDouble
from .azure_double.fixtures import (
    CLOUD_SCOPES,
    RESOURCE_GROUP,
    SUBSCRIPTION,
    WORKSPACE,
    mlflow_env_for_front,
)


@pytest.fixture
def double(azure_double: AzureDouble) -> AzureDouble:
    """The session's double, reset, with one workspace whose front forwards to the sqlite server."""
    return azure_double


def front_client(double: AzureDouble) -> MlflowClient:
    return MlflowClient(tracking_uri=double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE))


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
