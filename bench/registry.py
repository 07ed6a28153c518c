"""The benches ``python -m bench`` knows, in the order it runs them."""

from __future__ import annotations

from . import live, many_kernels, throughput

BENCHES = (
    "embedded", "history", "runs", "live", "throughput", "many_kernels", "azure", "browser",
    "compare",
)  # fmt: skip
# Benches with real notebook kernels, on one Jupyter server with a fresh, empty store.
KERNEL_BENCHES = {"live": live, "throughput": throughput, "many_kernels": many_kernels}
