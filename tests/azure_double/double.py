"""AzureDouble: ARM, an Entra ID authority and an Azure ML MLflow front on loopback https.

Each role listens on its own port, at the root, as the real hosts do (management.azure.com,
login.microsoftonline.com, {region}.api.azureml.ms). The three aiohttp apps share one event
loop in a thread of their own, so the double serves sync tests, async tests on any loop, and
benches alike. Its state (workspaces, tokens, denials, counters) is changed from the test's
thread through the methods here, each under a lock.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web
from azure.core.credentials import AccessToken

from .aml_front import build_front_app
from .arm import build_arm_app
from .authority import build_authority_app
from .entra import Authority
from .registry import AzureResources
from .tls import DoubleTls
from .tokens import TokenBook, audience_of, is_user, object_id_of

if TYPE_CHECKING:
    from typing_extensions import Self

ROLES = ("arm", "authority", "front")


@dataclass(frozen=True)
class SeenRequest:
    """One request the double answered (for reports and asserts)."""

    role: str
    method: str
    path: str
    status: int
    route: str
    identity: str | None


class AzureDouble(AzureResources):
    """Loopback Azure: start with ``with AzureDouble() as double:`` or ``start()``/``stop()``."""

    def __init__(
        self,
        *,
        scope: str | None = None,
        tenant_id: str | None = None,
        token_lifetime: float = 3600.0,
        refresh_in: float | None = None,
        device_code_interval: int = 1,
        device_code_lifetime: int = 900,
        workdir: str | Path | None = None,
    ) -> None:
        self.tenant_id = tenant_id or str(uuid.uuid4())
        self.token_lifetime = token_lifetime  # what the authority's tokens last (seconds)
        self.refresh_in = refresh_in  # sent as ``refresh_in`` by the authority when set
        self.enforce_gaps = True  # the AML front refuses what Azure ML's endpoint cannot do
        self.clock_skew = 0.0  # seconds an expired token is still accepted (Azure: ~5 min)
        self._own_dir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="azure-double-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.tls = DoubleTls(self.workdir)
        self.ca_pem_path = self.tls.ca_pem_path  # the double's CA alone
        self.ca_bundle_path = self.tls.ca_bundle_path  # certifi's roots plus the double's CA
        self._defaults = (token_lifetime, refresh_in, scope)
        self.tokens = TokenBook(self.tenant_id)
        self.authority = Authority(self, device_code_interval, device_code_lifetime)
        self._sockets = {role: _listening_socket() for role in ROLES}
        self.ports = {role: sock.getsockname()[1] for role, sock in self._sockets.items()}
        self.arm_endpoint = f"https://127.0.0.1:{self.ports['arm']}"
        self.authority_host = f"https://127.0.0.1:{self.ports['authority']}"
        super().__init__(front_url=f"https://127.0.0.1:{self.ports['front']}")
        self.scope = scope or f"{self.arm_endpoint}/.default"
        self._lock = threading.Lock()
        self._failures: dict[str, list[int]] = {role: [] for role in ROLES}
        self._stats: Counter[str] = Counter()
        # The newest requests only: a long bench must not grow without bound.
        self._log: deque[SeenRequest] = deque(maxlen=100_000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.session: aiohttp.ClientSession | None = None  # the front's, to reach MLflow

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> Self:
        """Serve all three roles; returns once they accept connections."""
        self._thread = threading.Thread(target=self._serve, name="azure-double", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the Azure double did not start")
        if self._startup_error is not None:
            raise RuntimeError("the Azure double did not start") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving, and remove the CA file if the double made its folder."""
        if self._loop is not None and self._thread is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
        for sock in self._sockets.values():
            sock.close()
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to a freshly started double (for one double shared by many tests): no
        workspaces, denials, clients, pending failures or counters; default settings."""
        lifetime, refresh_in, scope = self._defaults
        self.token_lifetime, self.refresh_in = lifetime, refresh_in
        self.scope = scope or f"{self.arm_endpoint}/.default"
        self.enforce_gaps, self.clock_skew = True, 0.0
        self.forget_resources()
        self.authority.forget()
        with self._lock:
            for pending in self._failures.values():
                pending.clear()
        self.reset_stats()

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        runners: list[web.AppRunner] = []
        try:
            runners = loop.run_until_complete(self._open_sites())
        except BaseException as err:  # noqa: BLE001 - handed to start() in the caller's thread
            self._startup_error = err
        self._ready.set()
        if self._startup_error is None:
            loop.run_forever()
        loop.run_until_complete(self._close_sites(runners))
        loop.close()

    async def _open_sites(self) -> list[web.AppRunner]:
        # The front streams MLflow's answers as they are: no decompression, no total timeout.
        self.session = aiohttp.ClientSession(
            auto_decompress=False, timeout=aiohttp.ClientTimeout(total=None, sock_read=300)
        )
        builders = {
            "arm": build_arm_app,
            "authority": build_authority_app,
            "front": build_front_app,
        }
        runners = []
        for role, build in builders.items():
            runner = web.AppRunner(build(self), access_log=None, handle_signals=False)
            await runner.setup()
            site = web.SockSite(runner, self._sockets[role], ssl_context=self.tls.server_context())
            await site.start()
            runners.append(runner)
        return runners

    async def _close_sites(self, runners: list[web.AppRunner]) -> None:
        for runner in runners:
            await runner.cleanup()
        if self.session is not None:
            await self.session.close()

    # ---- workspaces and access ------------------------------------------------------------------
    def fail_next(self, role: str, status: int, times: int = 1) -> None:
        """The next ``times`` requests to ``role`` ("arm", "authority", "front") get ``status``
        (e.g. 503, 429) before any other check: to exercise retries."""
        with self._lock:
            self._failures[role].extend([status] * times)

    def take_failure(self, role: str) -> int | None:
        """The status of a pending ``fail_next`` for ``role``, consumed."""
        with self._lock:
            return self._failures[role].pop(0) if self._failures[role] else None

    # ---- tokens ---------------------------------------------------------------------------------
    @property
    def audiences(self) -> set[str]:
        """The token audiences ARM and the front accept (from ``scope``)."""
        return {audience_of(self.scope)}

    def mint(
        self, identity: str = "alice@contoso.com", scope: str | None = None, lifetime: float = 3.0
    ) -> AccessToken:
        """A token for ``identity`` (``scope`` defaults to the double's own)."""
        issued = self.tokens.issue(identity, scope or self.scope, lifetime)
        return AccessToken(issued.token, issued.expires_on)

    def revoke(self, identity: str) -> int:
        """Invalidate the identity's current access and refresh tokens (as on a password reset
        with continuous access evaluation); new sign-ins still work."""
        self.authority.revoke_refresh_tokens(identity)
        return self.tokens.revoke(identity)

    def register_client(self, client_id: str, secret: str) -> None:
        """An app registration: a service principal that signs in with client credentials."""
        self.authority.register_client(client_id, secret)

    def approve_device_code(self, user_code: str, identity: str = "alice@contoso.com") -> None:
        """The user enters ``user_code`` at the verification page and signs in as ``identity``."""
        if not is_user(identity):
            raise ValueError("device code sign-in is for users (name@domain)")
        self.authority.settle_device_code(user_code, identity)

    def decline_device_code(self, user_code: str) -> None:
        """The user declines the sign-in: the client's poll ends with authorization_declined."""
        self.authority.settle_device_code(user_code, None)

    def pending_user_codes(self) -> list[str]:
        """User codes handed out and not yet approved, declined or expired (oldest first)."""
        return self.authority.pending_user_codes()

    def wait_for_user_code(self, timeout: float = 10.0) -> str:
        """The newest pending user code, waiting for a client to ask for one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            codes = self.pending_user_codes()
            if codes:
                return codes[-1]
            time.sleep(0.02)
        raise TimeoutError("no device code was requested")

    @staticmethod
    def object_id(identity: str) -> str:
        """The object id the double reports for ``identity`` (in 403 messages, tokens)."""
        return object_id_of(identity)

    # ---- counters -------------------------------------------------------------------------------
    def record(
        self, role: str, method: str, path: str, status: int, route: str, identity: str | None
    ) -> None:
        """Count one answered request (called by the role apps)."""
        seen = SeenRequest(role, method, path, status, route, identity)
        with self._lock:
            self._log.append(seen)
            self._stats.update([role, f"{role} {status}", f"{role} {route}"])

    @property
    def stats(self) -> Counter[str]:
        """A snapshot of the counters: ``"front"`` (all requests to a role), ``"front 401"``
        (by status) and ``"front api/2.0/mlflow/runs/search"`` (by route; authority routes are
        ``"authority token client_credentials"``, ``"authority devicecode"``, ...)."""
        with self._lock:
            return Counter(self._stats)

    @property
    def requests(self) -> list[SeenRequest]:
        """Every request answered so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def reset_stats(self) -> None:
        """Zero the counters and the request log."""
        with self._lock:
            self._stats.clear()
            self._log.clear()


def _listening_socket() -> socket.socket:
    # Bound here, listened on by asyncio: the port is known before start() and never raced.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock
