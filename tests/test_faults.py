"""A hostile network and a misbehaving server: every call still ends, with its own outcome."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from binance_usdm_ws import (
    AsyncClient,
    BinanceWsError,
    ConnectionClosedError,
    ConnectionSettings,
    InvalidApiKeyError,
    IpBannedError,
    ProtocolError,
    RateLimitedError,
    RequestTimeoutError,
    ServerError,
)
from binance_usdm_ws.testing import FAULT_KINDS, Emulator

from .conftest import KEY_1, KEY_2

GUARD = 20.0
KEYS = [f"chaosKey{i:03d}" for i in range(50)]


@pytest.fixture
async def no_retry(emulator: Emulator) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, retries=0) as client:
        await client.user_data_stream.start()
        await client.user_data_stream.start(api_key=KEY_2)
        yield client


async def test_drop_after_n_requests(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.faults.drop_after(2)
    assert (await no_retry.user_data_stream.ping()).status == 200
    with pytest.raises(ConnectionClosedError) as caught:
        await asyncio.wait_for(no_retry.user_data_stream.ping(), GUARD)
    assert caught.value.sent
    # The client re-dials; the next call works.
    assert (await asyncio.wait_for(no_retry.user_data_stream.ping(), GUARD)).status == 200
    assert no_retry.connections_opened == 2


async def test_drop_mid_reply(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.faults.drop_mid_reply()
    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(no_retry.user_data_stream.ping(), GUARD)
    assert (await asyncio.wait_for(no_retry.user_data_stream.ping(), GUARD)).status == 200


async def test_idempotent_call_survives_a_drop(client: AsyncClient, emulator: Emulator) -> None:
    await client.user_data_stream.start()
    emulator.faults.drop_mid_reply()
    pong = await asyncio.wait_for(client.user_data_stream.ping(), GUARD)  # retries=2 default
    assert pong.result.listen_key == emulator.listen_key(KEY_1)


async def test_reordered_and_delayed_replies_reach_their_own_calls(
    no_retry: AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.reorder_replies(6)
    keys = [KEY_1, KEY_2] * 3
    replies = await asyncio.wait_for(
        asyncio.gather(*(no_retry.user_data_stream.ping(api_key=k) for k in keys)), GUARD
    )
    assert [r.result.listen_key for r in replies] == [emulator.listen_key(k) for k in keys]
    emulator.faults.delay_replies(0.05, count=4)
    replies = await asyncio.wait_for(
        asyncio.gather(*(no_retry.user_data_stream.ping(api_key=k) for k in keys)), GUARD
    )
    assert [r.result.listen_key for r in replies] == [emulator.listen_key(k) for k in keys]
    assert emulator.faults.applied == {"reorder": 6, "delay": 4}


async def test_delayed_reply_times_out(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.faults.delay_replies(1.0, count=1)
    with pytest.raises(RequestTimeoutError):
        await no_retry.user_data_stream.ping(timeout=0.1)


@pytest.mark.parametrize("kind", ["text", "binary", "unknown_id", "duplicate"])
async def test_garbage_is_logged_and_the_connection_lives_on(
    no_retry: AsyncClient, emulator: Emulator, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    emulator.faults.send_garbage(kind, count=3)  # type: ignore[arg-type]
    with caplog.at_level(logging.DEBUG, logger="binance_usdm_ws"):
        replies = await asyncio.gather(*(no_retry.user_data_stream.ping() for _ in range(5)))
    assert all(r.result.listen_key == emulator.listen_key(KEY_1) for r in replies)
    assert "dropped" in caplog.text
    assert no_retry.connections_opened == 1


async def test_wrong_shape_is_a_protocol_error_for_that_call_only(
    no_retry: AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.send_garbage("wrong_shape")
    results = await asyncio.gather(
        *(no_retry.user_data_stream.ping() for _ in range(3)), return_exceptions=True
    )
    assert isinstance(results[0], ProtocolError)
    assert "userDataStream.ping" in str(results[0])
    assert all(not isinstance(r, BaseException) for r in results[1:])
    assert no_retry.connections_opened == 1


async def test_429_with_retry_after(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.faults.fail_next(1, status=429, retry_after=30)
    with pytest.raises(RateLimitedError) as caught:
        await no_retry.user_data_stream.ping()
    error = caught.value
    assert (error.status, error.code) == (429, -1003)
    assert error.retry_after == emulator.clock() + 30_000
    assert error.data is not None and error.data["serverTime"] == emulator.clock()


async def test_418_is_ip_banned(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.faults.fail_next(1, status=418)
    with pytest.raises(IpBannedError) as caught:
        await no_retry.user_data_stream.ping()
    assert caught.value.status == 418 and "IP banned until" in caught.value.msg


async def test_503_is_a_server_error_and_idempotent_calls_retry(
    no_retry: AsyncClient, client: AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.fail_next(1, status=503)
    with pytest.raises(ServerError) as caught:
        await no_retry.user_data_stream.ping()
    assert "execution status is UNKNOWN" in (type(caught.value).__doc__ or "")
    emulator.faults.fail_next(2, status=503)
    pong = await client.user_data_stream.ping()  # retries=2: the third try succeeds
    assert pong.status == 200
    emulator.faults.fail_next(3, status=503)
    with pytest.raises(ServerError):
        await client.user_data_stream.ping()  # three failures: retries exhausted


async def test_429_is_never_retried(client: AsyncClient, emulator: Emulator) -> None:
    await client.user_data_stream.start()
    calls = emulator.calls["userDataStream.ping"]
    emulator.faults.fail_next(1, status=429, retry_after=0.001)
    with pytest.raises(RateLimitedError):
        await client.user_data_stream.ping()
    assert emulator.calls["userDataStream.ping"] == calls + 1


async def test_revoked_key_fails_every_pending_call(
    no_retry: AsyncClient, emulator: Emulator
) -> None:
    emulator.hold_replies()
    calls = [asyncio.ensure_future(no_retry.user_data_stream.ping()) for _ in range(4)]
    await asyncio.wait_for(emulator.wait_held(4), GUARD)
    emulator.faults.revoke()
    await emulator.release_replies()  # the first reply becomes {"id": null, "status": 401}
    results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), GUARD)
    failed = [r for r in results if isinstance(r, InvalidApiKeyError)]
    assert failed, results
    assert all(e.status == 401 and e.code == -2015 for e in failed)
    assert len({e.request_id for e in failed}) == len(failed)  # each names its own call
    assert all(
        isinstance(r, (InvalidApiKeyError, BaseException)) or r.status == 200 for r in results
    )


async def test_server_closing_with_1008(no_retry: AsyncClient, emulator: Emulator) -> None:
    emulator.hold_replies()
    call = asyncio.ensure_future(no_retry.user_data_stream.ping())
    await asyncio.wait_for(emulator.wait_held(1), GUARD)
    await emulator.drop_connections(1008, "disconnected")
    with pytest.raises(ConnectionClosedError, match="code 1008, reason 'disconnected'"):
        await asyncio.wait_for(call, GUARD)


async def test_unanswered_pings_make_the_client_reconnect(emulator: Emulator) -> None:
    async with AsyncClient(
        api_key=KEY_1,
        url=emulator.url,
        connection=ConnectionSettings(ping_interval=0.05, ping_timeout=0.1),
    ) as client:
        await client.user_data_stream.start()
        emulator.faults.ignore_pings()
        while client.connections_opened < 2:  # the dead connection is noticed and replaced
            await asyncio.sleep(0.01)
        emulator.faults.ignore_pings(False)
        pong = await asyncio.wait_for(client.user_data_stream.ping(), GUARD)
        assert pong.result.listen_key == emulator.listen_key(KEY_1)
    assert emulator.faults.applied["ignore_pings"] >= 1


async def test_max_pending_bounds_calls_in_flight(emulator: Emulator) -> None:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, max_pending=3) as client:
        await client.user_data_stream.start()
        emulator.hold_replies()
        first = [asyncio.ensure_future(client.user_data_stream.ping()) for _ in range(3)]
        await asyncio.wait_for(emulator.wait_held(3), GUARD)
        with pytest.raises(RequestTimeoutError, match="was not sent: 3 calls were in flight"):
            await client.user_data_stream.ping(timeout=0.1)
        await emulator.release_replies()
        assert all(r.status == 200 for r in await asyncio.gather(*first))


@pytest.mark.parametrize("retries", [0, 2])
async def test_thousands_of_concurrent_calls_under_random_faults(retries: int) -> None:
    async with Emulator(api_keys=KEYS, weight_limit=10**9) as emulator:
        # rate_limit="off": after a (chaos) 429 the client would rightly hold every call.
        async with AsyncClient(
            url=emulator.url, timeout=3.0, retries=retries, rate_limit="off"
        ) as client:
            await asyncio.gather(*(client.user_data_stream.start(api_key=k) for k in KEYS))
            expected = {k: emulator.listen_key(k) for k in KEYS}
            emulator.faults.chaos(rate=0.02, seed=retries + 1)
            rng = random.Random(retries)
            keys = [rng.choice(KEYS) for _ in range(3000)]
            in_flight = asyncio.Semaphore(50)  # a drop fails what is in flight: keep it bounded

            async def ping(key: str) -> object:
                async with in_flight:
                    return await client.user_data_stream.ping(api_key=key)

            results = await asyncio.wait_for(
                asyncio.gather(*(ping(k) for k in keys), return_exceptions=True), GUARD * 3
            )
    outcomes: Counter[str] = Counter()
    for key, result in zip(keys, results, strict=True):
        if isinstance(result, BaseException):
            assert isinstance(result, BinanceWsError), repr(result)  # only our exceptions
            outcomes[type(result).__name__] += 1
        else:
            assert result.result.listen_key == expected[key]  # type: ignore[attr-defined]
            outcomes["ok"] += 1
    ids = [r.id for r in results if not isinstance(r, BaseException)]  # type: ignore[attr-defined]
    assert len(ids) == len(set(ids))
    assert outcomes["ok"] > 2000, outcomes
    assert len(emulator.faults.applied) >= len(FAULT_KINDS) - 2, emulator.faults.applied
