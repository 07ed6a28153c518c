"""Bench: the data of a 50-run comparison (50 runs × 10,000 points × 2 metrics).

Ours: ``POST aml/api/workspaces/{ws}/compare`` with the 50 run ids, every key, and the point
budget the compare view asks for with 50 runs, on the ``local`` workspace (the embedded store)
and on an ``mlflow``-kind workspace pointing at a direct ``mlflow server --workers 1`` on the same
store. One answer holds the 50 run records and the 100 sampled series.

MLflow, for the same data: ``get-history`` once per run and key (100 requests, all points: what
a script or a UI without sampling does), and ``get-history-bulk-interval`` once per key with the
50 run ids (the route MLflow's own UI charts from; it samples evenly by row). Each answer is
checked for the one spike planted in every run's loss.

First calls are measured once, right after the servers start; repeats go round-robin over the
routes (median, min, max), at most two for a route whose first call took over 10 s. The browser figure (click → charts drawn) is ``compare_browser``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np

from .compare_data import KEYS, CompareDataset, run_series
from .measure import Samples
from .report import fmt_bytes, fmt_ratio, fmt_seconds, markdown_table
from .servers import JupyterServer, MlflowServer, raise_for_status

# What the compare view asks for with 50 runs: CompareModel.pointBudget(50) in src/compare.
MAX_POINTS = 400
TARGET_SECONDS = 1.0
BULK_INTERVAL = "ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
GET_HISTORY = "api/2.0/mlflow/metrics/get-history"
MLFLOW_KIND_WORKSPACE = "bench-compare-direct"
SLOW_SECONDS, SLOW_REPEATS = 10.0, 2
# Requests in flight at once for the per-run history: as a browser would (6 per host).
HISTORY_CONCURRENCY = 6


@dataclass
class Case:
    """One way of getting the comparison's chart data."""

    name: str
    label: str
    fetch: Callable[[], tuple[int, Any]]
    requests: int
    first: float | None = None
    body_bytes: int = 0
    points: int = 0
    spikes_kept: int | None = None
    error: str | None = None
    repeats: Samples = field(default_factory=Samples)

    def call(self) -> tuple[float, int, Any]:
        """Seconds until every answer is in, total body bytes, and the payload(s)."""
        started = time.perf_counter()
        size, payload = self.fetch()
        return time.perf_counter() - started, size, payload

    def to_json(self) -> dict[str, Any]:
        """For results.json."""
        return {
            "name": self.name,
            "label": self.label,
            "requests": self.requests,
            "first_seconds": self.first,
            "repeat_seconds": self.repeats.to_json(),
            "body_bytes": self.body_bytes,
            "points": self.points,
            "spikes_kept": self.spikes_kept,
            "error": self.error,
        }


def spike_steps(count: int) -> list[int]:
    """The step of each run's planted loss spike."""
    return [int(np.argmax(run_series(i)["loss"])) for i in range(count)]


def _ours(http: httpx.Client, url: str, run_ids: list[str]) -> Callable[[], tuple[int, Any]]:
    body = {"run_ids": run_ids, "keys": None, "max_points": MAX_POINTS}

    def fetch() -> tuple[int, Any]:
        response = http.post(url, json=body)
        raise_for_status(response)
        return len(response.content), response.json()

    return fetch


def _per_run_history(http: httpx.Client, run_ids: list[str]) -> Callable[[], tuple[int, Any]]:
    jobs = [(run_id, key) for key in KEYS for run_id in run_ids]

    def one(job: tuple[str, str]) -> tuple[int, Any]:
        response = http.get(GET_HISTORY, params={"run_id": job[0], "metric_key": job[1]})
        raise_for_status(response)
        return len(response.content), (job, response.json().get("metrics", []))

    def fetch() -> tuple[int, Any]:
        with ThreadPoolExecutor(HISTORY_CONCURRENCY) as pool:
            answers = list(pool.map(one, jobs))
        return sum(size for size, _ in answers), [payload for _, payload in answers]

    return fetch


