"""Metric history: downsampling that keeps extremes, JSON-safe non-finite values, the cache,
and paged loading from a real `mlflow server`."""

from __future__ import annotations

import asyncio
import json
import math

import httpx
import numpy as np
import pytest
from mlflow.entities import Metric

from jupyterlab_aml.errors import BadRequest, NotFound, UpstreamError
from jupyterlab_aml.metrics import (
    GET_HISTORY,
    MetricHistoryCache,
    MetricPoints,
    fetch_history_paged,
    history_response,
)


def walk(n: int, seed: int = 0) -> MetricPoints:
    """A noisy random walk over steps 0..n-1, one point per step."""
    rng = np.random.default_rng(seed)
    return MetricPoints(np.arange(n), 1_700_000_000_000 + np.arange(n), rng.normal(size=n).cumsum())


def respond(points: MetricPoints, max_points: int = 1000, **steps) -> dict:
    """The response body, checked to serialize as strict JSON."""
    body = history_response(points, key="loss", run_id="r1", max_points=max_points, **steps)
    json.dumps(body, allow_nan=False)
    return body


def as_tuples(points: MetricPoints) -> list[tuple]:
    """Points as the wire shows them."""
    return [
        (s, t, v if math.isfinite(v) else None)
        for s, t, v in zip(
            points.steps.tolist(), points.timestamps.tolist(), points.values.tolist(), strict=True
        )
    ]


# ---- downsampling -----------------------------------------------------------------------------


def test_sampled_history_keeps_first_last_and_planted_spikes_and_dips():
    points = walk(200_000)
    rng = np.random.default_rng(1)
    # At least 1,000 steps apart: more than one bucket (200,000 / 250 buckets) between any two.
    spikes = rng.choice(99, size=40, replace=False) * 2_000 + rng.integers(1, 1_000, size=40)
    points.values[spikes[:20]] = 1e6 + np.arange(20)  # every spike higher than the walk
    points.values[spikes[20:]] = -1e6 - np.arange(20)

    body = respond(points, max_points=1000)

    assert body["sampled"] is True and body["total_points"] == 200_000
    assert len(body["points"]) <= 1000
    kept = {p[0]: p[2] for p in body["points"]}
    assert body["points"][0][0] == 0 and body["points"][-1][0] == 199_999
    assert all(kept.get(int(s)) == points.values[s] for s in spikes)  # no spike or dip vanished
    assert body["max"] == {"step": int(spikes[19]), "value": 1e6 + 19}
    assert body["min"] == {"step": int(spikes[39]), "value": -1e6 - 19}


def test_sampled_history_keeps_the_first_nan_of_a_bucket():
    points = walk(100_000)
    points.values[[10_000, 10_001, 55_555, 99_000]] = np.nan

    body = respond(points, max_points=500)

    null_steps = [p[0] for p in body["points"] if p[2] is None]
    assert null_steps == [10_000, 55_555, 99_000]
    assert len(body["points"]) <= 500


def test_non_finite_values_are_null_in_points_and_strings_elsewhere():
    values = [1.0, math.nan, math.inf, -2.0, -math.inf, 3.0, math.nan]
    points = MetricPoints(np.arange(7), np.arange(7) * 10, values)

    body = respond(points, max_points=100)

    assert [p[2] for p in body["points"]] == [1.0, None, None, -2.0, None, 3.0, None]
    assert body["max"] == {"step": 2, "value": "Infinity"}
    assert body["min"] == {"step": 4, "value": "-Infinity"}
    assert body["last"] == {"step": 6, "timestamp": 60, "value": "NaN"}


def test_sampled_infinities_survive_as_extremes():
    points = walk(50_000)
    points.values[[123, 40_000]] = [math.inf, -math.inf]

    body = respond(points, max_points=200)

    assert body["max"] == {"step": 123, "value": "Infinity"}
    assert body["min"] == {"step": 40_000, "value": "-Infinity"}
    assert [123, 40_000] == [p[0] for p in body["points"] if p[2] is None]


