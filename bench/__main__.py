"""``python -m bench``: run the selected benches, then write and print the results (options in
``cli.py``, the run loop in ``runner.py``, the markdown in ``results_markdown.py``)."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psutil

from .cli import parse_args
from .report import write_results
from .results_markdown import results_markdown
from .runner import log, run_selected


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Run the selected benches and write the results."""
    args = parse_args(argv)
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
        run_selected(args, meta, benches, work_dir)
    finally:
        # "errors": parts of a bench failed (the browser bench's phases), the rest has figures.
        failed = any("error" in result or "errors" in result for result in benches.values())
        if args.keep_workdir or failed:
            log(f"server logs and stores kept in {work_dir}")
        else:
            shutil.rmtree(work_dir, ignore_errors=True)
    meta["host"]["load_after"] = _load()
    meta["total_seconds"] = time.perf_counter() - started
    results = {"meta": meta, "benches": benches}
    markdown = results_markdown(meta, benches)
    json_path, md_path = write_results(results, markdown)
    print(markdown)
    log(f"results: {json_path} and {md_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
