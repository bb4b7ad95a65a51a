"""The websockets connection: sends requests, reads replies, settles waiters.

This is the one place where websockets' exceptions are translated into ours.
Each complete text frame goes to the sans-I/O :class:`~._protocol.Protocol`
straight from websockets' ``data_received`` callback (:class:`_ApiConnection`),
so a reply settles its call's future without a hop through a reader task; a
request is written at once when nothing needs waiting for (no asynchronous
context manager per call). The connection's reader task still consumes what
websockets queues (binary, fragmented or invalid UTF-8 frames, all rare) and
notices the end of the connection. Calls wait on plain futures (no per-call task, no ``wait_for``
wrapper), timed by the protocol's deadlines and one loop timer per connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State

from ._logging import logger, websockets_logger
from ._protocol import Outcome, Protocol
from .errors import BinanceWsError, ConnectionClosedError

__all__ = ["Connection"]


R = TypeVar("R")

Waiter = asyncio.Future[Any]


def _closed_error(exc: BaseException | None, what: str) -> ConnectionClosedError:
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        detail = f"code {rcvd.code}, reason {rcvd.reason!r}" if rcvd else "no close frame"
        return ConnectionClosedError(f"{what}: the connection closed ({detail})")
    if exc is None:
        return ConnectionClosedError(f"{what}: the connection closed")
    return ConnectionClosedError(f"{what}: the connection failed: {type(exc).__name__}: {exc}")


_TEXT = Opcode.TEXT


class _ApiConnection(ClientConnection):
    """websockets' client connection, handing each complete text frame to ``on_text``.

    websockets documents ``create_connection`` (a subclass of
    ``ClientConnection``) as its hook for customising a connection, and
    ``process_event`` as the method subclasses override. A text frame with
    ``fin`` set is a whole message (data frames never interleave), so it skips
    websockets' receive queue; anything else (binary or fragmented messages,
    invalid UTF-8) takes websockets' own path to :meth:`recv`.

    :meth:`send_text_now` also relies on attributes websockets 15 to 17 share
    but does not document (``paused``, ``send_data``); ``tests/test_transport.py``
    checks they are there, so an upgrade that drops them fails the tests
    rather than the first call.
    """

    on_text: Callable[[str], None] | None = None

    def send_text_now(self, text: str) -> bool:
        """Write one text frame at once if nothing needs waiting for; else return False.

        What :meth:`send` does for a string, minus its asynchronous context
        manager: nothing to wait for means the connection is open and its write
        buffer is not full (``paused``, set by asyncio's flow control). The
        caller awaits :meth:`send` when this returns False, which then waits,
        or raises :class:`~websockets.exceptions.ConnectionClosed`.
        """
        if self.paused or self.protocol.state is not State.OPEN:
            return False  # the caller tells "closing" (not sent) from "wait for the buffer"
        self.protocol.send_text(text.encode())
        try:
            self.send_data()
        except Exception:  # what send() does too: the connection is lost, the frame may be out
            logger.debug("writing to the socket failed", exc_info=True)
            self.transport.abort()
        return True

    def process_event(self, event: Event) -> None:
        on_text = self.on_text
        if on_text is not None and type(event) is Frame and event.opcode is _TEXT and event.fin:
            try:
                text = str(event.data, "utf-8")
            except UnicodeDecodeError:
                pass  # recv() raises it, as for any text frame websockets reads itself
            else:
                on_text(text)
                return
        super().process_event(event)


class Connection:
    """One open WebSocket connection to the API and its pending requests."""

    def __init__(
        self,
        ws: _ApiConnection,
        protocol: Protocol[Waiter],
        on_closed: Callable[[Connection], None] | None = None,
    ) -> None:
        self._ws = ws
        self._on_closed = on_closed
        self._protocol = protocol
        self._loop = asyncio.get_running_loop()
        self._closed: ConnectionClosedError | None = None
        self._failing: asyncio.Task[None] | None = None  # closing after a bug in the reader
        self._reader = self._loop.create_task(self._read(), name="binance_usdm_ws reader")
        ws.on_text = self._receive_text

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        protocol: Protocol[Waiter] | None = None,
        on_closed: Callable[[Connection], None] | None = None,
        open_timeout: float | None = 10.0,
        ping_interval: float | None = 20.0,
        ping_timeout: float | None = 20.0,
        max_size: int | None = 2**20,
        ssl_context: ssl.SSLContext | None = None,
    ) -> Connection:
        """Open a connection to ``url``; raise :class:`ConnectionClosedError` when that fails."""
        kwargs: dict[str, Any] = {}
        if ssl_context is not None:
            kwargs["ssl"] = ssl_context
        try:
            ws = await connect(
                url,
                open_timeout=open_timeout,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                max_size=max_size,
                compression=None,  # the API does not compress; skip negotiating it
                proxy=None,
                logger=websockets_logger,
                create_connection=_ApiConnection,
                **kwargs,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise ConnectionClosedError(
                f"cannot connect to {_safe_url(url)}: {type(exc).__name__}: {exc}"
            ) from exc
        logger.debug("connected to %s", _safe_url(url))
        assert isinstance(ws, _ApiConnection)  # what create_connection= makes
        return cls(ws, protocol if protocol is not None else Protocol(), on_closed)

    @property
    def usable(self) -> bool:
        """True while requests can be sent (open, and not closing)."""
        return self._closed is None and self._ws.state is State.OPEN

    @property
    def closed(self) -> bool:
        """True once the connection has ended (pending calls have then all failed)."""
        return self._closed is not None

    @property
    def pending(self) -> int:
        """Number of requests awaiting a reply."""
        return len(self._protocol)

    async def request(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        response_type: type[R],
        timeout: float | None,
    ) -> R:
        """Send one request and return its decoded reply; raise on any failure.

        A :class:`ConnectionClosedError` with ``sent=False`` means the request
        never left the client.
        """
        if self._closed is not None:
            raise ConnectionClosedError(f"{method} was not sent: the connection ended", sent=False)
        loop, protocol = self._loop, self._protocol
        request_id, text = protocol.encode(method, params)
        sent = self._ws.send_text_now(text)
        # Written (or not): what follows overlaps with the server's work on it.
        future: Waiter = loop.create_future()
        protocol.register(
            request_id,
            method,
            response_type,
            future,
            timeout=timeout,
            now=0.0 if timeout is None else loop.time(),
        )
        try:
            try:
                if timeout is not None:
                    alarm = protocol.alarm()
                    if alarm is not None:
                        loop.call_at(alarm, _expire, loop, protocol)
                if not sent:
                    if self._ws.state is not State.OPEN:
                        raise ConnectionClosedError(
                            f"{method} was not sent: the connection is closing", sent=False
                        )
                    await self._ws.send(text)
            except ConnectionClosed as exc:
                raise _closed_error(exc, f"{method} (id {request_id!r})") from exc
            result: R = await future
            return result
        finally:
            protocol.forget(request_id)

    @property
    def close_reason(self) -> str:
        """Why the connection ended, for logs ("open" while it is open)."""
        return str(self._closed) if self._closed is not None else "open"

    async def wait_closed(self) -> None:
        """Wait until the connection has ended."""
        await asyncio.shield(self._reader)

    async def close_when_idle(self, timeout: float) -> None:
        """Close once every pending call has its reply, or after ``timeout`` seconds."""
        try:
            waiters = self._protocol.waiters()
            if waiters:
                await asyncio.wait(waiters, timeout=timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connection; pending calls fail with :class:`ConnectionClosedError`."""
        await self._ws.close()
        await asyncio.shield(self._reader)

    def _receive_text(self, text: str) -> None:
        """Settle the calls a text frame answers (called from websockets' data callback)."""
        try:
            _settle(self._protocol.receive(text))
        except Exception:  # never let a bug here break websockets' callback
            logger.exception("the connection reader failed")
            self._ws.on_text = None  # the reader task takes over until the close
            self._failing = self._loop.create_task(self._ws.close(1011, "client reader failed"))

    async def _read(self) -> None:
        ws = self._ws
        receive = self._protocol.receive
        failure: BaseException | None = None
        try:
            async for frame in ws:
                _settle(receive(frame))
        except ConnectionClosed as exc:
            failure = exc
        except Exception as exc:  # never let the reader die silently
            logger.exception("the connection reader failed")
            failure = exc
            await ws.close(1011, "client reader failed")
        finally:
            if failure is None and ws.protocol.state is State.CLOSED:
                failure = ws.protocol.close_exc  # else cancelled (a loop shutting down)
            self._closed = _closed_error(failure, "no reply")
            if self._on_closed is not None:
                self._on_closed(self)  # before any caller resumes: none sees a stale "ready"
            logger.debug("connection ended: %s", self._closed)
            error = self._closed

            def fail(request_id: str | int, method: str) -> BinanceWsError:
                return ConnectionClosedError(f"{method} (id {request_id!r}): {error}")

            for waiter, _, closed in self._protocol.fail_all(fail):
                if not waiter.done() and closed is not None:
                    waiter.set_exception(closed)


def _settle(outcomes: list[Outcome]) -> None:
    for waiter, result, error in outcomes:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(result)
        else:
            waiter.set_exception(error)


def _expire(loop: asyncio.AbstractEventLoop, protocol: Protocol[Waiter]) -> None:
    """The connection's timer: fail the calls past their deadline, then arm the next timer."""
    for waiter, _, error in protocol.expire(loop.time()):
        if not waiter.done() and error is not None:
            waiter.set_exception(error)
    alarm = protocol.alarm()
    if alarm is not None:
        loop.call_at(alarm, _expire, loop, protocol)


def _safe_url(url: str) -> str:
    """The URL without its query string (which could carry a listenKey)."""
    return url.split("?", 1)[0]
