"""Server time (issue 13): the offset from serverTime, corrected by half the round trip,
stamped on every signed request."""

from __future__ import annotations

import asyncio

from binance_usdm_ws import AsyncClient, Client
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1

SECRET = "s" * 64


def skewed(clock: FakeClock, skew_ms: int) -> Emulator:
    """An emulator whose clock is ``skew_ms`` ahead of the client's ``clock``."""
    return Emulator(api_keys={KEY_1}, api_secrets={KEY_1: SECRET}, clock=lambda: clock() + skew_ms)


async def test_the_offset_is_measured_and_stamped(clock: FakeClock) -> None:
    emulator = skewed(clock, 2000)
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url, clock=clock) as c:
        assert c.time_offset == 0
        loop = asyncio.get_running_loop()
        started = loop.time()
        await c.session.status()
        bound = (loop.time() - started) * 500 + 1  # half the round trip, in ms
        assert 2000 <= c.time_offset <= 2000 + bound
        await c.account.balance_v2()
        assert emulator.requests[-1]["params"]["timestamp"] == clock() + c.time_offset


def test_the_blocking_client_has_the_offset() -> None:
    clock = FakeClock()
    emulator = skewed(clock, -3000)
    with emulator, Client(KEY_1, url=emulator.url, clock=clock) as client:
        assert client.time_offset == 0
        client.session.status()
        assert -3000 <= client.time_offset < -2000
