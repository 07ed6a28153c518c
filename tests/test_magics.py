"""``%aml_track``: status, switching, ``off``/``on``, and the token path of a kernel started
without tracking env, against a real ``mlflow server``, real kernels and a real Jupyter server."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator

import mlflow
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from jupyter_client import KernelManager
from jupyter_server.utils import url_path_join
from mlflow.utils.autologging_utils import autologging_is_disabled
from traitlets.config import Config

from jupyterlab_aml.magics import AmlTrackMagics, _set_active_experiment

from .servers import free_port

TOKEN = "kernel-tok-9f3c71d2"
_ENV = (
    "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN", "MLFLOW_EXPERIMENT_ID",
    "MLFLOW_EXPERIMENT_NAME", "JUPYTERLAB_AML_SERVER_URL", "JUPYTERLAB_AML_SERVER_TOKEN",
)  # fmt: skip


def _reset_mlflow() -> None:
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.autolog(disable=True, silent=True)
    mlflow.set_tracking_uri(None)
    _set_active_experiment(None)


@pytest.fixture
def shell(monkeypatch) -> Iterator[InteractiveShell]:
    """An IPython shell with a fresh ``%aml_track`` and MLflow's global state cleared."""
    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    _reset_mlflow()
    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "jupyterlab_aml")
    # A new instance per test: `off` keeps state in it. Config as a user would set it.
    config = Config({"AmlTrackMagics": {"autolog_log_models": False}})
    ipython.register_magics(AmlTrackMagics(shell=ipython, config=config))
    yield ipython
    _reset_mlflow()


