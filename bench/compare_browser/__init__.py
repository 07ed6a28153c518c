"""Bench: click → charts drawn for a 50-run comparison, in Chromium through Playwright.

``measure.cjs`` opens JupyterLab on the bench's Jupyter server, runs the ``jupyterlab-aml:compare``
command with the 50 runs (what the sidebar's Compare button runs) and reads the compare view's
performance marks: request sent, reply parsed, reply applied to the model, every chart drawn,
and two animation frames later (painted). The first trial runs on a Jupyter server that has just
started (no cached history), the others on a warm one.

It needs Node, Debian's Chromium and the ``playwright`` package of ``ui-tests/`` (``make
test-deps`` installs them); without them it fails with a clear message and the other benches
still run.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..report import fmt_seconds, markdown_table
from ..servers import JupyterServer

HERE = Path(__file__).parent
PLAYWRIGHT_DIR = HERE.parent.parent / "ui-tests" / "node_modules"
CHROMIUM = "/usr/bin/chromium"
TARGET_DRAW_SECONDS = 0.5
PHASES = (
    ("response", "click → reply parsed"),
    ("applied", "click → applied to the model"),
    ("drawn", "click → every chart drawn"),
    ("painted", "click → painted (2 frames later)"),
)


def run(
    jupyter: JupyterServer,
    run_ids: list[str],
    *,
    trials: int,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Open the comparison ``trials`` times; the first on a server that just started."""
    node = shutil.which("node")
    missing = [
        what
        for what, ok in (
            ("node", node),
            (CHROMIUM, Path(CHROMIUM).exists()),
            (
                f"{PLAYWRIGHT_DIR}/playwright (make test-deps)",
                (PLAYWRIGHT_DIR / "playwright").exists(),
            ),
        )
        if not ok
    ]
    if missing:
        raise RuntimeError(f"the browser bench needs {', '.join(missing)}")
    config = {
        "url": jupyter.url,
        "token": jupyter.token,
        "runs": [{"workspace": "local", "run_id": run_id} for run_id in run_ids],
        "trials": trials,
        "executablePath": CHROMIUM,
        "playwrightDir": str(PLAYWRIGHT_DIR),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
        json.dump(config, file)
    try:
        done = subprocess.run(
            [node, str(HERE / "measure.cjs"), file.name],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
    finally:
        Path(file.name).unlink()
    if done.returncode != 0:
        raise RuntimeError(f"measure.cjs failed: {done.stderr.strip()[-2000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])["trials"]
    for i, trial in enumerate(measured):
        log(
            f"  trial {i + 1}: reply {trial['response']:.0f} ms, drawn {trial['drawn']:.0f} ms "
            f"({trial['drawn'] - trial['response']:.0f} ms after the reply)"
        )
    return {"runs": len(run_ids), "trials": measured}


def _seconds(trial: dict[str, Any], end: str, start: str | None = None) -> float:
    return (trial[end] - (trial[start] if start else 0.0)) / 1000


def summary(result: dict[str, Any]) -> dict[str, Any]:
    """Cold (first trial) and warm (median of the others) figures, in seconds."""
    trials = result["trials"]
    warm = trials[1:] or trials

    def figures(pick: Callable[[dict[str, Any]], float]) -> dict[str, float]:
        return {"cold": pick(trials[0]), "warm": statistics.median(pick(t) for t in warm)}

    rows = {name: figures(lambda t, n=name: _seconds(t, n)) for name, _ in PHASES}
    rows["draw_after_reply"] = figures(lambda t: _seconds(t, "drawn", "response"))
    rows["paint_after_reply"] = figures(lambda t: _seconds(t, "painted", "response"))
    return rows


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    figures = summary(result)
    labels = [*PHASES, ("draw_after_reply", "reply parsed → every chart drawn"),
              ("paint_after_reply", "reply parsed → painted")]  # fmt: skip
    rows = [
        [label, fmt_seconds(figures[name]["cold"]), fmt_seconds(figures[name]["warm"])]
        for name, label in labels
    ]
    charts = result["trials"][0]["charts"]
    drawn = ", ".join(f"{c['key']}: {c['series']} runs, {c['points']:,} points" for c in charts)
    n = max(len(result["trials"]) - 1, 1)
    return (
        f"## Compare in the browser: {result['runs']} runs, click → charts drawn\n\n"
        f"Chromium (headless, software rendering) through Playwright, JupyterLab on the bench's "
        f"Jupyter server; cold = first opening after the server started, warm = median of {n} "
        f"more. Target: charts drawn ≤ {fmt_seconds(TARGET_DRAW_SECONDS)} after the reply is "
        f"parsed. Charts drawn: {drawn}.\n\n"
        + markdown_table(["phase", "cold", "warm"], rows)
        + "\n"
    )


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table (no MLflow counterpart: its UI is another app)."""
    figures = summary(result)
    rows = []
    for name, label in (
        ("draw_after_reply", "compare 50 runs: reply → charts drawn (warm)"),
        ("drawn", "compare 50 runs: click → charts drawn (warm)"),
    ):
        value = figures[name]["warm"]
        target = TARGET_DRAW_SECONDS if name == "draw_after_reply" else None
        rows.append(
            [
                label,
                fmt_seconds(value),
                "–",
                "–",
                fmt_seconds(target) if target else "–",
                ("yes" if value <= target else "**no**") if target else "–",
            ]
        )
    return rows
