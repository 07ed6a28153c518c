"""MLflow run-context plugin: tags a run with the notebook cell that started it.

Registered through the ``mlflow.run_context_provider`` entry point, so it works in every kernel
of this environment, with or without ``%load_ext jupyterlab_aml``.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from mlflow.tracking.context.abstract_context import RunContextProvider

_log = logging.getLogger(__name__)
CELL_ID_TAG = "jupyterlab_aml.cell_id"
EXECUTION_COUNT_TAG = "jupyterlab_aml.execution_count"
END_REASON_TAG = "jupyterlab_aml.end_reason"


class NotebookCellContext(RunContextProvider):
    """Adds the id and execution count of the running notebook cell to new runs."""

    def in_context(self) -> bool:
        """True only inside an IPython kernel."""
        return _kernel_shell() is not None

    def tags(self) -> dict[str, str]:
        """The id and execution count of the cell executing now; unknown values are left out.

        The cell id is the ``cellId`` that JupyterLab (and nbclient) put in the execute_request
        metadata, read from ipykernel's current parent message (which follows asyncio tasks a
        cell created). The count is the ``In [n]`` of the executing cell, from IPython's
        ExecutionResult, given only when that is the same cell. A run started while no cell
        executes (a thread or timer between cells) gets neither: no cell can be named for it.
        """
        tags: dict[str, str] = {}
        try:
            shell = _kernel_shell()
            # Set by IPython for exactly as long as a cell's code runs.
            running = getattr(getattr(shell, "displayhook", None), "exec_result", None)
            if running is None:
                return tags
            info = running.info
            cell_id = _parent_cell_id(shell) or info.cell_id
            if cell_id:
                tags[CELL_ID_TAG] = str(cell_id)
            same_cell = info.cell_id is None or info.cell_id == cell_id
            # A silent execution (store_history=False) gets no number of its own.
            if same_cell and info.store_history:
                tags[EXECUTION_COUNT_TAG] = str(running.execution_count)
            _watch_interrupts(shell)
        except Exception:  # noqa: BLE001 - a tag plugin must never stop a run from starting
            _log.debug("notebook cell tags unavailable", exc_info=True)
        return tags


def _kernel_shell() -> Any:
    """The IPython shell when it runs inside a kernel, else None."""
    # Plain scripts never imported IPython: answer without importing it for them.
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return shell


def _parent_cell_id(shell: Any) -> str | None:
    parent = shell.kernel.get_parent()
    metadata = parent.get("metadata") if isinstance(parent, dict) else None
    cell_id = metadata.get("cellId") if isinstance(metadata, dict) else None
    return cell_id if isinstance(cell_id, str) else None


def _watch_interrupts(shell: Any) -> None:
    """Once per kernel: end the runs a cell started when that very cell is interrupted."""
    if getattr(shell, "_aml_watching_interrupts", False):
        return
    shell._aml_watching_interrupts = True
    shell.events.register("post_run_cell", _end_runs_of_interrupted_cell)


def _end_runs_of_interrupted_cell(result: Any) -> None:
    """A cell interrupted out of ``mlflow.start_run()`` (without ``with``) leaves its run active
    in the kernel: nothing will end it, and running the cell again fails with "Run ... is already
    active". Such runs are ended as KILLED. Runs started by earlier cells are left alone: the user
    may go on logging to them, and ``with`` blocks were already ended by MLflow (FAILED)."""
    if not isinstance(getattr(result, "error_in_exec", None), KeyboardInterrupt):
        return
    try:
        import mlflow

        shell = _kernel_shell()
        cell_id = (_parent_cell_id(shell) if shell else None) or result.info.cell_id
        count = str(result.execution_count)
        while (run := mlflow.active_run()) is not None:
            tags = run.data.tags
            started_here = (cell_id and tags.get(CELL_ID_TAG) == cell_id) or (
                not tags.get(CELL_ID_TAG) and tags.get(EXECUTION_COUNT_TAG) == count
            )
            if not started_here:
                return
            mlflow.set_tag(END_REASON_TAG, "cell interrupted")
            mlflow.end_run("KILLED")
    except Exception:  # noqa: BLE001 - the user's next cell must run whatever happens here
        _log.debug("could not end the interrupted cell's run", exc_info=True)
