"""The two notebooks the browser bench opens in Lab and runs with Shift+Enter.

``chart-1m.ipynb`` creates a run (through the passthrough, so the extension records it as this
kernel's) and copies the cached 1M-point ``loss`` history into it straight in the store's sqlite
file: only a run its kernel created shows in a notebook's live charts, and logging 1M points
through the passthrough would take minutes. ``live.ipynb`` logs 10 points/s for 30 s with plain
``mlflow.log_metric`` and writes ``time.time()`` before and after each call to a JSON file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

from jupyterlab_aml.workspaces.series_summaries import SUMMARY_FILE

from ..live import INTERVAL, KEY, LOOP, POINTS, SETUP

CHART_NOTEBOOK = "chart-1m.ipynb"
LIVE_NOTEBOOK = "live.ipynb"
LIVE_STAMPS = "live-stamps.json"
LIVE_KEY, LIVE_POINTS, LIVE_INTERVAL = KEY, POINTS, INTERVAL  # 300 points at 10 points/s
# The kernel's first request opens its connection; the run's live subscription settles meanwhile.
LIVE_SETTLE_SECONDS = 1.0

# Wait until the page has read the new run (no metrics yet) before the history lands, so that
# the first timed notebook switch is the first request for it (the driver checks this).
CHART_CELL = """\
import sqlite3, time, mlflow
run = mlflow.start_run(run_name="bench-browser-1m")
time.sleep(3)
with sqlite3.connect({db!r}, timeout=120) as db:
    copied = db.execute(
        "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
        "SELECT key, value, timestamp, ?, step, is_nan FROM metrics WHERE run_uuid = ? AND key = ?",
        (run.info.run_id, {source!r}, {key!r}),
    ).rowcount
    db.execute(
        "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
        "SELECT key, value, timestamp, step, is_nan, ? FROM latest_metrics "
        "WHERE run_uuid = ? AND key = ?",
        (run.info.run_id, {source!r}, {key!r}),
    )
mlflow.end_run()
ended = time.time()
# Points logged through the passthrough are summarized as they come; these were copied behind
# its back, so the summary written when the run ended is awaited (with summaries on).
while {wait_for_summary!r} and time.time() < ended + 120:
    try:
        with sqlite3.connect({summaries!r}) as own:
            if own.execute(
                "SELECT 1 FROM series WHERE run_uuid = ? AND key = ? AND NOT dense",
                (run.info.run_id, {key!r}),
            ).fetchone():
                break
    except sqlite3.Error:
        pass  # not written yet
    time.sleep(0.2)
print(f"BENCH copied {{copied}} points into {{run.info.run_id}}, summary after {{time.time() - ended:.1f}} s")
"""

# The websocket bench's kernel code (``bench/live.py``), so that both live benches log alike,
# then its stamps written to a file for the bench to read.
LIVE_CELL = (
    SETUP
    + f"time.sleep({LIVE_SETTLE_SECONDS})\n"
    + LOOP.format(points=LIVE_POINTS, interval=LIVE_INTERVAL, key=LIVE_KEY)
    + f"""with open({LIVE_STAMPS!r}, "w") as f:
    json.dump({{"run_id": _run.info.run_id, "before": _before, "after": _after}}, f)
print("BENCH live done")
"""
)


def _notebook(source: str) -> Any:
    notebook = nbformat.v4.new_notebook()
    # A kernelspec, so that Lab starts the kernel without asking.
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    notebook.cells.append(nbformat.v4.new_code_cell(source))
    return notebook


def write_notebooks(
    root: Path, db: Path, source_run_id: str, key: str, *, wait_for_summary: bool
) -> None:
    """Write both notebooks into the server root (the kernels' working directory)."""
    chart = CHART_CELL.format(
        db=str(db),
        source=source_run_id,
        key=key,
        wait_for_summary=wait_for_summary,
        summaries=str(db.parent / SUMMARY_FILE),
    )
    nbformat.write(_notebook(chart), root / CHART_NOTEBOOK)
    nbformat.write(_notebook(LIVE_CELL), root / LIVE_NOTEBOOK)


def read_live_stamps(root: Path) -> dict[str, Any]:
    """What the live notebook's kernel wrote: run id, and stamps before and after each call."""
    return json.loads((root / LIVE_STAMPS).read_text())
