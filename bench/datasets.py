"""The benches' data, logged through MLflow's own client and server, and cached between runs.

One sqlite store holds both data sets: a run with a 1,000,000-point metric (with planted spikes,
dips and NaNs), and an experiment of 10,000 runs with a few metrics, params and tags each. It is
written by ``MlflowClient`` (``log_batch`` of at most 1000 metrics) through a direct
``mlflow server --workers 1`` on the store, which is what a user's notebook would have done.

The cache lives in ``bench/.data/<key>/``; the key holds ``DATASET_VERSION`` and the MLflow
version, so a changed generator (bump the version) or a new MLflow schema regenerates.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from .servers import MlflowServer

# Bump when anything below changes what is generated.
DATASET_VERSION = "1"
DATA_DIR = Path(__file__).parent / ".data"

HISTORY_EXPERIMENT = "bench-history-1m"
HISTORY_KEY = "loss"
HISTORY_POINTS = 1_000_000
# Planted extremes, far apart so each falls in its own bucket of any 1000-point sampling.
SPIKE_STEPS = (123_457, 345_679, 567_891, 789_013, 901_235)
DIP_STEPS = (222_222, 777_777)
NAN_STEPS = (55_555, 444_444, 999_000)

RUNS_EXPERIMENT = "bench-runs-10k"
RUNS = 10_000
METRICS_PER_BATCH = 1000
# Measured on 2 cores: sqlite serialises writes, so 2 client threads beat 1 and also beat 3+.
DEFAULT_THREADS = 2
_SEED = 20_240_601
_T0_MS = 1_700_000_000_000

Log = Callable[[str], None]


@dataclass
class Dataset:
    """A generated store and what the benches need to know about it."""

    root: Path
    manifest: dict[str, Any]
    generated_now: bool

    @property
    def store_dir(self) -> Path:
        """The embedded-store layout: ``mlflow.db`` plus ``artifacts/``."""
        return self.root / "store"

    @property
    def history(self) -> dict[str, Any]:
        """Run id, key and planted points of the long metric."""
        return self.manifest["history"]

    @property
    def runs(self) -> dict[str, Any]:
        """Experiment id and size of the many-runs experiment."""
        return self.manifest["runs"]


def cache_key() -> str:
    """Names the cache directory; changes whenever the data would."""
    return f"v{DATASET_VERSION}-mlflow{mlflow.__version__}"


def ensure_dataset(
    *, regenerate: bool = False, threads: int = DEFAULT_THREADS, log: Log = print
) -> Dataset:
    """The cached data set, generated first when missing, stale, or asked for."""
    root, manifest, generated_now = cached_store(
        cache_key(), "v", lambda root: _generate(root, threads, log), regenerate=regenerate
    )
    return Dataset(root, manifest, generated_now=generated_now)


def cached_store(
    key: str,
    family: str,
    generate: Callable[[Path], dict[str, Any]],
    *,
    regenerate: bool = False,
) -> tuple[Path, dict[str, Any], bool]:
    """(root, manifest, generated now) of the cache ``DATA_DIR/key``, generated into
    ``root/store`` when missing or asked for. Other versions of the same ``family`` (the key's
    prefix) are removed: they are never read again."""
    root = DATA_DIR / key
    manifest_path = root / "manifest.json"
    if manifest_path.exists() and not regenerate:
        return root, json.loads(manifest_path.read_text()), False
    if DATA_DIR.exists():
        for child in DATA_DIR.iterdir():
            if child.is_dir() and child != root and child.name.startswith(family):
                shutil.rmtree(child)
    if root.exists():
        shutil.rmtree(root)  # an interrupted or unwanted generation
    (root / "store").mkdir(parents=True)
    manifest = generate(root)
    manifest_path.write_text(json.dumps(manifest, indent=2))  # written last: marks it complete
    return root, manifest, True


def history_series() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps, timestamps (ms) and values of the long metric: a noisy decay plus planted points."""
    rng = np.random.default_rng(_SEED)
    steps = np.arange(HISTORY_POINTS, dtype=np.int64)
    timestamps = _T0_MS + steps * 10
    values = 1.0 / (1.0 + steps / 50_000.0) + rng.normal(0.0, 0.01, HISTORY_POINTS)
    for rank, step in enumerate(SPIKE_STEPS):
        values[step] = 10.0 + rank
    for rank, step in enumerate(DIP_STEPS):
        values[step] = -5.0 - rank
    values[list(NAN_STEPS)] = np.nan
    return steps, timestamps, values


