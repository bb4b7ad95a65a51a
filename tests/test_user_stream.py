"""The user data stream against the emulator, on a simulated clock.

The emulator serves the stream endpoints on loopback; the client's keepalive
service, the stream's idle watchdog and the emulator's key expiry all run on
one FakeClock, which the tests move by hand. Real-time waits below are only
guards against a hang, never what a test measures.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from binance_usdm_ws import (
    STREAM_URL,
    TESTNET_STREAM_URL,
    AsyncClient,
    GapReason,
    InvalidApiKeyError,
    KeepaliveEvent,
    ListenKeyRecreated,
    StreamGap,
    StreamItem,
    UnknownEvent,
    UserDataEvents,
    decode_event,
    stream_url_for,
)
from binance_usdm_ws._io.socket import uses_internals
from binance_usdm_ws.events import ListenKeyExpiredEvent, StrategyUpdateEvent
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1

GUARD = 10.0  # real seconds after which a wait counts as hung
MINUTE = 60.0


def strategy_update(n: int) -> dict[str, Any]:
    """A small event whose ``E`` numbers it."""
    return {
        "e": "STRATEGY_UPDATE",
        "T": n,
        "E": n,
        "su": {"si": n, "st": "GRID", "ss": "NEW", "s": "BTCUSDT", "ut": n, "c": 8001},
    }


async def next_item(stream: UserDataEvents) -> StreamItem:
    return await asyncio.wait_for(anext(stream), GUARD)


async def until(condition: Callable[[], bool]) -> None:
    """Wait (in real time, bounded by GUARD) for something that happens over the network."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.001)

    await asyncio.wait_for(poll(), GUARD)


@pytest.fixture
async def fake_client(emulator: Emulator, clock: FakeClock) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, clock=clock) as c:
        yield c


# -- the emulator's stream endpoints ---------------------------------------------------------


async def test_emulator_serves_every_stream_path(client: AsyncClient, emulator: Emulator) -> None:
    key = (await client.user_data_stream.start()).result.listen_key
    base = emulator.url.replace("/ws-fapi/v1", "")
    order = {"e": "ORDER_TRADE_UPDATE", "E": 1}
    async with (
        connect(f"{base}/ws/{key}") as legacy,
        connect(f"{base}/private/ws/{key}") as private,
        connect(f"{base}/private/ws?listenKey={key}&events=ORDER_TRADE_UPDATE") as filtered,
    ):
        await until(lambda: emulator.streams.open_sockets == 3)
        assert await emulator.streams.push(KEY_1, strategy_update(1)) == 2
        assert await emulator.streams.push(KEY_1, order) == 3
        for ws in (legacy, private):
            assert json.loads(await ws.recv()) == strategy_update(1)
            assert json.loads(await ws.recv()) == order
        assert json.loads(await filtered.recv()) == order
    assert emulator.streams.url == f"{base}/private/ws"


@pytest.mark.parametrize("path", ["/ws/nope", "/private/ws/nope", "/private/ws?listenKey=nope"])
async def test_emulator_refuses_a_stream_for_an_invalid_key(emulator: Emulator, path: str) -> None:
    base = emulator.url.replace("/ws-fapi/v1", "")
    with pytest.raises(InvalidStatus) as caught:
        async with connect(base + path):
            pass
    assert caught.value.response.status_code == 400
    assert caught.value.response.body == b"This listenKey does not exist.\n"
    assert await emulator.streams.push(KEY_1, strategy_update(1)) == 0


