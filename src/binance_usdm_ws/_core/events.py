"""What no schema describes of the user data stream's events: :class:`UnknownEvent` (the
fallback), :data:`UserDataEvent` (the union), :func:`decode_event` (no I/O), a time helper."""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Mapping
from typing import Any, TypeAlias

import attrs

from .._generated.event_models import KnownEvent
from ..errors import ProtocolError

__all__ = ["UnknownEvent", "UserDataEvent", "decode_event", "ms_to_datetime"]


@attrs.frozen(kw_only=True)
class UnknownEvent:
    """An event the SDK has no model for: ``raw`` (parsed JSON) as received, encoded back as is.

    ``event_type`` is its ``e``, if a string. ``error`` is ``None`` when that type is not
    in ``schema/events/``, else why the payload does not match the type's model.
    """

    event_type: str | None
    raw: dict[str, Any]
    error: str | None = None


UserDataEvent: TypeAlias = KnownEvent | UnknownEvent
"""Anything a user data stream delivers: a typed event, or an :class:`UnknownEvent`."""


def ms_to_datetime(ms: int) -> _dt.datetime:
    """Epoch milliseconds (as in ``event_time``) as an aware UTC datetime, exactly."""
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(milliseconds=ms)


def decode_event(frame: str | bytes | Mapping[str, Any]) -> UserDataEvent:
    """Decode one user data stream frame (or its parsed JSON) into a typed event.

    A combined-stream wrapper (``{"stream": …, "data": {…}}``) is unwrapped. An object no model
    takes becomes an :class:`UnknownEvent`; a frame that is not a JSON object raises ProtocolError.
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
        return CONVERTER.structure(raw, UserDataEvent)  # type: ignore[arg-type]
    except Exception as exc:  # whatever cattrs raises: the payload does not match its model
        unknown = CONVERTER.structure(raw, UnknownEvent)
        return attrs.evolve(unknown, error=f"{type(exc).__name__}: {exc}")
