"""Jupyter server configuration for the Galata UI tests.

Every run gets a fresh, empty tracking store and workspaces file, so the
embedded `local` workspace starts from scratch and holds only MLflow's
"Default" experiment.
"""

import atexit
import os
import shutil
import sys
import tempfile
import time
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

# The loopback Azure for azureml.spec.ts: a module, so one process starts it once. Its
# coordinates go where playwright.config.js says (AML_AZURE_DOUBLE_FILE), else next to the
# workspaces file; Jupyter trusts its CA for the sign-in, ARM and the MLflow front.
_azure_since = time.perf_counter()
sys.path.insert(0, str(Path(__file__).resolve().parent))
from azure_for_galata import start_azure

_coordinates = os.environ.get("AML_AZURE_DOUBLE_FILE") or str(Path(_config_dir) / "azure.json")
_jupyter_url = f"http://127.0.0.1:{c.ServerApp.port}/"  # noqa: F821
_double = start_azure(Path(_coordinates), _jupyter_url, _azure_since)
c.AmlExtension.ca_bundle = _double.ca_pem_path  # noqa: F821
