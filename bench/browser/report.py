"""The browser bench's section of results.md and its rows of the headline table."""

from __future__ import annotations

import re
from typing import Any

from ..report import fmt_ratio, fmt_seconds, markdown_table


def _p(figures: dict[str, Any], name: str) -> float | None:
    return figures.get(name)


def _load(averages: list[float]) -> str:
    return " ".join(f"{x:.2f}" for x in averages)


def _median_p95(part: dict[str, Any]) -> str:
    if not part.get("n"):
        return "–"
    return f"{fmt_seconds(part['p50'])} (p95 {fmt_seconds(part['p95'])})"


def _repeat_row(label: str, figures: dict[str, Any], versus: float | None) -> list[str]:
    drawn = figures["drawn"]
    return [
        label,
        fmt_seconds(_p(drawn, "p50")),
        fmt_seconds(_p(drawn, "p95")),
        f"{fmt_seconds(_p(drawn, 'min'))} / {fmt_seconds(_p(drawn, 'max'))}",
        str(drawn.get("n", 0)),
        fmt_seconds(_p(figures["until_request"], "p50")),
        fmt_seconds(_p(figures["request"], "p50")),
        fmt_seconds(_p(figures["after_answer"], "p50")),
        fmt_ratio(_p(drawn, "p50"), versus) if versus else "",
    ]


def _single_row(label: str, sample: dict[str, Any], versus: float | None) -> list[str]:
    return [
        label,
        fmt_seconds(sample["drawn"]),
        "–",
        "–",
        "1",
        fmt_seconds(sample["until_request"]),
        fmt_seconds(sample["request"]),
        fmt_seconds(sample["after_answer"]),
        fmt_ratio(sample["drawn"], versus) if versus else "",
    ]


_HEAD = [
    "action",
    "drawn (median)",
    "p95",
    "min / max",
    "n",
    "until request sent",
    "request",
    "after answer",
    "÷ MLflow UI",
]


def _first_runs(figures: dict[str, Any]) -> str:
    """The run names shown first, to check both UIs sorted alike."""
    names = set()
    for sample in figures["samples"]:
        found = re.search(r"run-\d{5}", sample["detail"].get("firstRow", ""))
        names.add(found.group(0) if found else "?")
    return ", ".join(f"`{n}`" for n in sorted(names))


def _runs_section(result: dict[str, Any]) -> str:
    ours, theirs = result.get("runs_table"), result.get("mlflow_runs")
    meta = result["meta"]
    rows = []
    for mode, label in (("newest_first", "newest first"), ("metric_sort", "by metric")):
        versus = theirs[mode]["drawn"].get("p50") if theirs else None
        if ours:
            rows.append(_repeat_row(f"ours · {label}", ours[mode], versus))
        if theirs:
            rows.append(_repeat_row(f"MLflow UI · {label}", theirs[mode], None))
    if ours:
        rows.append(_single_row("ours · the click on the sort header", ours["sort_click"], None))
    asked = ", ".join(f"`{b}`" for b in theirs["metric_sort_asked"]) if theirs else "–"
    first = " · ".join(
        f"{who} {_first_runs(figures['metric_sort'])}"
        for who, figures in (("ours", ours), ("MLflow UI", theirs))
        if figures
    )
    return (
        f"### Runs table: first page of the {meta['runs_experiment_runs']:,}-run experiment\n\n"
        "Ours: from the click on the experiment's checkbox in the runs section's picker (the "
        "click event's timestamp) until the grid reports a loaded page of "
        f"{meta['page_size']} runs with rows in the DOM (`data-loading=false`, "
        "`data-total-loaded`, `data-rendered-rows`) and the page has painted it. Before each "
        "repeat the picker goes to the other experiment and back to none, so each repeat is a "
        f'real load. "By metric" repeats the same after one click on the `{meta["sort_key"]}` '
        f"header (`metrics.{meta['sort_key']} DESC`; "
        f"the table was sorted by `{ours['sorted_column'] if ours else '–'}`). "
        "MLflow UI: from the click on the experiment in MLflow's experiments list until its runs "
        "table shows rows linking to that experiment's runs (then painted); back to the list and "
        "through the other experiment between repeats, after one untimed warm-up visit. Its "
        "metric sort is the per-experiment sort MLflow keeps in localStorage (what a user's "
        f"sort leaves behind); it asked {asked}. First row when sorted: {first}. "
        '"Request" is the runs search as the browser saw it (resource timing, send to last '
        'byte); "after answer" is parse, render and '
        f"paint. Target for ours: ≤ {fmt_seconds(result['targets']['runs_page_seconds'])}.\n\n"
        + markdown_table(_HEAD, rows)
        + "\n"
    )


