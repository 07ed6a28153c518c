"""Every route refuses callers without valid Jupyter credentials."""

from __future__ import annotations

import re

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from jupyterlab_aml.routes import build_handlers

SAMPLE = {
    "ws": "local",
    "run_id": "0123456789abcdef",
    "key": "loss",
    "path": "api/2.0/mlflow/x",
    "kernel_id": "00000000-0000-0000-0000-000000000000",
}
VERBS = ("get", "post", "put", "patch", "delete")


def every_route() -> list[tuple[str, str]]:
    """(method, path) for every verb of every handler, with sample path arguments."""
    routes = []
    for pattern, handler in build_handlers():
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE[m.group(1)], pattern)
        path = path.replace("/?$", "").replace("/?", "/").lstrip("/")
        for verb in VERBS:
            if verb in handler.__dict__:
                routes.append((verb.upper(), path))
    return routes


ROUTES = every_route()


def test_route_table_is_not_empty():
    assert len(ROUTES) >= 15


@pytest.mark.parametrize("credentials", [None, "token not-the-token", "Bearer nope"])
async def test_every_route_refuses_unauthenticated_callers(
    jp_fetch, jp_base_url, jp_http_port, credentials
):
    client = AsyncHTTPClient()
    for method, path in ROUTES:
        headers = {"Authorization": credentials} if credentials else {}
        response = await client.fetch(
            HTTPRequest(
                f"http://127.0.0.1:{jp_http_port}{jp_base_url}{path}",
                method=method,
                headers=headers,
                body=b"{}" if method in ("POST", "PUT", "PATCH") else None,
                follow_redirects=False,
            ),
            raise_error=False,
        )
        assert response.code in (401, 403), (method, path, response.code)
