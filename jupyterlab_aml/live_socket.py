"""The ``{base_url}aml/api/live`` websocket: Jupyter auth, then every message goes to the hub.

The protocol is described in ``live.py``.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from .handlers_base import AUTH_RESOURCE
from .live import LiveConnection, LiveHub

LIVE_PATH = "aml/api/live"
# Clients only send small subscribe messages; anything far larger is not one of ours.
_MAX_CLIENT_MESSAGE = 64 * 1024


class _SocketSink:
    """Hands one connection's messages to its websocket."""

    def __init__(self, handler: WebSocketHandler):
        self._handler = handler

    async def send(self, text: str) -> None:
        """Write one message; resolves once tornado has handed it to the socket."""
        try:
            await self._handler.write_message(text)
        except WebSocketClosedError as err:
            raise ConnectionError("the websocket is closed") from err

    def close(self, code: int, reason: str) -> None:
        """Close the websocket with a code and reason the browser can show."""
        self._handler.close(code, reason)


# Same base order as jupyter_server's kernel websocket: the mixin's prepare answers 403 instead of
# redirecting to the login page, and it pings to find dead peers.
class LiveSocketHandler(WebSocketMixin, WebSocketHandler, JupyterHandler):
    """Live metrics and run status for the browser; one hub connection per socket."""

    auth_resource = AUTH_RESOURCE
    connection: LiveConnection | None = None

    @property
    def hub(self) -> LiveHub:
        """The live hub the extension created."""
        return self.settings["jupyterlab_aml"]["live"]

    @property
    def max_message_size(self) -> int:
        """Largest client message accepted; a larger one closes the socket (code 1009)."""
        return _MAX_CLIENT_MESSAGE

    def set_default_headers(self) -> None:
        """No JupyterHandler default headers: they do not apply to a websocket upgrade."""

    def get_compression_options(self) -> dict[str, Any] | None:
        """Compression as configured for Jupyter's own websockets."""
        return self.settings.get("websocket_compression_options", None)

    @ws_authenticated
    @authorized
    async def get(self, *args: Any, **kwargs: Any) -> None:
        """Upgrade to a websocket once the user is authenticated and authorized."""
        await self.settings["jupyterlab_aml"]["manager"].start()
        await super().get(*args, **kwargs)

    @ws_authenticated
    @authorized
    async def open(self, *args: Any, **kwargs: Any) -> None:
        """Join the hub and start keep-alive pings."""
        super().open(*args, **kwargs)
        self.connection = self.hub.connect(_SocketSink(self))

    async def on_message(self, message: str | bytes) -> None:
        """Tornado awaits this, so one socket's messages are handled in order."""
        if self.connection is not None:
            await self.connection.receive(message)

    def on_close(self) -> None:
        """Leave the hub; pending messages are dropped."""
        if self.connection is not None:
            self.hub.disconnect(self.connection)
