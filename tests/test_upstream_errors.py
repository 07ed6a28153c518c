"""Upstream trouble maps to clear statuses: 504 on a slow server, 502 with its own message."""

from __future__ import annotations

import pytest

from .echo_server import EchoServer


@pytest.fixture
def upstream_timeout() -> float:
    return 1.0


@pytest.fixture
def echo():
    with EchoServer() as server:
        yield server


async def test_slow_tracking_server_is_504(aml_fetch, echo):
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "slow", "kind": "mlflow", "uri": echo.url}
    )
    assert code == 201
    echo.delay = 2.0
    code, body = await aml_fetch("api", "workspaces", "slow", "experiments")
    assert code == 504
    assert "did not answer in time" in body["message"]


async def test_upstream_error_is_502_with_its_status_and_message(aml_fetch, echo):
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "sick", "kind": "mlflow", "uri": echo.url}
    )
    assert code == 201
    echo.status = 500
    echo.error = {"error_code": "INTERNAL_ERROR", "message": "database is locked"}
    code, body = await aml_fetch("api", "workspaces", "sick", "experiments")
    assert code == 502
    assert "answered 500" in body["message"] and "database is locked" in body["message"]


async def test_unreachable_server_is_502_with_reason(aml_fetch):
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": "notmlflow", "kind": "mlflow", "uri": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert code == 201
    code, body = await aml_fetch("api", "workspaces", "notmlflow", "runs", "abc")
    assert code == 502
    assert "cannot reach" in body["message"]
