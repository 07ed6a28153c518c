"""Runs sorted in the extension (for Azure ML) come out in MLflow's own order."""

from __future__ import annotations

import pytest
import requests

from jupyterlab_aml.workspaces.local_runs import parse_joined_order_by
from jupyterlab_aml.workspaces.run_order import sort_runs

from .test_local_runs import ORDERINGS, seed


@pytest.fixture(scope="module")
def seeded(mlflow_server, mlflow_client) -> str:
    return seed(mlflow_client)


def search(server_url: str, body: dict) -> list[dict]:
    response = requests.post(
        f"{server_url}/api/2.0/mlflow/runs/search", json={"max_results": 1000, **body}, timeout=30
    )
    response.raise_for_status()
    return response.json()["runs"]


@pytest.mark.parametrize("order_by", ORDERINGS, ids=" | ".join)
def test_sorting_matches_mlflow_ties_nan_and_missing_values(mlflow_server, seeded, order_by):
    expected = search(mlflow_server.url, {"experiment_ids": [seeded], "order_by": order_by})
    unordered = search(mlflow_server.url, {"experiment_ids": [seeded]})
    keys = parse_joined_order_by(order_by)
    assert keys is not None
    ours = sort_runs(list(reversed(unordered)), keys)
    assert [r["info"]["run_id"] for r in ours] == [r["info"]["run_id"] for r in expected]
    # The data set really has ties, NaN and missing values under this order.
    assert len(expected) == 22
