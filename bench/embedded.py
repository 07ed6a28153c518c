"""Bench 1: the embedded store's launch → ready time and memory, against ``mlflow server``.

Three ways to serve one sqlite store, each measured the same way: seconds from launch until a
store-backed route answers 200 (polled every 50 ms), then the memory of the whole process tree one
second later. Each gets its own empty store: the first start there is cold (creates and migrates
the database), later starts are warm and give the headline figure. Warm repeats go round-robin
across the three, so a burst of background load on a shared machine hits them alike.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyterlab_aml.workspaces.local import LocalWorkspace

from .measure import MB, Samples, TreeMemory, tree_memory
from .report import fmt_ratio, fmt_seconds, markdown_table
from .servers import START_TIMEOUT, MlflowServer

TARGET_SECONDS = 3.0
TARGET_RSS_MB = 400
SETTLE_SECONDS = 1.0
# `mlflow server` keeps spawning job-runner helpers after it answers: a second, later sample.
SETTLED_SECONDS = 5.0


@dataclass
class Start:
    """One launch: seconds to ready, and the tree's memory 1 s and 5 s after."""

    seconds: float
    memory: TreeMemory
    settled: TreeMemory


def _sample_memory(pid: int) -> tuple[TreeMemory, TreeMemory]:
    time.sleep(SETTLE_SECONDS)
    first = tree_memory(pid)
    time.sleep(SETTLED_SECONDS - SETTLE_SECONDS)
    return first, tree_memory(pid)


@dataclass
class Config:
    """A way to serve the store, and how to launch it once."""

    name: str
    label: str
    launch: Callable[[Path], Start]


def _start_ours(store_dir: Path) -> Start:
    """Exactly what the extension does: ``LocalWorkspace.start()`` until its state is ready."""
    return asyncio.run(_start_ours_async(store_dir))


def _local_workspace(store_dir: Path) -> LocalWorkspace:
    """The extension's own class; older revisions also took a history cache."""
    kwargs: dict[str, Any] = {}
    if "history_cache" in inspect.signature(LocalWorkspace).parameters:
        from jupyterlab_aml.metrics import MetricHistoryCache

        kwargs["history_cache"] = MetricHistoryCache()
    return LocalWorkspace("local", store_dir=str(store_dir), **kwargs)


async def _start_ours_async(store_dir: Path) -> Start:
    workspace = _local_workspace(store_dir)
    try:
        started = time.perf_counter()
        await workspace.start()
        deadline = time.monotonic() + START_TIMEOUT
        while workspace.state != "ready":
            if workspace.state == "error" or time.monotonic() > deadline:
                raise RuntimeError(f"embedded store did not start: {workspace.detail}")
            await asyncio.sleep(0.002)
        seconds = time.perf_counter() - started
        assert workspace.pid is not None
        pid = workspace.pid
        return Start(seconds, *await asyncio.to_thread(_sample_memory, pid))
    finally:
        await workspace.stop()


def _mlflow_launcher(workers: int | None, job_execution: bool) -> Callable[[Path], Start]:
    def launch(store_dir: Path) -> Start:
        with MlflowServer(
            store_dir, workers=workers, job_execution=job_execution, log_path=store_dir / "log"
        ) as server:
            seconds = server.start()
            return Start(seconds, *_sample_memory(server.pid))

    return launch


CONFIGS = (
    Config("ours", "ours: LocalWorkspace (uvicorn, 1 worker, jobs off)", _start_ours),
    Config("mlflow_default", "`mlflow server` (defaults)", _mlflow_launcher(None, True)),
    Config(
        "mlflow_lean",
        "`mlflow server --workers 1`, jobs off",
        _mlflow_launcher(1, job_execution=False),
    ),
)


def run(work_dir: Path, *, repeats: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Cold start once per config, then ``repeats`` warm starts, round-robin."""
    cold: dict[str, Start] = {}
    warm: dict[str, list[Start]] = {c.name: [] for c in CONFIGS}
    for config in CONFIGS:
        cold[config.name] = config.launch(work_dir / config.name)
        log(f"  {config.name}: cold start {cold[config.name].seconds:.2f} s")
    for index in range(repeats):
        for config in CONFIGS:
            warm[config.name].append(config.launch(work_dir / config.name))
        log(f"  warm round {index + 1}/{repeats} done")
    return {"configs": [_summary(c, cold[c.name], warm[c.name]) for c in CONFIGS]}


def _summary(config: Config, cold: Start, warm: list[Start]) -> dict[str, Any]:
    seconds = Samples([s.seconds for s in warm])
    # Memory of the warm start whose launch time was the median one.
    typical = sorted(warm, key=lambda s: s.seconds)[len(warm) // 2]
    return {
        "name": config.name,
        "label": config.label,
        "warm_seconds": seconds.to_json(),
        "cold_seconds": cold.seconds,
        "memory": typical.memory.to_json(),
        "settled_memory": typical.settled.to_json(),
        "memory_samples_rss_bytes": [s.memory.rss for s in warm],
        "settled_samples_rss_bytes": [s.settled.rss for s in warm],
        "cold_memory": cold.memory.to_json(),
    }


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    configs = result["configs"]
    ours = next(c for c in configs if c["name"] == "ours")
    rows = []
    for c in configs:
        warm, memory, settled = c["warm_seconds"], c["memory"], c["settled_memory"]
        rows.append(
            [
                c["label"],
                fmt_seconds(warm["median"]),
                f"{fmt_seconds(warm['min'])} / {fmt_seconds(warm['max'])}",
                fmt_seconds(c["cold_seconds"]),
                str(memory["processes"]),
                f"{memory['rss_bytes'] / MB:.0f}",
                f"{memory['pss_bytes'] / MB:.0f}",
                f"{memory['uss_bytes'] / MB:.0f}",
                f"{settled['processes']} · {settled['rss_bytes'] / MB:.0f}",
                "" if c is ours else fmt_ratio(ours["warm_seconds"]["median"], warm["median"]),
                ""
                if c is ours
                else fmt_ratio(ours["settled_memory"]["rss_bytes"], settled["rss_bytes"]),
            ]
        )
    n = configs[0]["warm_seconds"]["n"]
    table = markdown_table(
        [
            "server",
            "warm start (median)",
            "min / max",
            "cold start",
            "processes (+1 s)",
            "RSS MB",
            "PSS MB",
            "USS MB",
            "+5 s: processes · RSS MB",
            "ours ÷ this (time)",
            "ours ÷ this (RSS at +5 s)",
        ],
        rows,
    )
    fit = (
        ours["warm_seconds"]["median"] <= TARGET_SECONDS
        and ours["memory"]["rss_bytes"] <= TARGET_RSS_MB * MB
    )
    return (
        "## Embedded store: launch → ready, and memory\n\n"
        f"Launch until `experiments/search` answers 200; memory of the process tree 1 s later, "
        "and again at 5 s since `mlflow server` keeps starting helpers after it answers "
        f"(warm store, median of {n}; cold = first start on an empty store). "
        f"Target for ours: ≤ {TARGET_SECONDS:.0f} s and ≤ {TARGET_RSS_MB} MB RSS "
        f"({'met' if fit else 'NOT met'} in this run).\n\n{table}\n"
    )
