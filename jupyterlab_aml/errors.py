"""Typed domain errors; the base handler maps each to its HTTP status in one place."""

from __future__ import annotations


class AmlError(Exception):
    """Base of every error the REST API reports as ``{"message": ...}``."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(AmlError):
    """The request is malformed (400)."""

    status = 400


class Forbidden(AmlError):
    """The caller may not do this (403)."""

    status = 403


class NotFound(AmlError):
    """Unknown workspace, run, metric key or artifact (404)."""

    status = 404


class Conflict(AmlError):
    """The request conflicts with current state (409)."""

    status = 409


class UpstreamError(AmlError):
    """The tracking server answered with an error or could not be reached (502)."""

    status = 502

    def __init__(self, message: str, upstream_status: int | None = None):
        super().__init__(message)
        self.upstream_status = upstream_status


class NotReady(AmlError):
    """The workspace is starting, signed out or broken (503)."""

    status = 503


class UpstreamTimeout(AmlError):
    """The tracking server did not answer in time (504)."""

    status = 504
