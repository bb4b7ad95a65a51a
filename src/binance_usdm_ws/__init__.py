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

import importlib
from typing import TYPE_CHECKING, Any

from . import errors
from ._client import PROD_URL, TESTNET_URL, AsyncClient
from ._clock import Clock, SystemClock
from ._hooks import MethodInfo
from ._methods import METHODS, MODEL_NAMES
from ._supervisor import Backoff
from ._sync_client import Client
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
__all__ += MODEL_NAMES  # the generated models, loaded on first use (see _LAZY)
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
    "events",
    "ms_to_datetime",
    "stream_url_for",
]

# The generated models (and attrs, cattrs), the keepalive service, the user data
# stream and its ~40 event models load on first use: importing the package costs
# only what creating a client needs.
_LAZY = dict.fromkeys(MODEL_NAMES, "_models")
_LAZY |= {
    "LISTEN_KEY_VALIDITY": "_keepalive",
    "Keepalive": "_keepalive",
    "KeepaliveEvent": "_keepalive",
    "KeepaliveFleet": "_keepalive",
    "ListenKeyRecreated": "_keepalive",
    "ListenKeyRenewalFailed": "_keepalive",
    "ListenKeyRenewed": "_keepalive",
    "ListenKeyStarted": "_keepalive",
    "ListenKeyStopped": "_keepalive",
    "STREAM_URL": "_user_stream",
    "TESTNET_STREAM_URL": "_user_stream",
    "GapReason": "_user_stream",
    "StreamGap": "_user_stream",
    "StreamItem": "_user_stream",
    "UserDataEvents": "_user_stream",
    "decode_event": "_user_stream",
    "stream_url_for": "_user_stream",
    "UnknownEvent": "_events",
    "UserDataEvent": "_events",
    "ms_to_datetime": "_events",
    "events": "events",
}

if TYPE_CHECKING:
    from . import events
    from ._events import UnknownEvent, UserDataEvent, ms_to_datetime
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
    from ._models import *  # noqa: F403  (the generated models; see _models.__all__)
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


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if module_name == name else getattr(module, name)
    globals()[name] = value
    return value
