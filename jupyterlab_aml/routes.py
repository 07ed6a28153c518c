"""Thin REST handlers for ``{base_url}aml/api/...``: parse, call one service method, finish."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from jupyter_server.utils import url_path_join
from tornado import web

from .compare import compare_runs
from .errors import BadRequest, NotFound
from .handlers_base import AmlHandler
from .live_socket import LiveSocketHandler
from .proxy import MlflowPassthroughHandler

_WS = r"(?P<ws>[^/]+)"
_RUN = r"(?P<run_id>[^/]+)"
# Metric keys may contain "/" ("train/loss"); the key is always the last segment group.
_KEY = r"(?P<key>.+)"
_KERNEL = r"(?P<kernel_id>[0-9a-fA-F-]{1,64})"
_MAX_RESULTS = 50_000


class WorkspacesHandler(AmlHandler):
    """List and add workspaces."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """All workspaces, the active one, and any config file error."""
        self.send_json(self.workspaces.list())

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Add a workspace; connecting happens after the 201 and shows in its state."""
        self.send_json(await self.workspaces.add(self.json_body()), status=201)


class ActiveWorkspaceHandler(AmlHandler):
    """Select the workspace new kernels log to."""

    @web.authenticated
    @authorized
    async def put(self) -> None:
        """Set the active workspace."""
        self.send_json(self.workspaces.set_active(self.json_body().get("name")))


class WorkspaceHandler(AmlHandler):
    """Remove one workspace."""

    @web.authenticated
    @authorized
    async def delete(self, ws: str) -> None:
        """Remove a workspace (not the local one)."""
        await self.workspaces.remove(ws)
        self.set_status(204)
        self.finish()


class SignInHandler(AmlHandler):
    """Interactive sign-in (device code) for workspaces that support it."""

    @web.authenticated
    @authorized
    async def post(self, ws: str) -> None:
        """Start a sign-in and return the code to show the user."""
        workspace = self.workspaces.get(ws)
        sign_in = getattr(workspace, "sign_in", None)
        if sign_in is None:
            raise BadRequest(f"workspace {ws!r} ({workspace.kind}) has no interactive sign-in")
        self.send_json(await sign_in(), status=202)


class ExperimentsHandler(AmlHandler):
    """Experiments of one workspace."""

    @web.authenticated
    @authorized
    async def get(self, ws: str) -> None:
        """One page of experiments."""
        experiments, token = await self.workspaces.get(ws).list_experiments(
            filter=self.str_arg("filter"),
            max_results=self.int_arg("max_results", 100, 1, _MAX_RESULTS),
            page_token=self.str_arg("page_token"),
        )
        self.send_json({"experiments": [e.__dict__ for e in experiments], "next_page_token": token})


class RunsHandler(AmlHandler):
    """Search runs."""

    @web.authenticated
    @authorized
    async def get(self, ws: str) -> None:
        """One page of runs, filtered and ordered (metrics, params and tags included)."""
        experiment_ids = [
            e for arg in self.get_query_arguments("experiment_ids") for e in arg.split(",") if e
        ]
        if not experiment_ids:
            raise BadRequest("experiment_ids is required, e.g. ?experiment_ids=0,1")
        runs, token = await self.workspaces.get(ws).search_runs(
            experiment_ids=experiment_ids,
            filter=self.str_arg("filter"),
            order_by=[o for o in self.get_query_arguments("order_by") if o],
            max_results=self.int_arg("max_results", 100, 1, _MAX_RESULTS),
            page_token=self.str_arg("page_token"),
        )
        self.send_json({"runs": [r.to_json() for r in runs], "next_page_token": token})


class RunHandler(AmlHandler):
    """One run."""

    @web.authenticated
    @authorized
    async def get(self, ws: str, run_id: str) -> None:
        """The run, or 404."""
        self.send_json((await self.workspaces.get(ws).get_run(run_id)).to_json())


class MetricHistoryHandler(AmlHandler):
    """Sampled metric history."""

    @web.authenticated
    @authorized
    async def get(self, ws: str, run_id: str, key: str) -> None:
        """History of one metric, at most ``max_points`` points, extremes kept."""
        self.send_json(
            await self.workspaces.get(ws).metric_history(
                run_id,
                key,
                max_points=self.int_arg("max_points", self.aml_app.max_points, 4, 100_000),
                start_step=self.int_arg("start_step", None, -(2**63), 2**63 - 1),
                end_step=self.int_arg("end_step", None, -(2**63), 2**63 - 1),
            )
        )


