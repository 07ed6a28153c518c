"""Run the benches: ``python -m bench [--only embedded,history,runs,...] [--repeats N]``.

Benches measure and report; they never fail on a slow figure. Results go to
``bench/results/results.json`` and ``results.md``, and the markdown is printed as well.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

from . import (
    azure_passthrough,
    browser,
    compare_api,
    compare_browser,
    embedded,
    history,
    live,
    many_kernels,
    runs_page,
    throughput,
)
from .compare_data import ensure_compare_dataset
from .datasets import DEFAULT_THREADS, Dataset, ensure_dataset
from .kernel_server import start_kernel_server
from .report import fmt_ratio, fmt_seconds, header_markdown, markdown_table, write_results
from .servers import JupyterServer, MlflowServer

BENCHES = (
    "embedded", "history", "runs", "live", "throughput", "many_kernels", "azure", "browser",
    "compare",
)  # fmt: skip
# Benches with real notebook kernels, on one Jupyter server with a fresh, empty store.
KERNEL_BENCHES = {"live": live, "throughput": throughput, "many_kernels": many_kernels}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help=f"comma-separated benches to run, of {', '.join(BENCHES)} (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="repeats of each request (median reported)"
    )
    parser.add_argument(
        "--browser-repeats", type=int, default=7, help="repeats of each timed action in 'browser'"
    )
    parser.add_argument(
        "--startup-repeats", type=int, default=3, help="warm starts of each server in 'embedded'"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the data set even if cached"
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="client threads for generating data"
    )
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep server logs and temporary stores"
    )
    args = parser.parse_args(argv)
    only = [name.strip() for arg in args.only for name in arg.split(",") if name.strip()]
    unknown = sorted(set(only) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    args.selected = [b for b in BENCHES if not only or b in only]
    return args


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the selected benches and write the results."""
    args = _parse(argv)
    started = time.perf_counter()
    meta: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "host": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "memory_gb": psutil.virtual_memory().total / 2**30,
            "load_before": _load(),
        },
        "versions": {
            "python": platform.python_version(),
            **{p: version(p) for p in ("mlflow", "jupyter_server", "jupyterlab_aml")},
        },
        "selected": args.selected,
        "repeats": args.repeats,
        "startup_repeats": args.startup_repeats,
        "bench_seconds": {},
    }
    benches: dict[str, Any] = {}
    work_dir = Path(tempfile.mkdtemp(prefix="aml-bench-"))
    try:
        if "embedded" in args.selected:
            _log("embedded: launch → ready and memory")
            with _timed_bench(meta, "embedded"), _failure_recorded(benches, "embedded"):
                benches["embedded"] = embedded.run(
                    work_dir / "embedded", repeats=args.startup_repeats, log=_log
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
            _log("azure: passthrough to an Azure ML workspace (loopback double) against direct")
            with _timed_bench(meta, "azure"), _failure_recorded(benches, "azure"):
                benches["azure"] = azure_passthrough.run(work_dir / "azure", log=_log)
        if "browser" in args.selected:
            _log("browser: Lab and MLflow's UI in Chromium (Playwright)")
            with _failure_recorded(benches, "browser"):
                dataset = _dataset(args, meta)
                with _timed_bench(meta, "browser"):
                    benches["browser"] = browser.run(
                        dataset, work_dir / "browser", repeats=args.browser_repeats, log=_log
                    )
        if "compare" in args.selected:
            with _timed_bench(meta, "compare"), _failure_recorded(benches, "compare"):
                benches["compare"] = _compare_bench(args, work_dir / "compare")
    finally:
        # "errors": parts of a bench failed (the browser bench's phases), the rest has figures.
        failed = any("error" in result or "errors" in result for result in benches.values())
        if args.keep_workdir or failed:
            _log(f"server logs and stores kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    meta["host"]["load_after"] = _load()
    meta["total_seconds"] = time.perf_counter() - started
    results = {"meta": meta, "benches": benches}
    markdown = _markdown(meta, benches)
    json_path, md_path = write_results(results, markdown)
    print(markdown)
    _log(f"results: {json_path} and {md_path}")
    return 1 if failed else 0


@contextlib.contextmanager
def _failure_recorded(benches: dict[str, Any], *names: str):
    """A bench that fails is reported as failed; the others still run."""
    try:
        yield
    except Exception as err:  # noqa: BLE001 - recorded in the results, with its traceback
        message = f"{type(err).__name__}: {err}"
        _log(f"{', '.join(names)} failed: {message}")
        _log(traceback.format_exc())
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
            args.dataset = ensure_dataset(
                regenerate=args.regenerate, threads=args.threads, log=_log
            )
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
    direct = MlflowServer(
        dataset.store_dir, workers=1, job_execution=False, log_path=work_dir / "direct.log"
    )
    jupyter = JupyterServer(work_dir / "jupyter", dataset.store_dir)
    with direct, jupyter:
        with _timed_bench(meta, "servers"):
            _log("starting a direct `mlflow server --workers 1` and Jupyter on the data set")
            meta["servers"] = {
                "direct_mlflow_start_seconds": direct.start(),
                "jupyter_start_seconds": jupyter.start(),
                "local_ready_after_jupyter_seconds": jupyter.wait_workspace_ready("local"),
            }
            jupyter.check_local_store()
        for name, bench in (("history", history), ("runs", runs_page)):
            if name in args.selected:
                _log(f"{name}:")
                with _timed_bench(meta, name), _failure_recorded(benches, name):
                    benches[name] = bench.run(
                        dataset, jupyter, direct, repeats=args.repeats, log=_log
                    )


def _kernel_benches(
    args: argparse.Namespace, meta: dict[str, Any], benches: dict[str, Any], work_dir: Path
) -> None:
    """Live, throughput and many_kernels share one Jupyter server on a new, empty store."""
    with _timed_bench(meta, "kernel server"):
        _log("starting Jupyter with an empty embedded store for the kernel benches")
        jupyter, meta["kernel_server"] = start_kernel_server(work_dir)
    with jupyter:
        for name, bench in KERNEL_BENCHES.items():
            if name in args.selected:
                _log(f"{name}:")
                with _timed_bench(meta, name), _failure_recorded(benches, name):
                    benches[name] = bench.run(jupyter, log=_log)


def _compare_bench(args: argparse.Namespace, work_dir: Path) -> dict[str, Any]:
    """The API on a fresh Jupyter server and a direct MLflow server; then the browser, on a
    second fresh Jupyter server (its first opening is cold). A browser failure is recorded
    beside the API figures."""
    dataset = ensure_compare_dataset(regenerate=args.regenerate, threads=args.threads, log=_log)
    result: dict[str, Any] = {"dataset": dataset.manifest}
    direct = MlflowServer(
        dataset.store_dir, workers=1, job_execution=False, log_path=work_dir / "direct.log"
    )
    with direct, JupyterServer(work_dir / "jupyter-api", dataset.store_dir) as jupyter:
        direct.start()
        jupyter.start()
        jupyter.wait_workspace_ready("local")
        _log("compare (API):")
        result["api"] = compare_api.run(dataset, jupyter, direct, repeats=args.repeats, log=_log)
    browser_server = JupyterServer(
        work_dir / "jupyter-browser",
        dataset.store_dir,
        # The page script drives JupyterLab through `window.jupyterapp`, as Galata does.
        extra_args=("--LabApp.expose_app_in_browser=True",),
    )
    with browser_server as jupyter:
        jupyter.start()
        jupyter.wait_workspace_ready("local")
        _log("compare (browser):")
        with _failure_recorded(result, "browser"):
            result["browser"] = compare_browser.run(
                jupyter, dataset.run_ids, trials=args.repeats + 1, log=_log
            )
    return result


def _compare_markdown(result: dict[str, Any]) -> str:
    sections = [compare_api.markdown(result["api"])]
    browser = result.get("browser", {})
    if "error" in browser:
        sections.append(f"## Compare in the browser: failed\n\n```\n{browser['error']}\n```\n")
    elif browser:
        sections.append(compare_browser.markdown(browser))
    return "\n".join(sections)


def _markdown(meta: dict[str, Any], benches: dict[str, Any]) -> str:
    sections = [header_markdown(meta)]
    headline_rows = _headlines(benches)
    if headline_rows:
        sections.append(
            "## Headlines\n\n"
            + markdown_table(
                ["figure", "ours", "MLflow", "ours ÷ MLflow", "target (ours)", "within target"],
                headline_rows,
            )
            + "\n"
        )
    renderers: dict[str, Callable[[dict[str, Any]], str]] = {
        "embedded": embedded.markdown,
        "history": history.markdown,
        "runs": runs_page.markdown,
        **{name: bench.markdown for name, bench in KERNEL_BENCHES.items()},
        "azure": azure_passthrough.markdown,
        "browser": browser.markdown,
        "compare": _compare_markdown,
    }
    for name, result in benches.items():
        if "error" in result:
            sections.append(f"## {name}: failed\n\n```\n{result['error']}\n```\n")
        else:
            sections.append(renderers[name](result))
    if "servers" in meta:
        s = meta["servers"]
        sections.append(
            "## Servers used by the history and runs benches\n\n"
            f"Direct `mlflow server --workers 1` (jobs off) on the data set: ready in "
            f"{fmt_seconds(s['direct_mlflow_start_seconds'])}. Jupyter: `api/status` in "
            f"{fmt_seconds(s['jupyter_start_seconds'])}, then workspace `local` (embedded "
            f"store on the data set) ready {fmt_seconds(s['local_ready_after_jupyter_seconds'])} "
            "later.\n"
        )
    if "kernel_server" in meta:
        s = meta["kernel_server"]
        sections.append(
            "## Server used by the kernel benches\n\n"
            f"Jupyter with an empty embedded store: `api/status` in "
            f"{fmt_seconds(s['jupyter_start_seconds'])}, workspace `local` ready "
            f"{fmt_seconds(s['local_ready_after_jupyter_seconds'])} later.\n"
        )
    return "\n".join(sections)


def _headlines(benches: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []

    def row(figure: str, ours: float, theirs: float, target: float, unit: str, versus: str):
        show = fmt_seconds if unit == "s" else (lambda v: f"{v / 2**20:.0f} MB")
        rows.append(
            [
                figure,
                show(ours),
                f"{show(theirs)} ({versus})",
                fmt_ratio(ours, theirs),
                show(target),
                "yes" if ours <= target else "**no**",
            ]
        )

    benches = {name: result for name, result in benches.items() if "error" not in result}
    if "embedded" in benches:
        configs = {c["name"]: c for c in benches["embedded"]["configs"]}
        ours, default = configs["ours"], configs["mlflow_default"]
        row(
            "embedded store: launch → ready (warm)",
            ours["warm_seconds"]["median"],
            default["warm_seconds"]["median"],
            embedded.TARGET_SECONDS,
            "s",
            "`mlflow server`",
        )
        row(
            "embedded store: RSS of the process tree, 5 s after ready",
            ours["settled_memory"]["rss_bytes"],
            default["settled_memory"]["rss_bytes"],
            embedded.TARGET_RSS_MB * 2**20,
            "B",
            "`mlflow server`",
        )
    if "history" in benches:
        cases = {c["name"]: c for c in benches["history"]["cases"]}
        local, kind = cases["ours_local"], cases["ours_mlflow_kind"]
        ui, client = cases["mlflow_bulk_interval"], cases["mlflow_client_get_metric_history"]
        target_first, target_repeat = history.TARGET_FIRST, history.TARGET_REPEAT
        row("1M-point chart, local, first call", local["first_seconds"],
            ui["first_seconds"], target_first, "s", "UI bulk-interval")  # fmt: skip
        row("1M-point chart, local, repeat", local["repeat_seconds"]["median"],
            ui["repeat_seconds"]["median"], target_repeat, "s", "UI bulk-interval")  # fmt: skip
        row("1M-point chart, mlflow-kind, first call", kind["first_seconds"],
            client["first_seconds"], target_first, "s", "MlflowClient history")  # fmt: skip
        row("1M-point chart, mlflow-kind, repeat", kind["repeat_seconds"]["median"],
            ui["repeat_seconds"]["median"], target_repeat, "s", "UI bulk-interval")  # fmt: skip
    if "runs" in benches:
        page = benches["runs"]["pages"][0]
        routes = {r["name"]: r for r in page["routes"]}
        ours = routes["ours"]["repeat_seconds"]["median"]
        direct = routes["direct"]["repeat_seconds"]["median"]
        rows.append(
            [
                f"runs page, 100 of 10,000, `{page['order_by']}`",
                fmt_seconds(ours),
                f"{fmt_seconds(direct)} (direct runs/search)",
                fmt_ratio(ours, direct),
                f"≤ {runs_page.TARGET_RATIO}×",
                "yes" if ours / direct <= runs_page.TARGET_RATIO else "**no**",
            ]
        )
    for name, bench in KERNEL_BENCHES.items():
        if name in benches:
            rows += bench.headlines(benches[name])
    if "azure" in benches:
        rows += azure_passthrough.headlines(benches["azure"])
    if "browser" in benches:
        rows += browser.headlines(benches["browser"])
    if "compare" in benches:
        rows += compare_api.headlines(benches["compare"]["api"])
        if "trials" in benches["compare"].get("browser", {}):
            rows += compare_browser.headlines(benches["compare"]["browser"])
    return rows


if __name__ == "__main__":
    sys.exit(main())
