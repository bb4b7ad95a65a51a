"""The emulator answers every method of schema/methods/: requests checked against the generated
spec with the docs' codes, replies that decode into the SDK's own models field for field."""

from __future__ import annotations

import json
import types
import typing
from decimal import Decimal
from typing import Any

import attrs
import pytest

from binance_usdm_ws import AsyncClient, Client
from binance_usdm_ws._core.converter import CONVERTER
from binance_usdm_ws._core.protocol import Protocol
from binance_usdm_ws._generated import models as m
from binance_usdm_ws._generated.methods import METHODS
from binance_usdm_ws._generated.spec import SPECS
from binance_usdm_ws.errors import ApiError
from binance_usdm_ws.testing import Emulator, FakeClock
from binance_usdm_ws.testing._emulator import _HANDLERS, _Session
from binance_usdm_ws.testing._wire import hmac_signature

from .conftest import KEY_1, KEY_2, prepare

NOW = 1_767_225_600_000  # FakeClock's start


def signed(**params: Any) -> dict[str, Any]:
    return {"apiKey": KEY_1, "timestamp": NOW, **params}


# Every method, in an order that makes each call succeed, with the model its reply decodes to.
CALLS: list[tuple[str, dict[str, Any], type[Any]]] = [
    ("depth", {"symbol": "BTCUSDT"}, m.DepthResponse),
    ("depth", {"symbol": "ETHUSDT", "limit": 5}, m.DepthResponse),
    ("ticker.price", {"symbol": "BTCUSDT"}, m.TickerPriceResponse),
    ("ticker.price", {}, m.TickerPriceListResponse),
    ("ticker.book", {"symbol": "BNBUSDT"}, m.TickerBookResponse),
    ("ticker.book", {}, m.TickerBookListResponse),
    ("session.status", {}, m.SessionStatusResponse),
    ("session.logon", signed(), m.SessionLogonResponse),
    ("session.logout", {}, m.SessionLogoutResponse),
    ("userDataStream.start", {"apiKey": KEY_1}, m.UserDataStreamStartResponse),
    ("userDataStream.ping", {"apiKey": KEY_1}, m.UserDataStreamPingResponse),
    ("userDataStream.stop", {"apiKey": KEY_1}, m.UserDataStreamStopResponse),
    ("account.balance", signed(), m.AccountBalanceResponse),
    ("v2/account.balance", signed(), m.AccountBalanceV2Response),
    ("account.status", signed(), m.AccountStatusResponse),
    ("v2/account.status", signed(), m.AccountStatusV2Response),
    ("account.position", signed(), m.AccountPositionResponse),
    ("account.position", signed(symbol="BTCUSDT"), m.AccountPositionResponse),
    ("v2/account.position", signed(), m.AccountPositionV2Response),
    ("v2/account.position", signed(symbol="ETHUSDT"), m.AccountPositionV2Response),
    (
        "order.place",
        signed(
            symbol="BTCUSDT",
            side="BUY",
            type="LIMIT",
            timeInForce="GTC",
            quantity="0.010",
            price="49000.00",
            newClientOrderId="mine-1",
        ),
        m.OrderPlaceResponse,
    ),
    (
        "order.place",
        signed(symbol="ETHUSDT", side="SELL", type="MARKET", quantity="1"),
        m.OrderPlaceResponse,
    ),
    ("order.status", signed(symbol="BTCUSDT", orderId=100_000_001), m.OrderStatusResponse),
    (
        "order.modify",
        signed(
            symbol="BTCUSDT",
            origClientOrderId="mine-1",
            side="BUY",
            quantity="0.020",
            price="48000.00",
        ),
        m.OrderModifyResponse,
    ),
    ("order.cancel", signed(symbol="BTCUSDT", orderId=100_000_001), m.OrderCancelResponse),
    (
        "algoOrder.place",
        signed(
            algoType="CONDITIONAL",
            symbol="BTCUSDT",
            side="SELL",
            type="STOP_MARKET",
            quantity="0.010",
            triggerPrice="45000.00",
        ),
        m.AlgoOrderPlaceResponse,
    ),
    (
        "algoOrder.cancel",
        signed(clientAlgoId="emulatorAlgo3000000000000001"),
        m.AlgoOrderCancelResponse,
    ),
]


def wire_names(cls: type[Any]) -> list[str]:
    return [f.metadata.get("wire", f.name) for f in attrs.fields(cls)]


