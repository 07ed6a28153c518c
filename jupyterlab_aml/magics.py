"""``%aml_track``: show or switch where this kernel's MLflow runs go."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from mlflow.tracking import fluent
from traitlets import Bool, Int

from . import kernel_client

_log = logging.getLogger(__name__)
URI_ENV = "MLFLOW_TRACKING_URI"
TOKEN_ENV = "MLFLOW_TRACKING_TOKEN"
EXPERIMENT_ENV = "MLFLOW_EXPERIMENT_ID"
_NOT_SET_UP = (
    "MLflow tracking is not set up ({reason}): open the notebook in JupyterLab with "
    f"jupyterlab_aml, set {URI_ENV}, or set {kernel_client.SERVER_URL_ENV} and "
    f"{kernel_client.SERVER_TOKEN_ENV}"
)


@dataclass
class _Paused:
    """What ``off`` put aside, so that ``on`` can put it back."""

    uri: str | None
    token: str | None = field(repr=False)
    experiment_id: str | None


@magics_class
class AmlTrackMagics(Magics):
    """``%aml_track``: show or switch this kernel's workspace, experiment and run."""

    request_timeout = Int(
        10,
        config=True,
        help="Seconds %aml_track waits for the Jupyter server or the tracking server. Its "
        "MLflow calls are not retried, so a server that is down fails fast instead of after "
        "minutes of back-off.",
    )
    autolog_log_models = Bool(
        True,
        config=True,
        help="Passed as log_models to mlflow.autolog() by --autolog (MLflow's own default).",
    )

    def __init__(self, shell=None, **kwargs) -> None:
        """A magics instance holds the state ``off`` leaves for ``on``."""
        super().__init__(shell=shell, **kwargs)
        self._paused: _Paused | None = None
        self._scratch: tuple[str, str] | None = None  # (URI, experiment id), made on first off

    @magic_arguments()
    @argument(
        "action",
        nargs="?",
        choices=("on", "off"),
        help="off: end the active run, disable autolog and stop tracking; on: resume.",
    )
    @argument("-w", "--workspace", help="Log to this workspace of the same Jupyter server.")
    @argument("-e", "--experiment", help="Make this the active experiment (created if needed).")
    @argument("-r", "--run-name", help="Start a run with this name (none may be active).")
    @argument("--autolog", action="store_true", help="Turn on mlflow.autolog() (silent).")
    @line_magic
    def aml_track(self, line: str = "") -> None:
        """Show or switch the workspace, experiment and run this kernel logs to.

        Without arguments it prints the workspace, tracking URI (secrets masked), experiment and
        active run. ``off`` ends the active run (FINISHED), disables autolog, drops
        MLFLOW_TRACKING_URI/MLFLOW_TRACKING_TOKEN and points MLflow at a scratch sqlite store in
        a temporary directory that is deleted when the kernel exits: notebook code that logs
        keeps running, and nothing reaches a workspace. ``on`` (or any option) puts the previous
        URI, token and experiment back; autolog stays off until ``--autolog``. A kernel started
        without MLFLOW_TRACKING_URI first asks its Jupyter server for a per-kernel token
        (JUPYTERLAB_AML_SERVER_URL and JUPYTERLAB_AML_SERVER_TOKEN name the server explicitly).
        """
        args = parse_argstring(self.aml_track, line)
        changes = any((args.workspace, args.experiment, args.run_name, args.autolog))
        # A magic is a user-facing boundary: one line on stderr, never a traceback.
        try:
            with _fail_fast(self.request_timeout):
                if args.action == "off":
                    if changes:
                        raise UsageError("%aml_track off takes no other options")
                    self._stop()
                    return
                self._refuse_conflicts(args)
                if args.action == "on" or changes:
                    self._resume()
                if self._paused is None:
                    self._ensure_tracking()
                if changes:
                    self._apply(args)
                print(self._status())
        except UsageError:
            raise
        except Exception as err:
            raise UsageError(_one_line(err)) from err

    # ---- steps -----------------------------------------------------------------------------------
    def _refuse_conflicts(self, args) -> None:
        """Check every precondition before changing anything, so a refusal changes nothing."""
        run = mlflow.active_run()
        if run is None:
            return
        end = f"run {run.info.run_id} is active; end it first (mlflow.end_run())"
        if args.workspace:
            raise UsageError(f"cannot switch workspace: {end}")
        if args.run_name:
            raise UsageError(f"cannot start run {args.run_name!r}: {end}")
        if self._paused is not None and (args.action == "on" or args.experiment or args.autolog):
            raise UsageError(f"cannot resume tracking: {end}")

    def _ensure_tracking(self) -> None:
        """Respect a tracking URI the kernel already has; otherwise get one from the server."""
        if not mlflow.tracking.is_tracking_uri_set():
            self._connect()

    def _connect(self) -> kernel_client.TrackingGrant:
        try:
            kernel_id = kernel_client.current_kernel_id()
            server = kernel_client.find_server(kernel_id, timeout=self.request_timeout)
        except kernel_client.ServerNotFound as err:
            raise UsageError(_NOT_SET_UP.format(reason=err)) from None
        try:
            grant = kernel_client.request_tracking_token(
                server, kernel_id, timeout=self.request_timeout
            )
        except kernel_client.KernelServerError as err:
            raise UsageError(f"could not get a tracking token: {err}") from None
        os.environ[TOKEN_ENV] = grant.token
        mlflow.set_tracking_uri(grant.tracking_uri)  # also sets MLFLOW_TRACKING_URI
        return grant

    def _apply(self, args) -> None:
        if args.workspace:
            self._switch_workspace(args.workspace)
        if args.experiment:
            mlflow.set_experiment(args.experiment)
        if args.autolog:
            mlflow.autolog(log_models=self.autolog_log_models, silent=True)
        if args.run_name:
            mlflow.start_run(run_name=args.run_name)

    def _switch_workspace(self, workspace: str) -> None:
        current = mlflow.get_tracking_uri()
        if kernel_client.workspace_of(current) is None:
            # Only the server knows its own passthrough URL.
            current = self._connect().tracking_uri
        target = kernel_client.with_workspace(current, workspace)
        try:
            status = kernel_client.probe_workspace(
                target, os.environ.get(TOKEN_ENV), timeout=self.request_timeout
            )
        except kernel_client.KernelServerError as err:
            status = None
            print(f"note: could not check workspace {workspace!r} ({err})")
        if status == 404:
            raise UsageError(f"workspace {workspace!r} not found on this Jupyter server")
        if status is not None and status >= 400:
            print(f"note: workspace {workspace!r} answered HTTP {status}; it may not be ready")
        mlflow.set_tracking_uri(target)
        # Experiment ids belong to a workspace: the old one's id means nothing in the new one.
        _set_active_experiment(None)

    def _stop(self) -> None:
        run = mlflow.active_run()
        if run is not None:
            mlflow.end_run("FINISHED")  # if this fails, nothing else has changed yet
        mlflow.autolog(disable=True, silent=True)
        if self._scratch is None:
            self._scratch = _scratch_store()
        if self._paused is None:
            self._paused = _Paused(
                uri=mlflow.get_tracking_uri() if mlflow.tracking.is_tracking_uri_set() else None,
                token=os.environ.get(TOKEN_ENV),
                experiment_id=fluent._active_experiment_id,
            )
        os.environ.pop(TOKEN_ENV, None)
        os.environ.pop(URI_ENV, None)
        # set_tracking_uri puts the scratch URI back into MLFLOW_TRACKING_URI, on purpose:
        # subprocesses (`!python train.py`) then stay off the server too.
        scratch_uri, scratch_experiment_id = self._scratch
        mlflow.set_tracking_uri(scratch_uri)
        _set_active_experiment(scratch_experiment_id)
        ended = f"ended run {run.info.run_id}; " if run else ""
        print(f"tracking off: {ended}autolog disabled; runs now go to a scratch store that is "
              "deleted when the kernel exits; %aml_track on resumes")  # fmt: skip

    def _resume(self) -> None:
        paused, self._paused = self._paused, None
        if paused is None:
            return
        if paused.token:
            os.environ[TOKEN_ENV] = paused.token
        # None unsets, so that _ensure_tracking asks the server again.
        mlflow.set_tracking_uri(paused.uri)
        _set_active_experiment(paused.experiment_id)

    # ---- status ----------------------------------------------------------------------------------
    def _status(self) -> str:
        if self._paused is not None:
            return (
                "tracking off: runs go to a scratch store deleted when the kernel exits; "
                "%aml_track on resumes"
            )
        uri = mlflow.get_tracking_uri()
        workspace = kernel_client.workspace_of(uri) or "none (not a jupyterlab_aml passthrough)"
        run = mlflow.active_run()
        run_text = f"{run.info.run_id} ({run.info.run_name})" if run else "none"
        rows = [
            ("workspace", workspace),
            ("tracking", kernel_client.display_uri(uri)),
            ("experiment", _experiment_text(run)),
            ("run", run_text),
        ]
        return "\n".join(f"{name:<11} {value}" for name, value in rows)


