"""Sans-I/O request/reply matching: ids, pending requests, encoding, decoding, deadlines.

A *waiter* is what the caller gets back with a request's outcome (the asyncio client: a
future); times are seconds on the caller's monotonic clock."""

import heapq
import itertools
import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any, Generic, NamedTuple, TypeVar

from .._generated.models import ErrorResponse
from ..errors import ApiError, BinanceWsError, ProtocolError, RequestTimeoutError, error_from_reply
from .internals import USE_INTERNALS
from .log import logger

__all__ = ["Outcome", "Protocol", "dumps"]
W = TypeVar("W")
_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _make_dumps(use_internals: bool) -> Callable[[Any], str]:
    # JSONEncoder.encode builds a C encoder per call; with use_internals it is built once
    # (1.2 µs less per request), same text, and without a markers dict (nothing is circular).
    try:
        from _json import make_encoder
    except ImportError:
        use_internals = False
    if not use_internals:
        return _encoder.encode
    chunks = make_encoder(
        None, _encoder.default, encode_basestring, None, ":", ",", False, False, True
    )
    return lambda value: "".join(chunks(value, 0))


dumps = _make_dumps(USE_INTERNALS)
"""Encode a request as compact JSON text (non-ASCII kept as is)."""
_raw_decode = json.JSONDecoder().raw_decode


def _loads(text: str) -> Any:
    # json.loads(text), minus its per-call set-up when the text is one bare value.
    try:
        value, end = _raw_decode(text)
        if end == len(text):
            return value
    except ValueError:  # invalid, or leading whitespace or a BOM
        pass
    return json.loads(text)  # decides the rest: trailing whitespace is fine, anything else not


# One counter per process: an id names one request in all logs, and costs least (a uuid: ~2 %).
_REQUEST_IDS = itertools.count(1)


class Outcome(NamedTuple):  # not Generic[W]: a generic NamedTuple needs Python 3.11
    """What became of one pending request: exactly one of ``result`` / ``error`` is meaningful."""

    waiter: Any
    result: Any
    error: BinanceWsError | None


class _Pending(NamedTuple):
    method: str
    response_type: type[Any]
    waiter: Any
    timeout: float | None


