"""The asyncio client, and the one path every request of every method takes."""

from __future__ import annotations

import asyncio
import collections
import secrets
from collections.abc import Callable, Iterable
from typing import Any, Generic

from .._core.backoff import Backoff
from .._core.clock import Clock, SystemClock
from .._core.hooks import Auth, R
from .._core.log import logger
from .._core.ratelimit import ORDER_METHODS, Cost, RateLimiter, RateLimitMode
from .._core.signing import KeyInput, Signer, make_signer
from .._generated.methods import METHODS, AsyncApi
from .._generated.models import OrderStatusResult, SessionLogonResponse, SessionStatusResponse
from .._io.connection import Connection
from .._io.supervisor import Supervisor
from .._services.keepalive import (
    DEFAULT_INTERVAL,
    DEFAULT_SAFETY_MARGIN,
    Keepalive,
    KeepaliveEvent,
    KeepaliveFleet,
)
from .._services.user_stream import UserDataEvents
from ..errors import (
    ApiError,
    ConnectionClosedError,
    OrderStatusUnknownError,
    RequestTimeoutError,
    ServerError,
    redact,
)
from .settings import PROD_URL, TESTNET_URL, ConnectionSettings, check_url, with_query

__all__ = ["AsyncClient"]

_DEFAULT_CONNECTION = ConnectionSettings()
_TIMED = frozenset({"session.status", "session.logon"})  # replies carry serverTime
_ORDER_ACTIONS: dict[str, tuple[str, str | None, bool]] = {
    # Calls never sent twice: the parameters naming their order (client id, id), and
    # whether a client id is generated when the call has none.
    "order.place": ("newClientOrderId", None, True),
    "order.modify": ("origClientOrderId", "orderId", False),
    "order.cancel": ("origClientOrderId", "orderId", False),
    "algoOrder.place": ("clientAlgoId", None, True),
    "algoOrder.cancel": ("clientAlgoId", "algoId", False),
}


