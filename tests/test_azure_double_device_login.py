"""The double's device-code verification page: a browser enters the code a real
azure-identity DeviceCodeCredential was given, and that credential signs in as alice."""

from __future__ import annotations

import queue
import threading

import pytest
import requests
from azure.identity import AuthenticationRecord, DeviceCodeCredential

from .azure_double import AzureDouble
from .azure_double.fixtures import CLI_CLIENT_ID, arm_get, with_workspace


@pytest.fixture
def double(azure_double_server: AzureDouble) -> AzureDouble:
    # ARM is asked for the workspace as the signed-in user; its MLflow front is not used here.
    with_workspace(azure_double_server, "http://127.0.0.1:9")
    return azure_double_server


def start_device_code_sign_in(double: AzureDouble):
    """Run a DeviceCodeCredential's sign-in in a thread; the prompt and the outcome arrive
    on the returned queues."""
    prompts: queue.Queue[tuple[str, str]] = queue.Queue()
    outcome: queue.Queue[AuthenticationRecord | BaseException] = queue.Queue()
    credential = DeviceCodeCredential(
        client_id=CLI_CLIENT_ID,
        tenant_id=double.tenant_id,
        authority=double.authority_host,
        disable_instance_discovery=True,
        connection_verify=double.ca_pem_path,
        prompt_callback=lambda uri, code, expires_on: prompts.put((uri, code)),
        disable_automatic_authentication=True,
    )

    def authenticate() -> None:
        try:
            outcome.put(credential.authenticate(scopes=[double.scope]))
        except BaseException as err:  # noqa: BLE001 - handed to the test's thread
            outcome.put(err)

    threading.Thread(target=authenticate, daemon=True).start()
    return credential, prompts, outcome


def test_entering_the_code_on_the_verification_page_signs_the_device_in_as_alice(double):
    credential, prompts, outcome = start_device_code_sign_in(double)
    uri, user_code = prompts.get(timeout=10)
    assert uri == f"{double.authority_host}/devicelogin"

    page = requests.get(uri, verify=double.ca_pem_path, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert '<form method="post" action="/devicelogin">' in page.text
    assert 'name="user_code"' in page.text

    # Entered as a person types it: lower case, with a stray space.
    done = requests.post(
        uri, data={"user_code": f" {user_code.lower()}"}, verify=double.ca_pem_path, timeout=10
    )
    assert done.status_code == 200
    assert "Signed in as <strong>alice@contoso.com</strong>" in done.text
    record = outcome.get(timeout=30)
    assert isinstance(record, AuthenticationRecord), record
    assert record.username == "alice@contoso.com"
    assert double.pending_user_codes() == []
    token = credential.get_token(double.scope)
    assert arm_get(double, token.token).status_code == 200
    assert double.requests[-1].identity == "alice@contoso.com"
    assert double.stats["authority devicelogin"] == 1
    assert double.stats["authority devicelogin approve"] == 1


def test_a_wrong_or_used_code_is_refused_and_the_form_shown_again(double):
    _, prompts, outcome = start_device_code_sign_in(double)
    uri, user_code = prompts.get(timeout=10)

    wrong = requests.post(
        uri, data={"user_code": "NOTACODE<"}, verify=double.ca_pem_path, timeout=10
    )
    assert wrong.status_code == 400
    assert "That code did not work." in wrong.text
    assert 'value="NOTACODE&lt;"' in wrong.text  # what was typed, escaped
    assert double.pending_user_codes() == [user_code]  # still waiting for the right one

    assert requests.post(
        uri, data={"user_code": user_code}, verify=double.ca_pem_path, timeout=10
    ).ok
    assert isinstance(outcome.get(timeout=30), AuthenticationRecord)
    again = requests.post(uri, data={"user_code": user_code}, verify=double.ca_pem_path, timeout=10)
    assert again.status_code == 400
