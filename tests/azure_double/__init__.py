"""A loopback Azure for tests and benches: ARM, an Entra ID authority and an Azure ML MLflow
front on https with a test CA, plus injectable credentials whose tokens last seconds.

    with AzureDouble() as double:
        double.add_workspace("sub", "rg", "ws", mlflow_server.url)
        credential = ShortLivedCredential(double, "alice@contoso.com", lifetime=3)
"""

from .credentials import AsyncShortLivedCredential, ShortLivedCredential
from .double import AzureDouble, SeenRequest
from .registry import Workspace
from .tokens import IssuedToken, Verdict, audience_of

__all__ = [
    "AsyncShortLivedCredential",
    "AzureDouble",
    "IssuedToken",
    "SeenRequest",
    "ShortLivedCredential",
    "Verdict",
    "Workspace",
    "audience_of",
]
