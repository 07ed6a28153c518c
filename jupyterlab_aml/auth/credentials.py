"""Build the azure-identity credential a workspace asks for, or the one a test injects.

Any object with ``get_token`` (and optionally ``get_token_info``) is a credential, so the server
setting ``credential_factory`` can hand in another one; tests use that to inject credentials
whose tokens last seconds.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..errors import BadRequest

# The Azure CLI's public client id: what `az login --use-device-code` signs in as; it is
# pre-authorised for ARM in every tenant.
AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
CREDENTIAL_KINDS = ("default", "cli", "managed_identity", "environment", "device_code")
# Credentials that sign in interactively: a token is only ever requested silently, and the
# user starts the interaction from the sidebar (POST .../sign-in).
INTERACTIVE_KINDS = ("device_code",)

# (verification_uri, user_code, expires_on) as azure-identity's DeviceCodeCredential gives it.
PromptCallback = Callable[[str, str, datetime], None]


@dataclass(frozen=True)
class CredentialSpec:
    """Everything needed to build one workspace's credential."""

    kind: str
    scope: str
    authority: str
    custom_authority: bool
    tenant_id: str | None
    ca_pem: str | None
    workspace: str
    prompt_callback: PromptCallback | None = None


CredentialFactory = Callable[[CredentialSpec], Any]


def check_credential_kind(kind: Any) -> str:
    """The credential kind, or BadRequest naming the choices."""
    kind = kind or "default"
    if kind not in CREDENTIAL_KINDS:
        raise BadRequest(f"credential must be one of {list(CREDENTIAL_KINDS)}, got {kind!r}")
    return kind


def build_credential(spec: CredentialSpec) -> Any:
    """A real azure-identity credential for the spec."""
    from azure import identity  # imported on first use: ~0.3 s that local-only users never pay

    common: dict[str, Any] = {"authority": spec.authority}
    if spec.custom_authority:
        # Without this MSAL asks the public cloud's discovery endpoint first, and fails.
        common["disable_instance_discovery"] = True
    if spec.ca_pem:
        common["connection_verify"] = spec.ca_pem
    if spec.kind == "environment":
        return identity.EnvironmentCredential(**common)
    if spec.kind == "cli":
        return identity.AzureCliCredential(tenant_id=spec.tenant_id or "", process_timeout=30)
    if spec.kind == "managed_identity":
        return identity.ManagedIdentityCredential(
            **({"connection_verify": spec.ca_pem} if spec.ca_pem else {})
        )
    if spec.kind == "device_code":
        return identity.DeviceCodeCredential(
            client_id=AZURE_CLI_CLIENT_ID,
            tenant_id=spec.tenant_id or "organizations",
            prompt_callback=spec.prompt_callback,
            # Never block a background refresh on a prompt nobody sees.
            disable_automatic_authentication=True,
            timeout=900,
            **common,
        )
    # The chain reads its tenant from AZURE_TENANT_ID or each tool's own sign-in.
    return identity.DefaultAzureCredential(**common, process_timeout=30)


def load_factory(value: Any) -> CredentialFactory:
    """The configured factory: a callable, a ``module:attribute`` string, or '' (azure-identity)."""
    if callable(value):
        return value
    if not value:
        return build_credential
    module, _, attribute = str(value).partition(":")
    factory = getattr(importlib.import_module(module), attribute or "credential_factory")
    if not callable(factory):
        raise TypeError(f"credential_factory {value!r} is not callable")
    return factory


def describe_credential(kind: str) -> str:
    """What the user signs in with, for messages."""
    return {
        "default": "the default Azure credential chain (environment, managed identity, Azure CLI, ...)",
        "cli": "the Azure CLI (run `az login` in a terminal)",
        "managed_identity": "this machine's managed identity",
        "environment": "the service principal in AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET",
        "device_code": "a device code (click Sign in)",
    }[kind]
