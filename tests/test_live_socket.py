"""``aml/api/live`` through a real Jupyter server and a real websocket client."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from jupyterlab_aml.live import LiveHub
from jupyterlab_aml.live_connection import CLOSE_TOO_SLOW
from jupyterlab_aml.live_socket import LIVE_PATH

RUN, OTHER = "c" * 32, "d" * 32


@pytest.fixture
def live(jp_serverapp, jp_ws_fetch) -> LiveHub:
    """The server's hub."""
    return jp_serverapp.web_app.settings["jupyterlab_aml"]["live"]


@pytest.fixture
def open_socket(live, jp_ws_fetch):
    """Connect and subscribe; replies are returned decoded."""

    async def open_(*subscriptions: dict):
        socket = await jp_ws_fetch(*LIVE_PATH.split("/"))
        for target in subscriptions:
            await send(socket, {"subscribe": target})
            reply = await receive(socket)
            assert reply["type"] == "subscribed", reply
        return socket

    return open_


async def send(socket, message) -> None:
    await socket.write_message(message if isinstance(message, str) else json.dumps(message))


async def receive(socket, timeout: float = 10.0) -> dict | None:
    text = await asyncio.wait_for(socket.read_message(), timeout)
    return None if text is None else json.loads(text)


async def test_pushed_points_reach_a_subscribed_socket_in_order(live, open_socket):
    live.mark_pushed("local", RUN)
    socket = await open_socket({"workspace": "local", "run_id": RUN})
    for step in range(3):
        live.publish_metrics("local", RUN, {"loss": [[step, 1_000 + step, 1.0 / (step + 1)]]})
        await asyncio.sleep(0.01)
    live.publish_metrics("local", RUN, {"loss": [[3, 1_003, float("nan")]]})
    points = []
    while len(points) < 4:
        message = await receive(socket)
        assert message["type"] == "metrics" and message["run_id"] == RUN
        points += message["points"]["loss"]
    assert points == [[0, 1_000, 1.0], [1, 1_001, 0.5], [2, 1_002, 1 / 3], [3, 1_003, None]]
    socket.close()


async def test_unsubscribe_stops_points_and_other_runs_get_nothing(live, open_socket):
    live.mark_pushed("local", RUN)
    live.mark_pushed("local", OTHER)
    watcher = await open_socket({"workspace": "local", "run_id": RUN})
    bystander = await open_socket({"workspace": "local", "run_id": OTHER})
    live.publish_metrics("local", RUN, {"loss": [[0, 0, 0.0]]})
    assert (await receive(watcher))["points"] == {"loss": [[0, 0, 0.0]]}
    await send(watcher, {"unsubscribe": {"workspace": "local", "run_id": RUN}})
    assert (await receive(watcher))["type"] == "unsubscribed"
    live.publish_metrics("local", RUN, {"loss": [[1, 1, 1.0]]})
    live.publish_metrics("local", OTHER, {"acc": [[0, 0, 1.0]]})
    assert (await receive(bystander))["points"] == {"acc": [[0, 0, 1.0]]}
    # The watcher's next message answers a new request: nothing of RUN came in between.
    await send(watcher, {"subscribe": {"workspace": "local"}})
    assert (await receive(watcher))["type"] == "subscribed"
    watcher.close()
    bystander.close()


async def test_bad_messages_get_errors_and_the_socket_stays_open(live, open_socket):
    socket = await open_socket()
    for bad in ["{", '"subscribe"', {"subscribe": {"workspace": "local", "run_id": ["x"]}}]:
        await send(socket, bad)
        reply = await receive(socket)
        assert reply["type"] == "error" and reply["message"]
    await send(socket, {"subscribe": {"workspace": "no-such-workspace", "run_id": RUN}})
    reply = await receive(socket)
    assert reply["type"] == "error" and reply["workspace"] == "no-such-workspace"
    live.mark_pushed("local", RUN)
    await send(socket, {"subscribe": {"workspace": "local", "run_id": RUN}})
    assert (await receive(socket))["type"] == "subscribed"
    socket.close()


@pytest.mark.parametrize("credentials", [None, "token not-the-token"])
async def test_unauthenticated_sockets_are_refused(live, jp_http_port, jp_base_url, credentials):
    url = f"ws://127.0.0.1:{jp_http_port}{jp_base_url}{LIVE_PATH}"
    headers = {"Authorization": credentials} if credentials else {}
    with pytest.raises(HTTPClientError) as refused:
        await websocket_connect(HTTPRequest(url, headers=headers))
    assert refused.value.code == 403


async def test_a_socket_that_stops_reading_is_closed_without_stalling_publish(
    live, jp_serverapp, jp_ws_fetch, monkeypatch
):
    # Ten keys of at most 500 pending points each can exceed 2,000: coalescing alone won't do.
    hub = LiveHub(live.workspaces, max_pending=2_000, max_key_pending=500)
    monkeypatch.setitem(jp_serverapp.web_app.settings["jupyterlab_aml"], "live", hub)
    hub.mark_pushed("local", RUN)
    socket = await jp_ws_fetch(*LIVE_PATH.split("/"))
    await send(socket, {"subscribe": {"workspace": "local", "run_id": RUN}})
    assert (await receive(socket))["type"] == "subscribed"
    (connection,) = hub.connections
    # From here on the client reads nothing, so TCP buffers fill and the server's write stalls.
    step, deadline = 0, time.monotonic() + 30
    while not connection.closed:
        assert time.monotonic() < deadline, "the slow socket was never closed"
        batch = {f"key{k}": [[step + i, step + i, 1.0] for i in range(100)] for k in range(10)}
        hub.publish_metrics("local", RUN, batch)
        step += 100
        # Publishing never waits for the socket: whatever is unsent stays within the bounds.
        assert connection.pending <= hub.max_pending
        await asyncio.sleep(0)
    assert hub.stats.closed_too_slow == 1 and not hub.connections
    # Reading again drains what TCP held, then the close frame with its reason.
    while await asyncio.wait_for(socket.read_message(), 10) is not None:
        pass
    assert socket.close_code == CLOSE_TOO_SLOW
    assert "fell behind" in socket.close_reason
    await hub.stop()
