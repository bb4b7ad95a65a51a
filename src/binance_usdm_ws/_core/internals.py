"""Whether the SDK may use other libraries' undocumented internals (CPython's JSON encoder
in :mod:`.protocol`, websockets' in :mod:`binance_usdm_ws._io.socket`); each has a public-API
fallback, used when they are missing or ``BINANCE_USDM_WS_NO_INTERNALS=1`` is set."""

import os

__all__ = ["USE_INTERNALS"]

USE_INTERNALS = os.environ.get("BINANCE_USDM_WS_NO_INTERNALS", "") in ("", "0")
"""False when ``BINANCE_USDM_WS_NO_INTERNALS`` is set (to anything but ``0``)."""
