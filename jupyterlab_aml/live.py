"""Live push behind ``{base_url}aml/api/live``: an in-process pub/sub hub, free of tornado.

Protocol: JSON text frames, written with ``allow_nan=False``; non-finite metric values are null.

client  {"subscribe": {"workspace": ws, "run_id": id}}    the metrics and status of one run
        {"subscribe": {"workspace": ws}}                  the status of every run in ws (new runs)
        {"unsubscribe": {...as subscribed...}}
server  {"type": "subscribed", "workspace", "run_id"}     ack (run_id null for a workspace)
        {"type": "unsubscribed", "workspace", "run_id"}
        {"type": "metrics", "workspace", "run_id", "points": {key: [[step, ts_ms, value], ...]}}
            plus "sampled": [key, ...] when a slow socket's backlog of those keys was thinned
        {"type": "run", "workspace", "run": Run}          created, or status changed
        {"type": "error", "message"} plus "workspace" and "run_id" when it concerns a
            subscription: a bad client message (the socket stays open), or polling gave up

A browser subscribes, waits for the ack, then loads the history over REST and merges live points
into it, de-duplicated on (step, timestamp). The ack is sent only once every point logged after
it is sure to be sent, so nothing falls between history and live points. Points may also arrive
before the ack: keep them too.

Points come from two places. The passthrough publishes what kernels log through it, which reads
nothing from the tracking server. Runs logged elsewhere are polled (``live_poll.py``) while a
browser subscribes and the run is running.

A slow socket never slows a kernel. Publishing appends to each subscriber's outbox and returns.
An outbox holds one metrics message per run and merges new points into it. Past
``max_key_pending`` points of one key (2,000), that key is thinned to half as many by min/max
buckets (``metrics.select_indices``: the first and newest points and each bucket's extremes stay),
and it is listed in ``sampled`` (reload its history for every point). Past ``max_pending`` points
(50,000, queued replies counting one each) the socket is closed with code 1013 and a reason.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from .errors import NotFound
from .live_connection import (
    CLOSE_GOING_AWAY,
    LiveConnection,
    LiveSink,
    LiveStats,
    RunKey,
    error_message,
    wire_points,
)
from .live_poll import LIVE_STATUSES, RunPoller
from .metrics import MIN_MAX_POINTS

if TYPE_CHECKING:
    from .workspaces.registry import WorkspaceManager

log = logging.getLogger(__name__)

# How long a subscribe waits for a polled run's first read before acknowledging anyway.
_BASELINE_WAIT = 5.0
# Runs known to be logged through the passthrough; one tuple each, oldest forgotten first.
_PUSHED_REMEMBERED = 10_000


class LiveHub:
    """Routes live metrics and run status to subscribed browsers; polls runs logged elsewhere.

    Call it on the server's event loop only (the passthrough and the websocket handler do).
    """

    def __init__(
        self,
        workspaces: WorkspaceManager,
        *,
        poll_interval: float = 10.0,
        max_pending: int = 50_000,
        max_key_pending: int = 2_000,
        max_subscriptions: int = 1_000,
    ):
        if max_key_pending < 2 * MIN_MAX_POINTS or max_pending < max_key_pending:
            raise ValueError("need max_pending >= max_key_pending >= 8")
        self.workspaces = workspaces
        self.poll_interval = poll_interval
        self.max_pending = max_pending
        self.max_key_pending = max_key_pending
        self.max_subscriptions = max_subscriptions
        self.stats = LiveStats()
        self._connections: set[LiveConnection] = set()
        self._run_subscribers: dict[RunKey, set[LiveConnection]] = {}
        self._workspace_subscribers: dict[str, set[LiveConnection]] = {}
        self._pushed: OrderedDict[RunKey, None] = OrderedDict()
        self._pollers: dict[RunKey, RunPoller] = {}
        self._stopping = False

    # ---- publishing (the passthrough) --------------------------------------------------------
    def publish_metrics(self, workspace: str, run_id: str, points: dict[str, list[list]]) -> None:
        """Hand points a kernel logged to the run's subscribers; never blocks, never raises."""
        try:
            self.mark_pushed(workspace, run_id)
            if (workspace, run_id) in self._run_subscribers:
                self._deliver_metrics(workspace, run_id, wire_points(points))
        except Exception:
            log.exception("live: dropped metrics of %s/%s", workspace, run_id)

    def publish_run(self, workspace: str, run: dict[str, Any]) -> None:
        """Tell the run's and the workspace's subscribers that a run was created or changed."""
        try:
            recipients = self._run_subscribers.get((workspace, run.get("run_id")), set())
            recipients = recipients | self._workspace_subscribers.get(workspace, set())
            for connection in recipients:
                connection.queue_run(workspace, run)
        except Exception:
            log.exception("live: dropped a run message of %s", workspace)

    def mark_pushed(self, workspace: str, run_id: str) -> None:
        """This run is logged through our passthrough: push its points, never poll it."""
        key = (workspace, run_id)
        if key in self._pushed:
            self._pushed.move_to_end(key)
            return
        self._pushed[key] = None
        if len(self._pushed) > _PUSHED_REMEMBERED:
            self._pushed.popitem(last=False)
        poller = self._pollers.pop(key, None)
        if poller is not None:
            poller.cancel()

    @property
    def connections(self) -> list[LiveConnection]:
        """The open browser sockets."""
        return list(self._connections)

    def is_polling(self, workspace: str, run_id: str) -> bool:
        """Whether the run is being polled right now."""
        return (workspace, run_id) in self._pollers

    # ---- connections (the websocket handler) -------------------------------------------------
    def connect(self, sink: LiveSink) -> LiveConnection:
        """A new browser socket."""
        connection = LiveConnection(self, sink)
        self._connections.add(connection)
        return connection

    def disconnect(self, connection: LiveConnection) -> None:
        """Forget a socket and what it watched. Safe to call twice."""
        connection.discard()
        self._connections.discard(connection)
        for workspace, run_id in list(connection.subscriptions):
            self._drop(connection, workspace, run_id)

    async def subscribe(
        self, connection: LiveConnection, workspace: str, run_id: str | None
    ) -> None:
        """Start sending a run's (or a workspace's) updates; acknowledged when nothing is lost."""
        if connection.closed:
            return
        where = {"workspace": workspace, "run_id": run_id}
        try:
            self.workspaces.get(workspace)
        except NotFound as err:
            connection.queue_reply(error_message(err.message, **where))
            return
        subscription = (workspace, run_id)
        if self._stopping or (
            subscription not in connection.subscriptions
            and len(connection.subscriptions) >= self.max_subscriptions
        ):
            reason = "the server is stopping" if self._stopping else "too many subscriptions"
            connection.queue_reply(error_message(reason, **where))
            return
        connection.subscriptions.add(subscription)
        if run_id is None:
            self._workspace_subscribers.setdefault(workspace, set()).add(connection)
            connection.queue_reply({"type": "subscribed", **where})
            return
        key = (workspace, run_id)
        self._run_subscribers.setdefault(key, set()).add(connection)
        run = None
        if key not in self._pushed:
            run = await self._poller(key).wait_baseline(_BASELINE_WAIT)
        if subscription not in connection.subscriptions:
            return  # closed while the first read was under way
        connection.queue_reply({"type": "subscribed", **where})
        if run is not None and run.status not in LIVE_STATUSES:
            # It may have finished after the browser loaded it: settle its status.
            connection.queue_run(workspace, run.to_json())

    def unsubscribe(self, connection: LiveConnection, workspace: str, run_id: str | None) -> None:
        """Stop sending a run's (or a workspace's) updates to this socket."""
        self._drop(connection, workspace, run_id)
        connection.queue_reply({"type": "unsubscribed", "workspace": workspace, "run_id": run_id})

    # ---- lifecycle ---------------------------------------------------------------------------
    async def stop(self) -> None:
        """Stop polling and close every socket. Safe to call twice."""
        self._stopping = True
        pollers = list(self._pollers.values())
        self._pollers.clear()
        for poller in pollers:
            poller.cancel()
        await asyncio.gather(*(p.wait_closed() for p in pollers))
        for connection in list(self._connections):
            connection.close("the server is stopping", CLOSE_GOING_AWAY)

    # ---- internals ---------------------------------------------------------------------------
    def _deliver_metrics(self, workspace: str, run_id: str, points: dict[str, list[list]]) -> None:
        if not points:
            return
        # A copy: a subscriber closed for being slow leaves the set while we iterate.
        for connection in list(self._run_subscribers.get((workspace, run_id), ())):
            connection.queue_metrics(workspace, run_id, points)

    def _deliver_error(self, workspace: str, run_id: str, message: str) -> None:
        reply = error_message(message, workspace=workspace, run_id=run_id)
        for connection in list(self._run_subscribers.get((workspace, run_id), ())):
            connection.queue_reply(reply)

    def _poller(self, key: RunKey) -> RunPoller:
        poller = self._pollers.get(key)
        if poller is None:
            poller = self._pollers[key] = RunPoller(
                self.workspaces,
                *key,
                interval=self.poll_interval,
                deliver_metrics=self._deliver_metrics,
                deliver_run=self.publish_run,
                deliver_error=self._deliver_error,
                count_read=self._count_read,
            )
            poller.start(on_done=self._poller_done)
        return poller

    def _poller_done(self, poller: RunPoller) -> None:
        key = (poller.workspace, poller.run_id)
        if self._pollers.get(key) is poller:
            del self._pollers[key]

    def _count_read(self) -> None:
        self.stats.upstream_reads += 1

    def _drop(self, connection: LiveConnection, workspace: str, run_id: str | None) -> None:
        connection.subscriptions.discard((workspace, run_id))
        if run_id is None:
            _discard_from(self._workspace_subscribers, workspace, connection)
            return
        key = (workspace, run_id)
        if not _discard_from(self._run_subscribers, key, connection):
            poller = self._pollers.pop(key, None)
            if poller is not None:
                poller.cancel()  # nobody watches any more


def _discard_from(index: dict[Any, set[LiveConnection]], key: Any, item: LiveConnection) -> bool:
    """Remove ``item`` from ``index[key]``; whether anyone is left there."""
    members = index.get(key)
    if members is None:
        return False
    members.discard(item)
    if not members:
        del index[key]
        return False
    return True
