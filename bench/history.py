"""Bench 2: chart data for a 1,000,000-point metric, ours against MLflow's own routes.

Ours: ``GET aml/api/workspaces/{ws}/runs/{run}/metrics/{key}?max_points=1000`` on the ``local``
workspace (the embedded store) and on an ``mlflow``-kind workspace that points at a direct
``mlflow server --workers 1`` on the same store (public get-history paging, then our cache).
MLflow: that direct server's unpaged get-history, ``MlflowClient.get_metric_history`` (what a
script would do), and ``get-history-bulk-interval`` (what MLflow's own UI charts from).
First calls are measured once; repeats give median, min and max. Each answer is also checked for
the planted spikes, dips and NaNs, since a chart that drops them misleads.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from mlflow.tracking import MlflowClient

from .datasets import Dataset
from .measure import Samples, timed
from .report import fmt_bytes, fmt_ratio, fmt_seconds, markdown_table
from .servers import JupyterServer, MlflowServer, raise_for_status

MAX_POINTS = 1000
TARGET_FIRST, TARGET_REPEAT = 1.0, 0.050
BULK_INTERVAL = "ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
GET_HISTORY = "api/2.0/mlflow/metrics/get-history"
MLFLOW_KIND_WORKSPACE = "bench-direct"


@dataclass
class Answer:
    """One HTTP answer: time to the last body byte, sizes, and its decoded payload."""

    seconds: float
    body_bytes: int
    wire_bytes: int
    payload: Any


def _get(http: httpx.Client, url: str, params: Any) -> Answer:
    started = time.perf_counter()
    response = http.get(url, params=params)
    seconds = time.perf_counter() - started
    raise_for_status(response)
    return Answer(seconds, len(response.content), response.num_bytes_downloaded, response.json())


@dataclass
class Case:
    """One way of getting the chart data, with its first call and repeats."""

    name: str
    label: str
    fetch: Callable[[], Answer] | None = None
    first: Answer | None = None
    repeats: Samples | None = None
    points: int | None = None
    kept: dict[str, Any] | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        """For results.json."""
        return {
            "name": self.name,
            "label": self.label,
            "first_seconds": self.first.seconds if self.first else None,
            "repeat_seconds": self.repeats.to_json() if self.repeats else None,
            "points": self.points,
            "body_bytes": self.first.body_bytes if self.first else None,
            "wire_bytes": self.first.wire_bytes if self.first else None,
            "planted_kept": self.kept,
            "note": self.note,
        }


def planted_kept(points: Iterable[tuple[int, float | None]], history: dict[str, Any]) -> dict:
    """How many planted spikes and dips an answer holds, and whether any NaN survives."""
    by_step: dict[int, float | None] = {}
    for step, value in points:
        by_step[int(step)] = None if value is None or _is_nan(value) else float(value)
    return {
        "spikes": sum(s in by_step for s in history["spike_steps"]),
        "spikes_planted": len(history["spike_steps"]),
        "dips": sum(s in by_step for s in history["dip_steps"]),
        "dips_planted": len(history["dip_steps"]),
        "nan": any(s in by_step and by_step[s] is None for s in history["nan_steps"]),
    }


def _is_nan(value: Any) -> bool:
    if isinstance(value, str):
        return value == "NaN"
    return isinstance(value, float) and math.isnan(value)


def run(
    dataset: Dataset,
    jupyter: JupyterServer,
    direct: MlflowServer,
    *,
    repeats: int,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure every case; ours on ``local`` first, as the first request after server start."""
    history = dataset.history
    run_id, key = history["run_id"], history["key"]
    assert jupyter.http is not None
    ours_path = f"runs/{run_id}/metrics/{key}"
    ours_params = {"max_points": MAX_POINTS}

    def ours(workspace: str) -> Callable[[], Answer]:
        url = jupyter.api(f"workspaces/{workspace}/{ours_path}")
        return lambda: _get(jupyter.http, url, ours_params)

    mlflow_http = httpx.Client(base_url=direct.url, timeout=600.0, trust_env=False)
    bulk_params = {"run_ids": run_id, "metric_key": key, "max_results": MAX_POINTS}
    cases = [
        Case("ours_local", "ours · `local` workspace (embedded store)", ours("local")),
        Case(
            "ours_mlflow_kind",
            "ours · `mlflow`-kind workspace → direct server",
            ours(MLFLOW_KIND_WORKSPACE),
            note="first: public get-history paging; repeat: our cache",
        ),
        Case(
            "mlflow_bulk_interval",
            f"MLflow · get-history-bulk-interval max_results={MAX_POINTS} (its UI's route)",
            lambda: _get(mlflow_http, BULK_INTERVAL, bulk_params),
        ),
    ]
    try:
        for case in cases:
            if case.name == "ours_mlflow_kind":
                jupyter.add_mlflow_workspace(MLFLOW_KIND_WORKSPACE, direct.url)
                jupyter.wait_workspace_ready(MLFLOW_KIND_WORKSPACE)
            case.first = case.fetch()
            log(f"  {case.name}: first call {case.first.seconds:.3f} s")
            case.repeats = Samples()
        for _ in range(repeats):
            for case in cases:
                case.repeats.add(case.fetch().seconds)
        for case in cases[:2]:
            points = case.first.payload["points"]
            case.points = len(points)
            case.kept = planted_kept(((p[0], p[2]) for p in points), history)
        bulk = cases[2]
        metrics = bulk.first.payload.get("metrics", [])
        bulk.points = len(metrics)
        bulk.kept = planted_kept(((m.get("step", 0), m.get("value")) for m in metrics), history)
        cases.append(_unpaged(mlflow_http, run_id, key))
        log(f"  mlflow_get_history_unpaged: {cases[-1].first.seconds:.1f} s")
        cases.append(_client_history(direct.url, run_id, key, history))
        log(f"  mlflow_client_get_metric_history: {cases[-1].first.seconds:.1f} s")
    finally:
        mlflow_http.close()
    return {
        "run_id": run_id,
        "key": key,
        "total_points": history["points"],
        "max_points": MAX_POINTS,
        "cases": [c.to_json() for c in cases],
        "splits": _local_splits(dataset, run_id, key),
    }


def _unpaged(http: httpx.Client, run_id: str, key: str) -> Case:
    """One get-history without max_results; counted without parsing ~100 MB of JSON."""
    started = time.perf_counter()
    response = http.get(GET_HISTORY, params={"run_id": run_id, "metric_key": key})
    seconds = time.perf_counter() - started
    raise_for_status(response)
    content = response.content
    answer = Answer(seconds, len(content), response.num_bytes_downloaded, None)
    token = b'"next_page_token"' in content
    return Case(
        "mlflow_get_history_unpaged",
        "MLflow · get-history, no max_results (one request)",
        first=answer,
        points=content.count(b'"step"'),
        note="next_page_token present" if token else "no next_page_token: the whole history",
    )


def _client_history(url: str, run_id: str, key: str, history: dict[str, Any]) -> Case:
    """``MlflowClient.get_metric_history``: MLflow's own paging (25,000 per page)."""
    client = MlflowClient(tracking_uri=url)
    seconds, metrics = timed(lambda: client.get_metric_history(run_id, key))
    case = Case(
        "mlflow_client_get_metric_history",
        "MLflow · `MlflowClient.get_metric_history` (paged, all points)",
        first=Answer(seconds, 0, 0, None),
        points=len(metrics),
        note="Python objects, not an HTTP body; no sampling",
    )
    case.kept = planted_kept(((m.step, m.value) for m in metrics), history)
    return case