class AsyncClient(AsyncApi):
    """Client of the Binance USDⓈ-M Futures WebSocket API over one connection.

    Methods are grouped by wire name (``userDataStream.ping`` is
    ``client.user_data_stream.ping()``), take keyword arguments only, return
    the typed reply and raise an :class:`~binance_usdm_ws.errors.ApiError`
    subclass for any status but 200. Many calls may be in flight at once.

    Use ``async with AsyncClient(...) as client:`` (or :meth:`connect` and
    :meth:`close`); a call before ``connect()`` connects. The client keeps its
    connection: it re-dials after a close (backoff with jitter) and replaces
    it before the server's 24-hour limit. Calls in flight when it drops fail
    at once with :class:`~binance_usdm_ws.errors.ConnectionClosedError`; calls
    made meanwhile wait for the new one, within their timeout. A request that
    never left the client is sent on the next connection; one that may have
    been sent is sent again only for an idempotent method (``retries``). Signed
    calls are stamped with the server's time (:attr:`time_offset`); a -1021 measures
    it again and resends once. Order calls (``order.place``/``modify``/``cancel``,
    ``algoOrder.*``) are never sent twice: when their outcome is unknown they raise
    :class:`~binance_usdm_ws.errors.OrderStatusUnknownError`, which :meth:`resolve_order`
    settles; ``order.place`` and ``algoOrder.place`` get a random client id if none.

    Args:
        api_key: default API key of the methods that need one (each call may
            pass ``api_key=``). Never printed in full.
        api_secret: the HMAC secret key signing TRADE and USER_DATA methods; or
        private_key: an RSA or Ed25519 private key (PEM text or bytes, or a path; needs
            the ``crypto`` extra), with ``private_key_password`` if encrypted.
            Neither: signed methods go out unsigned. Never printed, logged or raised.
        session_logon: with an Ed25519 ``private_key``: log each connection on
            (``session.logon``) as it opens; signed calls wait for it and then go out
            without ``apiKey`` and ``signature`` (those with another ``api_key`` sign).
        recv_window: ``recvWindow`` of signed methods, in ms (at most 60000).
        url: endpoint; default production (testnet with ``testnet=True``).
        timeout: default seconds to wait for a reply; ``None`` waits forever.
        return_rate_limits: False asks the server to leave ``rateLimits`` out
            of replies unless a call asks for them.
        clock: where long waits (re-dial, rotation, keepalive, pacing) sleep;
            tests pass a :class:`~binance_usdm_ws.testing.FakeClock`.
        rate_limit: pacing by the ``rateLimits`` replies report: ``"wait"``
            holds a call that would exceed a limit until its window ends,
            ``"raise"`` refuses it (:class:`~binance_usdm_ws.errors.ClientRateLimitedError`),
            ``"off"`` sends everything. After a 429/418 calls wait for ``retryAfter``.
        retries: how often a call of an idempotent method is sent again after
            a lost connection or a 5xx, within its timeout.
        max_pending: calls in flight at most; more wait for a slot.
        connection: rarely changed settings of the connection
            (:class:`~binance_usdm_ws.ConnectionSettings`).

    Raises:
        ValueError: a bad option.
    """

    def __init__(
        self,
        api_key: str | None = None,
        *,
        api_secret: str | None = None,
        private_key: KeyInput | None = None,
        private_key_password: str | bytes | None = None,
        session_logon: bool = False,
        recv_window: int = 5000,
        url: str | None = None,
        testnet: bool = False,
        timeout: float | None = 10.0,
        return_rate_limits: bool = True,
        clock: Clock | None = None,
        rate_limit: RateLimitMode = "wait",
        retries: int = 2,
        max_pending: int = 10_000,
        connection: ConnectionSettings | None = None,
    ) -> None:
        super().__init__()
        if api_key is not None and not isinstance(api_key, str):
            raise TypeError("api_key must be a str")
        if url is not None and testnet:
            raise ValueError("pass either url or testnet=True, not both")
        if timeout is not None and timeout <= 0:
            raise ValueError("timeout must be positive (or None to wait forever)")
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        if not 0 < recv_window <= 60_000:
            raise ValueError("recv_window must be more than 0 and at most 60000 (ms)")
        self._signer: Signer | None = make_signer(api_secret, private_key, private_key_password)
        self._recv_window = recv_window
        if session_logon and (
            not api_key or self._signer is None or self._signer.kind != "Ed25519"
        ):
            raise ValueError("session_logon needs an api_key and an Ed25519 private_key")
        self._session_logon = session_logon
        self._logons: dict[Connection, asyncio.Task[None]] = {}
        settings = connection or _DEFAULT_CONNECTION
        self._api_key = api_key or None
        base = check_url(
            url or (TESTNET_URL if testnet else PROD_URL), allow_insecure=settings.allow_insecure
        )
        self._url = base if return_rate_limits else with_query(base, "returnRateLimits", "false")
        self._timeout = timeout
        self._clock: Clock = clock or SystemClock()
        self._supervisor = Supervisor(
            self._url,
            settings.dial_options(),
            self._clock,
            backoff=settings.reconnect_backoff,
            max_age=settings.max_connection_age,
            on_open=self._on_open,
        )
        self._limiter = RateLimiter(self._clock, rate_limit)
        self._retries = retries
        self._retry_backoff = Backoff(0.05, 1.0)
        self._max_pending = max_pending
        self._in_flight = 0
        self._slot_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        # method (or (method, weight) when the weight depends on the call) -> policy
        self._policies: dict[str | tuple[str, int | str], tuple[Cost, int]] = {}
        self._time_offset = 0

    def __repr__(self) -> str:
        key = redact(self._api_key) if self._api_key else None
        return f"{type(self).__name__}(url={self._url!r}, api_key={key!r})"

    @property
    def url(self) -> str:
        """The endpoint, with any query string the client adds."""
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
    def time_offset(self) -> int:
        """Estimated server clock minus local clock, in ms, added to every ``timestamp``;
        from the last ``session.status``/``session.logon`` reply (0 until one)."""
        return self._time_offset

    @property
    def rate_limiter(self) -> RateLimiter:
        """The client's rate limits, through which its services reserve their share."""
        return self._limiter

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._supervisor.current is not None

    @property
    def connections_opened(self) -> int:
        """How many connections the client has opened (re-dials and rotations included)."""
        return self._supervisor.connections_opened

    async def connect(self) -> AsyncClient:
        """Open the connection (if not open yet) and keep one open until :meth:`close`.

        Raises:
            ConnectionClosedError: the first connection could not be opened.
        """
        await self._supervisor.start()
        timeout = self._timeout
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        while self._session_logon:  # logged on, or the logon's error
            connection = await self._supervisor.connection(timeout, "session.logon")
            try:
                await self._logged_on(connection, self._remaining(deadline))
                break
            except ConnectionClosedError:  # dropped during the logon: on the next connection
                timeout = self._remaining(deadline)
        return self

    async def close(self) -> None:
        """Close the connection; calls waiting, and calls until :meth:`connect`, fail with
        ``ConnectionClosedError``."""
        await self._supervisor.close()
        logons, self._logons = self._logons, {}
        for logon in logons.values():
            logon.cancel()  # their connections are closed: nothing to log on to

    async def __aenter__(self) -> AsyncClient:
        return await self.connect()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _key_for(self, service: str, api_key: str | None) -> str:
        key = api_key if api_key is not None else self._api_key
        if not key:
            raise ValueError(f"{service} needs an API key: pass api_key= to AsyncClient or here")
        return key

    def keepalive(
        self,
        api_key: str | None = None,
        *,
        interval: float = DEFAULT_INTERVAL,
        jitter: float = 0.1,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        keep_keys: bool = False,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
        backoff: Backoff | None = None,
    ) -> Keepalive:
        """A :class:`~binance_usdm_ws.Keepalive` of ``api_key``'s listenKey (default: the
        client's key). Raises ``ValueError`` without a key or for a bad option."""
        return Keepalive(
            self,
            self._key_for("keepalive", api_key),
            interval=interval,
            jitter=jitter,
            safety_margin=safety_margin,
            keep_keys=keep_keys,
            on_event=on_event,
            backoff=backoff,
        )

    def keepalive_fleet(
        self,
        api_keys: Iterable[str],
        *,
        interval: float = DEFAULT_INTERVAL,
        jitter: float = 0.1,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        weight_budget: float = 0.5,
        concurrency: int = 32,
        keep_keys: bool = False,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
        backoff: Backoff | None = None,
    ) -> KeepaliveFleet:
        """A :class:`~binance_usdm_ws.KeepaliveFleet` of many API keys' listenKeys over
        this connection, paced through :attr:`rate_limiter`. Raises ``ValueError`` for a
        bad option."""
        return KeepaliveFleet(
            self,
            api_keys,
            interval=interval,
            jitter=jitter,
            safety_margin=safety_margin,
            weight_budget=weight_budget,
            concurrency=concurrency,
            keep_keys=keep_keys,
            on_event=on_event,
            backoff=backoff,
        )

    def user_data_events(
        self,
        api_key: str | None = None,
        *,
        stream_url: str | None = None,
        idle_timeout: float | None = 6 * 60.0,
        open_timeout: float | None = 10.0,
        backoff: Backoff | None = None,
        interval: float = DEFAULT_INTERVAL,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        keep_keys: bool = True,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
    ) -> UserDataEvents:
        """:class:`~binance_usdm_ws.UserDataEvents`: the user data stream of ``api_key``
        (default: the client's key) as typed events and gaps. Raises ``ValueError``
        without a key or for a bad option."""
        return UserDataEvents(
            self,
            self._key_for("user_data_events", api_key),
            stream_url=stream_url,
            idle_timeout=idle_timeout,
            open_timeout=open_timeout,
            backoff=backoff,
            interval=interval,
            safety_margin=safety_margin,
            keep_keys=keep_keys,
            on_event=on_event,
        )

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
        """The one request path: fill the request in, then attempt until done.

        An attempt (:meth:`_attempt`) paces, takes a slot, gets a connection (logged on,
        in session mode), stamps and signs, sends and decodes; after a failed one
        :meth:`_retry_delay` decides, except that a signed call's first -1021 measures
        the server time again and resends.
        """
        call = _Call(method, params, response_type)
        if auth is not Auth.NONE:
            key = api_key if api_key is not None else self._api_key
            if not key:
                raise ValueError(
                    f"{method} needs an API key: pass api_key= to AsyncClient or to the call"
                )
            if auth is Auth.SIGNED:  # timestamp and signature as the frame goes out
                call.signed = True
                # In session mode the connection's logon stands for apiKey and signature.
                call.logon = (
                    self._session_logon and key == self._api_key and method != "session.logon"
                )
                params.setdefault("recvWindow", self._recv_window)
                if (action := _ORDER_ACTIONS.get(method)) is not None:
                    call.action = action
                    if action[2] and action[0] not in params:  # the same if resent
                        params[action[0]] = secrets.token_hex(16)
                if method in ORDER_METHODS:
                    call.account = key
            if not call.logon:
                params["apiKey"] = key
        if return_rate_limits is not None:
            params["returnRateLimits"] = return_rate_limits
        if timeout is None:
            timeout = self._timeout
        policy_key = method if call.account is None else (method, call.account)
        call.cost, retries = self._policies.get(policy_key) or self._policy(
            method, params, call.account
        )
        call.timed = method in _TIMED
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        retried = 0
        resend = synced = False
        while True:
            try:
                return await self._attempt(call, deadline, timeout, resend)
            except (ApiError, ConnectionClosedError) as failure:
                if (
                    call.signed
                    and isinstance(failure, ApiError)
                    and failure.code == -1021
                    and not synced
                ):
                    synced = True  # rejected, not executed: measure the offset, send once more
                    await self.session.status(timeout=self._remaining(deadline))
                    delay = None
                else:
                    delay = self._retry_delay(failure, retried, retries, deadline)
                if delay is not None:
                    retried += 1
                    logger.info(
                        "retrying %s (attempt %d) in %.2f s: %s", method, retried, delay, failure
                    )
                    await self._clock.sleep(delay)
            resend = True
            timeout = self._remaining(deadline)

    def _retry_delay(
        self,
        failure: ApiError | ConnectionClosedError,
        retried: int,
        retries: int,
        deadline: float | None,
    ) -> float | None:
        """After a failed attempt: ``None`` to send at once, seconds to wait before
        sending again, or ``failure`` raised when the call is over."""
        now = asyncio.get_running_loop().time()
        if isinstance(failure, ConnectionClosedError) and not failure.sent:
            # Never left the client: sending it now is not a retry, unless there is
            # nothing to send it on (closed, or no connection came in time).
            if self._supervisor.closed or (deadline is not None and now >= deadline):
                raise failure
            return None
        if retried >= retries or not isinstance(failure, (ServerError, ConnectionClosedError)):
            raise failure  # not idempotent, retried enough, or an answer (4xx, 429, 418)
        delay = self._retry_backoff.delay(retried)
        if deadline is not None and now + delay >= deadline:
            raise failure
        return delay

    def _policy(
        self, method: str, params: dict[str, Any], account: str | None = None
    ) -> tuple[Cost, int]:
        """What one call of ``method`` with ``params`` costs in rate limits (ORDERS too, for
        an order of ``account``), and how often it may be retried."""
        info = METHODS.get(method)
        weight = info.weight_of(params) if info is not None else 1
        key: str | tuple[str, int | str] = method
        if account is not None:
            key = (method, account)
        elif info is not None and info.weight_by:
            key = (method, weight)
        policy = self._policies.get(key)
        if policy is None:
            retries = self._retries if info is not None and info.idempotent else 0
            amounts = {"REQUEST_WEIGHT": weight, "ORDERS": 1 if account is not None else 0}
            cost = self._limiter.cost(amounts, account)
            policy = self._policies[key] = (cost, retries)
        return policy

    async def _attempt(
        self, call: _Call[R], deadline: float | None, timeout: float | None, resend: bool
    ) -> R:
        """Pace, take a slot, get a connection, stamp and sign, send; the decoded reply or
        an exception (:class:`OrderStatusUnknownError` when an order call's fate is unknown).

        ``timeout`` is what is left until ``deadline`` as the attempt starts. ``resend``: an
        attempt failed before, so wait for an open connection rather than take the newest
        (it may be closing). A signed call is stamped last, so waits never make its
        timestamp stale.
        """
        limiter, method, params, cost = self._limiter, call.method, call.params, call.cost
        if not limiter.take(cost):
            await limiter.acquire(cost, method, timeout)
            timeout = self._remaining(deadline)
        # A logon takes no slot: the calls holding them may be waiting for it.
        if self._in_flight >= self._max_pending and call.connection is None:
            await self._wait_for_slot(method, timeout)
            timeout = self._remaining(deadline)
        self._in_flight += 1
        try:
            connection = call.connection or self._supervisor.latest
            if connection is None or (resend and call.connection is None):
                connection = await self._supervisor.connection(timeout, method)
                timeout = self._remaining(deadline)
            if call.signed:
                if call.logon:
                    await self._logged_on(connection, timeout)
                    timeout = self._remaining(deadline)
                params["timestamp"] = self._now_ms()
                if self._signer is not None and not call.logon:
                    params["signature"] = self._signer(params)
            sent_at = asyncio.get_running_loop().time() if call.timed else 0.0
            try:
                reply = await connection.request(method, params, call.response_type, timeout)
            except (ApiError, ConnectionClosedError, RequestTimeoutError) as failure:
                if call.action is not None and _outcome_unknown(failure):
                    if isinstance(failure, ApiError):
                        limiter.observe_error(failure, call.account)
                    raise self._unknown(call, failure) from failure
                raise
            if call.timed:
                self._measure(reply, sent_at)
            elif method == "session.logout":
                self._logons.pop(connection, None)  # the next signed call logs on again
        except ApiError as error:
            limiter.observe_error(error, call.account)
            raise
        except ConnectionClosedError as error:
            if not error.sent:
                limiter.refund(cost)  # counted again when it is sent
            raise
        finally:
            self._release_slot()
        limiter.observe(reply.rate_limits, call.account)
        return reply

    def _now_ms(self) -> int:
        """The server's clock as estimated here: the local clock plus :attr:`time_offset`."""
        return int(self._clock.time() * 1000) + self._time_offset

    def _measure(self, reply: Any, sent_at: float) -> None:
        """Take :attr:`time_offset` from a reply's ``serverTime``, less half the round trip."""
        server_ms = getattr(getattr(reply, "result", None), "server_time", None)
        if isinstance(server_ms, int):
            half_trip = (asyncio.get_running_loop().time() - sent_at) * 500
            self._time_offset = round(server_ms + half_trip - self._clock.time() * 1000)

    def _unknown(
        self, call: _Call[Any], failure: ApiError | ConnectionClosedError | RequestTimeoutError
    ) -> OrderStatusUnknownError:
        params = call.params
        assert call.action is not None
        client_id, order_id, _ = call.action
        return OrderStatusUnknownError(
            method=call.method,
            symbol=params.get("symbol"),
            client_order_id=params.get(client_id),
            order_id=params.get(order_id) if order_id else None,
            valid_until=params["timestamp"] + params["recvWindow"],
            api_key=params.get("apiKey") or self._api_key,
            cause=failure,
        )

    async def resolve_order(
        self, error: OrderStatusUnknownError, *, timeout: float | None = None
    ) -> OrderStatusResult | None:
        """What became of the order call behind ``error``: the order as the server has it
        now (``order.status`` by client order id, or order id), or ``None`` if there is no
        such order, so it was not placed.

        Safe to call at once: it waits out a re-dial (within ``timeout``), and a request
        that might still reach the server is given until its ``recvWindow`` ends before
        ``None`` is returned. For ``order.modify`` and ``order.cancel`` compare the order's
        price, quantity or status with what was asked. Algo orders cannot be looked up over
        the WebSocket API: for them this raises ``ValueError`` (watch ``ALGO_UPDATE`` events).

        Raises:
            ValueError: ``error`` is about an algo order, or names no order.
            ApiError: the query failed (other than "no such order", -2013).
        """
        if error.method.startswith("algoOrder.") or error.symbol is None:
            raise ValueError(
                f"{error.method}: cannot be resolved with order.status; "
                "watch ALGO_UPDATE on the user data stream"
            )
        if error.client_order_id is None and error.order_id is None:
            raise ValueError(f"{error.method}: the call named no order to look up")
        while True:
            try:
                reply = await self.order.status(
                    symbol=error.symbol,
                    orig_client_order_id=error.client_order_id,
                    order_id=None if error.client_order_id is not None else error.order_id,
                    api_key=error.api_key,
                    timeout=timeout,
                )
                return reply.result
            except ApiError as exc:
                if exc.code != -2013:  # -2013: "Order does not exist."
                    raise
            wait = ((error.valid_until or 0) - self._now_ms()) / 1000
            if wait <= 0:
                return None
            await self._clock.sleep(wait)  # one still on its way may yet be executed

    # -- session logon ---------------------------------------------------------------------

    def _on_open(self, connection: Connection) -> None:
        """A new connection (first, re-dial or rotation): log it on, in session mode."""
        if self._session_logon:
            self._log_on(connection)

    def _log_on(self, connection: Connection) -> asyncio.Task[None]:
        for old in [c for c in self._logons if c.closed]:
            del self._logons[old]
        task = asyncio.get_running_loop().create_task(
            self._logon(connection), name="binance_usdm_ws session.logon"
        )
        task.add_done_callback(_report_logon)
        self._logons[connection] = task
        return task

    async def _logged_on(self, connection: Connection, timeout: float | None) -> None:
        """Wait for ``connection``'s logon, starting one if it has none or the last failed;
        raise its error if it fails."""
        logon = self._logons.get(connection)
        if logon is not None and logon.done() and not logon.cancelled() and not logon.exception():
            return  # logged on: the common case, without a trip through the event loop
        if logon is None or logon.done():
            logon = self._log_on(connection)
        try:
            await asyncio.wait_for(asyncio.shield(logon), timeout)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(
                f"not sent: session.logon had no reply within {timeout:.3g} s", sent=False
            ) from None
        except (ConnectionClosedError, RequestTimeoutError) as exc:  # the call never left
            raise ConnectionClosedError(
                f"not sent: session.logon failed: {exc}", sent=False
            ) from exc

    async def _logon(self, connection: Connection) -> None:
        """``session.logon`` on ``connection`` with the client's key (Ed25519-signed); on
        -1021 the server's clock is measured (``session.status``) and it logs on once more."""
        try:
            await self._on_connection(connection, "session.logon", SessionLogonResponse)
        except ApiError as error:
            if error.code != -1021:
                raise
            await self._on_connection(connection, "session.status", SessionStatusResponse)
            await self._on_connection(connection, "session.logon", SessionLogonResponse)

    async def _on_connection(
        self, connection: Connection, method: str, response_type: type[R]
    ) -> R:
        """One ``session.*`` call on ``connection`` itself, not the newest one, and not
        retried: one attempt of the request path (paced, stamped and signed, timed)."""
        params: dict[str, Any] = {}
        call = _Call(method, params, response_type)
        call.connection = connection
        call.timed = True
        if method == "session.logon":
            params.update(apiKey=self._api_key, recvWindow=self._recv_window)
            call.signed = True
        call.cost = self._policy(method, params)[0]
        timeout = self._timeout
        deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout
        return await self._attempt(call, deadline, timeout, False)

    @staticmethod
    def _remaining(deadline: float | None) -> float | None:
        if deadline is None:
            return None
        return max(0.0, deadline - asyncio.get_running_loop().time())

    async def _wait_for_slot(self, method: str, timeout: float | None) -> None:
        """Wait until fewer than ``max_pending`` calls are in flight, within ``timeout``."""
        while self._in_flight >= self._max_pending:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._slot_waiters.append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except asyncio.TimeoutError:
                raise RequestTimeoutError(
                    f"{method} was not sent: {self._max_pending} calls were in flight "
                    f"for {timeout:.3g} s (max_pending)",
                    sent=False,
                ) from None

    def _release_slot(self) -> None:
        self._in_flight -= 1
        waiters = self._slot_waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


class _Call(Generic[R]):
    """One call on its way: what :meth:`AsyncClient._attempt` needs on every attempt."""

    __slots__ = (
        "account",
        "action",
        "connection",
        "cost",
        "logon",
        "method",
        "params",
        "response_type",
        "signed",
        "timed",
    )

    def __init__(self, method: str, params: dict[str, Any], response_type: type[R]) -> None:
        self.method = method
        self.params = params
        self.response_type = response_type
        self.cost: Cost = ()
        self.account: str | None = None  # whose ORDERS limits it counts in
        self.signed = self.logon = self.timed = False
        self.connection: Connection | None = None  # this one, not the newest (a logon's)
        self.action: tuple[str, str | None, bool] | None = None  # see _ORDER_ACTIONS


def _outcome_unknown(failure: ApiError | ConnectionClosedError | RequestTimeoutError) -> bool:
    """Whether the server may have executed a request that failed this way."""
    if isinstance(failure, ApiError):
        return isinstance(failure, ServerError) or failure.code in (-1006, -1007)
    return failure.sent


def _report_logon(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and (error := task.exception()) is not None:
        logger.warning("session.logon failed: %s", error)
