"""Per-kernel tokens and the runs each kernel created. Tornado-free; owned by the extension.

A kernel's token is good only for the MLflow passthrough, identifies that kernel there, and is
revoked when the kernel shuts down. Tokens are kept as SHA-256 digests, so a memory dump or a log
line of this object never shows a usable token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field


@dataclass
class KernelIdentity:
    """Who is calling the passthrough: a kernel, and the notebook it serves."""

    kernel_id: str | None
    path: str | None
    workspace: str | None = None  # the workspace it last used through the passthrough
    runs: dict[str, str] = field(default_factory=dict)  # run_id -> workspace, in creation order
    issued_at: float = field(default_factory=time.time)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KernelRegistry:
    """Mints, resolves and revokes kernel tokens; remembers which runs each kernel created."""

    def __init__(self) -> None:
        self._by_digest: dict[str, KernelIdentity] = {}
        self._by_kernel: dict[str, str] = {}  # kernel_id -> digest

    def mint(self, path: str | None, kernel_id: str | None = None) -> str:
        """A new random token for a kernel about to start (its id may not be known yet)."""
        token = secrets.token_urlsafe(32)
        digest = _digest(token)
        self._by_digest[digest] = KernelIdentity(kernel_id=None, path=path)
        if kernel_id:
            self.bind(token, kernel_id)
        return token

    def bind(self, token: str, kernel_id: str) -> None:
        """Attach a minted token to the kernel that received it; one token per kernel."""
        digest = _digest(token)
        identity = self._by_digest[digest]
        previous = self._by_kernel.get(kernel_id)
        if previous and previous != digest:
            # A kernel asking again (e.g. %aml_track after a restart) keeps its runs.
            old = self._by_digest.pop(previous, None)
            if old is not None:
                identity.runs = {**old.runs, **identity.runs}
                identity.path = identity.path or old.path
        identity.kernel_id = kernel_id
        self._by_kernel[kernel_id] = digest

    def identify(self, authorization: str | None) -> KernelIdentity | None:
        """The kernel behind an ``Authorization: Bearer <token>`` header, if it is one of ours."""
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not token:
            return None
        # Looking up the digest, not the token, leaks nothing through timing.
        identity = self._by_digest.get(_digest(token.strip()))
        # A token is live only once bound to its kernel (right after the kernel starts).
        return identity if identity is not None and identity.kernel_id else None

    def discard(self, token: str) -> None:
        """Drop a token whose kernel never started."""
        self._by_digest.pop(_digest(token), None)

    def get(self, kernel_id: str) -> KernelIdentity | None:
        """The identity of a kernel, if it ever had a token."""
        digest = self._by_kernel.get(kernel_id)
        return self._by_digest.get(digest) if digest else None

    def identities(self) -> list[KernelIdentity]:
        """Every kernel that holds a token."""
        return [self._by_digest[d] for d in self._by_kernel.values() if d in self._by_digest]

    def revoke(self, kernel_id: str) -> KernelIdentity | None:
        """Forget a kernel's token (its runs are returned for the caller to close)."""
        digest = self._by_kernel.pop(kernel_id, None)
        return self._by_digest.pop(digest, None) if digest else None

    def record_run(self, identity: KernelIdentity, workspace: str, run_id: str) -> None:
        """Remember that this kernel created a run."""
        identity.runs[run_id] = workspace
        identity.workspace = workspace