def _local_splits(dataset: Dataset, run_id: str, key: str) -> dict[str, Any]:
    """Where a local first call's time can go, timed in this process on the same store.

    The package's local fast path is under active work, so each piece is timed only if present,
    and a failure is reported rather than raised: a split is a hint, not a result.
    """
    from jupyterlab_aml import metrics
    from jupyterlab_aml.workspaces import local_history

    db = dataset.store_dir / "mlflow.db"
    splits: dict[str, Any] = {}
    try:
        seconds, points = timed(lambda: local_history.load_points_sqlite(db, run_id, key))
        splits["read_all_points_seconds"] = seconds
        splits["points_read"] = len(points)
        seconds, body = timed(
            lambda: metrics.history_response(points, key=key, run_id=run_id, max_points=MAX_POINTS)
        )
        splits["sample_numpy_seconds"] = seconds
        seconds, text = timed(lambda: json.dumps(body, allow_nan=False))
        splits["json_dumps_seconds"] = seconds
        splits["body_bytes"] = len(text)
    except Exception as err:  # noqa: BLE001 - a split is a hint; report and go on
        splits["error"] = f"{type(err).__name__}: {err}"
    sample_sql = getattr(local_history, "sample_response_sqlite", None)
    if sample_sql is not None:
        try:
            seconds, body = timed(lambda: sample_sql(db, run_id, key, max_points=MAX_POINTS))
            splits["sample_in_sql_seconds"] = seconds
            splits["sample_in_sql_used"] = body is not None
        except Exception as err:  # noqa: BLE001 - as above
            splits["sample_in_sql_error"] = f"{type(err).__name__}: {err}"
    return splits


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    cases = {c["name"]: c for c in result["cases"]}
    ui = cases["mlflow_bulk_interval"]
    rows = []
    for case in result["cases"]:
        repeat = case["repeat_seconds"]
        kept = case["planted_kept"]
        is_ours = case["name"].startswith("ours")
        rows.append(
            [
                case["label"],
                fmt_seconds(case["first_seconds"]),
                fmt_seconds(repeat["median"]) if repeat else "–",
                f"{fmt_seconds(repeat['min'])} / {fmt_seconds(repeat['max'])}" if repeat else "–",
                f"{case['points']:,}" if case["points"] is not None else "–",
                fmt_bytes(case["body_bytes"]) if case["body_bytes"] else "–",
                _kept_text(kept),
                fmt_ratio(case["first_seconds"], ui["first_seconds"]) if is_ours else "",
                fmt_ratio(repeat["median"], ui["repeat_seconds"]["median"]) if is_ours else "",
            ]
        )
    table = markdown_table(
        [
            "route",
            "first call",
            "repeat (median)",
            "min / max",
            "points",
            "body",
            "spikes / dips / NaN kept",
            "first ÷ UI route",
            "repeat ÷ UI route",
        ],
        rows,
    )
    n = ui["repeat_seconds"]["n"]
    notes = [f"- {c['label']}: {c['note']}" for c in result["cases"] if c["note"]]
    notes += _splits_notes(result.get("splits", {}))
    return (
        f"## Chart data: one metric of {result['total_points']:,} points, "
        f"max_points={result['max_points']}\n\n"
        f"Time to the last byte (repeats: median of {n}). Targets for ours: first call "
        f"≤ {fmt_seconds(TARGET_FIRST)}, repeat ≤ {fmt_seconds(TARGET_REPEAT)}. "
        f"Planted: 5 spikes, 2 dips, 3 NaNs.\n\n{table}\n\n" + "\n".join(notes) + "\n"
    )


def _splits_notes(splits: dict[str, Any]) -> list[str]:
    notes = []
    if "read_all_points_seconds" in splits:
        notes.append(
            "- split, in this process on the same store: read every point from sqlite "
            f"{fmt_seconds(splits['read_all_points_seconds'])} ({splits['points_read']:,}), "
            f"numpy sampling {fmt_seconds(splits.get('sample_numpy_seconds'))}, "
            f"JSON {fmt_seconds(splits.get('json_dumps_seconds'))}"
        )
    if "sample_in_sql_seconds" in splits:
        used = "" if splits["sample_in_sql_used"] else " (declined: falls back to reading all)"
        notes.append(
            f"- split: sampling in SQL {fmt_seconds(splits['sample_in_sql_seconds'])}{used}"
        )
    notes += [f"- split failed: {v}" for k, v in splits.items() if k.endswith("error")]
    return notes


def _kept_text(kept: dict[str, Any] | None) -> str:
    if not kept:
        return "–"
    nan = "yes" if kept["nan"] else "no"
    return (
        f"{kept['spikes']}/{kept['spikes_planted']} · {kept['dips']}/{kept['dips_planted']} · {nan}"
    )
