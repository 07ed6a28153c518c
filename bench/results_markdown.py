"""The markdown of a run (``results.md``): the headline table, then each bench's section and
the servers the benches shared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import azure_passthrough, browser, compare_api, compare_browser, embedded, history, runs_page
from .registry import KERNEL_BENCHES
from .report import fmt_ratio, fmt_seconds, header_markdown, markdown_table
from .summaries import describe as describe_summaries


def _compare_markdown(result: dict[str, Any]) -> str:
    sections = [
        compare_api.markdown(result["api"]),
        describe_summaries(result.get("summaries")) + "\n",
    ]
    browser = result.get("browser", {})
    if "error" in browser:
        sections.append(f"## Compare in the browser: failed\n\n```\n{browser['error']}\n```\n")
    elif browser:
        sections.append(compare_browser.markdown(browser))
    return "\n".join(sections)


def results_markdown(meta: dict[str, Any], benches: dict[str, Any]) -> str:
    """The whole ``results.md``: header, headlines, each bench (or its failure), servers."""
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
