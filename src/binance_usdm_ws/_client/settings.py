"""Where the client connects, and how: endpoints, URL checks, :class:`ConnectionSettings`."""

from __future__ import annotations

import dataclasses
import ipaddress
import ssl as _ssl
from typing import Any
from urllib.parse import urlsplit

from .._core.backoff import Backoff

__all__ = ["PROD_URL", "TESTNET_URL", "ConnectionSettings", "check_url", "with_query"]

PROD_URL = "wss://ws-fapi.binance.com/ws-fapi/v1"
TESTNET_URL = "wss://testnet.binancefuture.com/ws-fapi/v1"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """How the client opens and keeps its connection: ``AsyncClient(connection=...)``.

    Args:
        open_timeout: seconds to wait for the connection to open.
        ping_interval, ping_timeout: the client's pings (``None``: off); server pings are answered.
        max_size: largest frame accepted from the server, in bytes.
        ssl: TLS context for ``wss://``; the default verifies certificates.
        allow_insecure: allow ``ws://`` to a host that is not loopback.
        reconnect_backoff: delays between re-dials (default 0.5 s doubling to 30 s, jittered).
        max_connection_age: seconds until the connection is replaced (None: never; server cap 24 h).
    """

    open_timeout: float | None = 10.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    max_size: int | None = 2**20
    ssl: _ssl.SSLContext | None = None
    allow_insecure: bool = False
    reconnect_backoff: Backoff | None = None
    max_connection_age: float | None = 23 * 3600

    def dial_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`binance_usdm_ws._io.socket.dial`."""
        names = ("open_timeout", "ping_interval", "ping_timeout", "max_size", "ssl")
        return {name: getattr(self, name) for name in names}


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(url: str, *, allow_insecure: bool) -> str:
    """``url`` if the client may send an API key there; else a ``ValueError`` saying why."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"url must start with wss:// (or ws:// for loopback), not {url!r}")
    if not parts.hostname:
        raise ValueError(f"url has no host: {url!r}")
    if parts.scheme == "ws" and not allow_insecure and not _is_loopback(parts.hostname):
        raise ValueError(
            f"refusing to send an API key in clear text to {parts.hostname}: use wss://, "
            "or pass ConnectionSettings(allow_insecure=True)"
        )
    return url


def with_query(url: str, key: str, value: str) -> str:
    """``url`` with ``key=value`` added to its query string."""
    return f"{url}{'&' if urlsplit(url).query else '?'}{key}={value}"