async def test_emulator_pushes_listen_key_expired_on_its_clock(
    client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    key = (await client.user_data_stream.start()).result.listen_key
    async with connect(emulator.url.replace("/ws-fapi/v1", f"/ws/{key}")) as ws:
        await until(lambda: emulator.streams.open_sockets == 1)
        clock.advance(59 * MINUTE)
        await client.user_data_stream.ping()  # renewed: expires 60 minutes from now
        clock.advance(59 * MINUTE)
        assert await emulator.streams.push(KEY_1, strategy_update(1)) == 1
        assert json.loads(await ws.recv()) == strategy_update(1)
        clock.advance(MINUTE)
        expired = json.loads(await asyncio.wait_for(ws.recv(), GUARD))
        assert expired == {"e": "listenKeyExpired", "E": clock(), "listenKey": key}
        assert await emulator.streams.push(KEY_1, strategy_update(2)) == 0
        assert emulator.streams.open_sockets == 1  # not a disconnect (FACTS 6.2.1)


# -- the stream client -----------------------------------------------------------------------


async def test_events_in_order_across_recreation_drop_and_expiry(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    numbers = itertools.count(1)
    sent: list[int] = []  # events pushed while the stream's key was valid

    async def push(count: int) -> None:
        for _ in range(count):
            n = next(numbers)
            assert await emulator.streams.push(KEY_1, strategy_update(n)) == 1
            sent.append(n)

    items: list[StreamItem] = []

    async def read_until_gap() -> StreamGap:
        while True:
            items.append(await next_item(stream))
            if isinstance(items[-1], StreamGap):
                return items[-1]

    async with fake_client.user_data_events(idle_timeout=None) as stream:
        first = stream.listen_key
        assert first is not None and first == emulator.listen_key(KEY_1)
        await push(3)

        # 1. The server forgets the key: events for the account reach nobody until the
        #    keepalive service notices (at its next ping) and starts a new one.
        emulator.delete_listen_key(KEY_1)
        assert await emulator.streams.push(KEY_1, strategy_update(0)) == 0
        clock.advance(31 * MINUTE)
        gap = await read_until_gap()
        second = emulator.listen_key(KEY_1)
        assert second not in (None, first)
        assert (gap.reason, gap.old_listen_key, gap.listen_key) == (
            GapReason.KEY_RECREATED,
            first,
            second,
        )
        await push(2)

        # 2. The socket drops: the stream reconnects with the same key.
        await emulator.streams.disconnect()
        gap = await read_until_gap()
        assert (gap.reason, gap.old_listen_key, gap.listen_key) == (
            GapReason.DISCONNECTED,
            second,
            second,
        )
        await push(2)

        # 3. The key expires (the renewal comes too late): listenKeyExpired, a new key.
        clock.advance(65 * MINUTE)
        gap = await read_until_gap()
        third = emulator.listen_key(KEY_1)
        assert third not in (None, first, second)
        assert (gap.reason, gap.old_listen_key, gap.listen_key) == (
            GapReason.KEY_EXPIRED,
            second,
            third,
        )
        assert gap.began_at == gap.resumed_at == clock.time()
        await push(2)
        while len([i for i in items if isinstance(i, StrategyUpdateEvent)]) < len(sent):
            items.append(await next_item(stream))
        assert stream.gaps == 3

    events = [i for i in items if isinstance(i, StrategyUpdateEvent)]
    assert [e.event_time for e in events] == sent == list(range(1, 10))
    kinds = [type(i).__name__ for i in items]
    assert kinds == (
        ["StrategyUpdateEvent"] * 3
        + ["StreamGap"]
        + ["StrategyUpdateEvent"] * 2
        + ["StreamGap"]
        + ["StrategyUpdateEvent"] * 2
        + ["ListenKeyExpiredEvent", "StreamGap"]
        + ["StrategyUpdateEvent"] * 2
    )
    expired = items[-4]
    assert isinstance(expired, ListenKeyExpiredEvent) and expired.listen_key == second
    assert emulator.listen_key(KEY_1) == third  # leaving keeps the shared key open


async def test_a_refused_key_is_replaced_and_reported_once(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    keepalive_events: list[KeepaliveEvent] = []
    stream = fake_client.user_data_events(idle_timeout=None, on_event=keepalive_events.append)
    async with stream:
        first = stream.listen_key
        emulator.delete_listen_key(KEY_1)
        await emulator.streams.disconnect()  # the reconnection is refused: the key is gone
        gap = await next_item(stream)
        assert isinstance(gap, StreamGap) and gap.reason is GapReason.DISCONNECTED
        second = emulator.listen_key(KEY_1)
        assert gap.listen_key == second and second not in (None, first)
        # The keepalive service learns of the new key at its next ping: no second gap.
        clock.advance(31 * MINUTE)
        await until(lambda: any(isinstance(e, ListenKeyRecreated) for e in keepalive_events))
        assert await emulator.streams.push(KEY_1, strategy_update(1)) == 1
        assert await next_item(stream) == decode_event(strategy_update(1))
        assert stream.gaps == 1


internals_only = pytest.mark.skipif(
    not uses_internals(), reason="server pings are seen only through websockets internals"
)


@internals_only
async def test_idle_connection_is_replaced(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    emulator.streams.ping_interval = None  # a half-open connection: nothing arrives
    async with fake_client.user_data_events(idle_timeout=5 * MINUTE) as stream:
        opened = clock.time()
        clock.advance(5 * MINUTE - 1)
        assert await emulator.streams.push(KEY_1, strategy_update(1)) == 1  # a frame: alive
        assert isinstance(await next_item(stream), StrategyUpdateEvent)
        clock.advance(5 * MINUTE - 1)
        assert stream.connected and stream.gaps == 0
        clock.advance(1)
        gap = await next_item(stream)
        assert isinstance(gap, StreamGap) and gap.reason is GapReason.IDLE
        assert gap.began_at == opened + 5 * MINUTE - 1  # the last frame
        assert gap.listen_key == gap.old_listen_key
        assert emulator.streams.connections_accepted == 2


@internals_only
async def test_server_pings_keep_an_idle_stream_alive(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    async with fake_client.user_data_events(idle_timeout=6 * MINUTE) as stream:
        for _ in range(5):  # 15 minutes without an event
            clock.advance(3 * MINUTE)  # the emulator pings every 3 minutes
            await until(lambda: stream.last_received_at == clock.time())
        assert stream.connected and stream.gaps == 0
        assert emulator.streams.connections_accepted == 1


async def test_in_the_fallback_a_pong_keeps_a_silent_stream_alive(
    emulator: Emulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("binance_usdm_ws._io.socket.USE_INTERNALS", False)
    emulator.streams.ping_interval = None  # silent, but the socket answers pings
    async with AsyncClient(api_key=KEY_1, url=emulator.url, clock=clock) as client:
        async with client.user_data_events(idle_timeout=5 * MINUTE) as stream:
            opened = clock.time()
            clock.advance(5 * MINUTE)
            await until(lambda: (stream.last_received_at or 0) > opened)  # the probe's pong
            assert stream.connected and stream.gaps == 0
            assert emulator.streams.connections_accepted == 1


async def test_a_fatal_keepalive_error_ends_the_stream_after_its_events(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    async with fake_client.user_data_events(idle_timeout=None) as stream:
        assert await emulator.streams.push(KEY_1, strategy_update(1)) == 1
        await until(lambda: stream._items.qsize() == 1)
        emulator.api_keys.discard(KEY_1)  # revoked: the next ping fails with -2015
        clock.advance(31 * MINUTE)
        assert isinstance(await next_item(stream), StrategyUpdateEvent)
        with pytest.raises(InvalidApiKeyError):
            await next_item(stream)
        with pytest.raises(InvalidApiKeyError):  # and it stays ended
            await next_item(stream)


async def test_unknown_and_broken_events_come_through(
    fake_client: AsyncClient, emulator: Emulator
) -> None:
    async with fake_client.user_data_events() as stream:
        new = {"e": "SOMETHING_NEW", "E": 1, "x": [1]}
        broken = {**strategy_update(2), "su": None}
        for event in (new, broken, strategy_update(3)):
            assert await emulator.streams.push(KEY_1, event) == 1
        first, second, third = [await next_item(stream) for _ in range(3)]
    assert first == UnknownEvent(event_type="SOMETHING_NEW", raw=new)
    assert isinstance(second, UnknownEvent) and second.raw == broken and second.error
    assert isinstance(third, StrategyUpdateEvent)


async def test_closing_ends_iteration_and_a_bare_async_for_starts_the_stream(
    fake_client: AsyncClient, emulator: Emulator
) -> None:
    stream = fake_client.user_data_events()
    assert not stream.connected

    async def push_when_open() -> None:
        await until(lambda: emulator.streams.open_sockets == 1)
        await emulator.streams.push(KEY_1, strategy_update(1))

    pusher = asyncio.ensure_future(push_when_open())
    async for item in stream:  # starts it
        assert isinstance(item, StrategyUpdateEvent)
        break
    await pusher
    assert stream.connected
    await stream.aclose()
    assert not stream.connected
    with pytest.raises(StopAsyncIteration):
        await next_item(stream)
    await until(lambda: emulator.streams.open_sockets == 0)


async def test_start_fails_for_an_unknown_api_key(fake_client: AsyncClient) -> None:
    with pytest.raises(InvalidApiKeyError):
        async with fake_client.user_data_events(api_key="unknownKey0"):
            pass


def test_stream_urls_and_options(fake_client: AsyncClient, emulator: Emulator) -> None:
    assert stream_url_for("wss://ws-fapi.binance.com/ws-fapi/v1") == STREAM_URL
    assert stream_url_for("wss://testnet.binancefuture.com/ws-fapi/v1") == TESTNET_STREAM_URL
    assert stream_url_for(emulator.url + "?returnRateLimits=false") == emulator.streams.url
    assert STREAM_URL == "wss://fstream.binance.com/private/ws"
    with pytest.raises(ValueError, match="stream_url"):
        fake_client.user_data_events(stream_url="https://example.com/ws")
    with pytest.raises(ValueError, match="idle_timeout"):
        fake_client.user_data_events(idle_timeout=0)
    with pytest.raises(ValueError, match="interval"):
        fake_client.user_data_events(interval=0)
    with pytest.raises(ValueError, match="needs an API key"):
        AsyncClient().user_data_events()
    assert KEY_1 not in repr(fake_client.user_data_events())
