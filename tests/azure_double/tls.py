"""The double's own certificate authority: a trustme CA and one server cert for loopback.

Clients trust the double only through ``ca_pem_path`` (``verify=``, ``connection_verify=``,
``MLFLOW_TRACKING_SERVER_CERT_PATH``, the extension's ``ca_bundle``), exactly as they would
trust a corporate root, so a client that ignores its CA setting fails here as it would there.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import certifi
import trustme

SERVER_NAMES = ("127.0.0.1", "localhost")


class DoubleTls:
    """A fresh CA per double; its PEM is written under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._ca = trustme.CA(organization_name="Azure double test CA")
        self._leaf = self._ca.issue_cert(*SERVER_NAMES)
        self.ca_pem_path = str(folder / "azure-double-ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_pem_path)
        # For REQUESTS_CA_BUNDLE / SSL_CERT_FILE, which replace the default trust rather than
        # add to it: the public roots plus the double's, so other https still verifies.
        self.ca_bundle_path = str(folder / "azure-double-bundle.pem")
        public = Path(certifi.where()).read_text()
        Path(self.ca_bundle_path).write_text(public + "\n" + Path(self.ca_pem_path).read_text())

    def server_context(self) -> ssl.SSLContext:
        """What the double's https sites present."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._leaf.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts the double's CA only (for aiohttp, httpx, urllib)."""
        return ssl.create_default_context(cafile=self.ca_pem_path)
