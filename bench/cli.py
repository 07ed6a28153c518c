"""The command line of ``python -m bench``: which benches, how many repeats, the data set."""

from __future__ import annotations

import argparse

from .datasets import DEFAULT_THREADS
from .registry import BENCHES
from .summaries import MODES

DESCRIPTION = """
Run the benches: ``python -m bench [--only embedded,history,runs,...] [--repeats N]``.

Benches measure and report; they never fail on a slow figure. Results go to
``bench/results/results.json`` and ``results.md``, and the markdown is printed as well.
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, with ``selected``: the benches to run, in registry order."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=DESCRIPTION)
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help=f"comma-separated benches to run, of {', '.join(BENCHES)} (default: all)",
    )
    parser.add_argument(
        "--repeats", type=int, default=5, help="repeats of each request (median reported)"
    )
    parser.add_argument(
        "--browser-repeats", type=int, default=7, help="repeats of each timed action in 'browser'"
    )
    parser.add_argument(
        "--startup-repeats", type=int, default=3, help="warm starts of each server in 'embedded'"
    )
    parser.add_argument(
        "--regenerate", action="store_true", help="generate the data set even if cached"
    )
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="client threads for generating data"
    )
    parser.add_argument(
        "--summaries",
        choices=MODES,
        default="built",
        help="series summaries of the data sets before servers start (default: built)",
    )
    parser.add_argument(
        "--keep-workdir", action="store_true", help="keep server logs and temporary stores"
    )
    args = parser.parse_args(argv)
    only = [name.strip() for arg in args.only for name in arg.split(",") if name.strip()]
    unknown = sorted(set(only) - set(BENCHES))
    if unknown:
        parser.error(f"unknown bench {', '.join(unknown)}; choose from {', '.join(BENCHES)}")
    args.selected = [b for b in BENCHES if not only or b in only]
    return args
