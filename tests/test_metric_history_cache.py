"""MetricHistoryCache: one load shared by concurrent callers, versions and invalidation,
failures and cancellation, the memory bound, and the store's own sampling hook."""

from __future__ import annotations

import asyncio

import pytest

from jupyterlab_aml.errors import NotFound, UpstreamError
from jupyterlab_aml.metrics import MetricHistoryCache, MetricPoints

from .metric_helpers import respond, walk


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
