"""The browser bench's figures: from the driver's raw samples (milliseconds from the user's input
in ``performance.now()`` time) to seconds, percentiles and the split around each request.
"""

from __future__ import annotations

from typing import Any

from ..kernel_server import percentiles
from .notebooks import LIVE_INTERVAL, LIVE_POINTS

TARGET_RUNS_PAGE = 0.300
TARGET_CHART = 0.500
TARGET_LIVE_P95 = 0.250
# The request each timed action waits on, by phase.
RUNS_REQUEST = "/aml/api/workspaces/local/runs?"
MLFLOW_RUNS_REQUEST = "/runs/search"
MLFLOW_CHART_REQUEST = "get-history-bulk-interval"


def _seconds(ms: float | None) -> float | None:
    return None if ms is None else ms / 1000


def split(sample: dict[str, Any], request_part: str) -> dict[str, Any]:
    """One timed action: drawn, and around the last request it waited on (if it sent one)."""
    drawn = sample["drawn_ms"]
    answered = [
        r
        for r in sample["requests"]
        if request_part in r["url"] and r["response_end_ms"] <= sample["condition_ms"]
    ]
    request = answered[-1] if answered else None
    return {
        "drawn": _seconds(drawn),
        "condition": _seconds(sample["condition_ms"]),
        "until_request": _seconds(request["start_ms"]) if request else None,
        "request": _seconds(request["response_end_ms"] - request["start_ms"]) if request else None,
        "answered": _seconds(request["response_end_ms"]) if request else None,
        "after_answer": _seconds(drawn - request["response_end_ms"]) if request else None,
        "requests_sent": sum(request_part in r["url"] for r in sample["requests"]),
        "detail": sample["detail"],
        # Every matching request of the action, in ms from the input: where the time went.
        "requests": sample["requests"],
    }


def figures(samples: list[dict[str, Any]], request_part: str) -> dict[str, Any]:
    """Percentiles of each part of a set of repeats, and every repeat."""
    parts = [split(s, request_part) for s in samples]
    out: dict[str, Any] = {"samples": parts}
    for name in ("drawn", "condition", "until_request", "request", "answered", "after_answer"):
        out[name] = percentiles([p[name] for p in parts if p[name] is not None])
    out["without_request"] = sum(p["request"] is None for p in parts)
    return out


def _phase(raw: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A phase's raw result, or None (its error is kept by the caller)."""
    value = raw.get(name)
    return None if value is None or "error" in value else value


def live_latency(recording: dict[str, Any], stamps: dict[str, Any]) -> dict[str, Any]:
    """Each point's screen time (first `data-points` count holding it) − the kernel's stamps."""
    origin = recording["timeOrigin"]
    drawn: dict[int, float] = {}
    attribute: dict[int, float] = {}
    shown = 0
    increments = []
    for record in recording["records"]:
        increments.append(record["points"] - shown)
        for step in range(shown, record["points"]):
            attribute[step] = (origin + record["tAttribute"]) / 1000
            if record["tDrawn"] is not None:
                drawn[step] = (origin + record["tDrawn"]) / 1000
        shown = record["points"]
    before, after = stamps["before"], stamps["after"]
    steps = [s for s in sorted(drawn) if s < len(after)]
    return {
        "points": len(after),
        "shown": len(steps),
        "interval_seconds": LIVE_INTERVAL,
        "drawn_after_return": percentiles([drawn[s] - after[s] for s in steps]),
        "drawn_after_call": percentiles([drawn[s] - before[s] for s in steps]),
        "attribute_after_return": percentiles([attribute[s] - after[s] for s in steps]),
        "log_metric_call": percentiles([b - a for a, b in zip(before, after, strict=True)]),
        "points_per_update": percentiles([float(i) for i in increments]),
        "updates": len(increments),
        # Date.now() − (timeOrigin + now()) in ms at the start and end: the page clock's drift.
        "page_clock_offset_ms": recording["clock"],
    }


def summarise(
    raw: dict[str, Any], stamps: dict[str, Any] | None, meta: dict[str, Any]
) -> dict[str, Any]:
    """Everything for results.json; phase errors are kept as ``{"error": ...}``."""
    result: dict[str, Any] = {
        "meta": {
            **meta,
            "browser_version": raw.get("browser_version"),
            "phase_seconds": raw.get("seconds", {}),
            "lab_load_seconds": (raw.get("lab_load") or {}).get("seconds"),
        }
    }
    errors = {k: v["error"] for k, v in raw.items() if isinstance(v, dict) and "error" in v}
    if errors:
        result["errors"] = errors
    if runs := _phase(raw, "runs_table"):
        result["runs_table"] = {
            "newest_first": figures(runs["unsorted"], RUNS_REQUEST),
            "metric_sort": figures(runs["sorted"], RUNS_REQUEST),
            "sort_click": split(runs["sort_click"], RUNS_REQUEST),
            "sorted_column": runs["sorted_column"],
        }
    if chart := _phase(raw, "metric_chart"):
        request = f"/metrics/{meta['history_key']}"
        result["metric_chart"] = {
            "first": split(chart["switches"][0], request),
            "repeat": figures(chart["switches"][1:], request),
            "expand": figures(chart["expands"], request),
            "first_was_cold": chart["fetched_before_first"] == 0,
        }
    if (recording := _phase(raw, "live_points")) and stamps:
        result["live"] = live_latency(recording, stamps)
    if mlflow_runs := _phase(raw, "mlflow_runs"):
        result["mlflow_runs"] = {
            "newest_first": figures(mlflow_runs["unsorted"], MLFLOW_RUNS_REQUEST),
            "metric_sort": figures(mlflow_runs["sorted"], MLFLOW_RUNS_REQUEST),
            "metric_sort_asked": sorted(
                {body for s in mlflow_runs["sorted"] for body in s["search_bodies"]}
            ),
        }
    if mlflow_chart := _phase(raw, "mlflow_chart"):
        result["mlflow_chart"] = {
            "first": split(mlflow_chart[0], MLFLOW_CHART_REQUEST),
            "repeat": figures(mlflow_chart[1:], MLFLOW_CHART_REQUEST),
        }
    result["targets"] = {
        "runs_page_seconds": TARGET_RUNS_PAGE,
        "chart_seconds": TARGET_CHART,
        "live_p95_seconds": TARGET_LIVE_P95,
        "live_points_expected": LIVE_POINTS,
    }
    return result