def _experiment_text(run) -> str:
    experiment_id = None
    try:
        # No public getter for the active experiment; this is what start_run itself uses.
        experiment_id = run.info.experiment_id if run else fluent._get_experiment_id()
        experiment = mlflow.get_experiment(experiment_id)
        return f"{experiment.name} (id {experiment.experiment_id})"
    except Exception as err:  # noqa: BLE001 - the status shows even when the server is down
        _log.debug("experiment lookup failed", exc_info=True)
        return f"id {experiment_id} (unavailable: {_one_line(err)})"


def _set_active_experiment(experiment_id: str | None) -> None:
    """Select (or forget) the active experiment without asking the server.

    MLflow has no public way to forget one; set_experiment keeps it in these two places.
    """
    fluent._active_experiment_id = experiment_id
    if experiment_id is None:
        os.environ.pop(EXPERIMENT_ENV, None)
    else:
        os.environ[EXPERIMENT_ENV] = experiment_id


def _scratch_store() -> tuple[str, str]:
    """A fresh sqlite store in a temp dir removed at exit: its URI and its experiment's id."""
    root = Path(tempfile.mkdtemp(prefix="jupyterlab_aml-off-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    # Created now, quietly, with an experiment whose artifacts stay in the temp dir: left to
    # MLflow, the store logs its migrations into the next cell and puts artifacts in ./mlruns.
    quiet = [logging.getLogger(name) for name in ("mlflow.store.db.utils", "alembic")]
    levels = [logger.level for logger in quiet]
    try:
        for logger in quiet:
            logger.setLevel(logging.WARNING)
        client = mlflow.MlflowClient(tracking_uri=uri)
        artifacts = (root / "artifacts").as_uri()
        return uri, client.create_experiment("scratch", artifact_location=artifacts)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


@contextlib.contextmanager
def _fail_fast(timeout: int) -> Iterator[None]:
    """No retries and a short timeout for the MLflow calls the magic itself makes."""
    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES",
                                            "MLFLOW_HTTP_REQUEST_TIMEOUT")}  # fmt: skip
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(timeout)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _one_line(err: BaseException) -> str:
    """The first line of an error, short enough to read at a glance."""
    text = str(getattr(err, "message", None) or err).strip().splitlines()
    first = text[0] if text else type(err).__name__
    return first if len(first) <= 300 else first[:297] + "..."
