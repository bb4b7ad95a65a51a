"""Time for the SDK's long-running parts (reconnecting, keepalive), replaceable in tests by
:class:`binance_usdm_ws.testing.FakeClock`."""

import asyncio
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Where time comes from."""

    def time(self) -> float:
        """Seconds since the epoch (rate-limit windows align to wall-clock minutes)."""
        ...

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        """Wait ``seconds``; ``background`` marks a watchdog's sleep, which a simulated
        clock does not wait for before it moves on (a real clock ignores it)."""
        ...


class SystemClock:
    """The real clock: :func:`time.time` and :func:`asyncio.sleep`."""

    def time(self) -> float:
        return time.time()

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        await asyncio.sleep(max(0.0, seconds))

    def __repr__(self) -> str:
        return "SystemClock()"
