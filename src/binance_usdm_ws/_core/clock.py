"""Time as the SDK's long-running parts see it, so that tests can replace it.

The reconnecting connection and the keepalive service read the time and sleep
only through a :class:`Clock`. :class:`SystemClock` is the real one;
:class:`binance_usdm_ws.testing.FakeClock` is a simulated one that tests run
through hours in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from."""

    def time(self) -> float:
        """Seconds since the epoch (rate-limit windows are aligned to wall-clock minutes)."""
        ...

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        """Wait ``seconds``.

        ``background=True`` marks a watchdog's sleep (e.g. waiting to rotate
        a connection): a simulated clock does not wait for such sleepers
        before it moves on. A real clock ignores the flag.
        """
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"
