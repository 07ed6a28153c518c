"""Results: ``bench/results/results.json`` and ``results.md`` (also printed), plus formatting."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from .summaries import describe as describe_summaries

RESULTS_DIR = Path(__file__).parent / "results"


def fmt_seconds(seconds: float | None) -> str:
    """Seconds as a short human figure: ms below one second."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    if seconds < 1.0:
        return f"{seconds * 1000:.1f} ms" if seconds < 0.1 else f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def fmt_ratio(ours: float | None, theirs: float | None) -> str:
    """``ours / theirs`` as ``0.42×``; below 1 means ours is smaller (faster, leaner)."""
    if not ours or not theirs:
        return "–"
    ratio = ours / theirs
    return f"{ratio:.2f}×" if ratio >= 0.01 else f"{ratio:.4f}×"


def fmt_bytes(count: int | None) -> str:
    """Bytes as B, kB or MB."""
    if count is None:
        return "–"
    if count < 10_000:
        return f"{count} B"
    if count < 10_000_000:
        return f"{count / 1000:.0f} kB"
    return f"{count / 1_000_000:.1f} MB"


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    """A GitHub-flavoured markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_results(results: dict[str, Any], markdown: str) -> tuple[Path, Path]:
    """Write both files, replacing the previous run's."""
    RESULTS_DIR.mkdir(exist_ok=True)
    json_path, md_path = RESULTS_DIR / "results.json", RESULTS_DIR / "results.md"
    json_path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    md_path.write_text(markdown)
    return json_path, md_path


def header_markdown(meta: dict[str, Any]) -> str:
    """The run's context: when, where, versions, data set and timings of the harness itself."""
    host, versions, data = meta["host"], meta["versions"], meta.get("dataset")
    lines = [
        "# jupyterlab_aml benchmarks",
        "",
        (
            f"Run {meta['started']} on {host['cpus']} CPUs, {host['memory_gb']:.0f} GB RAM; "
            f"load average {host['load_before']} before, {host['load_after']} after "
            f"(other work on a shared machine skews figures). "
            f"Python {versions['python']}, mlflow {versions['mlflow']}, "
            f"jupyter_server {versions['jupyter_server']}, jupyterlab_aml {versions['jupyterlab_aml']}."
        ),
        "",
        (
            f"Total bench time {meta['total_seconds']:.0f} s "
            f"({', '.join(f'{k} {v:.0f} s' for k, v in meta['bench_seconds'].items())})."
        ),
    ]
    for where, prepared in meta.get("summaries", {}).items():
        lines += ["", f"{where}: {describe_summaries(prepared)}"]
    if data:
        generation = data["generation"]
        how = "generated in this run" if data["generated_now"] else "cached"
        lines += [
            "",
            (
                f"Data set `{data['key']}` ({how}): generation took "
                f"{generation['total_seconds']:.0f} s (1M-point metric "
                f"{generation['history_seconds']:.0f} s, {data['runs_count']:,} runs "
                f"{generation['runs_seconds']:.0f} s, {generation['threads']} client threads "
                f"through `mlflow server --workers 1`); sqlite file "
                f"{generation['db_bytes'] / 1e6:.0f} MB."
            ),
        ]
    return "\n".join(lines) + "\n"
