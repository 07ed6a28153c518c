"""Servers the benches start and stop themselves, all on loopback: MLflow's own, and Jupyter."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psutil

from .measure import tree_processes

if TYPE_CHECKING:
    from typing_extensions import Self

BIN = Path(sys.executable).parent
# The route LocalWorkspace polls: it answers only once the store is migrated (unlike /health).
READY_PATH = "/api/2.0/mlflow/experiments/search?max_results=1"
# LocalWorkspace._wait_ready polls every 50 ms; MLflow's servers are polled the same way.
POLL_SECONDS = 0.05
START_TIMEOUT = 180.0


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without anything that points MLflow or the extension elsewhere."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("MLFLOW_TRACKING_", "JUPYTERLAB_AML_", "JUPYTER_"))
    }
    env["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    env.update(extra)
    return env


def wait_until_ok(
    url: str, process: subprocess.Popen[bytes], *, headers: dict[str, str] | None = None
) -> None:
    """Poll ``url`` until it answers 200; fail fast if the process exits."""
    deadline = time.monotonic() + START_TIMEOUT
    with httpx.Client(timeout=2.0, trust_env=False, headers=headers) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args[:3]} exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get(url).status_code == 200:
                    return
            time.sleep(POLL_SECONDS)
    raise RuntimeError(f"{url} did not answer 200 within {START_TIMEOUT} s")


def raise_for_status(response: httpx.Response) -> None:
    """Like httpx's, but the error carries the server's own message."""
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.url} answered {response.status_code}: "
            f"{response.text[:300]}"
        )


def stop_tree(root_pid: int, members: list[psutil.Process], *, grace: float = 15.0) -> None:
    """SIGTERM the root's session, wait, then SIGKILL whatever of ``members`` is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(root_pid, signal.SIGTERM)
    alive = psutil.wait_procs(members, timeout=grace)[1]
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    psutil.wait_procs(alive, timeout=5)


