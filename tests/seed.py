"""Seed data through MLflow's own client: what a user's notebook would have logged."""

from __future__ import annotations

import math
import time
import uuid

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient


def seed_experiment(client: MlflowClient, runs: int = 25) -> dict:
    """An experiment of runs with loss/accuracy, params, tags, and one spiky long metric."""
    name = f"seeded-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    now = int(time.time() * 1000)
    run_ids = []
    for index in range(runs):
        run = client.create_run(experiment_id, run_name=f"run-{index:02d}")
        run_ids.append(run.info.run_id)
        client.log_batch(
            run.info.run_id,
            metrics=[
                # loss is a permutation so ordering by it is unambiguous.
                Metric("loss", float((index * 7) % runs), now, 0),
                Metric("accuracy", index / runs, now, 0),
            ],
            params=[Param("lr", str(0.001 * (index + 1))), Param("layers", str(index % 3))],
            tags=[RunTag("team", "a" if index % 2 else "b")],
        )
        client.set_terminated(run.info.run_id)

    spiky = client.create_run(experiment_id, run_name="spiky").info.run_id
    values = [math.sin(i / 50.0) for i in range(5000)]
    values[1234] = 50.0  # a spike
    values[3210] = -40.0  # a dip
    values[4000] = math.nan
    values[4001] = math.inf
    for start in range(0, len(values), 1000):
        client.log_batch(
            spiky,
            metrics=[
                Metric("wave", v, now + i, i)
                for i, v in enumerate(values[start : start + 1000], start=start)
            ],
        )
    client.log_text(spiky, "hello artifacts", "notes/readme.txt")
    client.log_dict(spiky, {"a": 1}, "config.json")
    client.set_terminated(spiky)
    return {"experiment_id": experiment_id, "name": name, "run_ids": run_ids, "spiky": spiky}
