"""Adding and watching azureml workspaces against the loopback Azure double."""

from __future__ import annotations

from typing import Any

from .azure_double.fixtures import RESOURCE_GROUP, SUBSCRIPTION, WORKSPACE


def azureml_body(double, name: str = "aml", **fields: Any) -> dict[str, Any]:
    """A POST api/workspaces body for the double's workspace (its ARM and authority)."""
    return {
        "name": name,
        "kind": "azureml",
        "subscription_id": SUBSCRIPTION,
        "resource_group": RESOURCE_GROUP,
        "workspace_name": WORKSPACE,
        "arm_endpoint": double.arm_endpoint,
        "authority_host": double.authority_host,
        **fields,
    }


async def workspace_info(aml_fetch, name: str = "aml") -> dict[str, Any]:
    """The workspace as GET api/workspaces shows it."""
    _, listing = await aml_fetch("api", "workspaces")
    (info,) = [w for w in listing["workspaces"] if w["name"] == name]
    return info


async def wait_state(aml_fetch, wait_for, state: str, name: str = "aml", timeout: float = 30):
    """Wait until the workspace reaches ``state``; fails with its last state and detail."""
    last: dict[str, Any] = {}

    async def reached():
        last.update(await workspace_info(aml_fetch, name))
        return last if last["state"] == state else None

    try:
        return await wait_for(reached, timeout=timeout)
    except AssertionError as err:
        raise AssertionError(f"{name} never became {state}: {last}") from err


async def add_azureml(aml_fetch, wait_for, double, name: str = "aml", **fields: Any):
    """Add the double's workspace and wait until it is ready."""
    code, body = await aml_fetch(
        "api", "workspaces", method="POST", body=azureml_body(double, name, **fields)
    )
    assert code == 201, body
    return await wait_state(aml_fetch, wait_for, "ready", name)
