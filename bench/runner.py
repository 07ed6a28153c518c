"""The run loop: each selected bench in turn, on the servers and data set it shares with
others; a bench that fails is recorded as failed and the others still run."""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import (
    azure_passthrough,
    browser,
    compare_api,
    compare_browser,
    embedded,
    history,
    runs_page,
    summaries,
)
from .compare_data import ensure_compare_dataset
from .datasets import Dataset, ensure_dataset
from .kernel_server import start_kernel_server
from .registry import KERNEL_BENCHES
from .servers import JupyterServer, MlflowServer


def log(message: str) -> None:
    """Progress, to stderr (stdout carries the results' markdown)."""
    print(message, file=sys.stderr, flush=True)


def run_selected(
    args: argparse.Namespace, meta: dict[str, Any], benches: dict[str, Any], work_dir: Path
) -> None:
    """Run the benches ``args.selected`` names; results and failures go to ``benches``, timings
    and shared servers to ``meta``."""
    if "embedded" in args.selected:
        log("embedded: launch → ready and memory")
        with _timed_bench(meta, "embedded"), _failure_recorded(benches, "embedded"):
            benches["embedded"] = embedded.run(
                work_dir / "embedded", repeats=args.startup_repeats, log=log
            )
    served = [b for b in ("history", "runs") if b in args.selected]
    if served:
        with _failure_recorded(benches, *served):
            _served_benches(args, meta, benches, work_dir)
    with_kernels = [b for b in KERNEL_BENCHES if b in args.selected]
    if with_kernels:
        with _failure_recorded(benches, *with_kernels):
            _kernel_benches(args, meta, benches, work_dir / "kernels")
    if "azure" in args.selected:
        log("azure: passthrough to an Azure ML workspace (loopback double) against direct")
        with _timed_bench(meta, "azure"), _failure_recorded(benches, "azure"):
            benches["azure"] = azure_passthrough.run(work_dir / "azure", log=log)
    if "browser" in args.selected:
        log("browser: Lab and MLflow's UI in Chromium (Playwright)")
        with _failure_recorded(benches, "browser"):
            dataset = _dataset(args, meta)
            with _timed_bench(meta, "browser"):
                benches["browser"] = browser.run(
                    dataset,
                    work_dir / "browser",
                    repeats=args.browser_repeats,
                    summaries_mode=args.summaries,
                    log=log,
                )
            meta.setdefault("summaries", {})["browser"] = benches["browser"]["meta"]["servers"][
                "summaries"
            ]
    if "compare" in args.selected:
        with _timed_bench(meta, "compare"), _failure_recorded(benches, "compare"):
            benches["compare"] = _compare_bench(args, work_dir / "compare")


