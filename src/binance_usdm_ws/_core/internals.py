"""Whether the SDK may use other libraries' undocumented internals.

Two shortcuts pay for themselves in ``make bench`` (``bench/RESULTS.md``): the
request encoder built once through CPython's private ``_json.make_encoder``
(:mod:`.protocol`), and websockets' connection internals that let replies
settle from its data callback and requests go out without ``send()``'s
context manager (:mod:`binance_usdm_ws._io.socket`). Each has a fallback on
public APIs only, chosen when the internals are missing, or for every
connection when ``BINANCE_USDM_WS_NO_INTERNALS=1`` is set in the environment
(the tests run the transport through the fallback that way).
"""

from __future__ import annotations

import os

__all__ = ["USE_INTERNALS"]

USE_INTERNALS = os.environ.get("BINANCE_USDM_WS_NO_INTERNALS", "") in ("", "0")
"""False when ``BINANCE_USDM_WS_NO_INTERNALS`` is set (to anything but ``0``)."""
