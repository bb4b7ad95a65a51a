"""Every module declares __all__, and the top-level exports are what the docs promise."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import binance_usdm_ws
from binance_usdm_ws._generated import event_models as _event_models
from binance_usdm_ws._generated import models as _models


def test_every_module_declares_all_and_all_names_exist() -> None:
    names = ["binance_usdm_ws"] + [
        m.name
        for m in pkgutil.walk_packages(binance_usdm_ws.__path__, "binance_usdm_ws.")
        if not m.name.endswith("__main__")
    ]
    for name in names:
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), name
        for export in module.__all__:
            assert hasattr(module, export), f"{name}.{export}"


def test_top_level_exports() -> None:
    expected = {
        "AsyncClient",
        "ConnectionSettings",
        "PROD_URL",
        "TESTNET_URL",
        "METHODS",
        "MethodInfo",
        "errors",
        "ApiError",
        "BadRequestError",
        "BinanceWsError",
        "ClientRateLimitedError",
        "ConnectionClosedError",
        "ForbiddenError",
        "InvalidApiKeyError",
        "IpBannedError",
        "ListenKeyNotFoundError",
        "OrderStatusUnknownError",
        "ProtocolError",
        "RateLimitedError",
        "RequestTimeoutError",
        "ServerError",
        "UnauthorizedError",
    }
    expected |= {
        "LISTEN_KEY_VALIDITY",
        "Backoff",
        "Client",
        "Clock",
        "SystemClock",
        "Keepalive",
        "KeepaliveEvent",
        "KeepaliveFleet",
        "ListenKeyRecreated",
        "ListenKeyRenewalFailed",
        "ListenKeyRenewed",
        "ListenKeyStarted",
        "ListenKeyStopped",
    }
    expected |= {
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
    }
    assert set(binance_usdm_ws.__all__) == expected | set(_models.__all__)
    for name in ("RateLimit", "UserDataStreamPingResponse", "UserDataStreamStopResult"):
        assert name in binance_usdm_ws.__all__


def test_event_exports() -> None:
    from binance_usdm_ws import events

    assert set(events.__all__) == set(_event_models.__all__) | {
        "UnknownEvent",
        "UserDataEvent",
        "decode_event",
        "ms_to_datetime",
    }
    for name in ("KnownEvent", "OrderTradeUpdateEvent", "ListenKeyExpiredEvent"):
        assert name in events.__all__


def test_testing_exports() -> None:
    from binance_usdm_ws import testing

    assert set(testing.__all__) == {
        "Emulator",
        "FakeClock",
        "Faults",
        "FAULT_KINDS",
        "wall_clock_ms",
    }


def test_importing_the_package_leaves_out_what_a_connection_or_a_test_loads_later() -> None:
    # cattrs (the converter) loads with the first connection; the emulator (and
    # websockets' server) only for the tests and commands that use it.
    code = (
        "import sys, binance_usdm_ws; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'cattrs'}), "
        "'binance_usdm_ws.testing' in sys.modules, "
        "'websockets.asyncio.server' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "False", "False"]


def test_the_exported_models_are_the_generated_classes() -> None:
    for name in _models.__all__:
        assert getattr(binance_usdm_ws, name) is getattr(_models, name)
