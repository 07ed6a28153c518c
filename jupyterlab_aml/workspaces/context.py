"""What every workspace shares: server-wide settings and caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..auth.credentials import build_credential
from ..auth.tls import TrustStore
from ..metrics import MetricHistoryCache


@dataclass
class WorkspaceContext:
    """Server-wide settings handed to each workspace."""

    history_cache: MetricHistoryCache = field(default_factory=MetricHistoryCache)
    # Seconds to wait for a tracking server's answer before reporting 504.
    upstream_timeout: float = 30.0
    # The CAs outgoing https trusts (a corporate proxy's root added to the defaults).
    trust: TrustStore = field(default_factory=TrustStore)
    # Builds azureml credentials; a test or an admin can hand in another factory.
    credential_factory: Any = build_credential
    # Where azure-ai-ml style config.json files are looked for (the server root).
    root_dir: Path | None = None
