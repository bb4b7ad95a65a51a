"""The user data stream as typed events that never silently stop (:class:`UserDataEvents`)."""

from __future__ import annotations

import asyncio
import contextlib
import enum
from collections.abc import Callable
from typing import Any, TypeAlias
from urllib.parse import urlsplit, urlunsplit

import attrs

from .._core.backoff import Backoff
from .._core.events import UnknownEvent, UserDataEvent, decode_event
from .._core.log import logger
from .._generated.event_models import ListenKeyExpiredEvent
from .._io.socket import HandshakeRefused
from .._io.stream import StreamSocket
from .._io.tasks import cancel_and_wait
from ..errors import BinanceWsError, ConnectionClosedError, ProtocolError, redact
from . import ServiceHost
from .keepalive import (
    DEFAULT_INTERVAL,
    DEFAULT_SAFETY_MARGIN,
    Keepalive,
    KeepaliveEvent,
    ListenKeyRecreated,
    ListenKeyStopped,
    is_transient,
)

__all__ = [
    "STREAM_URL",
    "TESTNET_STREAM_URL",
    "GapReason",
    "StreamGap",
    "StreamItem",
    "UserDataEvents",
    "stream_url_for",
]

STREAM_URL = "wss://fstream.binance.com/private/ws"
"""Production user data stream base; the listenKey is appended as ``/<listenKey>``."""
TESTNET_STREAM_URL = "wss://fstream.binancefuture.com/ws"
"""Testnet user data stream base (the testnet's ``/private`` route is not documented)."""


def stream_url_for(api_url: str) -> str:
    """The user data stream base for a WebSocket API URL (production, testnet, or else
    ``/private/ws`` on the same host and port, e.g. for an emulator or a proxy)."""
    parts = urlsplit(api_url)
    known = {"ws-fapi.binance.com": STREAM_URL, "testnet.binancefuture.com": TESTNET_STREAM_URL}
    return known.get(parts.hostname or "") or urlunsplit(
        (parts.scheme, parts.netloc, "/private/ws", "", "")
    )


class GapReason(enum.Enum):
    """Why the stream was interrupted."""

    KEY_RECREATED = "key_recreated"
    """The keepalive service started a new listenKey (the old one was gone)."""
    KEY_EXPIRED = "key_expired"
    """The stream sent ``listenKeyExpired``; a new key was started."""
    DISCONNECTED = "disconnected"
    """The socket closed (or a new one could not be opened at first)."""
    IDLE = "idle"
    """No frame and no ping arrived for ``idle_timeout`` seconds."""


@attrs.frozen(kw_only=True)
class StreamGap:
    """The stream was interrupted and is live again: events in between may be missing. Delivered
    once per interruption (``reason``: its first cause), before any event of the new connection:
    reload the state you keep from REST."""

    reason: GapReason
    detail: str
    began_at: float
    """When the stream stopped being live (clock seconds; for ``IDLE``, its last frame)."""
    resumed_at: float
    """When the new connection opened (clock seconds)."""
    old_listen_key: str
    listen_key: str
    """The key the stream is connected with now (``old_listen_key`` unless it changed)."""


StreamItem: TypeAlias = UserDataEvent | StreamGap
"""What iterating a :class:`UserDataEvents` gives: events, and gaps between them."""


@attrs.define(eq=False)
class _Connection:
    socket: StreamSocket
    listen_key: str
    verdict: tuple[GapReason, str] | None = None  # why the stream closes it, once decided


