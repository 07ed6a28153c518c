"""Bench: what a user sees in Chromium, driven by Playwright (``driver.js``).

A real JupyterLab (``jupyter server`` with the extension; its ``local`` workspace on a copy of
the cached data set) and MLflow's own UI (``mlflow server --workers 1`` on that same copy). This
module starts both, writes the notebooks and the driver's config, runs the driver, and pairs the
live notebook's kernel stamps with the page's. ``summary.py`` turns the raw samples into figures.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..datasets import HISTORY_EXPERIMENT, RUNS_EXPERIMENT, Dataset
from ..servers import JupyterServer, MlflowServer
from ..summaries import prepare as prepare_summaries
from ..summaries import server_args as summaries_args
from .notebooks import (
    CHART_NOTEBOOK,
    LIVE_KEY,
    LIVE_NOTEBOOK,
    LIVE_POINTS,
    LIVE_STAMPS,
    read_live_stamps,
    write_notebooks,
)
from .summary import summarise

HERE = Path(__file__).parent
REPO = HERE.parent.parent
UI_TESTS = REPO / "ui-tests"
# ui-tests/playwright.config.js launches this one (Playwright cannot download its own here).
CHROMIUM = "/usr/bin/chromium"
# Lab on this port, MLflow's UI on the next (AML_BENCH_BROWSER_PORT moves both).
DEFAULT_PORT = 8893
PAGE_SIZE = 100  # RunsModel.PAGE_SIZE
SORT_KEY = "loss"
DRIVER_TIMEOUT = 20 * 60


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        # As the servers do: a port left in TIME_WAIT by the last run is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _on_port(server: JupyterServer | MlflowServer, port: int) -> None:
    """Put a server on a fixed port; refuse one in use (polling it would reach another server)."""
    if not _port_free(port):
        raise RuntimeError(f"port {port} is in use: set AML_BENCH_BROWSER_PORT to a free pair")
    server.port = port
    server.url = f"http://127.0.0.1:{port}" + ("/" if isinstance(server, JupyterServer) else "")


def _check_tools() -> tuple[str, Path]:
    node = shutil.which("node")
    playwright = UI_TESTS / "node_modules" / "@playwright" / "test"
    if node is None:
        raise RuntimeError("node is not on PATH")
    if not playwright.exists():
        raise RuntimeError(
            "Playwright is missing: cd ui-tests && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 jlpm install"
        )
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium)")
    return node, playwright


def _copy_store(dataset: Dataset, store: Path) -> float:
    """The cached sqlite file (the bench writes into its copy), and an empty artifacts dir."""
    started = time.perf_counter()
    (store / "artifacts").mkdir(parents=True)
    shutil.copyfile(dataset.store_dir / "mlflow.db", store / "mlflow.db")
    return time.perf_counter() - started


def extension_build() -> str:
    """Whether the installed labextension is a development or a production build."""
    static = REPO / "jupyterlab_aml" / "labextension" / "static"
    for script in static.glob("lib_index_js.*.js"):
        # webpack's development output keeps its module separators; production minifies them.
        return "development" if "/***/" in script.read_text(errors="replace") else "production"
    return "unknown"


def _config(
    dataset: Dataset, jupyter: JupyterServer, direct: MlflowServer, work_dir: Path, repeats: int
) -> dict[str, Any]:
    return {
        "labUrl": f"{jupyter.url}lab?token={jupyter.token}&reset",
        "mlflowUrl": f"{direct.url}/",
        "repeats": repeats,
        "pageSize": PAGE_SIZE,
        "runsExperiment": RUNS_EXPERIMENT,
        "runsExperimentId": dataset.runs["experiment_id"],
        "otherExperiment": HISTORY_EXPERIMENT,
        "otherExperimentId": dataset.history["experiment_id"],
        "otherRuns": 1,
        "sortKey": SORT_KEY,
        "historyRunId": dataset.history["run_id"],
        "key": dataset.history["key"],
        "chartNotebook": CHART_NOTEBOOK,
        "chartPanelId": f"jp-aml-chart-{dataset.history['key']}",
        "liveNotebook": LIVE_NOTEBOOK,
        "liveKey": LIVE_KEY,
        "livePoints": LIVE_POINTS,
        "output": str(work_dir / "driver-results.json"),
        "screenshot": str(work_dir / "lab-final.png"),
        "workDir": str(work_dir),
        "probePath": str(HERE / "probe.js"),
        "playwrightConfig": str(UI_TESTS / "playwright.config.js"),
    }


def run(
    dataset: Dataset,
    work_dir: Path,
    *,
    repeats: int,
    summaries_mode: str = "built",
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Start Lab and MLflow's UI on a copy of the data set, drive Chromium, summarise."""
    node, _ = _check_tools()
    port = int(os.environ.get("AML_BENCH_BROWSER_PORT", DEFAULT_PORT))
    store = work_dir / "store"
    copy_seconds = _copy_store(dataset, store)
    summarized = prepare_summaries(store, summaries_mode, log)
    jupyter = JupyterServer(work_dir / "jupyter", store, extra_args=summaries_args(summaries_mode))
    direct = MlflowServer(store, workers=1, job_execution=False, log_path=work_dir / "direct.log")
    _on_port(jupyter, port)
    _on_port(direct, port + 1)
    with direct, jupyter:
        log(f"  starting Lab on :{port} and `mlflow server --workers 1` on :{port + 1}")
        servers = {
            "store_copy_seconds": copy_seconds,
            "summaries": summarized,
            "direct_mlflow_start_seconds": direct.start(),
            "jupyter_start_seconds": jupyter.start(),
            "local_ready_after_jupyter_seconds": jupyter.wait_workspace_ready("local"),
        }
        jupyter.check_local_store()
        root = jupyter.work_dir / "root"
        write_notebooks(
            root,
            store / "mlflow.db",
            dataset.history["run_id"],
            dataset.history["key"],
            wait_for_summary=summaries_mode == "built",
        )
        config = _config(dataset, jupyter, direct, work_dir, repeats)
        config_path = work_dir / "driver-config.json"
        config_path.write_text(json.dumps(config, indent=2))
        started = time.perf_counter()
        servers["load_before_driver"] = os.getloadavg()
        completed = subprocess.run(
            [node, str(HERE / "driver.js"), str(config_path)],
            cwd=HERE,
            timeout=DRIVER_TIMEOUT,
            check=False,
        )
        servers["driver_seconds"] = time.perf_counter() - started
        servers["load_after_driver"] = os.getloadavg()
        if completed.returncode != 0:
            raise RuntimeError(f"driver.js exited with {completed.returncode}")
        raw = json.loads(Path(config["output"]).read_text())
        stamps = read_live_stamps(root) if (root / LIVE_STAMPS).exists() else None
    return summarise(
        raw,
        stamps,
        {
            "repeats": repeats,
            "servers": servers,
            "extension_build": extension_build(),
            "page_size": PAGE_SIZE,
            "sort_key": SORT_KEY,
            "runs_experiment_runs": dataset.runs["count"],
            "history_points": dataset.history["points"],
            "history_key": dataset.history["key"],
        },
    )