def _generate(root: Path, threads: int, log: Log) -> dict[str, Any]:
    store = root / "store"
    # MlflowClient prints a "View run" link per finished run unless told not to.
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    started = time.perf_counter()
    with MlflowServer(store, workers=1, job_execution=False) as server:
        server_start = server.start()
        client = MlflowClient(tracking_uri=server.url)
        log(f"generating data set {cache_key()} in {root} (first time only)")
        phase = time.perf_counter()
        history = _log_history(client, threads, log)
        history_seconds = time.perf_counter() - phase
        phase = time.perf_counter()
        runs = _log_runs(client, threads, log)
        runs_seconds = time.perf_counter() - phase
    return {
        "key": cache_key(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "history": history,
        "runs": runs,
        "generation": {
            "total_seconds": time.perf_counter() - started,
            "server_start_seconds": server_start,
            "history_seconds": history_seconds,
            "runs_seconds": runs_seconds,
            "threads": threads,
            "db_bytes": (store / "mlflow.db").stat().st_size,
        },
    }


def _log_history(client: MlflowClient, threads: int, log: Log) -> dict[str, Any]:
    experiment_id = client.create_experiment(HISTORY_EXPERIMENT)
    run_id = client.create_run(
        experiment_id, start_time=_T0_MS, run_name="one-million-points"
    ).info.run_id
    steps, timestamps, values = history_series()

    def batch(start: int) -> None:
        end = min(start + METRICS_PER_BATCH, HISTORY_POINTS)
        client.log_batch(
            run_id,
            metrics=[
                Metric(HISTORY_KEY, float(v), int(t), int(s))
                for s, t, v in zip(
                    steps[start:end].tolist(),
                    timestamps[start:end].tolist(),
                    values[start:end].tolist(),
                    strict=True,
                )
            ],
        )

    _parallel(batch, range(0, HISTORY_POINTS, METRICS_PER_BATCH), threads, "history", log)
    client.log_batch(run_id, params=[Param("points", str(HISTORY_POINTS))])
    client.set_terminated(run_id, "FINISHED", end_time=int(timestamps[-1]) + 1)
    return {
        "experiment_id": experiment_id,
        "run_id": run_id,
        "key": HISTORY_KEY,
        "points": HISTORY_POINTS,
        "spike_steps": list(SPIKE_STEPS),
        "dip_steps": list(DIP_STEPS),
        "nan_steps": list(NAN_STEPS),
    }


def _log_runs(client: MlflowClient, threads: int, log: Log) -> dict[str, Any]:
    experiment_id = client.create_experiment(RUNS_EXPERIMENT)
    rng = np.random.default_rng(_SEED + 1)
    # A permutation, so ordering by loss is unambiguous and both servers must agree on a page.
    losses = (rng.permutation(RUNS) + 1) / RUNS
    noise = rng.normal(0.0, 0.01, RUNS)

    def one_run(index: int) -> None:
        start = _T0_MS + index * 60_000
        loss = float(losses[index])
        run_id = client.create_run(
            experiment_id,
            start_time=start,
            run_name=f"run-{index:05d}",
            tags={"team": "ab"[index % 2], "model": ("mlp", "cnn", "gbm")[index % 3]},
        ).info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric("loss", loss, start + 1000, 0),
                Metric("accuracy", 1.0 - loss / 2 + float(noise[index]), start + 1000, 0),
                Metric("f1", 0.5 + (index % 97) / 200, start + 1000, 0),
            ],
            params=[
                Param("lr", str(10 ** -(1 + index % 4))),
                Param("batch_size", str(2 ** (4 + index % 5))),
                Param("optimizer", ("adam", "sgd")[index % 2]),
                Param("layers", str(1 + index % 8)),
                Param("seed", str(index)),
            ],
            tags=[RunTag("dataset", f"shard-{index % 10}")],
        )
        client.set_terminated(run_id, "FINISHED", end_time=start + 30_000)

    _parallel(one_run, range(RUNS), threads, "runs", log)
    return {"experiment_id": experiment_id, "count": RUNS, "order_key": "loss"}


def _parallel(
    work: Callable[[int], None], items: range, threads: int, label: str, log: Log
) -> None:
    """Run ``work`` over ``items`` on ``threads`` threads, logging progress every 10%."""
    step = max(1, math.ceil(len(items) / 10))
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(work, i) for i in items]
        try:
            for done, future in enumerate(as_completed(futures), start=1):
                future.result()
                if done % step == 0 or done == len(items):
                    elapsed = time.perf_counter() - started
                    log(f"  {label}: {done}/{len(items)} in {elapsed:.0f} s")
        except BaseException:
            # One failure (or Ctrl-C) fails the generation; the rest need not run first.
            for future in futures:
                future.cancel()
            raise