def _chart_section(result: dict[str, Any]) -> str:
    ours, theirs = result.get("metric_chart"), result.get("mlflow_chart")
    meta = result["meta"]
    rows = []
    versus_first = theirs["first"]["drawn"] if theirs else None
    versus_repeat = theirs["repeat"]["drawn"].get("p50") if theirs else None
    if ours:
        cold = "server cold" if ours["first_was_cold"] else "**not** cold: fetched before"
        rows.append(_single_row(f"ours · notebook switch, first ({cold})", ours["first"],
                                versus_first))  # fmt: skip
        rows.append(_repeat_row("ours · notebook switch, repeat", ours["repeat"], versus_repeat))
        rows.append(_repeat_row("ours · expand to a tab (no request)", ours["expand"], None))
    if theirs:
        rows.append(_single_row("MLflow UI · Model metrics tab, first", theirs["first"], None))
        rows.append(_repeat_row("MLflow UI · Model metrics tab, repeat", theirs["repeat"], None))
    points = ""
    if ours:
        points = (
            f"Ours drew {ours['first']['detail'].get('points')} points (sampled on the server, "
        )
        points += "spikes, dips and NaN gaps kept; see the history bench). "
    if theirs:
        points += (
            f"MLflow's line has {theirs['first']['detail'].get('segments')} segments "
            "(`get-history-bulk-interval`, `max_results=320`, sampled by row). "
        )
        repeats = theirs["repeat"]
        points += (
            f"{repeats['without_request']} of {repeats['drawn'].get('n', 0)} MLflow repeats sent "
            "no request (its page keeps the data); ours asks the server again each time the "
            "notebook takes focus. "
        )
    return (
        f"### A {meta['history_points']:,}-point metric drawn\n\n"
        "Lab draws one run's charts in the sidebar's live section, for the run of the notebook "
        "in focus (the run detail shows values, not charts; the compare view is measured "
        "apart). So the chart notebook creates a run and copies the cached 1M-point history "
        "into it in sqlite, then ends the run. Ours: from the pointerdown on that "
        "notebook's tab (coming from a notebook whose kernel has no run) until the sidebar's "
        "`loss` chart has its points (`data-points` > 0 and a uPlot canvas) and the page has "
        "painted. In between: the kernel's runs, the run, the live subscription, then the "
        'history request ("until request sent"), the request itself, then parsing and drawing '
        '("after answer"). The first switch asks the server cold; repeats hit its history '
        'cache. "Expand" is the chart\'s expand button: a main-area chart drawn from the points '
        'already loaded. MLflow UI: from the click on the 1M-point run\'s "Model metrics" tab '
        'until its plotly line is drawn; back to "Overview" between repeats. '
        f"{points}Target for ours: ≤ {fmt_seconds(result['targets']['chart_seconds'])}.\n\n"
        + markdown_table(_HEAD, rows)
        + "\n"
    )


