"""Experiments, runs, metric history, artifacts and compare against a real MLflow server."""

from __future__ import annotations

import json

import pytest

from .seed import seed_experiment


@pytest.fixture(scope="session")
def seeded(team_client):
    return seed_experiment(team_client)


async def test_experiments_lists_seeded_experiment(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    code, body = await aml_fetch("api", "workspaces", team_workspace, "experiments")
    assert code == 200
    names = {e["name"]: e for e in body["experiments"]}
    assert seeded["name"] in names
    assert names[seeded["name"]]["experiment_id"] == seeded["experiment_id"]


async def test_runs_paging_loses_and_repeats_nothing(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    seen, token = [], None
    while True:
        params = {"experiment_ids": seeded["experiment_id"], "max_results": "4"}
        if token:
            params["page_token"] = token
        code, body = await aml_fetch("api", "workspaces", team_workspace, "runs", params=params)
        assert code == 200
        assert len(body["runs"]) <= 4
        seen += [r["run_id"] for r in body["runs"]]
        token = body["next_page_token"]
        if not token:
            break
    assert len(seen) == len(set(seen)) == len(seeded["run_ids"]) + 1


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_runs_order_by_metric(aml_fetch, team_workspace, seeded, direction):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs",
        params={"experiment_ids": seeded["experiment_id"], "order_by": f"metrics.loss {direction}",
                "filter": "metrics.loss >= 0", "max_results": "100"},
    )  # fmt: skip
    assert code == 200
    losses = [r["metrics"]["loss"] for r in body["runs"]]
    assert len(losses) == len(seeded["run_ids"])
    assert losses == sorted(losses, reverse=direction == "DESC")


async def test_runs_filter_on_params_and_tags(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs",
        params={"experiment_ids": seeded["experiment_id"],
                "filter": "params.layers = '1' and tags.team = 'a'"},
    )  # fmt: skip
    assert code == 200
    assert body["runs"]
    assert all(r["params"]["layers"] == "1" and r["tags"]["team"] == "a" for r in body["runs"])


async def test_bad_filter_is_400_with_mlflow_message(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs",
        params={"experiment_ids": seeded["experiment_id"], "filter": "metrics.loss >>> 1"},
    )  # fmt: skip
    assert code == 400
    assert body["message"]


async def test_runs_without_experiment_ids_is_400(aml_fetch, team_workspace):
    team_workspace = await team_workspace()
    code, body = await aml_fetch("api", "workspaces", team_workspace, "runs")
    assert code == 400 and "experiment_ids" in body["message"]


async def test_run_and_unknown_ids_are_404(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    run_id = seeded["run_ids"][3]
    code, body = await aml_fetch("api", "workspaces", team_workspace, "runs", run_id)
    assert code == 200
    assert body["run_id"] == run_id and body["params"]["layers"] == "0"
    code, body = await aml_fetch("api", "workspaces", team_workspace, "runs", "0" * 32)
    assert code == 404
    code, body = await aml_fetch("api", "workspaces", "nope", "runs", run_id)
    assert code == 404 and "nope" in body["message"]


async def test_sampled_history_keeps_spike_dip_and_ends(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs", seeded["spiky"], "metrics", "wave",
        params={"max_points": "100"},
    )  # fmt: skip
    assert code == 200
    assert body["total_points"] == 5000 and body["sampled"] is True
    points = body["points"]
    assert len(points) <= 100
    steps = [p[0] for p in points]
    assert steps == sorted(steps)
    assert steps[0] == 0 and steps[-1] == 4999
    by_step = {p[0]: p[2] for p in points}
    assert by_step[1234] == 50.0  # a bucket maximum, though +Inf is the global one
    assert by_step[3210] == -40.0
    assert body["min"] == {"step": 3210, "value": -40.0}
    assert body["max"] == {"step": 4001, "value": "Infinity"}
    # NaN and Inf travel as null in points and never as NaN literals.
    assert 4001 in by_step and by_step[4001] is None


async def test_history_unknown_key_is_404(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs", seeded["spiky"], "metrics", "nope"
    )
    assert code == 404 and "nope" in body["message"]


@pytest.mark.parametrize("value", ["2", "abc", "1000001"])
async def test_history_bad_max_points_is_400(aml_fetch, team_workspace, seeded, value):
    team_workspace = await team_workspace()
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs", seeded["spiky"], "metrics", "wave",
        params={"max_points": value},
    )  # fmt: skip
    assert code == 400 and "max_points" in body["message"]


async def test_artifacts_list_and_stream_content(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    run = seeded["spiky"]
    code, body = await aml_fetch("api", "workspaces", team_workspace, "runs", run, "artifacts")
    assert code == 200
    assert {f["path"]: f["is_dir"] for f in body["files"]} == {
        "config.json": False,
        "notes": True,
    }
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "runs", run, "artifacts", params={"path": "notes"}
    )
    assert [f["path"] for f in body["files"]] == ["notes/readme.txt"]
    code, text = await aml_fetch(
        "api", "workspaces", team_workspace, "runs", run, "artifacts", "content",
        params={"path": "notes/readme.txt"},
    )  # fmt: skip
    assert (code, text) == (200, "hello artifacts")


@pytest.mark.parametrize(
    "path",
    [
        "../../etc/passwd",
        "notes/../../x",
        "/etc/passwd",
        "%2e%2e/%2e%2e/etc/passwd",
        "%252e%252e%252fetc",
        "..%2fx",
        "notes\\..\\..\\x",
        "C:/windows",
    ],
)
async def test_artifact_traversal_is_400(aml_fetch, team_workspace, seeded, path):
    team_workspace = await team_workspace()
    for route in (("artifacts",), ("artifacts", "content")):
        code, body = await aml_fetch(
            "api", "workspaces", team_workspace, "runs", seeded["spiky"], *route,
            params={"path": path},
        )  # fmt: skip
        assert code == 400, (route, path, body)


async def test_compare_returns_runs_and_series(aml_fetch, team_workspace, seeded):
    team_workspace = await team_workspace()
    run_ids = seeded["run_ids"][:3] + [seeded["spiky"]]
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "compare", method="POST",
        body={"run_ids": run_ids, "keys": None, "max_points": 50},
    )  # fmt: skip
    assert code == 200
    assert [r["run_id"] for r in body["runs"]] == run_ids
    assert set(body["series"]) == {"loss", "accuracy", "wave"}
    assert set(body["series"]["loss"]) == set(seeded["run_ids"][:3])
    wave = body["series"]["wave"][seeded["spiky"]]
    assert wave["total_points"] == 5000 and len(wave["points"]) <= 50
    assert body["missing"] == []
    json.dumps(body, allow_nan=False)


