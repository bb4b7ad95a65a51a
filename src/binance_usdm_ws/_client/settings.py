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
"""Production endpoint of the USDⓈ-M Futures WebSocket API."""
TESTNET_URL = "wss://testnet.binancefuture.com/ws-fapi/v1"
"""Testnet endpoint."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ConnectionSettings:
    """How the client opens and keeps its connection: settings most programs never change.

    They are grouped, the way httpx groups ``Timeout`` and ``Limits``, so
    that the client's own signature stays about what a call does (key,
    endpoint, timeout, pacing, retries), the blocking twin and the command
    line pass them through as one value, and signing options can join the
    client without burying them::

        AsyncClient(api_key=..., connection=ConnectionSettings(open_timeout=3.0))

    Args:
        open_timeout: seconds to wait for the connection to open.
        ping_interval, ping_timeout: WebSocket keepalive pings sent by the
            client (``None`` disables them). Server pings are always answered.
        max_size: largest frame accepted from the server, in bytes.
        ssl: TLS context for ``wss://``; the default verifies certificates.
        allow_insecure: allow ``ws://`` to a host that is not loopback.
        reconnect_backoff: delays between re-dial attempts (default 0.5 s
            doubling to 30 s, with jitter).
        max_connection_age: seconds after which the connection is replaced
            (default 23 h, before the server's 24-hour limit; ``None`` never).
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
        return {
            "open_timeout": self.open_timeout,
            "ping_interval": self.ping_interval,
            "ping_timeout": self.ping_timeout,
            "max_size": self.max_size,
            "ssl": self.ssl,
        }


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
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
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{key}={value}"