def _live_section(result: dict[str, Any]) -> str:
    live = result.get("live")
    if not live:
        return ""
    rows = []
    for label, part in (
        ("drawn − `log_metric` returned (the headline)", live["drawn_after_return"]),
        ("drawn − `log_metric` called", live["drawn_after_call"]),
        ("`data-points` changed − `log_metric` returned", live["attribute_after_return"]),
        ("`log_metric` call in the kernel (for reference)", live["log_metric_call"]),
    ):
        rows.append(
            [label]
            + [fmt_seconds(part.get(k)) for k in ("p50", "p95", "max", "min")]
            + [str(part["n"])]
        )
    offset = live["page_clock_offset_ms"]
    return (
        "### A kernel-logged point on screen\n\n"
        f"The live notebook's cell (run with Shift+Enter) logs {live['points']} points at "
        f"{1 / live['interval_seconds']:.0f} points/s with plain `mlflow.log_metric` (the "
        "websocket bench's kernel code) and stamps `time.time()` before and after each call. "
        "In the page, a MutationObserver stamps each increase of the sidebar chart's "
        "`data-points` with `performance.timeOrigin + performance.now()`, then again after the "
        f"next paint. {live['shown']} of {live['points']} points reached the screen, in "
        f"{live['updates']} chart updates (median {live['points_per_update'].get('p50', 0):.0f} "
        "point per update). One machine, one clock: the page clock was "
        f"{offset[0]:+.1f} ms / {offset[-1]:+.1f} ms off `Date.now()` at start / end. "
        f"Target: p95 ≤ {fmt_seconds(result['targets']['live_p95_seconds'])}. No MLflow UI "
        "analogue: its charts poll every 30 s with auto-refresh on (see the live bench).\n\n"
        + markdown_table(["interval", "p50", "p95", "max", "min", "points"], rows)
        + "\n"
    )


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    meta = result["meta"]
    servers = meta["servers"]
    errors = result.get("errors", {})
    failed = "".join(f"\n- {name} failed: `{message}`" for name, message in errors.items())
    return (
        "## Browser: Chromium, driven by Playwright\n\n"
        f"JupyterLab (`jupyter server` with the extension, its `local` workspace on a copy of the "
        f"data set) and MLflow's own UI (`mlflow server --workers 1` on the same copy), both in "
        f"Chromium {meta['browser_version']} (Debian, headless, 1600×1000). The extension's "
        f"labextension is a **{meta['extension_build']}** build. Lab loaded in "
        f"{fmt_seconds(meta['lab_load_seconds'])}; Jupyter answered in "
        f"{fmt_seconds(servers['jupyter_start_seconds'])}, `local` ready "
        f"{fmt_seconds(servers['local_ready_after_jupyter_seconds'])} later; the driver ran "
        f"{servers['driver_seconds']:.0f} s, load average {_load(servers['load_before_driver'])} "
        f"before it and {_load(servers['load_after_driver'])} after. Times start at the input event's own timestamp "
        '(the browser\'s receipt of the click), and "drawn" is the first task after the next '
        "paint (`requestAnimationFrame`, then a posted message), so it is late by up to one "
        f"frame (16.7 ms). Medians and p95 (linear interpolation) of {meta['repeats']} repeats: "
        "with so few, p95 is close to the slowest."
        + failed
        + "\n\n"
        + _runs_section(result)
        + "\n"
        + _chart_section(result)
        + "\n"
        + _live_section(result)
    )


def headlines(result: dict[str, Any]) -> list[list[str]]:
    """Rows for the headline table; within target is judged on p95 (first calls: the one)."""
    rows: list[list[str]] = []
    targets = result["targets"]

    def row(figure: str, ours: dict[str, Any] | float, theirs: float | None, versus: str,
            target: float) -> None:  # fmt: skip
        if isinstance(ours, dict):
            shown, judged, median = _median_p95(ours), ours.get("p95"), ours.get("p50")
        else:
            shown, judged, median = fmt_seconds(ours), ours, ours
        rows.append(
            [
                figure,
                shown,
                f"{fmt_seconds(theirs)} ({versus})" if theirs is not None else f"– ({versus})",
                fmt_ratio(median, theirs),
                fmt_seconds(target),
                "yes" if judged is not None and judged <= target else "**no**",
            ]
        )

    ours, theirs = result.get("runs_table"), result.get("mlflow_runs")
    if ours:
        for mode, label in (("newest_first", "newest first"), ("metric_sort", "by metric")):
            mlflow = theirs[mode]["drawn"].get("p50") if theirs else None
            figure = f"browser: runs table, 10k runs, click → first page drawn, {label}"
            row(figure, ours[mode]["drawn"], mlflow, "MLflow UI runs page",
                targets["runs_page_seconds"])  # fmt: skip
    chart, mlflow_chart = result.get("metric_chart"), result.get("mlflow_chart")
    if chart:
        first = mlflow_chart["first"]["drawn"] if mlflow_chart else None
        repeat = mlflow_chart["repeat"]["drawn"].get("p50") if mlflow_chart else None
        row("browser: 1M-point chart drawn, first (notebook switch)", chart["first"]["drawn"],
            first, "MLflow UI Model metrics", targets["chart_seconds"])  # fmt: skip
        row("browser: 1M-point chart drawn, repeat", chart["repeat"]["drawn"], repeat,
            "MLflow UI Model metrics", targets["chart_seconds"])  # fmt: skip
    if live := result.get("live"):
        part = live["drawn_after_return"]
        rows.append(
            [
                f"browser: kernel point → screen, p95 ({live['shown']}/{live['points']} shown)",
                fmt_seconds(part.get("p95")),
                "≤ 30 s (UI auto-refresh poll)",
                "–",
                fmt_seconds(targets["live_p95_seconds"]),
                "yes" if part.get("p95") is not None and part["p95"] <= targets["live_p95_seconds"]
                else "**no**",
            ]
        )  # fmt: skip
    return rows
