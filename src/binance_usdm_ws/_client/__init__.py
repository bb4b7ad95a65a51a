"""The clients: :class:`AsyncClient` (the one request path every method takes) and its
blocking twin :class:`Client`."""

from __future__ import annotations

from .async_client import AsyncClient
from .settings import PROD_URL, TESTNET_URL, ConnectionSettings
from .sync_client import Client

__all__ = ["PROD_URL", "TESTNET_URL", "AsyncClient", "Client", "ConnectionSettings"]