class UserDataEvents:
    """Typed events from an API key's user data stream, across every reconnection.

    Made by :meth:`AsyncClient.user_data_events <binance_usdm_ws.AsyncClient.user_data_events>`.
    Entering starts the keepalive and the stream; events (:data:`UserDataEvent`) are buffered,
    without limit, from then on, in the server's order: load your state from REST after entering,
    and again on every :class:`StreamGap`. Iterating starts the stream too, but only ``async
    with`` (or :meth:`aclose`) stops it. A bad option raises ``ValueError``.

    Args:
        stream_url: the base of ``<stream_url>/<listenKey>`` (default: :func:`stream_url_for`).
        idle_timeout: seconds without a frame or a ping (the server pings every 3 minutes)
            after which the connection is replaced; ``None``: never.
        open_timeout, backoff: for opening a connection, and between failed attempts.
        interval, safety_margin, on_event: those of the :class:`~binance_usdm_ws.Keepalive`.
        keep_keys: leave the listenKey (shared by all readers of the stream) open on exit.
    """

    def __init__(
        self,
        client: ServiceHost,
        api_key: str,
        *,
        stream_url: str | None = None,
        idle_timeout: float | None = 6 * 60.0,
        open_timeout: float | None = 10.0,
        backoff: Backoff | None = None,
        interval: float = DEFAULT_INTERVAL,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
        keep_keys: bool = True,
        on_event: Callable[[KeepaliveEvent], object] | None = None,
    ) -> None:
        if idle_timeout is not None and idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive (or None)")
        base = stream_url or stream_url_for(client.url)
        parts = urlsplit(base)
        if parts.scheme not in ("ws", "wss") or not parts.hostname:
            raise ValueError(f"stream_url must be a ws:// or wss:// URL, not {base!r}")
        self._client = client
        self._api_key = api_key
        self._base = base.rstrip("/")
        self._clock = client.clock
        self._idle_timeout = idle_timeout
        self._open_timeout = open_timeout
        self._backoff = backoff or Backoff()
        self._user_on_event = on_event
        self._keepalive = Keepalive(
            client,
            api_key,
            interval=interval,
            safety_margin=safety_margin,
            keep_keys=keep_keys,
            on_event=self._on_keepalive,
        )
        self._listen_key: str | None = None
        self._stale_key = False
        self._key_changed = asyncio.Event()
        self._items: asyncio.Queue[StreamItem | BaseException] = asyncio.Queue()
        self._end: BaseException | None = None  # what ends the iteration, once it ends
        self._connection: _Connection | None = None
        self._task: asyncio.Task[None] | None = None
        self._started = False
        self.gaps = 0
        """How many interruptions the stream has reported."""

    def __repr__(self) -> str:
        state = "live" if self.connected else "connecting" if self._end is None else "ended"
        return f"{type(self).__name__}(api_key={redact(self._api_key)!r}, {state})"

    @property
    def listen_key(self) -> str | None:
        """The listenKey the stream uses (or will use for its next connection)."""
        return self._listen_key

    @property
    def connected(self) -> bool:
        """True while a stream connection is open."""
        return self._connection is not None and self._connection.verdict is None

    @property
    def last_received_at(self) -> float | None:
        """When (clock seconds) the connection last received a frame or a ping, if connected."""
        return self._connection.socket.last_received_at if self._connection is not None else None

    async def start(self) -> UserDataEvents:
        """Start the keepalive service and open the stream (no-op if started); return self. Raise
        ``BinanceWsError`` if the key cannot be started or the stream opened."""
        if self._started:
            return self
        self._started = True
        try:
            await self._keepalive.__aenter__()
            self._listen_key = self._keepalive.listen_key
            self._connection = await self._connect()
        except BaseException:
            await self._keepalive.stop()
            self._finish(None)
            raise
        logger.info("user data stream of %s connected", redact(self._api_key))
        self._task = asyncio.create_task(self._pump(), name="binance_usdm_ws user data stream")
        return self

    async def aclose(self) -> None:
        """Stop: close the stream and the keepalive service; discard unread items; end iteration."""
        self._finish(None)
        task, self._task = self._task, None
        await cancel_and_wait(task)
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.socket.close()
        await self._keepalive.stop()

    __aenter__ = start

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __aiter__(self) -> UserDataEvents:
        return self

    async def __anext__(self) -> StreamItem:
        """The next event or gap; ``StopAsyncIteration`` once closed, or (after every item
        before it) the fatal ``BinanceWsError`` that ended the stream."""
        if not self._started:
            await self.start()
        item = await self._items.get()
        if isinstance(item, BaseException):
            self._items.put_nowait(item)  # every later call ends the same way
            raise item
        return item

    def _finish(self, error: BaseException | None) -> None:
        if self._end is not None:
            return
        self._end = error or StopAsyncIteration()
        if error is None:  # closed by the consumer: what is left is not wanted
            while not self._items.empty():
                self._items.get_nowait()
        self._items.put_nowait(self._end)
        self._key_changed.set()  # wakes the watchdog, which closes the socket

    def _on_keepalive(self, event: KeepaliveEvent) -> None:
        if isinstance(event, ListenKeyRecreated) and event.listen_key != self._listen_key:
            self._listen_key, self._stale_key = event.listen_key, False
            self._key_changed.set()
        elif isinstance(event, ListenKeyStopped) and event.error and self._task is not None:
            logger.error("user data stream of %s ends: %s", redact(self._api_key), event.error)
            self._finish(event.error)
        if self._user_on_event is not None:
            self._user_on_event(event)

    async def _connect(self) -> _Connection:
        for retry in (False, True):
            if retry or self._stale_key or self._listen_key is None:
                reply = await self._client.user_data_stream.start(api_key=self._api_key)
                self._listen_key, self._stale_key = reply.result.listen_key, False
            key = self._listen_key
            url = f"{self._base}/{key}"
            try:
                socket = await StreamSocket.open(url, self._clock, open_timeout=self._open_timeout)
            except HandshakeRefused as exc:
                refused = exc
                continue
            logger.debug("user data stream opened on %s", self._base)
            return _Connection(socket, key)
        self._stale_key = True
        raise ConnectionClosedError(f"the stream refused the listenKey: {refused}")

    async def _pump(self) -> None:
        failures, gap = 0, None
        try:
            while self._end is None:
                try:
                    self._connection = self._connection or await self._connect()
                except BinanceWsError as exc:
                    if not is_transient(exc):
                        raise
                    delay = self._backoff.delay(failures)
                    failures += 1
                    logger.warning("user data stream: reconnecting in %.1f s: %s", delay, exc)
                    await self._clock.sleep(delay)
                    continue
                failures = 0
                if gap is not None:
                    self._report(gap)
                gap = await self._read(self._connection)
        except BinanceWsError as exc:  # fatal: e.g. the API key was revoked
            logger.error("user data stream of %s ends: %s", redact(self._api_key), exc)
            self._finish(exc)
        except Exception as exc:  # a bug: surface it to the consumer, never die silently
            logger.exception("the user data stream failed")
            self._finish(exc)

    def _report(self, gap: StreamGap) -> None:
        assert self._listen_key is not None
        self.gaps += 1
        now = self._clock.time()
        resumed_after = now - gap.began_at
        logger.info("user data stream resumed after %.1f s (%s)", resumed_after, gap.reason.value)
        self._items.put_nowait(attrs.evolve(gap, resumed_at=now, listen_key=self._listen_key))

    async def _read(self, connection: _Connection) -> StreamGap:
        """Queue the connection's events until it must be replaced; close it; say why."""
        key = connection.listen_key
        watchdog = asyncio.ensure_future(self._watch(connection))
        try:
            async with contextlib.aclosing(connection.socket.frames()) as frames:
                async for frame in frames:
                    try:
                        event = decode_event(frame)
                    except ProtocolError as exc:
                        logger.warning("user data stream: skipped a frame: %s", exc)
                        continue
                    if isinstance(event, UnknownEvent) and event.error is not None:
                        logger.warning(
                            "user data stream: %s did not decode: %s", event.event_type, event.error
                        )
                    self._items.put_nowait(event)
                    if isinstance(event, ListenKeyExpiredEvent) and event.listen_key in (None, key):
                        self._stale_key = True
                        expired = "the stream sent listenKeyExpired"
                        connection.verdict = (GapReason.KEY_EXPIRED, expired)
                        break
        finally:
            watchdog.cancel()
        if connection.verdict is None:
            closed = f"the socket closed ({connection.socket.close_reason})"
            connection.verdict = (GapReason.DISCONNECTED, closed)
        reason, detail = connection.verdict
        self._connection = None
        await connection.socket.close()
        idle = reason is GapReason.IDLE
        began = connection.socket.last_received_at if idle else self._clock.time()
        if self._end is None:
            logger.warning("user data stream interrupted (%s): %s", reason.value, detail)
        return StreamGap(
            reason=reason,
            detail=detail,
            began_at=began,
            resumed_at=began,  # and listen_key: set when it resumes
            old_listen_key=key,
            listen_key=key,
        )

    async def _watch(self, connection: _Connection) -> None:
        clock, timeout = self._clock, self._idle_timeout
        while self._end is None:
            self._key_changed.clear()
            if self._listen_key != connection.listen_key:
                connection.verdict = (GapReason.KEY_RECREATED, "the listenKey was recreated")
                break
            remaining = None
            if timeout is not None:
                remaining = connection.socket.last_received_at + timeout - clock.time()
                if remaining <= 0:
                    if await connection.socket.probe():
                        continue  # the probe was answered: alive
                    connection.verdict = (GapReason.IDLE, f"no frame and no ping for {timeout:g} s")
                    break
            waits: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._key_changed.wait())}
            if remaining is not None:
                waits.add(asyncio.ensure_future(clock.sleep(remaining, background=True)))
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiting in waits:
                    waiting.cancel()
        await connection.socket.close()