def assert_exact(value: Any, tp: Any, where: str) -> None:
    """``value`` has exactly the fields of ``tp``'s models, all the way down: nothing the
    model would default, nothing it would ignore."""
    origin = typing.get_origin(tp)
    if attrs.has(tp):
        assert isinstance(value, dict), where
        assert list(value) == wire_names(tp), f"{where}: {sorted(set(value) ^ set(wire_names(tp)))}"
        hints = typing.get_type_hints(tp)
        for field in attrs.fields(tp):
            wire = field.metadata.get("wire", field.name)
            assert_exact(value[wire], hints[field.name], f"{where}.{wire}")
    elif origin is list:
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            assert_exact(item, typing.get_args(tp)[0], f"{where}[{i}]")
    elif origin in (typing.Union, types.UnionType) and value is not None:
        for arg in typing.get_args(tp):
            if attrs.has(arg) or typing.get_origin(arg) is list:
                assert_exact(value, arg, where)


def ask(emulator: Emulator, session: _Session, method: str, params: dict[str, Any]) -> Any:
    return json.loads(
        emulator.handle(session, json.dumps({"id": 1, "method": method, "params": params}))
    )


def test_every_method_has_a_handler_and_a_call_here() -> None:
    assert set(_HANDLERS) == set(SPECS) == set(METHODS)
    assert {method for method, _, _ in CALLS} == set(SPECS)


def test_every_reply_decodes_into_its_model_field_for_field() -> None:
    emulator = Emulator(api_keys={KEY_1}, clock=FakeClock(), verify_signatures=False)
    session = _Session(True, NOW)
    for method, params, response_type in CALLS:
        reply = ask(emulator, session, method, params)
        assert reply["status"] == 200, (method, reply)
        decoded = CONVERTER.structure(reply, response_type)
        assert isinstance(decoded, response_type)
        # And as the client decodes a reply off the wire.
        protocol: Protocol[str] = Protocol(id_factory=lambda: "r1")
        prepare(protocol, method, params, response_type, "W")
        [outcome] = protocol.receive(json.dumps({**reply, "id": "r1"}))
        assert outcome.error is None and isinstance(outcome.result, response_type), outcome
        hints = typing.get_type_hints(response_type)
        assert_exact(reply["result"], hints["result"], method)
        assert_exact(reply["rateLimits"][0], m.RateLimit, f"{method} rateLimits")


def test_the_checks_can_fail() -> None:
    with pytest.raises(AssertionError):
        assert_exact({"symbol": "X", "price": "1"}, m.TickerPriceResult, "short")
    with pytest.raises(AssertionError):
        assert_exact(
            {"symbol": "X", "price": "1", "time": 1, "extra": 1}, m.TickerPriceResult, "long"
        )


# -- parameters checked as the docs say ---------------------------------------------------


