"""The public asyncio client."""

from __future__ import annotations

import asyncio
import collections
import ssl as _ssl
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ._clock import Clock, SystemClock
from ._hooks import Auth
from ._logging import logger
from ._methods import METHODS, AsyncApi
from ._pacing import Pacer, RateLimitMode
from ._supervisor import Backoff, Supervisor
from .errors import (
    ApiError,
    BinanceWsError,
    ConnectionClosedError,
    RequestTimeoutError,
    ServerError,
    redact,
)

if TYPE_CHECKING:
    from ._keepalive import Keepalive, KeepaliveFleet
    from ._user_stream import UserDataEvents

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
        import ipaddress  # only when a client is created with ws://

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
    made before ``connect()`` opens the connection itself. Once open, the
    client keeps a connection: after an unexpected close it re-dials with
    exponential backoff and jitter, and it replaces the connection before the
    server's 24-hour limit. Calls in flight when a connection drops fail at
    once with :class:`~binance_usdm_ws.errors.ConnectionClosedError`; calls
    made while re-dialling wait for the new connection, up to their timeout.
    A request that never left the client is sent on the new connection; one
    that may have been sent is never sent twice by the client.

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
        reconnect_backoff: delays between re-dial attempts (default 0.5 s
            doubling to 30 s, with jitter).
        max_connection_age: seconds after which the connection is replaced
            (default 23 h; ``None`` never).
        clock: where the client's long waits (re-dial backoff, connection
            age, keepalive intervals, pacing) come from; tests pass a
            :class:`~binance_usdm_ws.testing.FakeClock`.
        rate_limit: client-side pacing from the ``rateLimits`` replies
            report: ``"wait"`` (default) holds a call that would exceed the
            REQUEST_WEIGHT limit until the next minute, ``"raise"`` refuses
            it with :class:`~binance_usdm_ws.errors.ClientRateLimitedError`,
            ``"off"`` sends everything. After a 429/418 calls wait for the
            server's ``retryAfter`` (or the next minute).
        retries: how many times a call of an idempotent method (per the
            schema; e.g. the userDataStream methods) is sent again after a
            lost connection or a 5xx, within its timeout. Other methods are
            never sent twice.
        max_pending: calls in flight on a connection at most; more wait for
            a slot, within their timeout.
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
        reconnect_backoff: Backoff | None = None,
        max_connection_age: float | None = 23 * 3600,
        clock: Clock | None = None,
        rate_limit: RateLimitMode = "wait",
        retries: int = 2,
        max_pending: int = 10_000,
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
        self._clock: Clock = clock or SystemClock()
        self._supervisor = Supervisor(
            self._url,
            {
                "open_timeout": open_timeout,
                "ping_interval": ping_interval,
                "ping_timeout": ping_timeout,
                "max_size": max_size,
                "ssl_context": ssl,
            },
            self._clock,
            backoff=reconnect_backoff,
            max_age=max_connection_age,
        )
        self._closed = False
        self._pacer = Pacer(self._clock, rate_limit)
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self._retries = retries
        self._retry_backoff = Backoff(0.05, 1.0)
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._max_pending = max_pending
        self._in_flight = 0
        self._slot_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._policies: dict[str, tuple[int, int]] = {}  # method -> (weight, retries)

    def __repr__(self) -> str:
        key = redact(self._api_key) if self._api_key else None
        return f"{type(self).__name__}(url={self._url!r}, api_key={key!r})"

    @property
    def url(self) -> str:
        """The endpoint, including any query string the client adds."""
        return self._url

    @property
    def api_key(self) -> str | None:
        """The client's default API key."""
        return self._api_key

    @property
    def clock(self) -> Clock:
        """The clock the client (and its keepalive services) wait on."""
        return self._clock

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._supervisor.current is not None

    @property
    def connections_opened(self) -> int:
        """How many connections the client has opened (re-dials and rotations included)."""
        return self._supervisor.connections_opened

    async def connect(self) -> AsyncClient:
        """Open the connection (if not open yet) and return the client.

        From then on the client keeps a connection open: it re-dials after an
        unexpected close and replaces the connection before the server's
        24-hour limit, until :meth:`close`.

        Raises:
            ConnectionClosedError: the first connection could not be opened.
        """
        self._closed = False
        await self._supervisor.start()
        return self

    async def close(self) -> None:
        """Close the connection. Calls still waiting fail with ``ConnectionClosedError``.

        Calls made after ``close()`` fail too, until :meth:`connect` is called again.
        """
        self._closed = True
        await self._supervisor.close()

    def keepalive(self, api_key: str | None = None, **options: Any) -> Keepalive:
        """A service that keeps ``api_key``'s listenKey alive (default: the client's key).

        Use it as ``async with client.keepalive() as keepalive:``; it starts
        the key on entry (``keepalive.listen_key``) and closes it on exit.
        ``options`` are those of :class:`~binance_usdm_ws.KeepaliveFleet`
        (``interval``, ``jitter``, ``safety_margin``, ``keep_keys``,
        ``on_event``, …). Raises ``ValueError`` for bad options.
        """
        key = api_key if api_key is not None else self._api_key
        if not key:
            raise ValueError("keepalive needs an API key: pass api_key= to AsyncClient or here")
        from ._keepalive import Keepalive  # loaded on first use

        return Keepalive(self, key, **options)

    def keepalive_fleet(self, api_keys: Iterable[str], **options: Any) -> KeepaliveFleet:
        """A service that keeps the listenKeys of many API keys alive over this connection.

        Pings are spread over the interval and paced from the rate limits
        the server reports; see :class:`~binance_usdm_ws.KeepaliveFleet`.
        """
        from ._keepalive import KeepaliveFleet

        return KeepaliveFleet(self, api_keys, **options)

    def user_data_events(self, api_key: str | None = None, **options: Any) -> UserDataEvents:
        """The user data stream of ``api_key`` (default: the client's key) as typed events.

        Use it as ``async with client.user_data_events() as stream: async for
        item in stream:``. It keeps the listenKey alive, reconnects whenever
        the key changes or expires, the socket drops or goes idle, and yields
        a :class:`~binance_usdm_ws.StreamGap` after each interruption. The
        options are those of :class:`~binance_usdm_ws.UserDataEvents`
        (``stream_url``, ``idle_timeout``, ``backoff``, keepalive options).
        Raises ``ValueError`` for bad options.
        """
        key = api_key if api_key is not None else self._api_key
        if not key:
            raise ValueError(
                "user_data_events needs an API key: pass api_key= to AsyncClient or here"
            )
        from ._user_stream import UserDataEvents  # loads the event models on first use

        return UserDataEvents(self, key, **options)

    async def __aenter__(self) -> AsyncClient:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

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
        if timeout is None:
            timeout = self._timeout
        policy = self._policies.get(method)
        if policy is None:
            info = METHODS.get(method)
            weight = info.weight if info is not None and isinstance(info.weight, int) else 1
            policy = self._policies[method] = (
                weight,
                self._retries if info is not None and info.idempotent else 0,
            )
        weight, retries = policy
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        # The common case, kept short: a connection, a free slot, weight to spare. (The
        # connection may be closing: then its request() refuses with sent=False.)
        connection = self._supervisor.latest
        pacer = self._pacer
        if connection is None or self._in_flight >= self._max_pending or not pacer.take(weight):
            return await self._request_with_retries(
                method, params, response_type, weight, retries, deadline, 0, None
            )
        self._in_flight += 1
        try:
            reply = await connection.request(method, params, response_type, timeout)
        except ApiError as error:
            pacer.observe_error(error)
            if not isinstance(error, ServerError) or not retries:
                raise
            failure: BinanceWsError = error
        except ConnectionClosedError as error:
            if not error.sent:
                pacer.refund(weight)  # _request_with_retries counts it when it sends it
            elif not retries:
                raise
            failure = error
        else:
            pacer.observe(reply.rate_limits)  # type: ignore[attr-defined]
            return reply
        finally:
            self._release_slot()
        return await self._request_with_retries(
            method, params, response_type, weight, retries, deadline, 0, failure
        )

    async def _request_with_retries(
        self,
        method: str,
        params: dict[str, Any],
        response_type: type[R],
        weight: int,
        retries: int,
        deadline: float | None,
        attempt: int,
        failure: BinanceWsError | None,
    ) -> R:
        """Pace, wait for a slot and a connection, send; retry an idempotent method.

        ``failure`` is what ended the previous attempt (number ``attempt``),
        if there was one. A request that was never sent is sent again at
        once; one that may have been sent only if the method is idempotent.
        """
        loop = asyncio.get_running_loop()
        while True:
            if failure is not None:
                if isinstance(failure, ConnectionClosedError) and not failure.sent:
                    pass  # never left the client: sending it now is not a retry
                else:
                    delay = self._retry_backoff.delay(attempt)
                    attempt += 1
                    if deadline is not None and loop.time() + delay >= deadline:
                        raise failure
                    logger.info(
                        "retrying %s (attempt %d) in %.2f s: %s", method, attempt, delay, failure
                    )
                    await self._clock.sleep(delay)
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            await self._pacer.acquire(weight, method, remaining)
            await self._take_slot(method, remaining)
            try:
                reply = await self._send(method, params, response_type, remaining)
            except ApiError as error:
                self._pacer.observe_error(error)
                if not isinstance(error, ServerError) or attempt >= retries:
                    raise
                failure = error
            except ConnectionClosedError as error:
                # Not sent here means no connection came within the timeout: give up.
                if not error.sent or attempt >= retries:
                    raise
                failure = error
            else:
                self._pacer.observe(getattr(reply, "rate_limits", None))
                return reply
            finally:
                self._release_slot()

    async def _take_slot(self, method: str, timeout: float | None) -> None:
        """Take one of the ``max_pending`` slots, waiting for one within ``timeout``."""
        while self._in_flight >= self._max_pending:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._slot_waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except asyncio.TimeoutError:
                raise RequestTimeoutError(
                    f"{method} was not sent: {self._max_pending} calls were in flight "
                    f"for {timeout:.3g} s (max_pending)"
                ) from None
        self._in_flight += 1

    def _release_slot(self) -> None:
        self._in_flight -= 1
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _send(
        self, method: str, params: dict[str, Any], response_type: type[R], timeout: float | None
    ) -> R:
        """One attempt: send on the open connection, or wait for one."""
        connection = self._supervisor.current
        if connection is not None:
            try:
                return await connection.request(method, params, response_type, timeout)
            except ConnectionClosedError as exc:
                if exc.sent:
                    raise
        return await self._request_when_connected(method, params, response_type, timeout)

    async def _request_when_connected(
        self, method: str, params: dict[str, Any], response_type: type[R], timeout: float | None
    ) -> R:
        """Wait for a connection (up to ``timeout``) and send; resend what was never sent."""
        if self._closed:
            raise ConnectionClosedError(f"{method}: the client is closed", sent=False)
        self._supervisor.start_in_background()  # a no-op while it runs
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            remaining = None if deadline is None else max(0.0, deadline - loop.time())
            connection = await self._supervisor.connection(remaining, method)
            try:
                return await connection.request(method, params, response_type, remaining)
            except ConnectionClosedError as exc:
                if exc.sent or self._closed:
                    raise
