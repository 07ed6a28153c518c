"""Block summaries of the embedded store's long metric series, in a file beside MLflow's.

Reading a metric out of MLflow's sqlite table costs about a microsecond a point (its indexes
hold no values, so every row is a lookup in the table): a second for 1M points, and as much for
a comparison of 100 series of 10,000. A summary (``series_blocks``) answers the same charts from
a thirty-second of the rows. MLflow's database is never written: summaries live in their own
file. Each says how many points it covers (every point up to ``last_step``) and is used only
while MLflow's table still holds exactly that many there: points are only ever added, so a
count over the index catches one added at an old step, and a deleted run. Newer points (a run
still logging) are read and, once there are enough of them, summarized too.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from ..metrics import MetricPoints, history_response
from ..series_blocks import (
    BLOCK,
    BLOCK_POINTS,
    FIRST,
    LAST,
    blocks_of,
    from_bytes,
    sample_blocks,
    single_point_blocks,
    to_bytes,
)
from .local_history import MAX_STEP, MIN_STEP, connect_read_only, count_points, load_points

log = logging.getLogger(__name__)

SUMMARY_FILE = "aml-series-summaries.db"
# Shorter series are read whole about as fast (2,000 points: ~2 ms).
MIN_POINTS = 2_000
# Newer points past a summary are summarized (and written) once there are this many.
EXTEND_MIN_POINTS = 4 * BLOCK_POINTS
_FORMAT = 1  # PRAGMA user_version: another layout is dropped and rebuilt
_BUSY_TIMEOUT_S = 10.0
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS series (run_uuid TEXT, key TEXT, points INTEGER NOT NULL,
    last_step INTEGER NOT NULL, dense INTEGER NOT NULL, PRIMARY KEY (run_uuid, key))
    WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS parts (run_uuid TEXT, key TEXT, part INTEGER,
    blocks BLOB NOT NULL, PRIMARY KEY (run_uuid, key, part)) WITHOUT ROWID""",
)
_SERIES_SQL = "SELECT points, last_step, dense FROM series WHERE run_uuid = ? AND key = ?"
_PARTS_SQL = "SELECT blocks FROM parts WHERE run_uuid = ? AND key = ? ORDER BY part"
_PER_SERIES_SQL = (
    "SELECT run_uuid, key, count(*) FROM metrics {where} GROUP BY run_uuid, key"
    " HAVING count(*) >= ?"
)