def test_all_nan_history_has_no_min_or_max():
    body = respond(MetricPoints([1, 2], [5, 6], [math.nan, math.nan]))

    assert body["min"] is None and body["max"] is None
    assert body["points"] == [[1, 5, None], [2, 6, None]]


def test_points_stay_within_max_points_and_keep_extremes_for_many_sizes():
    rng = np.random.default_rng(20240611)
    for _ in range(300):
        n = int(rng.integers(1, 30_000))
        max_points = int(rng.integers(4, 2_000))
        values = rng.normal(size=n).cumsum()
        for special in (math.nan, math.inf, -math.inf):
            if rng.random() < 0.3:
                values[rng.integers(0, n, size=int(rng.integers(1, 50)))] = special
        points = MetricPoints(np.arange(n), np.arange(n), values)

        body = respond(points, max_points=max_points)
        steps = [p[0] for p in body["points"]]

        assert len(steps) <= max_points, (n, max_points)
        assert body["sampled"] == (n > max_points)
        assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == n - 1
        if body["max"] is not None:
            assert {body["max"]["step"], body["min"]["step"]} <= set(steps), (n, max_points)
        if n > max_points >= 20:
            assert len(steps) >= max_points // 2  # the budget is used, not wasted


def test_history_that_fits_is_returned_whole_and_unsampled():
    points = walk(1000)

    body = respond(points, max_points=1000)

    assert body["sampled"] is False
    assert [tuple(p) for p in body["points"]] == as_tuples(points)


def test_step_range_limits_points_and_statistics():
    points = walk(10_000)
    points.values[9_000] = 1e9  # outside the range: must not be the max

    body = respond(points, max_points=100, start_step=2_000, end_step=2_999)

    inside = points.values[2_000:3_000]
    assert body["total_points"] == 1_000 and body["sampled"] is True
    assert body["points"][0][0] == 2_000 and body["points"][-1][0] == 2_999
    assert body["max"] == {"step": 2_000 + int(np.argmax(inside)), "value": float(inside.max())}
    assert body["last"]["step"] == 2_999


def test_empty_step_range_is_an_empty_answer():
    body = respond(walk(100), start_step=500, end_step=600)

    assert body["total_points"] == 0 and body["points"] == []
    assert body["min"] is None and body["last"] is None and body["sampled"] is False


def test_unknown_key_and_bad_requests_raise_domain_errors():
    with pytest.raises(NotFound):
        respond(MetricPoints([], [], []))
    with pytest.raises(BadRequest):
        respond(walk(10), max_points=3)
    with pytest.raises(BadRequest):
        respond(walk(10), start_step=5, end_step=4)


def test_points_are_ordered_by_step_then_timestamp():
    points = MetricPoints.from_mlflow(
        [
            {"key": "loss", "value": 3, "timestamp": 30, "step": 1},
            {"key": "loss", "value": 1, "timestamp": 10, "step": 1},
            {"key": "loss", "value": 0, "timestamp": 99, "step": 0},
            {"key": "loss", "value": 2, "timestamp": 20, "step": 1},
        ]
    )

    body = respond(points)

    assert body["points"] == [[0, 99, 0.0], [1, 10, 1.0], [1, 20, 2.0], [1, 30, 3.0]]
    assert body["last"] == {"step": 1, "timestamp": 30, "value": 3.0}


def test_mlflow_json_with_strings_and_missing_fields_is_parsed():
    points = MetricPoints.from_mlflow(
        [
            {"key": "k", "value": "NaN", "timestamp": "1700000000001", "step": "2"},
            {"key": "k", "value": "Infinity", "timestamp": 5},
            {"key": "k", "value": "-Infinity", "timestamp": 6, "step": 1},
            # How MLflow's SQL stores hand back a logged +Inf.
            {"key": "k", "value": 1.7976931348623157e308, "timestamp": 7, "step": 3},
        ]
    )

    assert points.steps.tolist() == [0, 1, 2, 3]
    assert points.timestamps.tolist() == [5, 6, 1_700_000_000_001, 7]
    assert points.values[0] == math.inf and points.values[1] == -math.inf
    assert math.isnan(points.values[2]) and points.values[3] == math.inf


