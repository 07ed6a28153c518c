"""A broken or unreadable workspaces file: clear error, server up, user's file untouched."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def broken_file(aml_dirs):
    """Written before the server starts (listed before aml_fetch in each test)."""
    path = aml_dirs["workspaces_file"]
    path.parent.mkdir(parents=True)
    path.write_text('{"workspaces": [ {"name": "team", ')
    return path


async def test_corrupt_file_reports_config_error_and_keeps_local(broken_file, aml_fetch):
    code, body = await aml_fetch("api", "workspaces")
    assert code == 200
    assert "not valid JSON" in body["config_error"]
    assert str(broken_file) in body["config_error"]
    assert [w["name"] for w in body["workspaces"]] == ["local"]


async def test_corrupt_file_is_never_overwritten(broken_file, aml_fetch, team_server):
    before = broken_file.read_text()
    code, body = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": "team", "kind": "mlflow", "uri": team_server.url},
    )  # fmt: skip
    assert code == 409
    assert "Fix or remove the file" in body["message"]
    code, _ = await aml_fetch("api", "workspaces", "active", method="PUT", body={"name": "local"})
    assert code == 409
    assert broken_file.read_text() == before


@pytest.fixture
def saved_file(aml_dirs, team_server):
    path = aml_dirs["workspaces_file"]
    path.parent.mkdir(parents=True)
    path.write_text(
        json.dumps(
            {
                "active": "team",
                "workspaces": [{"name": "team", "kind": "mlflow", "uri": team_server.url}],
            }
        )
    )
    return path


async def test_saved_workspaces_are_loaded_at_start(saved_file, aml_fetch):
    code, body = await aml_fetch("api", "workspaces")
    assert code == 200
    assert body["active"] == "team"
    assert [w["name"] for w in body["workspaces"]] == ["local", "team"]


@pytest.fixture
def wrong_shape_file(aml_dirs):
    path = aml_dirs["workspaces_file"]
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"workspaces": {"team": {}}}))
    return path


async def test_wrong_shape_is_a_config_error(wrong_shape_file, aml_fetch):
    _, body = await aml_fetch("api", "workspaces")
    assert "'workspaces' must be a list" in body["config_error"]
