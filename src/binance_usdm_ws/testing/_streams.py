"""The user data stream side of the emulator: ``fstream``'s listenKey endpoints.

Served on the emulator's port, next to the WebSocket API:

- ``/ws/<listenKey>`` (legacy), ``/private/ws/<listenKey>`` and
  ``/private/ws?listenKey=<listenKey>[&events=A/B]``: raw mode, one JSON event
  per text frame; ``events`` keeps only the listed event types
  (``listenKeyExpired`` always comes through).
- A handshake naming no listenKey, or one that is not active (never started,
  stopped, deleted or expired), is refused with HTTP 400 and the body
  ``This listenKey does not exist.`` *Undocumented*: the docs do not say
  what the server does; a refusal is what a client can least mistake for a
  working stream.
- Tests send events with :meth:`UserStreams.push`: they reach every socket
  opened with the API key's active listenKey, in order. Events pushed while
  the key is not active reach nobody, as on the real server.
- When a key expires on the emulator's clock, each of its sockets gets
  ``{"e": "listenKeyExpired", "E": <ms>, "listenKey": …}`` (an integer ``E``)
  and then nothing more; the socket stays open (FACTS §6.2). A key stopped
  or deleted before it expires sends nothing more and no ``listenKeyExpired``
  (*undocumented*).
- The server pings every ``ping_interval`` seconds (180, as documented for
  the streams), on the emulator's clock.

Time: with a clock that can sleep (:class:`~binance_usdm_ws.testing.FakeClock`),
expiry and pings wait on it as background sleepers, so simulated time drives
them; with the default wall clock they use :func:`asyncio.sleep`.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import attrs
from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from .._core.converter import CONVERTER

if TYPE_CHECKING:
    from ._emulator import Emulator, ListenKeys, _ListenKey

__all__ = ["UserStreams"]

_KEY_IN_PATH = re.compile(r"/(?:private/)?ws/([^/]+)")
_REFUSED = "This listenKey does not exist.\n"


@attrs.define(eq=False)
class _Subscriber:
    ws: ServerConnection
    api_key: str
    entry: _ListenKey
    events: frozenset[str] | None
    tasks: list[asyncio.Task[None]] = attrs.Factory(list)

    def wants(self, event_type: object) -> bool:
        return self.events is None or event_type in self.events or event_type == "listenKeyExpired"


def _parse(path: str) -> tuple[str | None, frozenset[str] | None] | None:
    """(listenKey, event filter) of a stream path; ``None`` when the path is not a stream's."""
    parts = urlsplit(path)
    query = parse_qs(parts.query)
    events = query.get("events")
    wanted = frozenset(events[-1].split("/")) if events else None
    match = _KEY_IN_PATH.fullmatch(parts.path)
    if match:
        return match.group(1), wanted
    if parts.path == "/private/ws":
        return query.get("listenKey", [None])[-1], wanted
    return None


class UserStreams:
    """The emulator's user data streams: ``emulator.streams``.

    Args:
        emulator: the emulator whose streams these are.
        listen_keys: the emulator's listenKeys.
        ping_interval: seconds between the server's pings; ``None``: never.
    """

    def __init__(
        self, emulator: Emulator, listen_keys: ListenKeys, *, ping_interval: float | None = 180.0
    ) -> None:
        self._emulator = emulator
        self._keys = listen_keys
        self.ping_interval = ping_interval
        self.connections_accepted = 0
        """How many stream sockets the emulator has accepted."""
        self._subscribers: list[_Subscriber] = []

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>/private/ws``: append ``/<listenKey>`` to connect."""
        return self._emulator.url.replace("/ws-fapi/v1", "/private/ws")

    @property
    def open_sockets(self) -> int:
        """How many stream sockets are open now."""
        return len(self._subscribers)

    @staticmethod
    def handles(path: str) -> bool:
        """True when ``path`` (with its query string) is a user data stream endpoint."""
        return _parse(path) is not None

    async def push(self, api_key: str, event: Mapping[str, Any] | object) -> int:
        """Send ``event`` to the sockets of ``api_key``'s active listenKey; return how many got it.

        ``event`` is a wire object (a dict) or an event model, which is
        encoded as the SDK encodes it. Returns 0 when the key is not active.
        """
        payload = event if isinstance(event, Mapping) else CONVERTER.unstructure(event)
        entry = self._keys.active(api_key)
        if entry is None:
            return 0
        wanting = [s for s in self._subscribers if s.entry is entry and s.wants(payload.get("e"))]
        if not wanting:
            return 0
        text = json.dumps(payload, separators=(",", ":"))
        delivered = 0
        for subscriber in wanting:
            delivered += await self._send(subscriber, text)
        return delivered

    async def disconnect(self, code: int = 1011, reason: str = "") -> None:
        """Close every stream socket with ``code`` (the WebSocket API connections stay)."""
        await asyncio.gather(*(s.ws.close(code, reason) for s in list(self._subscribers)))

    # -- the server side (called by the emulator) ------------------------------------------

    def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Refuse the handshake unless it names an active listenKey."""
        parsed = _parse(request.path)
        if parsed is None or parsed[0] is None or self._keys.owner(parsed[0]) is None:
            return connection.respond(HTTPStatus.BAD_REQUEST, _REFUSED)
        return None

    async def serve(self, ws: ServerConnection) -> None:
        """Hold one stream socket open until it closes; frames from the client are ignored."""
        parsed = _parse(ws.request.path if ws.request else "")
        owner = self._keys.owner(parsed[0]) if parsed and parsed[0] else None
        if parsed is None or owner is None:  # the key went away since the handshake
            await ws.close(1008, "This listenKey does not exist.")
            return
        api_key, entry = owner
        subscriber = _Subscriber(ws, api_key, entry, parsed[1])
        self.connections_accepted += 1
        self._subscribers.append(subscriber)
        loop = asyncio.get_running_loop()
        subscriber.tasks.append(loop.create_task(self._expire(subscriber)))
        if self.ping_interval is not None:
            subscriber.tasks.append(loop.create_task(self._ping(ws, self.ping_interval)))
        try:
            async for _ in ws:
                pass
        except ConnectionClosed:
            pass
        finally:
            self._subscribers.remove(subscriber)
            for task in subscriber.tasks:
                task.cancel()

    # -- internals -------------------------------------------------------------------------

    async def _sleep(self, seconds: float) -> None:
        sleep = getattr(self._emulator.clock, "sleep", None)
        if sleep is not None:
            await sleep(seconds, background=True)
        else:
            await asyncio.sleep(seconds)

    async def _expire(self, subscriber: _Subscriber) -> None:
        entry = subscriber.entry
        clock = self._emulator.clock
        while entry.expires_at_ms > clock():  # renewals move expires_at_ms
            await self._sleep((entry.expires_at_ms - clock()) / 1000)
        if not self._keys.is_current(subscriber.api_key, entry):
            return  # stopped or deleted before it expired
        expired = {"e": "listenKeyExpired", "E": clock(), "listenKey": entry.key}
        await self._send(subscriber, json.dumps(expired, separators=(",", ":")))

    async def _ping(self, ws: ServerConnection, interval: float) -> None:
        try:
            while True:
                await self._sleep(interval)
                await ws.ping()  # the pong is not waited for
        except ConnectionClosed:
            pass

    @staticmethod
    async def _send(subscriber: _Subscriber, text: str) -> int:
        try:
            await subscriber.ws.send(text)
        except ConnectionClosed:
            return 0
        return 1
