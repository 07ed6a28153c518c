"""The compare bench's data: 50 runs × 10,000 points × 2 metrics, logged through MLflow.

Runs are split over two experiments (a comparison across experiments is the case MLflow's own
UI handles worst) and each has a few params, so the diff table and parallel coordinates have
something to show. Written by ``MlflowClient.log_batch`` (at most 1000 metrics per call) through
a direct ``mlflow server --workers 1``, as ``datasets.py`` does, and cached in
``bench/.data/compare-<key>/`` with a ``manifest.json`` written last. The directory name does not
start with ``v``, so ``datasets.py``'s clean-up of stale caches leaves it alone.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient

from .datasets import DEFAULT_THREADS, METRICS_PER_BATCH, Log, _parallel, cached_store
from .servers import MlflowServer

# Bump when anything below changes what is generated.
COMPARE_DATA_VERSION = "1"
RUNS = 50
POINTS = 10_000
KEYS = ("loss", "accuracy")
EXPERIMENTS = ("bench-compare-a", "bench-compare-b")
_SEED = 20_250_101
_T0_MS = 1_700_000_000_000
# Each batch carries both keys for the same steps: 1000 metrics per call.
_STEPS_PER_BATCH = METRICS_PER_BATCH // len(KEYS)


@dataclass
class CompareDataset:
    """A generated store and its manifest."""

    root: Path
    manifest: dict[str, Any]
    generated_now: bool

    @property
    def store_dir(self) -> Path:
        """The embedded-store layout: ``mlflow.db`` plus ``artifacts/``."""
        return self.root / "store"

    @property
    def run_ids(self) -> list[str]:
        """The 50 runs, in the order they were created."""
        return self.manifest["run_ids"]


def cache_key() -> str:
    """Names the cache directory; changes whenever the data would."""
    return f"compare-v{COMPARE_DATA_VERSION}-mlflow{mlflow.__version__}"


def ensure_compare_dataset(
    *, regenerate: bool = False, threads: int = DEFAULT_THREADS, log: Log = print
) -> CompareDataset:
    """The cached data set, generated first when missing, stale, or asked for."""
    root, manifest, generated_now = cached_store(
        cache_key(), "compare-", lambda root: _generate(root, threads, log), regenerate=regenerate
    )
    return CompareDataset(root, manifest, generated_now=generated_now)


def run_series(index: int) -> dict[str, np.ndarray]:
    """The two metrics of run ``index``: a noisy decaying loss and a rising accuracy."""
    rng = np.random.default_rng(_SEED + index)
    steps = np.arange(POINTS, dtype=np.float64)
    scale = 1.0 + (index % 7) / 10
    loss = scale / (1.0 + steps / (500.0 + 40 * index)) + rng.normal(0.0, 0.02, POINTS)
    accuracy = 1.0 - 0.5 * loss / scale + rng.normal(0.0, 0.01, POINTS)
    # One spike per run, where a sampled chart must still show it.
    loss[int(rng.integers(100, POINTS - 100))] = 5.0 + index / 10
    return {"loss": loss, "accuracy": accuracy}


def _generate(root: Path, threads: int, log: Log) -> dict[str, Any]:
    store = root / "store"
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    started = time.perf_counter()
    with MlflowServer(store, workers=1, job_execution=False) as server:
        server.start()
        client = MlflowClient(tracking_uri=server.url)
        log(f"generating compare data set {cache_key()} in {root} (first time only)")
        experiment_ids = [client.create_experiment(name) for name in EXPERIMENTS]
        run_ids = [
            client.create_run(
                experiment_ids[i % 2], start_time=_start_ms(i), run_name=f"cmp-{i:02d}"
            ).info.run_id
            for i in range(RUNS)
        ]
        batches = [(i, start) for i in range(RUNS) for start in range(0, POINTS, _STEPS_PER_BATCH)]

        def batch(n: int) -> None:
            index, start = batches[n]
            _log_batch(client, run_ids[index], index, start)

        _parallel(batch, range(len(batches)), threads, "compare points", log)
        for index, run_id in enumerate(run_ids):
            client.log_batch(
                run_id,
                params=[
                    Param("lr", str((1e-4, 3e-4, 1e-3, 3e-3, 1e-2)[index % 5])),
                    Param("batch_size", str(2 ** (5 + index % 4))),
                    Param("optimizer", ("adam", "sgd", "adamw")[index % 3]),
                ],
            )
            client.set_terminated(run_id, "FINISHED", end_time=_end_ms(index))
    return {
        "key": cache_key(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "experiment_ids": experiment_ids,
        "run_ids": run_ids,
        "runs": RUNS,
        "points_per_metric": POINTS,
        "keys": list(KEYS),
        "generation": {
            "total_seconds": time.perf_counter() - started,
            "threads": threads,
            "db_bytes": (store / "mlflow.db").stat().st_size,
        },
    }


def _start_ms(index: int) -> int:
    return _T0_MS + index * 3_600_000


def _end_ms(index: int) -> int:
    return _start_ms(index) + POINTS * 100 + 1


def _log_batch(client: MlflowClient, run_id: str, index: int, start: int) -> None:
    series = run_series(index)
    end = min(start + _STEPS_PER_BATCH, POINTS)
    metrics = [
        Metric(key, float(series[key][step]), _start_ms(index) + step * 100, step)
        for step in range(start, end)
        for key in KEYS
    ]
    client.log_batch(run_id, metrics=metrics)
