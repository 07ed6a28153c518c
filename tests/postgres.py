"""A throwaway PostgreSQL cluster on loopback, for MLflow team-server tests.

initdb and postgres refuse to run as root, so as root they run as the `postgres` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from .servers import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise RuntimeError(f"PostgreSQL's {name} is not installed (make test installs it)")
    return found[-1]


class Postgres:
    """initdb + pg_ctl start in ``root``; ``url`` is a SQLAlchemy URL for MLflow."""

    def __init__(self) -> None:
        # Not under pytest's tmp dir: that is mode 0700 and the postgres user cannot enter it.
        self.root = Path(tempfile.mkdtemp(prefix="aml-pg-"))
        os.chmod(self.root, 0o755)
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/mlflow"

    def _run(self, *argv: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run(
            [*prefix, *argv], check=False, capture_output=True, text=True, timeout=120
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr.strip()[-500:]}")

    def start(self) -> Postgres:
        """Create the cluster and a database `mlflow`, trusting loopback connections."""
        self.sockets.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.sockets, "postgres", "postgres")
        self._run(
            _bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        self._run(
            _bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"), "-w",
            "-o", f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.sockets} -c fsync=off",
            "start",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                self._run(
                    _bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                    "mlflow",
                )  # fmt: skip
                return self
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        """Stop the cluster fast."""
        if self.data.exists():
            with contextlib.suppress(RuntimeError):
                self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
