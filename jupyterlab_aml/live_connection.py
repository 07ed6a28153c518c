"""One browser's live socket, free of tornado: its outbox (points coalesced per run and key,
thinned past a bound), the client message parser and the wire form of points.

See ``live.py`` for the protocol and the hub that publishes into these connections.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from .errors import BadRequest
from .sampling import select_indices

if TYPE_CHECKING:
    from .live import LiveHub

log = logging.getLogger(__name__)

CLOSE_TOO_SLOW = 1013  # RFC 6455 registry: "try again later"
CLOSE_GOING_AWAY = 1001

_MAX_ID_LENGTH = 256
_VERBS = ("subscribe", "unsubscribe")

RunKey = tuple[str, str]


class LiveSink(Protocol):
    """Where one connection's messages go: a websocket, or a test's sink."""

    async def send(self, text: str) -> None:
        """Send one message; returns once the transport has taken it, ConnectionError if closed."""

    def close(self, code: int, reason: str) -> None:
        """Close the transport."""


@dataclass
class LiveStats:
    """Counters for tests, benches and debugging."""

    upstream_reads: int = 0
    messages_sent: int = 0
    points_thinned: int = 0
    closed_too_slow: int = 0


@dataclass
class _PendingMetrics:
    workspace: str
    run_id: str
    points: dict[str, list[list]] = field(default_factory=dict)
    sampled: set[str] = field(default_factory=set)
    size: int = 0

    def message(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "metrics",
            "workspace": self.workspace,
            "run_id": self.run_id,
            "points": self.points,
        }
        if self.sampled:
            body["sampled"] = sorted(self.sampled)
        return body


class LiveConnection:
    """One browser socket: its subscriptions and a bounded outbox that coalesces."""

    def __init__(self, hub: LiveHub, sink: LiveSink):
        self.hub = hub
        self.sink = sink
        self.subscriptions: set[tuple[str, str | None]] = set()
        self.pending = 0
        self.closed = False
        self._outbox: OrderedDict[tuple, _PendingMetrics | dict[str, Any]] = OrderedDict()
        self._reply_ids = itertools.count()
        self._writer: asyncio.Task[None] | None = None

    async def receive(self, text: str | bytes) -> None:
        """Act on one client message; a bad one gets an error reply, never a closed socket."""
        try:
            verb, workspace, run_id = parse_client_message(text)
        except BadRequest as err:
            self.queue_reply(error_message(err.message))
            return
        if verb == "subscribe":
            await self.hub.subscribe(self, workspace, run_id)
        else:
            self.hub.unsubscribe(self, workspace, run_id)

    # ---- outbox ------------------------------------------------------------------------------
    def queue_metrics(self, workspace: str, run_id: str, points: dict[str, list[list]]) -> None:
        """Merge points into this run's pending message, thinning keys that pile up."""
        if self.closed:
            return
        slot = ("metrics", workspace, run_id)
        entry = self._outbox.get(slot)
        if entry is None:
            entry = self._outbox[slot] = _PendingMetrics(workspace, run_id)
        assert isinstance(entry, _PendingMetrics)
        cap = self.hub.max_key_pending
        for key, rows in points.items():
            held = entry.points.setdefault(key, [])
            held.extend(rows)
            added = len(rows)
            if len(held) > cap:
                kept = thin_points(held, cap // 2)
                added -= len(held) - len(kept)
                self.hub.stats.points_thinned += len(held) - len(kept)
                entry.points[key] = kept
                entry.sampled.add(key)
            entry.size += added
            self.pending += added
        self._queued()

    def queue_run(self, workspace: str, run: dict[str, Any]) -> None:
        """Queue a run message; a newer one for the same run replaces it and goes last."""
        if self.closed:
            return
        slot = ("run", workspace, run.get("run_id"))
        if self._outbox.pop(slot, None) is not None:
            self.pending -= 1
        self._outbox[slot] = {"type": "run", "workspace": workspace, "run": run}
        self.pending += 1
        self._queued()

    def queue_reply(self, message: dict[str, Any]) -> None:
        """Queue an ack or error reply."""
        if self.closed:
            return
        self._outbox[("reply", next(self._reply_ids))] = message
        self.pending += 1
        self._queued()

    def close(self, reason: str, code: int = CLOSE_TOO_SLOW) -> None:
        """Close the socket from our side."""
        if not self.closed:
            self.hub.disconnect(self)
            self.sink.close(code, reason)

    def discard(self) -> None:
        """Drop everything pending; the socket is gone or going."""
        self.closed = True
        self._outbox.clear()
        self.pending = 0
        if self._writer is not None:
            self._writer.cancel()

    def _queued(self) -> None:
        if self.pending > self.hub.max_pending:
            self.hub.stats.closed_too_slow += 1
            self.close(
                f"live updates fell behind ({self.pending} points unsent): reconnect and reload"
            )
        elif self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        # One message in flight at a time: a socket that does not read makes this await, and
        # new points then merge in the outbox instead of piling up in tornado's write buffer.
        while self._outbox and not self.closed:
            _, entry = self._outbox.popitem(last=False)
            if isinstance(entry, _PendingMetrics):
                self.pending -= entry.size
                message = entry.message()
            else:
                self.pending -= 1
                message = entry
            try:
                text = json.dumps(message, allow_nan=False)
            except (TypeError, ValueError):
                log.exception("live: cannot encode a %r message", message.get("type"))
                continue
            try:
                await self.sink.send(text)
            except ConnectionError as err:  # the socket went away; its close handler cleans up
                log.debug("live: send failed: %s", err)
                return
            self.hub.stats.messages_sent += 1


def parse_client_message(text: str | bytes) -> tuple[str, str, str | None]:
    """(verb, workspace, run_id or None) of a client message, or BadRequest saying what is wrong."""
    try:
        message = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("message is not JSON") from None
    if not isinstance(message, dict) or len(message) != 1 or next(iter(message)) not in _VERBS:
        raise BadRequest('expected {"subscribe": {...}} or {"unsubscribe": {...}}')
    verb, target = next(iter(message.items()))
    if not isinstance(target, dict):
        raise BadRequest(f'"{verb}" takes {{"workspace": name, "run_id": id}}')
    workspace, run_id = target.get("workspace"), target.get("run_id")
    if not isinstance(workspace, str) or not 0 < len(workspace) <= _MAX_ID_LENGTH:
        raise BadRequest("workspace must be a workspace name")
    if run_id is not None and (
        not isinstance(run_id, str) or not 0 < len(run_id) <= _MAX_ID_LENGTH
    ):
        raise BadRequest("run_id must be a run id, or left out to follow every run's status")
    return verb, workspace, run_id


def error_message(message: str, **where: str | None) -> dict[str, Any]:
    """An error reply, naming the subscription it concerns when there is one."""
    return {"type": "error", "message": message, **where}


def wire_points(points: dict[str, list[list]]) -> dict[str, list[list]]:
    """Points as ``[int, int, float | None]`` rows; rows that are not points are dropped."""
    clean: dict[str, list[list]] = {}
    for key, rows in points.items():
        if not isinstance(key, str):
            continue
        kept = []
        for row in rows:
            try:
                step, timestamp, value = row
                number = None if value is None else float(value)  # also "NaN", "Infinity"
                if number is not None and not math.isfinite(number):
                    number = None
                kept.append([int(step), int(timestamp), number])
            except (TypeError, ValueError):
                continue
        if kept:
            clean[key] = kept
    return clean


def thin_points(rows: list[list], target: int) -> list[list]:
    """At most ``target`` rows, keeping the first, the newest and every bucket's min and max."""
    values = np.array([math.nan if r[2] is None else r[2] for r in rows], dtype=np.float64)
    return [rows[i] for i in select_indices(values, target).tolist()]
