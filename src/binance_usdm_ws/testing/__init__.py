"""Test helpers: an emulator of the API that runs on loopback, and a fake clock.

Use them to test code that uses this SDK without reaching Binance::

    from binance_usdm_ws.testing import Emulator, FakeClock
"""

from __future__ import annotations

from ._clock import FakeClock, wall_clock_ms
from ._emulator import Emulator
from ._faults import FAULT_KINDS, Faults

__all__ = ["FAULT_KINDS", "Emulator", "FakeClock", "Faults", "wall_clock_ms"]
