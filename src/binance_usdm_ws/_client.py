"""The public asyncio client."""

from __future__ import annotations

import asyncio
import ipaddress
import ssl as _ssl
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ._hooks import Auth
from ._methods import AsyncApi
from ._transport import Connection
from .errors import ConnectionClosedError, redact

__all__ = ["PROD_URL", "TESTNET_URL", "AsyncClient"]

PROD_URL = "wss://ws-fapi.binance.com/ws-fapi/v1"
"""Production endpoint of the USDⓈ-M Futures WebSocket API."""
TESTNET_URL = "wss://testnet.binancefuture.com/ws-fapi/v1"
"""Testnet endpoint."""

R = TypeVar("R")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, *, allow_insecure: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss"):
        raise ValueError(f"url must start with wss:// (or ws:// for loopback), not {url!r}")
    if not parts.hostname:
        raise ValueError(f"url has no host: {url!r}")
    if parts.scheme == "ws" and not allow_insecure and not _is_loopback(parts.hostname):
        raise ValueError(
            f"refusing to send an API key in clear text to {parts.hostname}: use wss://, "
            "or pass allow_insecure=True"
        )
    return url


def _with_query(url: str, key: str, value: str) -> str:
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{key}={value}"


class AsyncClient(AsyncApi):
    """Client of the Binance USDⓈ-M Futures WebSocket API over one connection.

    Methods are grouped by the dotted wire name (``userDataStream.ping`` is
    ``client.user_data_stream.ping()``); every method takes keyword
    arguments only and returns the typed reply, or raises an
    :class:`~binance_usdm_ws.errors.ApiError` subclass for any status other
    than 200. Many calls may be in flight at once.

    Use it as ``async with AsyncClient(...) as client:``, or ``await
    AsyncClient(...).connect()`` and later ``await client.close()``. A call
    made while not connected opens the connection first; after a connection
    is lost, the next call opens a new one.

    Args:
        api_key: default API key for methods that need one; each call may
            pass its own ``api_key=`` instead. Never printed in full.
        url: endpoint; defaults to production (or testnet with ``testnet=True``).
        testnet: use :data:`TESTNET_URL`.
        timeout: default seconds to wait for each reply; ``None`` waits forever.
        return_rate_limits: when False, the server leaves ``rateLimits`` out
            of replies unless a call asks for them (``?returnRateLimits=false``).
        open_timeout: seconds to wait for the connection to open.
        ping_interval, ping_timeout: WebSocket keepalive pings sent by the
            client (``None`` disables them). Server pings are always answered.
        max_size: largest frame accepted from the server, in bytes.
        ssl: TLS context for ``wss://``; the default verifies certificates.
        allow_insecure: allow ``ws://`` to a host that is not loopback.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        url: str | None = None,
        testnet: bool = False,
        timeout: float | None = 10.0,
        return_rate_limits: bool = True,
        open_timeout: float | None = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_size: int | None = 2**20,
        ssl: _ssl.SSLContext | None = None,
        allow_insecure: bool = False,
    ) -> None:
        super().__init__()
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError("api_key must be a str")
        if url is not None and testnet:
            raise ValueError("pass either url or testnet=True, not both")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive (or None to wait forever)")
        self._api_key = api_key or None
        base = _check_url(
            url or (TESTNET_URL if testnet else PROD_URL), allow_insecure=allow_insecure
        )
        self._url = base if return_rate_limits else _with_query(base, "returnRateLimits", "false")
        self._timeout = timeout
        self._connect_options: dict[str, Any] = {
            "open_timeout": open_timeout,
            "ping_interval": ping_interval,
            "ping_timeout": ping_timeout,
            "max_size": max_size,
            "ssl_context": ssl,
        }
        self._connection: Connection | None = None
        self._connecting: asyncio.Lock | None = None
        self._closed = False

    def __repr__(self) -> str:
        key = redact(self._api_key) if self._api_key else None
        return f"{type(self).__name__}(url={self._url!r}, api_key={key!r})"

    @property
    def url(self) -> str:
        """The endpoint, including any query string the client adds."""
        return self._url

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._connection is not None and not self._connection.closed

    async def connect(self) -> AsyncClient:
        """Open the connection (if not open yet) and return the client.

        Raises:
            ConnectionClosedError: the connection could not be opened.
        """
        self._closed = False
        await self._open()
        return self

    async def close(self) -> None:
        """Close the connection. Calls still waiting fail with ``ConnectionClosedError``.

        Calls made after ``close()`` fail too, until :meth:`connect` is called again.
        """
        self._closed = True
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()

    async def __aenter__(self) -> AsyncClient:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _open(self) -> Connection:
        connection = self._connection
        if connection is not None and not connection.closed:
            return connection
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            connection = self._connection
            if connection is None or connection.closed:
                connection = await Connection.open(self._url, **self._connect_options)
                self._connection = connection
            return connection

    async def _request(
        self,
        method: str,
        params: dict[str, Any],
        response_type: type[R],
        *,
        auth: Auth,
        api_key: str | None,
        return_rate_limits: bool | None,
        timeout: float | None,
    ) -> R:
        if auth is Auth.API_KEY:
            key = api_key if api_key is not None else self._api_key
            if not key:
                raise ValueError(
                    f"{method} needs an API key: pass api_key= to AsyncClient or to the call"
                )
            params["apiKey"] = key
        if return_rate_limits is not None:
            params["returnRateLimits"] = return_rate_limits
        if self._closed:
            raise ConnectionClosedError(f"{method}: the client is closed")
        connection = self._connection
        if connection is None or connection.closed:
            connection = await self._open()
        return await connection.request(
            method, params, response_type, self._timeout if timeout is None else timeout
        )
