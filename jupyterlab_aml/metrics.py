"""Metric history: MLflow's JSON to arrays, min/max-keeping downsampling, and a bounded cache.

Non-finite values: NaN and ±Inf go out as ``null`` in ``points`` and as "NaN"/"Infinity"/
"-Infinity" in ``min``/``max``/``last``. ±Inf are ordinary extremes (+Inf can be the max, -Inf the
min); NaN is ignored by min/max. MLflow's SQL stores cannot hold ±Inf and keep ±DBL_MAX instead,
so ±DBL_MAX read back from any source is taken as the ±Inf that was logged.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import BadRequest, NotFound, UpstreamError
from .models import wire_float
from .sampling import select_indices

GET_HISTORY = "api/2.0/mlflow/metrics/get-history"
# Measured on `mlflow server` (sqlite), 1M points: the server spends ~45 us per point whatever
# the page; OFFSET pages add a sort each, so 25k pages take 57 s, 100k 50 s, one page 46-49 s.
# 100k keeps within 10% of the best while bounding the server's memory for one page.
DEFAULT_PAGE_SIZE = 100_000
# A server that refuses our page size gets MLflow's own client page size instead.
FALLBACK_PAGE_SIZE = 25_000
# First, last, min and max of the one bucket that a tiny budget allows.
MIN_MAX_POINTS = 4

_DOUBLE_MAX = float(np.finfo(np.float64).max)

Call = Callable[..., Awaitable[dict[str, Any]]]
SeriesKey = tuple[str, str, str]


@dataclass(eq=False)
class MetricPoints:
    """One metric's history as parallel arrays, sorted by step, timestamp, then value."""

    steps: np.ndarray
    timestamps: np.ndarray
    values: np.ndarray

    def __post_init__(self) -> None:
        self.steps = np.ascontiguousarray(self.steps, dtype=np.int64)
        self.timestamps = np.ascontiguousarray(self.timestamps, dtype=np.int64)
        self.values = np.ascontiguousarray(self.values, dtype=np.float64)
        if not len(self.steps) == len(self.timestamps) == len(self.values):
            raise ValueError("steps, timestamps and values differ in length")
        stored_inf = np.abs(self.values) == _DOUBLE_MAX
        if stored_inf.any():
            self.values = np.where(stored_inf, np.copysign(np.inf, self.values), self.values)
        if not _is_sorted(self.steps, self.timestamps, self.values):
            # Value as last key makes the order independent of the source (REST pages come
            # ordered by timestamp, sqlite by step); NaN sorts last.
            order = np.lexsort((self.values, self.timestamps, self.steps))
            self.steps = self.steps[order]
            self.timestamps = self.timestamps[order]
            self.values = self.values[order]

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def from_mlflow(cls, metrics: list[dict[str, Any]]) -> MetricPoints:
        """Build from MLflow REST metrics (``{"key", "value", "timestamp", "step"}``)."""
        # numpy parses "NaN"/"Infinity"/"-Infinity" and int strings (proto int64) itself;
        # missing fields take their proto defaults.
        return cls(
            np.array([m.get("step", 0) for m in metrics], dtype=np.int64),
            np.array([m.get("timestamp", 0) for m in metrics], dtype=np.int64),
            np.array([m.get("value", 0.0) for m in metrics], dtype=np.float64),
        )

    @classmethod
    def empty(cls) -> MetricPoints:
        """No points."""
        return cls(np.empty(0), np.empty(0), np.empty(0))

    @classmethod
    def concat(cls, parts: Iterable[MetricPoints]) -> MetricPoints:
        """Join histories (for example REST pages) into one sorted history."""
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return cls.empty()
        return cls(
            np.concatenate([p.steps for p in parts]),
            np.concatenate([p.timestamps for p in parts]),
            np.concatenate([p.values for p in parts]),
        )


