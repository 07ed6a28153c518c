"""Polling of runs that are not logged through this server (remote jobs, other machines).

A ``RunPoller`` lives while at least one browser watches a run that no kernel logs through our
passthrough, and only while that run is RUNNING (or SCHEDULED). Each poll costs one ``runs/get``
plus one incremental read per metric whose latest (step, timestamp) moved; see
``Workspace.metric_points_after`` for what an incremental read costs on each kind. Errors back
off (the interval doubles per failure, up to 16 times itself), and a slow poll stretches the next
interval, so that polling never keeps a tracking server busy more than a sixth of the time.

Points older than the latest point already sent (by step, then timestamp) are not sent: a point
logged late with an earlier step shows up on the next full history load, not live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import AmlError, NotFound
from .metrics import MetricPoints
from .models import Run

if TYPE_CHECKING:
    from .workspaces.registry import WorkspaceManager

log = logging.getLogger(__name__)

# MLflow statuses after which nothing more is logged; SCHEDULED runs (Azure ML jobs) will start.
LIVE_STATUSES = frozenset({"RUNNING", "SCHEDULED"})
_MAX_BACKOFF_DOUBLINGS = 4
# The next poll waits at least this many times as long as the last one took.
_COST_FACTOR = 5.0

Mark = tuple[int, int]
DeliverMetrics = Callable[[str, str, dict[str, list[list]]], None]
DeliverRun = Callable[[str, dict[str, Any]], None]
DeliverError = Callable[[str, str, str], None]


class RunPoller:
    """Polls one run incrementally and hands new points and status changes to the hub."""

    def __init__(
        self,
        workspaces: WorkspaceManager,
        workspace: str,
        run_id: str,
        *,
        interval: float,
        deliver_metrics: DeliverMetrics,
        deliver_run: DeliverRun,
        deliver_error: DeliverError,
        count_read: Callable[[], None],
    ):
        self._workspaces = workspaces
        self.workspace = workspace
        self.run_id = run_id
        self.interval = interval
        self._deliver_metrics = deliver_metrics
        self._deliver_run = deliver_run
        self._deliver_error = deliver_error
        self._count_read = count_read
        self._marks: dict[str, Mark] = {}
        self._status: str | None = None
        self._task: asyncio.Task[None] | None = None
        # The run as first read, or None when that read failed; subscribers wait for it so that
        # nothing logged after their acknowledgement can be missed.
        self.baseline: asyncio.Future[Run | None] = asyncio.get_running_loop().create_future()

    def start(self, on_done: Callable[[RunPoller], None]) -> None:
        """Begin polling; ``on_done`` runs when polling ends for any reason."""
        self._task = asyncio.create_task(self._run(), name=f"aml-live-poll-{self.run_id}")
        self._task.add_done_callback(lambda _: on_done(self))

    def cancel(self) -> None:
        """Stop polling (nobody watches, or the run turned out to be logged through us)."""
        self._settle_baseline(None)
        if self._task is not None:
            self._task.cancel()

    async def wait_closed(self) -> None:
        """Wait until the polling task has ended."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def wait_baseline(self, timeout: float) -> Run | None:
        """The run as first read; None if that read failed or took longer than ``timeout``."""
        try:
            return await asyncio.wait_for(asyncio.shield(self.baseline), timeout)
        except asyncio.TimeoutError:
            return None

    # ---- polling -----------------------------------------------------------------------------
    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        failures = 0
        try:
            while True:
                started = loop.time()
                try:
                    if await self._poll_once():
                        return
                    failures = 0
                except NotFound as err:
                    # The run or its workspace is gone: nothing more will come.
                    self._deliver_error(self.workspace, self.run_id, f"live updates stopped: {err}")
                    return
                except NotImplementedError:
                    log.info("live: %s runs cannot be polled", self.workspace)
                    return
                except AmlError as err:
                    failures += 1
                    log.info("live: polling %s/%s failed: %s", self.workspace, self.run_id, err)
                except Exception:
                    failures += 1
                    log.exception("live: polling %s/%s failed", self.workspace, self.run_id)
                if failures:
                    self._settle_baseline(None)
                await asyncio.sleep(self._delay(failures, loop.time() - started))
        finally:
            self._settle_baseline(None)

    def _delay(self, failures: int, took: float) -> float:
        if failures:
            return self.interval * 2 ** min(failures, _MAX_BACKOFF_DOUBLINGS)
        return max(self.interval, _COST_FACTOR * took)

    async def _poll_once(self) -> bool:
        """One poll; True once the run has finished and polling should end."""
        workspace = self._workspaces.get(self.workspace)
        self._count_read()
        run, latest = await workspace.run_snapshot(self.run_id)
        if self._status is None:
            # The first read only sets the marks: the browser loads history after its ack.
            self._marks = dict(latest)
            self._status = run.status
            self._settle_baseline(run)
            return run.status not in LIVE_STATUSES
        points: dict[str, list[list]] = {}
        marks: dict[str, Mark] = {}
        for key, mark in latest.items():
            seen = self._marks.get(key)
            if seen is not None and mark <= seen:
                continue
            self._count_read()
            fetched = await workspace.metric_points_after(
                self.run_id, key, *(seen if seen is not None else (None, None))
            )
            new, newest = points_after(fetched, seen)
            if new:
                points[key] = new
            marks[key] = max(mark, newest) if newest is not None else mark
        # Marks move only once every read succeeded: a failed poll is repeated whole, not lost.
        self._marks.update(marks)
        if points:
            self._deliver_metrics(self.workspace, self.run_id, points)
        if run.status != self._status:
            # After the metrics: the browser sees the last points before "finished".
            self._status = run.status
            self._deliver_run(self.workspace, run.to_json())
        return run.status not in LIVE_STATUSES

    def _settle_baseline(self, run: Run | None) -> None:
        if not self.baseline.done():
            self.baseline.set_result(run)


def points_after(points: MetricPoints, seen: Mark | None) -> tuple[list[list], Mark | None]:
    """Wire points strictly after ``seen`` by (step, timestamp), and the newest mark among them."""
    steps, timestamps, values = points.steps, points.timestamps, points.values
    if seen is not None:
        step, timestamp = seen
        keep = (steps > step) | ((steps == step) & (timestamps > timestamp))
        steps, timestamps, values = steps[keep], timestamps[keep], values[keep]
    if not len(steps):
        return [], None
    wire = [
        [s, t, v if math.isfinite(v) else None]
        for s, t, v in zip(steps.tolist(), timestamps.tolist(), values.tolist(), strict=True)
    ]
    # MetricPoints is sorted by step then timestamp: the last point is the newest mark.
    return wire, (wire[-1][0], wire[-1][1])
