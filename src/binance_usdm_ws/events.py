"""The user data stream's events: one generated model per event type, and the union.

::

    from binance_usdm_ws.events import OrderTradeUpdateEvent, UnknownEvent

``UserDataEvent`` is every known event model or :class:`UnknownEvent` (an
event type this SDK does not know, kept as its raw dict); :func:`decode_event`
turns a stream frame into one.
"""

from __future__ import annotations

from ._core.events import UnknownEvent, UserDataEvent, decode_event, ms_to_datetime
from ._generated import event_models as _event_models
from ._generated.event_models import *  # noqa: F403  (every event model)

__all__ = ["UnknownEvent", "UserDataEvent", "decode_event", "ms_to_datetime"]
__all__ += _event_models.__all__
