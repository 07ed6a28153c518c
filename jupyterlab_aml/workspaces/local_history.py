"""Metric history straight from the embedded workspace's sqlite store, read-only.

MLflow's get-history builds an ORM object, a proto and indented JSON for every point (about 45 s
for 1M points here); reading the store we own gives the same points in about a second. The
connection is opened with ``mode=ro``, so nothing here can ever write to MLflow's database.

Schema (MLflow 3.17 ``metrics``): primary key (key, timestamp, step, run_uuid, value, is_nan),
plus indexes on (run_uuid) and (run_uuid, key, step). ``ORDER BY step`` makes SQLite walk
``index_metrics_run_uuid_key_step``: it reads only this run's points, already in step order.
Without it SQLite prefers the primary key's ``key=?`` prefix and scans that key in every run.
NaN is stored as value 0 with is_nan 1, ±Inf as ±DBL_MAX (``MetricPoints`` turns those back).
"""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

from ..errors import NotFound
from ..metrics import MetricPoints, history_response

# NaN leaves SQLite as +Inf (9e999): MLflow never stores a real Inf, and a 3-column row is
# measurably cheaper to turn into Python objects than a 4-column one. Ordering by timestamp too
# would add a sort in SQLite (+30%); ties within a step are rare, and MetricPoints orders them.
_POINT = "SELECT step, timestamp, iif(is_nan, 9e999, value)"
_COLUMNS = f"{_POINT} FROM metrics"
_CHUNK_SQL = (
    f"{_COLUMNS} WHERE run_uuid = ? AND key = ? AND step BETWEEN ? AND ? ORDER BY step LIMIT ?"
)
_ONE_STEP_SQL = f"{_COLUMNS} WHERE run_uuid = ? AND key = ? AND step = ?"
# Sampling in SQL: one short index-range query per bucket and role, each walking
# index_metrics_run_uuid_key_step. min()/max() name their row's step and timestamp (SQLite's
# bare columns); NaN leaves as ±9e999 so it loses both contests and still marks a NaN-only bucket.
_IN_RANGE = "FROM metrics WHERE run_uuid = ? AND key = ? AND step BETWEEN ? AND ?"
_EXISTS_SQL = "SELECT 1 FROM metrics WHERE run_uuid = ? AND key = ? LIMIT 1"
_COUNT_SQL = f"SELECT count(*) {_IN_RANGE}"
_FIRST_STEP_SQL = f"SELECT step {_IN_RANGE} ORDER BY step LIMIT 1"
_LAST_STEP_SQL = f"SELECT step {_IN_RANGE} ORDER BY step DESC LIMIT 1"
_FIRST_SQL = f"{_POINT} {_IN_RANGE} ORDER BY step, timestamp LIMIT 1"
_LAST_SQL = f"{_POINT} {_IN_RANGE} ORDER BY step DESC, timestamp DESC LIMIT 1"
_MIN_SQL = f"SELECT step, timestamp, min(iif(is_nan, 9e999, value)), sum(is_nan) {_IN_RANGE}"
_MAX_SQL = f"SELECT step, timestamp, max(iif(is_nan, -9e999, value)) {_IN_RANGE}"
_FIRST_NAN_SQL = (
    f"SELECT step, timestamp, 9e999 {_IN_RANGE} AND is_nan ORDER BY step, timestamp LIMIT 1"
)
# Below this many points a full read plus numpy is about as fast (10k points: 11 ms against 14 ms;
# 1M: 1.0 s against 0.6 s), and its history stays cached for zooming.
SQL_SAMPLE_MIN_POINTS = 50_000
_ROW = np.dtype([("step", np.int64), ("timestamp", np.int64), ("value", np.float64)])
# In rollback-journal mode a reader blocks MLflow's commits for as long as its statement runs:
# one 1M-row query stalled a kernel's log_batch by up to 1.5 s, 50k-row chunks by at most 0.12 s,
# at the same total load time.
CHUNK_ROWS = 50_000
# The MLflow server may hold a write lock for a moment while a kernel logs a batch.
_BUSY_TIMEOUT_S = 10.0
MIN_STEP, MAX_STEP = -(2**63), 2**63 - 1


