"""The MLflow passthrough: real MLflow clients through it, credentials swapped, no open proxy."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .echo_server import EchoServer


@pytest.fixture
def passthrough_url(jp_fetch, jp_base_url, jp_http_port):
    """URL of the passthrough (jp_fetch makes sure the HTTP server listens)."""

    def url(ws: str, path: str = "") -> str:
        return f"http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/{ws}/{path}"

    return url


@pytest.fixture
def echo():
    with EchoServer() as server:
        yield server


async def test_team_client_logs_and_uploads_through_passthrough(
    aml_fetch, team_workspace, passthrough_url, jp_serverapp, team_client, monkeypatch
):
    ws = await team_workspace()
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", jp_serverapp.identity_provider.token)
    client = MlflowClient(tracking_uri=passthrough_url(ws).rstrip("/"))

    def log_from_a_notebook() -> str:
        experiment_id = client.create_experiment("through-passthrough")
        run = client.create_run(experiment_id)
        for step in range(5):
            client.log_metric(run.info.run_id, "loss", 1.0 / (step + 1), step=step)
        client.log_text(run.info.run_id, "x" * 300_000, "big/blob.txt")
        client.set_terminated(run.info.run_id)
        return run.info.run_id

    # The MLflow client is synchronous; the Jupyter server shares this test's event loop.
    run_id = await asyncio.to_thread(log_from_a_notebook)

    history = team_client.get_metric_history(run_id, "loss")
    assert [m.value for m in history] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    downloaded = await asyncio.to_thread(team_client.download_artifacts, run_id, "big/blob.txt")
    assert Path(downloaded).read_text() == "x" * 300_000


async def test_credentials_are_swapped_and_browser_headers_dropped(
    aml_fetch, passthrough_url, echo, jp_serverapp
):
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": "echo", "kind": "mlflow", "uri": echo.url, "token": "upstream-secret"},
    )  # fmt: skip
    assert code == 201
    token = jp_serverapp.identity_provider.token
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            passthrough_url("echo", "api/2.0/mlflow/runs/search?x=1"),
            method="POST",
            body=b'{"experiment_ids": ["0"]}',
            headers={
                "Authorization": f"token {token}",
                "Cookie": "_xsrf=abc; jupyter-session=zzz",
                "Origin": "http://evil.example",
            },
        )
    )
    seen = json.loads(response.body)
    assert seen["path"] == "/api/2.0/mlflow/runs/search?x=1"
    assert seen["headers"]["authorization"] == "Bearer upstream-secret"
    assert token not in json.dumps(seen)
    assert "cookie" not in seen["headers"] and "origin" not in seen["headers"]
    assert seen["headers"]["host"] == echo.url.removeprefix("http://")
    assert seen["body_size"] == len(b'{"experiment_ids": ["0"]}')
    assert "upstream=1" not in str(response.headers.get_list("Set-Cookie"))


async def test_unauthenticated_request_never_reaches_upstream(aml_fetch, passthrough_url, echo):
    await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "echo", "kind": "mlflow", "uri": echo.url}
    )
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            passthrough_url("echo", "api/2.0/mlflow/runs/create"),
            method="POST",
            body=b"x" * 100_000,
            headers={"Authorization": "token wrong"},
        ),
        raise_error=False,
    )
    assert response.code == 403
    assert not [r for r in echo.requests if "runs/create" in r["path"]]


@pytest.mark.parametrize(
    "path, status",
    [
        ("api/2.0/mlflow/../../admin", 400),
        ("api/2.0/mlflow/%2e%2e/%2e%2e/admin", 400),
        ("api/2.0/mlflow/%252e%252e/admin", 400),
    ],
)
async def test_passthrough_rejects_escapes(
    aml_fetch, passthrough_url, echo, jp_serverapp, path, status
):
    await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "echo", "kind": "mlflow", "uri": echo.url}
    )
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            passthrough_url("echo", path),
            headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"},
        ),
        raise_error=False,
    )
    assert response.code == status
    assert not [r for r in echo.requests if "admin" in r["path"]]


async def test_passthrough_only_reaches_configured_workspaces(passthrough_url, jp_serverapp):
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            passthrough_url("ghost", "api/2.0/mlflow/experiments/search"),
            headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"},
        ),
        raise_error=False,
    )
    assert response.code == 404
    assert "no workspace named" in json.loads(response.body)["message"]


async def test_dead_upstream_is_502_with_reason(aml_fetch, passthrough_url, jp_serverapp):
    from .servers import free_port

    dead = f"http://127.0.0.1:{free_port()}"
    await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "dead", "kind": "mlflow", "uri": dead}
    )
    response = await AsyncHTTPClient().fetch(
        HTTPRequest(
            passthrough_url("dead", "api/2.0/mlflow/experiments/search"),
            headers={"Authorization": f"token {jp_serverapp.identity_provider.token}"},
        ),
        raise_error=False,
    )
    assert response.code == 502
    assert "cannot reach workspace 'dead'" in json.loads(response.body)["message"]


async def test_remote_ui_pages_are_not_served_in_jupyters_origin(
    aml_fetch, passthrough_url, echo, jp_serverapp
):
    await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "echo", "kind": "mlflow", "uri": echo.url}
    )
    auth = {"Authorization": f"token {jp_serverapp.identity_provider.token}"}
    for page in ("", "static-files/static/js/main.js", "#/experiments/0"):
        response = await AsyncHTTPClient().fetch(
            HTTPRequest(passthrough_url("echo", page), headers=auth, follow_redirects=False),
            raise_error=False,
        )
        assert response.code in (302, 404), page
    assert not [r for r in echo.requests if "static-files" in r["path"] or r["path"] == "/"]
