"""The rate limiter alone: windows as data, counts, server reports, 429 pauses; no socket."""

from __future__ import annotations

import asyncio

import pytest

from binance_usdm_ws import (
    ClientRateLimitedError,
    RateLimit,
    RateLimitedError,
    RateLimitInterval,
    RateLimitType,
)
from binance_usdm_ws._core.ratelimit import Limit, RateLimiter
from binance_usdm_ws.testing import FakeClock

WEIGHT = {"REQUEST_WEIGHT": 1}
ORDERS_TOO = (
    Limit("REQUEST_WEIGHT", 60, 2400),
    Limit("ORDERS", 10, 3, per_account=True),
    Limit("ORDERS", 60, 5, per_account=True),
)


def reported(count: int, limit: int = 2400, kind: str = "REQUEST_WEIGHT") -> RateLimit:
    return RateLimit(
        rate_limit_type=RateLimitType(kind),
        interval=RateLimitInterval.MINUTE,
        interval_num=1,
        limit=limit,
        count=count,
    )


def used(limiter: RateLimiter, kind: str = "REQUEST_WEIGHT", seconds: int = 60) -> int:
    window = limiter.window(kind, seconds)
    assert window is not None
    return window.used


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start_ms=1_767_225_600_000)  # on a minute boundary


def test_take_counts_until_the_limit_then_refuses_without_counting(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, limits=[Limit("REQUEST_WEIGHT", 60, 5)])
    cost = limiter.cost({"REQUEST_WEIGHT": 2})
    assert [limiter.take(cost) for _ in range(3)] == [True, True, False]
    assert used(limiter) == 4
    clock.advance(59.9)
    assert not limiter.take(cost)
    clock.advance(0.1)  # a new window
    assert limiter.take(cost) and used(limiter) == 2


def test_off_counts_but_never_refuses(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, "off", limits=[Limit("REQUEST_WEIGHT", 60, 1)])
    cost = limiter.cost(WEIGHT)
    assert all(limiter.take(cost) for _ in range(3))
    assert used(limiter) == 3


def test_a_new_limit_is_a_row_of_data_counted_per_account(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, limits=ORDERS_TOO)
    alice = limiter.cost({"REQUEST_WEIGHT": 1, "ORDERS": 1}, account="alice")
    bob = limiter.cost({"REQUEST_WEIGHT": 1, "ORDERS": 1}, account="bob")
    assert sorted((w.kind, w.seconds) for w, _ in alice) == [
        ("ORDERS", 10),
        ("ORDERS", 60),
        ("REQUEST_WEIGHT", 60),
    ]
    assert [limiter.take(alice) for _ in range(4)] == [True, True, True, False]  # 3 per 10 s
    assert limiter.take(bob)  # another account's orders
    clock.advance(10)
    assert [limiter.take(alice) for _ in range(3)] == [True, True, False]  # 5 per minute
    assert used(limiter) == 6  # the shared weight counted every call that went out
    assert limiter.cost({"REQUEST_WEIGHT": 1}, account="alice") == limiter.cost(WEIGHT)


def test_a_reply_raises_the_count_and_sets_the_limit(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    limiter.take(limiter.cost(WEIGHT))
    limiter.observe([reported(count=40, limit=1200)])  # other traffic from this IP
    window = limiter.window("REQUEST_WEIGHT", 60)
    assert window is not None and (window.used, window.limit) == (40, 1200)
    limiter.observe([reported(count=3, limit=1200)])  # an older count never lowers it
    assert window.used == 40
    limiter.observe([reported(count=9, kind="ORDERS")])  # no ORDERS window: ignored
    assert limiter.window("ORDERS", 60) is None


def test_a_reply_reports_an_accounts_orders(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, limits=ORDERS_TOO)
    limiter.observe([reported(count=4, limit=5, kind="ORDERS")], account="alice")
    alice = limiter.window("ORDERS", 60, account="alice")
    bob = limiter.window("ORDERS", 60, account="bob")
    assert alice is not None and alice.used == 4
    assert bob is not None and bob.used == 0


def test_refund_gives_back_what_was_never_sent(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    cost = limiter.cost({"REQUEST_WEIGHT": 5})
    limiter.take(cost)
    limiter.refund(cost)
    limiter.refund(cost)  # never below zero
    assert used(limiter) == 0


def test_a_429_pauses_every_call_until_retry_after(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    cost = limiter.cost(WEIGHT)
    until_ms = clock() + 7_000
    limiter.observe_error(
        RateLimitedError(status=429, code=-1003, msg="x", data={"retryAfter": until_ms})
    )
    assert not limiter.take(cost)
    assert limiter.resume_at(cost) == until_ms / 1000
    assert limiter.available("REQUEST_WEIGHT") == (0, until_ms / 1000)
    clock.advance(7)
    assert limiter.take(cost)


def test_a_429_without_retry_after_pauses_until_the_next_minute(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    clock.advance(12)
    limiter.observe_error(RateLimitedError(status=429, code=-1003, msg="x"))
    assert limiter.resume_at() == clock.time() + 48


def test_the_clients_own_refusal_does_not_pause(clock: FakeClock) -> None:
    limiter = RateLimiter(clock)
    limiter.observe_error(ClientRateLimitedError(status=429, code=-1003, msg="not sent"))
    assert limiter.take(limiter.cost(WEIGHT))


def test_available_leaves_the_rest_of_the_limit_to_others(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, limits=[Limit("REQUEST_WEIGHT", 60, 100)])
    limiter.take(limiter.cost({"REQUEST_WEIGHT": 30}))
    clock.advance(15)
    assert limiter.available("REQUEST_WEIGHT", share=0.5) == (20, clock.time() + 45)
    assert limiter.available("REQUEST_WEIGHT", share=0.2) == (0, clock.time() + 45)
    assert limiter.available("ORDERS") == (0, clock.time())


async def test_acquire_raises_when_asked_to_or_when_the_wait_is_too_long(
    clock: FakeClock,
) -> None:
    limits = [Limit("REQUEST_WEIGHT", 60, 1)]
    raising = RateLimiter(clock, "raise", limits)
    cost = raising.cost(WEIGHT)
    await raising.acquire(cost, "m", None)
    with pytest.raises(ClientRateLimitedError, match=r"not sent: m .*REQUEST_WEIGHT 1/1"):
        await raising.acquire(cost, "m", None)
    waiting = RateLimiter(clock, "wait", limits)
    cost = waiting.cost(WEIGHT)
    await waiting.acquire(cost, "m", None)
    with pytest.raises(ClientRateLimitedError, match="retry in 60.0 s"):
        await waiting.acquire(cost, "m", timeout=30)


async def test_acquire_waits_for_the_next_window(clock: FakeClock) -> None:
    limiter = RateLimiter(clock, limits=[Limit("REQUEST_WEIGHT", 60, 1)])
    cost = limiter.cost(WEIGHT)
    await limiter.acquire(cost, "m", None)
    waiting = asyncio.ensure_future(limiter.acquire(cost, "m", None))
    while clock.sleepers == 0:
        await asyncio.sleep(0)
    clock.advance(59)
    await asyncio.sleep(0)
    assert not waiting.done()
    clock.advance(1)
    await asyncio.wait_for(waiting, 5)
    assert used(limiter) == 1 and clock.time() % 60 == 0


def test_bad_mode() -> None:
    with pytest.raises(ValueError, match="rate_limit"):
        RateLimiter(FakeClock(), "sometimes")  # type: ignore[arg-type]
