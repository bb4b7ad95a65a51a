"""Clocks for the emulator: wall time, or a fake one that tests move by hand."""

from __future__ import annotations

import time

__all__ = ["FakeClock", "wall_clock_ms"]


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, from the system clock."""
    return time.time_ns() // 1_000_000


class FakeClock:
    """A clock in epoch milliseconds that moves only when :meth:`advance` is called.

    Pass it to :class:`~binance_usdm_ws.testing.Emulator` to make listenKeys
    expire, or rate-limit windows roll over, without sleeping.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now_ms = start_ms

    def __call__(self) -> int:
        """The current time in epoch milliseconds."""
        return self._now_ms

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (not backward: that raises ``ValueError``)."""
        if seconds < 0:
            raise ValueError("a clock does not go backward")
        self._now_ms += round(seconds * 1000)

    def __repr__(self) -> str:
        return f"FakeClock({self._now_ms})"
