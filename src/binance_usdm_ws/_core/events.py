"""The user data stream's events as the SDK hands them out.

The event models are generated from ``schema/events/`` into
:mod:`binance_usdm_ws._generated.event_models`; this module adds what no
schema describes: the fallback for events the SDK cannot type
(:class:`UnknownEvent`), the union of everything a user data stream can carry
(:data:`UserDataEvent`), :func:`decode_event` (a frame in, an event out: no
I/O), and a time helper.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from .._generated.event_models import KnownEvent
from ..errors import ProtocolError

__all__ = ["UnknownEvent", "UserDataEvent", "decode_event", "ms_to_datetime"]

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """An event the SDK has no model for, kept as it came: decoding never fails on it.

    Either its type (``e``) is not in ``schema/events/`` (the API adds event
    types over time; ``error`` is ``None``), or its type is known but the
    payload does not match the model (``error`` says why). It encodes back to
    ``raw`` unchanged.
    """

    event_type: str | None
    """The wire ``e``, if the payload has a string there."""
    raw: dict[str, Any]
    """The event as received (parsed JSON)."""
    error: str | None = None
    """Why a known event type did not decode; ``None`` for an unknown type."""


UserDataEvent: TypeAlias = KnownEvent | UnknownEvent
"""Anything a user data stream delivers: a typed event, or an :class:`UnknownEvent`."""


def ms_to_datetime(ms: int) -> _dt.datetime:
    """An event time (epoch milliseconds, as in ``event_time``) as an aware UTC datetime.

    Exact to the millisecond (no float rounding).
    """
    return _EPOCH + _dt.timedelta(milliseconds=ms)


def decode_event(frame: str | bytes | Mapping[str, Any]) -> UserDataEvent:
    """Decode one user data stream frame (or its parsed JSON) into a typed event.

    Never raises for a JSON object: an event type the SDK has no model for
    becomes an :class:`UnknownEvent`, and so does a known type whose payload
    does not match its model (with ``error`` saying why). A combined-stream
    wrapper (``{"stream": …, "data": {…}}``) is unwrapped.

    Raises:
        ProtocolError: the frame is not a JSON object.
    """
    if isinstance(frame, (str, bytes)):
        try:
            frame = json.loads(frame)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"user data stream frame is not JSON: {exc}") from None
    if isinstance(frame, Mapping) and "stream" in frame and isinstance(frame.get("data"), dict):
        frame = frame["data"]
    if not isinstance(frame, Mapping):
        raise ProtocolError(f"user data stream frame is not a JSON object: {frame!r:.100}")
    raw = dict(frame)
    from .converter import CONVERTER  # cattrs loads on first use, not with the package

    try:
        event: UserDataEvent = CONVERTER.structure(raw, UserDataEvent)  # type: ignore[arg-type]
    except Exception as exc:  # whatever cattrs raises: the payload does not match its model
        tag = raw.get("e")
        return UnknownEvent(
            event_type=tag if isinstance(tag, str) else None,
            raw=raw,
            error=f"{type(exc).__name__}: {exc}",
        )
    return event
