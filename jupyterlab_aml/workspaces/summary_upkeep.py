"""When the embedded store's series summaries are written, and reading them without risk.

A pass a few seconds after the store starts (runs logged elsewhere, or before an upgrade), a
run's series as soon as it ends, a logging run's new points every few seconds, and a history
that was read whole anyway. All of it runs in worker threads, out of any request's way; a
summary that cannot be read or written only costs speed: charts read the points instead.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Awaitable
from typing import Any

from ..metrics import MetricPoints
from .series_summaries import SeriesSummaries

log = logging.getLogger(__name__)

# The pass over the whole store waits this long after it starts, off the startup path.
INDEX_DELAY_S = 5.0
# A logging run's summaries are brought up to date at most this often (reading new points only).
REFRESH_DELAY_S = 10.0
_TROUBLE = (sqlite3.Error, OSError)


class SummaryUpkeep:
    """Keeps ``summaries`` current in the background; with None, every call does nothing."""

    def __init__(self, summaries: SeriesSummaries | None):
        self.summaries = summaries
        self._logged: dict[str, set[str]] = {}  # run -> keys logged since its last refresh
        self._tasks: set[asyncio.Task[Any]] = set()
        self._stopping = threading.Event()  # ends a pass between two series
        self._told: set[str] = set()  # problems already logged as warnings

    # ---- reading (blocking: call from a worker thread) -----------------------------------------
    def sample(self, run_id: str, key: str, **request: Any) -> dict[str, Any] | None:
        """The history body from a current summary, else None."""
        if self.summaries is None:
            return None
        try:
            return self.summaries.sample(run_id, key, **request)
        except _TROUBLE as error:  # e.g. a read-only store directory
            self._warn("series summaries in %s unusable: %s", self.summaries.path, error)
            return None

    def unsummarized(self, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Those (run_id, key) series without a summary."""
        if self.summaries is None:
            return pairs
        try:
            summarized = self.summaries.summarized(pairs)
        except _TROUBLE:
            return pairs
        return [p for p in pairs if p not in summarized]

    # ---- writing, in the background ------------------------------------------------------------
    def store_started(self) -> None:
        """Summarize whatever the store holds unsummarized, shortly."""
        self._index_later(None, INDEX_DELAY_S)

    def run_finished(self, run_id: str) -> None:
        """Summarize the ended run's long series while nobody waits for them."""
        self._index_later(run_id, 0.0)

    def points_logged(self, run_id: str, keys: list[str]) -> None:
        """Keep a logging run's summaries a few seconds behind, so that its chart is drawn from
        them even the first time it is opened."""
        if self.summaries is None:
            return
        pending = self._logged.setdefault(run_id, set())
        if not pending:
            self._spawn(self._refresh_later(self.summaries, run_id))
        pending.update(keys)

    def points_read(self, run_id: str, key: str, points: MetricPoints) -> None:
        """A whole history was read anyway: summarize it, for the next server."""
        summaries = self.summaries
        if summaries is not None and len(points) >= summaries.min_points:
            self._spawn(self._quietly(summaries.summarize, run_id, key, points))

    async def stop(self) -> None:
        """Cancel what is pending; a pass under way ends after its current series."""
        self._stopping.set()
        for task in list(self._tasks):
            task.cancel()

    def _index_later(self, run_id: str | None, delay: float) -> None:
        if self.summaries is not None:
            self._spawn(self._index(self.summaries, run_id, delay))

    async def _index(self, summaries: SeriesSummaries, run_id: str | None, delay: float) -> None:
        await asyncio.sleep(delay)
        written = await self._quietly(summaries.index, run_id, self._stopping)
        if written:
            log.info("summarized %d metric series of %s", written, run_id or "the store")

    async def _refresh_later(self, summaries: SeriesSummaries, run_id: str) -> None:
        await asyncio.sleep(REFRESH_DELAY_S)
        keys = sorted(self._logged.pop(run_id, ()))
        await self._quietly(summaries.refresh, run_id, keys)

    async def _quietly(self, work: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(work, *args)
        except _TROUBLE as error:
            where = getattr(self.summaries, "path", "")
            self._warn("could not update the series summaries in %s: %s", where, error)
            return None

    def _warn(self, message: str, where: Any, error: BaseException) -> None:
        """A warning the first time, then debug: a read-only store would otherwise repeat it
        every few seconds while a run logs."""
        first = str(error) not in self._told
        self._told.add(str(error))
        log.log(logging.WARNING if first else logging.DEBUG, message, where, error)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
