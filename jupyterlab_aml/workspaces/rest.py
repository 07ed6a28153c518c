"""Data operations over the public MLflow REST API, shared by every workspace kind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from ..artifacts import artifact_content_type, safe_artifact_path
from ..errors import BadRequest, NotFound, NotReady
from ..metrics import MetricPoints, fetch_history_paged
from ..models import Experiment, Run, WorkspaceInfo, WorkspaceState
from .base import Workspace
from .context import WorkspaceContext
from .rest_client import MlflowRestClient

MLFLOW_API = "api/2.0/mlflow"
_LOOKUPS_AT_ONCE = 8


class RestWorkspace(Workspace):
    """A workspace whose data comes from an MLflow REST server."""

    def __init__(self, name: str, *, context: WorkspaceContext | None = None):
        super().__init__(name)
        self.state: WorkspaceState = "starting"
        self.detail = ""
        self._client: MlflowRestClient | None = None
        self.context = context or WorkspaceContext()

    # ---- state -------------------------------------------------------------------------------
    def info(self) -> WorkspaceInfo:
        """State and display fields for the wire."""
        return WorkspaceInfo(
            name=self.name,
            kind=self.kind,
            state=self.state,
            detail=self.detail,
            tracking_uri=self.display_uri(),
        )

    def display_uri(self) -> str:
        """The tracking URI to show; never carries a secret."""
        return self.upstream_base_url()

    def set_state(self, state: WorkspaceState, detail: str = "") -> None:
        """Record a state change with its human-readable reason."""
        self.state, self.detail = state, detail

    @property
    def client(self) -> MlflowRestClient:
        """The REST client; raises NotReady until the workspace can serve requests."""
        self.ensure_started()
        if self.state != "ready" or self._client is None:
            reason = self.detail or f"workspace {self.name!r} is {self.state}"
            if self.state == "signed_out":
                reason = f"workspace {self.name!r} is signed out: {reason}"
            raise NotReady(reason)
        return self._client

    def make_client(self) -> MlflowRestClient:
        """A REST client for the current upstream."""
        return MlflowRestClient(
            self.upstream_base_url(),
            self.auth_headers,
            timeout=self.context.upstream_timeout,
            display_uri=self.display_uri(),
            ssl_context=self.context.trust.ssl_context,
            on_unauthorized=self.on_unauthorized,
        )

    async def stop(self) -> None:
        """Close the REST client. Safe to call twice."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # ---- data --------------------------------------------------------------------------------
    async def list_experiments(
        self, *, filter: str | None, max_results: int, page_token: str | None
    ) -> tuple[list[Experiment], str | None]:
        """One page of experiments (active ones first, as MLflow orders them)."""
        body: dict[str, Any] = {"max_results": max_results, "view_type": "ACTIVE_ONLY"}
        if filter:
            body["filter"] = filter
        if page_token:
            body["page_token"] = page_token
        raw = await self.client.call("POST", f"{MLFLOW_API}/experiments/search", body=body)
        experiments = [Experiment.from_mlflow(e) for e in raw.get("experiments", [])]
        return experiments, raw.get("next_page_token") or None

    async def search_runs(
        self,
        *,
        experiment_ids: list[str],
        filter: str | None,
        order_by: list[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        """One page of runs, ordered and filtered by the MLflow server itself."""
        body: dict[str, Any] = {
            "experiment_ids": experiment_ids,
            "max_results": max_results,
            "run_view_type": "ACTIVE_ONLY",
        }
        if filter:
            body["filter"] = filter
        if order_by:
            body["order_by"] = order_by
        if page_token:
            body["page_token"] = page_token
        raw = await self.client.call("POST", f"{MLFLOW_API}/runs/search", body=body)
        runs = [Run.from_mlflow(r) for r in raw.get("runs", [])]
        return runs, raw.get("next_page_token") or None

    async def get_run(self, run_id: str) -> Run:
        """One run or NotFound."""
        return Run.from_mlflow(await self._raw_run(run_id))

    async def raw_runs(self, run_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Several runs as MLflow JSON by id; unknown ids are left out. At most
        ``_LOOKUPS_AT_ONCE`` lookups are in flight, so a big comparison does not flood one
        tracking server (a single-worker MLflow answers them one by one anyway)."""
        limit = asyncio.Semaphore(_LOOKUPS_AT_ONCE)

        async def lookup(run_id: str) -> dict[str, Any] | None:
            async with limit:
                try:
                    return await self._raw_run(run_id)
                except NotFound:
                    return None

        found = await asyncio.gather(*(lookup(r) for r in run_ids))
        return {r: raw for r, raw in zip(run_ids, found, strict=True) if raw is not None}

    async def _raw_run(self, run_id: str) -> dict[str, Any]:
        raw = await self.client.call("GET", f"{MLFLOW_API}/runs/get", params={"run_id": run_id})
        if "run" not in raw:
            raise NotFound(f"run {run_id!r} not found in workspace {self.name!r}")
        return raw["run"]

    async def metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> dict[str, Any]:
        """Sampled history; cached, and revalidated while the run is still RUNNING."""
        return await self.history_of(
            await self._raw_run(run_id),
            key,
            max_points=max_points,
            start_step=start_step,
            end_step=end_step,
        )

    async def history_of(
        self,
        raw_run: dict[str, Any],
        key: str,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> dict[str, Any]:
        """``metric_history`` for a run already read (MLflow JSON): no second lookup."""
        info = raw_run.get("info", {})
        run_id = info.get("run_id") or info.get("run_uuid", "")
        if not has_metric(raw_run, key):
            raise NotFound(f"run {run_id!r} has no metric {key!r}")
        version = history_version(raw_run, key)
        return await self.context.history_cache.response(
            self.name,
            run_id,
            key,
            version=version,
            load=lambda: self.load_history(run_id, key),
            max_points=max_points,
            start_step=start_step,
            end_step=end_step,
            sample=self.history_sampler(
                run_id,
                key,
                version,
                max_points=max_points,
                start_step=start_step,
                end_step=end_step,
            ),
        )

    async def prefetch_histories(
        self, raw_runs: dict[str, dict[str, Any]], pairs: list[tuple[str, str]]
    ) -> None:
        """Load many (run_id, key) histories ahead of ``history_of`` calls, where a kind can do
        it faster together than one by one; none can over public REST."""

    def history_sampler(
        self,
        run_id: str,
        key: str,
        version: Any,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> Callable[[], Awaitable[dict[str, Any] | None]] | None:
        """A way to answer without loading every point; none over public REST."""
        return None

    async def load_history(self, run_id: str, key: str) -> MetricPoints:
        """Every point of one metric, through the public get-history route."""
        return await fetch_history_paged(self.client.call, run_id, key)

    async def list_artifacts(self, run_id: str, path: str) -> list[dict[str, Any]]:
        """Files directly under ``path``; paths are relative to the run's artifact root."""
        clean = safe_artifact_path(path)
        params = {"run_id": run_id}
        if clean:
            params["path"] = clean
        files: list[dict[str, Any]] = []
        while True:
            raw = await self.client.call("GET", f"{MLFLOW_API}/artifacts/list", params=params)
            files.extend(
                {
                    "path": f["path"],
                    "is_dir": bool(f.get("is_dir", False)),
                    "file_size": int(f["file_size"]) if "file_size" in f else None,
                }
                for f in raw.get("files", [])
            )
            if not raw.get("next_page_token"):
                return files
            params["page_token"] = raw["next_page_token"]

    @asynccontextmanager
    async def open_artifact(
        self, run_id: str, path: str
    ) -> AsyncIterator[tuple[str, AsyncIterator[bytes]]]:
        """Stream one artifact file through MLflow's ``get-artifact`` route."""
        clean = safe_artifact_path(path)
        if not clean:
            raise NotFound("an artifact path is required")
        # The run must exist here, so an unknown id is a 404 and not an upstream 500.
        await self._raw_run(run_id)
        params = {"run_uuid": run_id, "path": clean}
        async with self.client.stream("GET", "get-artifact", params=params) as chunks:
            yield artifact_content_type(clean), chunks

    # ---- live polling (jupyterlab_aml.live_poll): incremental reads -----------------------------
    # MLflow's own step-range route, for `mlflow` kinds. It samples a range down to max_results
    # rows, so an answer shorter than that holds every row (checked on MLflow 3.17, which samples
    # rows, and true of the step sampling before it). Azure ML does not serve ajax-api.
    _STEP_RANGE_ROUTE = "ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
    _STEP_RANGE_ROWS = 2500  # MLflow's MAX_RESULTS_PER_RUN
    _step_range_route_works = True

    async def run_snapshot(self, run_id: str) -> tuple[Run, dict[str, tuple[int, int]]]:
        """The run, plus the (step, timestamp) of each metric's latest point."""
        raw = await self._raw_run(run_id)
        latest = {
            m["key"]: (int(m.get("step", 0)), int(m.get("timestamp", 0)))
            for m in raw.get("data", {}).get("metrics", [])
        }
        return Run.from_mlflow(raw), latest

    async def metric_points_after(
        self, run_id: str, key: str, after_step: int | None, after_timestamp: int | None = None
    ) -> MetricPoints:
        """Points of ``key`` from (after_step, after_timestamp) on, maybe more; all if None."""
        if after_step is not None and self.kind == "mlflow" and self._step_range_route_works:
            try:
                points = await self._points_by_step_range(run_id, key, after_step)
            except (NotFound, BadRequest):
                # A server without the route (or with other limits); if the run itself were the
                # problem, the fallback below raises too and the route stays in use.
                points = await self._points_by_get_history(run_id, key, after_step)
                self._step_range_route_works = False
                return points
            if points is not None:
                return points
        return await self._points_by_get_history(run_id, key, after_step)

    async def _points_by_step_range(self, run_id: str, key: str, step: int) -> MetricPoints | None:
        params = [
            ("run_ids", run_id),
            ("metric_key", key),
            ("start_step", step),
            ("end_step", 2**63 - 1),
            ("max_results", self._STEP_RANGE_ROWS),
        ]
        raw = await self.client.call("GET", self._STEP_RANGE_ROUTE, params=params)
        metrics = raw.get("metrics", [])
        return MetricPoints.from_mlflow(metrics) if len(metrics) < self._STEP_RANGE_ROWS else None

    async def _points_by_get_history(self, run_id: str, key: str, step: int | None) -> MetricPoints:
        # get-history has no step filter: each call reads the key's whole history (about 45 us a
        # point on MLflow's server), which is why the poller stretches its interval by its cost.
        points = await self.load_history(run_id, key)
        if step is None:
            return points
        keep = points.steps >= step
        return MetricPoints(points.steps[keep], points.timestamps[keep], points.values[keep])


def has_metric(raw_run: dict[str, Any], key: str) -> bool:
    """Whether the run (MLflow JSON) has logged ``key``."""
    return any(m.get("key") == key for m in raw_run.get("data", {}).get("metrics", []))


def history_version(raw_run: dict[str, Any], key: str) -> str | None:
    """The cache version of a run's history of ``key``: a finished run's never changes (None);
    a running one's is its latest entry."""
    if raw_run.get("info", {}).get("status") not in ("RUNNING", "SCHEDULED"):
        return None
    latest = next(m for m in raw_run.get("data", {}).get("metrics", []) if m.get("key") == key)
    return json.dumps(latest, sort_keys=True)


async def gather_runs(workspace: Workspace, run_ids: list[str]) -> list[Run]:
    """Fetch several runs concurrently, in the order given."""
    return list(await asyncio.gather(*(workspace.get_run(r) for r in run_ids)))
