"""Runs side by side: each run's record plus its sampled metric series."""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import BadRequest, NotFound
from .workspaces.base import Workspace

_MAX_RUNS = 200


async def compare_runs(
    workspace: Workspace, *, run_ids: Any, keys: Any, max_points: Any
) -> dict[str, Any]:
    """Runs plus ``{key: {run_id: {total_points, sampled, points}}}`` for ``keys`` (all if null)."""
    if not isinstance(run_ids, list) or not run_ids or not all(isinstance(r, str) for r in run_ids):
        raise BadRequest("run_ids must be a non-empty list of run ids")
    if len(run_ids) > _MAX_RUNS:
        raise BadRequest(f"at most {_MAX_RUNS} runs can be compared at once")
    if keys is not None and (
        not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
    ):
        raise BadRequest("keys must be a list of metric keys or null")
    if (
        not isinstance(max_points, int)
        or isinstance(max_points, bool)
        or not 4 <= max_points <= 100_000
    ):
        raise BadRequest("max_points must be an integer between 4 and 100000")
    run_ids = list(dict.fromkeys(run_ids))
    runs = await asyncio.gather(*(workspace.get_run(r) for r in run_ids))
    wanted = keys if keys is not None else sorted({k for run in runs for k in run.metrics})
    jobs = [(key, run.run_id) for key in wanted for run in runs if key in run.metrics]
    histories = await asyncio.gather(
        *(
            workspace.metric_history(
                run_id, key, max_points=max_points, start_step=None, end_step=None
            )
            for key, run_id in jobs
        ),
        return_exceptions=True,
    )
    series: dict[str, dict[str, Any]] = {key: {} for key in wanted}
    for (key, run_id), history in zip(jobs, histories, strict=True):
        if isinstance(history, NotFound):
            continue  # the key vanished between the run fetch and the history fetch
        if isinstance(history, BaseException):
            raise history
        series[key][run_id] = {
            "total_points": history["total_points"],
            "sampled": history["sampled"],
            "points": history["points"],
        }
    return {"runs": [run.to_json() for run in runs], "series": series}
