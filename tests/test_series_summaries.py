"""Series summaries beside a real MLflow sqlite store: same answers, kept current, never stale."""

from __future__ import annotations

import logging
import math
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from mlflow.entities import Metric

from jupyterlab_aml.metrics import history_response
from jupyterlab_aml.workspaces.local_history import load_points_sqlite
from jupyterlab_aml.workspaces.series_summaries import EXTEND_MIN_POINTS, SeriesSummaries
from jupyterlab_aml.workspaces.summary_upkeep import SummaryUpkeep

N = 6_000
SPIKE, DIP, NAN_AT = 1_234, 4_321, 5_000


def log_series(client, run_id: str, key: str, steps, first_value: float = 0.0) -> None:
    rng = np.random.default_rng(len(steps))
    values = first_value + rng.normal(size=len(steps)).cumsum()
    metrics = [
        Metric(key, float(v), 1_000 + int(s), int(s)) for s, v in zip(steps, values, strict=True)
    ]
    for start in range(0, len(metrics), 1_000):
        client.log_batch(run_id, metrics=metrics[start : start + 1_000])


@pytest.fixture
def logged(mlflow_server, mlflow_client, tmp_path) -> dict:
    """A run with a long stepped series (spike, dip, NaN planted), a short one, and one logged
    without steps; the summaries file is the test's own."""
    experiment_id = mlflow_client.create_experiment(f"summaries-{tmp_path.name}")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    log_series(mlflow_client, run_id, "loss", range(N))
    mlflow_client.log_batch(
        run_id,
        metrics=[
            Metric("loss", 1e6, 1, SPIKE + 10_000),  # past the series: a late spike
            Metric("loss", math.nan, 1, NAN_AT + 10_000),
        ],
    )
    mlflow_client.log_batch(run_id, metrics=[Metric("short", float(i), 1, i) for i in range(50)])
    flat = [Metric("flat", float(i), i, 0) for i in range(2_500)]  # all at step 0
    for start in range(0, len(flat), 1_000):
        mlflow_client.log_batch(run_id, metrics=flat[start : start + 1_000])
    db = Path(mlflow_server.backend_uri.removeprefix("sqlite:///"))
    return {"db": db, "run_id": run_id, "summaries": SeriesSummaries(db, tmp_path / "s.db")}


def full_answer(logged: dict, key: str, **request) -> dict:
    points = load_points_sqlite(logged["db"], logged["run_id"], key)
    return history_response(points, key=key, run_id=logged["run_id"], **request)


def same_statistics(body: dict, full: dict) -> None:
    for field in ("total_points", "min", "max", "last", "sampled"):
        assert body[field] == full[field], field


def test_index_summarizes_long_stepped_series_only_once(logged):
    summaries = logged["summaries"]
    assert summaries.index(logged["run_id"]) == 2  # loss, and flat as "cannot be split"
    assert summaries.index(logged["run_id"]) == 0  # both current
    run_id = logged["run_id"]
    assert summaries.sample(run_id, "short", max_points=20) is None  # too short to summarize
    assert summaries.sample(run_id, "flat", max_points=20) is None  # one step, 2,500 points


@pytest.mark.parametrize(
    "request_",
    [
        {"max_points": 400},
        {"max_points": 40},
        {"max_points": 400, "start_step": 1_000, "end_step": 4_500},  # ends inside blocks
        {"max_points": 400, "start_step": 4_000},
        {"max_points": 400, "start_step": 2_000, "end_step": 2_100},  # few enough to send all
        {"max_points": 400, "start_step": 9_000, "end_step": 9_999},  # no points there
        {"max_points": 400, "start_step": 2_000, "end_step": 1_000},  # a bad range
    ],
)
def test_summary_answers_like_every_point(logged, request_):
    logged["summaries"].index(logged["run_id"])
    if request_.get("end_step") == 1_000:
        with pytest.raises(Exception, match="start_step is after end_step"):
            logged["summaries"].sample(logged["run_id"], "loss", **request_)
        return
    body = logged["summaries"].sample(logged["run_id"], "loss", **request_)
    full = full_answer(logged, "loss", **request_)
    same_statistics(body, full)
    if not full["sampled"]:
        assert body["points"] == full["points"]
    else:
        assert len(body["points"]) <= request_["max_points"]
        steps = {p[0] for p in body["points"]}
        wanted = {full["min"]["step"], full["max"]["step"], full["last"]["step"]}
        assert wanted <= steps
    if request_.get("start_step", 0) <= SPIKE + 10_000 <= request_.get("end_step", 10**9):
        assert [SPIKE + 10_000, 1, 1e6] in body["points"]


