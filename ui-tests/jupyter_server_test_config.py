"""Jupyter server configuration for the Galata UI tests.

Every run gets a fresh, empty tracking store and workspaces file, so the
embedded `local` workspace starts from scratch and holds only MLflow's
"Default" experiment.
"""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # noqa: F821 (`c` is injected by the config loader)

# These machines run as root; Galata talks to the server over loopback only.
c.ServerApp.allow_root = True  # noqa: F821
c.ServerApp.ip = "127.0.0.1"  # noqa: F821
# AML_GALATA_PORT lets two checkouts run their UI tests at once (see playwright.config.js).
c.ServerApp.port = int(os.environ.get("AML_GALATA_PORT", "8888"))  # noqa: F821
c.ServerApp.port_retries = 0  # noqa: F821

_store_dir = tempfile.mkdtemp(prefix="jupyterlab-aml-store-")
_config_dir = tempfile.mkdtemp(prefix="jupyterlab-aml-config-")
for _path in (_store_dir, _config_dir):
    atexit.register(shutil.rmtree, _path, ignore_errors=True)
c.AmlExtension.local_store_dir = _store_dir  # noqa: F821
c.AmlExtension.workspaces_file = str(Path(_config_dir) / "workspaces.json")  # noqa: F821