class ServerProcess:
    """A server in its own session, logged to a file, stopped with everything it spawned."""

    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None
        self._members: list[psutil.Process] = []

    @property
    def pid(self) -> int:
        """The root process id."""
        assert self.process is not None
        return self.process.pid

    def launch(self, argv: list[str], env: dict[str, str], cwd: Path) -> None:
        """Start ``argv`` in a new session (so one signal reaches its whole group)."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def remember_tree(self) -> None:
        """Note every process of the tree now, so stop() can reach helpers that moved session."""
        seen = {p.pid for p in self._members}
        self._members += [p for p in tree_processes(self.pid) if p.pid not in seen]

    def stop(self) -> None:
        """Stop the server and its helpers. Safe to call twice."""
        if self.process is None:
            return
        self.remember_tree()
        stop_tree(self.pid, self._members)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.process, self._members = None, []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MlflowServer(ServerProcess):
    """``mlflow server`` on a sqlite store; flags beyond host/port/store only when asked."""

    def __init__(
        self,
        store_dir: Path,
        *,
        workers: int | None = None,
        job_execution: bool = True,
        log_path: Path | None = None,
    ):
        super().__init__(log_path or store_dir / "mlflow-server-bench.log")
        self.store_dir = store_dir
        self.workers = workers
        self.job_execution = job_execution
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        """Launch, wait until the store answers, and return the seconds that took."""
        self.store_dir.mkdir(parents=True, exist_ok=True)
        argv = [
            str(BIN / "mlflow"), "server",
            "--host", "127.0.0.1", "--port", str(self.port),
            "--backend-store-uri", f"sqlite:///{self.store_dir / 'mlflow.db'}",
            "--artifacts-destination", str(self.store_dir / "artifacts"),
        ]  # fmt: skip
        if self.workers is not None:
            argv += ["--workers", str(self.workers)]
        env = clean_env()
        if not self.job_execution:
            env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        started = time.perf_counter()
        self.launch(argv, env, self.store_dir)
        try:
            wait_until_ok(self.url + READY_PATH, self.process)
        except Exception:
            self.stop()
            raise
        seconds = time.perf_counter() - started
        self.remember_tree()
        return seconds


class JupyterServer(ServerProcess):
    """``jupyter server`` with the extension, its embedded store in ``store_dir``."""

    def __init__(self, work_dir: Path, store_dir: Path, *, extra_args: tuple[str, ...] = ()):
        super().__init__(work_dir / "jupyter-server.log")
        self.extra_args = extra_args
        self.work_dir = work_dir
        self.store_dir = store_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.token = secrets.token_hex(16)
        self.headers = {"Authorization": f"token {self.token}"}
        self.http: httpx.Client | None = None

    def start(self) -> float:
        """Launch and return the seconds until ``api/status`` answers."""
        root = self.work_dir / "root"
        root.mkdir(parents=True, exist_ok=True)
        argv = [
            str(BIN / "jupyter"), "server", "--no-browser",
            f"--port={self.port}", "--port-retries=0",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_root=True", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={root}",
            f"--AmlExtension.local_store_dir={self.store_dir}",
            f"--AmlExtension.workspaces_file={self.work_dir / 'workspaces.json'}",
            "--AmlExtension.local_autostart=True",
            *self.extra_args,
        ]  # fmt: skip
        # Own config, data and runtime dirs: nothing from the user's Jupyter set-up leaks in.
        env = clean_env(
            JUPYTER_CONFIG_DIR=str(self.work_dir / "config"),
            JUPYTER_DATA_DIR=str(self.work_dir / "data"),
            JUPYTER_RUNTIME_DIR=str(self.work_dir / "runtime"),
        )
        started = time.perf_counter()
        self.launch(argv, env, self.work_dir)
        try:
            wait_until_ok(self.url + "api/status", self.process, headers=self.headers)
        except Exception:
            self.stop()
            raise
        seconds = time.perf_counter() - started
        self.http = httpx.Client(
            base_url=self.url, headers=self.headers, timeout=600.0, trust_env=False
        )
        return seconds

    def api(self, path: str) -> str:
        """The URL of ``aml/api/{path}`` (relative to the base URL)."""
        return f"aml/api/{path.lstrip('/')}"

    def workspace(self, name: str) -> dict[str, Any]:
        """One entry of ``GET aml/api/workspaces`` (empty if absent)."""
        assert self.http is not None
        response = self.http.get(self.api("workspaces"))
        response.raise_for_status()
        return next((w for w in response.json()["workspaces"] if w["name"] == name), {})

    def wait_workspace_ready(self, name: str) -> float:
        """Seconds until ``name`` reports state ``ready`` in ``GET aml/api/workspaces``."""
        started = time.perf_counter()
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPStatusError):
                workspace = self.workspace(name)
                if workspace.get("state") == "ready":
                    self.remember_tree()
                    return time.perf_counter() - started
                if workspace.get("state") == "error":
                    raise RuntimeError(f"workspace {name}: {workspace.get('detail')}")
            time.sleep(0.02)
        raise RuntimeError(f"workspace {name} not ready within {START_TIMEOUT} s")

    def check_local_store(self) -> None:
        """Fail clearly if ``local`` does not serve our store (the extension ignored its config)."""
        uri = self.workspace("local").get("tracking_uri", "")
        if str(self.store_dir) not in uri:
            raise RuntimeError(
                f"workspace local serves {uri!r}, not {self.store_dir}: did the extension load "
                f"its --AmlExtension settings? See {self.log_path}"
            )

    def add_mlflow_workspace(self, name: str, uri: str) -> dict[str, Any]:
        """``POST aml/api/workspaces`` for an ``mlflow``-kind workspace."""
        assert self.http is not None
        response = self.http.post(
            self.api("workspaces"), json={"name": name, "kind": "mlflow", "uri": uri}
        )
        raise_for_status(response)
        return response.json()

    def stop(self) -> None:
        """Close the client, then stop the server; the extension stops its own MLflow child."""
        if self.http is not None:
            self.http.close()
            self.http = None
        super().stop()
