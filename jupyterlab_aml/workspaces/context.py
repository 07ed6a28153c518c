"""What every workspace shares: server-wide settings and caches."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..metrics import MetricHistoryCache


@dataclass
class WorkspaceContext:
    """Server-wide settings handed to each workspace."""

    history_cache: MetricHistoryCache = field(default_factory=MetricHistoryCache)
    # Seconds to wait for a tracking server's answer before reporting 504.
    upstream_timeout: float = 30.0
