"""Bench: logging throughput through the passthrough against the same MLflow server directly.

Both sides are ``MlflowClient`` in this process, on the embedded store's own MLflow child:

- direct: tracking URI = the child's loopback URL (read from its listening socket);
- passthrough, kernel token: ``{jupyter}/aml/mlflow/local`` with ``MLFLOW_TRACKING_TOKEN`` = a
  per-kernel token from ``POST aml/api/kernels/{id}/token`` for a notebook kernel opened for this
  bench (it stays idle). This is exactly a notebook kernel's path: token lookup, the tap, the
  live publish;
- passthrough, Jupyter token: the same URL signed with the server's own token (Jupyter's usual
  authentication and authorization instead of the token lookup), for comparison.

Single ``log_metric`` calls, sequential, and ``log_batch`` calls of 1000 metrics. Each route logs
into its own run. Rounds go over the routes in a rotating order, so a burst of load from
elsewhere hits them alike; calls/s is the total over all rounds, and the ratio to direct is given
both of the totals and as the median of the rounds' ratios (the headline).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from mlflow.entities import Metric
from mlflow.tracking import MlflowClient

from .kernel_server import KernelSessions, mlflow_child_url, passthrough_url, percentiles
from .report import fmt_seconds, markdown_table
from .servers import JupyterServer, raise_for_status

ROUNDS = 10
SINGLE_CALLS = 500  # per route, over all rounds
BATCH_CALLS = 20
BATCH_SIZE = 1000
BATCH_KEYS = 10  # each batch: 10 keys x 100 steps
WARMUP_CALLS = 10
TARGET_RATIO = 0.9  # passthrough calls/s ÷ direct calls/s, at least


@dataclass
class Series:
    """Timings of one kind of call on one route."""

    call_seconds: list[float] = field(default_factory=list)
    round_seconds: list[float] = field(default_factory=list)
    round_calls: list[int] = field(default_factory=list)

    @property
    def calls_per_second(self) -> float:
        """Calls over all rounds ÷ the time those rounds took."""
        return sum(self.round_calls) / sum(self.round_seconds)

    def to_json(self) -> dict[str, Any]:
        """Rate, per-round rates and per-call percentiles."""
        return {
            "calls": sum(self.round_calls),
            "seconds": sum(self.round_seconds),
            "calls_per_second": self.calls_per_second,
            "round_calls_per_second": [
                n / s for n, s in zip(self.round_calls, self.round_seconds, strict=True)
            ],
            "per_call_seconds": percentiles(self.call_seconds),
        }


@dataclass
class Route:
    """One way for a client to reach the MLflow child."""

    name: str
    label: str
    uri: str
    token: str | None
    client: MlflowClient = field(init=False)
    run_id: str = ""
    single: Series = field(default_factory=Series)
    batch: Series = field(default_factory=Series)
    _step: int = 0
    _batches: int = 0

    def __post_init__(self) -> None:
        self.client = MlflowClient(tracking_uri=self.uri)

    @contextlib.contextmanager
    def credentials(self) -> Iterator[None]:
        """MLflow's client reads its token from the environment on every request."""
        saved = {k: v for k, v in os.environ.items() if k.startswith("MLFLOW_")}
        for key in saved:
            del os.environ[key]
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"  # stdout is the report
        if self.token:
            os.environ["MLFLOW_TRACKING_TOKEN"] = self.token
        try:
            yield
        finally:
            for key in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"):
                os.environ.pop(key, None)
            os.environ.update(saved)

    def log_metrics(self, calls: int, series: Series | None) -> None:
        """``calls`` sequential ``log_metric`` calls; timed into ``series`` unless warming up."""
        started = time.perf_counter()
        for _ in range(calls):
            call_started = time.perf_counter()
            self.client.log_metric(self.run_id, "single", float(self._step), step=self._step)
            if series is not None:
                series.call_seconds.append(time.perf_counter() - call_started)
            self._step += 1
        if series is not None:
            series.round_seconds.append(time.perf_counter() - started)
            series.round_calls.append(calls)

    def log_batches(self, calls: int, series: Series | None) -> None:
        """``calls`` sequential ``log_batch`` calls of ``BATCH_SIZE`` metrics each."""
        steps = BATCH_SIZE // BATCH_KEYS
        started = time.perf_counter()
        for _ in range(calls):
            now = int(time.time() * 1000)
            first = self._batches * steps
            metrics = [
                Metric(f"batch_{k}", float(first + s), now, first + s)
                for k in range(BATCH_KEYS)
                for s in range(steps)
            ]
            call_started = time.perf_counter()
            self.client.log_batch(self.run_id, metrics=metrics)
            if series is not None:
                series.call_seconds.append(time.perf_counter() - call_started)
            self._batches += 1
        if series is not None:
            series.round_seconds.append(time.perf_counter() - started)
            series.round_calls.append(calls)