def _bulk_interval(http: httpx.Client, run_ids: list[str]) -> Callable[[], tuple[int, Any]]:
    def fetch() -> tuple[int, Any]:
        size, payloads = 0, []
        for key in KEYS:
            params = {"run_ids": run_ids, "metric_key": key, "max_results": MAX_POINTS}
            response = http.get(BULK_INTERVAL, params=params)
            raise_for_status(response)
            size += len(response.content)
            payloads.append((key, response.json().get("metrics", [])))
        return size, payloads

    return fetch


def _count(case: Case, payload: Any, run_ids: list[str], spikes: list[int]) -> None:
    """Points in the answer, and how many runs' loss spike it kept."""
    index = {run_id: i for i, run_id in enumerate(run_ids)}
    loss_steps: dict[str, set[int]] = {run_id: set() for run_id in run_ids}
    if case.name.startswith("ours"):
        for key, by_run in payload["series"].items():
            for run_id, series in by_run.items():
                case.points += len(series["points"])
                if key == "loss":
                    loss_steps[run_id].update(int(p[0]) for p in series["points"])
    elif case.name == "mlflow_bulk_interval":
        for key, metrics in payload:
            case.points += len(metrics)
            for metric in metrics if key == "loss" else []:
                loss_steps[metric["run_id"]].add(int(metric.get("step", 0)))
    else:
        for (run_id, key), metrics in payload:
            case.points += len(metrics)
            if key == "loss":
                loss_steps[run_id].update(int(m.get("step", 0)) for m in metrics)
    case.spikes_kept = sum(spikes[index[r]] in steps for r, steps in loss_steps.items())


