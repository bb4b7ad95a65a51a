"""An API key never appears in full in logs, reprs or exception messages."""

from __future__ import annotations

import asyncio
import logging

import pytest

from binance_usdm_ws import AsyncClient, BinanceWsError
from binance_usdm_ws.testing import Emulator

from .conftest import KEY_1


async def test_full_run_at_debug_never_logs_the_key(caplog: pytest.LogCaptureFixture) -> None:
    unknown = "zq9XunknownKeyZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with Emulator(api_keys={KEY_1}) as emulator:
            async with AsyncClient(api_key=KEY_1, url=emulator.url, retries=0) as client:
                texts.append(repr(client))
                await client.user_data_stream.start()
                await client.user_data_stream.ping()
                await client.user_data_stream.stop()
                for call in (
                    client.user_data_stream.ping(),
                    client.user_data_stream.start(api_key=unknown),
                ):
                    try:
                        await call
                    except BinanceWsError as exc:
                        texts += [str(exc), repr(exc)]
                emulator.hold_replies()
                pending = asyncio.ensure_future(client.user_data_stream.ping(timeout=None))
                await emulator.wait_held(1)
                await emulator.drop_connections()
                try:
                    await pending
                except BinanceWsError as exc:
                    texts += [str(exc), repr(exc)]
    assert len(texts) == 7
    everything = caplog.text + "\n".join(texts)
    assert caplog.records  # the run did log
    assert "binance_usdm_ws.websockets" in {r.name for r in caplog.records}  # frames logged
    for key in (KEY_1, unknown):
        # Never more than the 4-character prefix: no longer prefix, no tail.
        assert key[:5] not in everything and key[-12:] not in everything


async def test_a_run_under_every_fault_at_debug_never_shows_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with Emulator(api_keys={KEY_1}, weight_limit=10**9) as emulator:
            async with AsyncClient(
                api_key=KEY_1, url=emulator.url, timeout=3, rate_limit="off"
            ) as client:
                await client.user_data_stream.start()
                emulator.faults.chaos(rate=0.3, seed=3)
                results = await asyncio.gather(
                    *(client.user_data_stream.ping() for _ in range(300)), return_exceptions=True
                )
                texts += [f"{r!s} {r!r}" for r in results]
                applied = dict(emulator.faults.applied)
                emulator.faults.clear()
                async with client.keepalive(interval=60, keep_keys=True) as keepalive:
                    texts.append(repr(keepalive))
    assert any(isinstance(r, BinanceWsError) for r in results)
    assert len(applied) >= 8, applied
    everything = caplog.text + "\n".join(texts)
    assert KEY_1[:5] not in everything and KEY_1[-12:] not in everything
