"""Bench: live push latency, from ``mlflow.log_metric`` in a kernel to a subscribed websocket.

A notebook kernel logs one point every 100 ms for 30 s (300 points) into one run with plain
``mlflow.log_metric``, through the passthrough the extension gives it. A websocket client on
``aml/api/live``, subscribed to that run before the first point, stamps each point's arrival.
The kernel stamps ``time.time()`` right before and right after each call and prints both lists
at the end; kernel and bench share one clock, so latency = arrival − the call's return. A point
can arrive before its call returns: the passthrough publishes once MLflow has accepted the point,
while the answer is still on its way back to the kernel.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from .kernel_server import KernelSessions, percentiles
from .report import fmt_seconds, markdown_table
from .servers import JupyterServer

POINTS = 300
INTERVAL = 0.1  # seconds between points: 10 points/s
KEY = "live"
TARGET_P95 = 0.100
# After the last call returns, how long points may still be on their way.
ARRIVAL_GRACE = 5.0
# MLflow's UI charts, with auto-refresh on, poll get-history-bulk-interval every 30 s:
# EXPERIMENT_RUNS_SAMPLE_METRIC_AUTO_REFRESH_INTERVAL = 30000 in mlflow/server/js/src/
# experiment-tracking/utils/MetricsUtils.ts (`u=3e4`, used as refetchInterval/pollInterval, in
# the bundle mlflow 3.17.2 ships). A point waits on average half of that, at worst all of it.
MLFLOW_UI_REFRESH_SECONDS = 30.0

# The warm-up point opens the kernel's keep-alive connection before the measured ones.
SETUP = """
import json, time, mlflow
_run = mlflow.start_run(run_name="bench-live")
mlflow.log_metric("warmup", 0.0)
print("BENCH_RESULT " + json.dumps({"run_id": _run.info.run_id}))
"""

LOOP = """
_before, _after = [], []
_start = time.time()
for _i in range({points}):
    _delay = _start + _i * {interval} - time.time()
    if _delay > 0:
        time.sleep(_delay)
    _before.append(time.time())
    mlflow.log_metric("{key}", float(_i), step=_i)
    _after.append(time.time())