def test_concat_of_pages_is_one_sorted_history():
    page_a = MetricPoints.from_mlflow([{"value": 1, "timestamp": 1, "step": 5}])
    page_b = MetricPoints.from_mlflow([{"value": 2, "timestamp": 2, "step": 3}])

    joined = MetricPoints.concat([page_a, page_b])

    assert joined.steps.tolist() == [3, 5] and len(joined) == 2
    assert len(MetricPoints.concat([])) == 0


# ---- cache ------------------------------------------------------------------------------------


class Loader:
    """A load function that counts its calls and can be held open or made to fail."""

    def __init__(self, points: MetricPoints | None = None):
        self.points = points if points is not None else walk(5_000)
        self.calls = 0
        self.gate: asyncio.Event | None = None
        self.error: Exception | None = None

    async def __call__(self) -> MetricPoints:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.error is not None:
            raise self.error
        return self.points


async def ask(cache: MetricHistoryCache, load: Loader, *, run="r1", key="loss", version=None):
    return await cache.response(
        "ws", run, key, version=version, load=load, max_points=200, start_step=None, end_step=None
    )


@pytest.mark.asyncio
async def test_concurrent_callers_share_one_load():
    cache, load = MetricHistoryCache(), Loader()
    load.gate = asyncio.Event()

    waiting = [asyncio.create_task(ask(cache, load)) for _ in range(10)]
    await asyncio.sleep(0)
    load.gate.set()
    bodies = await asyncio.gather(*waiting)

    assert load.calls == 1
    assert all(body == bodies[0] for body in bodies) and bodies[0]["total_points"] == 5_000


@pytest.mark.asyncio
async def test_repeat_call_is_served_without_loading_or_rebuilding():
    cache, load = MetricHistoryCache(), Loader()

    first = await ask(cache, load)
    again = await ask(cache, load)
    other_range = await cache.response(
        "ws", "r1", "loss", version=None, load=load, max_points=50, start_step=10, end_step=20
    )

    assert again is first and load.calls == 1
    assert other_range["total_points"] == 11 and load.calls == 1


@pytest.mark.asyncio
async def test_new_version_reloads_and_same_version_does_not():
    cache, load = MetricHistoryCache(), Loader()

    await ask(cache, load, version="v1")
    await ask(cache, load, version="v1")
    load.points = walk(6_000)
    body = await ask(cache, load, version="v2")

    assert load.calls == 2 and body["total_points"] == 6_000


@pytest.mark.asyncio
async def test_invalidate_drops_one_key_or_a_whole_run():
    cache, load = MetricHistoryCache(), Loader()
    for run, key in [("r1", "loss"), ("r1", "acc"), ("r2", "loss")]:
        await ask(cache, load, run=run, key=key)

    cache.invalidate("ws", "r1", "loss")
    await ask(cache, load, run="r1", key="loss")
    await ask(cache, load, run="r1", key="acc")
    assert load.calls == 4

    cache.invalidate("ws", "r1")
    await ask(cache, load, run="r1", key="loss")
    await ask(cache, load, run="r1", key="acc")
    await ask(cache, load, run="r2", key="loss")
    assert load.calls == 6


@pytest.mark.asyncio
async def test_invalidate_during_a_load_keeps_its_result_out_of_the_cache():
    cache, load = MetricHistoryCache(), Loader()
    load.gate = asyncio.Event()

    pending = asyncio.create_task(ask(cache, load))
    await asyncio.sleep(0)
    cache.invalidate("ws", "r1")
    load.gate.set()
    await pending
    await ask(cache, load)

    assert load.calls == 2