@pytest.mark.parametrize(
    ("method", "params", "code", "msg"),
    [
        (
            "depth",
            {},
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        ),
        (
            "depth",
            {"symbol": ""},
            -1102,
            "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.",
        ),
        (
            "depth",
            {"symbol": "BTCUSDT", "limit": "5"},
            -1130,
            "Data sent for parameter 'limit' is not valid.",
        ),
        (
            "depth",
            {"symbol": "BTCUSDT", "limit": 7},
            -1130,
            "Data sent for parameter 'limit' is not valid.",
        ),
        ("depth", {"symbol": "NOPE"}, -1121, "Invalid symbol."),
        ("ticker.price", {"symbol": 5}, -1130, "Data sent for parameter 'symbol' is not valid."),
        ("ticker.price", {"symbol": None}, -1105, "Parameter 'symbol' was empty."),
        (
            "ticker.book",
            {"symbol": "BTCUSDT", "limit": 5},
            -1103,
            "An unknown parameter was sent.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="UP", type="LIMIT"),
            -1130,
            "Data sent for parameter 'side' is not valid.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1e3"),
            -1130,
            "Data sent for parameter 'quantity' is not valid.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1" + "0" * 15),
            -1130,
            "Data sent for parameter 'quantity' is not valid.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=float("inf")),
            -1130,
            "Data sent for parameter 'quantity' is not valid.",
        ),
        (
            "order.place",
            {"apiKey": KEY_1, "symbol": "BTCUSDT", "side": "BUY", "type": "MARKET"},
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        ),
        (
            "order.status",
            signed(symbol="BTCUSDT"),
            -1102,
            "Param 'orderId' or 'origClientOrderId' must be sent, but both were empty/null!",
        ),
        (
            "algoOrder.cancel",
            signed(),
            -1102,
            "Param 'algoId' or 'clientAlgoId' must be sent, but both were empty/null!",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="LIMIT", quantity="1", price="1"),
            -1102,
            "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="STOP_MARKET", quantity="1"),
            -4120,
            "Order type not supported for this endpoint. "
            "Please use the Algo Order API endpoints instead.",
        ),
        (
            "order.place",
            signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="1", price="1"),
            -1106,
            "Parameter 'price' sent when not required.",
        ),
        (
            "order.status",
            signed(symbol="BTCUSDT", orderId=1),
            -2013,
            "Order does not exist.",
        ),
        (
            "order.cancel",
            signed(symbol="BTCUSDT", origClientOrderId="nope"),
            -2011,
            "Unknown order sent.",
        ),
        (
            "account.balance",
            signed(timestamp=NOW + 1000),
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ),
        (
            "account.balance",
            signed(timestamp=NOW - 5001),
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ),
    ],
)
def test_requests_are_checked_with_the_docs_codes(
    method: str, params: dict[str, Any], code: int, msg: str
) -> None:
    emulator = Emulator(api_keys={KEY_1}, clock=FakeClock(), verify_signatures=False)
    reply = ask(emulator, _Session(True, NOW), method, params)
    assert reply["error"] == {"code": code, "msg": msg}
    assert reply["status"] == 400


# -- signatures ---------------------------------------------------------------------------


def test_signed_methods_need_a_valid_signature_by_default() -> None:
    emulator = Emulator(api_keys={KEY_1, KEY_2}, clock=FakeClock(), api_secrets={KEY_1: "s3cret"})
    session = _Session(True, NOW)
    invalid = {"code": -1022, "msg": "Signature for this request is not valid."}
    for method in [name for name, spec in SPECS.items() if spec.security in ("TRADE", "USER_DATA")]:
        params = next(p for name, p, _ in CALLS if name == method)
        reply = ask(emulator, session, method, params)
        assert (reply["status"], reply["error"]) == (400, invalid), method
    params = signed()
    assert (
        ask(emulator, session, "account.balance", {**params, "signature": "ab" * 32})["error"]
        == invalid
    )
    good = hmac_signature("s3cret", params)
    reply = ask(emulator, session, "account.balance", {**params, "signature": good.upper()})
    assert reply["status"] == 200
    # No secret for the key: no signature can be valid. session.logon needs Ed25519: never.
    other = {**params, "apiKey": KEY_2}
    assert (
        ask(emulator, session, "account.balance", {**other, "signature": good})["error"] == invalid
    )
    logon = {**params, "signature": good}
    assert ask(emulator, session, "session.logon", logon)["error"] == invalid
    assert ask(emulator, session, "account.balance", {"timestamp": NOW})["error"]["code"] == -2014


def test_the_hmac_payload_is_sorted_raw_text() -> None:
    # FACTS §7.2: the spot docs' vector, recomputed.
    params = {
        "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
        "price": "52000.00",
        "quantity": "0.01000000",
        "recvWindow": 100,
        "side": "SELL",
        "symbol": "BTCUSDT",
        "timeInForce": "GTC",
        "timestamp": 1645423376532,
        "type": "LIMIT",
    }
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    assert hmac_signature(secret, params) == (
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    )


def test_a_session_logged_on_signs_for_its_requests() -> None:
    emulator = Emulator(api_keys={KEY_1}, clock=FakeClock(), verify_signatures=False)
    session = _Session(True, NOW)
    reply = ask(emulator, session, "session.logon", signed())
    assert reply["result"]["apiKey"] == KEY_1
    assert reply["result"]["authorizedSince"] == NOW
    assert ask(emulator, session, "session.status", {})["result"]["apiKey"] == KEY_1
    assert ask(emulator, session, "v2/account.balance", {"timestamp": NOW})["status"] == 200
    assert ask(emulator, session, "userDataStream.start", {})["status"] == 200
    assert ask(emulator, session, "session.logout", {})["result"]["apiKey"] is None
    assert (
        ask(emulator, session, "v2/account.balance", {"timestamp": NOW})["error"]["code"] == -2014
    )


