from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from binance_usdm_ws import AsyncClient
from binance_usdm_ws.testing import Emulator, FakeClock

ROOT = Path(__file__).resolve().parent.parent
KEY_1 = "k1TestApiKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
KEY_2 = "k2TestApiKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def emulator(clock: FakeClock) -> AsyncIterator[Emulator]:
    async with Emulator(api_keys={KEY_1, KEY_2}, clock=clock) as emu:
        yield emu


@pytest.fixture
async def client(emulator: Emulator) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, timeout=10.0) as c:
        yield c
