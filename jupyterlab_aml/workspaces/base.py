"""The workspace ABC: one tracking backend (embedded store, MLflow server, Azure ML)."""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Any

from ..metrics import MetricPoints
from ..models import Experiment, Run, WorkspaceInfo


class Workspace(abc.ABC):
    """A named tracking backend. Subclasses are registered by ``kind``."""

    kind: str = ""
    # Whether the passthrough should keep small request bodies so that it can resend them
    # once after an upstream 401 (workspaces whose tokens expire and are refreshed).
    resends_after_unauthorized: bool = False

    def __init__(self, name: str):
        self.name = name

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:  # noqa: B027 - optional hook
        """Begin background work (launch, discovery, sign-in). Must return quickly."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Release processes and connections. Safe to call twice."""

    def ensure_started(self) -> None:  # noqa: B027 - optional hook
        """Start a workspace that starts lazily; called before it is used."""

    def probe_due(self) -> bool:
        """Whether listing workspaces should check this one again (a remote server that may
        have come back, a sign-in made elsewhere). Kinds that need no re-check say False."""
        return False

    def probe_due_now(self) -> None:  # noqa: B027 - optional hook
        """Mark a re-check as under way so concurrent lists do not start another."""

    async def probe(self) -> None:  # noqa: B027 - optional hook
        """Check again, in the background; the result shows in state and detail."""

    def run_finished(self, run_id: str) -> None:  # noqa: B027 - optional hook
        """A run logged through the passthrough has ended: its histories are final now."""

    def points_logged(self, run_id: str, keys: list[str]) -> None:  # noqa: B027 - optional hook
        """A kernel logged points of ``keys`` to ``run_id`` through the passthrough."""

    @abc.abstractmethod
    def info(self) -> WorkspaceInfo:
        """State and display fields for the wire."""

    @abc.abstractmethod
    def to_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Persisted (public fields, secrets) for the workspaces file."""

    # ---- passthrough target ----------------------------------------------------------------
    @abc.abstractmethod
    def upstream_base_url(self) -> str:
        """Base URL that MLflow paths (``api/2.0/mlflow/...``) are appended to."""

    @abc.abstractmethod
    async def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate this server to the upstream (never sent to browsers)."""

    async def on_unauthorized(self, sent_headers: dict[str, str]) -> bool:
        """The upstream refused ``sent_headers``: renew them and say whether to retry once."""
        return False

    def serves_ui(self) -> bool:
        """Whether the MLflow web UI can be reached through the passthrough."""
        return True

    # ---- data --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def list_experiments(
        self, *, filter: str | None, max_results: int, page_token: str | None
    ) -> tuple[list[Experiment], str | None]:
        """One page of experiments."""

    @abc.abstractmethod
    async def search_runs(
        self,
        *,
        experiment_ids: list[str],
        filter: str | None,
        order_by: list[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        """One page of runs; ``order_by`` works on metrics, params and tags."""

    @abc.abstractmethod
    async def get_run(self, run_id: str) -> Run:
        """One run or NotFound."""

    @abc.abstractmethod
    async def metric_history(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int,
        start_step: int | None,
        end_step: int | None,
    ) -> dict[str, Any]:
        """Sampled metric history in the wire shape."""

    @abc.abstractmethod
    async def list_artifacts(self, run_id: str, path: str) -> list[dict[str, Any]]:
        """Files directly under ``path`` of the run's artifact root."""

    @abc.abstractmethod
    def open_artifact(
        self, run_id: str, path: str
    ) -> AbstractAsyncContextManager[tuple[str, AsyncIterator[bytes]]]:
        """Context giving (content type, chunk iterator) for one artifact file."""

    # ---- live polling (jupyterlab_aml.live_poll) ------------------------------------------------
    # Runs logged elsewhere are polled while a browser watches them; these two reads are all the
    # poller needs. Kinds that do not override them are simply not polled.
    async def run_snapshot(self, run_id: str) -> tuple[Run, dict[str, tuple[int, int]]]:
        """The run, plus the (step, timestamp) of each metric's latest point."""
        raise NotImplementedError(f"{self.kind} workspaces cannot be polled")

    async def metric_points_after(
        self, run_id: str, key: str, after_step: int | None, after_timestamp: int | None = None
    ) -> MetricPoints:
        """Points of ``key`` from (after_step, after_timestamp) on, maybe more; all if None."""
        # A superset is fine: the poller drops what it has already sent, by (step, timestamp).
        raise NotImplementedError(f"{self.kind} workspaces cannot be polled")
