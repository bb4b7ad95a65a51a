"""One connection to a user data stream: its frames, and when it last showed a sign of life."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from .._core.clock import Clock
from .socket import Socket, dial

__all__ = ["StreamSocket"]


class StreamSocket:
    """A user data stream's WebSocket. Signs of life are data frames and, through a
    :class:`.socket.Socket`, pings (else :meth:`probe` asks for a pong)."""

    def __init__(self, ws: ClientConnection, clock: Clock) -> None:
        self._ws = ws
        self._clock = clock
        self.last_received_at = clock.time()
        """When (clock seconds) the server last showed a sign of life."""
        self._sees_pings = isinstance(ws, Socket)
        if isinstance(ws, Socket):
            ws.on_alive = self._alive

    @classmethod
    async def open(cls, url: str, clock: Clock, *, open_timeout: float | None) -> StreamSocket:
        """Connect to ``url`` (errors hide it: it holds the listenKey); raise
        :class:`.socket.HandshakeRefused` on a 4xx (an invalid key?), else ConnectionClosedError."""
        return cls(await dial(url, open_timeout=open_timeout, name="the user data stream"), clock)

    def _alive(self) -> None:
        self.last_received_at = self._clock.time()

    async def frames(self) -> AsyncGenerator[str | bytes, None]:
        """The frames received, until the connection closes."""
        with contextlib.suppress(ConnectionClosed):
            async for frame in self._ws:
                if not self._sees_pings:
                    self._alive()
                yield frame

    async def probe(self, timeout: float = 10.0) -> bool:
        """After a silence: whether the server is still there. False when pings are seen (the
        server pings every 3 minutes); else whether our ping has a pong within ``timeout``."""
        if self._sees_pings:
            return False
        try:
            await asyncio.wait_for(await self._ws.ping(), timeout)
        except (ConnectionClosed, asyncio.TimeoutError):
            return False
        self._alive()
        return True

    @property
    def close_reason(self) -> str:
        """Why the connection closed, for logs."""
        return str(self._ws.protocol.close_exc)

    async def close(self) -> None:
        """Close the connection (no-op once closed)."""
        await self._ws.close()
