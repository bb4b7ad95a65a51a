"""One connection to the API: sends requests, settles the calls waiting from the replies.

Through a :class:`.socket.Socket` replies settle from websockets' data callback; a reader
task takes what websockets queues (everything, in the fallback) and sees the end. Calls
await futures, timed by the protocol's deadlines and one loop timer per connection."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from .._core.log import logger
from .._core.protocol import Outcome, Protocol
from ..errors import ConnectionClosedError
from .socket import Socket, dial

__all__ = ["Connection", "ConnectOptions"]
R = TypeVar("R")
OnClosed = Callable[["Connection"], None]
ConnectOptions = Mapping[str, Any]
"""Keyword arguments of :func:`.socket.dial` (timeouts, pings, ``max_size``, ``ssl``)."""


def _closed_error(exc: BaseException | None, what: str) -> ConnectionClosedError:
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        detail = f"code {rcvd.code}, reason {rcvd.reason!r}" if rcvd else "no close frame"
        return ConnectionClosedError(f"{what}: the connection closed ({detail})")
    if exc is None:
        return ConnectionClosedError(f"{what}: the connection closed")
    return ConnectionClosedError(f"{what}: the connection failed: {type(exc).__name__}: {exc}")


class Connection:
    """One open WebSocket connection to the API and its pending requests."""

    def __init__(self, ws: ClientConnection, on_closed: OnClosed | None = None) -> None:
        self._ws = ws
        self._on_closed = on_closed
        self._protocol: Protocol[asyncio.Future[Any]] = Protocol()
        self._loop = asyncio.get_running_loop()
        self._closed: ConnectionClosedError | None = None
        self._reader = self._loop.create_task(self._read(), name="binance_usdm_ws reader")
        self._send_now: Callable[[str], bool] = lambda text: False  # the fallback: await send()
        if isinstance(ws, Socket):
            ws.on_text = self._receive_text
            self._send_now = ws.send_text_now

    @classmethod
    async def open(
        cls, url: str, options: ConnectOptions, on_closed: OnClosed | None = None
    ) -> Connection:
        """Open a connection to ``url``; raise :class:`ConnectionClosedError` when that fails."""
        return cls(await dial(url, **options), on_closed)

    @property
    def usable(self) -> bool:
        """True while requests can be sent (open, and not closing)."""
        return self._closed is None and self._ws.state is State.OPEN

    @property
    def closed(self) -> bool:
        """True once the connection has ended (pending calls have then all failed)."""
        return self._closed is not None

    async def request(
        self,
        method: str,
        params: Mapping[str, Any] | None,
        response_type: type[R],
        timeout: float | None,
    ) -> R:
        """Send one request and return its decoded reply; raise on any failure
        (:class:`ConnectionClosedError` with ``sent=False``: the request never left)."""
        if self._closed is not None:
            raise ConnectionClosedError(f"{method} was not sent: the connection ended", sent=False)
        loop, protocol = self._loop, self._protocol
        request_id, text = protocol.encode(method, params)
        sent = self._send_now(text)
        # Written (or not): what follows overlaps with the server's work on it.
        future: asyncio.Future[Any] = loop.create_future()
        now = 0.0 if timeout is None else loop.time()
        protocol.register(request_id, method, response_type, future, timeout=timeout, now=now)
        try:
            if timeout is not None and (alarm := protocol.alarm()) is not None:
                loop.call_at(alarm, _expire, loop, protocol)
            if not sent:
                if self._ws.state is not State.OPEN:
                    message = f"{method} was not sent: the connection is closing"
                    raise ConnectionClosedError(message, sent=False)
                # Encoded here: a lone surrogate fails this call, not the connection.
                await self._ws.send(text.encode(), text=True)
            result: R = await future  # settled with SDK errors only, never ConnectionClosed
            return result
        except ConnectionClosed as exc:
            raise _closed_error(exc, f"{method} (id {request_id!r})") from exc
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
            if waiters := self._protocol.waiters():
                await asyncio.wait(waiters, timeout=timeout)
        finally:
            await self.close()

    async def close(self) -> None:
        """Close the connection; pending calls fail with :class:`ConnectionClosedError`."""
        await self._ws.close()
        await asyncio.shield(self._reader)

    def _receive_text(self, text: str) -> None:  # websockets' data callback calls this
        try:
            _settle(self._protocol.receive(text))
        except Exception:  # never let a bug here break websockets' callback
            logger.exception("the connection reader failed")
            assert isinstance(self._ws, Socket)  # only a Socket calls this
            self._ws.on_text = None  # the reader task takes over until the close
            # A reference to the closing task, which the loop holds only weakly.
            self._failing = self._loop.create_task(self._ws.close(1011, "client reader failed"))

    async def _read(self) -> None:
        ws, receive = self._ws, self._protocol.receive
        failure: BaseException | None = None
        try:
            async for frame in ws:
                _settle(receive(frame))
        except ConnectionClosed as exc:
            failure = exc
        except Exception:  # never let the reader die silently (logged; the close says 1011)
            logger.exception("the connection reader failed")
            await ws.close(1011, "client reader failed")
        finally:
            if failure is None and ws.protocol.state is State.CLOSED:
                failure = ws.protocol.close_exc  # else cancelled (a loop shutting down)
            closed = self._closed = _closed_error(failure, "no reply")
            if self._on_closed is not None:
                self._on_closed(self)  # before any caller resumes: none sees a stale "ready"
            logger.debug("connection ended: %s", closed)
            outcomes = self._protocol.fail_all(
                lambda rid, method: ConnectionClosedError(f"{method} (id {rid!r}): {closed}")
            )
            _settle(outcomes)


def _settle(outcomes: list[Outcome]) -> None:
    for waiter, result, error in outcomes:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(result)
        else:
            waiter.set_exception(error)


def _expire(loop: asyncio.AbstractEventLoop, protocol: Protocol[asyncio.Future[Any]]) -> None:
    _settle(protocol.expire(loop.time()))
    if (alarm := protocol.alarm()) is not None:
        loop.call_at(alarm, _expire, loop, protocol)
