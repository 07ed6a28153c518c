"""What every role app shares: counting each answered request, and injected failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .double import AzureDouble

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Handlers set these on the request, so the counters can say what was asked and by whom.
ROUTE = web.RequestKey("route", str)
IDENTITY = web.RequestKey("identity", str)


def recording_middleware(
    double: AzureDouble, role: str, failure: Callable[[int], web.StreamResponse]
):
    """Count every request of ``role`` once answered; serve ``fail_next`` statuses first."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        injected = double.take_failure(role)
        if injected is not None:
            request[ROUTE] = "injected failure"
            response = failure(injected)
        else:
            try:
                response = await handler(request)
            except web.HTTPException as err:  # aiohttp's own 404/405 for unrouted requests
                _record(double, role, request, err.status)
                raise
        _record(double, role, request, response.status)
        return response

    return middleware


def _record(double: AzureDouble, role: str, request: web.Request, status: int) -> None:
    route, identity = request.get(ROUTE, "unrouted"), request.get(IDENTITY)
    double.record(role, request.method, request.path, status, route, identity)
