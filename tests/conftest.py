from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest

from binance_usdm_ws import AsyncClient
from binance_usdm_ws._core.protocol import Protocol
from binance_usdm_ws.testing import Emulator, FakeClock

W = TypeVar("W")

ROOT = Path(__file__).resolve().parent.parent
KEY_1 = "k1TestApiKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
KEY_2 = "k2TestApiKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"


def readme_block(heading: str) -> str:
    """The first Python block after the README's line ``heading``: what a test runs as written."""
    section = (ROOT / "README.md").read_text().split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def run_readme_block(heading: str) -> dict[str, Any]:
    """The namespace of that block, executed (its definitions, for the test to call)."""
    namespace: dict[str, Any] = {}
    exec(compile(readme_block(heading), "README.md", "exec"), namespace)
    return namespace


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


def prepare(
    protocol: Protocol[W],
    method: str,
    params: Mapping[str, Any] | None,
    response_type: type[Any],
    waiter: W,
    *,
    timeout: float | None = None,
    now: float = 0.0,
) -> tuple[str | int, str]:
    """Encode a request and await its reply, as the connection does: its id and frame."""
    request_id, text = protocol.encode(method, params)
    protocol.register(request_id, method, response_type, waiter, timeout=timeout, now=now)
    return request_id, text
