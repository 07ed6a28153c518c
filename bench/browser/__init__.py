"""Bench: the extension in Chromium, as a user sees it, against MLflow's own UI (Playwright)."""

from .bench import run
from .report import headlines, markdown

__all__ = ["headlines", "markdown", "run"]
