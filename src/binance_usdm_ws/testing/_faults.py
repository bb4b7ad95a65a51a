"""Switchable faults for the emulator: a hostile network and a misbehaving server.

Every fault is armed on ``emulator.faults`` and acts on the replies the
emulator sends from then on, on every connection::

    emulator.faults.fail_next(3, status=503)      # the next 3 requests get 503
    emulator.faults.send_garbage("unknown_id")    # a reply for a request nobody sent
    emulator.faults.drop_after(5)                 # abort the connection at the 5th request
    emulator.faults.lose_order_replies(1)         # place the next order, then abort
    emulator.faults.chaos(rate=0.2, seed=7)       # a random fault on 20 % of replies

Faults never change the emulator's state (listenKeys, weights, orders): a request
whose reply is lost or replaced was still executed, as on a real server. Only
``fail_next`` and ``drop_unprocessed`` (also a chaos kind) stop a request before
it is executed.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from typing import Any, Literal

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode

__all__ = ["FAULT_KINDS", "Faults", "Garbage"]

_ORDER_CALLS = frozenset(
    {"order.place", "order.modify", "order.cancel", "algoOrder.place", "algoOrder.cancel"}
)

Garbage = Literal["text", "binary", "wrong_shape", "unknown_id", "duplicate"]
FAULT_KINDS: tuple[str, ...] = (
    "delay",
    "reorder",
    "text",
    "binary",
    "wrong_shape",
    "unknown_id",
    "duplicate",
    "fail_429",
    "fail_418",
    "fail_503",
    "revoked_401",
    "drop",
    "drop_mid_reply",
    "drop_unprocessed",
)
"""Every fault :meth:`Faults.chaos` can pick (and the report script tries)."""

_ERRORS: dict[int, tuple[int, str]] = {
    429: (
        -1003,
        "Too many requests; current limit is 2400 requests per minute. "
        "Please use the websocket for live updates to avoid polling the API.",
    ),
    418: (
        -1003,
        "Way too many requests; IP banned until {until}. "
        "Please use the websocket for live updates to avoid bans.",
    ),
    503: (-1001, "Internal error; unable to process your request. Please try again."),
}


_DROP = "drop the connection"  # override()'s answer for a request dropped unread


def _id_of(reply: str) -> Any:
    try:
        return json.loads(reply).get("id")
    except (ValueError, AttributeError):
        return None


class Faults:
    """The faults armed on one emulator. See the module docstring."""

    def __init__(self, now_ms: Any) -> None:
        self._now_ms = now_ms
        self.clear()

    def clear(self) -> None:
        """Disarm every fault."""
        self._drop_after: int | None = None
        self._drop_unprocessed = 0
        self._lose_orders = 0
        self._lost_ids: set[Any] = set()
        self._drop_mid_reply = 0
        self._delay = 0.0
        self._delay_count: int | None = 0
        self._reorder = 0
        self._reorder_held: list[tuple[ServerConnection, str]] = []
        self._garbage: list[Garbage] = []
        self._fail: list[tuple[int, float | None]] = []
        self._revoked = 0
        self._ignore_pings = False
        self._chaos_rate = 0.0
        self._chaos_kinds: Sequence[str] = ()
        self._rng = random.Random(0)
        self.applied: dict[str, int] = {}
        """How many times each fault has acted (by kind, as in :data:`FAULT_KINDS`)."""

    # -- arming ----------------------------------------------------------------------------

    def drop_after(self, requests: int) -> None:
        """Abort the connection (no close frame) when the ``requests``-th next request arrives.

        That request is executed but never answered.
        """
        if requests < 1:
            raise ValueError("requests must be at least 1")
        self._drop_after = requests

    def drop_unprocessed(self, count: int = 1) -> None:
        """Abort the connection when each of the next ``count`` requests arrives, without
        executing it (the request is lost on the way in)."""
        self._drop_unprocessed += count

    def lose_order_replies(self, count: int = 1) -> None:
        """Execute each of the next ``count`` order requests (``order.*`` but ``status``,
        ``algoOrder.*``), then abort the connection instead of replying: the client cannot
        know whether the order was placed."""
        self._lose_orders += count

    def drop_mid_reply(self, count: int = 1) -> None:
        """Cut the connection in the middle of each of the next ``count`` reply frames."""
        self._drop_mid_reply += count

    def delay_replies(self, seconds: float, count: int | None = None) -> None:
        """Send each of the next ``count`` replies (all, if ``None``) ``seconds`` late.

        Later replies are not held up, so delayed replies arrive out of order.
        """
        self._delay, self._delay_count = seconds, count

    def reorder_replies(self, count: int) -> None:
        """Hold the next ``count`` replies, then send them in reverse order."""
        if count < 2:
            raise ValueError("reordering needs at least 2 replies")
        self._reorder = count

    def send_garbage(self, kind: Garbage, count: int = 1) -> None:
        """Misbehave on the next ``count`` replies.

        - ``text``: a non-JSON text frame before the reply;
        - ``binary``: a binary frame before the reply;
        - ``wrong_shape``: the reply replaced by one with the right id but a
          ``result`` of the wrong type;
        - ``unknown_id``: a reply for an id nobody sent, before the reply;
        - ``duplicate``: the reply sent twice.
        """
        self._garbage.extend([kind] * count)

    def fail_next(
        self, count: int, *, status: Literal[429, 418, 503], retry_after: float | None = None
    ) -> None:
        """Answer the next ``count`` requests with ``status`` (-1003 for 429/418, -1001 for 503).

        ``retry_after`` (seconds from now) adds ``error.data`` with
        ``serverTime`` and ``retryAfter``, as the spot API does. The requests
        are not executed.
        """
        self._fail.extend([(status, retry_after)] * count)

    def revoke(self, count: int = 1) -> None:
        """Answer the next ``count`` requests with ``{"id": null, "status": 401, -2015}``.

        This is what the server sends after an API key is revoked mid-session
        (FACTS §3.5): a reply that cannot be tied to a request.
        """
        self._revoked += count

    def ignore_pings(self, ignore: bool = True) -> None:
        """Stop (or resume) answering the clients' WebSocket pings."""
        self._ignore_pings = ignore

    def chaos(self, rate: float, *, seed: int = 0, kinds: Sequence[str] = FAULT_KINDS) -> None:
        """Apply one random fault of ``kinds`` to a share ``rate`` of the replies (seeded)."""
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not 0 <= rate <= 1:
            raise ValueError(f"rate must be in [0, 1] and kinds among {FAULT_KINDS}")
        self._chaos_rate, self._chaos_kinds = rate, tuple(kinds)
        self._rng = random.Random(seed)

    # -- acting (called by the emulator) ---------------------------------------------------

    def on_connect(self, ws: ServerConnection) -> None:
        protocol = ws.protocol
        send_frame = protocol.send_frame

        def maybe_send(frame: Frame) -> None:
            if frame.opcode is Opcode.PONG and self._ignore_pings:
                self._count("ignore_pings")
                return
            send_frame(frame)

        protocol.send_frame = maybe_send  # type: ignore[method-assign]

    def override(self, request_id: Any, method: str = "") -> str | None:
        """The reply that replaces the normal one (the request is then not executed), if any."""
        if self._lose_orders and method in _ORDER_CALLS:
            self._lose_orders -= 1
            self._lost_ids.add(request_id)
        if self._drop_unprocessed or (
            "drop_unprocessed" in self._chaos_kinds
            and self._rng.random() < self._chaos_rate / len(self._chaos_kinds)
        ):
            self._drop_unprocessed = max(0, self._drop_unprocessed - 1)
            return _DROP
        if self._fail:
            status, retry_after = self._fail.pop(0)
            return self._error_reply(request_id, status, retry_after)
        return None

    async def deliver(self, ws: ServerConnection, reply: str) -> None:
        """Send ``reply`` through whatever faults are armed."""
        if reply is _DROP or (self._lost_ids and _id_of(reply) in self._lost_ids):
            self._lost_ids.discard(_id_of(reply))
            self._count("drop_unprocessed" if reply is _DROP else "lose_order_replies")
            ws.transport.abort()
            return
        if self._drop_after is not None:
            self._drop_after -= 1
            if self._drop_after <= 0:
                self._drop_after = None
                self._count("drop")
                ws.transport.abort()
                return
        kind = self._next_chaos()
        if kind is not None:
            await self._apply(kind, ws, reply)
            return
        if self._revoked:
            self._revoked -= 1
            await self._apply("revoked_401", ws, reply)
        elif self._drop_mid_reply:
            self._drop_mid_reply -= 1
            await self._apply("drop_mid_reply", ws, reply)
        elif self._garbage:
            await self._apply(self._garbage.pop(0), ws, reply)
        elif self._reorder:
            await self._apply("reorder", ws, reply)
        elif self._delay_count is None or self._delay_count > 0:
            if self._delay_count is not None:
                self._delay_count -= 1
            if self._delay > 0:
                await self._apply("delay", ws, reply)
            else:
                await _send(ws, reply)
        else:
            await _send(ws, reply)

    def _next_chaos(self) -> str | None:
        if self._chaos_rate and self._rng.random() < self._chaos_rate:
            kind = self._rng.choice(self._chaos_kinds)
            return None if kind == "drop_unprocessed" else kind  # drawn in override()
        return None

    def _count(self, kind: str) -> None:
        self.applied[kind] = self.applied.get(kind, 0) + 1

    async def _apply(self, kind: str, ws: ServerConnection, reply: str) -> None:
        self._count(kind)
        request_id = _id_of(reply)
        if kind == "delay":
            delay = self._delay or self._rng.uniform(0.001, 0.02)
            asyncio.get_running_loop().call_later(
                delay, lambda: asyncio.ensure_future(_send(ws, reply))
            )
        elif kind == "reorder" and not self._reorder:
            # Under chaos: a short random delay lets later replies overtake this one.
            asyncio.get_running_loop().call_later(
                self._rng.uniform(0.001, 0.02), lambda: asyncio.ensure_future(_send(ws, reply))
            )
        elif kind == "reorder":
            self._reorder_held.append((ws, reply))
            if len(self._reorder_held) >= max(self._reorder, 2):
                held, self._reorder_held, self._reorder = self._reorder_held, [], 0
                for conn, text in reversed(held):
                    await _send(conn, text)
        elif kind == "text":
            await _send(ws, "<html>502 Bad Gateway</html>")
            await _send(ws, reply)
        elif kind == "binary":
            await _send(ws, b"\x00\x01garbage")
            await _send(ws, reply)
        elif kind == "wrong_shape":
            await _send(ws, json.dumps({"id": request_id, "status": 200, "result": [1, 2]}))
        elif kind == "unknown_id":
            await _send(ws, json.dumps({"id": "no-such-request", "status": 200, "result": {}}))
            await _send(ws, reply)
        elif kind == "duplicate":
            await _send(ws, reply)
            await _send(ws, reply)
        elif kind in ("fail_429", "fail_418", "fail_503"):
            await _send(ws, self._error_reply(request_id, int(kind[-3:]), 1.0))
        elif kind == "revoked_401":
            await _send(
                ws,
                json.dumps(
                    {
                        "id": None,
                        "status": 401,
                        "error": {
                            "code": -2015,
                            "msg": "Invalid API-key, IP, or permissions for action.",
                        },
                    }
                ),
            )
        elif kind == "drop":
            ws.transport.abort()
        elif kind == "drop_mid_reply":
            wire = Frame(Opcode.TEXT, reply.encode()).serialize(mask=False)
            ws.transport.write(wire[: max(2, len(wire) // 2)])
            ws.transport.abort()
        else:  # pragma: no cover - guarded by chaos()
            raise ValueError(kind)

    def _error_reply(self, request_id: Any, status: int, retry_after: float | None) -> str:
        code, msg = _ERRORS[status]
        now = int(self._now_ms())
        error: dict[str, Any] = {"code": code, "msg": msg.format(until=now + 120_000)}
        if retry_after is not None:
            error["data"] = {"serverTime": now, "retryAfter": now + round(retry_after * 1000)}
        return json.dumps({"id": request_id, "status": status, "error": error})


async def _send(ws: ServerConnection, message: str | bytes) -> None:
    try:
        await ws.send(message)
    except ConnectionClosed:
        pass