@pytest.mark.asyncio
async def test_failed_load_reaches_every_waiter_and_is_not_cached():
    cache, load = MetricHistoryCache(), Loader()
    load.gate, load.error = asyncio.Event(), UpstreamError("upstream down", 503)

    waiting = [asyncio.create_task(ask(cache, load)) for _ in range(3)]
    await asyncio.sleep(0)
    load.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    load.gate, load.error = None, None
    body = await ask(cache, load)

    assert all(isinstance(r, UpstreamError) for r in results)
    assert load.calls == 2 and body["total_points"] == 5_000


@pytest.mark.asyncio
async def test_a_caller_that_goes_away_does_not_cancel_the_shared_load():
    cache, load = MetricHistoryCache(), Loader()
    load.gate = asyncio.Event()

    leaving = asyncio.create_task(ask(cache, load))
    staying = asyncio.create_task(ask(cache, load))
    await asyncio.sleep(0)
    leaving.cancel()
    load.gate.set()
    body = await staying

    assert body["total_points"] == 5_000 and load.calls == 1
    assert leaving.cancelled()


@pytest.mark.asyncio
async def test_unknown_key_is_not_found_and_not_cached():
    cache, load = MetricHistoryCache(), Loader(MetricPoints([], [], []))

    for _ in range(2):
        with pytest.raises(NotFound):
            await ask(cache, load)

    assert load.calls == 2  # the key may be logged any moment


@pytest.mark.asyncio
async def test_cache_evicts_least_recently_used_histories_beyond_its_bound():
    cache = MetricHistoryCache(max_points=10_000, max_response_points=0)
    loads = {run: Loader(walk(4_000, seed=i)) for i, run in enumerate(["a", "b", "c"])}

    await ask(cache, loads["a"], run="a")
    await ask(cache, loads["b"], run="b")
    await ask(cache, loads["a"], run="a")  # a is now the most recent
    await ask(cache, loads["c"], run="c")  # 12,000 > 10,000: b goes

    assert cache.held_points <= 10_000
    await ask(cache, loads["a"], run="a")
    await ask(cache, loads["b"], run="b")
    assert (loads["a"].calls, loads["b"].calls) == (1, 2)


class Sampler:
    """A ``sample`` hook (as the local store's SQL sampling) that counts its calls."""

    def __init__(self, answer: dict | None):
        self.answer = answer
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def __call__(self) -> dict | None:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return self.answer


async def ask_sampled(cache: MetricHistoryCache, load: Loader, sampler: Sampler) -> dict:
    return await cache.response(
        "ws", "r1", "loss", version=None, load=load, max_points=200, sample=sampler
    )


@pytest.mark.asyncio
async def test_sample_answers_without_a_load_and_its_answer_is_kept():
    cache, load, sampler = MetricHistoryCache(), Loader(), Sampler(respond(walk(7)))

    first = await ask_sampled(cache, load, sampler)
    again = await ask_sampled(cache, load, sampler)

    assert first["total_points"] == 7 and again is first
    assert (sampler.calls, load.calls) == (1, 0)


@pytest.mark.asyncio
async def test_sample_that_declines_leads_to_a_load():
    cache, load, sampler = MetricHistoryCache(), Loader(), Sampler(None)

    body = await ask_sampled(cache, load, sampler)

    assert body["total_points"] == 5_000 and (sampler.calls, load.calls) == (1, 1)


@pytest.mark.asyncio
async def test_sample_is_skipped_while_the_history_is_held():
    cache, load, sampler = MetricHistoryCache(), Loader(), Sampler(respond(walk(7)))
    await ask(cache, load)

    body = await cache.response(
        "ws", "r1", "loss", version=None, load=load, max_points=99, sample=sampler
    )

    assert body["total_points"] == 5_000 and sampler.calls == 0


