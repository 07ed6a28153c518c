"""Ordering runs by metrics, params and tags in the extension, for backends that cannot.

Azure ML's MLflow endpoint rejects ``order_by`` on metrics, params and tags. For those
workspaces the extension reads every run the filter matches (pages of 1,000), sorts them here
with MLflow's own rules, and serves pages from a short-lived snapshot, so page 2 does not read
everything again. The rules follow MLflow's SQL store (checked against it in tests): for a
metric, real values first, then NaN, then runs without it; for params and tags, missing last;
ties by start time (newest first), then run id.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from .local_runs import OrderKey

RawRun = dict[str, Any]
_SNAPSHOT_SECONDS = 30.0
_SNAPSHOTS = 8


def sort_runs(runs: list[RawRun], keys: list[OrderKey]) -> list[RawRun]:
    """MLflow's order for ``keys`` over raw MLflow run JSON (``{"info", "data"}``)."""
    ordered = sorted(runs, key=lambda r: r["info"].get("run_id") or r["info"].get("run_uuid", ""))
    ordered.sort(key=lambda r: int(r["info"].get("start_time") or 0), reverse=True)
    # Python's sort is stable: sorting by the last key first leaves the first key in charge.
    for key in reversed(keys):
        values = [(_value(run, key), run) for run in ordered]
        present = [(v, run) for v, run in values if v is not None and not _is_nan(v)]
        nan = [run for v, run in values if v is not None and _is_nan(v)]
        missing = [run for v, run in values if v is None]
        present.sort(key=lambda pair: pair[0], reverse=not key.ascending)
        ordered = [run for _, run in present] + nan + missing
    return ordered


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _value(run: RawRun, key: OrderKey) -> Any:
    data = run.get("data", {})
    if key.kind == "metric":
        for metric in data.get("metrics", []):
            if metric.get("key") == key.key:
                value = float(metric.get("value", math.nan))
                # MLflow stores +-Inf as +-1.797e308 and sorts them as such.
                return max(min(value, 1.7976931348623157e308), -1.7976931348623157e308)
        return None
    entries = data.get("params" if key.kind == "param" else "tags", [])
    return next((e.get("value", "") for e in entries if e.get("key") == key.key), None)


class SortedRunSnapshots:
    """Recently sorted result sets, so that paging through one does not re-read it all."""

    def __init__(
        self, *, ttl: float = _SNAPSHOT_SECONDS, clock: Callable[[], float] = time.monotonic
    ):
        self._ttl, self._clock = ttl, clock
        self._entries: OrderedDict[Any, tuple[float, list[RawRun]]] = OrderedDict()

    async def get(
        self, key: Any, load: Callable[[], Awaitable[list[RawRun]]], fresh: bool
    ) -> list[RawRun]:
        """The cached list for ``key`` unless stale or ``fresh`` (a first page) is asked."""
        now = self._clock()
        hit = self._entries.get(key)
        if hit is not None and not fresh and now - hit[0] < self._ttl:
            self._entries.move_to_end(key)
            return hit[1]
        runs = await load()
        self._entries[key] = (now, runs)
        self._entries.move_to_end(key)
        while len(self._entries) > _SNAPSHOTS:
            self._entries.popitem(last=False)
        return runs
