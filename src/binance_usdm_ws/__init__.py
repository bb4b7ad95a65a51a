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

from . import errors, events
from ._client import PROD_URL, TESTNET_URL, AsyncClient, Client, ConnectionSettings
from ._core.backoff import Backoff
from ._core.clock import Clock, SystemClock
from ._core.events import UnknownEvent, UserDataEvent, decode_event, ms_to_datetime
from ._core.hooks import MethodInfo
from ._generated import models as _models
from ._generated.methods import METHODS
from ._generated.models import *  # noqa: F403  (every model; named in _models.__all__)
from ._services.keepalive import (
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
from ._services.user_stream import (
    STREAM_URL,
    TESTNET_STREAM_URL,
    GapReason,
    StreamGap,
    StreamItem,
    UserDataEvents,
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
    "STREAM_URL",
    "TESTNET_STREAM_URL",
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
    "ConnectionSettings",
    "ForbiddenError",
    "GapReason",
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
    "StreamGap",
    "StreamItem",
    "SystemClock",
    "UnauthorizedError",
    "UnknownEvent",
    "UserDataEvent",
    "UserDataEvents",
    "decode_event",
    "errors",
    "events",
    "ms_to_datetime",
    "stream_url_for",
]
__all__ += _models.__all__  # the generated models of requests and replies
