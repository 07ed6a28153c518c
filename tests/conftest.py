"""Shared fixtures: a Jupyter server with the extension, and a real MLflow server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from .postgres import Postgres
from .servers import MlflowServer

pytest_plugins = ("pytest_jupyter.jupyter_server",)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL cluster for the team server."""
    cluster = Postgres().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def team_server(
    tmp_path_factory: pytest.TempPathFactory, postgres: Postgres
) -> Iterator[MlflowServer]:
    """A real `mlflow server` on PostgreSQL, as a team would run it, for the session."""
    server = MlflowServer(tmp_path_factory.mktemp("team-server"), backend_uri=postgres.url)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real `mlflow server` on sqlite (the embedded store's format), for the session."""
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mlflow_client(mlflow_server: MlflowServer) -> MlflowClient:
    """MLflow's own client, straight to the sqlite server."""
    return MlflowClient(tracking_uri=mlflow_server.url)


@pytest.fixture(scope="session")
def team_client(team_server: MlflowServer) -> MlflowClient:
    """MLflow's own client, straight to the team server (for seeding and checking)."""
    return MlflowClient(tracking_uri=team_server.url)


@pytest.fixture
def aml_dirs(tmp_path: Path) -> dict[str, Path]:
    """Where this test's workspaces file and embedded store live."""
    return {"workspaces_file": tmp_path / "cfg" / "workspaces.json", "store": tmp_path / "store"}


@pytest.fixture
def local_autostart() -> bool:
    """Tests that need the embedded server override this to True."""
    return False


@pytest.fixture
def upstream_timeout() -> float:
    """Seconds before a tracking server call gives 504; shortened where a test needs it."""
    return 30.0


@pytest.fixture
def aml_settings() -> dict:
    """Extra AmlExtension settings (e.g. an injected credential factory); override per test."""
    return {}


@pytest.fixture
def jp_server_config(
    aml_dirs: dict[str, Path], local_autostart: bool, upstream_timeout: float, aml_settings: dict
) -> dict:
    """Enable the extension with Jupyter auth enforced everywhere."""
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyterlab_aml": True},
            "allow_unauthenticated_access": False,
        },
        "AmlExtension": {
            "workspaces_file": str(aml_dirs["workspaces_file"]),
            "local_store_dir": str(aml_dirs["store"]),
            "local_autostart": local_autostart,
            "upstream_timeout": upstream_timeout,
            **aml_settings,
        },
    }


@pytest.fixture
def aml_fetch(jp_fetch):
    """Call ``aml/...`` and decode JSON; errors are returned, not raised, for asserting."""

    async def fetch(*parts: str, method: str = "GET", body=None, params=None):
        kwargs = {"method": method, "raise_error": False}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["body"] = body if isinstance(body, (str, bytes)) else json.dumps(body)
        elif method in ("POST", "PUT"):
            kwargs["body"] = b""
        response = await jp_fetch("aml", *parts, **kwargs)
        text = response.body.decode() if response.body else ""
        payload = (
            json.loads(text)
            if text and "json" in response.headers.get("Content-Type", "")
            else text
        )
        return response.code, payload

    fetch.jp_fetch = jp_fetch
    return fetch


@pytest.fixture
def team_workspace(aml_fetch, team_server: MlflowServer):
    """Adds an `mlflow`-kind workspace "team" for the session's team server; await it.

    A coroutine rather than an async fixture: pytest-jupyter's server lives on the test's loop.
    """

    async def add(name: str = "team") -> str:
        code, body = await aml_fetch(
            "api", "workspaces", method="POST",
            body={"name": name, "kind": "mlflow", "uri": team_server.url},
        )  # fmt: skip
        assert code == 201, body
        return name

    return add


@pytest.fixture
def wait_for():
    """Poll an async predicate until it returns something truthy (state changes are async)."""
    import asyncio
    import time

    async def wait(predicate, timeout: float = 60.0, interval: float = 0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = await predicate()
            if result:
                return result
            await asyncio.sleep(interval)
        raise AssertionError(f"condition not met within {timeout} s")

    return wait


@pytest.fixture
def notebook_dir(jp_root_dir):
    """A folder under the server root where test notebooks "live"."""
    folder = jp_root_dir / "work"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture
def local_ready(aml_fetch, wait_for):
    """Wait until the embedded workspace is ready (use with local_autostart -> True)."""

    async def ready():
        async def state():
            _, body = await aml_fetch("api", "workspaces")
            (local,) = [w for w in body["workspaces"] if w["name"] == "local"]
            return local if local["state"] == "ready" else None

        return await wait_for(state, timeout=120)

    return ready


@pytest.fixture(scope="session")
def azure_double_server():
    """The loopback Azure (ARM, sign-in authority, AML MLflow front), one per session."""
    from .azure_double.fixtures import running_double

    with running_double() as double:
        yield double


@pytest.fixture
def azure_double(azure_double_server, mlflow_server: MlflowServer):
    """The loopback Azure, reset, with one workspace whose front forwards to the sqlite server."""
    from .azure_double.fixtures import with_workspace

    with_workspace(azure_double_server, mlflow_server.url)
    return azure_double_server