# -- market data and weights --------------------------------------------------------------


def test_the_book_is_deterministic_and_charged_by_weight() -> None:
    clock = FakeClock()
    first, second = (Emulator(clock=clock) for _ in range(2))
    session = _Session(True, NOW)
    depth = ask(first, session, "depth", {"symbol": "BTCUSDT", "limit": 1000})
    assert depth == ask(second, session, "depth", {"symbol": "BTCUSDT", "limit": 1000})
    result = depth["result"]
    assert len(result["bids"]) == len(result["asks"]) == 1000
    bids = [Decimal(p) for p, _ in result["bids"]]
    asks = [Decimal(p) for p, _ in result["asks"]]
    assert bids == sorted(bids, reverse=True) and asks == sorted(asks) and bids[0] < asks[0]
    book = ask(first, session, "ticker.book", {"symbol": "BTCUSDT"})["result"]
    assert [book["bidPrice"], book["bidQty"]] == result["bids"][0]
    assert [book["askPrice"], book["askQty"]] == result["asks"][0]
    price = ask(first, session, "ticker.price", {"symbol": "ETHUSDT"})["result"]
    assert price == {"symbol": "ETHUSDT", "price": "3000.00", "time": NOW}
    listed = ask(first, session, "ticker.price", {})["result"]
    assert [p["symbol"] for p in listed] == ["BTCUSDT", "ETHUSDT", "BNBUSDT"]
    custom = Emulator(clock=clock, symbols={"SOLUSDT": "150.1234"})
    assert ask(custom, session, "ticker.book", {})["result"][0]["askPrice"] == "150.1235"

    def weight(emulator: Emulator, method: str, params: dict[str, Any]) -> int:
        before = emulator._weight_usage()["count"]
        ask(emulator, session, method, params)
        return int(emulator._weight_usage()["count"]) - before

    fresh = Emulator(clock=clock)
    assert weight(fresh, "depth", {"symbol": "BTCUSDT", "limit": 1000}) == 20
    assert weight(fresh, "depth", {"symbol": "BTCUSDT", "limit": 100}) == 5
    assert weight(fresh, "depth", {"symbol": "BTCUSDT", "limit": 5}) == 2
    assert weight(fresh, "depth", {"symbol": "BTCUSDT"}) == 10
    assert weight(fresh, "ticker.price", {"symbol": "BTCUSDT"}) == 1
    assert weight(fresh, "ticker.price", {}) == 2
    assert weight(fresh, "ticker.book", {"symbol": "BTCUSDT"}) == 2
    assert weight(fresh, "ticker.book", {}) == 5
    assert weight(fresh, "depth", {"symbol": "BTCUSDT", "limit": "x"}) == 0  # rejected first


# -- the account and order store ----------------------------------------------------------


def test_orders_are_kept_found_modified_and_cancelled() -> None:
    emulator = Emulator(api_keys={KEY_1, KEY_2}, clock=FakeClock(), verify_signatures=False)
    session = _Session(True, NOW)
    limit = signed(symbol="BTCUSDT", side="BUY", type="LIMIT", timeInForce="GTC")
    placed = ask(emulator, session, "order.place", {**limit, "quantity": "0.5", "price": "40000"})
    order = placed["result"]
    assert (order["status"], order["origQty"], order["price"]) == ("NEW", "0.5", "40000")
    assert [r["rateLimitType"] for r in placed["rateLimits"]] == [
        "REQUEST_WEIGHT",
        "ORDERS",
        "ORDERS",
    ]
    assert [r["count"] for r in placed["rateLimits"][1:]] == [1, 1]
    by_client_id = signed(symbol="BTCUSDT", origClientOrderId=order["clientOrderId"])
    assert (
        ask(emulator, session, "order.status", by_client_id)["result"]["orderId"]
        == order["orderId"]
    )
    # Another account does not see it; another symbol neither.
    other = {**by_client_id, "apiKey": KEY_2}
    assert ask(emulator, session, "order.status", other)["error"]["code"] == -2013
    duplicate = {**limit, "quantity": "1", "price": "1", "newClientOrderId": order["clientOrderId"]}
    assert ask(emulator, session, "order.place", duplicate)["error"]["code"] == -4116
    bad_id = {**limit, "quantity": "1", "price": "1", "newClientOrderId": "no spaces"}
    assert ask(emulator, session, "order.place", bad_id)["error"]["code"] == -4015
    modify = signed(
        symbol="BTCUSDT", orderId=order["orderId"], side="BUY", quantity="0.7", price="41000"
    )
    modified = ask(emulator, session, "order.modify", modify)["result"]
    assert (modified["origQty"], modified["price"]) == ("0.7", "41000")
    status = ask(emulator, session, "order.status", by_client_id)["result"]
    assert (status["origQty"], status["price"], status["status"]) == ("0.7", "41000", "NEW")
    # The open order shows in the account's margins.
    v2 = ask(emulator, session, "v2/account.position", signed(symbol="BTCUSDT"))["result"][0]
    assert v2["bidNotional"] == "28700.00000000"
    cancelled = ask(emulator, session, "order.cancel", by_client_id)["result"]
    assert cancelled["status"] == "CANCELED"
    assert ask(emulator, session, "order.status", by_client_id)["result"]["status"] == "CANCELED"
    assert ask(emulator, session, "order.cancel", by_client_id)["error"]["code"] == -2011
    assert ask(emulator, session, "order.modify", modify)["error"]["code"] == -2013
    assert emulator.account(KEY_1).orders[order["orderId"]].status == "CANCELED"