def connect_read_only(db_path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write, and never creates the file."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)


def load_points_sqlite(
    db_path: str | Path, run_id: str, key: str, *, chunk_rows: int = CHUNK_ROWS
) -> MetricPoints:
    """Every logged point of ``key`` in ``run_id`` (empty when either is unknown)."""
    with closing(connect_read_only(db_path)) as connection:
        return load_points(connection, run_id, key, chunk_rows=chunk_rows)


def load_small_histories_sqlite(
    db_path: str | Path, pairs: list[tuple[str, str]], *, below: int = SQL_SAMPLE_MIN_POINTS
) -> dict[tuple[str, str], MetricPoints]:
    """The (run_id, key) histories of fewer than ``below`` points, on one connection: reading
    100 histories of 10,000 points one by one (a connection and a worker thread each) took
    1.9 s; together, about 1.2 s. Longer ones are left to the SQL sampler."""
    found: dict[tuple[str, str], MetricPoints] = {}
    with closing(connect_read_only(db_path)) as connection:
        for run_id, key in pairs:
            if count_points(connection, run_id, key, MIN_STEP, MAX_STEP) < below:
                found[(run_id, key)] = load_points(connection, run_id, key)
    return found


def count_points(connection: sqlite3.Connection, run_id: str, key: str, low: int, high: int) -> int:
    """How many points of ``key`` in ``run_id`` lie in steps ``[low, high]`` (index only)."""
    return connection.execute(_COUNT_SQL, (run_id, key, low, high)).fetchone()[0]


def load_points(
    connection: sqlite3.Connection,
    run_id: str,
    key: str,
    low: int = MIN_STEP,
    high: int = MAX_STEP,
    *,
    chunk_rows: int = CHUNK_ROWS,
) -> MetricPoints:
    """The points of ``key`` in ``run_id`` in steps ``[low, high]``, read in chunks."""
    parts: list[np.ndarray] = []
    start = low
    while True:
        rows = _fetch(connection, _CHUNK_SQL, (run_id, key, start, high, chunk_rows))
        if len(rows) < chunk_rows:
            parts.append(rows)
            break
        # The chunk may end inside a step: that step is read whole by the next chunk.
        last = int(rows["step"][-1])
        whole_steps = int(np.searchsorted(rows["step"], last))
        parts.append(rows[:whole_steps])
        if whole_steps:
            start = last
            continue
        # One step alone fills the chunk (metrics logged without a step all sit at step 0).
        parts.append(_fetch(connection, _ONE_STEP_SQL, (run_id, key, last)))
        if last == high:
            break
        start = last + 1
    rows = np.concatenate(parts)
    values = rows["value"]
    values[values == np.inf] = np.nan
    return MetricPoints(rows["step"], rows["timestamp"], values)


def _fetch(connection: sqlite3.Connection, sql: str, args: tuple) -> np.ndarray:
    return np.fromiter(connection.execute(sql, args), dtype=_ROW, count=-1)


def sample_response_sqlite(
    db_path: str | Path,
    run_id: str,
    key: str,
    *,
    max_points: int,
    start_step: int | None = None,
    end_step: int | None = None,
    min_points: int = SQL_SAMPLE_MIN_POINTS,
) -> dict | None:
    """The metric-history body, sampled in SQL; None where reading every point does better.

    Buckets span equal step ranges (the numpy sampler's hold equal counts): each gives its
    first, last, min and max point, and the first NaN of as many NaN buckets as the twentieth of
    the budget kept for them allows. That is None (read everything) for small ranges, and when
    points crowd onto few steps, as metrics logged without a step do.
    """
    low = MIN_STEP if start_step is None else start_step
    high = MAX_STEP if end_step is None else end_step
    with closing(connect_read_only(db_path)) as connection:

        def one(sql: str, *args: int) -> tuple | None:
            return connection.execute(sql, (run_id, key, *args)).fetchone()

        if one(_EXISTS_SQL) is None:
            raise NotFound(f"run {run_id} has no metric {key!r}")
        total = one(_COUNT_SQL, low, high)[0] if low <= high else 0
        if total < max(min_points, max_points + 1):
            return None
        first_step, last_step = (
            one(_FIRST_STEP_SQL, low, high)[0],
            one(_LAST_STEP_SQL, low, high)[0],
        )
        span = last_step - first_step + 1
        buckets = max(1, (max_points - max_points // 20) // 4)
        if span < buckets or total > 2 * span:
            return None  # many points per step: step-wide buckets would lump them together
        # Keyed by point, so a point that is first and min of its bucket is sent once.
        rows: dict[tuple, None] = {}
        nan_buckets: list[tuple[int, int]] = []
        filled = 0
        for b in range(buckets):
            start = first_step + b * span // buckets
            end = first_step + (b + 1) * span // buckets - 1
            first = one(_FIRST_SQL, start, end)
            if first is None:
                continue
            filled += 1
            *lowest, nan_count = one(_MIN_SQL, start, end)
            highest, last = one(_MAX_SQL, start, end), one(_LAST_SQL, start, end)
            for row in (first, lowest, highest, last):
                rows[_point(row)] = None
            if nan_count and not math.isinf(lowest[2]):
                nan_buckets.append((start, end))
        if filled < buckets // 2:
            return None  # steps cluster: equal-count buckets over every point sample better
        for start, end in nan_buckets[: max(0, max_points - len(rows))]:
            rows[_point(one(_FIRST_NAN_SQL, start, end))] = None
    sample = np.array(list(rows), dtype=_ROW)
    values = sample["value"]
    values[np.isinf(values)] = np.nan  # the ±9e999 NaN markers; stored Inf is ±DBL_MAX
    return history_response(
        MetricPoints(sample["step"], sample["timestamp"], values),
        key=key,
        run_id=run_id,
        max_points=max_points,
        start_step=start_step,
        end_step=end_step,
        summary_of=total,
    )


def _point(row: tuple | list) -> tuple:
    """``(step, timestamp, value)`` with either NaN marker (±9e999) as +Inf, one key per point."""
    step, timestamp, value = row
    return (step, timestamp, math.inf if math.isinf(value) else value)
