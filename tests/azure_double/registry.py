"""What ARM knows: subscriptions, resource groups, workspaces, and who may not read them."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field

WORKSPACE_PROVIDER = "Microsoft.MachineLearningServices/workspaces"


@dataclass
class Workspace:
    """One Azure ML workspace the double knows, and the real MLflow server behind it."""

    subscription_id: str
    resource_group: str
    name: str
    mlflow_url: str
    location: str
    tracking_uri: str
    workspace_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def arm_id(self) -> str:
        """The ARM resource id, as ARM spells it in answers."""
        return (
            f"/subscriptions/{self.subscription_id}/resourceGroups/{self.resource_group}"
            f"/providers/{WORKSPACE_PROVIDER}/{self.name}"
        )


def _key(*names: str) -> tuple[str, ...]:
    # ARM names are case-insensitive.
    return tuple(n.lower() for n in names)


class AzureResources:
    """The resources of the double (thread-safe); AzureDouble exposes these methods."""

    def __init__(self, front_url: str) -> None:
        self.front_url = front_url
        self._resources_lock = threading.Lock()
        self._workspaces: dict[tuple[str, ...], Workspace] = {}
        self._subscriptions: dict[str, str] = {}
        self._resource_groups: dict[tuple[str, ...], str] = {}
        self._denied: set[tuple[tuple[str, ...], str | None]] = set()

    def add_workspace(
        self,
        subscription_id: str,
        resource_group: str,
        workspace_name: str,
        mlflow_url: str,
        *,
        location: str = "eastus",
        tracking_uri: str | None = None,
    ) -> Workspace:
        """Register a workspace (and its subscription and resource group) backed by a real
        MLflow server; ``tracking_uri`` overrides the front's (private-link workspaces)."""
        path = (
            f"/subscriptions/{subscription_id}/resourceGroups/{resource_group}"
            f"/providers/{WORKSPACE_PROVIDER}/{workspace_name}"
        )
        host = self.front_url.removeprefix("https://")
        workspace = Workspace(
            subscription_id,
            resource_group,
            workspace_name,
            mlflow_url.rstrip("/"),
            location,
            tracking_uri or f"azureml://{host}/mlflow/v1.0{path}",
        )
        with self._resources_lock:
            self._subscriptions.setdefault(subscription_id.lower(), subscription_id)
            self._resource_groups.setdefault(_key(subscription_id, resource_group), resource_group)
            self._workspaces[_key(subscription_id, resource_group, workspace_name)] = workspace
        return workspace

    def add_resource_group(self, subscription_id: str, resource_group: str) -> None:
        """An (empty) resource group, so a missing workspace in it is ResourceNotFound."""
        with self._resources_lock:
            self._subscriptions.setdefault(subscription_id.lower(), subscription_id)
            self._resource_groups.setdefault(_key(subscription_id, resource_group), resource_group)

    def remove_workspace(self, subscription_id: str, resource_group: str, name: str) -> None:
        """Forget a workspace (its resource group stays)."""
        with self._resources_lock:
            self._workspaces.pop(_key(subscription_id, resource_group, name), None)

    def rest_base(self, subscription_id: str, resource_group: str, name: str) -> str:
        """The https MLflow REST base of a workspace at the front (``/mlflow/v2.0/...``)."""
        workspace = self.lookup(subscription_id, resource_group, name)
        if workspace is None:
            raise KeyError(name)
        path = workspace.tracking_uri.split("/mlflow/v1.0", 1)[1]
        return f"{self.front_url}/mlflow/v2.0{path}"

    def lookup(self, subscription_id: str, resource_group: str, name: str) -> Workspace | None:
        """The workspace at these coordinates (case-insensitive, as ARM)."""
        with self._resources_lock:
            return self._workspaces.get(_key(subscription_id, resource_group, name))

    def has_subscription(self, subscription_id: str) -> bool:
        """Whether ARM knows the subscription."""
        with self._resources_lock:
            return subscription_id.lower() in self._subscriptions

    def has_resource_group(self, subscription_id: str, resource_group: str) -> bool:
        """Whether ARM knows the resource group."""
        with self._resources_lock:
            return _key(subscription_id, resource_group) in self._resource_groups

    def deny(self, sub: str, rg: str, ws: str, identity: str | None = None) -> None:
        """RBAC: ``identity`` (everyone when None) may not read the workspace nor use its
        MLflow endpoint: ARM answers 403 AuthorizationFailed, the front 403 PERMISSION_DENIED."""
        with self._resources_lock:
            self._denied.add((_key(sub, rg, ws), identity))

    def allow(self, sub: str, rg: str, ws: str, identity: str | None = None) -> None:
        """Undo a ``deny`` with the same arguments."""
        with self._resources_lock:
            self._denied.discard((_key(sub, rg, ws), identity))

    def is_denied(self, sub: str, rg: str, ws: str, identity: str) -> bool:
        """Whether RBAC refuses ``identity`` on the workspace."""
        with self._resources_lock:
            key = _key(sub, rg, ws)
            return (key, None) in self._denied or (key, identity) in self._denied

    def forget_resources(self) -> None:
        """No subscriptions, resource groups, workspaces or denials."""
        with self._resources_lock:
            self._workspaces.clear()
            self._subscriptions.clear()
            self._resource_groups.clear()
            self._denied.clear()
