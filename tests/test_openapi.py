"""The shipped OpenAPI document is valid and matches the handlers, route for route."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from openapi_spec_validator import validate

import jupyterlab_aml
from jupyterlab_aml.routes import build_handlers

SPEC = yaml.safe_load((Path(jupyterlab_aml.__file__).parent / "openapi.yaml").read_text())
VERBS = ("get", "post", "put", "patch", "delete")


def handler_routes() -> set[tuple[str, str]]:
    """(templated path, verb) for every REST handler verb, from the route table itself."""
    routes = set()
    for pattern, handler in build_handlers():
        if not pattern.startswith("/aml/api/"):
            continue  # the passthrough is MLflow's own API, documented by MLflow
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern)
        path = path.removeprefix("/aml").removesuffix("/?$")
        for verb in VERBS:
            if verb in handler.__dict__:
                routes.add((path, verb))
    return routes


def documented_routes() -> set[tuple[str, str]]:
    """(path, verb) for every operation in the document."""
    return {(path, verb) for path, item in SPEC["paths"].items() for verb in item if verb in VERBS}


def test_openapi_document_is_valid():
    validate(SPEC)


def test_every_handler_verb_is_documented_and_nothing_else():
    assert handler_routes() == documented_routes()
