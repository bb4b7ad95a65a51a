"""Typed client of the Binance USDⓈ-M Futures WebSocket API (ws-fapi).

::

    from binance_usdm_ws import AsyncClient

    async with AsyncClient(api_key="...") as client:
        reply = await client.user_data_stream.start()
        print(reply.result.listen_key, reply.rate_limits)

Models and methods are generated from the JSON Schema in ``schema/``; the user
data stream's event models are in :mod:`binance_usdm_ws.events`;
exceptions are in :mod:`binance_usdm_ws.errors`; an emulator of the API for
offline tests is in :mod:`binance_usdm_ws.testing`.
"""

from __future__ import annotations

from . import _client, errors, events
from ._client import *  # noqa: F403
from ._core import events as _events
from ._core.backoff import Backoff
from ._core.clock import Clock, SystemClock
from ._core.events import *  # noqa: F403
from ._core.hooks import MethodInfo
from ._generated import models as _models
from ._generated.methods import METHODS
from ._generated.models import *  # noqa: F403
from ._services import keepalive as _keepalive
from ._services import user_stream as _user_stream
from ._services.keepalive import *  # noqa: F403
from ._services.user_stream import *  # noqa: F403
from .errors import *  # noqa: F403

__version__ = "0.1.0"

# One list of public names: each module's own __all__ (as asyncio composes its package).
__all__ = [
    *_client.__all__,
    *_events.__all__,
    *_keepalive.__all__,
    *_user_stream.__all__,
    *(name for name in errors.__all__ if name.endswith("Error")),  # the exception classes
    *_models.__all__,
    "METHODS",
    "Backoff",
    "Clock",
    "MethodInfo",
    "SystemClock",
    "errors",
    "events",
]
