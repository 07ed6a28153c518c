"""The wire contract of ``aml/api``; mirrored one to one in ``src/tokens.ts``.

MLflow's JSON carries non-finite doubles as the strings "NaN", "Infinity" and "-Infinity". We keep
that convention everywhere except metric ``points``, where they travel as ``null``, so that
``json.dumps(..., allow_nan=False)`` can never emit a bare NaN literal.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

WorkspaceState = Literal["starting", "ready", "signed_out", "error"]


@dataclass
class WorkspaceInfo:
    """A workspace as the browser sees it: never a secret in here."""

    name: str
    kind: str
    state: WorkspaceState
    detail: str = ""
    tracking_uri: str = ""
    identity: str | None = None
    token_expires_on: float | None = None
    # Kind-specific display fields (azureml: subscription_id, resource_group, workspace_name,
    # cloud, credential, studio_url), added at the top level of the JSON.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the wire."""
        data = asdict(self)
        data.update(data.pop("extra"))
        return data


@dataclass
class Experiment:
    """An MLflow experiment."""

    experiment_id: str
    name: str
    lifecycle_stage: str
    last_update_time: int | None
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mlflow(cls, raw: dict[str, Any]) -> Experiment:
        """Build from MLflow REST JSON."""
        return cls(
            experiment_id=str(raw["experiment_id"]),
            name=raw.get("name", ""),
            lifecycle_stage=raw.get("lifecycle_stage", "active"),
            last_update_time=_int_or_none(raw.get("last_update_time")),
            tags={t["key"]: t.get("value", "") for t in raw.get("tags", [])},
        )


@dataclass
class Run:
    """An MLflow run with its params, last metric values and tags."""

    run_id: str
    run_name: str
    experiment_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_mlflow(cls, raw: dict[str, Any]) -> Run:
        """Build from MLflow REST JSON (``{"info": ..., "data": ...}``)."""
        info, data = raw.get("info", {}), raw.get("data", {})
        return cls(
            run_id=info.get("run_id") or info.get("run_uuid", ""),
            run_name=info.get("run_name", ""),
            experiment_id=str(info.get("experiment_id", "")),
            status=info.get("status", ""),
            start_time=_int_or_none(info.get("start_time")),
            end_time=_int_or_none(info.get("end_time")),
            artifact_uri=info.get("artifact_uri", ""),
            params={p["key"]: p.get("value", "") for p in data.get("params", [])},
            metrics={m["key"]: wire_float(m.get("value")) for m in data.get("metrics", [])},
            tags={t["key"]: t.get("value", "") for t in data.get("tags", [])},
        )

    def to_json(self) -> dict[str, Any]:
        """Plain dict for the wire."""
        return asdict(self)


def wire_float(value: Any) -> float | str:
    """A metric value outside ``points``: finite floats stay numbers, others become strings."""
    if isinstance(value, str):
        return value  # MLflow already sent "NaN" / "Infinity" / "-Infinity"
    number = float(value) if value is not None else math.nan
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)
