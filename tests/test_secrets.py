"""An API key never appears in full in logs, reprs or exception messages."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from binance_usdm_ws import AsyncClient, BinanceWsError
from binance_usdm_ws._core.log import logger
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


@pytest.mark.parametrize("kind", ["HMAC", "RSA", "Ed25519"])
async def test_signed_calls_at_debug_never_show_a_secret_or_a_signature(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    from .test_signing import PASSWORD, SECRET, body, emulator_for

    emulator, credentials = emulator_for(kind)
    key_text = body(credentials["private_key"]) if kind != "HMAC" else SECRET
    texts: list[str] = []
    with caplog.at_level(logging.DEBUG):
        async with emulator, AsyncClient(api_key=KEY_1, url=emulator.url, **credentials) as c:
            texts.append(repr(c))
            await c.account.balance_v2()
            emulator.verify_signatures = True
            emulator.api_secrets.clear()
            emulator.public_keys.clear()
            try:
                await c.order.status(symbol="BTCUSDT", order_id=1)  # now -1022
            except BinanceWsError as exc:
                texts += [str(exc), repr(exc)]
    signatures = [r["params"]["signature"] for r in emulator.requests]
    assert len(signatures) == 2 and len(texts) == 3
    everything = caplog.text + "\n".join(texts)
    assert caplog.records
    for secret in [key_text, PASSWORD, *signatures, SECRET[:12]]:
        assert secret not in everything


def test_the_log_filter_redacts_signatures(caplog: pytest.LogCaptureFixture) -> None:
    frame = {"method": "order.place", "params": {"apiKey": KEY_1, "signature": "Zm9vYmFy+/=="}}
    with caplog.at_level(logging.DEBUG):
        logger.debug("sending %s", json.dumps(frame))
        logger.debug("sending %r", frame)
    assert caplog.text.count("…") == 4 and "Zm9v" not in caplog.text
    assert '"signature": "…"' in caplog.text and "'signature': '…'" in caplog.text
