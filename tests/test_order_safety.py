"""Trading safely (issue 13): order calls never sent twice, unknown outcomes and their
resolution, ORDERS pacing per account, and session logon on every connection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from binance_usdm_ws import AsyncClient, Client, ConnectionSettings
from binance_usdm_ws.errors import (
    ApiError,
    ClientRateLimitedError,
    ConnectionClosedError,
    OrderStatusUnknownError,
    RequestTimeoutError,
    ServerError,
)
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1, KEY_2, run_readme_block

SECRET = "s" * 64
ED_KEY = ed25519.Ed25519PrivateKey.generate()
ED_PEM = ED_KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
)
ED_PUBLIC = ED_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def hmac_emulator(**options: Any) -> Emulator:
    return Emulator(api_keys={KEY_1, KEY_2}, api_secrets={KEY_1: SECRET, KEY_2: SECRET}, **options)


def place(client: AsyncClient, **extra: Any) -> Awaitable[Any]:
    return client.order.place(
        symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
        quantity=Decimal("0.01"), price=Decimal("40000"), **extra,
    )  # fmt: skip


def orders_named(emulator: Emulator, client_order_id: str) -> int:
    orders = emulator.account(KEY_1).orders.values()
    return sum(o.client_order_id == client_order_id for o in orders)


def methods(emulator: Emulator) -> list[str]:
    return [r["method"] for r in emulator.requests]


# -- unknown outcomes ----------------------------------------------------------------------


async def test_a_lost_reply_is_an_unknown_outcome_the_order_resolves() -> None:
    emulator = hmac_emulator()
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        emulator.faults.lose_order_replies(1)  # placed, then the connection drops
        with pytest.raises(OrderStatusUnknownError) as caught:
            await place(client)
        error = caught.value
        assert isinstance(error.__cause__, ConnectionClosedError)
        assert (error.method, error.symbol) == ("order.place", "BTCUSDT")
        assert error.client_order_id is not None and KEY_1 not in str(error)
        assert orders_named(emulator, error.client_order_id) == 1
        order = await client.resolve_order(error)  # waits out the re-dial
        assert order is not None and order.client_order_id == error.client_order_id
        assert order.status == "NEW"
        assert methods(emulator).count("order.place") == 1


async def test_an_order_that_never_arrived_resolves_to_none() -> None:
    emulator = hmac_emulator()
    async with (
        emulator,
        AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url, recv_window=300) as client,
    ):
        emulator.faults.drop_unprocessed(1)
        with pytest.raises(OrderStatusUnknownError) as caught:
            await place(client, new_client_order_id="never-there")
        assert caught.value.client_order_id == "never-there"
        assert await client.resolve_order(caught.value) is None
        # After the request's recvWindow: it was asked twice, the second time once too late.
        status = [r for r in emulator.requests if r["method"] == "order.status"]
        assert len(status) == 2
        assert status[-1]["params"]["timestamp"] >= caught.value.valid_until - 5  # (ms jitter)


@pytest.mark.parametrize("code", [-1006, -1007])
async def test_unknown_codes_and_5xx_are_unknown_outcomes(code: int) -> None:
    emulator = hmac_emulator()
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        original = emulator.handle

        def answer_unknown(session: Any, frame: str | bytes) -> str:
            reply = original(session, frame)
            if '"orderId"' in reply and '"status":200' in reply:  # executed, then "unknown"
                reply = reply.split(',"result"')[0].replace('"status":200', '"status":408')
                reply += f',"error":{{"code":{code},"msg":"Send status unknown"}}}}'
            return reply

        emulator.handle = answer_unknown  # type: ignore[method-assign]
        with pytest.raises(OrderStatusUnknownError) as caught:
            await place(client)
        assert isinstance(caught.value.__cause__, ApiError)
        assert caught.value.__cause__.code == code
        emulator.handle = original  # type: ignore[method-assign]
        order = await client.resolve_order(caught.value)
        assert order is not None and order.client_order_id == caught.value.client_order_id


@pytest.mark.parametrize("method", ["modify", "cancel"])
async def test_modify_and_cancel_are_never_sent_twice(method: str) -> None:
    emulator = hmac_emulator()
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        placed = (await place(client, new_client_order_id="mine")).result
        emulator.faults.fail_next(1, status=503)
        with pytest.raises(OrderStatusUnknownError) as caught:
            if method == "modify":
                await client.order.modify(
                    symbol="BTCUSDT", orig_client_order_id="mine", side="BUY",
                    quantity=Decimal("0.02"), price=Decimal("40001"),
                )  # fmt: skip
            else:
                await client.order.cancel(symbol="BTCUSDT", order_id=placed.order_id)
        assert isinstance(caught.value.__cause__, ServerError)
        assert methods(emulator).count(f"order.{method}") == 1
        if method == "cancel":
            assert caught.value.order_id == placed.order_id
        order = await client.resolve_order(caught.value)
        assert order is not None and order.status == "NEW"  # the 503 came before execution


async def test_algo_orders_are_unknown_but_cannot_be_looked_up() -> None:
    emulator = hmac_emulator()
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        emulator.faults.lose_order_replies(1)
        with pytest.raises(OrderStatusUnknownError) as caught:
            await client.algo_order.place(
                algo_type="CONDITIONAL", symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
                quantity=Decimal("0.01"), trigger_price=Decimal("45000"),
            )  # fmt: skip
        assert caught.value.client_order_id is not None  # generated: clientAlgoId
        assert methods(emulator).count("algoOrder.place") == 1
        with pytest.raises(ValueError, match="ALGO_UPDATE"):
            await client.resolve_order(caught.value)


async def test_a_timeout_before_sending_is_not_unknown() -> None:
    emulator = hmac_emulator()
    async with emulator, AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        client._in_flight = client._max_pending  # every slot taken: the order cannot go
        with pytest.raises(RequestTimeoutError) as caught:
            await place(client, timeout=0.05)
        assert caught.value.sent is False and "order.place" not in methods(emulator)
        client._in_flight = 0


def test_the_blocking_client_resolves_too() -> None:
    emulator = hmac_emulator()
    with emulator, Client(KEY_1, api_secret=SECRET, url=emulator.url) as client:
        emulator.faults.lose_order_replies(1)
        with pytest.raises(OrderStatusUnknownError) as caught:
            client.order.place(
                symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
                quantity=Decimal("0.01"), price=Decimal("40000"),
            )  # fmt: skip
        order = client.resolve_order(caught.value)
        assert order is not None and order.client_order_id == caught.value.client_order_id


# -- ORDERS pacing -------------------------------------------------------------------------


async def test_orders_are_paced_per_account() -> None:
    emulator = hmac_emulator()
    emulator.order_limits = {10: 3, 60: 100}
    async with (
        emulator,
        AsyncClient(KEY_1, api_secret=SECRET, url=emulator.url, rate_limit="raise") as client,
    ):
        for _ in range(3):  # the replies report the account's ORDERS limit: 3 per 10 s
            await place(client)
        with pytest.raises(ClientRateLimitedError, match="ORDERS 3/3 per 10 s"):
            await place(client)
        assert methods(emulator).count("order.place") == 3  # refused before sending
        await place(client, api_key=KEY_2)  # another account: its own windows
        await client.account.balance()  # not an order: not paced by ORDERS
        window = client.rate_limiter.window("ORDERS", 10, account=KEY_1)
        assert window is not None and (window.used, window.limit) == (3, 3)


# -- session logon -------------------------------------------------------------------------


def session_emulator() -> Emulator:
    return Emulator(api_keys={KEY_1}, public_keys={KEY_1: ED_PUBLIC})


async def test_a_session_logs_on_at_connect_and_signs_nothing_after() -> None:
    emulator = session_emulator()
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
    async with emulator, AsyncClient(KEY_1, url=emulator.url, **options) as client:
        assert methods(emulator) == ["session.logon"]  # before any call
        placed = await place(client)
        await client.order.status(symbol="BTCUSDT", order_id=placed.result.order_id)
        for request in list(emulator.requests)[1:]:
            assert set(request["params"]).isdisjoint({"apiKey", "signature"})
            assert "timestamp" in request["params"]
        status = await client.session.status()
        assert status.result.api_key == KEY_1
        await client.session.logon()  # by hand too: signed, with its apiKey
        assert {"apiKey", "signature"} <= set(emulator.requests[-1]["params"])


async def test_every_new_connection_logs_on_before_signed_calls() -> None:
    emulator = session_emulator()
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
    async with emulator, AsyncClient(KEY_1, url=emulator.url, **options) as client:
        await place(client)
        await emulator.drop_connections()
        await asyncio.gather(*(place(client) for _ in range(5)))  # queued behind the logon
        assert client.connections_opened == 2
        sequence = methods(emulator)
        assert sequence[:2] == ["session.logon", "order.place"]
        assert sequence[2] == "session.logon" and sequence[3:] == ["order.place"] * 5


async def test_a_rotated_connection_is_logged_on_before_it_takes_calls() -> None:
    clock = FakeClock()
    emulator = Emulator(api_keys={KEY_1}, public_keys={KEY_1: ED_PUBLIC}, clock=clock)
    rotating = ConnectionSettings(max_connection_age=600)
    async with emulator:
        options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
        async with AsyncClient(
            KEY_1, url=emulator.url, clock=clock, connection=rotating, **options
        ) as client:
            await place(client)
            clock.advance(600)  # the 24-hour limit, shortened

            async def rotated() -> None:
                while client.connections_opened < 2:
                    await asyncio.sleep(0.001)

            await asyncio.wait_for(rotated(), 5)
            await place(client)  # no apiKey: only a logged-on connection takes it
        assert emulator.connections_accepted == 2
        assert methods(emulator) == ["session.logon", "order.place"] * 2


@pytest.mark.parametrize("skew_ms", [-2000, 6000])  # the server's clock behind, or ahead
async def test_a_logon_refused_for_its_timestamp_measures_the_clock_and_logs_on(
    skew_ms: int,
) -> None:
    clock = FakeClock()
    emulator = Emulator(
        api_keys={KEY_1}, public_keys={KEY_1: ED_PUBLIC}, clock=lambda: clock() + skew_ms
    )
    async with emulator:
        options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
        async with AsyncClient(KEY_1, url=emulator.url, clock=clock, **options) as client:
            assert skew_ms - 1000 < client.time_offset <= skew_ms + 1000
            await place(client)
        assert methods(emulator) == ["session.logon", "session.status", "session.logon"] + [
            "order.place"
        ]
        assert emulator.errors[-1021] == 1


async def test_a_logon_is_not_held_back_by_the_calls_waiting_for_it() -> None:
    emulator = session_emulator()
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True, "max_pending": 2}
    async with emulator, AsyncClient(KEY_1, url=emulator.url, **options) as client:
        await emulator.drop_connections()
        await asyncio.gather(*(place(client, timeout=5) for _ in range(4)))
        assert methods(emulator).count("session.logon") == 2


async def test_after_a_logout_the_next_signed_call_logs_on_again() -> None:
    emulator = session_emulator()
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
    async with emulator, AsyncClient(KEY_1, url=emulator.url, **options) as client:
        await client.session.logout()
        await place(client)
        assert methods(emulator) == [
            "session.logon", "session.logout", "session.logon", "order.place"
        ]  # fmt: skip


async def test_a_logon_cut_off_is_done_again_on_the_next_connection() -> None:
    emulator = session_emulator()
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
    async with emulator:
        emulator.faults.drop_unprocessed(1)  # the first logon is lost with its connection
        async with AsyncClient(KEY_1, url=emulator.url, **options) as client:
            assert client.connections_opened == 2
            await place(client)  # an order waiting on a lost logon was never sent
        assert methods(emulator) == ["session.logon", "session.logon", "order.place"]


async def test_a_failed_logon_fails_the_calls_waiting_on_it() -> None:
    emulator = Emulator(api_keys={KEY_1})  # knows no public key: -1022
    options: dict[str, Any] = {"private_key": ED_PEM, "session_logon": True}
    async with emulator:
        client = AsyncClient(KEY_1, url=emulator.url, **options)
        with pytest.raises(ApiError) as at_connect:
            await client.connect()
        assert at_connect.value.code == -1022
        emulator.public_keys[KEY_1] = object()  # still wrong: every waiting call fails
        results = await asyncio.gather(*(place(client) for _ in range(3)), return_exceptions=True)
        assert all(isinstance(r, ApiError) and r.code == -1022 for r in results)
        assert "order.place" not in methods(emulator)
        await client.close()


def test_session_logon_needs_an_ed25519_key() -> None:
    rsa_pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    for options in ({"api_secret": SECRET}, {"private_key": rsa_pem}, {}):
        with pytest.raises(ValueError, match="Ed25519"):
            AsyncClient(KEY_1, session_logon=True, **options)
    with pytest.raises(ValueError, match="api_key"):
        AsyncClient(private_key=ED_PEM, session_logon=True)


# -- reliability ---------------------------------------------------------------------------


async def test_a_thousand_orders_under_chaos_are_never_doubled_nor_left_unknown() -> None:
    from scripts.reliability import run_orders  # the report's 10,000-order run, smaller

    report = await run_orders(1000, seed=7)
    assert report.outcomes["placed"] > 0 and report.outcomes["OrderStatusUnknownError"] > 0
    assert {"drop", "drop_unprocessed", "fail_503"} <= set(report.applied)
    assert report.resolved["placed"] > 0 and report.resolved["not placed"] > 0
    assert report.bad == 0, report


# -- the README ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["none", "lose_order_replies", "drop_unprocessed"])
async def test_the_readme_session_snippet(
    fault: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespace = run_readme_block("### Sessions, server time, and orders that are never doubled")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ed25519.pem").write_bytes(ED_PEM)
    async with session_emulator() as emulator:

        def client(**kwargs: Any) -> AsyncClient:
            kwargs["api_key"] = KEY_1
            return AsyncClient(url=emulator.url, recv_window=300, **kwargs)

        namespace["AsyncClient"] = client
        if fault != "none":  # armed as the order arrives
            override = emulator.faults.override

            def arm(request_id: Any, method: str = "") -> str | None:
                if method == "order.place" and not emulator.faults.applied:
                    getattr(emulator.faults, fault)(1)
                return override(request_id, method)

            monkeypatch.setattr(emulator.faults, "override", arm)
        await namespace["main"]()
    expected = {"none": "placed: NEW", "lose_order_replies": "placed: NEW"}
    assert capsys.readouterr().out == f"True\nTrue\n{expected.get(fault, 'not placed')}\n"
    places = [r for r in emulator.requests if r["method"] == "order.place"]
    assert len(places) == 1 and "signature" not in places[0]["params"]
    if fault == "none":
        assert "order.status" not in methods(emulator)
    else:
        assert methods(emulator).count("session.logon") == 2  # logged on again after the drop
