"""The keepalive service on the emulator's clock: days of simulated time in seconds."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from binance_usdm_ws import (
    LISTEN_KEY_VALIDITY,
    AsyncClient,
    InvalidApiKeyError,
    KeepaliveEvent,
    ListenKeyRecreated,
    ListenKeyRenewalFailed,
    ListenKeyRenewed,
    ListenKeyStarted,
    ListenKeyStopped,
    RateLimitedError,
)
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1

HOUR = 3600.0


@pytest.fixture
async def fake_client(emulator: Emulator, clock: FakeClock) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(api_key=KEY_1, url=emulator.url, clock=clock) as c:
        yield c


def renewal_gaps(events: list[KeepaliveEvent], start: float) -> list[float]:
    times = [start] + [
        e.at for e in events if isinstance(e, (ListenKeyRenewed, ListenKeyRecreated))
    ]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


async def test_48_hours_without_a_gap(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    events: list[KeepaliveEvent] = []
    async with fake_client.keepalive(on_event=events.append) as keepalive:
        key = keepalive.listen_key
        assert key is not None and key == emulator.listen_key(KEY_1)
        start = clock.time()
        await clock.run(48 * HOUR)
        assert keepalive.listen_key == key == emulator.listen_key(KEY_1)
        assert emulator.listen_key_expires_at(KEY_1) is not None
    assert isinstance(events[0], ListenKeyStarted)
    renewals = [e for e in events if isinstance(e, ListenKeyRenewed)]
    assert 48 * 2 * 0.85 <= len(renewals) <= 48 * 2 * 1.15  # every 30 min, ±10 % jitter
    assert all(e.listen_key == key for e in renewals)
    gaps = renewal_gaps(events, start)
    assert max(gaps) <= (LISTEN_KEY_VALIDITY - 5 * 60)  # the safety margin
    assert not [e for e in events if isinstance(e, (ListenKeyRenewalFailed, ListenKeyRecreated))]
    assert emulator.calls["userDataStream.start"] == 1
    # On exit the key is closed and the stop reported.
    assert isinstance(events[-1], ListenKeyStopped) and events[-1].closed
    assert emulator.listen_key(KEY_1) is None
    # The connection was replaced before the server's 24-hour limit: at 23 h and 46 h.
    assert fake_client.connections_opened == 3


async def test_key_deleted_server_side_is_recreated_and_reported(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    async with fake_client.keepalive() as keepalive:
        events = keepalive.events()
        old = keepalive.listen_key
        await clock.run(2 * HOUR)
        emulator.delete_listen_key(KEY_1)
        await clock.run(HOUR)
        new = emulator.listen_key(KEY_1)
        assert new is not None and new != old
        assert keepalive.listen_key == new
    # The iterator holds everything since it was created, and ends with the service.
    recreated = [e async for e in events if isinstance(e, ListenKeyRecreated)]
    assert len(recreated) == 1
    assert (recreated[0].old_listen_key, recreated[0].listen_key) == (old, new)
    assert emulator.errors[-1125] == 1


async def test_server_restart_is_survived(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    events: list[KeepaliveEvent] = []
    async with fake_client.keepalive(on_event=events.append) as keepalive:
        key = keepalive.listen_key
        start = clock.time()
        await clock.run(5 * HOUR + 60)
        await emulator.stop()
        await clock.run(90)  # down: the client re-dials with backoff on the simulated clock
        await emulator.start()
        await clock.run(5 * HOUR)
        assert keepalive.listen_key == key == emulator.listen_key(KEY_1)
    assert fake_client.connections_opened >= 2
    assert max(renewal_gaps(events, start)) < LISTEN_KEY_VALIDITY
    assert not [e for e in events if isinstance(e, ListenKeyRecreated)]


async def test_fatal_error_at_start_raises(fake_client: AsyncClient) -> None:
    with pytest.raises(InvalidApiKeyError) as caught:
        async with fake_client.keepalive(api_key="unknownKey0"):
            pass
    assert caught.value.code == -2015


async def test_fatal_error_mid_run_stops_without_looping(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    events: list[KeepaliveEvent] = []
    async with fake_client.keepalive(on_event=events.append) as keepalive:
        await clock.run(HOUR)
        pings = emulator.calls["userDataStream.ping"]
        emulator.api_keys.discard(KEY_1)  # the key is revoked
        await clock.run(HOUR)
        with pytest.raises(InvalidApiKeyError):
            await asyncio.wait_for(keepalive.wait(), 5)
        assert keepalive.error is not None and keepalive.error.code == -2015
        assert not keepalive.running
        assert emulator.calls["userDataStream.ping"] == pings + 1  # one try, no loop
    failed = [e for e in events if isinstance(e, ListenKeyRenewalFailed)]
    assert len(failed) == 1 and failed[0].fatal and failed[0].retry_in is None
    stopped = [e for e in events if isinstance(e, ListenKeyStopped)]
    assert len(stopped) == 1 and stopped[0].error is keepalive.error


async def test_transient_failures_are_retried_before_the_key_expires(
    fake_client: AsyncClient, emulator: Emulator, clock: FakeClock
) -> None:
    events: list[KeepaliveEvent] = []
    async with fake_client.keepalive(on_event=events.append) as keepalive:
        key = keepalive.listen_key
        emulator.weight_limit = 0  # every request now gets 429
        await clock.run(45 * 60)
        failures = [e for e in events if isinstance(e, ListenKeyRenewalFailed)]
        assert len(failures) >= 3
        assert all(not f.fatal and isinstance(f.error, RateLimitedError) for f in failures)
        # Each retry waits for the next weight window: no hot loop.
        assert all(f.retry_in is not None and f.retry_in > 0 for f in failures)
        times = [f.at for f in failures]
        assert all(b - a >= 30 for a, b in zip(times, times[1:], strict=False))
        emulator.weight_limit = 2400
        await clock.run(15 * 60)
        assert emulator.listen_key(KEY_1) == key  # renewed before it could expire
    assert any(isinstance(e, ListenKeyRenewed) for e in events)
    assert not [e for e in events if isinstance(e, ListenKeyRecreated)]


async def test_keep_keys_leaves_the_key_open(fake_client: AsyncClient, emulator: Emulator) -> None:
    async with fake_client.keepalive(keep_keys=True) as keepalive:
        key = keepalive.listen_key
    assert emulator.listen_key(KEY_1) == key


async def test_events_iterator_ends_when_the_service_stops(fake_client: AsyncClient) -> None:
    keepalive = fake_client.keepalive()
    events = keepalive.events()
    async with keepalive:
        pass
    kinds = [type(e) async for e in events]
    assert kinds == [ListenKeyStarted, ListenKeyStopped]


def test_bad_options(fake_client: AsyncClient) -> None:
    with pytest.raises(ValueError, match="interval"):
        fake_client.keepalive(interval=3500)
    with pytest.raises(ValueError, match="interval"):
        fake_client.keepalive(interval=0)
    with pytest.raises(ValueError, match="jitter"):
        fake_client.keepalive(jitter=1)
    with pytest.raises(ValueError, match="no API keys"):
        fake_client.keepalive_fleet([])
    with pytest.raises(ValueError, match="needs an API key"):
        AsyncClient().keepalive()


async def test_event_repr_redacts_the_api_key(fake_client: AsyncClient) -> None:
    events: list[KeepaliveEvent] = []
    async with fake_client.keepalive(on_event=events.append):
        pass
    assert events and all(KEY_1 not in repr(e) for e in events)


@pytest.mark.slow
async def test_fleet_of_10000_keys_without_a_429(clock: FakeClock) -> None:
    keys = [f"fleetKey{i:05d}" for i in range(10_000)]
    async with Emulator(api_keys=keys, clock=clock) as emulator:
        async with AsyncClient(url=emulator.url, clock=clock, timeout=30) as client:
            last: dict[str, float] = {}
            worst_gap = 0.0

            def track(event: KeepaliveEvent) -> None:
                nonlocal worst_gap
                if isinstance(event, (ListenKeyStarted, ListenKeyRenewed)):
                    if event.api_key in last:
                        worst_gap = max(worst_gap, event.at - last[event.api_key])
                    last[event.api_key] = event.at
                assert not isinstance(event, ListenKeyRenewalFailed), event

            fleet = client.keepalive_fleet(keys, on_event=track, keep_keys=True)
            async with fleet:
                await clock.run(70 * 60)
                assert len(fleet.listen_keys) == 10_000
                assert all(emulator.listen_key(k) for k in keys[::97])
            assert emulator.errors == {}  # no 429, nor anything else
            assert emulator.calls["userDataStream.start"] == 10_000
            # Starts were paced over ~9 minutes at half the limit; then pings spread
            # evenly over the interval: every key renewed, none near expiry.
            assert emulator.calls["userDataStream.ping"] >= 10_000
            assert 0 < worst_gap <= 30 * 60 * 1.1