@contextlib.contextmanager
def _failure_recorded(benches: dict[str, Any], *names: str):
    """A bench that fails is reported as failed; the others still run."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - recorded in the results, with its traceback
        message = f"{type(err).__name__}: {err}"
        log(f"{', '.join(names)} failed: {message}")
        log(traceback.format_exc())
        for name in names:
            benches.setdefault(name, {"error": message})


@contextlib.contextmanager
def _timed_bench(meta: dict[str, Any], name: str):
    started = time.perf_counter()
    try:
        yield
    finally:
        meta["bench_seconds"][name] = time.perf_counter() - started


def _dataset(args: argparse.Namespace, meta: dict[str, Any]) -> Dataset:
    """The cached data set, generated at most once per run; described in ``meta``."""
    if getattr(args, "dataset", None) is None:
        with _timed_bench(meta, "data set"):
            args.dataset = ensure_dataset(regenerate=args.regenerate, threads=args.threads, log=log)
        meta["dataset"] = {
            "key": args.dataset.manifest["key"],
            "generated_now": args.dataset.generated_now,
            "generation": args.dataset.manifest["generation"],
            "runs_count": args.dataset.runs["count"],
            "history_points": args.dataset.history["points"],
        }
    return args.dataset


def _served_benches(
    args: argparse.Namespace, meta: dict[str, Any], benches: dict[str, Any], work_dir: Path
) -> None:
    """History and runs share one data set, one direct MLflow server and one Jupyter server."""
    dataset = _dataset(args, meta)
    meta.setdefault("summaries", {})["history and runs"] = summaries.prepare(
        dataset.store_dir, args.summaries, log
    )
    direct = MlflowServer(
        dataset.store_dir, workers=1, job_execution=False, log_path=work_dir / "direct.log"
    )
    jupyter = JupyterServer(
        work_dir / "jupyter", dataset.store_dir, extra_args=summaries.server_args(args.summaries)
    )
    with direct, jupyter:
        with _timed_bench(meta, "servers"):
            log("starting a direct `mlflow server --workers 1` and Jupyter on the data set")
            meta["servers"] = {
                "direct_mlflow_start_seconds": direct.start(),
                "jupyter_start_seconds": jupyter.start(),
                "local_ready_after_jupyter_seconds": jupyter.wait_workspace_ready("local"),
            }
            jupyter.check_local_store()
        for name, bench in (("history", history), ("runs", runs_page)):
            if name in args.selected:
                log(f"{name}:")
                with _timed_bench(meta, name), _failure_recorded(benches, name):
                    benches[name] = bench.run(
                        dataset, jupyter, direct, repeats=args.repeats, log=log
                    )


def _kernel_benches(
    args: argparse.Namespace, meta: dict[str, Any], benches: dict[str, Any], work_dir: Path
) -> None:
    """Live, throughput and many_kernels share one Jupyter server on a new, empty store."""
    with _timed_bench(meta, "kernel server"):
        log("starting Jupyter with an empty embedded store for the kernel benches")
        # Summaries follow logging runs (the passthrough's tap): `off` shows what that costs.
        jupyter, meta["kernel_server"] = start_kernel_server(
            work_dir, summaries.server_args(args.summaries)
        )
        meta.setdefault("summaries", {})["kernel benches"] = {"mode": args.summaries}
    with jupyter:
        for name, bench in KERNEL_BENCHES.items():
            if name in args.selected:
                log(f"{name}:")
                with _timed_bench(meta, name), _failure_recorded(benches, name):
                    benches[name] = bench.run(jupyter, log=log)


def _compare_bench(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """The API on a fresh Jupyter server and a direct MLflow server; then the browser, on a
    second fresh Jupyter server (its first opening is cold). A browser failure is recorded
    beside the API figures."""
    dataset = ensure_compare_dataset(regenerate=args.regenerate, threads=args.threads, log=log)
    result: dict[str, Any] = {
        "dataset": dataset.manifest,
        "summaries": summaries.prepare(dataset.store_dir, args.summaries, log),
    }
    direct = MlflowServer(
        dataset.store_dir, workers=1, job_execution=False, log_path=work_dir / "direct.log"
    )
    with (
        direct,
        JupyterServer(
            work_dir / "jupyter-api",
            dataset.store_dir,
            extra_args=summaries.server_args(args.summaries),
        ) as jupyter,
    ):
        direct.start()
        jupyter.start()
        jupyter.wait_workspace_ready("local")
        log("compare (API):")
        result["api"] = compare_api.run(dataset, jupyter, direct, repeats=args.repeats, log=log)
    browser_server = JupyterServer(
        work_dir / "jupyter-browser",
        dataset.store_dir,
        # The page script drives JupyterLab through `window.jupyterapp`, as Galata does.
        extra_args=("--LabApp.expose_app_in_browser=True", *summaries.server_args(args.summaries)),
    )
    with browser_server as jupyter:
        jupyter.start()
        jupyter.wait_workspace_ready("local")
        log("compare (browser):")
        with _failure_recorded(result, "browser"):
            result["browser"] = compare_browser.run(
                jupyter, dataset.run_ids, trials=args.repeats + 1, log=log
            )
    return result