def test_points_logged_after_the_summary_are_read_then_summarized(logged, mlflow_client):
    summaries, run_id = logged["summaries"], logged["run_id"]
    summaries.index(run_id)
    log_series(mlflow_client, run_id, "loss", range(20_000, 20_010), first_value=-1e3)
    body = summaries.sample(run_id, "loss", max_points=400)
    same_statistics(body, full_answer(logged, "loss", max_points=400))
    assert body["last"]["step"] == 20_009 and body["min"]["value"] < -900

    log_series(mlflow_client, run_id, "loss", range(30_000, 30_000 + EXTEND_MIN_POINTS + 5))
    body = summaries.sample(run_id, "loss", max_points=400)
    same_statistics(body, full_answer(logged, "loss", max_points=400))
    with sqlite3.connect(summaries.path) as own:
        points, last_step = own.execute(
            "SELECT points, last_step FROM series WHERE key='loss'"
        ).fetchone()
        parts = own.execute("SELECT count(*) FROM parts WHERE key='loss'").fetchone()[0]
    assert (points, last_step, parts) == (
        N + 2 + 10 + EXTEND_MIN_POINTS + 5,
        30_000 + EXTEND_MIN_POINTS + 4,
        2,
    )
    assert summaries.index(run_id) == 0  # the extended summary is current


def test_a_point_logged_at_an_old_step_retires_the_summary(logged, mlflow_client):
    summaries, run_id = logged["summaries"], logged["run_id"]
    summaries.index(run_id)
    mlflow_client.log_metric(run_id, "loss", -5e5, timestamp=7, step=2_500)
    assert summaries.sample(run_id, "loss", max_points=400) is None  # never a stale answer
    assert summaries.index(run_id) == 1
    body = summaries.sample(run_id, "loss", max_points=400)
    same_statistics(body, full_answer(logged, "loss", max_points=400))
    assert body["min"] == {"step": 2_500, "value": -5e5}


def test_a_summaries_file_of_another_layout_is_rebuilt(logged):
    summaries, run_id = logged["summaries"], logged["run_id"]
    with sqlite3.connect(summaries.path) as own:
        own.execute("CREATE TABLE series (something TEXT)")
        own.execute("PRAGMA user_version = 99")
    assert summaries.index(run_id) == 2
    same_statistics(
        summaries.sample(run_id, "loss", max_points=400),
        full_answer(logged, "loss", max_points=400),
    )


def test_refresh_writes_a_series_once_long_enough_then_appends_new_points(logged, mlflow_client):
    summaries, run_id = logged["summaries"], logged["run_id"]
    assert summaries.refresh(run_id, ["loss", "short", "flat"]) == 2  # loss; flat as unsplittable
    assert summaries.refresh(run_id, ["loss", "short", "flat"]) == 0  # nothing new
    log_series(mlflow_client, run_id, "loss", range(40_000, 40_000 + EXTEND_MIN_POINTS))
    assert summaries.refresh(run_id, ["loss"]) == 0  # appended, not rewritten
    with sqlite3.connect(summaries.path) as own:
        points, parts = own.execute(
            "SELECT points, (SELECT count(*) FROM parts WHERE key='loss') FROM series"
            " WHERE key='loss'"
        ).fetchone()
    assert (points, parts) == (N + 2 + EXTEND_MIN_POINTS, 2)
    same_statistics(
        summaries.sample(run_id, "loss", max_points=400),
        full_answer(logged, "loss", max_points=400),
    )


def test_an_unopenable_summaries_file_is_warned_about_once(logged, tmp_path, caplog):
    blocked = tmp_path / "blocked"
    blocked.mkdir()  # a directory where the file should be: sqlite cannot open it
    upkeep = SummaryUpkeep(SeriesSummaries(logged["db"], blocked))
    with caplog.at_level(logging.DEBUG, logger="jupyterlab_aml.workspaces.summary_upkeep"):
        for _ in range(3):
            assert upkeep.sample(logged["run_id"], "loss", max_points=100) is None
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert "unusable" in caplog.records[0].getMessage()
    assert upkeep.unsummarized([(logged["run_id"], "loss")]) == [(logged["run_id"], "loss")]


def test_a_history_read_whole_again_is_not_summarized_again(logged, mlflow_client):
    summaries, run_id = logged["summaries"], logged["run_id"]
    points = load_points_sqlite(logged["db"], run_id, "loss")
    assert summaries.summarize(run_id, "loss", points)
    assert not summaries.summarize(run_id, "loss", points)  # the summary says the same
    log_series(mlflow_client, run_id, "loss", range(50_000, 50_003))
    assert summaries.summarize(run_id, "loss", load_points_sqlite(logged["db"], run_id, "loss"))
