"""Whether the SDK may use other libraries' undocumented internals.

Two shortcuts pay in ``make bench``: the request encoder built once through CPython's
private ``_json.make_encoder`` (:mod:`.protocol`), and websockets' connection internals
(:mod:`binance_usdm_ws._io.socket`). Each falls back to public APIs when the internals are
missing, or always with ``BINANCE_USDM_WS_NO_INTERNALS=1``.
"""

import os

__all__ = ["USE_INTERNALS"]

USE_INTERNALS = os.environ.get("BINANCE_USDM_WS_NO_INTERNALS", "") in ("", "0")
"""False when ``BINANCE_USDM_WS_NO_INTERNALS`` is set (to anything but ``0``)."""
