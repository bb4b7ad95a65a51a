"""The backoff, and the supervisor's state machine on fake connections (no socket)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from binance_usdm_ws import Backoff, ConnectionClosedError
from binance_usdm_ws._io import supervisor as supervisor_module
from binance_usdm_ws._io.supervisor import Supervisor
from binance_usdm_ws.testing import FakeClock


def test_backoff_doubles_up_to_its_maximum_with_jitter() -> None:
    low, high = Backoff(0.5, 4.0, rng=lambda: 0.0), Backoff(0.5, 4.0, rng=lambda: 0.999999)
    assert [low.delay(n) for n in range(6)] == [0.25, 0.5, 1.0, 2.0, 2.0, 2.0]
    assert [round(high.delay(n), 3) for n in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert low.delay(10_000) == 2.0  # no overflow


@pytest.mark.parametrize("initial, maximum", [(0, 1), (2, 1), (-1, 5)])
def test_backoff_refuses_bad_bounds(initial: float, maximum: float) -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(initial, maximum)


class FakeConnection:
    """What the supervisor uses of a connection, with no socket behind it."""

    def __init__(self, on_closed: Callable[[Any], None]) -> None:
        self._on_closed = on_closed
        self._ended = asyncio.Event()
        self.usable = True
        self.closed = False
        self.idle_closes = 0

    def end(self) -> None:
        """The server closed it."""
        self.usable, self.closed = False, True
        self._on_closed(self)
        self._ended.set()

    @property
    def close_reason(self) -> str:
        return "closed" if self.closed else "open"

    async def wait_closed(self) -> None:
        await self._ended.wait()

    async def close(self) -> None:
        if not self.closed:
            self.end()

    async def close_when_idle(self, timeout: float) -> None:
        self.idle_closes += 1
        await self.close()


class Dialer:
    """Stands in for ``Connection.open``: fails ``failures`` times, then connects."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.opened: list[FakeConnection] = []
        self.attempts = 0

    async def open(
        self, url: str, options: Any, on_closed: Callable[[Any], None]
    ) -> FakeConnection:
        self.attempts += 1
        await asyncio.sleep(0)
        if self.failures:
            self.failures -= 1
            raise ConnectionClosedError("cannot connect to fake: refused", sent=False)
        self.opened.append(FakeConnection(on_closed))
        return self.opened[-1]


@pytest.fixture
def dialer(monkeypatch: pytest.MonkeyPatch) -> Iterator[Dialer]:
    fake = Dialer()
    monkeypatch.setattr(supervisor_module.Connection, "open", fake.open)
    yield fake


def make(clock: FakeClock, **options: Any) -> Supervisor:
    return Supervisor("ws://fake", {}, clock, backoff=Backoff(1.0, 8.0, rng=lambda: 1.0), **options)


async def test_a_call_before_start_connects_in_the_background(dialer: Dialer) -> None:
    supervisor = make(FakeClock())
    connection = await supervisor.connection(1.0, "m")
    assert connection is dialer.opened[0] and supervisor.running
    assert supervisor.connections_opened == 1
    await supervisor.close()


async def test_after_close_calls_fail_at_once_until_start(dialer: Dialer) -> None:
    supervisor = make(FakeClock())
    await supervisor.start()
    await supervisor.close()
    assert supervisor.closed and supervisor.latest is None
    with pytest.raises(ConnectionClosedError, match="client is closed") as caught:
        await supervisor.connection(None, "m")
    assert caught.value.sent is False and dialer.attempts == 1  # no dial
    await supervisor.start()
    assert not supervisor.closed and supervisor.current is dialer.opened[1]
    await supervisor.close()


async def test_a_lost_connection_is_redialled_with_backoff(dialer: Dialer) -> None:
    clock = FakeClock()
    supervisor = make(clock)
    await supervisor.start()
    dialer.failures = 2
    dialer.opened[0].end()
    while dialer.attempts < 2 or clock.sleepers == 0:
        await asyncio.sleep(0)
    assert supervisor.current is None  # waiting 1 s after the first failed re-dial
    with pytest.raises(ConnectionClosedError, match="no connection within") as caught:
        await supervisor.connection(0.01, "m")
    assert "cannot connect to fake" in str(caught.value) and caught.value.sent is False
    waiting = asyncio.ensure_future(supervisor.connection(None, "m"))
    clock.advance(1.0)  # the third attempt fails too: 2 s more
    while dialer.attempts < 3 or clock.sleepers == 0:
        await asyncio.sleep(0)
    clock.advance(1.9)
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(0.1)
    assert await asyncio.wait_for(waiting, 5) is dialer.opened[1]
    assert dialer.attempts == 4 and supervisor.connections_opened == 2
    await supervisor.close()


async def test_an_old_connection_is_replaced_before_it_closes(dialer: Dialer) -> None:
    clock = FakeClock()
    supervisor = make(clock, max_age=100.0)
    await supervisor.start()
    old = dialer.opened[0]
    for _ in range(10):  # let the supervisor start its (background) wait for the age limit
        await asyncio.sleep(0)
    clock.advance(100)
    while len(dialer.opened) < 2 or old.idle_closes == 0:
        await asyncio.sleep(0)
    assert supervisor.current is dialer.opened[1]  # the new one was open first
    assert old.closed and old.idle_closes == 1  # then the old one drained and closed
    await supervisor.close()
