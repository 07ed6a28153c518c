"""The device-code verification page (login.microsoft.com/devicelogin in Azure): a browser
opens the ``verification_uri`` the authority handed out, enters the user code, and signs in.

The double has one user at this page, ``alice@contoso.com``: a UI test signs in here as a
person would, with no back door. Tests that need another identity (or a decline) call
``AzureDouble.approve_device_code`` / ``decline_device_code`` instead.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from .double import AzureDouble

DEVICE_LOGIN_PATH = "/devicelogin"
DEVICE_LOGIN_IDENTITY = "alice@contoso.com"


async def device_login(double: AzureDouble, request: web.Request) -> web.Response:
    """GET: the code form. POST ``user_code``: approve that pending code as alice."""
    if request.method == "GET":
        return _page(_form())
    if request.method != "POST":
        return _page("<p>Use the form to enter your code.</p>", status=405)
    form = await request.post()
    # Azure's codes are letters and digits, accepted in any case and with stray spaces.
    user_code = str(form.get("user_code", "")).strip().upper()
    if not user_code or user_code not in double.pending_user_codes():
        return _page(
            _form("That code did not work. Check the code and try again.", user_code), status=400
        )
    double.approve_device_code(user_code, DEVICE_LOGIN_IDENTITY)
    return _page(
        f'<h1>You are signed in</h1><p id="signed-in">Signed in as '
        f"<strong>{DEVICE_LOGIN_IDENTITY}</strong> on the device that showed the code "
        f"{html.escape(user_code)}. You may now close this window.</p>"
    )


def _form(error: str = "", user_code: str = "") -> str:
    note = f'<p id="error" role="alert">{html.escape(error)}</p>' if error else ""
    return (
        "<h1>Enter code</h1>"
        "<p>Enter the code displayed on your app or device.</p>"
        f'<form method="post" action="{DEVICE_LOGIN_PATH}">'
        '<label for="user_code">Code</label> '
        f'<input id="user_code" name="user_code" value="{html.escape(user_code)}" '
        'autocomplete="off" spellcheck="false" autofocus required> '
        '<button type="submit">Next</button>'
        f"</form>{note}"
        f"<p>You will be signed in as {DEVICE_LOGIN_IDENTITY} (a test double's only user).</p>"
    )


def _page(body: str, status: int = 200) -> web.Response:
    return web.Response(
        text=f'<!doctype html><html lang="en"><meta charset="utf-8">'
        f"<title>Azure double sign-in</title><body>{body}</body></html>",
        content_type="text/html",
        status=status,
    )
