"""The user data stream's events: one generated model per event type, and the union.

::

    from binance_usdm_ws.events import OrderTradeUpdateEvent, UnknownEvent

``UserDataEvent`` is every known event model or :class:`UnknownEvent` (an
event type this SDK does not know, kept as its raw dict); :func:`decode_event`
turns a stream frame into one.
"""

from __future__ import annotations

from ._event_models import *  # noqa: F403  (the generated event models)
from ._event_models import __all__ as _event_models_all
from ._events import UnknownEvent, UserDataEvent, ms_to_datetime
from ._user_stream import decode_event

__all__ = ["UnknownEvent", "UserDataEvent", "decode_event", "ms_to_datetime"]
__all__ += _event_models_all