class ArtifactsHandler(AmlHandler):
    """List a run's artifacts."""

    @web.authenticated
    @authorized
    async def get(self, ws: str, run_id: str) -> None:
        """Files directly under ``path``."""
        files = await self.workspaces.get(ws).list_artifacts(run_id, self.str_arg("path") or "")
        self.send_json({"files": files})


class ArtifactContentHandler(AmlHandler):
    """Stream one artifact file."""

    @web.authenticated
    @authorized
    async def get(self, ws: str, run_id: str) -> None:
        """The file's bytes, streamed, with its content type."""
        workspace = self.workspaces.get(ws)
        async with workspace.open_artifact(run_id, self.str_arg("path") or "") as (kind, chunks):
            self.set_header("Content-Type", kind)
            # Artifacts are user data: never let HTML or SVG run script in Jupyter's origin.
            self.set_header("Content-Security-Policy", "sandbox; default-src 'none'")
            self.set_header("X-Content-Type-Options", "nosniff")
            async for chunk in chunks:
                self.write(chunk)
                await self.flush()
        self.finish()


class CompareHandler(AmlHandler):
    """Runs side by side."""

    @web.authenticated
    @authorized
    async def post(self, ws: str) -> None:
        """Runs plus sampled series for each (key, run)."""
        body = self.json_body()
        self.send_json(
            await compare_runs(
                self.workspaces.get(ws),
                run_ids=body.get("run_ids"),
                keys=body.get("keys"),
                max_points=body.get("max_points", self.aml_app.max_points),
            )
        )


class KernelRunsHandler(AmlHandler):
    """The runs one kernel created."""

    @web.authenticated
    @authorized
    async def get(self, kernel_id: str) -> None:
        """That kernel's runs, newest first, and the workspace it logs to."""
        known = kernel_id in self.kernel_manager
        self.send_json(await self.kernels.kernel_runs(kernel_id, known_kernel=known))


class KernelTokenHandler(AmlHandler):
    """A tracking token for a kernel started without one (``%aml_track`` asks for it)."""

    @web.authenticated
    @authorized
    async def post(self, kernel_id: str) -> None:
        """Mint a per-kernel token, good only for the MLflow passthrough."""
        if kernel_id not in self.kernel_manager:
            raise NotFound(f"no kernel with id {kernel_id!r}")
        self.kernels.watch(self.kernel_manager, kernel_id)
        self.send_json(self.kernels.issue_token(kernel_id), status=201)


def build_handlers() -> list[tuple[str, type[AmlHandler]]]:
    """Routes relative to the server's base URL."""
    api = "aml/api"
    routes = [
        ("workspaces", WorkspacesHandler),
        ("workspaces/active", ActiveWorkspaceHandler),
        (f"workspaces/{_WS}", WorkspaceHandler),
        (f"workspaces/{_WS}/sign-in", SignInHandler),
        (f"workspaces/{_WS}/experiments", ExperimentsHandler),
        (f"workspaces/{_WS}/runs", RunsHandler),
        (f"workspaces/{_WS}/runs/{_RUN}", RunHandler),
        (f"workspaces/{_WS}/runs/{_RUN}/metrics/{_KEY}", MetricHistoryHandler),
        (f"workspaces/{_WS}/runs/{_RUN}/artifacts", ArtifactsHandler),
        (f"workspaces/{_WS}/runs/{_RUN}/artifacts/content", ArtifactContentHandler),
        (f"workspaces/{_WS}/compare", CompareHandler),
        (f"kernels/{_KERNEL}/runs", KernelRunsHandler),
        (f"kernels/{_KERNEL}/token", KernelTokenHandler),
        ("live", LiveSocketHandler),
    ]
    handlers = [(url_path_join("/", api, path) + "/?$", cls) for path, cls in routes]
    handlers.append((r"/aml/mlflow/(?P<ws>[^/]+)/?(?P<path>.*)", MlflowPassthroughHandler))
    return handlers
