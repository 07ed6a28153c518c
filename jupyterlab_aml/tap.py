"""What the passthrough learns from kernel traffic: provenance tags, run ownership, live points.

Tornado-free: the passthrough hands over the request and the upstream's answer of the few small
JSON routes it taps; everything else streams through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import posixpath
from collections import defaultdict
from typing import Any

from .kernel_registry import KernelIdentity
from .kernels import KernelRuns
from .metrics import MetricHistoryCache
from .models import Run

log = logging.getLogger(__name__)

_PREFIXES = ("api/2.0/mlflow/", "ajax-api/2.0/mlflow/")
TAPPED_ROUTES = frozenset(
    {"runs/create", "runs/log-metric", "runs/log-batch", "runs/update", "runs/set-terminated"}
)
_ENDED = frozenset({"FINISHED", "FAILED", "KILLED"})
# Bodies of tapped routes are small JSON (log-batch holds at most 1000 metrics); anything larger
# is forwarded as a stream and not tapped.
MAX_TAPPED_BODY = 8 * 1024 * 1024
SOURCE_NAME, SOURCE_TYPE, KERNEL_TAG = (
    "mlflow.source.name",
    "mlflow.source.type",
    "jupyterlab_aml.kernel_id",
)


def tapped_route(path: str) -> str | None:
    """``runs/log-batch`` for ``api/2.0/mlflow/runs/log-batch``, None if not tapped."""
    for prefix in _PREFIXES:
        if path.startswith(prefix) and path[len(prefix) :] in TAPPED_ROUTES:
            return path[len(prefix) :]
    return None


def add_provenance_tags(body: bytes, identity: KernelIdentity, notebook_path: str | None) -> bytes:
    """The runs/create body with the notebook's provenance tags the client did not set.

    MLflow's client fills ``mlflow.source.name`` by itself with the kernel's launcher script, or
    with the notebook's base name when it can see the server; neither says which notebook. Those
    automatic values are replaced by the path relative to the server root. A value the user set
    is kept.
    """
    try:
        payload = json.loads(body or b"{}")
    except ValueError:
        return body  # let MLflow answer the malformed request itself
    if not isinstance(payload, dict):
        return body
    tags = payload.get("tags") if isinstance(payload.get("tags"), list) else []
    current = {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
    wanted: dict[str, str] = {}
    if identity.kernel_id and KERNEL_TAG not in current:
        wanted[KERNEL_TAG] = identity.kernel_id
    if notebook_path:
        if _automatic_source_name(current.get(SOURCE_NAME), notebook_path):
            wanted[SOURCE_NAME] = notebook_path
        if current.get(SOURCE_TYPE) in (None, "", "LOCAL"):
            wanted[SOURCE_TYPE] = "NOTEBOOK"
    if not wanted:
        return body
    kept = [t for t in tags if not (isinstance(t, dict) and t.get("key") in wanted)]
    payload["tags"] = kept + [{"key": k, "value": v} for k, v in wanted.items()]
    return json.dumps(payload).encode()


def _automatic_source_name(value: str | None, notebook_path: str) -> bool:
    if not value:
        return True
    base = posixpath.basename(value.replace("\\", "/"))
    return base in ("ipykernel_launcher.py", "__main__.py", posixpath.basename(notebook_path))


def metric_points(route: str, body: bytes) -> tuple[str, dict[str, list[list[Any]]]] | None:
    """(run_id, {key: [[step, timestamp, value|None], ...]}) from a log-metric/log-batch body."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    run_id = payload.get("run_id") or payload.get("run_uuid")
    metrics = [payload] if route == "runs/log-metric" else payload.get("metrics") or []
    points: dict[str, list[list[Any]]] = defaultdict(list)
    for metric in metrics:
        if not isinstance(metric, dict) or "key" not in metric:
            continue
        points[metric["key"]].append(
            [
                int(metric.get("step") or 0),
                int(metric.get("timestamp") or 0),
                _wire_value(metric.get("value")),
            ]
        )
    if not run_id or not points:
        return None
    for series in points.values():
        series.sort(key=lambda p: (p[0], p[1]))
    return str(run_id), dict(points)


def _wire_value(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class PassthroughTap:
    """Acts on tapped kernel requests once the upstream has accepted them."""

    def __init__(self, kernels: KernelRuns, history_cache: MetricHistoryCache, live: Any = None):
        self.kernels = kernels
        self.history_cache = history_cache
        self.live = live  # LiveHub, or None before live push is wired
        self._tasks: set[asyncio.Task[Any]] = set()

    def after_upstream(
        self,
        workspace: str,
        route: str,
        identity: KernelIdentity | None,
        request_body: bytes,
        response_body: bytes,
    ) -> None:
        """Record, invalidate and publish; never raises into the request, never blocks."""
        try:
            if route in ("runs/log-metric", "runs/log-batch"):
                self._metrics(workspace, route, request_body)
            elif route == "runs/create":
                self._created(workspace, identity, response_body)
            else:  # runs/update, runs/set-terminated: a status change
                self._status_changed(workspace, request_body)
        except Exception:  # a tap must never break logging
            log.exception("passthrough tap failed for %s", route)

    def _metrics(self, workspace: str, route: str, body: bytes) -> None:
        parsed = metric_points(route, body)
        if parsed is None:
            return
        run_id, points = parsed
        for key in points:
            self.history_cache.invalidate(workspace, run_id, key)
        self.kernels.workspaces.get(workspace).points_logged(run_id, list(points))
        if self.live is not None:
            self.live.publish_metrics(workspace, run_id, points)

    def _created(self, workspace: str, identity: KernelIdentity | None, body: bytes) -> None:
        raw = json.loads(body).get("run")
        if not raw:
            return
        run = Run.from_mlflow(raw)
        if identity is not None:
            self.kernels.registry.record_run(identity, workspace, run.run_id)
        if self.live is not None:
            self.live.mark_pushed(workspace, run.run_id)
            self.live.publish_run(workspace, run.to_json())

    def _status_changed(self, workspace: str, body: bytes) -> None:
        payload = json.loads(body)
        run_id = payload.get("run_id") or payload.get("run_uuid")
        if not run_id:
            return
        # The kernel's response does not wait for this: the full run is fetched afterwards.
        task = asyncio.ensure_future(self._publish_run(workspace, str(run_id)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish_run(self, workspace: str, run_id: str) -> None:
        with contextlib.suppress(Exception):
            target = self.kernels.workspaces.get(workspace)
            run = await target.get_run(run_id)
            if self.live is not None:
                self.live.publish_run(workspace, run.to_json())
            if run.status in _ENDED:
                target.run_finished(run_id)
