"""An Azure Machine Learning workspace: signed in with azure-identity, found through ARM.

Start-up: get a token (state ``starting``, or ``signed_out`` with the reason), read the
workspace's ``mlFlowTrackingUri`` from ARM, then speak MLflow REST to it with a fresh bearer
token on every request. Kernels never see an Azure token: they hold their per-kernel token and
the passthrough signs what it forwards. What Azure ML's endpoint cannot do (order by metrics,
params or tags; sampled histories) is done here, so the user sees the same features everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from azure.core.exceptions import ClientAuthenticationError

from ..auth.clouds import resolve_endpoints
from ..auth.credentials import (
    INTERACTIVE_KINDS,
    CredentialSpec,
    check_credential_kind,
    describe_credential,
)
from ..auth.tokens import TokenProvider
from ..errors import AmlError, BadRequest, NotReady, UpstreamError, UpstreamTimeout
from ..models import Run, WorkspaceInfo
from .azureml_discovery import (
    DiscoveryError,
    WorkspaceId,
    discover_tracking_uri,
    rest_base_from_tracking_uri,
)
from .azureml_signin import DeviceCodeSignIn
from .context import WorkspaceContext
from .local_runs import page_offset, parse_joined_order_by
from .local_runs import page_token as offset_token
from .rest import MLFLOW_API, RestWorkspace
from .rest_client import new_session
from .run_order import SortedRunSnapshots, sort_runs

log = logging.getLogger(__name__)

_FIELDS = ("subscription_id", "resource_group", "workspace_name")
_OPTIONAL = ("cloud", "tenant_id", "credential", "arm_endpoint", "authority_host", "token_scope")
# Transient failures (network, ARM 5xx) are retried with backoff up to this; signed-out and
# permanent errors are re-checked when the workspace list is read, at most this often.
_MAX_BACKOFF = 60.0
_RECHECK_EVERY = 30.0
_SEARCH_PAGE = 1000


class AzureMlWorkspace(RestWorkspace):
    """An Azure ML workspace's MLflow endpoint, signed with a refreshing Azure token."""

    kind = "azureml"
    resends_after_unauthorized = True

    def __init__(self, name: str, *, context: WorkspaceContext | None = None, **fields: Any):
        super().__init__(name, context=context)
        missing = [
            f for f in _FIELDS if not isinstance(fields.get(f), str) or not fields[f].strip()
        ]
        if missing:
            raise BadRequest(f"an azureml workspace needs {', '.join(missing)}")
        self.id = WorkspaceId(*(fields[f].strip() for f in _FIELDS))
        self.options = {k: str(fields[k]).strip() for k in _OPTIONAL if fields.get(k)}
        self.credential_kind = check_credential_kind(self.options.get("credential"))
        self.endpoints = resolve_endpoints(
            self.options.get("cloud"),
            arm_endpoint=self.options.get("arm_endpoint"),
            authority_host=self.options.get("authority_host"),
            token_scope=self.options.get("token_scope"),
        )
        self.tokens: TokenProvider | None = None
        self.tracking_uri = ""
        self._base = ""
        self._device = DeviceCodeSignIn(self)
        self._last_check = 0.0
        self._connecting: asyncio.Task[None] | None = None
        self._runs = SortedRunSnapshots()

    @classmethod
    def from_config(
        cls, name: str, fields: dict[str, Any], secrets: dict[str, str], **kwargs: Any
    ) -> AzureMlWorkspace:
        """Build from the request body or the workspaces file (no secrets: Azure holds them)."""
        known = {k: fields[k] for k in (*_FIELDS, *_OPTIONAL) if k in fields}
        return cls(name, **known, **kwargs)

    def to_config(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Coordinates and options; credentials live with Azure's own tools, never here."""
        public = {"name": self.name, "kind": self.kind, **self.id.__dict__, **self.options}
        return public, {}

    # ---- credential and tokens -------------------------------------------------------------------
    def credential_spec(self, prompt_callback: Any = None) -> CredentialSpec:
        """What the credential factory needs to build this workspace's credential."""
        return CredentialSpec(
            kind=self.credential_kind,
            scope=self.endpoints.scope,
            authority=self.endpoints.authority,
            custom_authority=self.endpoints.custom_authority,
            tenant_id=self.options.get("tenant_id"),
            ca_pem=self.context.trust.pem_path,
            workspace=self.name,
            prompt_callback=prompt_callback,
        )

    def use_credential(self, credential: Any) -> None:
        """Sign requests with ``credential`` from now on."""
        self.tokens = TokenProvider(credential, self.endpoints.scope)

    async def bearer(self) -> str:
        """A current token; a credential that cannot give one means signed out (503)."""
        if self.tokens is None:
            raise NotReady(self.detail or f"workspace {self.name!r} is not signed in")
        try:
            return await self.tokens.token()
        except ClientAuthenticationError as err:
            self.signed_out(err)
            raise NotReady(f"workspace {self.name!r} is signed out: {self.detail}") from err
        except Exception as err:
            raise UpstreamError(
                f"cannot get a token from {self.endpoints.authority}: {_first_line(err)}"
            ) from err

    def signed_out(self, err: BaseException | str) -> None:
        """Record that the credential cannot sign in, and what to do about it."""
        reason = err if isinstance(err, str) else _first_line(err)
        if self.tokens is not None:
            self.tokens.forget()
        how = (
            "Click Sign in."
            if self.credential_kind in INTERACTIVE_KINDS
            else f"Sign in with {describe_credential(self.credential_kind)}, then click Sign in."
        )
        self.set_state("signed_out", f"{reason} {how}".strip())

    async def auth_headers(self) -> dict[str, str]:
        """The bearer token for the workspace's MLflow endpoint."""
        return {"Authorization": f"Bearer {await self.bearer()}"}

    async def on_unauthorized(self, sent_headers: dict[str, str]) -> bool:
        """One forced refresh after a 401; callers that failed together share it."""
        sent = sent_headers.get("Authorization", "").removeprefix("Bearer ")
        if self.tokens is None or not sent:
            return False
        try:
            await self.tokens.refresh_after_rejection(sent)
        except ClientAuthenticationError as err:
            # 503, not the upstream's 401: MLflow clients retry a 503 with backoff, so a kernel
            # keeps its points while the user signs in again.
            self.signed_out(err)
            raise NotReady(f"workspace {self.name!r} is signed out: {self.detail}") from err
        return True

    # ---- lifecycle --------------------------------------------------------------------------------
    async def start(self) -> None:
        """Sign in and discover in the background; progress shows in state and detail."""
        if self._connecting is None or self._connecting.done():
            self._connecting = asyncio.get_running_loop().create_task(self._connect_with_retry())
        await asyncio.shield(self._connecting)

    async def _connect_with_retry(self) -> None:
        delay = 1.0
        while True:
            retry = await self.connect()
            if not retry:
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, _MAX_BACKOFF)

    async def connect(self) -> bool:
        """One attempt at sign-in, discovery and a first call; True if worth retrying."""
        self._last_check = time.monotonic()
        if self.tokens is None:
            if self.credential_kind in INTERACTIVE_KINDS and not self._device.completed:
                self.signed_out("Not signed in.")
                return False
            self.use_credential(self.context.credential_factory(self.credential_spec()))
        self.set_state("starting", f"signing in with {describe_credential(self.credential_kind)}")
        try:
            await self.bearer()
        except NotReady:
            return False
        except UpstreamError as err:
            self.set_state("error", err.message)
            return True
        self.set_state("starting", f"finding the MLflow endpoint of {self.id}")
        try:
            self.tracking_uri = await self._discover()
            self._base = rest_base_from_tracking_uri(self.tracking_uri)
        except DiscoveryError as err:
            self.set_state("error", err.message)
            return err.retry
        except NotReady:
            return False
        return await self._open_client()

    async def _discover(self) -> str:
        session = new_session(
            read_timeout=self.context.upstream_timeout, ssl_context=self.context.trust.ssl_context
        )
        async with session:
            try:
                return await discover_tracking_uri(
                    session, self.endpoints.arm, self.id, self.bearer
                )
            except DiscoveryError as err:
                if not err.unauthorized or self.tokens is None:
                    raise
                # The token may have expired in flight: one forced refresh, one retry.
                await self.tokens.refresh_after_rejection(await self.bearer())
                return await discover_tracking_uri(
                    session, self.endpoints.arm, self.id, self.bearer
                )

    async def _open_client(self) -> bool:
        """A first call through a new client; True if it failed in a way worth retrying."""
        if self._client is not None:
            await self._client.aclose()
        self._client = self.make_client()
        try:
            await self._client.call(
                "POST", f"{MLFLOW_API}/experiments/search", body={"max_results": 1}
            )
        except NotReady:
            return False  # signed out meanwhile: the state says so
        except AmlError as err:
            self.set_state("error", f"{self.tracking_uri}: {err.message}")
            transient = isinstance(err, UpstreamError) and err.upstream_status is None
            return transient or isinstance(err, UpstreamTimeout)
        self.set_state("ready")
        return False

    async def stop(self) -> None:
        """Stop connecting and close connections."""
        if self._connecting is not None:
            self._connecting.cancel()
        self._device.cancel()
        await super().stop()

    def probe_due(self) -> bool:
        """Whether listing workspaces should try again (e.g. after `az login` in a terminal)."""
        waiting = self.state == "error" or (
            self.state == "signed_out" and self.credential_kind not in INTERACTIVE_KINDS
        )
        return waiting and time.monotonic() - self._last_check > _RECHECK_EVERY

    def probe_due_now(self) -> None:
        """Mark a re-check as under way."""
        self._last_check = time.monotonic()

    async def probe(self) -> None:
        """Re-check a workspace that is signed out or in error."""
        if self.state != "starting":
            await self.start()

    async def sign_in(self) -> dict[str, Any]:
        """Start a sign-in: a device code to show, or a silent retry for other credentials."""
        if self.credential_kind in INTERACTIVE_KINDS:
            return await self._device.start()
        if self.tokens is not None:
            self.tokens.forget()
        self.tokens = None  # a fresh credential: the CLI may have a new account meanwhile
        self.set_state("starting", f"signing in with {describe_credential(self.credential_kind)}")
        self._connecting = asyncio.get_running_loop().create_task(self._connect_with_retry())
        return {"user_code": None, "verification_uri": None, "expires_on": None, "message": None}

    # ---- wire ---------------------------------------------------------------------------------------
    def upstream_base_url(self) -> str:
        """The https REST base found through ARM; '' until then (the passthrough answers 503)."""
        return self._base

    def display_uri(self) -> str:
        """The workspace's MLflow tracking URI as Azure shows it (it holds no secret)."""
        return self.tracking_uri or f"azureml://{self.id.arm_path.lstrip('/')}"

    def serves_ui(self) -> bool:
        """Azure ML has no MLflow UI; its studio opens at its own address."""
        return False

    def info(self) -> WorkspaceInfo:
        """State plus who is signed in, when the token renews, and the ARM coordinates."""
        info = super().info()
        token = self.tokens.current if self.tokens is not None else None
        if token is not None and self.state != "signed_out":
            info.identity = token.identity  # from the token's claims (Azure's are JWTs)
            info.token_expires_on = token.expires_on
        info.extra = {
            **self.id.__dict__,
            "cloud": self.endpoints.cloud,
            "credential": self.credential_kind,
            "studio_url": self.endpoints.studio,
        }
        return info

    # ---- capability gaps -------------------------------------------------------------------------
    async def search_runs(
        self,
        *,
        experiment_ids: list[str],
        filter: str | None,
        order_by: list[str],
        max_results: int,
        page_token: str | None,
    ) -> tuple[list[Run], str | None]:
        """Azure ML cannot order by metrics, params or tags: sort those here."""
        keys = parse_joined_order_by(order_by)
        if keys is None:
            return await super().search_runs(
                experiment_ids=experiment_ids,
                filter=filter,
                order_by=order_by,
                max_results=max_results,
                page_token=page_token,
            )
        offset = page_offset(page_token)
        if offset is None:
            raise BadRequest("invalid page_token")
        snapshot_key = (tuple(experiment_ids), filter or "", tuple(order_by))
        ordered = await self._runs.get(
            snapshot_key,
            lambda: self._all_runs_sorted(experiment_ids, filter, keys),
            fresh=offset == 0,
        )
        page = ordered[offset : offset + max_results]
        more = offset + max_results < len(ordered)
        return [Run.from_mlflow(r) for r in page], offset_token(
            offset + max_results
        ) if more else None

    async def _all_runs_sorted(
        self, experiment_ids: list[str], filter: str | None, keys: Any
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "experiment_ids": experiment_ids,
            "max_results": _SEARCH_PAGE,
            "run_view_type": "ACTIVE_ONLY",
        }
        if filter:
            body["filter"] = filter
        runs: list[dict[str, Any]] = []
        while True:
            raw = await self.client.call("POST", f"{MLFLOW_API}/runs/search", body=body)
            runs.extend(raw.get("runs", []))
            if not raw.get("next_page_token"):
                return sort_runs(runs, keys)
            body["page_token"] = raw["next_page_token"]


def _first_line(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]
