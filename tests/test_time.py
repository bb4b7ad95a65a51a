"""Server time (issue 13): the offset from serverTime, corrected by half the round trip,
stamped on every signed request."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import AsyncClient, Client
from binance_usdm_ws.errors import (
    ApiError,
    ConnectionClosedError,
    OrderStatusUnknownError,
    RequestTimeoutError,
    ServerError,
)
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


def place(client: AsyncClient, **extra: Any) -> Awaitable[Any]:
    return client.order.place(
        symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
        quantity=Decimal("0.01"), price=Decimal("40000"), **extra,
    )  # fmt: skip


def sent(emulator: Emulator) -> list[str]:
    return [r["method"] for r in emulator.requests]


@pytest.mark.parametrize("skew_ms", [2000, -2000])  # the client 2 s behind, or ahead
async def test_minus_1021_measures_and_sends_once_more(clock: FakeClock, skew_ms: int) -> None:
    emulator = skewed(clock, skew_ms)
    async with (
        emulator,
        AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url, clock=clock, recv_window=1000) as c,
    ):
        loop = asyncio.get_running_loop()
        started = loop.time()
        placed = await place(c)
        bound = (loop.time() - started) * 1000 + 1  # the whole call bounds the round trip
        assert placed.result.status == "NEW"
        assert sent(emulator) == ["order.place", "session.status", "order.place"]
        assert skew_ms <= c.time_offset <= skew_ms + bound
        assert len(emulator.account(KEY_1).orders) == 1
        first, _, second = (r.get("params", {}) for r in emulator.requests)
        assert first["newClientOrderId"] == second["newClientOrderId"]  # generated once


async def test_minus_1021_is_sent_again_once_only(
    clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = skewed(clock, 2000)
    unskewed = emulator._session_result  # serverTime of the client's clock: no help
    monkeypatch.setattr(
        emulator, "_session_result", lambda s: {**unskewed(s), "serverTime": clock()}
    )
    async with (
        emulator,
        AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url, clock=clock, recv_window=1000) as c,
    ):
        with pytest.raises(ApiError) as caught:
            await place(c)
        assert caught.value.code == -1021 and "recvWindow" in caught.value.msg
        assert sent(emulator) == ["order.place", "session.status", "order.place"]


@pytest.mark.parametrize("fault", ["503", "429", "drop", "duplicate", "timeout", "signature"])
async def test_an_order_is_never_sent_twice_for_another_error(fault: str) -> None:
    emulator = Emulator(api_keys={KEY_1}, api_secrets={KEY_1: SECRET})
    secret = "x" * 64 if fault == "signature" else SECRET
    async with emulator, AsyncClient(KEY_1, api_secret=secret, url=emulator.url) as client:
        if fault == "duplicate":
            await place(client, new_client_order_id="dup")
            emulator.requests.clear()
        if fault in ("503", "429"):
            emulator.faults.fail_next(1, status=int(fault))  # type: ignore[arg-type]
        if fault == "drop":
            emulator.faults.drop_after(1)
        if fault == "timeout":
            emulator.faults.delay_replies(0.5, count=1)
        unknown = fault in ("503", "drop", "timeout")  # sent; executed or not, who knows
        with pytest.raises(OrderStatusUnknownError if unknown else ApiError) as caught:
            await place(client, new_client_order_id="dup", timeout=0.2)
        if isinstance(caught.value, OrderStatusUnknownError):
            assert isinstance(
                caught.value.__cause__, (ServerError, ConnectionClosedError, RequestTimeoutError)
            )
            assert (caught.value.method, caught.value.symbol) == ("order.place", "BTCUSDT")
            assert caught.value.client_order_id == "dup"
        await asyncio.sleep(0.5)
        assert sent(emulator).count("order.place") == 1


async def test_an_order_without_a_client_order_id_gets_one() -> None:
    emulator = Emulator(api_keys={KEY_1}, api_secrets={KEY_1: SECRET})
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        placed = await place(client)
        again = await place(client)
    ids = [r["params"]["newClientOrderId"] for r in emulator.requests]
    assert all(re.fullmatch(r"[\.A-Z\:/a-z0-9_-]{1,36}", i) for i in ids) and ids[0] != ids[1]
    assert [placed.result.client_order_id, again.result.client_order_id] == ids
    orders = emulator.account(KEY_1).orders.values()
    assert sorted(o.client_order_id for o in orders) == sorted(ids)