@pytest.fixture
def tracked(shell, monkeypatch, mlflow_server) -> str:
    """The shell's kernel env points at the real MLflow server, as the server would set it."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    return mlflow_server.url


def aml_track(shell: InteractiveShell, line: str = "") -> None:
    """Run the magic the way a cell does, errors included."""
    shell.run_line_magic("aml_track", line)


def test_status_shows_experiment_and_run_and_never_a_secret(
    shell, monkeypatch, mlflow_server, capsys
):
    uri = mlflow_server.url.replace("http://", "http://bob:hunter2pw@")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    experiment = mlflow.set_experiment("status-exp")
    run = mlflow.start_run(run_name="status-run")

    aml_track(shell)

    out, err = capsys.readouterr()
    assert f"experiment  status-exp (id {experiment.experiment_id})" in out
    assert f"run         {run.info.run_id} (status-run)" in out
    assert f"tracking    http://***@127.0.0.1:{mlflow_server.port}" in out
    assert "workspace   none (not a jupyterlab_aml passthrough)" in out
    assert TOKEN not in out + err and "hunter2pw" not in out + err and "bob" not in out + err


def test_experiment_and_run_name_start_a_named_run_on_the_server(shell, tracked, mlflow_client):
    aml_track(shell, "--experiment magic-exp --run-name first")

    run = mlflow_client.get_run(mlflow.active_run().info.run_id)
    assert run.info.run_name == "first" and run.info.status == "RUNNING"
    assert mlflow_client.get_experiment(run.info.experiment_id).name == "magic-exp"


@pytest.mark.parametrize(
    "line, message",
    [
        ("--run-name second", "UsageError: cannot start run 'second': run {id} is active"),
        ("--workspace team", "UsageError: cannot switch workspace: run {id} is active"),
    ],
)
def test_run_and_workspace_changes_are_refused_while_a_run_is_active(
    shell, tracked, capsys, line, message
):
    run = mlflow.start_run(run_name="busy")
    capsys.readouterr()

    result = shell.run_cell(f"%aml_track {line}")

    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert err.startswith(message.format(id=run.info.run_id)) and err.count("\n") == 1
    assert mlflow.active_run().info.run_id == run.info.run_id
    assert mlflow.get_tracking_uri() == tracked


def test_workspace_switch_points_mlflow_at_the_other_passthrough(shell, monkeypatch, capsys):
    base = f"http://127.0.0.1:{free_port()}/a%40b/aml/mlflow/"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", base + "local")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)

    aml_track(shell, "--workspace team")

    assert mlflow.get_tracking_uri() == base + "team"
    assert os.environ["MLFLOW_TRACKING_URI"] == base + "team"
    assert os.environ["MLFLOW_TRACKING_TOKEN"] == TOKEN
    out = capsys.readouterr().out
    # Nothing listens there: the switch is made, with a note, and the status still prints.
    assert "note: could not check workspace 'team' (Connection refused)" in out
    assert "workspace   team\n" in out and "experiment  id 0 (unavailable:" in out


def test_a_tracking_server_that_is_down_fails_fast_in_one_line(shell, monkeypatch, capsys):
    dead = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", dead)
    started = time.monotonic()

    result = shell.run_cell("%aml_track --experiment nowhere")

    assert time.monotonic() - started < 10  # MLflow's own retries would take minutes
    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert err.startswith("UsageError: ") and err.count("\n") == 1 and dead in err


def test_outside_a_kernel_without_tracking_it_says_how_to_fix_it(shell, capsys):
    result = shell.run_cell("%aml_track")

    assert isinstance(result.error_in_exec, UsageError)
    err = capsys.readouterr().err
    assert err == (
        "UsageError: MLflow tracking is not set up (this is not a Jupyter kernel): open the "
        "notebook in JupyterLab with jupyterlab_aml, set MLFLOW_TRACKING_URI, or set "
        "JUPYTERLAB_AML_SERVER_URL and JUPYTERLAB_AML_SERVER_TOKEN\n"
    )
    assert not mlflow.tracking.is_tracking_uri_set()


@pytest.mark.parametrize(
    "line, message",
    [
        ("off --autolog", "UsageError: %aml_track off takes no other options\n"),
        ("--bogus", "UsageError: unrecognized arguments: --bogus\n"),
        ("pause", "UsageError: argument action: invalid choice: 'pause'"),
    ],
)
def test_bad_arguments_give_one_line(shell, tracked, capsys, line, message):
    shell.run_cell(f"%aml_track {line}")
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_off_ends_the_run_and_later_logging_stays_off_the_server(
    shell, tracked, mlflow_client, capsys
):
    import sklearn  # noqa: F401 - autolog sets a flavour up only once its library is imported

    aml_track(shell, "--experiment off-exp --run-name before-off --autolog")
    run_id = mlflow.active_run().info.run_id
    assert not autologging_is_disabled("sklearn")

    aml_track(shell, "off")

    assert mlflow_client.get_run(run_id).info.status == "FINISHED"
    assert mlflow.active_run() is None and autologging_is_disabled("sklearn")
    assert "MLFLOW_TRACKING_TOKEN" not in os.environ
    assert "jupyterlab_aml-off-" in os.environ["MLFLOW_TRACKING_URI"]
    with mlflow.start_run() as scratch:
        mlflow.log_metric("after_off", 1.0)
    experiment_ids = [e.experiment_id for e in mlflow_client.search_experiments()]
    assert mlflow_client.search_runs(experiment_ids, "metrics.after_off >= 0") == []
    assert scratch.info.artifact_uri.startswith("file:///")
    assert "jupyterlab_aml-off-" in scratch.info.artifact_uri  # not ./mlruns of the notebook

    capsys.readouterr()
    aml_track(shell)
    assert capsys.readouterr().out.startswith("tracking off: runs go to a scratch store")

    aml_track(shell, "on")
    assert mlflow.get_tracking_uri() == tracked and os.environ["MLFLOW_TRACKING_TOKEN"] == TOKEN
    with mlflow.start_run() as resumed:
        pass
    assert mlflow_client.get_experiment(resumed.info.experiment_id).name == "off-exp"


def test_autolog_flag_logs_a_fit_to_the_active_experiment(shell, tracked, mlflow_client):
    from sklearn.linear_model import LinearRegression

    aml_track(shell, "--experiment autolog-exp --autolog")
    LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])

    experiment = mlflow_client.get_experiment_by_name("autolog-exp")
    (run,) = mlflow_client.search_runs([experiment.experiment_id])
    assert run.data.params["fit_intercept"] == "True"
    assert run.info.status == "FINISHED"
    assert mlflow_client.search_logged_models([experiment.experiment_id]) == []  # config honoured


# ---- real kernels ----------------------------------------------------------------------------


def _kernel_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "JUPYTERLAB_AML"))}
    return {**env, **extra}


def test_kernel_with_no_server_to_ask_says_so_in_one_line(tmp_path):
    # A kernel named the way Jupyter servers name theirs, while no server runs (empty runtime dir).
    kernel_id = str(uuid.uuid4())
    manager = KernelManager(kernel_name="python3")
    manager.connection_file = str(tmp_path / f"kernel-{kernel_id}.json")
    manager.start_kernel(env=_kernel_env(JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime")))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=60)
        streams: list[tuple[str, str]] = []

        def keep(msg):
            if msg["msg_type"] == "stream":
                streams.append((msg["content"]["name"], msg["content"]["text"]))

        reply = client.execute_interactive(
            "%load_ext jupyterlab_aml\n%aml_track", output_hook=keep, timeout=120
        )
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)

    assert reply["content"]["status"] == "error"
    message = (
        f"UsageError: MLflow tracking is not set up (no running Jupyter server lists kernel "
        f"{kernel_id}): open the notebook in JupyterLab with jupyterlab_aml, set "
        "MLFLOW_TRACKING_URI, or set JUPYTERLAB_AML_SERVER_URL and JUPYTERLAB_AML_SERVER_TOKEN\n"
    )
    assert streams == [("stderr", message)]


async def _run(client, code: str) -> tuple[str, str]:
    """Execute one cell; its status and everything it printed (stdout and stderr)."""
    printed: list[str] = []

    def keep(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            printed.append("\n".join(msg["content"]["traceback"]))

    reply = await client.execute_interactive(code, output_hook=keep, timeout=120)
    return reply["content"]["status"], "".join(printed)


async def test_kernel_started_without_env_gets_a_token_and_logs_through_the_passthrough(
    jp_serverapp, aml_fetch, jp_http_port, jp_base_url, mlflow_server, mlflow_client
):
    code, body = await aml_fetch(
        "api", "workspaces", method="POST",
        body={"name": "team", "kind": "mlflow", "uri": mlflow_server.url},
    )  # fmt: skip
    assert code == 201, body
    code, body = await aml_fetch("api", "workspaces", "active", method="PUT", body={"name": "team"})
    assert code == 200, body
    # pytest-jupyter writes no jpserver-*.json, so discovery is given the server explicitly.
    server_url = url_path_join(f"http://127.0.0.1:{jp_http_port}", jp_base_url)
    server_token = jp_serverapp.identity_provider.token
    env = _kernel_env(
        JUPYTERLAB_AML_SERVER_URL=server_url, JUPYTERLAB_AML_SERVER_TOKEN=server_token
    )
    kernels = jp_serverapp.kernel_manager
    kernel_id = await kernels.start_kernel(kernel_name="python3", env=env)
    client = kernels.get_kernel(kernel_id).client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        assert await _run(client, "import os\nassert 'MLFLOW_TRACKING_URI' not in os.environ") == (
            "ok",
            "",
        )
        ghost = await _run(client, "%load_ext jupyterlab_aml\n%aml_track --workspace ghost")
        switched = await _run(client, "%aml_track --workspace team --experiment kernel-exp "
                                      "--run-name from-kernel")  # fmt: skip
        logged = await _run(client, "import mlflow\nmlflow.log_metric('m', 3.0)\n"
                                    "print('RUN', mlflow.active_run().info.run_id)\nmlflow.end_run()")  # fmt: skip
        token = await _run(client, "print(os.environ['MLFLOW_TRACKING_TOKEN'])")
    finally:
        client.stop_channels()
        await kernels.shutdown_kernel(kernel_id, now=True)

    assert ghost == ("error", "UsageError: workspace 'ghost' not found on this Jupyter server\n")
    status, printed = switched
    assert status == "ok", printed
    assert "workspace   team\n" in printed
    assert f"tracking    http://127.0.0.1:{jp_http_port}{jp_base_url}aml/mlflow/team\n" in printed
    assert "experiment  kernel-exp (id " in printed
    kernel_token = token[1].strip()
    assert kernel_token and kernel_token != server_token
    for output in (ghost[1], printed, logged[1]):
        assert kernel_token not in output and server_token not in output
    assert logged[0] == "ok", logged[1]
    (run_id,) = re.findall(r"^RUN (\w+)$", logged[1], re.MULTILINE)
    run = mlflow_client.get_run(run_id)
    assert run.data.metrics == {"m": 3.0} and run.info.run_name == "from-kernel"
    assert mlflow_client.get_experiment(run.info.experiment_id).name == "kernel-exp"
