"""The embedded workspace: a local MLflow store that needs no setup, always present."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from ..metrics import MetricPoints
from ..models import Run
from .context import WorkspaceContext
from .embedded_server import EmbeddedMlflowServer
from .local_history import (
    connect_read_only,
    load_points_sqlite,
    load_small_histories_sqlite,
    sample_response_sqlite,
)
from .local_runs import experiments_of_runs, ordered_run_ids, page_offset, parse_joined_order_by
from .local_runs import page_token as next_page_token
from .rest import MLFLOW_API, RestWorkspace, history_version
from .series_summaries import SUMMARY_FILE, SeriesSummaries
from .summary_upkeep import SummaryUpkeep

log = logging.getLogger(__name__)

# Above this page size the run-id filter gets long; MLflow's own search is used instead.
_FAST_PAGE_MAX = 1000


class LocalWorkspace(RestWorkspace):
    """The embedded default workspace; always present, never removable."""

    kind = "local"

    def __init__(
        self,
        name: str,
        *,
        store_dir: str,
        context: WorkspaceContext | None = None,
        autostart: bool = True,
        summaries: bool = True,
    ):
        super().__init__(name, context=context)
        self.store_dir = Path(store_dir)
        self.autostart = autostart
        self.server = EmbeddedMlflowServer(
            self.store_dir, on_state=self.set_state, on_ready=self._serving
        )
        self.series = SummaryUpkeep(
            SeriesSummaries(self.db_path, self.store_dir / SUMMARY_FILE) if summaries else None
        )
        self._warming: set[asyncio.Task[Any]] = set()

    @property
    def db_path(self) -> Path:
        """The sqlite file the embedded server serves (and we read, read-only)."""
        return self.server.db_path

    @property
    def port(self) -> int | None:
        """The embedded server's loopback port while it serves."""
        return self.server.port

    @property
    def pid(self) -> int | None:
        """The embedded server's process id."""
        return self.server.pid

    def to_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The local workspace is implicit; nothing to persist."""
        return {"name": self.name, "kind": self.kind}, {}

    def upstream_base_url(self) -> str:
        """Loopback URL of the child, once it has a port."""
        return f"http://127.0.0.1:{self.port}" if self.port else ""

    def display_uri(self) -> str:
        """Show where the data lives, which is what a user wants to know."""
        return f"sqlite:///{self.db_path}"

    async def auth_headers(self) -> dict[str, str]:
        """The child listens on loopback only and needs no credentials."""
        return {}

    # ---- lifecycle -----------------------------------------------------------------------------
    async def start(self) -> None:
        """Start supervising in the background; Jupyter never waits for MLflow."""
        if not self.autostart:
            self.set_state("starting", "the embedded MLflow server starts on first use")
            return
        self.ensure_started()

    def ensure_started(self) -> None:
        """Launch the server if it is not running (first use when autostart is off)."""
        self.server.start()

    async def stop(self) -> None:
        """Stop the server and any background work. Safe to call twice."""
        await self.series.stop()
        for task in list(self._warming):
            task.cancel()
        await self.server.stop()
        await super().stop()

    async def _serving(self, port: int) -> None:
        """A (re)started child serves on ``port``: talk to it from now on."""
        await RestWorkspace.stop(self)  # drop pooled connections to the previous child
        self._client = self.make_client()
        self.set_state("ready", "")
        self.series.store_started()

    # ---- series summaries (series_summaries.py, summary_upkeep.py) ---------------------------
    def run_finished(self, run_id: str) -> None:
        """Summarize the ended run's long series."""
        self.series.run_finished(run_id)

    def points_logged(self, run_id: str, keys: list[str]) -> None:
        """Keep the logging run's summaries current."""
        self.series.points_logged(run_id, keys)

    # ---- fast paths ----------------------------------------------------------------------------
    async def search_runs(
        self,
        *,
        experiment_ids: list[str],
        filter: str | None,
        order_by: list[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        """Pages ordered by metrics, params or tags come from our own SQL (MLflow's takes
        seconds at 10k runs); everything else is MLflow's search."""
        keys = parse_joined_order_by(order_by) if not filter else None
        offset = page_offset(page_token) if keys else None
        if (
            keys is None
            or offset is None
            or max_results > _FAST_PAGE_MAX
            or not all(e.isdigit() for e in experiment_ids)
        ):
            return await super().search_runs(
                experiment_ids=experiment_ids,
                filter=filter,
                order_by=order_by,
                max_results=max_results,
                page_token=page_token,
            )
        self.client  # noqa: B018 - raises NotReady while the embedded server starts
        ids, more = await asyncio.to_thread(
            ordered_run_ids, self.db_path, experiment_ids, keys, offset=offset, limit=max_results
        )
        runs = await self._runs_by_id(experiment_ids, ids)
        return runs, (next_page_token(offset + len(ids)) if more else None)

    async def _runs_by_id(self, experiment_ids: list[str], run_ids: list[str]) -> list[Run]:
        """The runs, in the order given, through MLflow's (fast, unordered) search."""
        if not run_ids:
            return []
        quoted = ", ".join(f"'{run_id}'" for run_id in run_ids if run_id.isalnum())
        found, _ = await super().search_runs(
            experiment_ids=experiment_ids,
            filter=f"attributes.run_id IN ({quoted})",
            order_by=[],
            max_results=len(run_ids),
            page_token=None,
        )
        by_id = {run.run_id: run for run in found}
        return [by_id[run_id] for run_id in run_ids if run_id in by_id]

    async def raw_runs(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Many runs in one MLflow search (its experiments read from our store) instead of a
        lookup each: 50 lookups take 0.4 s on the single-worker embedded server."""
        plain = [r for r in run_ids if r.isalnum()]  # MLflow run ids are hex
        experiment_ids = await asyncio.to_thread(experiments_of_runs, self.db_path, plain)
        if not experiment_ids:
            return {}
        quoted = ", ".join(f"'{run_id}'" for run_id in plain)
        raw = await self.client.call(
            "POST",
            f"{MLFLOW_API}/runs/search",
            body={
                "experiment_ids": experiment_ids,
                "filter": f"attributes.run_id IN ({quoted})",
                "max_results": len(plain),
                "run_view_type": "ALL",
            },
        )
        by_id = {r["info"]["run_id"]: r for r in raw.get("runs", [])}
        return {r: by_id[r] for r in run_ids if r in by_id}

    async def prefetch_histories(
        self, raw_runs: dict[str, dict[str, Any]], pairs: list[tuple[str, str]]
    ) -> None:
        """Read the uncached short histories of a comparison that have no summary together, on
        one connection in one worker thread, and hand them to the cache (summarized ones are
        sampled from their summary, long ones in SQL)."""
        cache = self.context.history_cache
        versions = {(r, k): history_version(raw_runs[r], k) for r, k in pairs}
        wanted = [p for p in pairs if not cache.holds(self.name, *p, versions[p])]
        if len(wanted) < 2:
            return
        before = cache.invalidations
        loaded = await asyncio.to_thread(
            lambda: load_small_histories_sqlite(self.db_path, self.series.unsummarized(wanted))
        )
        if cache.invalidations != before:
            return  # a kernel logged meanwhile: each series loads on its own, afresh
        for (run_id, key), points in loaded.items():

            async def ready(points: MetricPoints = points) -> MetricPoints:
                return points

            await cache.points(self.name, run_id, key, version=versions[(run_id, key)], load=ready)
            self.series.points_read(run_id, key, points)

    # ---- fast path -----------------------------------------------------------------------------
    async def load_history(self, run_id: str, key: str) -> MetricPoints:
        """Read our own sqlite store read-only (about 0.9 s for 1M points); a long history is
        summarized on the way, so that the next server reads the summary instead."""
        points = await asyncio.to_thread(load_points_sqlite, str(self.db_path), run_id, key)
        self.series.points_read(run_id, key, points)
        return points

    def history_sampler(
        self,
        run_id: str,
        key: str,
        version: Any,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> Callable[[], Awaitable[dict[str, Any] | None]]:
        """Sample from the series' summary (tens of ms for 1M points); without one, sample long
        histories in SQL (about 0.5 s for 1M points), then load every point in the background,
        which summarizes them and keeps them in memory for zooming."""

        def in_sql() -> tuple[dict[str, Any] | None, bool]:
            args = {"max_points": max_points, "start_step": start_step, "end_step": end_step}
            body = self.series.sample(run_id, key, **args)
            if body is not None:
                return body, True
            return sample_response_sqlite(str(self.db_path), run_id, key, **args), False

        async def sample() -> dict[str, Any] | None:
            body, summarized = await asyncio.to_thread(in_sql)
            if body is not None and not summarized:
                self._warm(
                    self.context.history_cache.points(
                        self.name,
                        run_id,
                        key,
                        version=version,
                        load=lambda: self.load_history(run_id, key),
                    )
                )
            return body

        return sample

    def _warm(self, load: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(load)
        self._warming.add(task)
        task.add_done_callback(self._warming.discard)

    # ---- live polling (jupyterlab_aml.live_poll): incremental reads from sqlite ---------------
    # A range on index_metrics_run_uuid_key_step; the timestamp test runs inside SQLite, so
    # metrics logged without a step (all at step 0) do not bring their whole history back.
    _POINTS_AFTER_SQL = (
        "SELECT step, timestamp, iif(is_nan, NULL, value) FROM metrics"
        " WHERE run_uuid = ? AND key = ? AND step >= ? AND (step > ? OR timestamp >= ?)"
        " ORDER BY step"
    )

    async def metric_points_after(
        self, run_id: str, key: str, after_step: int | None, after_timestamp: int | None = None
    ) -> MetricPoints:
        """Points of ``key`` from (after_step, after_timestamp) on, maybe more; all if None."""
        if after_step is None:
            return await self.load_history(run_id, key)
        since = -(2**63) if after_timestamp is None else after_timestamp
        args = (run_id, key, after_step, after_step, since)
        return await asyncio.to_thread(self._points_after_sqlite, str(self.db_path), args)

    @classmethod
    def _points_after_sqlite(cls, db_path: str, args: tuple) -> MetricPoints:
        with contextlib.closing(connect_read_only(db_path)) as connection:
            rows = connection.execute(cls._POINTS_AFTER_SQL, args).fetchall()
        # NULL (a logged NaN) becomes NaN in a float array; MetricPoints turns ±DBL_MAX into ±Inf.
        return MetricPoints([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
