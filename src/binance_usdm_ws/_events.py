"""The user data stream's events as the SDK hands them out.

The event models are generated from ``schema/events/`` into
:mod:`._event_models`; this module adds what no schema describes: the
fallback for events the SDK cannot type (:class:`UnknownEvent`), the union of
everything a user data stream can carry (:data:`UserDataEvent`), and a time
helper. Decoding is the converter's job (:mod:`._converter`).
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, TypeAlias

import attrs

from ._event_models import KnownEvent

__all__ = ["UnknownEvent", "UserDataEvent", "ms_to_datetime"]

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
