"""Opening a WebSocket: :func:`dial`, for every connection the SDK makes, and :class:`Socket`.

:class:`Socket` uses undocumented websockets internals because they pay (``bench/RESULTS.md``);
a plain ``ClientConnection`` is the fallback when they are missing or ``USE_INTERNALS`` is off."""

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
    """``on_text`` takes each text frame with ``fin`` (a whole message: data frames never
    interleave) from the data callback, not a queue; anything else, invalid UTF-8 included,
    goes to ``recv()``. ``on_alive`` sees each data frame and ping."""

    on_text: Callable[[str], None] | None = None
    on_alive: Callable[[], None] | None = None
    _texts = 0  # replies the current read handed to on_text
    _held: list[bytes] | None = None  # while corked: the frames to write at once

    def send_text_now(self, text: str) -> bool:
        """Write one text frame if the connection is open and its write buffer not full
        (``paused``); else return False, and the caller awaits ``send()``."""
        if self.paused or self.protocol.state is not State.OPEN:
            return False  # the caller tells "closing" (not sent) from "wait for the buffer"
        self.protocol.send_text(text.encode())
        if self._held is None:
            self._write(self.protocol.data_to_send())
        else:  # held apart: websockets' own writes (pongs) would flush them one by one
            self._held += self.protocol.data_to_send()
        return True

    def _write(self, chunks: list[bytes]) -> None:
        try:
            self.transport.write(b"".join(chunks))  # one system call for them all
            if not all(chunks):  # an end of stream (websockets writes its own: not seen here)
                self.transport.close()
        except Exception:  # what send() does too: the connection is lost, the frame may be out
            logger.debug("writing to the socket failed", exc_info=True)
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self._texts = 0
        super().data_received(data)
        if self._texts > 1 and self._held is None:
            # The calls these replies settle resume in the loop's next round, in order, and
            # may each send a request: hold the frames, write them after the last of them.
            self._held = []
            self.loop.call_soon(self._uncork)

    def _uncork(self) -> None:
        held, self._held = self._held, None
        if held and self.protocol.state is State.OPEN:  # never data after a close frame
            self._write(held)

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
                    self._texts += 1
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
    :func:`uses_internals`); errors call it ``name`` (default: :func:`safe_url`). Raises
    :class:`HandshakeRefused` on a 4xx answer, else :class:`ConnectionClosedError` (unsent)."""
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
        message = f"cannot connect to {where}: {type(exc).__name__}: {exc}"
        raise ConnectionClosedError(message, sent=False) from exc
    logger.debug("connected to %s", where)
    return ws
