"""AsyncClient against the emulator: a real websockets server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket

import pytest

from binance_usdm_ws import (
    PROD_URL,
    TESTNET_URL,
    AsyncClient,
    Backoff,
    ClientRateLimitedError,
    ConnectionClosedError,
    ConnectionSettings,
    InvalidApiKeyError,
    ListenKeyNotFoundError,
    RateLimit,
    RateLimitedError,
    RateLimitInterval,
    RateLimitType,
    RequestTimeoutError,
    UserDataStreamPingResponse,
    UserDataStreamStopResult,
)
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1, KEY_2

GUARD = 10.0  # seconds after which a call that should have ended counts as hung


async def _until_disconnected(client: AsyncClient) -> None:
    while client.connected:
        await asyncio.sleep(0.001)


async def test_start_ping_stop(client: AsyncClient, emulator: Emulator) -> None:
    started = await client.user_data_stream.start()
    assert started.status == 200
    key = started.result.listen_key
    assert key == emulator.listen_key(KEY_1)
    assert len(key) == 64

    pong = await client.user_data_stream.ping()
    assert isinstance(pong, UserDataStreamPingResponse)
    assert pong.result.listen_key == key
    assert isinstance(pong.id, int)  # the default ids are integers
    assert pong.rate_limits is not None
    [limit] = pong.rate_limits
    assert limit == RateLimit(
        rate_limit_type=RateLimitType.REQUEST_WEIGHT,
        interval=RateLimitInterval.MINUTE,
        interval_num=1,
        limit=2400,
        count=5 + 1 + 1,  # handshake + start + ping
    )

    stopped = await client.user_data_stream.stop()
    assert stopped.result == UserDataStreamStopResult()
    assert emulator.listen_key(KEY_1) is None


async def test_start_returns_the_active_key_and_extends_it(
    client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    first = await client.user_data_stream.start()
    clock.advance(50 * 60)
    again = await client.user_data_stream.start()
    assert again.result.listen_key == first.result.listen_key
    assert emulator.listen_key_expires_at(KEY_1) == clock() + 60 * 60 * 1000


async def test_ping_extends_the_key_60_minutes(
    client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    await client.user_data_stream.start()
    clock.advance(59 * 60)
    await client.user_data_stream.ping()
    clock.advance(59 * 60)  # 118 minutes after start: alive only thanks to the ping
    pong = await client.user_data_stream.ping()
    assert pong.result.listen_key == emulator.listen_key(KEY_1)


async def test_expired_key_raises_listen_key_not_found(
    client: AsyncClient, clock: FakeClock
) -> None:
    await client.user_data_stream.start()
    clock.advance(60 * 60)
    with pytest.raises(ListenKeyNotFoundError) as caught:
        await client.user_data_stream.ping()
    error = caught.value
    assert (error.status, error.code) == (400, -1125)
    assert error.msg == "This listenKey does not exist."
    assert error.method == "userDataStream.ping"
    assert isinstance(error.request_id, int)
    assert error.rate_limits is not None and error.rate_limits[0].count > 0


async def test_stop_without_a_key_raises_listen_key_not_found(client: AsyncClient) -> None:
    with pytest.raises(ListenKeyNotFoundError) as caught:
        await client.user_data_stream.stop()
    assert caught.value.method == "userDataStream.stop"


async def test_unknown_api_key_raises_invalid_api_key_2015(client: AsyncClient) -> None:
    with pytest.raises(InvalidApiKeyError) as caught:
        await client.user_data_stream.start(api_key="unknownKey123")
    assert (caught.value.status, caught.value.code) == (401, -2015)
    assert caught.value.msg == "Invalid API-key, IP, or permissions for action."


async def test_malformed_api_key_raises_invalid_api_key_2014(client: AsyncClient) -> None:
    with pytest.raises(InvalidApiKeyError) as caught:
        await client.user_data_stream.start(api_key="not a key!")
    assert (caught.value.status, caught.value.code) == (401, -2014)


async def test_missing_api_key_is_refused_before_sending(emulator: Emulator) -> None:
    async with AsyncClient(url=emulator.url) as client:
        with pytest.raises(ValueError, match="needs an API key"):
            await client.user_data_stream.ping()
    assert emulator.calls["userDataStream.ping"] == 0


async def test_a_parameter_that_cannot_be_utf8_fails_the_call_not_the_connection(
    client: AsyncClient,
) -> None:
    await client.user_data_stream.start()
    opened = client.connections_opened
    with pytest.raises(ValueError) as raised:  # UnicodeEncodeError: a lone surrogate
        await client.user_data_stream.ping(api_key="k\ud800" + KEY_1[2:])
    assert KEY_1[2:] not in str(raised.value)
    pong = await client.user_data_stream.ping()  # the same connection still works
    assert pong.status == 200 and client.connections_opened == opened


async def test_per_call_api_key_overrides_the_client_key(
    client: AsyncClient, emulator: Emulator
) -> None:
    mine = await client.user_data_stream.start()
    theirs = await client.user_data_stream.start(api_key=KEY_2)
    assert mine.result.listen_key == emulator.listen_key(KEY_1)
    assert theirs.result.listen_key == emulator.listen_key(KEY_2)
    assert mine.result.listen_key != theirs.result.listen_key


async def test_rate_limit_exceeded_raises_rate_limited(clock: FakeClock) -> None:
    async with Emulator(api_keys={KEY_1}, clock=clock, weight_limit=7) as emu:
        async with AsyncClient(api_key=KEY_1, url=emu.url, rate_limit="off") as client:
            await client.user_data_stream.start()  # 5 (handshake) + 1
            await client.user_data_stream.ping()  # 7
            with pytest.raises(RateLimitedError) as caught:
                await client.user_data_stream.ping()
            assert type(caught.value) is RateLimitedError  # the server's, not the client's
            assert (caught.value.status, caught.value.code) == (429, -1003)
            assert "current limit is 7 requests per minute" in caught.value.msg
            clock.advance(60)  # a new minute
            pong = await client.user_data_stream.ping()
            assert pong.rate_limits is not None and pong.rate_limits[0].count == 1


async def test_client_pacing_refuses_what_the_server_would_reject(clock: FakeClock) -> None:
    async with Emulator(api_keys={KEY_1}, clock=clock, weight_limit=7) as emu:
        async with AsyncClient(api_key=KEY_1, url=emu.url, clock=clock, rate_limit="raise") as c:
            await c.user_data_stream.start()
            await c.user_data_stream.ping()  # the server reports 7/7
            with pytest.raises(ClientRateLimitedError, match="not sent: userDataStream.ping"):
                await c.user_data_stream.ping()
            assert emu.calls["userDataStream.ping"] == 1  # never reached the server
            assert emu.errors == {}


async def test_client_pacing_waits_for_the_next_minute(clock: FakeClock) -> None:
    async with Emulator(api_keys={KEY_1}, clock=clock, weight_limit=7) as emu:
        async with AsyncClient(api_key=KEY_1, url=emu.url, clock=clock, timeout=None) as c:
            await c.user_data_stream.start()
            await c.user_data_stream.ping()
            started_at = clock.time()
            waiting = asyncio.ensure_future(c.user_data_stream.ping())
            await clock.run(60)  # the call sleeps on the clock until the window rolls over
            pong = await asyncio.wait_for(waiting, GUARD)
            assert clock.time() - started_at <= 60
            assert pong.rate_limits is not None and pong.rate_limits[0].count == 1
            assert emu.errors == {}  # no 429 was ever sent


async def test_200_concurrent_calls_each_get_their_own_reply(
    client: AsyncClient, emulator: Emulator
) -> None:
    await client.user_data_stream.start(api_key=KEY_1)
    await client.user_data_stream.start(api_key=KEY_2)
    keys = [KEY_1 if i % 2 else KEY_2 for i in range(200)]
    replies = await asyncio.gather(*(client.user_data_stream.ping(api_key=k) for k in keys))
    assert len({r.id for r in replies}) == 200
    for key, reply in zip(keys, replies, strict=True):
        assert reply.result.listen_key == emulator.listen_key(key)
    assert emulator.calls["userDataStream.ping"] == 200


async def test_per_call_timeout(client: AsyncClient, emulator: Emulator) -> None:
    await client.user_data_stream.start()
    emulator.hold_replies()
    with pytest.raises(RequestTimeoutError, match=r"userDataStream.ping .*no reply within 0.2 s"):
        await asyncio.wait_for(client.user_data_stream.ping(timeout=0.2), GUARD)
    # The late reply is dropped, and the connection keeps serving.
    await emulator.release_replies()
    pong = await asyncio.wait_for(client.user_data_stream.ping(), GUARD)
    assert pong.result.listen_key == emulator.listen_key(KEY_1)


async def test_server_closing_fails_every_pending_call_at_once(emulator: Emulator) -> None:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, retries=0, timeout=None) as client:
        await client.user_data_stream.start()
        emulator.hold_replies()
        # No timeout, no retry: only the closed connection can end these calls.
        calls = [asyncio.ensure_future(client.user_data_stream.ping()) for _ in range(5)]
        await asyncio.wait_for(emulator.wait_held(5), GUARD)
        await emulator.drop_connections(1011, "going away")
        results = await asyncio.wait_for(asyncio.gather(*calls, return_exceptions=True), GUARD)
    assert all(isinstance(r, ConnectionClosedError) for r in results), results
    assert "code 1011" in str(results[0])
    assert all(r.sent for r in results if isinstance(r, ConnectionClosedError))


async def test_idempotent_calls_are_sent_again_after_a_lost_connection(
    client: AsyncClient, emulator: Emulator
) -> None:
    await client.user_data_stream.start()
    emulator.hold_replies()
    calls = [asyncio.ensure_future(client.user_data_stream.ping()) for _ in range(3)]
    await asyncio.wait_for(emulator.wait_held(3), GUARD)
    await emulator.drop_connections(1011)
    await asyncio.wait_for(emulator.wait_held(6), GUARD)  # the three, sent again
    await emulator.release_replies()
    replies = await asyncio.wait_for(asyncio.gather(*calls), GUARD)
    assert {r.result.listen_key for r in replies} == {emulator.listen_key(KEY_1)}
    assert emulator.calls["userDataStream.ping"] == 6  # each executed twice: harmless


async def test_next_call_after_a_lost_connection_reconnects(
    client: AsyncClient, emulator: Emulator
) -> None:
    await client.user_data_stream.start()
    await emulator.drop_connections()
    await asyncio.wait_for(_until_disconnected(client), GUARD)
    pong = await asyncio.wait_for(client.user_data_stream.ping(), GUARD)
    assert pong.result.listen_key == emulator.listen_key(KEY_1)


async def test_calls_while_reconnecting_wait_for_the_new_connection(
    emulator: Emulator,
) -> None:
    fast = Backoff(0.01, 0.05)
    async with AsyncClient(
        api_key=KEY_1, url=emulator.url, connection=ConnectionSettings(reconnect_backoff=fast)
    ) as client:
        await client.user_data_stream.start()
        await emulator.stop()  # the server goes away ...
        await asyncio.wait_for(_until_disconnected(client), GUARD)
        call = asyncio.ensure_future(client.user_data_stream.ping(timeout=GUARD))
        await asyncio.sleep(0)  # ... while a call waits (and the client re-dials) ...
        assert not call.done()
        await emulator.start()  # ... and comes back on the same port
        pong = await asyncio.wait_for(call, GUARD)
        assert pong.result.listen_key == emulator.listen_key(KEY_1)
        assert client.connections_opened >= 2


async def test_a_call_that_finds_the_connection_closing_goes_out_once_on_the_next(
    emulator: Emulator,
) -> None:
    fast = Backoff(0.01, 0.05)
    async with AsyncClient(
        api_key=KEY_1,
        url=emulator.url,
        connection=ConnectionSettings(reconnect_backoff=fast),
        return_rate_limits=False,
    ) as client:  # no rateLimits in replies: the pacer's count is the client's own
        await client.user_data_stream.start()
        ws = client._supervisor.latest._ws  # type: ignore[union-attr]
        closing = asyncio.ensure_future(ws.close())
        await asyncio.sleep(0)  # the close frame is out: closing, and the reader has not noticed
        assert client._supervisor.latest is not None and not client._supervisor.latest.usable
        pong = await asyncio.wait_for(client.user_data_stream.ping(), GUARD)
        await closing
        assert pong.result.listen_key == emulator.listen_key(KEY_1)
        assert client.connections_opened == 2
        window = client.rate_limiter.window("REQUEST_WEIGHT", 60)
        assert (
            window is not None and window.used == 2
        )  # start, ping: the refused one is not counted


async def test_no_connection_within_the_timeout_means_not_sent(emulator: Emulator) -> None:
    fast = Backoff(0.01, 0.05)
    async with AsyncClient(
        api_key=KEY_1, url=emulator.url, connection=ConnectionSettings(reconnect_backoff=fast)
    ) as client:
        await emulator.stop()
        await asyncio.wait_for(_until_disconnected(client), GUARD)
        with pytest.raises(ConnectionClosedError, match="was not sent: no connection within") as e:
            await client.user_data_stream.ping(timeout=0.2)
        assert e.value.sent is False
        assert "cannot connect" in str(e.value)  # the last attempt's error


async def test_connection_is_replaced_before_its_maximum_age(
    emulator: Emulator, clock: FakeClock
) -> None:
    async with AsyncClient(
        api_key=KEY_1,
        url=emulator.url,
        clock=clock,
        connection=ConnectionSettings(max_connection_age=600),
    ) as client:
        await client.user_data_stream.start()
        emulator.hold_replies()
        in_flight = asyncio.ensure_future(client.user_data_stream.ping(timeout=GUARD))
        await asyncio.wait_for(emulator.wait_held(1), GUARD)
        clock.advance(600)
        while client.connections_opened < 2:
            await asyncio.sleep(0.001)
        assert emulator.connections_accepted == 2
        # The call in flight on the old connection still gets its reply.
        await emulator.release_replies()
        assert (await asyncio.wait_for(in_flight, GUARD)).status == 200
        pong = await client.user_data_stream.ping()
        assert pong.result.listen_key == emulator.listen_key(KEY_1)


def test_backoff_grows_and_is_bounded() -> None:
    backoff = Backoff(0.5, 30, rng=lambda: 1.0)
    assert [backoff.delay(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert Backoff(0.5, 30, rng=lambda: 0.0).delay(3) == 2.0  # jitter: half at least
    with pytest.raises(ValueError):
        Backoff(0, 1)


async def test_return_rate_limits_false(emulator: Emulator) -> None:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, return_rate_limits=False) as client:
        assert client.url.endswith("?returnRateLimits=false")
        started = await client.user_data_stream.start()
        assert started.rate_limits is None
        pong = await client.user_data_stream.ping(return_rate_limits=True)
        assert pong.rate_limits is not None
        assert pong.rate_limits[0].rate_limit_type is RateLimitType.REQUEST_WEIGHT


async def test_per_call_return_rate_limits_false(client: AsyncClient) -> None:
    started = await client.user_data_stream.start(return_rate_limits=False)
    assert started.rate_limits is None
    with pytest.raises(ListenKeyNotFoundError) as caught:
        await client.user_data_stream.stop(api_key=KEY_2, return_rate_limits=False)
    assert caught.value.rate_limits is None


async def test_calls_after_close_fail(emulator: Emulator) -> None:
    client = await AsyncClient(api_key=KEY_1, url=emulator.url).connect()
    assert client.connected
    await client.close()
    assert not client.connected
    with pytest.raises(ConnectionClosedError, match="client is closed"):
        await client.user_data_stream.start()
    await client.connect()  # reopening is allowed
    assert (await client.user_data_stream.start()).status == 200
    await client.close()


async def test_lazy_connect_on_first_call(emulator: Emulator) -> None:
    client = AsyncClient(api_key=KEY_1, url=emulator.url)
    assert not client.connected
    try:
        assert (await client.user_data_stream.start()).status == 200
        assert client.connected
    finally:
        await client.close()


async def test_connect_failure_raises_connection_closed() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = AsyncClient(
        api_key=KEY_1,
        url=f"ws://127.0.0.1:{port}/ws-fapi/v1",
        connection=ConnectionSettings(open_timeout=5),
    )
    with pytest.raises(ConnectionClosedError, match="cannot connect"):
        await client.connect()


def test_default_and_testnet_urls() -> None:
    assert AsyncClient().url == PROD_URL == "wss://ws-fapi.binance.com/ws-fapi/v1"
    assert AsyncClient(testnet=True).url == TESTNET_URL
    assert TESTNET_URL == "wss://testnet.binancefuture.com/ws-fapi/v1"
    with pytest.raises(ValueError, match="either url or testnet"):
        AsyncClient(url="wss://example.com/ws", testnet=True)


def test_clear_text_urls_only_to_loopback() -> None:
    with pytest.raises(ValueError, match="clear text"):
        AsyncClient(url="ws://example.com/ws-fapi/v1")
    assert AsyncClient(
        url="ws://example.com/x", connection=ConnectionSettings(allow_insecure=True)
    ).url.startswith("ws://")
    assert AsyncClient(url="ws://localhost:1/x").url == "ws://localhost:1/x"
    assert AsyncClient(url="ws://[::1]:1/x").url == "ws://[::1]:1/x"
    with pytest.raises(ValueError, match="wss://"):
        AsyncClient(url="https://ws-fapi.binance.com/ws-fapi/v1")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="timeout"):
        AsyncClient(timeout=0)
    with pytest.raises(TypeError, match="api_key"):
        AsyncClient(api_key=123)  # type: ignore[arg-type]


def test_repr_redacts_the_api_key() -> None:
    text = repr(AsyncClient(api_key=KEY_1))
    assert KEY_1 not in text
    assert KEY_1[:4] + "…" in text


async def test_calls_with_different_timeouts_fail_each_at_its_own_deadline(
    client: AsyncClient, emulator: Emulator
) -> None:
    await client.user_data_stream.start()
    emulator.hold_replies()
    ping = client.user_data_stream.ping
    # One timer per connection serves them all, whatever order the deadlines come in.
    calls = {t: asyncio.ensure_future(ping(timeout=t)) for t in (0.3, 0.1, 0.2, None)}
    waiting = {calls[t]: t for t in (0.3, 0.1, 0.2)}
    ended: list[float | None] = []
    while waiting:
        done, _ = await asyncio.wait(waiting, timeout=GUARD, return_when=asyncio.FIRST_COMPLETED)
        assert done, "a call outlived its timeout"
        for call in done:
            ended.append(waiting.pop(call))
            assert isinstance(call.exception(), RequestTimeoutError)
    assert ended == [0.1, 0.2, 0.3]
    assert not calls[None].done()
    await emulator.release_replies()
    pong = await asyncio.wait_for(calls[None], GUARD)
    assert pong.result.listen_key == emulator.listen_key(KEY_1)
