"""Metric history straight from the embedded workspace's sqlite store, read-only.

MLflow's get-history pages with OFFSET and re-sorts the whole history for every page (about 32 s
for 1M points); reading the store we own gives the same points in under a second. The connection
is opened with ``mode=ro``, so nothing here can ever write to MLflow's database.

Schema (MLflow 3.17 ``metrics``): primary key (key, timestamp, step, run_uuid, value, is_nan),
plus indexes on (run_uuid) and (run_uuid, key, step). ``ORDER BY step`` makes SQLite walk
``index_metrics_run_uuid_key_step``: it reads only this run's points, already in step order.
Without it SQLite prefers the primary key's ``key=?`` prefix and scans that key in every run.
NaN is stored as value 0 with is_nan 1, ±Inf as ±DBL_MAX (``MetricPoints`` turns those back).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np

from ..metrics import MetricPoints

# NaN leaves SQLite as +Inf (9e999): MLflow never stores a real Inf, and a 3-column row is
# measurably cheaper to turn into Python objects than a 4-column one. Ordering by timestamp too
# would add a sort in SQLite (+30%); ties within a step are rare, and MetricPoints orders them.
_HISTORY_SQL = (
    "SELECT step, timestamp, iif(is_nan, 9e999, value) FROM metrics"
    " WHERE run_uuid = ? AND key = ? ORDER BY step"
)
_ROW = np.dtype([("step", np.int64), ("timestamp", np.int64), ("value", np.float64)])
# The MLflow server may hold a write lock for a moment while a kernel logs a batch.
_BUSY_TIMEOUT_S = 10.0


def connect_read_only(db_path: str | Path) -> sqlite3.Connection:
    """A connection that cannot write, whoever holds the file."""
    uri = Path(db_path).resolve().as_uri() + "?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=_BUSY_TIMEOUT_S, check_same_thread=False)


def load_points_sqlite(db_path: str | Path, run_id: str, key: str) -> MetricPoints:
    """Every logged point of ``key`` in ``run_id`` (empty when either is unknown)."""
    with closing(connect_read_only(db_path)) as connection:
        rows = np.fromiter(connection.execute(_HISTORY_SQL, (run_id, key)), dtype=_ROW, count=-1)
    values = rows["value"]
    values[values == np.inf] = np.nan
    return MetricPoints(rows["step"], rows["timestamp"], values)
