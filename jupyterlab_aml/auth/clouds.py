"""Azure clouds: the ARM endpoint, the sign-in authority and the token scope each one implies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import BadRequest


@dataclass(frozen=True)
class Cloud:
    """Where one Azure cloud's control plane and sign-in live."""

    name: str
    resource_manager: str
    authority_host: str
    studio: str


CLOUDS: dict[str, Cloud] = {
    c.name: c
    for c in (
        Cloud(
            "AzureCloud",
            "https://management.azure.com",
            "https://login.microsoftonline.com",
            "https://ml.azure.com",
        ),
        Cloud(
            "AzureChinaCloud",
            "https://management.chinacloudapi.cn",
            "https://login.chinacloudapi.cn",
            "https://studio.ml.azure.cn",
        ),
        Cloud(
            "AzureUSGovernment",
            "https://management.usgovcloudapi.net",
            "https://login.microsoftonline.us",
            "https://ml.azure.us",
        ),
    )
}
DEFAULT_CLOUD = "AzureCloud"


@dataclass(frozen=True)
class Endpoints:
    """What a workspace talks to: resolved from its cloud and any overrides."""

    # The named cloud, or None for a custom one (its ARM endpoint is its own audience).
    cloud: str | None
    arm: str
    authority: str
    scope: str
    studio: str | None
    # True when the authority is not one of Azure's own: MSAL must then skip instance
    # discovery, or it asks the public cloud's discovery host and fails after seconds.
    custom_authority: bool


def resolve_endpoints(
    cloud: str | None,
    *,
    arm_endpoint: str | None = None,
    authority_host: str | None = None,
    token_scope: str | None = None,
) -> Endpoints:
    """Endpoints for a named cloud, with per-workspace overrides.

    A named cloud fixes the token scope (``{resource_manager}/.default``) even when its ARM
    endpoint is overridden (a proxy, a private endpoint). With no cloud named, a custom ARM
    endpoint (Azure Stack, air-gapped clouds) is its own resource, so the scope derives from it.
    ``token_scope`` overrides both, for clouds whose audience differs from their ARM URL.
    """
    if cloud is not None and cloud not in CLOUDS:
        raise BadRequest(f"cloud must be one of {sorted(CLOUDS)}, got {cloud!r}")
    named = CLOUDS[cloud or DEFAULT_CLOUD]
    arm = _https_base(arm_endpoint, "arm_endpoint") if arm_endpoint else named.resource_manager
    # azure-identity's own convention: AZURE_AUTHORITY_HOST names the authority when nothing
    # more specific (the field, or a named cloud) does.
    authority_host = authority_host or (
        os.environ.get("AZURE_AUTHORITY_HOST") if cloud is None else None
    )
    authority = (
        _https_base(authority_host, "authority_host") if authority_host else named.authority_host
    )
    custom_cloud = cloud is None and bool(arm_endpoint)
    if token_scope:
        scope = token_scope.strip()
    elif custom_cloud:
        scope = f"{arm}/.default"
    else:
        scope = f"{named.resource_manager}/.default"
    known_authorities = {c.authority_host for c in CLOUDS.values()}
    return Endpoints(
        cloud=None if custom_cloud else named.name,
        arm=arm,
        authority=authority,
        scope=scope,
        studio=None if custom_cloud else named.studio,
        custom_authority=authority not in known_authorities,
    )


def _https_base(url: str, field: str) -> str:
    # azure-identity refuses non-https authorities, and a token must never travel in clear.
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise BadRequest(f"{field} must be an https URL, got {url!r}")
    return url.strip().rstrip("/")
