"""The live hub and the poller: push to subscribers, bounded outboxes, incremental polling."""

from __future__ import annotations

import asyncio
import json
import math
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import pytest
from mlflow.entities import Metric

from jupyterlab_aml.live import LiveHub
from jupyterlab_aml.live_connection import CLOSE_TOO_SLOW
from jupyterlab_aml.workspaces.context import WorkspaceContext
from jupyterlab_aml.workspaces.local import LocalWorkspace
from jupyterlab_aml.workspaces.registry import WorkspaceManager

from .servers import free_port

RUN = "a" * 32


class RecordingSink:
    """A socket that reads everything at once; ``gate`` cleared makes it stop reading."""

    def __init__(self):
        self.messages: list[dict] = []
        self.closed: tuple[int, str] | None = None
        self.gate = asyncio.Event()
        self.gate.set()
        self.sends = 0

    async def send(self, text: str) -> None:
        self.sends += 1
        await self.gate.wait()
        self.messages.append(json.loads(text))

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)

    def of_type(self, kind: str) -> list[dict]:
        return [m for m in self.messages if m["type"] == kind]

    def points(self, key: str) -> list[list]:
        return [p for m in self.of_type("metrics") for p in m["points"].get(key, [])]

    async def wait_for(self, predicate, timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out; got {self.messages}"
            await asyncio.sleep(0.02)


@asynccontextmanager
async def live_hub(tmp_path: Path, **options):
    """A hub over a real workspace manager (its embedded server is never started here)."""
    manager = WorkspaceManager(
        workspaces_file=str(tmp_path / "workspaces.json"),
        local_store_dir=str(tmp_path / "store"),
        context=WorkspaceContext(),
        local_autostart=False,
    )
    hub = LiveHub(manager, **options)
    try:
        yield hub
    finally:
        await hub.stop()
        await manager.stop()


async def connect(hub: LiveHub, *subscriptions: dict):
    sink = RecordingSink()
    connection = hub.connect(sink)
    for target in subscriptions:
        await connection.receive(json.dumps({"subscribe": target}))
    await sink.wait_for(lambda: len(sink.messages) >= len(subscriptions))
    return connection, sink


def batch(steps, key: str = "loss") -> dict[str, list[list]]:
    return {key: [[s, 1_000 + s, float(s)] for s in steps]}


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


@pytest.mark.asyncio
async def test_pushed_points_reach_the_subscriber_in_order(tmp_path):
    async with live_hub(tmp_path) as hub:
        hub.mark_pushed("local", RUN)
        _, sink = await connect(hub, {"workspace": "local", "run_id": RUN})
        hub.publish_metrics("local", RUN, batch([0, 1]))
        await settle()
        hub.publish_metrics("local", RUN, {"loss": [[2, 5, "NaN"], ["3", "6", math.inf]]})
        hub.publish_metrics("local", RUN, {"loss": [[4, 7, 0.5], ["bad"]], "acc": [[4, 7, 1]]})
        await sink.wait_for(lambda: len(sink.points("loss")) == 5)
        assert sink.messages[0] == {"type": "subscribed", "workspace": "local", "run_id": RUN}
        assert [p[0] for p in sink.points("loss")] == [0, 1, 2, 3, 4]
        assert sink.points("loss")[2:4] == [[2, 5, None], [3, 6, None]]
        assert sink.points("acc") == [[4, 7, 1.0]]
        assert hub.stats.upstream_reads == 0


@pytest.mark.asyncio
async def test_unsubscribe_stops_points_and_other_runs_get_nothing(tmp_path):
    async with live_hub(tmp_path) as hub:
        other = "b" * 32
        for run_id in (RUN, other):
            hub.mark_pushed("local", run_id)
        connection, watcher = await connect(hub, {"workspace": "local", "run_id": RUN})
        _, bystander = await connect(hub, {"workspace": "local", "run_id": other})
        hub.publish_metrics("local", RUN, batch([0]))
        await watcher.wait_for(lambda: watcher.points("loss"))
        await connection.receive(json.dumps({"unsubscribe": {"workspace": "local", "run_id": RUN}}))
        hub.publish_metrics("local", RUN, batch([1]))
        await settle()
        assert watcher.points("loss") == [[0, 1_000, 0.0]]
        assert watcher.messages[-1]["type"] == "unsubscribed"
        assert bystander.of_type("metrics") == []


@pytest.mark.asyncio
async def test_bad_messages_get_error_replies_and_the_connection_stays(tmp_path):
    async with live_hub(tmp_path) as hub:
        connection, sink = await connect(hub)
        bad = [
            "not json",
            b"\xff\xfe",
            "[1, 2]",
            json.dumps({"publish": {}}),
            json.dumps({"subscribe": "local"}),
            json.dumps({"subscribe": {"run_id": RUN}}),
            json.dumps({"subscribe": {"workspace": "local", "run_id": 7}}),
            json.dumps({"subscribe": {"workspace": "nope", "run_id": RUN}}),
        ]
        for message in bad:
            await connection.receive(message)
        await sink.wait_for(lambda: len(sink.messages) == len(bad))
        assert [m["type"] for m in sink.messages] == ["error"] * len(bad)
        assert "nope" in sink.messages[-1]["message"]
        assert sink.messages[-1]["workspace"] == "nope"
        assert not connection.closed and sink.closed is None


@pytest.mark.asyncio
async def test_slow_subscriber_is_coalesced_then_closed_without_stalling_publish(tmp_path):
    async with live_hub(tmp_path, max_pending=1_000, max_key_pending=100) as hub:
        hub.mark_pushed("local", RUN)
        target = {"workspace": "local", "run_id": RUN}
        _, fast = await connect(hub, target)
        slow_connection, slow = await connect(hub, target)
        slow.gate.clear()  # stops reading: the next send never completes
        for start in range(0, 500, 10):
            points = batch(range(start, start + 10))
            if start == 250:
                points["loss"][3][2] = 1e9  # a spike that thinning must keep
            hub.publish_metrics("local", RUN, points)
            await settle()
            # Publishing only merged into the outbox: one key never holds more than its cap.
            assert slow_connection.pending <= 100
        assert slow.sends == 2  # the ack, then one message in flight and no more
        assert [p[0] for p in fast.points("loss")] == list(range(500))

        slow.gate.set()  # reads again: the batch in flight, then one coalesced, thinned message
        await slow.wait_for(lambda: len(slow.of_type("metrics")) == 2)
        in_flight, message = slow.of_type("metrics")
        assert [p[0] for p in in_flight["points"]["loss"]] == list(range(10))
        steps = [p[0] for p in message["points"]["loss"]]
        assert len(steps) <= 100 and steps[-1] == 499 and 253 in steps
        assert message["sampled"] == ["loss"]

        slow.gate.clear()
        await settle()
        # The first 600 points go in flight, the next 1,200 wait: more than 1,000.
        for keys in (range(10), range(10, 20), range(20, 30)):
            hub.publish_metrics("local", RUN, {f"key{i}": batch(range(60))["loss"] for i in keys})
            await settle()
        assert slow.closed is not None and slow.closed[0] == CLOSE_TOO_SLOW
        assert "fell behind" in slow.closed[1]
        assert slow_connection.closed and slow_connection.pending == 0
        assert hub.stats.closed_too_slow == 1
        await fast.wait_for(lambda: len(fast.points("key29")) == 60)
        assert fast.closed is None


@pytest.mark.asyncio
async def test_pushed_runs_are_never_polled(tmp_path):
    async with live_hub(tmp_path, poll_interval=0.01) as hub:
        hub.publish_metrics("local", RUN, batch([0]))  # marks it pushed, though nobody watches
        _, sink = await connect(hub, {"workspace": "local", "run_id": RUN})
        for step in range(1, 20):
            hub.publish_metrics("local", RUN, batch([step]))
            await asyncio.sleep(0.005)
        await sink.wait_for(lambda: len(sink.points("loss")) == 19)
        assert not hub.is_polling("local", RUN)
        assert hub.stats.upstream_reads == 0


@pytest.mark.asyncio
async def test_workspace_subscribers_hear_of_new_runs(tmp_path):
    async with live_hub(tmp_path) as hub:
        _, sink = await connect(hub, {"workspace": "local"})
        hub.publish_run("local", {"run_id": RUN, "status": "RUNNING"})
        hub.publish_run("other", {"run_id": RUN, "status": "RUNNING"})
        hub.publish_metrics("local", RUN, batch([0]))
        await sink.wait_for(lambda: sink.of_type("run"))
        await settle()
        assert sink.of_type("run") == [
            {"type": "run", "workspace": "local", "run": {"run_id": RUN, "status": "RUNNING"}}
        ]
        assert sink.of_type("metrics") == []


# ---- polling runs logged straight to a tracking server -------------------------------------------
@pytest.fixture
def remote_run(mlflow_client):
    """A RUNNING run logged directly to the MLflow server, as a remote job would."""
    experiment_id = mlflow_client.create_experiment(f"live-{uuid.uuid4().hex}")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    mlflow_client.log_batch(
        run_id, metrics=[Metric("loss", float(s), 1_000 + s, s) for s in range(5)]
    )
    return run_id


async def add_server(hub: LiveHub, uri: str, name: str = "team") -> None:
    await hub.workspaces.add({"name": name, "kind": "mlflow", "uri": uri})


@pytest.mark.asyncio
async def test_polling_sends_only_points_logged_after_subscribing(
    tmp_path, mlflow_server, mlflow_client, remote_run
):
    async with live_hub(tmp_path, poll_interval=0.1) as hub:
        await add_server(hub, mlflow_server.url)
        _, sink = await connect(hub, {"workspace": "team", "run_id": remote_run})
        assert sink.messages[0]["type"] == "subscribed" and hub.is_polling("team", remote_run)
        mlflow_client.log_batch(
            remote_run,
            metrics=[Metric("loss", float(s), 2_000 + s, s) for s in (5, 6, 7)]
            + [Metric("acc", math.nan, 2_000, 0)],
        )
        await sink.wait_for(lambda: len(sink.points("loss")) == 3 and sink.points("acc"))
        mlflow_client.log_metric(remote_run, "loss", 8.0, timestamp=3_000, step=8)
        await sink.wait_for(lambda: len(sink.points("loss")) == 4)
        await asyncio.sleep(0.3)  # a few more polls: nothing is sent twice
        assert sink.points("loss") == [[s, 2_000 + s, float(s)] for s in (5, 6, 7)] + [
            [8, 3_000, 8.0]
        ]
        assert sink.points("acc") == [[0, 2_000, None]]


@pytest.mark.asyncio
async def test_a_run_finishing_is_announced_and_polling_stops(
    tmp_path, mlflow_server, mlflow_client, remote_run
):
    async with live_hub(tmp_path, poll_interval=0.1) as hub:
        await add_server(hub, mlflow_server.url)
        _, sink = await connect(hub, {"workspace": "team", "run_id": remote_run})
        mlflow_client.log_metric(remote_run, "loss", 9.0, timestamp=4_000, step=9)
        mlflow_client.set_terminated(remote_run)
        await sink.wait_for(lambda: sink.of_type("run"))
        (message,) = sink.of_type("run")
        assert message["run"]["status"] == "FINISHED" and message["workspace"] == "team"
        assert sink.messages.index(message) > sink.messages.index(sink.of_type("metrics")[-1])
        assert sink.points("loss") == [[9, 4_000, 9.0]]
        await settle()
        assert not hub.is_polling("team", remote_run)
        reads = hub.stats.upstream_reads
        await asyncio.sleep(0.4)
        assert hub.stats.upstream_reads == reads

        # Subscribing to a finished run settles its status with one read, and polls no more.
        _, late = await connect(hub, {"workspace": "team", "run_id": remote_run})
        await late.wait_for(lambda: late.of_type("run"))
        assert late.of_type("run")[0]["run"]["status"] == "FINISHED"
        assert hub.stats.upstream_reads == reads + 1
        assert not hub.is_polling("team", remote_run)


@pytest.mark.asyncio
async def test_marking_a_polled_run_pushed_stops_polling(tmp_path, mlflow_server, remote_run):
    async with live_hub(tmp_path, poll_interval=0.05) as hub:
        await add_server(hub, mlflow_server.url)
        await connect(hub, {"workspace": "team", "run_id": remote_run})
        assert hub.is_polling("team", remote_run)
        hub.mark_pushed("team", remote_run)
        await settle()
        reads = hub.stats.upstream_reads
        await asyncio.sleep(0.3)
        assert not hub.is_polling("team", remote_run) and hub.stats.upstream_reads == reads


@pytest.mark.asyncio
async def test_polling_backs_off_while_the_server_is_down(tmp_path):
    async with live_hub(tmp_path, poll_interval=0.05) as hub:
        await add_server(hub, f"http://127.0.0.1:{free_port()}", name="down")
        _, sink = await connect(hub, {"workspace": "down", "run_id": RUN})
        assert sink.messages[0]["type"] == "subscribed"  # acknowledged although unreadable
        await asyncio.sleep(1.0)
        # Without backoff 20 reads; with it 0, 0.1, 0.3, 0.7 s.
        assert 2 <= hub.stats.upstream_reads <= 6
        assert hub.is_polling("down", RUN)


# ---- incremental reads -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def long_run(mlflow_client) -> str:
    """3,000 steps, a NaN, and a step-less metric whose points all sit at step 0."""
    experiment_id = mlflow_client.create_experiment(f"live-reads-{uuid.uuid4().hex}")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    metrics = [Metric("loss", float(s), 10_000 + s, s) for s in range(3_000)]
    metrics[2_990] = Metric("loss", math.nan, 12_990, 2_990)
    metrics += [Metric("flat", float(i), 20_000 + i, 0) for i in range(30)]
    for start in range(0, len(metrics), 1_000):
        mlflow_client.log_batch(run_id, metrics=metrics[start : start + 1_000])
    return run_id


def marks(points) -> list[tuple[int, int]]:
    return list(zip(points.steps.tolist(), points.timestamps.tolist(), strict=True))


@pytest.mark.parametrize(
    ("key", "after_step", "after_timestamp"),
    [("loss", 2_980, None), ("loss", 10, 10_010), ("loss", None, None), ("flat", 0, 20_025)],
)
@pytest.mark.asyncio
async def test_incremental_reads_hold_every_point_after_the_mark(
    tmp_path, mlflow_server, long_run, key, after_step, after_timestamp
):
    """Local (sqlite range), mlflow (step-range route or get-history) agree with full history."""
    async with live_hub(tmp_path) as hub:
        await add_server(hub, mlflow_server.url)
        remote = hub.workspaces.get("team")
        local = LocalWorkspace("local", store_dir=str(mlflow_server.root), autostart=False)
        full = await remote.load_history(long_run, key)
        mark = (
            -1 if after_step is None else after_step,
            -1 if after_timestamp is None else after_timestamp,
        )
        expected = [p for p in marks(full) if p >= mark]
        for workspace in (local, remote):
            points = await workspace.metric_points_after(long_run, key, after_step, after_timestamp)
            assert [p for p in marks(points) if p >= mark] == expected, workspace.kind
            if key == "loss" and after_step == 2_980:
                assert np.isnan(points.values[points.steps == 2_990]).all()
        assert remote._step_range_route_works
