"""Opening a WebSocket: the one dial helper, and websockets' connection as the SDK uses it.

:func:`dial` opens both kinds of connection the SDK makes (the API's and the
user data stream's) with the same options, and is where websockets'
connection errors become :class:`~binance_usdm_ws.errors.ConnectionClosedError`.

Two shortcuts use websockets internals that it does not document, because
``make bench`` shows they pay (``bench/RESULTS.md``: 50 calls in flight went
from 0.80 to about 0.95 of a raw websockets loop with them):

- overriding ``process_event`` (:class:`Socket`), so that a reply settles
  its call from websockets' data callback, without a hop through a receive
  queue and a reader task, and so that a stream can see pings arrive;
- :meth:`Socket.send_text_now`, which writes a frame without ``send()``'s
  asynchronous context manager, reading ``paused`` and calling ``send_data``.

Both have a fallback on public APIs only (a plain ``ClientConnection``:
replies read by a reader task, requests written by ``await send()``), used
when websockets lacks those internals or when
``BINANCE_USDM_WS_NO_INTERNALS=1`` (:mod:`binance_usdm_ws._core.internals`).
"""

from __future__ import annotations

import ssl as _ssl
from collections.abc import Callable
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
from websockets.frames import Frame, Opcode
from websockets.protocol import Event, State

from .._core.internals import USE_INTERNALS
from .._core.log import logger, websockets_logger
from ..errors import ConnectionClosedError

__all__ = ["HandshakeRefused", "Socket", "dial", "safe_url", "uses_internals"]

_TEXT = Opcode.TEXT
# Frames that show the server is alive: data and pings (not pongs to our own pings).
_SIGNS_OF_LIFE = frozenset({Opcode.TEXT, Opcode.BINARY, Opcode.CONT, Opcode.PING})


class Socket(ClientConnection):
    """websockets' client connection with the two shortcuts of the module docstring.

    ``on_text`` takes each complete text frame instead of websockets' receive
    queue (a text frame with ``fin`` set is a whole message: data frames never
    interleave); anything else (binary or fragmented messages, invalid UTF-8)
    takes websockets' own path to ``recv()``. ``on_alive`` is called for
    every data frame and ping.
    """

    on_text: Callable[[str], None] | None = None
    on_alive: Callable[[], None] | None = None

    def send_text_now(self, text: str) -> bool:
        """Write one text frame at once if nothing needs waiting for; else return False.

        What ``send()`` does for a string, minus its asynchronous context
        manager: nothing to wait for means the connection is open and its write
        buffer is not full (``paused``, set by asyncio's flow control). The
        caller awaits ``send()`` when this returns False, which then waits,
        or raises ``ConnectionClosed``.
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
        if type(event) is Frame:
            if self.on_alive is not None and event.opcode in _SIGNS_OF_LIFE:
                self.on_alive()
            on_text = self.on_text
            if on_text is not None and event.opcode is _TEXT and event.fin:
                try:
                    text = str(event.data, "utf-8")
                except UnicodeDecodeError:
                    pass  # recv() raises it, as for any text frame websockets reads itself
                else:
                    on_text(text)
                    return
        super().process_event(event)


def uses_internals() -> bool:
    """True when :func:`dial` makes :class:`Socket` s (the shortcuts), False for the fallback."""
    return USE_INTERNALS and all(
        callable(getattr(ClientConnection, name, None)) for name in ("process_event", "send_data")
    )


class HandshakeRefused(ConnectionClosedError):
    """The server answered the opening handshake with a 4xx status (not 418 or 429)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message, sent=False)
        self.status = status


def safe_url(url: str) -> str:
    """The URL without its query string (which could carry a listenKey)."""
    return url.split("?", 1)[0]


async def dial(
    url: str,
    *,
    open_timeout: float | None = 10.0,
    ping_interval: float | None = 20.0,
    ping_timeout: float | None = 20.0,
    max_size: int | None = 2**20,
    ssl: _ssl.SSLContext | None = None,
    internals: bool | None = None,
    name: str | None = None,
) -> ClientConnection:
    """Open a WebSocket to ``url``: a :class:`Socket` when ``internals`` (default:
    :func:`uses_internals`), else a plain ``ClientConnection``.

    Errors name the connection ``name`` (default: the URL without its query
    string; a stream's URL holds its listenKey, so its dialer names it).

    Raises:
        HandshakeRefused: the server refused the handshake with a 4xx status.
        ConnectionClosedError: the connection could not be opened (``sent=False``).
    """
    kwargs: dict[str, Any] = {} if ssl is None else {"ssl": ssl}
    fast = uses_internals() if internals is None else internals
    where = name or safe_url(url)
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
            create_connection=Socket if fast else ClientConnection,
            **kwargs,
        )
    except InvalidStatus as exc:
        status = exc.response.status_code
        message = f"cannot connect to {where}: HTTP {status}"
        if 400 <= status < 500 and status not in (418, 429):  # not a rate limit
            raise HandshakeRefused(message, status) from exc
        raise ConnectionClosedError(message, sent=False) from exc
    except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
        raise ConnectionClosedError(
            f"cannot connect to {where}: {type(exc).__name__}: {exc}", sent=False
        ) from exc
    logger.debug("connected to %s", where)
    return ws
