"""Series summaries (``jupyterlab_aml.workspaces.series_summaries``) of a bench store, set up
before its servers start, so that a "first call" figure says which path it measured.

``built``: every long series summarized, as on a store whose runs were logged through the
extension (summarized when each run ended) or that one earlier server start indexed.
``none``: the summaries file removed, as on the first start after an upgrade: first calls read
the points, while the server's own pass summarizes the store in the background.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterlab_aml.workspaces.series_summaries import SUMMARY_FILE, SeriesSummaries

MODES = ("built", "none")


def prepare(store_dir: Path, mode: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build or remove the summaries of ``store_dir``; what was done, for the results."""
    path = store_dir / SUMMARY_FILE
    if mode == "none":
        for leftover in ("", "-wal", "-shm"):
            Path(f"{path}{leftover}").unlink(missing_ok=True)
        log(f"  series summaries of {store_dir.name}: none (removed)")
        return {"mode": "none"}
    started = time.perf_counter()
    written = SeriesSummaries(store_dir / "mlflow.db", path).index()
    seconds = time.perf_counter() - started
    log(f"  series summaries of {store_dir.name}: {written} written in {seconds:.2f} s")
    return {"mode": "built", "series_written": written, "seconds": seconds}


def describe(prepared: dict[str, Any] | None) -> str:
    """One sentence for a results section."""
    if not prepared:
        return ""
    if prepared["mode"] == "none":
        return (
            "Series summaries: none (removed before the servers started, as on the first start "
            "after an upgrade; first calls read the points)."
        )
    return (
        f"Series summaries: built before the servers started ({prepared['series_written']} "
        f"written in {prepared['seconds']:.2f} s; 0 means they were current), as on a store "
        "logged through the extension."
    )
