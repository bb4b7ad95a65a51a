"""Typed client of the Binance USDⓈ-M Futures WebSocket API (ws-fapi).

::

    from binance_usdm_ws import AsyncClient

    async with AsyncClient(api_key="...") as client:
        reply = await client.user_data_stream.start()
        print(reply.result.listen_key, reply.rate_limits)

Models and methods are generated from the JSON Schema in ``schema/``;
exceptions are in :mod:`binance_usdm_ws.errors`; an emulator of the API for
offline tests is in :mod:`binance_usdm_ws.testing`.
"""

from __future__ import annotations

from . import errors
from ._client import PROD_URL, TESTNET_URL, AsyncClient
from ._clock import Clock, SystemClock
from ._event_models import *  # noqa: F403  (the generated event models)
from ._event_models import __all__ as _event_models_all
from ._events import UnknownEvent, UserDataEvent, ms_to_datetime
from ._hooks import MethodInfo
from ._keepalive import (
    LISTEN_KEY_VALIDITY,
    Keepalive,
    KeepaliveEvent,
    KeepaliveFleet,
    ListenKeyRecreated,
    ListenKeyRenewalFailed,
    ListenKeyRenewed,
    ListenKeyStarted,
    ListenKeyStopped,
)
from ._methods import METHODS
from ._models import *  # noqa: F403  (the generated models; see _models.__all__)
from ._models import __all__ as _models_all
from ._supervisor import Backoff
from ._sync_client import Client
from ._user_stream import (
    STREAM_URL,
    TESTNET_STREAM_URL,
    GapReason,
    StreamGap,
    StreamItem,
    UserDataEvents,
    decode_event,
    stream_url_for,
)
from .errors import (
    ApiError,
    BadRequestError,
    BinanceWsError,
    ClientRateLimitedError,
    ConnectionClosedError,
    ForbiddenError,
    InvalidApiKeyError,
    IpBannedError,
    ListenKeyNotFoundError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
    UnauthorizedError,
)

__version__ = "0.1.0"

__all__ = [
    "LISTEN_KEY_VALIDITY",
    "METHODS",
    "PROD_URL",
    "TESTNET_URL",
    "ApiError",
    "AsyncClient",
    "Backoff",
    "BadRequestError",
    "BinanceWsError",
    "Client",
    "ClientRateLimitedError",
    "Clock",
    "ConnectionClosedError",
    "ForbiddenError",
    "InvalidApiKeyError",
    "IpBannedError",
    "Keepalive",
    "KeepaliveEvent",
    "KeepaliveFleet",
    "ListenKeyNotFoundError",
    "ListenKeyRecreated",
    "ListenKeyRenewalFailed",
    "ListenKeyRenewed",
    "ListenKeyStarted",
    "ListenKeyStopped",
    "MethodInfo",
    "ProtocolError",
    "RateLimitedError",
    "RequestTimeoutError",
    "ServerError",
    "SystemClock",
    "UnauthorizedError",
    "errors",
]
__all__ += _models_all
__all__ += [
    "STREAM_URL",
    "TESTNET_STREAM_URL",
    "GapReason",
    "StreamGap",
    "StreamItem",
    "UnknownEvent",
    "UserDataEvent",
    "UserDataEvents",
    "decode_event",
    "ms_to_datetime",
    "stream_url_for",
]
__all__ += _event_models_all