def run(
    dataset: CompareDataset,
    jupyter: JupyterServer,
    direct: MlflowServer,
    *,
    repeats: int,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Measure every case: first calls in order (ours on `local` first), then round-robin."""
    assert jupyter.http is not None
    run_ids = dataset.run_ids
    spikes = spike_steps(len(run_ids))
    mlflow_http = httpx.Client(base_url=direct.url, timeout=600.0, trust_env=False)
    cases = [
        Case(
            "ours_local",
            "ours · `local` (embedded store)",
            _ours(jupyter.http, jupyter.api("workspaces/local/compare"), run_ids),
            1,
        ),
        Case(
            "ours_mlflow_kind",
            "ours · `mlflow`-kind → direct server",
            _ours(
                jupyter.http, jupyter.api(f"workspaces/{MLFLOW_KIND_WORKSPACE}/compare"), run_ids
            ),
            1,
        ),
        Case(
            "mlflow_bulk_interval",
            f"MLflow · get-history-bulk-interval per key, max_results={MAX_POINTS} (its UI's route)",
            _bulk_interval(mlflow_http, run_ids),
            len(KEYS),
        ),
        Case(
            "mlflow_get_history",
            f"MLflow · get-history per run and key, all points ({HISTORY_CONCURRENCY} at a time)",
            _per_run_history(mlflow_http, run_ids),
            len(KEYS) * len(run_ids),
        ),
    ]
    try:
        jupyter.add_mlflow_workspace(MLFLOW_KIND_WORKSPACE, direct.url)
        jupyter.wait_workspace_ready(MLFLOW_KIND_WORKSPACE)
        for case in cases:
            try:
                case.first, case.body_bytes, payload = case.call()
            except RuntimeError as err:  # e.g. a 504: a finding to report, not a crash
                case.error = str(err)
                log(f"  {case.name}: failed: {err}")
                continue
            _count(case, payload, run_ids, spikes)
            log(f"  {case.name}: first {case.first:.3f} s, {case.points:,} points")
        for round_ in range(repeats):
            for case in cases:
                # A route slower than SLOW_SECONDS is repeated only SLOW_REPEATS times.
                slow = case.first is not None and case.first >= SLOW_SECONDS
                if case.error is None and (round_ < SLOW_REPEATS or not slow):
                    try:
                        case.repeats.add(case.call()[0])
                    except RuntimeError as err:
                        case.error = f"repeat {round_ + 1}: {err}"
    finally:
        mlflow_http.close()
    return {
        "runs": len(run_ids),
        "keys": list(KEYS),
        "points_per_metric": dataset.manifest["points_per_metric"],
        "max_points": MAX_POINTS,
        "cases": [case.to_json() for case in cases],
    }


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    cases = {c["name"]: c for c in result["cases"]}
    ui = cases["mlflow_bulk_interval"]
    rows = []
    for case in result["cases"]:
        repeat = case["repeat_seconds"]
        is_ours = case["name"].startswith("ours")
        if case["error"] and case["first_seconds"] is None:
            rows.append([case["label"], str(case["requests"]), f"failed: {case['error'][-160:]}"])
            rows[-1] += [""] * 7
            continue
        rows.append(
            [
                case["label"],
                str(case["requests"]),
                fmt_seconds(case["first_seconds"]),
                fmt_seconds(repeat.get("median")),
                f"{fmt_seconds(repeat.get('min'))} / {fmt_seconds(repeat.get('max'))}",
                f"{case['points']:,}",
                fmt_bytes(case["body_bytes"]),
                f"{case['spikes_kept']}/{result['runs']}",
                fmt_ratio(case["first_seconds"], ui["first_seconds"]) if is_ours else "",
                fmt_ratio(repeat.get("median"), ui["repeat_seconds"].get("median"))
                if is_ours
                else "",
            ]
        )
    table = markdown_table(
        [
            "route",
            "requests",
            "first call",
            "repeat (median)",
            "min / max",
            "points",
            "body",
            "loss spikes kept",
            "first ÷ UI route",
            "repeat ÷ UI route",
        ],
        rows,
    )
    n = max(c["repeat_seconds"].get("n", 0) for c in result["cases"])
    notes = "".join(
        f"- {c['label']}: {c['error']}\n"
        for c in result["cases"]
        if c["error"] and c["first_seconds"] is not None
    )
    return (
        f"## Compare: {result['runs']} runs × {result['points_per_metric']:,} points × "
        f"{len(result['keys'])} metrics\n\n"
        f"Time until every answer is in (repeats: median of {n}, or {SLOW_REPEATS} for a route "
        f"whose first call took over {SLOW_SECONDS:.0f} s); ours is one request holding the "
        f"run records and every series sampled to {result['max_points']} points, extremes kept. "
        f"Target for ours: ≤ {fmt_seconds(TARGET_SECONDS)}. Each run's loss has one planted "
        f"spike.\n\n{table}\n" + (f"\n{notes}" if notes else "")
    )


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table."""
    cases = {c["name"]: c for c in result["cases"]}
    ui = cases["mlflow_bulk_interval"]
    rows = []
    for name, label, pick in (
        ("ours_local", "first call", "first"),
        ("ours_local", "repeat", "repeat"),
        ("ours_mlflow_kind", "first call", "first"),
    ):
        case = cases[name]
        kind = "local" if name == "ours_local" else "mlflow-kind"

        def value(c: dict[str, Any], which: str = pick) -> float | None:
            return c["first_seconds"] if which == "first" else c["repeat_seconds"].get("median")

        ours, theirs = value(case), value(ui)
        if ours is None:
            rows.append([f"compare 50 runs × 10k × 2, {kind}, {label}", "failed", "–", "–",
                         fmt_seconds(TARGET_SECONDS), "**no**"])  # fmt: skip
            continue
        rows.append(
            [
                f"compare 50 runs × 10k × 2, {kind}, {label}",
                fmt_seconds(ours),
                f"{fmt_seconds(theirs)} (UI bulk-interval)",
                fmt_ratio(ours, theirs),
                fmt_seconds(TARGET_SECONDS),
                "yes" if ours is not None and ours <= TARGET_SECONDS else "**no**",
            ]
        )
    return rows
