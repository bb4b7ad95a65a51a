"""Clocks for tests: wall time for the emulator, or a simulated clock tests move by hand."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import threading
import time

__all__ = ["FakeClock", "wall_clock_ms"]


def wall_clock_ms() -> int:
    """Milliseconds since the epoch, from the system clock."""
    return time.time_ns() // 1_000_000


class FakeClock:
    """A simulated clock that moves only when told to.

    One clock can drive both sides of a test: pass it to
    :class:`~binance_usdm_ws.testing.Emulator` (which reads epoch
    milliseconds by calling it) and to the client and keepalive service as
    ``clock=`` (which read :meth:`time` and wait with :meth:`sleep`).

    :meth:`advance` moves time and wakes the sleepers that are due.
    :meth:`run` simulates a stretch of time for code that sleeps on this
    clock: it jumps from one sleeper's deadline to the next, each time first
    waiting (in real time) until the woken code has finished its work and
    sleeps again.

    Code on other event loops may sleep on the same clock (a threaded emulator, the blocking
    :class:`~binance_usdm_ws.Client`): :meth:`advance`, called from any thread, wakes each
    sleeper on its own loop.
    """

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now_ms = start_ms
        self._sleepers: list[tuple[int, int, asyncio.Future[None], bool]] = []
        self._order = itertools.count()
        self._foreground = 0
        self._slept = asyncio.Event()
        self._lock = threading.Lock()  # the heap, for sleepers on other threads' loops

    def __call__(self) -> int:
        """The current time in epoch milliseconds."""
        return self._now_ms

    def time(self) -> float:
        """The current time in epoch seconds."""
        return self._now_ms / 1000

    def __repr__(self) -> str:
        return f"FakeClock({self._now_ms})"

    @property
    def sleepers(self) -> int:
        """How many tasks sleep on this clock, background sleepers excluded."""
        return self._foreground

    async def sleep(self, seconds: float, *, background: bool = False) -> None:
        """Wait until the clock has moved ``seconds`` forward."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        deadline = self._now_ms + max(1, round(seconds * 1000))
        with self._lock:
            heapq.heappush(self._sleepers, (deadline, next(self._order), future, background))
        if not background:
            self._foreground += 1
            self._slept.set()
        try:
            await future
        finally:
            if not background:
                self._foreground -= 1
            if not future.done():  # cancelled: its heap entry is skipped when it comes up
                future.cancel()

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` and wake every sleeper that is due.

        Moving backward raises ``ValueError``.
        """
        if seconds < 0:
            raise ValueError("a clock does not go backward")
        self._now_ms += round(seconds * 1000)
        self._wake_due()

    def _wake_due(self) -> None:
        with self._lock:
            due = []
            while self._sleepers and self._sleepers[0][0] <= self._now_ms:
                due.append(heapq.heappop(self._sleepers)[2])
        for future in due:
            _wake(future)

    async def run(self, seconds: float, *, settle_timeout: float = 2.0) -> None:
        """Simulate ``seconds`` for the code sleeping on this clock.

        Jumps from one sleeper's deadline to the next. Before each jump it
        waits until at least one task sleeps on the clock again (background
        sleepers do not count), so that code which was woken finishes its
        work, network round trips included, at the simulated time it was
        woken for. When no task sleeps on the clock for ``settle_timeout``
        real seconds (the code under test has finished, or is stuck), the
        clock moves straight to the end of the stretch.
        """
        if seconds < 0:
            raise ValueError("a clock does not go backward")
        target = self._now_ms + round(seconds * 1000)
        while True:
            await asyncio.sleep(0)
            if not await self._wait_for_a_sleeper(settle_timeout):
                break
            with self._lock:
                while self._sleepers and self._sleepers[0][2].done():
                    heapq.heappop(self._sleepers)  # cancelled sleeps
                if not self._sleepers or self._sleepers[0][0] > target:
                    break
                self._now_ms = max(self._now_ms, self._sleepers[0][0])
            self._wake_due()
            # Let the woken tasks run until they stop sleeping on the clock's terms.
            for _ in range(3):
                await asyncio.sleep(0)
        self._now_ms = max(self._now_ms, target)
        self._wake_due()

    async def _wait_for_a_sleeper(self, timeout: float) -> bool:
        """Wait until a task sleeps on the clock; False after ``timeout`` real seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._foreground == 0:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._slept.clear()
            try:
                await asyncio.wait_for(self._slept.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return True


def _set_result(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _wake(future: asyncio.Future[None]) -> None:
    """Resolve a sleeper's future, on its own loop when that is not the caller's."""
    loop = future.get_loop()
    try:
        running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is loop:
        _set_result(future)
    else:
        with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
            loop.call_soon_threadsafe(_set_result, future)
