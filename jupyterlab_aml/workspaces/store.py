"""The workspaces file: definitions in JSON, secrets in a private sibling, both atomic."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class WorkspacesFileError(Exception):
    """The file exists but cannot be used; the message says why and where."""


@dataclass
class StoredWorkspaces:
    """What the file holds: the active name and each workspace's fields and secrets."""

    active: str | None = None
    entries: list[tuple[dict[str, Any], dict[str, str]]] = field(default_factory=list)


class WorkspacesFile:
    """``workspaces.json`` (browser-safe fields) + ``workspaces.secrets.json`` (mode 0600).

    Secrets live apart so that the main file can be shown, shared or versioned without leaking
    a token, and so that only the server's user can read them.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.secrets_path = self.path.with_name(self.path.stem + ".secrets.json")

    def load(self) -> StoredWorkspaces:
        """Read both files; a missing file is empty, a broken one raises WorkspacesFileError."""
        data = self._read(self.path)
        secrets = self._read(self.secrets_path)
        if not isinstance(data.get("workspaces", []), list):
            raise WorkspacesFileError(f"{self.path}: 'workspaces' must be a list")
        entries = []
        for index, item in enumerate(data.get("workspaces", [])):
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise WorkspacesFileError(f"{self.path}: workspace #{index} has no 'name'")
            entry_secrets = secrets.get(item["name"], {})
            entries.append((item, entry_secrets if isinstance(entry_secrets, dict) else {}))
        active = data.get("active")
        return StoredWorkspaces(active if isinstance(active, str) else None, entries)

    def save(self, stored: StoredWorkspaces) -> None:
        """Write both files atomically (temp file + rename): a crash leaves the old ones whole."""
        public = {"active": stored.active, "workspaces": [fields for fields, _ in stored.entries]}
        secrets = {fields["name"]: s for fields, s in stored.entries if s}
        self._write(self.secrets_path, secrets, mode=0o600)
        self._write(self.path, public, mode=0o644)

    def _read(self, path: Path) -> dict[str, Any]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as err:
            raise WorkspacesFileError(f"cannot read {path}: {err.strerror}") from err
        try:
            data = json.loads(text) if text.strip() else {}
        except json.JSONDecodeError as err:
            raise WorkspacesFileError(
                f"{path} is not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})"
            ) from err
        if not isinstance(data, dict):
            raise WorkspacesFileError(f"{path} must hold a JSON object")
        return data

    def _write(self, path: Path, data: dict[str, Any], *, mode: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=2)
                handle.write("\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
