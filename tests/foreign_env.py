"""A second Python environment with only ipykernel and MLflow's client: "another env's kernel"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

# Kept beside the project's venv so repeated runs (and CI on the same machine) reuse it.
FOREIGN_VENV = Path(sys.prefix) / ".foreign-kernel-venv"


def foreign_python() -> Path:
    """Create (once) a venv holding only ipykernel + mlflow-skinny; return its python."""
    python = FOREIGN_VENV / "bin" / "python"
    ready = FOREIGN_VENV / ".ready"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(FOREIGN_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "ipykernel", "mlflow-skinny"], check=True
        )
        ready.touch()
    return python


def install_kernelspec(data_dir: Path, name: str = "foreign") -> str:
    """A kernelspec in ``data_dir`` that launches the foreign environment's python."""
    spec_dir = data_dir / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [str(foreign_python()), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (only mlflow)",
        # pytest-jupyter exports the test's sys.path as PYTHONPATH; a real foreign env has none.
        "env": {"PYTHONPATH": ""},
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return name