mlflow.end_run()
print("BENCH_RESULT " + json.dumps({{"before": _before, "after": _after}}))
"""


class LiveListener:
    """A websocket client subscribed to one run, stamping when each point arrives."""

    def __init__(self, jupyter: JupyterServer, run_id: str):
        self.jupyter = jupyter
        self.run_id = run_id
        self.arrivals: dict[int, float] = {}  # step -> time.time() when its message arrived
        self.messages = 0
        self.other_messages: list[str] = []
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        """Connect and subscribe; returns once the server has acknowledged."""
        url = self.jupyter.url.replace("http://", "ws://", 1) + "aml/api/live"
        self._socket = await websocket_connect(HTTPRequest(url, headers=self.jupyter.headers))
        await self._socket.write_message(
            json.dumps({"subscribe": {"workspace": "local", "run_id": self.run_id}})
        )
        while True:
            message = json.loads(await asyncio.wait_for(self._socket.read_message(), 30))
            if message.get("type") == "subscribed":
                break
            if message.get("type") == "error":
                raise RuntimeError(f"live subscribe failed: {message}")
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while (text := await self._socket.read_message()) is not None:
            arrived = time.time()
            message = json.loads(text)
            if message.get("type") != "metrics":
                self.other_messages.append(message.get("type", "?"))
                continue
            self.messages += 1
            for step, _timestamp, _value in message["points"].get(KEY, []):
                self.arrivals.setdefault(int(step), arrived)

    async def wait_for(self, count: int, timeout: float) -> None:
        """Wait until ``count`` points have arrived, or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def close(self) -> None:
        """Stop reading and close the socket."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        if self._socket is not None:
            self._socket.close()


async def _run(jupyter: JupyterServer, log: Callable[[str], None]) -> dict[str, Any]:
    async with KernelSessions(jupyter) as sessions:
        kernel = await sessions.start("live")
        run_id = (await kernel.run(SETUP)).payload["run_id"]
        listener = LiveListener(jupyter, run_id)
        await listener.open()
        try:
            log(f"  logging {POINTS} points at {1 / INTERVAL:.0f}/s")
            loop = LOOP.format(points=POINTS, interval=INTERVAL, key=KEY)
            stamps = (await kernel.run(loop, timeout=POINTS * INTERVAL + 120)).payload
            await listener.wait_for(POINTS, ARRIVAL_GRACE)
        finally:
            await listener.close()
        await sessions.close(kernel)
    before, after = stamps["before"], stamps["after"]
    arrived = sorted(listener.arrivals.items())
    return {
        "points": POINTS,
        "interval_seconds": INTERVAL,
        "arrived": len(arrived),
        "messages": listener.messages,
        "other_messages": listener.other_messages,
        "latency_after_return": percentiles([at - after[step] for step, at in arrived]),
        "latency_from_call": percentiles([at - before[step] for step, at in arrived]),
        "early_points": sum(1 for step, at in arrived if at < after[step]),
        "log_metric_call": percentiles([b - a for a, b in zip(before, after, strict=True)]),
        "logging_seconds": after[-1] - before[0],
        "mlflow_ui_refresh_seconds": MLFLOW_UI_REFRESH_SECONDS,
        "target_p95_seconds": TARGET_P95,
    }


def run(jupyter: JupyterServer, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Log at 10 points/s from a kernel and time each point to the websocket."""
    result = asyncio.run(_run(jupyter, log))
    latency = result["latency_after_return"]
    if latency["n"]:
        log(
            f"  {result['arrived']}/{result['points']} arrived; p50 {latency['p50'] * 1000:.1f} ms,"
            f" p95 {latency['p95'] * 1000:.1f} ms, max {latency['max'] * 1000:.1f} ms"
        )
    return result


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table."""
    p95 = result["latency_after_return"].get("p95")
    return [
        [
            (
                f"live push: `log_metric` return → websocket, p95 ({result['arrived']}/"
                f"{result['points']} points arrived)"
            ),
            fmt_seconds(p95),
            f"≤ {MLFLOW_UI_REFRESH_SECONDS:.0f} s (UI auto-refresh poll)",
            "–",
            fmt_seconds(TARGET_P95),
            "yes" if p95 is not None and p95 <= TARGET_P95 else "**no**",
        ]
    ]


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    rows = []
    for label, figures in (
        ("arrival − `log_metric` returned (the headline)", result["latency_after_return"]),
        ("arrival − `log_metric` called", result["latency_from_call"]),
        ("`log_metric` call in the kernel (for reference)", result["log_metric_call"]),
    ):
        rows.append(
            [label]
            + [fmt_seconds(figures.get(k)) for k in ("p50", "p95", "max", "min")]
            + [str(figures["n"])]
        )
    table = markdown_table(["interval", "p50", "p95", "max", "min", "points"], rows)
    refresh = result["mlflow_ui_refresh_seconds"]
    return (
        "## Live push: kernel `log_metric` → websocket\n\n"
        f"One kernel logs {result['points']} points at {1 / result['interval_seconds']:.0f} "
        f"points/s (took {result['logging_seconds']:.1f} s) with plain `mlflow.log_metric`; a "
        f"websocket subscribed to the run received **{result['arrived']} of "
        f"{result['points']}** points in {result['messages']} messages. Target: p95 ≤ "
        f"{fmt_seconds(result['target_p95_seconds'])}. {result['early_points']} points arrived "
        "before their call had returned (the passthrough publishes once MLflow accepted the "
        "point, while the answer is on its way back): those latencies are negative.\n\n"
        f"{table}\n\n"
        f"For contrast, MLflow's own UI charts with auto-refresh on poll every {refresh:.0f} s "
        f"(`EXPERIMENT_RUNS_SAMPLE_METRIC_AUTO_REFRESH_INTERVAL` in its JS): a new point shows "
        f"after {refresh / 2:.0f} s on average, {refresh:.0f} s at worst, plus the request.\n"
    )
