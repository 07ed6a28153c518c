"""Runs side by side: each run's record plus its sampled metric series."""

from __future__ import annotations

import asyncio
from typing import Any

from .errors import BadRequest, NotFound
from .models import Run
from .workspaces.rest import RestWorkspace

_MAX_RUNS = 200
_LOADS_AT_ONCE = 8


async def compare_runs(
    workspace: RestWorkspace, *, run_ids: Any, keys: Any, max_points: Any
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
    raw_runs = await workspace.raw_runs(run_ids)
    if not raw_runs:
        raise NotFound(f"none of the runs were found in workspace {workspace.name!r}")
    runs = [Run.from_mlflow(raw_runs[r]) for r in run_ids if r in raw_runs]
    wanted = keys if keys is not None else sorted({k for run in runs for k in run.metrics})
    jobs = [(key, run.run_id) for key in wanted for run in runs if key in run.metrics]
    await workspace.prefetch_histories(raw_runs, [(run_id, key) for key, run_id in jobs])
    # Cached series answer at once; uncached ones load a few at a time, so 100 history
    # downloads never queue on one tracking server past the upstream timeout.
    limit = asyncio.Semaphore(_LOADS_AT_ONCE)

    async def history(key: str, run_id: str) -> dict[str, Any]:
        async with limit:
            return await workspace.history_of(
                raw_runs[run_id], key, max_points=max_points, start_step=None, end_step=None
            )

    histories = await asyncio.gather(
        *(history(key, run_id) for key, run_id in jobs), return_exceptions=True
    )
    series: dict[str, dict[str, Any]] = {key: {} for key in wanted}
    for (key, run_id), result in zip(jobs, histories, strict=True):
        if isinstance(result, NotFound):
            continue  # the key vanished between the run fetch and the history fetch
        if isinstance(result, BaseException):
            raise result
        series[key][run_id] = {
            "total_points": result["total_points"],
            "sampled": result["sampled"],
            "points": result["points"],
        }
    return {
        "runs": [run.to_json() for run in runs],
        "series": series,
        # Runs deleted or unknown here: the others are still compared.
        "missing": [r for r in run_ids if r not in raw_runs],
    }
