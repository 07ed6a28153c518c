"""Series summaries (``jupyterlab_aml.workspaces.series_summaries``) of a bench store, set up
before its servers start, so that a "first call" figure says which path it measured.

``built``: every long series summarized, as on a store whose runs were logged through the
extension (summarized while they log and when they end) or that one earlier server start
indexed. ``off``: no summaries, and servers started with ``AmlExtension.series_summaries=False``:
every first call reads the points, as before summaries existed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyterlab_aml.workspaces.series_summaries import SUMMARY_FILE, SeriesSummaries

MODES = ("built", "off")


def prepare(store_dir: Path, mode: str, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build or remove the summaries of ``store_dir``; what was done, for the results."""
    path = store_dir / SUMMARY_FILE
    if mode == "off":
        for leftover in ("", "-wal", "-shm"):
            Path(f"{path}{leftover}").unlink(missing_ok=True)
        log(f"  series summaries of {store_dir.name}: off")
        return {"mode": "off"}
    started = time.perf_counter()
    written = SeriesSummaries(store_dir / "mlflow.db", path).index()
    seconds = time.perf_counter() - started
    log(f"  series summaries of {store_dir.name}: {written} written in {seconds:.2f} s")
    return {"mode": "built", "series_written": written, "seconds": seconds}


def server_args(mode: str) -> tuple[str, ...]:
    """The Jupyter server options for ``mode``."""
    return ("--AmlExtension.series_summaries=False",) if mode == "off" else ()


def describe(prepared: dict[str, Any] | None) -> str:
    """One sentence for a results section."""
    if not prepared:
        return ""
    if prepared["mode"] == "off":
        return (
            "Series summaries: off (`AmlExtension.series_summaries=False`): first calls read "
            "the points, as before summaries existed."
        )
    if "series_written" not in prepared:  # a new, empty store: summaries follow the logging
        return "Series summaries: on (written while runs log, through the passthrough's tap)."
    return (
        f"Series summaries: built before the servers started ({prepared['series_written']} "
        f"written in {prepared['seconds']:.2f} s; 0 means they were current), as on a store "
        "logged through the extension."
    )