class Protocol(Generic[W]):
    """One connection's request/reply matching. A reply settles the request with its ``id``
    and no other; an ``"id": null`` error (e.g. a revoked key) fails all; frames no request
    can be blamed for are logged and dropped. A ``timeout`` is enforced by :meth:`expire`."""

    def __init__(self, *, id_factory: Callable[[], str | int] | None = None) -> None:
        from .converter import CONVERTER  # cattrs loads with the first connection, not the package

        self._converter = CONVERTER
        self._structure: dict[type[Any], Callable[[Any, type[Any]], Any]] = {}  # found once
        self._id_factory = _REQUEST_IDS.__next__ if id_factory is None else id_factory
        self._pending: dict[str | int, _Pending] = {}
        # A heap; settled entries stay until they reach the top or the heap is compacted.
        self._deadlines: list[tuple[float, int, str | int, _Pending]] = []
        self._sequence = itertools.count()
        self._alarm: float | None = None  # when the caller's timer will call expire()

    def __len__(self) -> int:
        """Number of requests awaiting a reply."""
        return len(self._pending)

    def encode(self, method: str, params: Mapping[str, Any] | None) -> tuple[str | int, str]:
        """A fresh request id (not pending) and the request's JSON text; registers nothing,
        so the frame can be written first (no reply is read before the caller's ``await``)."""
        request_id = self._id_factory()
        while request_id in self._pending:  # only a custom id_factory can repeat itself
            request_id = self._id_factory()
        message: dict[str, Any] = {"id": request_id, "method": method}
        if params:
            message["params"] = params
        return request_id, dumps(message)

    def register(
        self,
        request_id: str | int,
        method: str,
        response_type: type[Any],
        waiter: W,
        *,
        timeout: float | None = None,
        now: float = 0.0,
    ) -> None:
        """Await a reply to ``request_id`` for ``waiter``; the deadline is ``now + timeout``."""
        pending = self._pending
        pending[request_id] = entry = _Pending(method, response_type, waiter, timeout)
        if timeout is not None:
            deadlines = self._deadlines
            if len(deadlines) > 2 * len(pending) + 64:  # settled entries piled up: drop them
                deadlines[:] = [d for d in deadlines if pending.get(d[2]) is d[3]]
                heapq.heapify(deadlines)
            heapq.heappush(deadlines, (now + timeout, next(self._sequence), request_id, entry))

    def waiters(self) -> list[W]:
        """The waiters of every pending request."""
        return [pending.waiter for pending in self._pending.values()]

    def alarm(self) -> float | None:
        """When to call :meth:`expire` (then this again): the earliest pending deadline, or
        ``None`` if there is none or an alarm returned before, not yet spent, is no later."""
        deadlines, pending = self._deadlines, self._pending
        while deadlines and pending.get(deadlines[0][2]) is not deadlines[0][3]:
            heapq.heappop(deadlines)  # settled already
        if not deadlines or (self._alarm is not None and self._alarm <= deadlines[0][0]):
            return None
        self._alarm = deadlines[0][0]
        return self._alarm

    def expire(self, now: float) -> list[Outcome]:
        """Fail every pending request whose deadline is ``now`` or earlier; spend the alarm."""
        self._alarm = None
        deadlines, pending = self._deadlines, self._pending
        outcomes: list[Outcome] = []
        while deadlines and deadlines[0][0] <= now:
            _, _, request_id, entry = heapq.heappop(deadlines)
            if pending.get(request_id) is entry:
                del pending[request_id]
                text = f"{entry.method} (id {request_id!r}): no reply within {entry.timeout:.3g} s"
                outcomes.append(Outcome(entry.waiter, None, RequestTimeoutError(text)))
        return outcomes

    def forget(self, request_id: str | int) -> None:
        """Drop a request that no longer wants its reply (timed out, cancelled, never sent)."""
        self._pending.pop(request_id, None)

    def fail_all(self, error: Callable[[str | int, str], BinanceWsError]) -> list[Outcome]:
        """Fail every pending request with ``error(request_id, method)`` and empty the table."""
        pending, self._pending = self._pending, {}
        self._deadlines = []
        return [Outcome(p.waiter, None, error(rid, p.method)) for rid, p in pending.items()]

    def receive(self, frame: str | bytes) -> list[Outcome]:
        """Decode one frame from the server and return the outcomes it settles."""
        if not isinstance(frame, str):
            logger.warning("dropped a binary frame of %d bytes from the server", len(frame))
            return []
        try:
            message = _loads(frame)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            logger.warning("dropped a frame that is not JSON: %.200r", frame)
            return []
        if not isinstance(message, dict):
            logger.warning("dropped a frame that is not a JSON object: %.200r", frame)
            return []
        request_id = message.get("id")
        if request_id is None:
            error: BinanceWsError | None = None
            if message.get("status") != 200 and "error" in message:
                error = self._api_error(message, None, None)
            if not isinstance(error, ApiError):
                what = "a frame" if error is None else "an error frame"
                logger.warning("dropped %s with no usable id: %.200r", what, frame)
                return []
            logger.warning(
                "the server sent an error for no request, failing %d pending: %s",
                len(self._pending),
                error,
            )
            return self.fail_all(error.with_request)
        if not isinstance(request_id, (str, int)) or isinstance(request_id, bool):
            logger.warning("dropped a frame with an invalid id: %.200r", frame)
            return []
        pending = self._pending.pop(request_id, None)
        if pending is None:  # typically the late reply of a request that timed out
            logger.debug("dropped a reply for an unknown id %.80r", request_id)
            return []
        status = message.get("status")
        if status == 200 and type(status) is int:
            response_type = pending.response_type
            try:
                structure = self._structure.get(response_type)
                if structure is None:
                    structure = self._converter.get_structure_hook(response_type)
                    self._structure[response_type] = structure
                result = structure(message, response_type)
            except Exception as exc:  # cattrs raises KeyError/TypeError/ValueError/...
                error = _undecodable("reply", pending.method, request_id, exc)
                return [Outcome(pending.waiter, None, error)]
            return [Outcome(pending.waiter, result, None)]
        return [Outcome(pending.waiter, None, self._api_error(message, request_id, pending.method))]

    def _api_error(
        self, message: dict[str, Any], request_id: str | int | None, method: str | None
    ) -> BinanceWsError:
        try:
            reply = self._converter.structure(message, ErrorResponse)
        except Exception as exc:
            return _undecodable("error reply", method, request_id, exc)
        return error_from_reply(
            status=reply.status,
            code=reply.error.code,
            msg=reply.error.msg,
            request_id=request_id,
            method=method,
            rate_limits=reply.rate_limits,
            data=reply.error.data,
        )


def _undecodable(what: str, method: object, request_id: object, exc: Exception) -> ProtocolError:
    return ProtocolError(
        f"cannot decode the {what} to {method} (id {request_id!r}): {type(exc).__name__}: {exc}"
    )
