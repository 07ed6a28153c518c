"""Artifact path confinement: every path is relative to the run's artifact root."""

from __future__ import annotations

import mimetypes
import posixpath
from urllib.parse import unquote

from .errors import BadRequest

# Deep enough for double/triple encoding tricks; real artifact names never need more.
_MAX_DECODE_ROUNDS = 4


def safe_artifact_path(raw: str | None) -> str:
    """Return ``raw`` as a clean relative POSIX path, or raise BadRequest if it could escape.

    Rejected: absolute paths, drive letters, backslashes, NUL and control characters, and any
    ``..`` segment, also after repeated percent-decoding (``%2e%2e%2f``, ``%252e``...).
    """
    path = raw or ""
    candidates = [path]
    for _ in range(_MAX_DECODE_ROUNDS):
        decoded = unquote(candidates[-1])
        if decoded == candidates[-1]:
            break
        candidates.append(decoded)
    for candidate in candidates:
        _reject_escape(candidate, raw or "")
    normalized = posixpath.normpath(path) if path else ""
    return "" if normalized == "." else normalized


def _reject_escape(candidate: str, raw: str) -> None:
    if any(ord(ch) < 32 for ch in candidate) or "\\" in candidate:
        raise BadRequest(f"artifact path {raw!r} has forbidden characters")
    if candidate.startswith("/") or (len(candidate) > 1 and candidate[1] == ":"):
        raise BadRequest(f"artifact path {raw!r} must be relative to the run's artifact root")
    if ".." in candidate.split("/"):
        raise BadRequest(f"artifact path {raw!r} may not contain '..'")


def artifact_content_type(path: str) -> str:
    """Content type for an artifact, by name; unknown types are served as opaque bytes."""
    guessed, _ = mimetypes.guess_type(path)
    if guessed is None:
        return "application/octet-stream"
    if guessed.startswith("text/") or guessed in ("application/json", "image/svg+xml"):
        return f"{guessed}; charset=utf-8" if "charset" not in guessed else guessed
    return guessed
