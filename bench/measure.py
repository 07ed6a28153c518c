"""Figures: repeated timings summarised by their median, and the memory of a process tree."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import psutil

T = TypeVar("T")


@dataclass
class Samples:
    """Repeated measurements of one quantity (seconds unless the caller says otherwise)."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        """Record one measurement."""
        self.values.append(value)

    @property
    def median(self) -> float:
        """The figure we report; robust to the odd slow repeat on a shared machine."""
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        """The fastest repeat."""
        return min(self.values)

    @property
    def high(self) -> float:
        """The slowest repeat."""
        return max(self.values)

    def to_json(self) -> dict[str, Any]:
        """Median, min, max and every sample, for results.json."""
        if not self.values:
            return {"n": 0}
        return {
            "median": self.median,
            "min": self.low,
            "max": self.high,
            "n": len(self.values),
            "samples": list(self.values),
        }


def timed(call: Callable[[], T]) -> tuple[float, T]:
    """Wall-clock seconds of one call, and what it returned."""
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


@dataclass
class TreeMemory:
    """Memory of a server and every process it started."""

    processes: int
    rss: int
    pss: int
    uss: int
    commands: list[str]

    def to_json(self) -> dict[str, Any]:
        """Bytes, plus the process count and short command lines."""
        return {
            "processes": self.processes,
            "rss_bytes": self.rss,
            "pss_bytes": self.pss,
            "uss_bytes": self.uss,
            "commands": self.commands,
        }


def tree_processes(root_pid: int) -> list[psutil.Process]:
    """The root, its descendants, and anything else in its session (daemonised helpers)."""
    found: dict[int, psutil.Process] = {}
    try:
        root = psutil.Process(root_pid)
        found[root.pid] = root
        for child in root.children(recursive=True):
            found[child.pid] = child
        session = os.getsid(root_pid)
    except (psutil.Error, ProcessLookupError):
        return list(found.values())
    for process in psutil.process_iter():
        try:
            if process.pid not in found and os.getsid(process.pid) == session:
                found[process.pid] = process
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return list(found.values())


def tree_memory(root_pid: int) -> TreeMemory:
    """RSS (shared pages counted once per process), PSS (shared pages split) and USS, summed."""
    rss = pss = uss = 0
    commands: list[str] = []
    processes = tree_processes(root_pid)
    for process in processes:
        try:
            info = process.memory_full_info()
            commands.append(_short_command(process.cmdline()))
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
        uss += info.uss
    return TreeMemory(len(commands), rss, pss, uss, commands)


def _short_command(argv: list[str]) -> str:
    words = [os.path.basename(argv[0])] if argv else []
    words += [a for a in argv[1:6] if not a.startswith("/")]
    return " ".join(words)[:120]


MB = 1024 * 1024
