"""Bench 3: one page of 100 runs from a 10,000-run experiment, ours against MLflow direct.

Ours is ``GET aml/api/workspaces/local/runs?...`` (the embedded store's own MLflow child, then
our Run conversion and Jupyter's handler). MLflow direct is ``POST /api/2.0/mlflow/runs/search``
with the same body on a ``mlflow server --workers 1`` over the same sqlite file. The passthrough
(``aml/mlflow/local/...``, same body) splits ours: MLflow child plus Jupyter proxying, without
our conversion. Repeats go round-robin over the routes, so background load hits them alike.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .datasets import Dataset
from .measure import Samples
from .report import fmt_bytes, fmt_ratio, fmt_seconds, markdown_table
from .servers import JupyterServer, MlflowServer, raise_for_status

PAGE_SIZE = 100
ORDER_BY = "metrics.loss ASC"
TARGET_RATIO = 1.2
SEARCH = "api/2.0/mlflow/runs/search"


@dataclass
class Route:
    """One way to ask for the page."""

    name: str
    label: str
    send: Callable[[], httpx.Response]
    run_ids: Callable[[dict[str, Any]], list[str]]
    first: float | None = None
    body_bytes: int | None = None
    page: list[str] = field(default_factory=list)
    repeats: Samples = field(default_factory=Samples)

    def call(self) -> tuple[float, httpx.Response]:
        """Seconds to the last byte, and the answer."""
        started = time.perf_counter()
        response = self.send()
        seconds = time.perf_counter() - started
        raise_for_status(response)
        return seconds, response


def _ours_ids(payload: dict[str, Any]) -> list[str]:
    return [r["run_id"] for r in payload["runs"]]


def _mlflow_ids(payload: dict[str, Any]) -> list[str]:
    return [r["info"]["run_id"] for r in payload.get("runs", [])]


def _routes(
    experiment_id: str, order_by: str | None, jupyter: JupyterServer, direct: httpx.Client
) -> list[Route]:
    assert jupyter.http is not None
    http = jupyter.http
    params: dict[str, Any] = {"experiment_ids": experiment_id, "max_results": PAGE_SIZE}
    # The body our workspace sends upstream, so all three routes ask MLflow the same question.
    body: dict[str, Any] = {
        "experiment_ids": [experiment_id],
        "max_results": PAGE_SIZE,
        "run_view_type": "ACTIVE_ONLY",
    }
    if order_by:
        params["order_by"] = order_by
        body["order_by"] = [order_by]
    ours_url = jupyter.api("workspaces/local/runs")
    passthrough_url = f"aml/mlflow/local/{SEARCH}"
    return [
        Route(
            "ours",
            "ours · `aml/api/.../runs` (local)",
            lambda: http.get(ours_url, params=params),
            _ours_ids,
        ),
        Route(
            "passthrough",
            "ours · passthrough `aml/mlflow/local/.../runs/search`",
            lambda: http.post(passthrough_url, json=body),
            _mlflow_ids,
        ),
        Route(
            "direct",
            "MLflow direct · `POST runs/search`",
            lambda: direct.post(SEARCH, json=body),
            _mlflow_ids,
        ),
    ]


def run(
    dataset: Dataset,
    jupyter: JupyterServer,
    direct: MlflowServer,
    *,
    repeats: int,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The ordered page (the headline) and an unordered page for reference."""
    experiment_id = dataset.runs["experiment_id"]
    pages = []
    with httpx.Client(base_url=direct.url, timeout=600.0, trust_env=False) as direct_http:
        for order_by in (ORDER_BY, None):
            routes = _routes(experiment_id, order_by, jupyter, direct_http)
            for route in routes:
                seconds, response = route.call()
                route.first, route.body_bytes = seconds, len(response.content)
                route.page = route.run_ids(response.json())
            for _ in range(repeats):
                for route in routes:
                    route.repeats.add(route.call()[0])
            label = order_by or "unordered"
            ours, passthrough, mlflow = routes
            log(
                f"  {label}: ours {ours.repeats.median * 1000:.0f} ms, "
                f"direct {mlflow.repeats.median * 1000:.0f} ms"
            )
            pages.append(
                {
                    "order_by": order_by,
                    "same_page": ours.page == passthrough.page == mlflow.page,
                    "page_size": len(mlflow.page),
                    "ratio_ours_direct": ours.repeats.median / mlflow.repeats.median,
                    "ratio_passthrough_direct": passthrough.repeats.median / mlflow.repeats.median,
                    "routes": [
                        {
                            "name": r.name,
                            "label": r.label,
                            "first_seconds": r.first,
                            "repeat_seconds": r.repeats.to_json(),
                            "body_bytes": r.body_bytes,
                        }
                        for r in routes
                    ],
                }
            )
    return {"experiment_runs": dataset.runs["count"], "page_size": PAGE_SIZE, "pages": pages}


def markdown(result: dict[str, Any]) -> str:
    """The section for results.md."""
    rows = []
    notes = []
    for page in result["pages"]:
        direct = next(r for r in page["routes"] if r["name"] == "direct")
        for route in page["routes"]:
            repeat = route["repeat_seconds"]
            rows.append(
                [
                    page["order_by"] or "none",
                    route["label"],
                    fmt_seconds(route["first_seconds"]),
                    fmt_seconds(repeat["median"]),
                    f"{fmt_seconds(repeat['min'])} / {fmt_seconds(repeat['max'])}",
                    fmt_bytes(route["body_bytes"]),
                    ""
                    if route is direct
                    else fmt_ratio(repeat["median"], direct["repeat_seconds"]["median"]),
                ]
            )
        if not page["same_page"]:
            notes.append(f"- {page['order_by'] or 'unordered'}: the routes returned different runs")
    n = result["pages"][0]["routes"][0]["repeat_seconds"]["n"]
    headline = result["pages"][0]["ratio_ours_direct"]
    table = markdown_table(
        ["order_by", "route", "first call", "repeat (median)", "min / max", "body", "÷ direct"],
        rows,
    )
    return (
        f"## Runs page: {result['page_size']} of {result['experiment_runs']:,} runs\n\n"
        f"Time to the last byte, median of {n}. Target: ours ≤ {TARGET_RATIO}× direct on the "
        f"ordered page ({headline:.2f}× in this run).\n\n{table}\n"
        + ("\n" + "\n".join(notes) + "\n" if notes else "")
    )
