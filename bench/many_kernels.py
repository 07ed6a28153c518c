"""Bench: 20 notebook kernels logging at once through the passthrough; no point may be lost.

Twenty sessions are started in parallel (``POST api/sessions``) and import MLflow. Then each
kernel starts its own run and, all together at one agreed instant, logs 200 points as fast as it
can with plain MLflow calls: 75 ``mlflow.log_metric("single", ...)``, one
``MlflowClient().log_batch`` of 50 points (key ``batch``), then 75 more ``log_metric``. Each
kernel catches and counts exceptions (after MLflow's own retries, left at their defaults), and
times its calls. The points stored are then counted with ``MlflowClient.get_metric_history``
against the MLflow child directly, and compared with the points logged. Failed passthrough
requests (4xx/5xx, retried ones included) are counted from the Jupyter server's log.

The same kernels then do it again straight to the MLflow child (``mlflow.set_tracking_uri``),
new runs, for contrast: what the store itself manages under this load. At the end every session
is deleted, and no kernel process may be left.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import psutil
from mlflow.tracking import MlflowClient

from .kernel_server import (
    KernelSessions,
    NotebookKernel,
    failed_passthrough_requests,
    kernel_processes,
    log_offset,
    log_since,
    mlflow_child_url,
    percentiles,
    wait_kernels_gone,
)
from .report import fmt_seconds, markdown_table
from .servers import JupyterServer

KERNELS = 20
SINGLE_POINTS = 150
BATCH_POINTS = 50
# Seconds between sending the logging cell and the instant all kernels start: every kernel has
# its cell by then.
START_DELAY = 2.0
# See kernel_server.KernelStartFailed.
PORT_CLASH = "Address already in use"

SETUP = """
import json, os, time, mlflow
from mlflow.entities import Metric
_passthrough = os.environ["MLFLOW_TRACKING_URI"]
"""

# {uri}: a Python expression for the tracking URI.
# Twenty runs created at once can fail (MLflow answers 400 when its connection pool runs dry):
# counted, then tried again, so that the logging phase still has every kernel.
START_RUN = """
mlflow.set_tracking_uri({uri})
_start_errors = []
for _attempt in range(3):
    try:
        _run = mlflow.start_run(run_name="bench-many-kernels-{phase}")
        break
    except Exception as err:
        _start_errors.append(f"{{type(err).__name__}}: {{str(err)[:200]}}")
else:
    raise RuntimeError(_start_errors[-1])
print("BENCH_RESULT " + json.dumps({{"run_id": _run.info.run_id, "errors": _start_errors}}))
"""

LOOP = """
_client, _errors, _calls, _accepted = mlflow.MlflowClient(), [], [], 0
def _log(call, points):
    global _accepted
    started = time.time()
    try:
        call()
        _accepted += points
    except Exception as err:
        _errors.append(f"{{type(err).__name__}}: {{str(err)[:200]}}")
    _calls.append(time.time() - started)
time.sleep(max(0.0, {start_at} - time.time()))
_start = time.time()
for _i in range({single}):
    if _i == {single} // 2:
        _now = int(time.time() * 1000)
        _batch = [Metric("batch", float(s), _now, s) for s in range({batch})]
        _log(lambda: _client.log_batch(_run.info.run_id, metrics=_batch), {batch})
    _log(lambda: mlflow.log_metric("single", float(_i), step=_i), 1)