async def with_kernel_token(
    jupyter: JupyterServer, measure: Callable[[str], dict[str, Any]]
) -> dict[str, Any]:
    """Open a notebook kernel, mint its passthrough token as ``%aml_track`` does, and measure
    with it while the kernel lives (idle: it only has to exist for its token to be good)."""
    async with KernelSessions(jupyter) as sessions:
        kernel = await sessions.start("throughput")
        response = await sessions.http.post(jupyter.api(f"kernels/{kernel.kernel_id}/token"))
        raise_for_status(response)
        # MlflowClient blocks this loop while it measures; nothing else runs on it meanwhile.
        return measure(response.json()["token"])


def start_runs(routes: list[Route], experiment_prefix: str) -> None:
    """One new experiment; a run per route in it, warmed up with a few calls of each kind."""
    with routes[0].credentials():
        experiment_id = routes[0].client.create_experiment(f"{experiment_prefix}-{time.time_ns()}")
    for route in routes:
        with route.credentials():
            route.run_id = route.client.create_run(experiment_id, run_name=route.name).info.run_id
            route.log_metrics(WARMUP_CALLS, None)
            route.log_batches(1, None)


def log_rounds(
    routes: list[Route],
    rounds: int,
    single_calls: int,
    batch_calls: int,
    log: Callable[[str], None],
) -> None:
    """``rounds`` rounds over the routes in rotating order (a burst of load elsewhere hits them
    alike): single calls on each route, then batches on each; the calls are per route, in all."""
    for index in range(rounds):
        order = routes[index % len(routes) :] + routes[: index % len(routes)]
        for route in order:
            with route.credentials():
                route.log_metrics(single_calls // rounds, route.single)
        for route in order:
            with route.credentials():
                route.log_batches(batch_calls // rounds, route.batch)
        log(
            f"  round {index + 1}/{rounds}: single calls/s "
            + ", ".join(
                f"{r.name} {r.single.round_calls[-1] / r.single.round_seconds[-1]:.0f}"
                for r in routes
            )
        )


def end_runs(routes: list[Route]) -> None:
    """Mark each route's run finished."""
    for route in routes:
        with route.credentials():
            route.client.set_terminated(route.run_id)


def run(jupyter: JupyterServer, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Interleaved rounds of single and batch logging over the three routes."""
    return asyncio.run(with_kernel_token(jupyter, lambda token: _measure(jupyter, token, log)))


def _measure(
    jupyter: JupyterServer, kernel_token: str, log: Callable[[str], None]
) -> dict[str, Any]:
    """Warm up each route, then the rounds."""
    direct_url = mlflow_child_url(jupyter)
    routes = [
        Route("direct", "MLflow direct (embedded child)", direct_url, None),
        Route(
            "passthrough_kernel",
            "passthrough, per-kernel token",
            passthrough_url(jupyter),
            kernel_token,
        ),
        Route(
            "passthrough_jupyter",
            "passthrough, Jupyter server token",
            passthrough_url(jupyter),
            jupyter.token,
        ),
    ]
    start_runs(routes, "bench-throughput")
    log_rounds(routes, ROUNDS, SINGLE_CALLS, BATCH_CALLS, log)
    end_runs(routes)
    return {
        "direct_url": direct_url,
        "rounds": ROUNDS,
        "batch_size": BATCH_SIZE,
        "target_ratio": TARGET_RATIO,
        "routes": [route_json(r, routes[0]) for r in routes],
    }


def route_json(route: Route, direct: Route) -> dict[str, Any]:
    """Figures of one route, and its ratios to direct: of the totals, and the median of the
    rounds (each round's pair ran back to back, so a burst of load elsewhere skews it less)."""
    result: dict[str, Any] = {"name": route.name, "label": route.label}
    for kind in ("single", "batch"):
        ours, theirs = getattr(route, kind), getattr(direct, kind)
        rounds = [
            (n / s) / (n_direct / s_direct)
            for n, s, n_direct, s_direct in zip(
                ours.round_calls,
                ours.round_seconds,
                theirs.round_calls,
                theirs.round_seconds,
                strict=True,
            )
        ]
        result[kind] = ours.to_json()
        result[f"ratio_{kind}"] = ours.calls_per_second / theirs.calls_per_second
        result[f"round_ratio_{kind}"] = statistics.median(rounds)
    return result


def signed_seconds(seconds: float) -> str:
    return ("+" if seconds >= 0 else "−") + fmt_seconds(abs(seconds))


def _routes(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in result["routes"]}


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table: the kernel's path against direct, both kinds of call."""
    routes = _routes(result)
    ours, direct = routes["passthrough_kernel"], routes["direct"]
    rows = []
    for kind, label in (
        ("single", "`log_metric` calls/s"),
        ("batch", "`log_batch` (1000) calls/s"),
    ):
        ratio = ours[f"round_ratio_{kind}"]
        rows.append(
            [
                f"passthrough throughput, {label} (ratio: median of rounds)",
                f"{ours[kind]['calls_per_second']:.1f}/s",
                f"{direct[kind]['calls_per_second']:.1f}/s (direct child)",
                f"{ratio:.2f}×",
                f"≥ {TARGET_RATIO}×",
                "yes" if ratio >= TARGET_RATIO else "**no**",
            ]
        )
    return rows


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    rows = []
    direct = _routes(result)["direct"]
    for kind, label in (
        ("single", "`log_metric`"),
        ("batch", f"`log_batch` ×{result['batch_size']}"),
    ):
        for route in result["routes"]:
            series = route[kind]
            per_call = series["per_call_seconds"]
            rates = series["round_calls_per_second"]
            rows.append(
                [
                    label,
                    route["label"],
                    str(series["calls"]),
                    f"{series['calls_per_second']:.1f}",
                    f"{min(rates):.1f} / {max(rates):.1f}",
                    fmt_seconds(per_call["p50"]),
                    fmt_seconds(per_call["p95"]),
                    ""
                    if route is direct
                    else f"{route[f'round_ratio_{kind}']:.2f}× / {route[f'ratio_{kind}']:.2f}×",
                    ""
                    if route is direct
                    else signed_seconds(per_call["p50"] - direct[kind]["per_call_seconds"]["p50"]),
                ]
            )
    table = markdown_table(
        [
            "call",
            "route",
            "calls",
            "calls/s",
            "min / max of rounds",
            "per call p50",
            "p95",
            "calls/s ÷ direct: median of rounds / of totals",
            "p50 added",
        ],
        rows,
    )
    ours = _routes(result)["passthrough_kernel"]
    return (
        "## Logging throughput: passthrough against MLflow direct\n\n"
        f"`MlflowClient` in the bench process, sequential calls, {result['rounds']} rounds in "
        "rotating order over the routes; each route logs to its own run on the embedded store's "
        f"MLflow child ({result['direct_url']}). Target: the kernel's path (per-kernel token) ≥ "
        f"{result['target_ratio']}× direct calls/s ({ours['round_ratio_single']:.2f}× single, "
        f"{ours['round_ratio_batch']:.2f}× batch in this run, median of the rounds' ratios; "
        "each round runs the routes back to back, so a burst of load from elsewhere skews the "
        "median less than the totals).\n\n"
        f"{table}\n"
    )