@pytest.mark.asyncio
async def test_sample_answer_from_before_an_invalidate_is_not_kept():
    cache, load, sampler = MetricHistoryCache(), Loader(), Sampler(respond(walk(7)))
    sampler.gate = asyncio.Event()

    pending = asyncio.create_task(ask_sampled(cache, load, sampler))
    await asyncio.sleep(0)
    cache.invalidate("ws", "r1", "loss")
    sampler.gate.set()
    await pending
    await ask_sampled(cache, load, sampler)

    assert sampler.calls == 2


# ---- paged loading from a real MLflow server --------------------------------------------------


def http_call(base_url: str):
    """The ``call`` shape that ``fetch_history_paged`` expects, on plain httpx."""

    async def call(method: str, path: str, *, params=None, body=None) -> dict:
        async with httpx.AsyncClient(base_url=base_url, trust_env=False) as client:
            response = await client.request(method, f"/{path}", params=params, json=body)
        if response.status_code == 400:
            raise BadRequest(response.text)
        response.raise_for_status()
        return response.json()

    return call


@pytest.fixture(scope="module")
def logged_run(mlflow_client) -> dict:
    """A run on the real server with 1,000 `loss` points including NaN, ±Inf and step repeats."""
    experiment_id = mlflow_client.create_experiment("metrics-paged")
    run_id = mlflow_client.create_run(experiment_id).info.run_id
    rng = np.random.default_rng(7)
    values = rng.normal(size=1_000).cumsum()
    values[[100, 500, 900]] = [math.nan, math.inf, -math.inf]
    metrics = [Metric("loss", float(v), 1_000 + i, i // 2) for i, v in enumerate(values)]
    for start in range(0, len(metrics), 500):
        mlflow_client.log_batch(run_id, metrics=metrics[start : start + 500])
    mlflow_client.set_terminated(run_id)
    return {"run_id": run_id, "values": values}


@pytest.mark.asyncio
async def test_paged_history_from_mlflow_server_is_complete_and_ordered(mlflow_server, logged_run):
    call = http_call(mlflow_server.url)

    paged = await fetch_history_paged(call, logged_run["run_id"], "loss", page_size=37)
    whole = await fetch_history_paged(call, logged_run["run_id"], "loss", page_size=5_000)

    assert len(paged) == 1_000
    assert as_tuples(paged) == as_tuples(whole)
    assert paged.steps.tolist() == [i // 2 for i in range(1_000)]
    np.testing.assert_array_equal(paged.values, logged_run["values"])  # Inf survives the store
    body = respond(paged, max_points=100)
    assert body["max"]["value"] == "Infinity" and body["min"]["value"] == "-Infinity"


@pytest.mark.asyncio
async def test_paged_history_of_unknown_key_is_empty(mlflow_server, logged_run):
    points = await fetch_history_paged(http_call(mlflow_server.url), logged_run["run_id"], "nope")

    assert len(points) == 0


@pytest.mark.asyncio
async def test_server_that_refuses_large_pages_is_asked_with_smaller_ones(
    mlflow_server, logged_run
):
    real = http_call(mlflow_server.url)
    asked: list[int] = []

    async def strict_server(method, path, *, params=None, body=None):
        # Stands in for a store with a lower max_results cap than MLflow's (Azure ML's is not
        # documented); the pages themselves come from the real server.
        asked.append(params["max_results"])
        if params["max_results"] > 25_000:
            raise BadRequest("max_results too large")
        return await real(method, path, params=params, body=body)

    points = await fetch_history_paged(strict_server, logged_run["run_id"], "loss", 100_000)

    assert len(points) == 1_000 and asked == [100_000, 25_000]


@pytest.mark.asyncio
async def test_a_page_token_that_repeats_is_an_upstream_error():
    async def stuck_server(method, path, *, params=None, body=None):
        assert path == GET_HISTORY
        return {"metrics": [{"key": "k", "value": 1, "timestamp": 1}], "next_page_token": "same"}

    with pytest.raises(UpstreamError):
        await fetch_history_paged(stuck_server, "r1", "k")