_end = time.time()
mlflow.end_run()
print("BENCH_RESULT " + json.dumps(
    {{"start": _start, "end": _end, "accepted": _accepted, "errors": _errors, "calls": _calls}}
))
"""


def _stored(client: MlflowClient, run_id: str) -> dict[str, int]:
    """Points the MLflow store holds for one run, per key, and distinct steps of each."""
    counts: dict[str, int] = {}
    for key in ("single", "batch"):
        history = client.get_metric_history(run_id, key)
        counts[key] = len(history)
        counts[f"{key}_distinct_steps"] = len({m.step for m in history})
    return counts


def _kernels_rss(jupyter: JupyterServer) -> int:
    total = 0
    for process in kernel_processes(jupyter):
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total


async def _phase(
    jupyter: JupyterServer, kernels: list[NotebookKernel], phase: str, uri: str
) -> dict[str, Any]:
    """All kernels start a run on ``uri``, then log at once; what they saw and what was stored."""
    offset = log_offset(jupyter)
    code = START_RUN.format(uri=uri, phase=phase)
    started = [cell.payload for cell in await asyncio.gather(*(k.run(code) for k in kernels))]
    run_ids = [s["run_id"] for s in started]
    loop = LOOP.format(start_at=time.time() + START_DELAY, single=SINGLE_POINTS, batch=BATCH_POINTS)
    reports = [cell.payload for cell in await asyncio.gather(*(k.run(loop) for k in kernels))]
    failed = failed_passthrough_requests(jupyter, offset)
    client = MlflowClient(tracking_uri=mlflow_child_url(jupyter))
    stored = [_stored(client, run_id) for run_id in run_ids]
    logged = (SINGLE_POINTS + BATCH_POINTS) * len(kernels)
    distinct = sum(s["single_distinct_steps"] + s["batch_distinct_steps"] for s in stored)
    wall = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    errors = [e for r in reports for e in r["errors"]]
    start_errors = [e for s in started for e in s["errors"]]
    return {
        "points_logged": logged,
        "points_accepted": sum(r["accepted"] for r in reports),
        "points_stored": sum(s["single"] + s["batch"] for s in stored),
        "points_stored_distinct": distinct,
        "points_lost": logged - distinct,
        "runs_incomplete": sum(
            1
            for s in stored
            if (s["single_distinct_steps"], s["batch_distinct_steps"])
            != (SINGLE_POINTS, BATCH_POINTS)
        ),
        "wall_seconds": wall,
        "points_per_second": logged / wall,
        "calls_per_second": (SINGLE_POINTS + 1) * len(kernels) / wall,
        "kernel_seconds": percentiles([r["end"] - r["start"] for r in reports]),
        "call_seconds": percentiles([c for r in reports for c in r["calls"]]),
        "kernel_errors": len(errors),
        "kernel_error_samples": sorted(set(errors))[:10],
        "start_run_errors": len(start_errors),
        "start_run_error_samples": sorted(set(start_errors))[:5],
        "failed_passthrough_requests": failed,
    }


async def _run(jupyter: JupyterServer, log: Callable[[str], None]) -> dict[str, Any]:
    timings: dict[str, float] = {}
    phases: dict[str, dict[str, Any]] = {}
    async with KernelSessions(jupyter) as sessions:
        start_offset = log_offset(jupyter)
        started = time.perf_counter()
        kernels = await sessions.start_many([f"many-{i:02d}" for i in range(KERNELS)])
        timings["start_kernels"] = time.perf_counter() - started
        start_failures = list(sessions.start_failures)
        port_clashes = log_since(jupyter, start_offset).count(PORT_CLASH)
        log(f"  {KERNELS} kernels ready in {timings['start_kernels']:.1f} s")
        started = time.perf_counter()
        await asyncio.gather(*(k.run(SETUP) for k in kernels))
        timings["import_mlflow"] = time.perf_counter() - started
        rss = _kernels_rss(jupyter)
        for phase, uri in (
            ("passthrough", "_passthrough"),
            ("direct", repr(mlflow_child_url(jupyter))),
        ):
            phases[phase] = result = await _phase(jupyter, kernels, phase, uri)
            log(
                f"  {phase}: {result['points_logged']} points in {result['wall_seconds']:.1f} s "
                f"({result['points_per_second']:.0f}/s); lost {result['points_lost']}, kernel "
                f"errors {result['kernel_errors']}"
            )
        started = time.perf_counter()
        await sessions.close_all()
        kernels_listed = await sessions.running_kernels()
    kernels_left = wait_kernels_gone(jupyter)
    timings["shutdown"] = time.perf_counter() - started
    return {
        "kernels": KERNELS,
        "points_per_kernel": {"single": SINGLE_POINTS, "batch": BATCH_POINTS},
        "phases": phases,
        "ratio_points_per_second": phases["passthrough"]["points_per_second"]
        / phases["direct"]["points_per_second"],
        "kernel_start_failures": start_failures,
        "kernel_port_clashes": port_clashes,
        "kernels_rss_bytes": rss,
        "kernels_listed_after_delete": kernels_listed,
        "kernel_processes_left": kernels_left,
        "timings_seconds": timings,
    }


def run(jupyter: JupyterServer, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Start the kernels, log from all at once, count what was stored, shut everything down."""
    return asyncio.run(_run(jupyter, log))


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table."""
    ours, direct = result["phases"]["passthrough"], result["phases"]["direct"]
    failed = sum(ours["failed_passthrough_requests"].values())
    return [
        [
            f"{result['kernels']} kernels logging at once: points lost ({failed} failed requests)",
            f"{ours['points_lost']} of {ours['points_logged']:,}",
            f"{direct['points_lost']} (kernels → child directly)",
            "–",
            "0",
            "yes" if ours["points_lost"] == 0 else "**no**",
        ],
        [
            f"{result['kernels']} kernels logging at once: points/s",
            f"{ours['points_per_second']:.0f}/s",
            f"{direct['points_per_second']:.0f}/s (kernels → child directly)",
            f"{result['ratio_points_per_second']:.2f}×",
            "–",
            "–",
        ],
    ]


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    ours, direct = result["phases"]["passthrough"], result["phases"]["direct"]

    def both(label: str, show: Callable[[dict[str, Any]], str]) -> list[str]:
        return [label, show(ours), show(direct)]

    def calls(p: dict[str, Any]) -> str:
        c = p["call_seconds"]
        return f"{fmt_seconds(c['p50'])} / {fmt_seconds(c['p95'])} / {fmt_seconds(c['max'])}"

    def failed(p: dict[str, Any]) -> str:
        return ", ".join(f"{k}: {v}" for k, v in p["failed_passthrough_requests"].items()) or "0"

    rows = [
        both("points logged", lambda p: f"{p['points_logged']:,}"),
        both("points the kernels saw accepted", lambda p: f"{p['points_accepted']:,}"),
        both(
            "points stored (distinct steps)",
            lambda p: f"{p['points_stored']:,} ({p['points_stored_distinct']:,})",
        ),
        both("**points lost**", lambda p: f"**{p['points_lost']}**"),
        both("runs missing points", lambda p: str(p["runs_incomplete"])),
        both("wall time, first kernel start → last done", lambda p: fmt_seconds(p["wall_seconds"])),
        both("points/s, all kernels", lambda p: f"{p['points_per_second']:.0f}"),
        both("calls/s, all kernels", lambda p: f"{p['calls_per_second']:.0f}"),
        both(
            "one kernel's logging time, p50 / max",
            lambda p: (
                f"{fmt_seconds(p['kernel_seconds']['p50'])} / "
                f"{fmt_seconds(p['kernel_seconds']['max'])}"
            ),
        ),
        both("one call in a kernel, p50 / p95 / max", calls),
        both("exceptions in kernels while logging", lambda p: str(p["kernel_errors"])),
        both("`start_run` failures (then tried again)", lambda p: str(p["start_run_errors"])),
        both("failed passthrough requests (server log)", failed),
    ]
    timings, rss_mb = result["timings_seconds"], result["kernels_rss_bytes"] / 2**20
    notes = [
        (
            f"- start {result['kernels']} kernels in parallel: "
            f"{fmt_seconds(timings['start_kernels'])}; then `import mlflow` in all: "
            f"{fmt_seconds(timings['import_mlflow'])}; RSS of the kernels, summed: {rss_mb:.0f} MB"
        ),
        (
            "- kernels that failed to start (replaced): "
            f"{len(result['kernel_start_failures'])}; ZMQ port clashes in the server log: "
            f"{result['kernel_port_clashes']}"
        ),
        (
            f"- after deleting the sessions: {result['kernels_listed_after_delete']} kernels "
            f"listed, {result['kernel_processes_left']} kernel processes left"
        ),
    ]
    notes += [
        f"- kernel error: `{e}`"
        for p in (ours, direct)
        for e in p["start_run_error_samples"] + p["kernel_error_samples"]
    ]
    per = result["points_per_kernel"]
    table = markdown_table(["figure", "through the passthrough", "kernels → child directly"], rows)
    return (
        f"## {result['kernels']} kernels logging at once through the passthrough\n\n"
        f"Each kernel logs {per['single'] + per['batch']} points into its own run, as fast as "
        f"it can: {per['single']} `mlflow.log_metric` calls with one `log_batch` of "
        f"{per['batch']} points halfway, all kernels starting at one instant; then the same "
        "kernels again straight to the MLflow child, new runs, for contrast. Stored points are "
        "counted with `MlflowClient.get_metric_history` on the child. Target: 0 lost through "
        f"the passthrough. Passthrough points/s ÷ direct: "
        f"{result['ratio_points_per_second']:.2f}×.\n\n{table}\n\n" + "\n".join(notes) + "\n"
    )
