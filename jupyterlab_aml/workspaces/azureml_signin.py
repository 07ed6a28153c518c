"""Device-code sign-in for an azureml workspace, driven from the sidebar.

``POST .../sign-in`` starts azure-identity's DeviceCodeCredential.authenticate in a worker
thread and answers as soon as Azure has issued the code, so the sidebar can show it. When the
user completes the sign-in in their browser the thread returns, and the workspace connects.
The credential never prompts on its own afterwards (automatic authentication is off): a
refresh that needs the user again turns the workspace ``signed_out``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import UpstreamError, UpstreamTimeout

if TYPE_CHECKING:
    from .azureml import AzureMlWorkspace

log = logging.getLogger(__name__)
# How long to wait for Azure to issue a code before giving up on the request.
_CODE_TIMEOUT = 30.0


class DeviceCodeSignIn:
    """At most one device-code sign-in in progress per workspace."""

    def __init__(self, workspace: AzureMlWorkspace):
        self.workspace = workspace
        self.completed = False
        self._code: dict[str, Any] | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> dict[str, Any]:
        """The code and URL to show; the same ones while a sign-in is still pending."""
        if self._task is not None and not self._task.done() and self._code is not None:
            return self._code
        loop = asyncio.get_running_loop()
        issued: asyncio.Future[dict[str, Any]] = loop.create_future()

        def on_code(verification_uri: str, user_code: str, expires_on: datetime) -> None:
            code = {
                "user_code": user_code,
                "verification_uri": verification_uri,
                "expires_on": expires_on.timestamp(),
                "message": f"To sign in, open {verification_uri} and enter the code {user_code}.",
            }
            loop.call_soon_threadsafe(_settle, issued, code, None)

        workspace = self.workspace
        credential = workspace.context.credential_factory(workspace.credential_spec(on_code))
        self._task = loop.create_task(self._authenticate(credential, issued))
        try:
            self._code = await asyncio.wait_for(asyncio.shield(issued), _CODE_TIMEOUT)
        except asyncio.TimeoutError as err:
            raise UpstreamTimeout(
                f"{workspace.endpoints.authority} did not issue a device code in time"
            ) from err
        workspace.set_state("signed_out", f"Waiting for sign-in: {self._code['message']}")
        return self._code

    async def _authenticate(self, credential: Any, issued: asyncio.Future[dict[str, Any]]) -> None:
        workspace = self.workspace
        try:
            await asyncio.to_thread(credential.authenticate, scopes=[workspace.endpoints.scope])
        except Exception as err:  # noqa: BLE001 - azure-identity raises many kinds; all mean "not signed in"
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            if not issued.done():
                _settle(issued, None, UpstreamError(f"device code sign-in failed: {reason}"))
            workspace.signed_out(f"Device code sign-in did not complete: {reason}")
            return
        finally:
            self._code = None
        self.completed = True
        workspace.use_credential(credential)
        await workspace.start()

    def cancel(self) -> None:
        """Stop waiting for a sign-in (the thread ends when Azure's code expires)."""
        if self._task is not None:
            self._task.cancel()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)
