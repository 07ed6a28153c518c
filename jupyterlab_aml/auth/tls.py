"""Which certificate authorities outgoing https trusts: the system's plus an optional bundle.

A corporate TLS-inspecting proxy re-signs every https answer with its own root. Users point
``ca_bundle`` (or the usual REQUESTS_CA_BUNDLE / SSL_CERT_FILE) at that root. The bundle is
added to the default trust, not put in its place, so a bundle with only the corporate root
still lets the server reach hosts the proxy does not inspect.
"""

from __future__ import annotations

import logging
import os
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import certifi

log = logging.getLogger(__name__)
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE")


def ca_bundle_from_env() -> str:
    """The first CA bundle named by the environment, or ''."""
    return next((os.environ[name] for name in CA_BUNDLE_ENV if os.environ.get(name)), "")


@dataclass
class TrustStore:
    """The trust for one server: an ``ssl.SSLContext`` for aiohttp and a PEM file for
    azure-identity (requests), built once from the same sources."""

    ca_bundle: str = ""
    _context: ssl.SSLContext | None = field(default=None, repr=False)
    _pem_path: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # A wrong path must not stop Jupyter: say so, and trust the defaults only.
        if self.ca_bundle and not Path(self.ca_bundle).is_file():
            log.error("jupyterlab_aml: ca_bundle %r is not a file; ignoring it", self.ca_bundle)
            self.ca_bundle = ""

    @property
    def ssl_context(self) -> ssl.SSLContext:
        """Default verification plus the bundle's roots."""
        if self._context is None:
            context = ssl.create_default_context(cafile=certifi.where())
            context.load_default_certs()
            if self.ca_bundle:
                context.load_verify_locations(cafile=self.ca_bundle)
            self._context = context
        return self._context

    @property
    def pem_path(self) -> str | None:
        """A PEM file with certifi's roots and the bundle's (requests replaces, never adds,
        so the union is written out once); None when no bundle is set."""
        if not self.ca_bundle:
            return None
        if self._pem_path is None:
            combined = Path(certifi.where()).read_text() + "\n" + Path(self.ca_bundle).read_text()
            handle, path = tempfile.mkstemp(prefix="jupyterlab-aml-ca-", suffix=".pem")
            with os.fdopen(handle, "w") as out:
                out.write(combined)
            self._pem_path = path
        return self._pem_path

    def close(self) -> None:
        """Remove the combined PEM file."""
        if self._pem_path:
            Path(self._pem_path).unlink(missing_ok=True)
            self._pem_path = None
