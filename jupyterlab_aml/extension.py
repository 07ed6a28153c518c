"""The Jupyter server extension: settings, workspace service lifecycle, handlers."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_core.paths import jupyter_config_dir, jupyter_data_dir
from jupyter_server.extension.application import ExtensionApp
from traitlets import Any, Bool, Float, Int, Unicode, default

from .auth.credentials import load_factory
from .auth.tls import TrustStore, ca_bundle_from_env
from .kernels import (
    KERNEL_ACTIONS,
    KernelRuns,
    server_loopback_url,
    session_manager,
)
from .live import LiveHub
from .metrics import MetricHistoryCache
from .proxy import close_proxy_client
from .routes import build_handlers
from .tap import PassthroughTap
from .workspaces.context import WorkspaceContext
from .workspaces.registry import WorkspaceManager


class AmlExtension(ExtensionApp):
    """MLflow experiment tracking for JupyterLab: workspaces, REST API and passthrough."""

    name = "jupyterlab_aml"
    load_other_extensions = True

    workspaces_file = Unicode(
        config=True,
        help="JSON file holding workspace definitions (secrets go to a 0600 sibling file). "
        "Env: JUPYTERLAB_AML_WORKSPACES_FILE.",
    )
    local_store_dir = Unicode(
        config=True,
        help="Directory of the embedded MLflow store (mlflow.db and artifacts/). "
        "Env: JUPYTERLAB_AML_LOCAL_STORE.",
    )
    local_autostart = Bool(
        True,
        config=True,
        help="Start the embedded MLflow server with Jupyter. When False it starts on first use "
        "(saves about 250 MB for users who only track to remote workspaces).",
    )
    series_summaries = Bool(
        True,
        config=True,
        help="Keep summaries of the embedded store's long metric series in a file beside its "
        "database (aml-series-summaries.db), so charts of long series draw from a few thousand "
        "rows instead of every point. False reads the points every time.",
    )
    max_points = Int(
        1000, config=True, help="Default number of points a metric history is sampled down to."
    )
    poll_interval = Float(
        10.0,
        config=True,
        help="Seconds between polls of a watched run that is logged elsewhere (remote jobs); "
        "runs logged by kernels through this server are pushed, never polled. Failures back "
        "off up to 16 times this.",
    )
    upstream_timeout = Float(
        30.0,
        config=True,
        help="Seconds to wait for a tracking server before answering 504 (REST API calls; the "
        "kernel passthrough allows longer, for artifact uploads).",
    )
    history_cache_points = Int(
        5_000_000,
        config=True,
        help="Metric points kept in memory across cached histories (about 24 bytes each).",
    )

    ca_bundle = Unicode(
        config=True,
        help="PEM file of extra certificate authorities for outgoing https (Azure, ARM, remote "
        "MLflow servers), e.g. a corporate TLS-inspection root; added to the system's. "
        "Default: REQUESTS_CA_BUNDLE or SSL_CERT_FILE.",
    )
    credential_factory = Any(
        "",
        config=True,
        help="Builds the credential of an azureml workspace: a callable or 'module:attribute' "
        "taking a jupyterlab_aml.auth.credentials.CredentialSpec and returning any object with "
        "get_token (azure-identity's are used by default).",
    )

    @default("ca_bundle")
    def _default_ca_bundle(self) -> str:
        return ca_bundle_from_env()

    @default("workspaces_file")
    def _default_workspaces_file(self) -> str:
        return os.environ.get("JUPYTERLAB_AML_WORKSPACES_FILE") or os.path.join(
            jupyter_config_dir(), "jupyterlab_aml", "workspaces.json"
        )

    @default("local_store_dir")
    def _default_local_store_dir(self) -> str:
        return os.environ.get("JUPYTERLAB_AML_LOCAL_STORE") or os.path.join(
            jupyter_data_dir(), "jupyterlab_aml", "local"
        )

    def initialize_settings(self) -> None:
        """Create the workspace service; it starts once the event loop runs."""
        self.manager = WorkspaceManager(
            workspaces_file=self.workspaces_file,
            local_store_dir=self.local_store_dir,
            context=WorkspaceContext(
                history_cache=MetricHistoryCache(max_points=self.history_cache_points),
                upstream_timeout=self.upstream_timeout,
                trust=TrustStore(self.ca_bundle),
                credential_factory=load_factory(self.credential_factory),
                root_dir=Path(self.serverapp.root_dir),
            ),
            local_autostart=self.local_autostart,
            local_summaries=self.series_summaries,
        )
        serverapp = self.serverapp
        self.live = LiveHub(self.manager, poll_interval=self.poll_interval)
        self.kernels = KernelRuns(
            self.manager, lambda: server_loopback_url(serverapp), live=self.live
        )
        # Kernel tracking is mixed into whatever SessionManager class the server built. The class
        # cannot be swapped at link time: its default depends on gateway config that does not
        # exist yet, and replacing the trait would drop a class the user configured.
        sessions = serverapp.session_manager
        sessions.__class__ = session_manager(type(sessions))
        sessions.aml_kernels = self.kernels
        serverapp.event_logger.add_listener(
            schema_id=KERNEL_ACTIONS, listener=self.kernels.on_kernel_action
        )
        self.settings["jupyterlab_aml"] = {
            "manager": self.manager,
            "app": self,
            "kernels": self.kernels,
            "live": self.live,
            "tap": PassthroughTap(self.kernels, self.manager.context.history_cache, self.live),
        }

    def initialize_handlers(self) -> None:
        """Register the REST API and the MLflow passthrough under ``{base_url}aml/``."""
        self.handlers.extend(build_handlers())

    async def _start_jupyter_server_extension(self, serverapp) -> None:
        """Start workspaces in the background: Lab never waits for MLflow."""
        await self.manager.start()

    async def stop_extension(self) -> None:
        """Stop workspaces and the embedded server with the Jupyter server."""
        await self.kernels.stop()
        await self.live.stop()
        await self.manager.stop()
        await close_proxy_client(self.settings)
        self.manager.context.trust.close()