def _is_sorted(steps: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> bool:
    if len(steps) < 2:
        return True
    step_diff, time_diff = np.diff(steps), np.diff(timestamps)
    value_ok = np.isnan(values[1:]) | (values[1:] >= values[:-1])
    time_ok = (time_diff > 0) | ((time_diff == 0) & value_ok)
    return bool(np.all((step_diff > 0) | ((step_diff == 0) & time_ok)))


def history_response(
    points: MetricPoints,
    *,
    key: str,
    run_id: str,
    max_points: int,
    start_step: int | None = None,
    end_step: int | None = None,
    summary_of: int | None = None,
) -> dict[str, Any]:
    """The ``runs/{run_id}/metrics/{key}`` body for ``points`` in ``[start_step, end_step]``.

    Statistics (``total_points``, ``min``, ``max``, ``last``) cover the requested step range.
    An empty history means the key is unknown (404); an empty range is a valid, empty answer.
    ``summary_of`` says ``points`` already are a sample (first, last, extremes) of that many
    points in the range, taken elsewhere (in SQL); the caller has then checked the key exists.
    """
    if not len(points) and summary_of is None:
        raise NotFound(f"run {run_id} has no metric {key!r}")
    if max_points < MIN_MAX_POINTS:
        raise BadRequest(f"max_points must be at least {MIN_MAX_POINTS}")
    if start_step is not None and end_step is not None and start_step > end_step:
        raise BadRequest("start_step is after end_step")
    lo = 0 if start_step is None else int(np.searchsorted(points.steps, start_step, "left"))
    hi = len(points) if end_step is None else int(np.searchsorted(points.steps, end_step, "right"))
    steps = points.steps[lo:hi]
    timestamps = points.timestamps[lo:hi]
    values = points.values[lo:hi]
    picked = select_indices(values, max_points)
    total = len(values) if summary_of is None else summary_of
    body: dict[str, Any] = {
        "key": key,
        "run_id": run_id,
        "total_points": total,
        "sampled": len(picked) < total,
        "min": None,
        "max": None,
        "last": None,
        "points": _wire_points(steps[picked], timestamps[picked], values[picked]),
    }
    if len(values):
        body["last"] = {
            "step": int(steps[-1]),
            "timestamp": int(timestamps[-1]),
            "value": wire_float(float(values[-1])),
        }
        # fmin/fmax skip NaN; the first point equal to the extreme names its step.
        low, high = np.fmin.reduce(values), np.fmax.reduce(values)
        if not math.isnan(low):
            body["min"] = {"step": int(steps[np.argmax(values == low)]), "value": wire_float(low)}
            body["max"] = {"step": int(steps[np.argmax(values == high)]), "value": wire_float(high)}
    return body


def _wire_points(steps: np.ndarray, timestamps: np.ndarray, values: np.ndarray) -> list[list]:
    """``[[step, timestamp, value|null], ...]``: non-finite values become ``null``."""
    wire_values = values.tolist()
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        wire_values[i] = None
    return [list(p) for p in zip(steps.tolist(), timestamps.tolist(), wire_values, strict=True)]


async def fetch_history_paged(
    call: Call, run_id: str, key: str, page_size: int = DEFAULT_PAGE_SIZE
) -> MetricPoints:
    """A metric's full history through the public ``get-history`` route, page by page."""
    parts: list[MetricPoints] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": page_size}
        if token:
            params["page_token"] = token
        try:
            page = await call("GET", GET_HISTORY, params=params)
        except BadRequest:
            # Servers other than MLflow's own may cap max_results lower; retry once, smaller.
            if token or page_size <= FALLBACK_PAGE_SIZE:
                raise
            page_size = FALLBACK_PAGE_SIZE
            continue
        parts.append(MetricPoints.from_mlflow(page.get("metrics", [])))
        next_token = page.get("next_page_token") or None
        if next_token is not None and next_token == token:
            raise UpstreamError(f"get-history for {key!r} returned the same page token twice")
        if next_token is None:
            return MetricPoints.concat(parts)
        token = next_token


@dataclass
class _Series:
    version: Hashable
    points: MetricPoints


class MetricHistoryCache:
    """Histories per (workspace, run, key) within a bound on points held, plus built responses.

    ``version`` is None for a finished run (kept until evicted or invalidated) or a fingerprint
    of a running run's latest entry: a different version loads again. Concurrent callers for
    one history share one load; a load that fails is not kept. Returned dicts are shared:
    treat them as read-only.
    """

    def __init__(self, max_points: int = 5_000_000, max_response_points: int = 250_000):
        self.max_points = max_points
        self.max_response_points = max_response_points
        self._series: OrderedDict[SeriesKey, _Series] = OrderedDict()
        self._held = 0
        self._loads: dict[tuple[SeriesKey, Hashable], asyncio.Future[MetricPoints]] = {}
        self._responses: OrderedDict[tuple, tuple[dict[str, Any], int]] = OrderedDict()
        self._response_held = 0
        self._invalidations = 0

    def holds(self, workspace: str, run_id: str, key: str, version: Hashable) -> bool:
        """Whether that history is cached at that version."""
        cached = self._series.get((workspace, run_id, key))
        return cached is not None and cached.version == version

    @property
    def invalidations(self) -> int:
        """How many invalidations so far: a load read before a change must not be kept."""
        return self._invalidations

    @property
    def held_points(self) -> int:
        """Points held in cached histories."""
        return self._held

    async def points(
        self,
        workspace: str,
        run_id: str,
        key: str,
        *,
        version: Hashable,
        load: Callable[[], Awaitable[MetricPoints]],
    ) -> MetricPoints:
        """The history, from the cache when its version matches, else loaded once for all."""
        series_key = (workspace, run_id, key)
        cached = self._series.get(series_key)
        if cached is not None and cached.version == version:
            self._series.move_to_end(series_key)
            return cached.points
        load_key = (series_key, version)
        task = self._loads.get(load_key)
        if task is None:
            task = asyncio.ensure_future(load())
            self._loads[load_key] = task
            # Registered first, so it stores the result before any waiter resumes.
            task.add_done_callback(lambda done: self._loaded(load_key, done))
        # Shielded: a caller that goes away must not cancel the load others wait for.
        return await asyncio.shield(task)

    async def response(
        self,
        workspace: str,
        run_id: str,
        key: str,
        *,
        version: Hashable,
        load: Callable[[], Awaitable[MetricPoints]],
        max_points: int,
        start_step: int | None = None,
        end_step: int | None = None,
        sample: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
    ) -> dict[str, Any]:
        """The ``history_response`` body, rebuilt only when the history or request changes.

        ``sample``, when given, may build the body without the whole history (the local store
        samples in SQL); it answers None to have the history loaded after all.
        """
        response_key = (workspace, run_id, key, version, max_points, start_step, end_step)
        hit = self._responses.get(response_key)
        if hit is not None:
            self._responses.move_to_end(response_key)
            return hit[0]
        cached = self._series.get((workspace, run_id, key))
        if sample is not None and (cached is None or cached.version != version):
            invalidations = self._invalidations
            body = await sample()
            if body is not None:
                if invalidations == self._invalidations:  # else it may predate the new data
                    self._keep_response(response_key, body)
                return body
        points = await self.points(workspace, run_id, key, version=version, load=load)
        body = history_response(
            points,
            key=key,
            run_id=run_id,
            max_points=max_points,
            start_step=start_step,
            end_step=end_step,
        )
        cached = self._series.get((workspace, run_id, key))
        # Only answers built from the history now held are kept: not one invalidated meanwhile.
        if cached is not None and cached.points is points and cached.version == version:
            self._keep_response(response_key, body)
        return body

    def invalidate(self, workspace: str, run_id: str, key: str | None = None) -> None:
        """Forget a run's histories (one key, or all), their answers and loads in flight."""

        def matches(series_key: SeriesKey) -> bool:
            return series_key[:2] == (workspace, run_id) and key in (None, series_key[2])

        self._invalidations += 1
        for series_key in [k for k in self._series if matches(k)]:
            self._held -= len(self._series.pop(series_key).points)
        # A load already running may predate the new data: later callers start a fresh one.
        for load_key in [k for k in self._loads if matches(k[0])]:
            del self._loads[load_key]
        for response_key in [k for k in self._responses if matches(k[:3])]:
            self._response_held -= self._responses.pop(response_key)[1]

    def _loaded(self, load_key: tuple[SeriesKey, Hashable], task: asyncio.Future) -> None:
        # Retrieving the error also keeps asyncio quiet when every waiter has gone.
        error = None if task.cancelled() else task.exception()
        if self._loads.get(load_key) is not task:
            return  # invalidated while loading: the result may predate the new data
        del self._loads[load_key]
        if not task.cancelled() and error is None:
            self._store(load_key[0], load_key[1], task.result())

    def _store(self, series_key: SeriesKey, version: Hashable, points: MetricPoints) -> None:
        # Empty means an unknown key (it may appear later); a history over the bound alone
        # would evict everything else for one answer.
        if not len(points) or len(points) > self.max_points:
            return
        old = self._series.pop(series_key, None)
        if old is not None:
            self._held -= len(old.points)
        self._series[series_key] = _Series(version, points)
        self._held += len(points)
        while self._held > self.max_points:
            _, evicted = self._series.popitem(last=False)
            self._held -= len(evicted.points)

    def _keep_response(self, response_key: tuple, body: dict[str, Any]) -> None:
        weight = len(body["points"]) + 1
        if weight > self.max_response_points:
            return
        self._responses[response_key] = (body, weight)
        self._response_held += weight
        while self._response_held > self.max_response_points:
            _, (_, dropped) = self._responses.popitem(last=False)
            self._response_held -= dropped