class SeriesSummaries:
    """Summaries of ``mlflow_db``'s series of at least ``min_points`` points, kept in ``path``.

    Every method is blocking (sqlite): call it from a worker thread. Threads may share one
    instance: each call opens its own connections.
    """

    def __init__(self, mlflow_db: Path, path: Path, *, min_points: int = MIN_POINTS):
        self.mlflow_db = Path(mlflow_db)
        self.path = Path(path)
        self.min_points = min_points
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    # ---- reading -------------------------------------------------------------------------------
    def sample(
        self,
        run_id: str,
        key: str,
        *,
        max_points: int,
        start_step: int | None = None,
        end_step: int | None = None,
    ) -> dict[str, Any] | None:
        """The metric-history body from the summary; None without a current one."""
        with closing(connect_read_only(self.mlflow_db)) as source, self._own() as own:
            blocks = self._current_blocks(source, own, run_id, key)
            if blocks is None:
                return None
            low = MIN_STEP if start_step is None else start_step
            high = MAX_STEP if end_step is None else end_step
            if low <= high:
                blocks = _within(source, run_id, key, blocks, low, high)
            else:
                blocks = blocks[:0]  # history_response names the bad range
            total = int(blocks["n"].sum())
            if total > max_points:
                sample = sample_blocks(blocks, max_points)
            elif total:  # nothing to sample: send the points themselves
                sample = load_points(source, run_id, key, low, high)
            else:
                sample = MetricPoints.empty()
        return history_response(
            sample,
            key=key,
            run_id=run_id,
            max_points=max_points,
            start_step=start_step,
            end_step=end_step,
            summary_of=total,
        )

    def summarized(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of the (run_id, key) series have a summary (not checked against MLflow's)."""
        with self._own() as own:
            return {p for p in pairs if own.execute(_SERIES_SQL, p).fetchone() is not None}

    def _current_blocks(
        self, source: sqlite3.Connection, own: sqlite3.Connection, run_id: str, key: str
    ) -> np.ndarray | None:
        """The series as blocks: its summary, then any newer points; None without a current
        summary."""
        with own:
            own.execute("BEGIN")  # the row and its parts from one snapshot
            row = own.execute(_SERIES_SQL, (run_id, key)).fetchone()
            parts = [from_bytes(b) for (b,) in own.execute(_PARTS_SQL, (run_id, key))]
        newer = self._newer_blocks(source, own, run_id, key, row)
        return None if newer is None else np.concatenate([*parts, newer])

    def _newer_blocks(
        self,
        source: sqlite3.Connection,
        own: sqlite3.Connection,
        run_id: str,
        key: str,
        row: tuple | None,
    ) -> np.ndarray | None:
        """The points past the summary that ``row`` describes, as blocks (written to it once
        there are enough of them); None when that summary is missing or not current."""
        if row is None or row[2]:
            return None
        points, last_step = row[0], row[1]
        if count_points(source, run_id, key, MIN_STEP, last_step) != points:
            return None  # a point came in at an old step, or the run was deleted
        if last_step == MAX_STEP:
            return np.empty(0, dtype=BLOCK)
        newer = load_points(source, run_id, key, last_step + 1, MAX_STEP)
        newer_blocks = blocks_of(newer) if len(newer) >= EXTEND_MIN_POINTS else None
        if newer_blocks is None:
            return single_point_blocks(newer)
        self._extend(own, run_id, key, (points, last_step), newer_blocks, newer)
        return newer_blocks

    # ---- writing -------------------------------------------------------------------------------
    def summarize(self, run_id: str, key: str, points: MetricPoints | None = None) -> bool:
        """Summarize one series from ``points`` (its whole history) or from MLflow's table;
        False when it is too short to bother or its summary already covers those points."""
        if points is None:
            with closing(connect_read_only(self.mlflow_db)) as source:
                points = load_points(source, run_id, key)
        if len(points) < self.min_points:
            return False
        covers = (len(points), int(points.steps[-1]))
        with self._own() as own:
            row = own.execute(_SERIES_SQL, (run_id, key)).fetchone()
        if row is not None and tuple(row[:2]) == covers:
            return False  # already says the same (a history read whole again, unchanged)
        blocks = blocks_of(points)
        with self._own() as own, own:
            own.execute("BEGIN IMMEDIATE")
            own.execute("DELETE FROM parts WHERE run_uuid = ? AND key = ?", (run_id, key))
            own.execute(
                "INSERT OR REPLACE INTO series VALUES (?, ?, ?, ?, ?)",
                (run_id, key, *covers, blocks is None),
            )
            if blocks is not None:
                own.execute(
                    "INSERT INTO parts VALUES (?, ?, 0, ?)", (run_id, key, to_bytes(blocks))
                )
        return True

    def refresh(self, run_id: str, keys: list[str]) -> int:
        """Bring a logging run's summaries up to date: newer points appended to a current
        summary, a missing or out-of-date one written whole once its series is long enough
        (one that cannot be split stays so). Returns how many were written whole."""
        written = 0
        with closing(connect_read_only(self.mlflow_db)) as source, self._own() as own:
            for key in keys:
                row = own.execute(_SERIES_SQL, (run_id, key)).fetchone()
                if row is not None and row[2]:
                    continue  # one step holds too many points: never summarized
                if self._newer_blocks(source, own, run_id, key, row) is not None:
                    continue  # current, with new points appended
                if count_points(source, run_id, key, MIN_STEP, MAX_STEP) >= self.min_points:
                    written += self.summarize(run_id, key)
        return written

    def index(self, run_id: str | None = None, stop: threading.Event | None = None) -> int:
        """Summarize every long series (of one run, or all) whose summary is missing or out of
        date; returns how many were written. ``stop`` ends it between two series."""
        where, args = ("WHERE run_uuid = ?", (run_id,)) if run_id else ("", ())
        with closing(connect_read_only(self.mlflow_db)) as source:
            counts = source.execute(
                _PER_SERIES_SQL.format(where=where), (*args, self.min_points)
            ).fetchall()
        with self._own() as own:
            known = {
                (r, k): n for r, k, n in own.execute("SELECT run_uuid, key, points FROM series")
            }
        written = 0
        for run, key, count in counts:
            if stop is not None and stop.is_set():
                break
            if known.get((run, key)) != count:
                written += self.summarize(run, key)
        return written

    def _extend(
        self,
        own: sqlite3.Connection,
        run_id: str,
        key: str,
        seen: tuple[int, int],
        blocks: np.ndarray,
        newer: MetricPoints,
    ) -> None:
        """Append newer points' blocks, unless another thread changed the summary meanwhile."""
        with own:
            own.execute("BEGIN IMMEDIATE")
            if own.execute(_SERIES_SQL, (run_id, key)).fetchone()[:2] != seen:
                return
            (part,) = own.execute(
                "SELECT coalesce(max(part), -1) + 1 FROM parts WHERE run_uuid = ? AND key = ?",
                (run_id, key),
            ).fetchone()
            own.execute(
                "INSERT INTO parts VALUES (?, ?, ?, ?)", (run_id, key, part, to_bytes(blocks))
            )
            own.execute(
                "UPDATE series SET points = ?, last_step = ? WHERE run_uuid = ? AND key = ?",
                (seen[0] + len(newer), int(newer.steps[-1]), run_id, key),
            )

    @contextmanager
    def _own(self) -> Iterator[sqlite3.Connection]:
        """A connection to the summaries file; one that turns out not to be a database (any
        more) is checked again, and started afresh, on the next use."""
        connection = self._open()
        try:
            yield connection
        except sqlite3.DatabaseError as error:
            if not isinstance(error, sqlite3.OperationalError):  # not just "locked"
                self._schema_ready = False
            raise
        finally:
            connection.close()

    def _open(self) -> sqlite3.Connection:
        connection = _connect(self.path)
        with self._schema_lock:
            if not self._schema_ready:
                try:
                    _prepare(connection)
                except sqlite3.DatabaseError as error:
                    if isinstance(error, sqlite3.OperationalError):
                        raise  # locked or read-only: not a reason to throw summaries away
                    log.warning(
                        "summaries file %s unreadable (%s): starting afresh", self.path, error
                    )
                    connection.close()
                    for leftover in ("", "-wal", "-shm"):
                        Path(f"{self.path}{leftover}").unlink(missing_ok=True)
                    connection = _connect(self.path)
                    _prepare(connection)
                self._schema_ready = True
        return connection


def _connect(path: Path) -> sqlite3.Connection:
    # Autocommit (isolation_level None): ``with connection`` commits what BEGIN opened.
    return sqlite3.connect(
        path, timeout=_BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None
    )


def _prepare(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    if version != _FORMAT:
        connection.execute("DROP TABLE IF EXISTS series")
        connection.execute("DROP TABLE IF EXISTS parts")
    for statement in _SCHEMA:
        connection.execute(statement)
    connection.execute(f"PRAGMA user_version = {_FORMAT}")


def _within(
    source: sqlite3.Connection,
    run_id: str,
    key: str,
    blocks: np.ndarray,
    low: int,
    high: int,
) -> np.ndarray:
    """The blocks wholly in steps ``[low, high]``, with the points of the (at most two) blocks
    that straddle an end read one by one."""
    firsts, lasts = blocks["step"][:, FIRST], blocks["step"][:, LAST]
    inside = np.flatnonzero((firsts >= low) & (lasts <= high))
    if not len(inside):
        return single_point_blocks(load_points(source, run_id, key, low, high))
    first, last = int(inside[0]), int(inside[-1])
    first_step, last_step = int(firsts[first]), int(lasts[last])  # sqlite takes no numpy ints
    parts = [blocks[first : last + 1]]
    if first_step > low:
        parts.insert(0, single_point_blocks(load_points(source, run_id, key, low, first_step - 1)))
    if last_step < high:
        parts.append(single_point_blocks(load_points(source, run_id, key, last_step + 1, high)))
    return np.concatenate(parts)
