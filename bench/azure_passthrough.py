"""Bench: logging to an Azure ML workspace through the passthrough, which signs every request
with a refreshing Azure token, against MLflow's client talking to the AML front directly.

Azure is the loopback double of ``tests/azure_double`` in this process (ARM, token authority and
AML MLflow front on https with its own CA), forwarding to a real ``mlflow server --workers 1``.
Its tokens last ``TOKEN_LIFETIME`` s, so Jupyter signs in again several times while measured.
Both sides are ``MlflowClient`` in this process, as in ``throughput.py`` (whose ``Route``,
rounds and ratios this reuses):

- direct: the front's REST base with ``MLFLOW_TRACKING_TOKEN`` = a token the double mints,
  renewed between calls at half its life, and the double's CA as the server cert path;
- passthrough: ``{jupyter}/aml/mlflow/aml`` with a per-kernel token. Jupyter signs in as a
  service principal (real azure-identity against the double's authority) and signs each
  forwarded request with its cached token, refreshed in the background at half its life.

Afterwards every point is read back from the MLflow server itself and the missing ones counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlflow.tracking import MlflowClient

from tests.azure_double import AzureDouble
from tests.azure_double.fixtures import CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION
from tests.azure_double.fixtures import WORKSPACE as WORKSPACE_NAME

from .kernel_server import NOTEBOOK_DIR, passthrough_url
from .report import fmt_seconds, markdown_table
from .servers import START_TIMEOUT, JupyterServer, MlflowServer, raise_for_status
from .throughput import (
    BATCH_KEYS,
    BATCH_SIZE,
    WARMUP_CALLS,
    Route,
    end_runs,
    log_rounds,
    route_json,
    start_runs,
    with_kernel_token,
)
from .throughput import signed_seconds as signed

ROUNDS = 20
SINGLE_CALLS = 1000  # per route, over all rounds
BATCH_CALLS = 60
TOKEN_LIFETIME = 20.0  # seconds; the measurement (about a minute) spans several lifetimes
WORKSPACE = "aml"
# The direct side's own app id, so the front's request log tells the two sides apart.
DIRECT_APP_ID = "5e8b1b2c-7c1d-4a5e-9f00-0000000000d1"


class AzureJupyterServer(JupyterServer):
    """The bench's Jupyter server plus extra settings and environment (the service principal,
    the double's CA; no embedded store, since nothing here logs to it)."""

    def __init__(self, work_dir: Path, extra_args: list[str], extra_env: dict[str, str]):
        super().__init__(work_dir, work_dir / "store")
        self.extra_args, self.extra_env = extra_args, extra_env

    def launch(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """A flag given twice stops the extension from loading: the extra ones replace theirs."""
        names = {arg.split("=", 1)[0] for arg in self.extra_args}
        kept = [arg for arg in argv if arg.split("=", 1)[0] not in names]
        super().launch([*kept, *self.extra_args], {**env, **self.extra_env}, cwd)


@dataclass
class DirectRoute(Route):
    """MlflowClient straight to the AML front, holding a token from the double."""

    double: AzureDouble | None = None
    mints: int = 0
    _renew_at: float = 0.0

    @contextlib.contextmanager
    def credentials(self) -> Iterator[None]:
        """Renew the token once half its life is gone (outside the timed calls), trust the CA."""
        assert self.double is not None
        if time.time() >= self._renew_at:
            access = self.double.mint(DIRECT_APP_ID, lifetime=self.double.token_lifetime)
            self.token, self.mints = access.token, self.mints + 1
            self._renew_at = access.expires_on - self.double.token_lifetime / 2
        with super().credentials():
            os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = self.double.ca_pem_path
            try:
                yield
            finally:
                os.environ.pop("MLFLOW_TRACKING_SERVER_CERT_PATH", None)


def run(work_dir: Path, *, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Start MLflow, the double and Jupyter; add the workspace; measure; count what was kept."""
    mlflow = MlflowServer(
        work_dir / "store", workers=1, job_execution=False, log_path=work_dir / "mlflow.log"
    )
    double = AzureDouble(token_lifetime=TOKEN_LIFETIME, workdir=work_dir / "double")
    log("  starting MLflow, the Azure double and Jupyter (service principal)")
    with mlflow, double:
        servers = {"mlflow_start_seconds": mlflow.start()}
        double.add_workspace(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE_NAME, mlflow.url)
        double.register_client(CLIENT_ID, CLIENT_SECRET)
        jupyter = AzureJupyterServer(
            work_dir / "jupyter",
            [
                f"--AmlExtension.ca_bundle={double.ca_pem_path}",
                "--AmlExtension.local_autostart=False",
            ],
            {
                "AZURE_TENANT_ID": double.tenant_id,
                "AZURE_CLIENT_ID": CLIENT_ID,
                "AZURE_CLIENT_SECRET": CLIENT_SECRET,
                "AZURE_AUTHORITY_HOST": double.authority_host,
            },
        )
        with jupyter:
            servers["jupyter_start_seconds"] = jupyter.start()
            servers["workspace_ready_seconds"] = _add_workspace(jupyter, double)
            (jupyter.work_dir / "root" / NOTEBOOK_DIR).mkdir(parents=True, exist_ok=True)
            result = asyncio.run(
                with_kernel_token(jupyter, lambda token: _measure(jupyter, double, token, log))
            )
        result["points"] = _points_kept(mlflow.url, result.pop("run_ids"))
        result["tokens"]["authority_token_requests_total"] = double.stats[
            "authority token client_credentials"
        ]
        # Read last: the front records a request just after answering it.
        front = [r for r in double.requests if r.role == "front"]
        result["front_requests"] = {
            name: dict(Counter(str(r.status) for r in front if r.identity == identity))
            for name, identity in (("direct", DIRECT_APP_ID), ("passthrough", CLIENT_ID))
        }
        result["servers"] = servers
    return result


def _add_workspace(jupyter: JupyterServer, double: AzureDouble) -> float:
    """``POST aml/api/workspaces`` for the double's workspace; seconds until it is ready."""
    assert jupyter.http is not None
    started = time.perf_counter()
    response = jupyter.http.post(
        jupyter.api("workspaces"),
        json={
            "name": WORKSPACE,
            "kind": "azureml",
            "subscription_id": SUBSCRIPTION,
            "resource_group": RESOURCE_GROUP,
            "workspace_name": WORKSPACE_NAME,
            "arm_endpoint": double.arm_endpoint,
            "authority_host": double.authority_host,
            "credential": "environment",
        },
    )
    raise_for_status(response)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        workspace = jupyter.workspace(WORKSPACE)
        if workspace.get("state") == "ready":
            return time.perf_counter() - started
        if workspace.get("state") in ("signed_out", "error"):  # fail now, not in 3 minutes
            raise RuntimeError(
                f"workspace {WORKSPACE}: {workspace['state']}: {workspace['detail']}"
            )
        time.sleep(0.05)
    raise RuntimeError(f"workspace {WORKSPACE} not ready within {START_TIMEOUT} s")


def _measure(
    jupyter: JupyterServer, double: AzureDouble, kernel_token: str, log: Callable[[str], None]
) -> dict[str, Any]:
    """Warm up each route, then rotating rounds; the double counts tokens and requests."""
    front = double.rest_base(SUBSCRIPTION, RESOURCE_GROUP, WORKSPACE_NAME)
    routes: list[Route] = [
        DirectRoute("direct", "MLflow client → AML front directly", front, None, double=double),
        Route(
            "passthrough_kernel",
            "passthrough (per-kernel token), signed → AML front",
            passthrough_url(jupyter, WORKSPACE),
            kernel_token,
        ),
    ]
    start_runs(routes, "bench-azure")
    stats_before = double.stats
    load_before, started = os.getloadavg(), time.perf_counter()
    log_rounds(routes, ROUNDS, SINGLE_CALLS, BATCH_CALLS, log)
    seconds, load_after = time.perf_counter() - started, os.getloadavg()
    stats = double.stats - stats_before
    end_runs(routes)
    direct = routes[0]
    assert isinstance(direct, DirectRoute)
    return {
        "direct_url": direct.uri,
        "passthrough_url": routes[1].uri,
        "rounds": ROUNDS,
        "batch_size": BATCH_SIZE,
        "token_lifetime": double.token_lifetime,
        "measure_seconds": seconds,
        "load_before": " ".join(f"{x:.2f}" for x in load_before),
        "load_after": " ".join(f"{x:.2f}" for x in load_after),
        "routes": [route_json(r, direct) for r in routes],
        "tokens": {
            "authority_token_requests": stats["authority token client_credentials"],
            "authority_requests": stats["authority"],
            "direct_mints": direct.mints,
        },
        "run_ids": {r.name: (r.run_id, r.single.round_calls, r.batch.round_calls) for r in routes},
    }


def _points_kept(mlflow_url: str, runs: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Read every metric back from the MLflow server itself: points logged, stored, lost."""
    client = MlflowClient(tracking_uri=mlflow_url)
    steps_per_batch = BATCH_SIZE // BATCH_KEYS
    kept = {}
    for name, (run_id, single_rounds, batch_rounds) in runs.items():
        batches = 1 + sum(batch_rounds)  # the warm-up batch, then the measured ones
        expected = {"single": WARMUP_CALLS + sum(single_rounds)}
        expected |= {f"batch_{k}": batches * steps_per_batch for k in range(BATCH_KEYS)}
        logged = stored = found = 0
        for key, count in expected.items():
            history = client.get_metric_history(run_id, key)
            # Each point's value is its step: a point counts once, at its step, with its value.
            good = {m.step for m in history if m.value == float(m.step) and 0 <= m.step < count}
            logged, stored, found = logged + count, stored + len(history), found + len(good)
        kept[name] = {"logged": logged, "stored": stored, "lost": logged - found}
    return kept


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table: the signed passthrough against direct, and points lost."""
    routes = {r["name"]: r for r in result["routes"]}
    ours, direct = routes["passthrough_kernel"], routes["direct"]
    refreshes = result["tokens"]["authority_token_requests"]
    rows = [
        [
            (
                f"azureml passthrough, signed ({result['token_lifetime']:.0f} s tokens, "
                f"{refreshes} sign-ins), {label} calls/s (ratio: median of rounds)"
            ),
            f"{ours[kind]['calls_per_second']:.1f}/s",
            f"{direct[kind]['calls_per_second']:.1f}/s (direct to the AML front)",
            f"{ours[f'round_ratio_{kind}']:.2f}×",
            "–",
            "–",
        ]
        for kind, label in (("single", "`log_metric`"), ("batch", "`log_batch` (1000)"))
    ]
    points = result["points"]
    lost = points["passthrough_kernel"]["lost"]
    rows.append(
        [
            "azureml passthrough across token refreshes: points lost",
            f"{lost} of {points['passthrough_kernel']['logged']:,}",
            f"{points['direct']['lost']} of {points['direct']['logged']:,} (direct)",
            "–",
            "0",
            "yes" if lost == 0 else "**no**",
        ]
    )
    return rows


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    routes = {r["name"]: r for r in result["routes"]}
    direct = routes["direct"]
    rows = []
    for kind, label in (("single", "`log_metric`"), ("batch", f"`log_batch` ×{BATCH_SIZE}")):
        for route in result["routes"]:
            series, base = route[kind], direct[kind]["per_call_seconds"]
            per_call = series["per_call_seconds"]
            versus = route is not direct
            rows.append(
                [
                    label,
                    route["label"],
                    f"{series['calls']} · {series['calls_per_second']:.1f}",
                    " / ".join(fmt_seconds(per_call[p]) for p in ("p50", "p95", "max")),
                    f"{route[f'round_ratio_{kind}']:.2f}× / {route[f'ratio_{kind}']:.2f}×"
                    if versus
                    else "",
                    " / ".join(signed(per_call[p] - base[p]) for p in ("p50", "p95"))
                    if versus
                    else "",
                ]
            )
    table = markdown_table(
        [
            "call",
            "route",
            "calls · calls/s",
            "per call p50 / p95 / max",
            "calls/s ÷ direct: median of rounds / of totals",
            "p50 / p95 added",
        ],
        rows,
    )
    tokens, front, points = result["tokens"], result["front_requests"], result["points"]
    lifetime = result["token_lifetime"]

    def statuses(name: str) -> str:
        return ", ".join(f"{n} × {status}" for status, n in sorted(front[name].items()))

    servers = result["servers"]
    return (
        "## Azure ML workspace: signed passthrough against the AML front directly\n\n"
        f"The loopback Azure double (ARM, token authority, AML MLflow front on https) in the bench "
        f"process, forwarding to a real `mlflow server --workers 1`; tokens last {lifetime:.0f} s. "
        f"`MlflowClient` in the bench process, sequential calls, {result['rounds']} rounds in "
        "rotating order. Direct: the front's REST base with a token the double minted, renewed "
        "between calls at half its life. Passthrough: `aml/mlflow/aml` with a per-kernel token; "
        "Jupyter signs every forwarded request as a service principal (`credential: "
        "environment`, azure-identity against the double's authority). No target is set for "
        "this one (the local passthrough's is ≥ 0.9×).\n\n"
        f"{table}\n\n"
        f"- measured for {fmt_seconds(result['measure_seconds'])} "
        f"(≈ {result['measure_seconds'] / lifetime:.1f} token lifetimes); load average "
        f"{result['load_before']} before, {result['load_after']} after\n"
        f"- Jupyter signed in {tokens['authority_token_requests']} times meanwhile (token requests "
        f"the authority saw; {tokens['authority_requests']} authority requests in all), "
        f"{tokens['authority_token_requests_total']} times over the whole run; the bench minted "
        f"{tokens['direct_mints']} tokens for the direct side over the whole run\n"
        f"- requests the front answered over the whole run: direct {statuses('direct')}; "
        f"passthrough {statuses('passthrough')}\n"
        f"- points read back from MLflow: direct {points['direct']['lost']} lost of "
        f"{points['direct']['logged']:,} ({points['direct']['stored']:,} stored); passthrough "
        f"**{points['passthrough_kernel']['lost']} lost** of "
        f"{points['passthrough_kernel']['logged']:,} ({points['passthrough_kernel']['stored']:,} "
        "stored)\n"
        f"- `mlflow server` ready in {fmt_seconds(servers['mlflow_start_seconds'])}; Jupyter "
        f"`api/status` in {fmt_seconds(servers['jupyter_start_seconds'])}, then the workspace "
        f"signed in, discovered through ARM and ready in "
        f"{fmt_seconds(servers['workspace_ready_seconds'])}\n"
    )
