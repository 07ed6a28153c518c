"""Workspaces: list, add, remove, select, persistence, secrets, broken files, dead servers."""

from __future__ import annotations

import json
import stat

import pytest

from .servers import free_port


async def test_local_workspace_is_listed_and_active_by_default(aml_fetch):
    code, body = await aml_fetch("api", "workspaces")
    assert code == 200
    assert body["active"] == "local"
    assert body["config_error"] is None
    (local,) = body["workspaces"]
    assert local["name"] == "local" and local["kind"] == "local"
    assert local["state"] in ("starting", "ready")
    assert local["tracking_uri"].startswith("sqlite:///")


async def test_added_mlflow_workspace_keeps_its_secret_out_of_api_and_main_file(
    aml_fetch, team_server, aml_dirs
):
    code, body = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": "team", "kind": "mlflow", "uri": team_server.url, "token": "s3cret-tok"},
    )  # fmt: skip
    assert code == 201
    assert body["name"] == "team" and body["kind"] == "mlflow"
    assert "s3cret-tok" not in json.dumps(body)

    code, listing = await aml_fetch("api", "workspaces")
    assert [w["name"] for w in listing["workspaces"]] == ["local", "team"]
    assert "s3cret-tok" not in json.dumps(listing)

    main_file = aml_dirs["workspaces_file"]
    secrets_file = main_file.with_name("workspaces.secrets.json")
    assert "s3cret-tok" not in main_file.read_text()
    assert json.loads(secrets_file.read_text()) == {"team": {"token": "s3cret-tok"}}
    assert stat.S_IMODE(secrets_file.stat().st_mode) == 0o600


async def test_uri_userinfo_is_never_displayed(aml_fetch, team_server):
    uri = team_server.url.replace("http://", "http://bob:pw@")
    code, body = await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "t2", "kind": "mlflow", "uri": uri}
    )
    assert code == 201
    assert "pw" not in body["tracking_uri"] and "bob" not in body["tracking_uri"]


@pytest.mark.parametrize(
    "payload, status, fragment",
    [
        ({"name": "x", "kind": "nope", "uri": "http://h"}, 400, "kind must be one of"),
        ({"name": "../evil", "kind": "mlflow", "uri": "http://h"}, 400, "name must be"),
        ({"name": "x", "kind": "mlflow", "uri": "file:///etc"}, 400, "http(s) URL"),
        ({"name": "local", "kind": "mlflow", "uri": "http://h"}, 409, "reserved"),
        ({"name": "active", "kind": "mlflow", "uri": "http://h"}, 409, "reserved"),
        ([1, 2], 400, "JSON object"),
    ],
)
async def test_bad_workspace_requests_get_clear_messages(aml_fetch, payload, status, fragment):
    code, body = await aml_fetch("api", "workspaces", method="POST", body=payload)
    assert code == status
    assert fragment in body["message"]


async def test_malformed_json_is_400(aml_fetch):
    code, body = await aml_fetch("api", "workspaces", method="POST", body="{not json")
    assert code == 400
    assert "not valid JSON" in body["message"]


async def test_duplicate_name_is_409(aml_fetch, team_workspace, team_server):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": team_workspace, "kind": "mlflow", "uri": team_server.url},
    )  # fmt: skip
    assert code == 409
    assert "already exists" in body["message"]


async def test_set_active_persists_and_remove_falls_back_to_local(
    aml_fetch, team_workspace, aml_dirs
):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", "active", method="PUT", body={"name": team_workspace}
    )
    assert (code, body) == (200, {"active": team_workspace})
    assert json.loads(aml_dirs["workspaces_file"].read_text())["active"] == team_workspace

    code, _ = await aml_fetch("api", "workspaces", team_workspace, method="DELETE")
    assert code == 204
    code, listing = await aml_fetch("api", "workspaces")
    assert listing["active"] == "local"
    assert [w["name"] for w in listing["workspaces"]] == ["local"]


async def test_local_cannot_be_removed_and_unknown_is_404(aml_fetch):
    code, body = await aml_fetch("api", "workspaces", "local", method="DELETE")
    assert code == 400 and "cannot be removed" in body["message"]
    code, body = await aml_fetch("api", "workspaces", "ghost", method="DELETE")
    assert code == 404 and "ghost" in body["message"]
    code, body = await aml_fetch("api", "workspaces", "active", method="PUT", body={"name": "x"})
    assert code == 404


async def test_dead_tracking_server_shows_error_state_with_reason(aml_fetch, wait_for):
    dead = f"http://127.0.0.1:{free_port()}"
    code, _ = await aml_fetch(
        "api", "workspaces", method="POST", body={"name": "dead", "kind": "mlflow", "uri": dead}
    )
    assert code == 201

    async def dead_state():
        _, listing = await aml_fetch("api", "workspaces")
        (ws,) = [w for w in listing["workspaces"] if w["name"] == "dead"]
        return ws if ws["state"] == "error" else None

    ws = await wait_for(dead_state)
    assert "cannot reach" in ws["detail"] and dead in ws["detail"]
    code, body = await aml_fetch("api", "workspaces", "dead", "experiments")
    assert code == 502
    assert "cannot reach" in body["message"]
