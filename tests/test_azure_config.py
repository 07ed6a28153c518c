"""Clouds, endpoints and config.json detection for azureml workspaces (no network)."""

from __future__ import annotations

import json

import pytest

from jupyterlab_aml.auth.clouds import resolve_endpoints
from jupyterlab_aml.errors import BadRequest
from jupyterlab_aml.workspaces.azureml_discovery import (
    detect_config,
    rest_base_from_tracking_uri,
)


@pytest.mark.parametrize(
    ("cloud", "arm", "authority", "scope"),
    [
        (None, "https://management.azure.com", "https://login.microsoftonline.com",
         "https://management.azure.com/.default"),
        ("AzureCloud", "https://management.azure.com", "https://login.microsoftonline.com",
         "https://management.azure.com/.default"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://login.chinacloudapi.cn",
         "https://management.chinacloudapi.cn/.default"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net",
         "https://login.microsoftonline.us", "https://management.usgovcloudapi.net/.default"),
    ],
)  # fmt: skip
def test_each_cloud_sets_arm_authority_and_scope(monkeypatch, cloud, arm, authority, scope):
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    endpoints = resolve_endpoints(cloud)
    assert (endpoints.arm, endpoints.authority, endpoints.scope) == (arm, authority, scope)
    assert not endpoints.custom_authority


def test_custom_cloud_derives_its_scope_from_its_arm_endpoint(monkeypatch):
    monkeypatch.delenv("AZURE_AUTHORITY_HOST", raising=False)
    endpoints = resolve_endpoints(
        None, arm_endpoint="https://management.local.azurestack.external/",
        authority_host="https://adfs.local.azurestack.external",
    )  # fmt: skip
    assert endpoints.arm == "https://management.local.azurestack.external"
    assert endpoints.scope == "https://management.local.azurestack.external/.default"
    assert endpoints.custom_authority
    assert endpoints.studio is None
    assert endpoints.cloud is None


def test_named_cloud_keeps_its_scope_behind_an_overridden_arm_endpoint():
    endpoints = resolve_endpoints("AzureChinaCloud", arm_endpoint="https://127.0.0.1:8443")
    assert endpoints.arm == "https://127.0.0.1:8443"
    assert endpoints.scope == "https://management.chinacloudapi.cn/.default"


def test_azure_authority_host_env_applies_when_no_cloud_is_named(monkeypatch):
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://login.example.test")
    assert resolve_endpoints(None).authority == "https://login.example.test"
    assert resolve_endpoints(None).custom_authority
    assert resolve_endpoints("AzureCloud").authority == "https://login.microsoftonline.com"


def test_explicit_token_scope_wins():
    endpoints = resolve_endpoints("AzureCloud", token_scope="https://audience.example/.default")
    assert endpoints.scope == "https://audience.example/.default"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cloud": "Mars"}, "cloud must be one of"),
        (
            {"cloud": None, "arm_endpoint": "http://insecure.example"},
            "arm_endpoint must be an https",
        ),
        ({"cloud": None, "authority_host": "ftp://x"}, "authority_host must be an https"),
    ],
)
def test_bad_cloud_settings_are_rejected_with_a_message(kwargs, message):
    cloud = kwargs.pop("cloud")
    with pytest.raises(BadRequest, match=message):
        resolve_endpoints(cloud, **kwargs)


def test_tracking_uri_becomes_the_https_rest_base():
    uri = (
        "azureml://eastus.api.azureml.ms/mlflow/v1.0/subscriptions/s/resourceGroups/rg"
        "/providers/Microsoft.MachineLearningServices/workspaces/ws"
    )
    assert rest_base_from_tracking_uri(uri) == (
        "https://eastus.api.azureml.ms/mlflow/v2.0/subscriptions/s/resourceGroups/rg"
        "/providers/Microsoft.MachineLearningServices/workspaces/ws"
    )


def test_config_json_is_found_like_azure_ai_ml_finds_it(tmp_path):
    project = tmp_path / "project" / "notebooks"
    project.mkdir(parents=True)
    (tmp_path / "project" / ".azureml").mkdir()
    (tmp_path / "project" / ".azureml" / "config.json").write_text(
        json.dumps({"subscription_id": "sub", "resource_group": "rg", "workspace_name": "ws"})
    )
    found = detect_config(project)
    assert found is not None
    assert (found["subscription_id"], found["resource_group"], found["workspace_name"]) == (
        "sub",
        "rg",
        "ws",
    )
    assert found["source"].endswith(".azureml/config.json")


def test_config_json_with_an_arm_scope(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "Scope": "/subscriptions/s1/resourceGroups/r1/providers/"
                "Microsoft.MachineLearningServices/workspaces/w1"
            }
        )
    )
    found = detect_config(tmp_path)
    assert found is not None
    assert (found["subscription_id"], found["resource_group"], found["workspace_name"]) == (
        "s1",
        "r1",
        "w1",
    )
    assert found["source"] == "config.json"


def test_unrelated_or_broken_config_files_are_ignored(tmp_path):
    (tmp_path / "config.json").write_text('{"not": "azure"}')
    (tmp_path / "aml_config").mkdir()
    (tmp_path / "aml_config" / "config.json").write_text("{broken")
    assert detect_config(tmp_path) is None
