"""The user data stream's events: a generated model per event type, :class:`UnknownEvent` for
others, ``UserDataEvent`` (any of them) and :func:`decode_event` (a frame in, one out)."""

from __future__ import annotations

from ._core.events import UnknownEvent, UserDataEvent, decode_event, ms_to_datetime
from ._generated import event_models as _event_models
from ._generated.event_models import *  # noqa: F403  (every event model)

__all__ = ["UnknownEvent", "UserDataEvent", "decode_event", "ms_to_datetime"]
__all__ += _event_models.__all__