def test_the_orders_limits() -> None:
    emulator = Emulator(api_keys={KEY_1}, clock=FakeClock(), verify_signatures=False)
    emulator.order_limits = {10: 2, 60: 1200}
    session = _Session(True, NOW)
    market = signed(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.001")
    assert ask(emulator, session, "order.place", market)["status"] == 200
    assert ask(emulator, session, "order.place", market)["status"] == 200
    reply = ask(emulator, session, "order.place", market)
    assert (reply["status"], reply["error"]) == (
        429,
        {"code": -1015, "msg": "Too many new orders; current limit is 2 orders per 10 SECOND."},
    )
    assert reply["rateLimits"][1] == {
        "rateLimitType": "ORDERS",
        "interval": "SECOND",
        "intervalNum": 10,
        "limit": 2,
        "count": 2,
    }


def test_accounts_answer_from_their_state() -> None:
    emulator = Emulator(api_keys={KEY_1, KEY_2}, clock=FakeClock(), verify_signatures=False)
    session = _Session(True, NOW)
    assert ask(emulator, session, "v2/account.position", signed())["result"] == []
    emulator.set_position(KEY_1, "BTCUSDT", "0.5", "48000")
    with pytest.raises(ValueError):
        emulator.set_position(KEY_1, "NOPE", "1", "1")
    emulator.account(KEY_1).balances["USDT"] = Decimal("2000")
    [position] = ask(emulator, session, "v2/account.position", signed())["result"]
    assert (position["symbol"], position["positionAmt"], position["unRealizedProfit"]) == (
        "BTCUSDT",
        "0.5",
        "1000.00000000",
    )
    assert position["notional"] == "25000.00000000"
    status = ask(emulator, session, "v2/account.status", signed())["result"]
    assert status["totalWalletBalance"] == "2000.00000000"
    assert status["totalUnrealizedProfit"] == "1000.00000000"
    assert status["totalMarginBalance"] == "3000.00000000"
    # Initial margin at the default leverage 20: 25000 / 20.
    assert status["totalInitialMargin"] == "1250.00000000"
    assert status["availableBalance"] == "1750.00000000"
    assert [p["symbol"] for p in status["positions"]] == ["BTCUSDT"]
    huge = signed(symbol="BNBUSDT", side="SELL", type="LIMIT", timeInForce="GTC")
    huge.update(quantity="9" * 14 + ".9", price="9" * 14)
    refused = ask(emulator, session, "order.place", huge)
    assert refused["error"] == {"code": -2019, "msg": "Margin is insufficient."}
    emulator.account(KEY_2).balances["USDT"] = Decimal("9" * 30)  # numbers far past 1e15
    rich = {**huge, "apiKey": KEY_2}
    assert ask(emulator, session, "order.place", rich)["status"] == 200
    assert (
        ask(emulator, session, "v2/account.status", {**signed(), "apiKey": KEY_2})["status"] == 200
    )
    v1 = ask(emulator, session, "account.status", signed())["result"]
    assert [p["symbol"] for p in v1["positions"]] == ["BTCUSDT", "ETHUSDT", "BNBUSDT"]
    [balance] = ask(emulator, session, "account.balance", signed())["result"]
    assert (balance["asset"], balance["balance"], balance["crossUnPnl"]) == (
        "USDT",
        "2000.00000000",
        "1000.00000000",
    )


# -- end to end, from Python --------------------------------------------------------------


async def test_unsigned_methods_end_to_end() -> None:
    async with Emulator(api_keys={KEY_1}) as emulator:
        async with AsyncClient(api_key=KEY_1, url=emulator.url, timeout=10.0) as client:
            depth = await client.depth(symbol="BTCUSDT", limit=5)
            assert len(depth.result.bids) == 5 and depth.result.bids[0][0] == Decimal("49999.99")
            assert depth.rate_limits is not None and depth.rate_limits[0].count == 5 + 2
            one = await client.ticker.price(symbol="ETHUSDT")
            assert one.result.price == Decimal("3000.00")
            every = await client.ticker.price()
            assert [t.symbol for t in every.result] == ["BTCUSDT", "ETHUSDT", "BNBUSDT"]
            book = await client.ticker.book(symbol="BTCUSDT")
            assert book.result.ask_price == Decimal("50000.01")
            books = await client.ticker.book()
            assert len(books.result) == 3
            status = await client.session.status()
            assert status.result.api_key is None
            started = await client.user_data_stream.start()
            pinged = await client.user_data_stream.ping()
            assert pinged.result.listen_key == started.result.listen_key
            await client.user_data_stream.stop()
            assert (await client.session.logout()).result.api_key is None
            with pytest.raises(ApiError) as caught:
                await client.depth(symbol="NOPE")
            assert caught.value.code == -1121
            with pytest.raises(ApiError) as caught:
                await client.account.balance_v2()
            assert (caught.value.status, caught.value.code) == (400, -1022)


async def test_signed_methods_end_to_end_with_the_switch() -> None:
    async with Emulator(api_keys={KEY_1}, verify_signatures=False) as emulator:
        async with AsyncClient(api_key=KEY_1, url=emulator.url, timeout=10.0) as client:
            balances = await client.account.balance_v2()
            assert balances.result[0].balance == Decimal("10000.00000000")
            assert (await client.account.balance()).result[0].asset == "USDT"
            assert (await client.account.status()).result.can_trade is True
            assert (await client.account.status_v2()).result.positions == []
            assert len((await client.account.position()).result) == 3
            assert (await client.account.position_v2(symbol="BTCUSDT")).result[0].position_amt == 0
            placed = await client.order.place(
                symbol="BTCUSDT",
                side="SELL",
                type="LIMIT",
                time_in_force="GTC",
                quantity=Decimal("0.01"),
                price=Decimal("51000"),
            )
            order_id = placed.result.order_id
            assert placed.result.status == "NEW"
            found = await client.order.status(symbol="BTCUSDT", order_id=order_id)
            assert found.result.client_order_id == placed.result.client_order_id
            modified = await client.order.modify(
                symbol="BTCUSDT",
                order_id=order_id,
                side="SELL",
                quantity=Decimal("0.02"),
                price=Decimal("52000"),
            )
            assert modified.result.orig_qty == Decimal("0.02")
            cancelled = await client.order.cancel(
                symbol="BTCUSDT", orig_client_order_id=placed.result.client_order_id
            )
            assert cancelled.result.status == "CANCELED"
            algo = await client.algo_order.place(
                algo_type="CONDITIONAL",
                symbol="ETHUSDT",
                side="BUY",
                type="TAKE_PROFIT_MARKET",
                quantity=Decimal("1"),
                trigger_price=Decimal("2900"),  # at 3100 it would trigger at once: -2021
            )
            assert algo.result.algo_status == "NEW"
            gone = await client.algo_order.cancel(algo_id=algo.result.algo_id)
            assert gone.result.msg == "success"
            logon = await client.session.logon()
            assert logon.result.api_key == KEY_1


def test_the_blocking_client_against_the_emulator() -> None:
    with Emulator(api_keys={KEY_1}, verify_signatures=False) as emulator:
        with Client(api_key=KEY_1, url=emulator.url, timeout=10.0) as client:
            assert client.ticker.price(symbol="BTCUSDT").result.price == Decimal("50000.00")
            assert (
                client.order.place(
                    symbol="BTCUSDT", side="BUY", type="MARKET", quantity=Decimal("0.001")
                ).result.type
                == "MARKET"
            )