async def test_compare_keeps_the_runs_it_finds_and_names_the_missing(
    aml_fetch, team_workspace, seeded
):
    team_workspace = await team_workspace()
    unknown = "0" * 32
    run_ids = [seeded["run_ids"][0], unknown, seeded["run_ids"][1]]
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "compare", method="POST",
        body={"run_ids": run_ids, "keys": ["loss"], "max_points": 50},
    )  # fmt: skip
    assert code == 200
    assert [r["run_id"] for r in body["runs"]] == [run_ids[0], run_ids[2]]
    assert body["missing"] == [unknown]
    assert set(body["series"]["loss"]) == {run_ids[0], run_ids[2]}
    code, body = await aml_fetch(
        "api", "workspaces", team_workspace, "compare", method="POST",
        body={"run_ids": [unknown], "keys": None, "max_points": 50},
    )  # fmt: skip
    assert code == 404 and "none of the runs" in body["message"]


async def test_compare_rejects_bad_bodies(aml_fetch, team_workspace):
    team_workspace = await team_workspace()
    for body in ({"run_ids": []}, {"run_ids": "x"}, {"run_ids": ["a"], "max_points": "9"}):
        code, _ = await aml_fetch(
            "api", "workspaces", team_workspace, "compare", method="POST", body=body
        )
        assert code == 400, body
