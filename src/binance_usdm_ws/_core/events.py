"""User data stream events beyond the schemas: the fallback, the union, the decoder (no I/O)."""

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
    """An event with no model: ``raw`` (parsed JSON) as received, encoded back as is.
    ``event_type`` is its ``e`` (if a string); ``error``, why it fails that type's model, if any."""

    event_type: str | None
    raw: dict[str, Any]
    error: str | None = None


UserDataEvent: TypeAlias = KnownEvent | UnknownEvent


def ms_to_datetime(ms: int) -> _dt.datetime:
    """Epoch milliseconds (as in ``event_time``) as an aware UTC datetime, exactly."""
    return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(milliseconds=ms)


def decode_event(frame: str | bytes | Mapping[str, Any]) -> UserDataEvent:
    """One user data stream frame (or its parsed JSON; a combined-stream wrapper is unwrapped)
    as a typed event, else an :class:`UnknownEvent`; ProtocolError if not a JSON object."""
    if isinstance(frame, (str, bytes)):
        try:
            frame = json.loads(frame)
        except (ValueError, RecursionError) as exc:
            raise ProtocolError(f"user data stream frame is not JSON: {exc}") from None
    if isinstance(frame, Mapping) and "stream" in frame and isinstance(frame.get("data"), dict):
        frame = frame["data"]
    if not isinstance(frame, Mapping):
        raise ProtocolError(f"user data stream frame is not a JSON object: {frame!r:.100}")
    from .converter import CONVERTER  # cattrs loads on first use, not with the package

    try:
        return CONVERTER.structure(dict(frame), UserDataEvent)  # type: ignore[arg-type]
    except Exception as exc:  # whatever cattrs raises: the payload does not match its model
        unknown = CONVERTER.structure(dict(frame), UnknownEvent)
        return attrs.evolve(unknown, error=f"{type(exc).__name__}: {exc}")
