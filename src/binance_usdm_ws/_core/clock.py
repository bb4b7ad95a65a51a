"""Where the SDK's time comes from; tests use :class:`binance_usdm_ws.testing.FakeClock`."""

import asyncio
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """A clock for the long-running parts: reconnecting, keepalive, rate limits."""

    def time(self) -> float:
        """Seconds since the epoch (rate-limit windows align to wall-clock minutes)."""

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        """Wait ``seconds``; a simulated clock moves on past ``background`` (watchdog) sleeps."""


class SystemClock:
    """The real clock: :func:`time.time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"
