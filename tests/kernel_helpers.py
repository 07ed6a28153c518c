"""Run code in real kernels started through the Jupyter server, as a notebook would."""

from __future__ import annotations

import json
from typing import Any


async def start_notebook_kernel(
    aml_fetch, path: str, kernel_name: str = "python3"
) -> dict[str, Any]:
    """POST api/sessions like JupyterLab does when a notebook opens; returns the session."""
    response = await aml_fetch.jp_fetch(
        "api", "sessions", method="POST",
        body=json.dumps({"path": path, "name": path.rsplit("/", 1)[-1], "type": "notebook",
                         "kernel": {"name": kernel_name}}),
    )  # fmt: skip
    return json.loads(response.body)


async def run_cell(serverapp, kernel_id: str, code: str, timeout: float = 120) -> dict[str, Any]:
    """Execute code in the kernel; returns {"status", "stdout", "stderr", "error"}."""
    manager = serverapp.kernel_manager.get_kernel(kernel_id)
    client = manager.client()
    client.start_channels()
    output: dict[str, Any] = {"stdout": "", "stderr": "", "error": None}

    def on_output(msg: dict[str, Any]) -> None:
        kind, content = msg["header"]["msg_type"], msg["content"]
        if kind == "stream":
            output[content["name"]] += content["text"]
        elif kind == "error":
            output["error"] = "\n".join(content.get("traceback", [])) or content.get("evalue")

    try:
        await client.wait_for_ready(timeout=timeout)
        reply = await client.execute_interactive(
            code, timeout=timeout, output_hook=on_output, store_history=True
        )
    finally:
        client.stop_channels()
    output["status"] = reply["content"]["status"]
    return output
