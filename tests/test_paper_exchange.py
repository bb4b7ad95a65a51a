"""The emulator as a paper exchange: a price feed the test moves, orders matched to the
USDⓈ-M rules, account state, and user data events that agree with the method replies.

Most tests call :meth:`Emulator.handle` directly (no sockets): an emulator that is not
started keeps the events it makes in ``engine.outbox``, in order. The end-to-end tests run
the real server on 127.0.0.1 port 0 and read the events through the SDK.
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws import AsyncClient, Client, StreamGap, UnknownEvent, decode_event
from binance_usdm_ws._generated.spec import SPECS
from binance_usdm_ws.events import (
    AccountUpdateEvent,
    OrderTradeUpdateEvent,
    TradeLiteEvent,
)
from binance_usdm_ws.testing import Emulator, FakeClock
from binance_usdm_ws.testing._emulator import _Session

from .conftest import KEY_1, KEY_2

NOW = 1_767_225_600_000  # FakeClock's start
D = Decimal


def make(**options: Any) -> Emulator:
    return Emulator(
        api_keys={KEY_1, KEY_2}, clock=options.pop("clock", FakeClock()),
        verify_signatures=False, **options,
    )  # fmt: skip


def call(emulator: Emulator, method: str, key: str = KEY_1, **params: Any) -> dict[str, Any]:
    if "timestamp" in SPECS[method].params:
        params = {"apiKey": key, "timestamp": emulator.clock(), **params}
    frame = json.dumps({"id": 1, "method": method, "params": params})
    reply: dict[str, Any] = json.loads(emulator.handle(_Session(False, NOW), frame))
    return reply


def ok(emulator: Emulator, method: str, key: str = KEY_1, **params: Any) -> Any:
    reply = call(emulator, method, key, **params)
    assert reply["status"] == 200, reply
    return reply["result"]


def code(emulator: Emulator, method: str, **params: Any) -> tuple[int, str]:
    reply = call(emulator, method, **params)
    assert reply["status"] == 400, reply
    return reply["error"]["code"], reply["error"]["msg"]


def limit(side: str, quantity: str, price: str, tif: str = "GTC", **more: Any) -> dict[str, Any]:
    return {"symbol": "BTCUSDT", "side": side, "type": "LIMIT", "timeInForce": tif,
            "quantity": quantity, "price": price, **more}  # fmt: skip


def market(side: str, quantity: str, **more: Any) -> dict[str, Any]:
    return {"symbol": "BTCUSDT", "side": side, "type": "MARKET", "quantity": quantity, **more}


def events(emulator: Emulator, key: str = KEY_1) -> list[dict[str, Any]]:
    """The events made for ``key`` since the last call (the others' are dropped)."""
    found = [event for owner, event in emulator.engine.outbox if owner == key]
    emulator.engine.outbox.clear()
    return found


def kinds(found: list[dict[str, Any]]) -> list[str]:
    return [e["e"] if e["e"] != "ORDER_TRADE_UPDATE" else f"{e['o']['x']}/{e['o']['X']}"
            for e in found]  # fmt: skip


def position(emulator: Emulator, symbol: str = "BTCUSDT", key: str = KEY_1) -> dict[str, Any]:
    found: list[dict[str, Any]] = ok(emulator, "v2/account.position", key, symbol=symbol)
    return found[0]


def wallet(emulator: Emulator, key: str = KEY_1) -> Decimal:
    return D(ok(emulator, "v2/account.balance", key)[0]["balance"])


# -- the feed --------------------------------------------------------------------------------


def test_depth_and_tickers_follow_the_feed() -> None:
    emulator = make()
    emulator.set_price("BTCUSDT", "51000.50")
    assert ok(emulator, "ticker.price", symbol="BTCUSDT")["price"] == "51000.50"
    book = ok(emulator, "ticker.book", symbol="BTCUSDT")
    assert (book["bidPrice"], book["askPrice"]) == ("51000.49", "51000.51")
    depth = ok(emulator, "depth", symbol="BTCUSDT", limit=5)
    assert depth["bids"][0][0] == "51000.49" and depth["asks"][4][0] == "51000.55"
    emulator.step_prices("ETHUSDT", ["3001.00", "2999.00"])
    assert ok(emulator, "ticker.price", symbol="ETHUSDT")["price"] == "2999.00"
    with pytest.raises(ValueError):
        emulator.set_price("NOPE", "1")
    with pytest.raises(ValueError):
        emulator.set_price("BTCUSDT", "0")


# -- limit orders: rest, cross, fill ---------------------------------------------------------


def test_a_resting_limit_fills_as_maker_when_the_price_crosses_it() -> None:
    emulator = make()
    placed = ok(emulator, "order.place", **limit("BUY", "0.010", "49900.00"))
    assert placed["status"] == "NEW"
    assert kinds(events(emulator)) == ["NEW/NEW"]
    emulator.set_price("BTCUSDT", "49950.00")  # not reached
    assert events(emulator) == []
    emulator.set_price("BTCUSDT", "49800.00")  # through it: filled at its own price
    lite, update, account = events(emulator)
    assert lite["e"] == "TRADE_LITE" and account["e"] == "ACCOUNT_UPDATE"
    o = update["o"]
    assert (o["x"], o["X"], o["l"], o["z"], o["L"], o["ap"]) == (
        "TRADE", "FILLED", "0.010", "0.010", "49900.00", "49900.00000000",
    )  # fmt: skip
    assert (o["m"], o["N"], o["n"], o["rp"], o["i"]) == (
        True, "USDT", "0.09980000", "0", placed["orderId"],
    )  # fmt: skip
    assert (lite["l"], lite["L"], lite["t"], lite["m"], lite["i"]) == (
        "0.010", "49900.00", o["t"], True, placed["orderId"],
    )  # fmt: skip
    [balance] = account["a"]["B"]
    assert balance == {"a": "USDT", "wb": "9999.90020000", "cw": "9999.90020000", "bc": "0"}
    [moved] = account["a"]["P"]
    assert (moved["pa"], moved["ep"], moved["ps"], moved["up"]) == (
        "0.010", "49900.00000000", "BOTH", "-1.00000000",
    )  # fmt: skip
    status = ok(emulator, "order.status", symbol="BTCUSDT", orderId=placed["orderId"])
    assert (status["status"], status["executedQty"], status["cumQuote"]) == (
        "FILLED", "0.010", "499.00000",
    )  # fmt: skip
    assert wallet(emulator) == D("9999.9002")
    assert code(emulator, "order.cancel", symbol="BTCUSDT", orderId=placed["orderId"])[0] == -2011


def test_liquidity_per_level_makes_partial_fills() -> None:
    emulator = make(liquidity="0.004")
    sell = ok(emulator, "order.place", **limit("SELL", "0.010", "50100.00"))
    events(emulator)
    for price, filled, status in [
        ("50100.00", "0.004", "PARTIALLY_FILLED"),
        ("50200.00", "0.008", "PARTIALLY_FILLED"),
        ("50150.00", "0.010", "FILLED"),
    ]:
        emulator.set_price("BTCUSDT", price)
        found = events(emulator)
        assert kinds(found) == ["TRADE_LITE", f"TRADE/{status}", "ACCOUNT_UPDATE"]
        assert found[1]["o"]["z"] == filled and found[1]["o"]["L"] == "50100.00"
    assert position(emulator)["positionAmt"] == "-0.010"
    # Two orders at one level share its liquidity, in time priority.
    first = ok(emulator, "order.place", **limit("BUY", "0.003", "49000.00"))
    second = ok(emulator, "order.place", **limit("BUY", "0.003", "49000.00"))
    emulator.set_price("BTCUSDT", "49000.00")
    fills = {e["o"]["i"]: e["o"]["l"] for e in events(emulator) if e["e"] == "ORDER_TRADE_UPDATE"}
    assert fills == {first["orderId"]: "0.003", second["orderId"]: "0.001"}
    assert sell["orderId"] < first["orderId"]


def test_a_marketable_limit_takes_at_the_feed_price_and_walks_with_liquidity() -> None:
    emulator = make(liquidity="0.5")
    placed = ok(emulator, "order.place", **limit("BUY", "1.2", "50000.02"),
                newOrderRespType="RESULT")  # fmt: skip
    # 0.5 at 50000.00, 0.5 at 50000.01, 0.2 at 50000.02: taker fills up to its price.
    assert (placed["status"], placed["executedQty"], placed["avgPrice"]) == (
        "FILLED", "1.2", "50000.00750000",
    )  # fmt: skip
    fills = [(e["o"]["l"], e["o"]["L"], e["o"]["m"]) for e in events(emulator)
             if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["x"] == "TRADE"]  # fmt: skip
    assert fills == [
        ("0.5", "50000.00", False), ("0.5", "50000.01", False), ("0.2", "50000.02", False),
    ]  # fmt: skip


# -- market orders ------------------------------------------------------------------------------


def test_market_orders_fill_with_slippage_and_pay_the_taker_rate() -> None:
    emulator = make(slippage="0.001", commission=("0.0001", "0.0004"))
    ack = ok(emulator, "order.place", **market("BUY", "0.100"))
    assert (ack["status"], ack["executedQty"]) == ("NEW", "0")  # ACK: as accepted
    status = ok(emulator, "order.status", symbol="BTCUSDT", orderId=ack["orderId"])
    assert (status["status"], status["avgPrice"]) == ("FILLED", "50050.00000000")
    found = events(emulator)
    assert kinds(found) == ["NEW/NEW", "TRADE_LITE", "TRADE/FILLED", "ACCOUNT_UPDATE"]
    assert found[2]["o"]["n"] == "2.00200000" and found[2]["o"]["m"] is False
    result = ok(emulator, "order.place", **market("SELL", "0.100"), newOrderRespType="RESULT")
    assert (result["status"], result["avgPrice"]) == ("FILLED", "49950.00000000")
    fill = [e for e in events(emulator) if e["e"] == "ORDER_TRADE_UPDATE"][-1]["o"]
    assert fill["rp"] == "-10.00000000" and fill["n"] == "1.99800000"
    assert wallet(emulator) == D("10000") - 10 - D("2.002") - D("1.998")
    assert D(position(emulator)["positionAmt"]) == 0
    assert ok(emulator, "v2/account.position") == []  # flat: v2 lists no position


# -- time in force -----------------------------------------------------------------------------


def test_ioc_fills_what_it_can_and_expires_the_rest() -> None:
    emulator = make(liquidity="0.003")
    placed = ok(emulator, "order.place", **limit("BUY", "0.010", "50000.01", "IOC"),
                newOrderRespType="RESULT")  # fmt: skip
    assert (placed["status"], placed["executedQty"]) == ("EXPIRED", "0.006")
    found = events(emulator)
    assert kinds(found)[-1] == "EXPIRED/EXPIRED" and found[-1]["o"]["er"] == "2"
    away = ok(emulator, "order.place", **limit("BUY", "0.010", "40000.00", "IOC"))
    assert (
        ok(emulator, "order.status", symbol="BTCUSDT", orderId=away["orderId"])["status"]
        == "EXPIRED"
    )


def test_fok_fills_completely_or_is_rejected() -> None:
    emulator = make(liquidity="0.003")
    assert code(emulator, "order.place", **limit("BUY", "0.010", "50000.01", "FOK")) == (
        -5021,
        "Due to the order could not be filled immediately, the FOK order has been rejected.",
    )
    assert code(emulator, "order.place", **limit("BUY", "0.001", "40000.00", "FOK"))[0] == -5021
    assert events(emulator) == [] and emulator.account(KEY_1).orders == {}
    done = ok(emulator, "order.place", **limit("BUY", "0.006", "50000.01", "FOK"),
              newOrderRespType="RESULT")  # fmt: skip
    assert (done["status"], done["executedQty"]) == ("FILLED", "0.006")


def test_gtx_is_rejected_when_it_would_take_and_makes_otherwise() -> None:
    emulator = make()
    assert code(emulator, "order.place", **limit("SELL", "0.010", "50000.00", "GTX")) == (
        -5022,
        "Due to the order could not be executed as maker, the Post Only order will be rejected.",
    )
    maker = ok(emulator, "order.place", **limit("SELL", "0.010", "50000.01", "GTX"))
    events(emulator)
    emulator.set_price("BTCUSDT", "50000.01")
    fill = events(emulator)[1]["o"]
    assert (fill["i"], fill["X"], fill["m"], fill["n"]) == (
        maker["orderId"], "FILLED", True, "0.10000002",
    )  # fmt: skip


def test_gtd_orders_expire_when_the_clock_passes_their_date() -> None:
    clock = FakeClock()
    emulator = make(clock=clock)
    soon = NOW + 600_000
    assert code(emulator, "order.place", **limit("BUY", "0.010", "40000.00", "GTD"),
                goodTillDate=soon)[0] == -5040  # fmt: skip
    assert code(emulator, "order.place", **limit("BUY", "0.010", "40000.00", "GTD"))[0] == -1102
    placed = ok(emulator, "order.place", **limit("BUY", "0.010", "40000.00", "GTD"),
                goodTillDate=soon + 1999)  # fmt: skip
    assert placed["goodTillDate"] == soon + 1000  # seconds kept
    events(emulator)
    clock.advance(600.999)
    emulator.set_price("BTCUSDT", "49000.00")
    assert events(emulator) == []
    clock.advance(0.001)  # on a request too, not only on a price move
    status = ok(emulator, "order.status", symbol="BTCUSDT", orderId=placed["orderId"])
    assert status["status"] == "EXPIRED"
    assert kinds(events(emulator)) == ["EXPIRED/EXPIRED"]


# -- reduceOnly, closePosition, hedge mode -----------------------------------------------------


def test_reduce_only_needs_a_position_to_reduce_and_never_reverses_it() -> None:
    emulator = make()
    assert code(emulator, "order.place", **market("SELL", "0.010", reduceOnly="true")) == (
        -2022,
        "ReduceOnly Order is rejected.",
    )
    ok(emulator, "order.place", **market("BUY", "0.010"))
    assert code(emulator, "order.place", **market("BUY", "0.010", reduceOnly="true"))[0] == -2022
    # Below the minimum notional, and more than the position: allowed, capped at the position.
    closed = ok(emulator, "order.place", **market("SELL", "0.050", reduceOnly="true"),
                newOrderRespType="RESULT")  # fmt: skip
    assert (closed["status"], closed["executedQty"]) == ("EXPIRED", "0.010")
    assert ok(emulator, "v2/account.position") == []
    # A resting reduce-only order whose position went away expires when reached.
    ok(emulator, "order.place", **market("BUY", "0.010"))
    resting = ok(emulator, "order.place", **limit("SELL", "0.010", "51000.00", reduceOnly="true"))
    ok(emulator, "order.place", **market("SELL", "0.010"))
    events(emulator)
    emulator.set_price("BTCUSDT", "51000.00")
    [gone] = events(emulator)
    assert (gone["o"]["i"], gone["o"]["X"], gone["o"]["er"]) == (resting["orderId"], "EXPIRED", "4")
    assert code(emulator, "order.place", **market("SELL", "0.010", closePosition="true")) == (
        -1106,
        "Parameter 'closePosition' sent when not required.",
    )


def test_hedge_mode_keeps_long_and_short_positions() -> None:
    emulator = make()
    assert code(emulator, "order.place", **market("BUY", "0.010", positionSide="LONG")) == (
        -4061,
        "Order's position side does not match user's setting.",
    )
    emulator.account(KEY_1).hedge_mode = True
    assert code(emulator, "order.place", **market("BUY", "0.010"))[0] == -4061
    assert code(emulator, "order.place", **market("BUY", "0.010", positionSide="BOTH"))[0] == -4061
    assert code(
        emulator, "order.place", **market("BUY", "0.010", positionSide="LONG", reduceOnly="false")
    ) == (-1106, "Parameter 'reduceOnly' sent when not required.")
    ok(emulator, "order.place", **market("BUY", "0.020", positionSide="LONG"))
    ok(emulator, "order.place", **market("SELL", "0.030", positionSide="SHORT"))
    held = {p["positionSide"]: p["positionAmt"] for p in ok(emulator, "v2/account.position")}
    assert held == {"LONG": "0.020", "SHORT": "-0.030"}
    # Closing more than the position: -2022; closing it: done, the short untouched.
    too_much = market("SELL", "0.021", positionSide="LONG")
    assert code(emulator, "order.place", **too_much)[0] == -2022
    ok(emulator, "order.place", **market("SELL", "0.020", positionSide="LONG"))
    held = {p["positionSide"]: p["positionAmt"] for p in ok(emulator, "v2/account.position")}
    assert held == {"SHORT": "-0.030"}
    every = ok(emulator, "account.position", symbol="ETHUSDT")
    assert [p["positionSide"] for p in every] == ["LONG", "SHORT"]
    update = [e for e in events(emulator) if e["e"] == "ACCOUNT_UPDATE"][-1]
    assert update["a"]["P"][0]["ps"] == "LONG" and D(update["a"]["P"][0]["pa"]) == 0


# -- filters ------------------------------------------------------------------------------------


def test_symbol_filters_with_the_docs_codes() -> None:
    emulator = make()
    assert code(emulator, "order.place", **limit("BUY", "0.010", "49000.005")) == (
        -4014,
        "Price not increased by tick size.",
    )
    assert code(emulator, "order.place", **limit("BUY", "0.0105", "49000.00")) == (
        -4023,
        "Qty not increased by step size.",
    )
    assert code(emulator, "order.place", **limit("BUY", "0.001", "4000.00")) == (
        -4164,
        "Order's notional must be no smaller than 5.0 (unless you choose reduce only)",
    )
    assert code(emulator, "order.place", **market("BUY", "0.0001"))[0] == -4023
    btc = emulator.market.symbols["BTCUSDT"]
    btc.min_notional, btc.tick = D("100"), D("0.10")
    assert code(emulator, "order.place", **limit("BUY", "0.001", "49000.00"))[1].endswith(
        "no smaller than 100 (unless you choose reduce only)"
    )
    assert code(emulator, "order.place", **limit("BUY", "0.010", "49000.01"))[0] == -4014
    rich = make(symbols={"SOLUSDT": {"price": "150.00", "tickSize": "0.05", "stepSize": "1",
                                      "minNotional": "10"}})  # fmt: skip
    sol = {"symbol": "SOLUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC"}
    assert code(rich, "order.place", **sol, quantity="1.5", price="100.00")[0] == -4023
    assert code(rich, "order.place", **sol, quantity="1", price="100.03")[0] == -4014
    assert code(rich, "order.place", **sol, quantity="0.0", price="100.00")[0] == -1130
    assert ok(rich, "order.place", **sol, quantity="1", price="100.05")["status"] == "NEW"


# -- account figures --------------------------------------------------------------------------


def test_an_order_needs_its_initial_margin_available() -> None:
    emulator = make()
    emulator.account(KEY_1).balances["USDT"] = D("1000")  # at 20x: 20000 of notional
    assert code(emulator, "order.place", **limit("BUY", "0.401", "49900.00")) == (
        -2019, "Margin is insufficient."
    )  # fmt: skip
    resting = ok(emulator, "order.place", **limit("BUY", "0.200", "49900.00"))  # 499 held
    assert code(emulator, "order.place", **market("BUY", "0.210"))[0] == -2019  # 525 > 501
    ok(emulator, "order.cancel", symbol="BTCUSDT", orderId=resting["orderId"])
    ok(emulator, "order.place", **market("BUY", "0.390"))  # long: 975 of its margin
    assert code(emulator, "order.place", **limit("BUY", "0.010", "49900.00"))[0] == -2019
    # One-way, reversing: closing the long frees its margin; only the rest needs margin.
    ok(emulator, "order.place", **market("SELL", "0.400"))
    assert D(position(emulator)["positionAmt"]) == D("-0.010")
    assert code(emulator, "order.place", **limit("SELL", "0.400", "50100.00"))[0] == -2019
    ok(emulator, "order.place", **limit("BUY", "0.010", "49900.00", reduceOnly="true"))


def test_at_most_max_orders_open_orders_per_symbol() -> None:
    emulator = make()
    emulator.market.symbols["BTCUSDT"].max_orders = 3
    placed = [ok(emulator, "order.place", **limit("BUY", "0.001", "49000.00")) for _ in range(3)]
    assert code(emulator, "order.place", **limit("BUY", "0.001", "49000.00")) == (
        -2025, "Reach max open order limit."
    )  # fmt: skip
    ok(emulator, "order.place", **{**limit("BUY", "0.01", "2900.00"), "symbol": "ETHUSDT"})
    ok(emulator, "order.place", key=KEY_2, **limit("BUY", "0.001", "49000.00"))  # per account
    ok(emulator, "order.cancel", symbol="BTCUSDT", orderId=placed[0]["orderId"])
    ok(emulator, "order.place", **limit("BUY", "0.001", "49000.00"))


def test_commissions_realized_pnl_and_the_position_figures() -> None:
    emulator = make()
    ok(emulator, "order.place", **market("BUY", "0.010"))  # 50000, fee 0.25
    emulator.set_price("BTCUSDT", "52000.00")
    ok(emulator, "order.place", **market("BUY", "0.030"))  # 52000, fee 0.78
    held = position(emulator)
    assert (held["positionAmt"], held["entryPrice"]) == ("0.040", "51500.00000000")
    emulator.set_price("BTCUSDT", "53000.00")
    held = position(emulator)
    assert held["unRealizedProfit"] == "60.00000000" and held["markPrice"] == "53000.00"
    ok(emulator, "order.place", **market("SELL", "0.050"))  # closes 0.040, opens 0.010 short
    fill = [e for e in events(emulator) if e["e"] == "ORDER_TRADE_UPDATE"][-1]["o"]
    assert (fill["rp"], fill["n"]) == ("60.00000000", "1.32500000")
    held = position(emulator)
    assert (held["positionAmt"], held["entryPrice"]) == ("-0.010", "53000.00")
    assert wallet(emulator) == D("10000") - D("0.25") - D("0.78") + 60 - D("1.325")
    status = ok(emulator, "v2/account.status")
    assert status["totalWalletBalance"] == "10057.64500000"
    assert status["positions"][0]["positionSide"] == "BOTH"


# -- order.modify ---------------------------------------------------------------------------------


def test_modify_amends_requeues_fills_or_cancels_as_documented() -> None:
    emulator = make(liquidity="0.004")
    placed = ok(emulator, "order.place", **limit("BUY", "0.010", "49000.00"))
    events(emulator)
    oid = placed["orderId"]
    modify = {"symbol": "BTCUSDT", "orderId": oid, "side": "BUY"}
    amended = ok(emulator, "order.modify", **modify, quantity="0.012", price="49100.00")
    assert (amended["status"], amended["origQty"], amended["price"]) == (
        "NEW", "0.012", "49100.00",
    )  # fmt: skip
    [amendment] = events(emulator)
    assert (amendment["o"]["x"], amendment["o"]["X"], amendment["o"]["q"]) == (
        "AMENDMENT", "NEW", "0.012",
    )  # fmt: skip
    assert code(emulator, "order.modify", **modify, quantity="0.012", price="49100.00") == (
        -5027,
        "No need to modify the order.",
    )
    bad = code(emulator, "order.modify", **modify, quantity="0.012", price="49100.001")
    assert bad[0] == -4014
    assert code(emulator, "order.modify", **modify, quantity="0.0001", price="49100.00")[0] == -4023
    assert ok(emulator, "order.status", symbol="BTCUSDT", orderId=oid)["price"] == "49100.00"
    emulator.set_price("BTCUSDT", "49100.00")  # 0.004 of 0.012
    events(emulator)
    # Re-priced through the market: it takes (0.004 per level) at the feed price.
    taken = ok(emulator, "order.modify", **modify, quantity="0.012", price="49100.01")
    assert (taken["status"], taken["executedQty"], taken["avgPrice"]) == (
        "FILLED", "0.012", "49100.00333333",
    )  # fmt: skip
    assert [k for k in kinds(events(emulator)) if "/" in k] == [
        "AMENDMENT/PARTIALLY_FILLED", "TRADE/PARTIALLY_FILLED", "TRADE/FILLED",
    ]  # fmt: skip
    # At or below what executed: cancelled.
    other = ok(emulator, "order.place", **limit("BUY", "0.010", "48000.00"))
    emulator.set_price("BTCUSDT", "48000.00")
    events(emulator)
    other_modify = {**modify, "orderId": other["orderId"]}
    cancelled = ok(emulator, "order.modify", **other_modify, quantity="0.004", price="48000.00")
    assert cancelled["status"] == "CANCELED"
    assert kinds(events(emulator)) == ["CANCELED/CANCELED"]
    # A GTX order re-priced to take: cancelled.
    post = ok(emulator, "order.place", **limit("SELL", "0.010", "48100.00", "GTX"))
    post_modify = {**modify, "orderId": post["orderId"], "side": "SELL"}
    crossed = ok(emulator, "order.modify", **post_modify, quantity="0.010", price="47900.00")
    assert crossed["status"] == "CANCELED"
    assert (
        code(emulator, "order.modify", **post_modify, quantity="0.010", price="48100.00")[0]
        == -2013
    )


# -- algo orders ------------------------------------------------------------------------------


def algo(kind: str, side: str, trigger: str, **more: Any) -> dict[str, Any]:
    return {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": side, "type": kind,
            "triggerPrice": trigger, **more}  # fmt: skip


def test_algo_orders_trigger_on_the_feed_and_place_their_order() -> None:
    emulator = make()
    ok(emulator, "order.place", **market("BUY", "0.020"))
    assert code(emulator, "algoOrder.place", **algo("STOP_MARKET", "SELL", "50000.00",
                                                      quantity="0.010")) == (
        -2021,
        "Order would immediately trigger.",
    )  # fmt: skip
    stop = ok(emulator, "algoOrder.place", **algo("STOP_MARKET", "SELL", "49000.00",
                                                   quantity="0.010"))  # fmt: skip
    take = algo("TAKE_PROFIT", "SELL", "52000.00", quantity="0.010", price="52100.00")
    profit = ok(emulator, "algoOrder.place", **take)
    events(emulator)
    emulator.set_price("BTCUSDT", "49500.00")
    assert events(emulator) == []
    emulator.set_price("BTCUSDT", "48990.00")
    found = events(emulator)
    assert kinds(found) == [
        "ALGO_UPDATE", "NEW/NEW", "ALGO_UPDATE", "TRADE_LITE", "TRADE/FILLED", "ACCOUNT_UPDATE",
        "ALGO_UPDATE",
    ]  # fmt: skip
    statuses = [e["o"]["X"] for e in found if e["e"] == "ALGO_UPDATE"]
    assert statuses == ["TRIGGERING", "TRIGGERED", "FINISHED"]
    order = found[1]["o"]
    assert (order["o"], order["ot"], order["sp"], order["S"]) == (
        "MARKET", "STOP_MARKET", "49000.00", "SELL",
    )  # fmt: skip
    finished = found[-1]["o"]
    assert (finished["aid"], finished["ai"], finished["aq"], finished["act"]) == (
        stop["algoId"], str(order["i"]), "0.010", "MARKET",
    )  # fmt: skip
    # The take-profit places a LIMIT at its price, which then rests until reached.
    emulator.set_price("BTCUSDT", "52000.00")
    found = events(emulator)
    assert kinds(found) == ["ALGO_UPDATE", "NEW/NEW", "ALGO_UPDATE"]
    emulator.set_price("BTCUSDT", "52100.00")
    assert kinds(events(emulator))[1] == "TRADE/FILLED"
    assert ok(emulator, "v2/account.position") == []
    assert code(emulator, "algoOrder.cancel", algoId=profit["algoId"])[0] == -2011


def test_close_position_and_trailing_stop_algo_orders() -> None:
    emulator = make()
    assert code(emulator, "algoOrder.place", **algo("STOP_MARKET", "SELL", "49000.00",
                                                      quantity="1", closePosition="true")) == (
        -4137, "Quantity must be zero with closePosition equals true",
    )  # fmt: skip
    ok(emulator, "order.place", **market("BUY", "0.030"))
    ok(emulator, "algoOrder.place", **algo("STOP_MARKET", "SELL", "49000.00",
                                           closePosition="true"))  # fmt: skip
    ok(emulator, "order.place", **market("BUY", "0.020"))  # the position grows: 0.050 closes
    emulator.set_price("BTCUSDT", "48000.00")
    fill = [e for e in events(emulator) if e["e"] == "ORDER_TRADE_UPDATE"][-1]["o"]
    assert (fill["z"], fill["cp"], fill["R"], fill["X"]) == ("0.050", True, True, "FILLED")
    assert ok(emulator, "v2/account.position") == []
    # Trailing: a SELL trails the highest price after activation by 1%.
    ok(emulator, "order.place", **market("BUY", "0.010"))
    trail = {"algoType": "CONDITIONAL", "symbol": "BTCUSDT", "side": "SELL",
             "type": "TRAILING_STOP_MARKET", "quantity": "0.010", "callbackRate": "1",
             "activatePrice": "49000.00"}  # fmt: skip
    ok(emulator, "algoOrder.place", **trail)
    emulator.step_prices("BTCUSDT", ["49000.00", "50000.00", "49600.00"])
    assert [e for e in events(emulator) if e["e"] == "ALGO_UPDATE"][-1]["o"]["X"] == "NEW"
    emulator.set_price("BTCUSDT", "49500.00")  # 1% under the high of 50000
    assert ok(emulator, "v2/account.position") == []
    assert code(emulator, "algoOrder.place", **{**trail, "activatePrice": "47000.00"})[0] == -2021


def test_replayed_trades_fill_up_to_their_quantity() -> None:
    emulator = make()
    a = ok(emulator, "order.place", **limit("BUY", "0.010", "49900.00"))
    b = ok(emulator, "order.place", **limit("BUY", "0.010", "49800.00"))
    events(emulator)
    emulator.replay_trades("BTCUSDT", [("49950.00", "1"), ("49800.00", "0.015")])
    fills = [(e["o"]["i"], e["o"]["l"]) for e in events(emulator)
             if e["e"] == "ORDER_TRADE_UPDATE"]  # fmt: skip
    assert fills == [(a["orderId"], "0.010"), (b["orderId"], "0.005")]
    assert ok(emulator, "ticker.price", symbol="BTCUSDT")["price"] == "49800.00"


# -- every event decodes ----------------------------------------------------------------------


def assert_decodes(found: list[dict[str, Any]]) -> None:
    for event in found:
        decoded = decode_event(json.dumps(event))
        assert not isinstance(decoded, UnknownEvent), (event, decoded)


def test_every_event_the_emulator_emits_decodes_with_the_sdk_models() -> None:
    emulator = make(liquidity="0.004", slippage="0.0005")
    made: list[dict[str, Any]] = []
    script: list[tuple[str, dict[str, Any]]] = [
        ("order.place", limit("BUY", "0.010", "49900.00")),
        ("order.place", limit("SELL", "0.010", "50100.00", "GTX")),
        ("order.place", limit("BUY", "0.010", "40000.00", "GTD", goodTillDate=NOW + 700_000)),
        ("order.place", limit("BUY", "0.010", "50000.01", "IOC")),
        ("order.place", market("SELL", "0.012")),
        ("algoOrder.place", algo("STOP_MARKET", "SELL", "49000.00", quantity="0.010")),
        ("algoOrder.place", algo("TAKE_PROFIT", "BUY", "48000.00", quantity="0.010",
                                 price="48000.00")),
        ("algoOrder.place", algo("STOP", "BUY", "60000.00", quantity="0.010", price="60000.00")),
        ("algoOrder.cancel", {"clientAlgoId": "emulatorAlgo3000000000000003"}),
    ]  # fmt: skip
    for method, params in script:
        ok(emulator, method, **params)
        made += events(emulator)
    oid = emulator.account(KEY_1).orders[100_000_001].order_id
    ok(emulator, "order.modify", symbol="BTCUSDT", orderId=oid, side="BUY", quantity="0.011",
       price="49900.00")  # fmt: skip
    emulator.step_prices("BTCUSDT", ["49900.00", "48990.00", "48000.00", "50100.00"])
    ok(emulator, "order.cancel", symbol="BTCUSDT", orderId=100_000_003)
    made += events(emulator)
    assert {e["e"] for e in made} == {"ORDER_TRADE_UPDATE", "TRADE_LITE", "ACCOUNT_UPDATE",
                                      "ALGO_UPDATE"}  # fmt: skip
    assert {e["o"]["x"] for e in made if e["e"] == "ORDER_TRADE_UPDATE"} == {
        "NEW", "TRADE", "CANCELED", "EXPIRED", "AMENDMENT",
    }  # fmt: skip
    assert {e["o"]["X"] for e in made if e["e"] == "ALGO_UPDATE"} >= {
        "NEW", "TRIGGERING", "TRIGGERED", "FINISHED", "CANCELED",
    }  # fmt: skip
    assert_decodes(made)
    with pytest.raises(AssertionError):  # the check can fail
        assert_decodes([{"e": "ORDER_TRADE_UPDATE", "E": 1, "T": 1, "o": {"s": "X"}}])


# -- 1,000 orders reconcile --------------------------------------------------------------------


def test_a_thousand_orders_reconcile_exactly_from_the_fill_events() -> None:
    emulator = make(liquidity="0.02", slippage="0.0002")
    emulator.account(KEY_1).balances["USDT"] = D("1000000")
    emulator.order_limits = {10: 10_000, 60: 10_000}
    made: list[dict[str, Any]] = []
    prices = [D("50000.00")]
    placed = rejected = 0
    for n in range(1000):
        kind = n % 7
        price = prices[-1]
        quantity = f"0.0{n % 5 + 1}"
        offset = D(n % 13 - 6) * 5
        if kind == 0:
            params = limit("BUY" if n % 2 else "SELL", quantity, fmt2(price + offset))
        elif kind == 1:
            params = market("BUY" if n % 3 else "SELL", quantity)
        elif kind == 2:
            params = limit("BUY" if n % 2 else "SELL", quantity, fmt2(price - offset), "IOC")
        elif kind == 3:
            params = limit("SELL" if n % 2 else "BUY", quantity, fmt2(price + offset), "FOK")
        elif kind == 4:
            params = limit("SELL" if n % 2 else "BUY", quantity, fmt2(price - offset), "GTX")
        else:
            side = "BUY" if n % 2 else "SELL"
            kind_name = "STOP_MARKET" if kind == 5 else "TAKE_PROFIT_MARKET"
            away = D(20) if (side == "BUY") == (kind == 5) else D(-20)
            params = algo(kind_name, side, fmt2(price + away), quantity=quantity)
        method = "algoOrder.place" if kind >= 5 else "order.place"
        reply = call(emulator, method, **params)
        if reply["status"] == 200:
            placed += 1
        else:
            rejected += 1
            assert reply["error"]["code"] in (-5021, -5022), reply
        open_orders = list(emulator.account(KEY_1).open_orders.values())
        if open_orders and n % 25 == 12:  # re-price the newest open order by a tick
            newest = open_orders[-1]
            ok(emulator, "order.modify", symbol="BTCUSDT", orderId=newest.order_id,
               side=newest.side, quantity=fmt2(newest.quantity, "0.001"),
               price=fmt2(newest.price + D("0.01")))  # fmt: skip
        elif open_orders and n % 25 == 24:  # cancel the oldest
            ok(emulator, "order.cancel", symbol="BTCUSDT", orderId=open_orders[0].order_id)
        if n % 3 == 0:
            step = D((n * 37) % 41 - 20)
            prices.append(max(D("49000.00"), min(D("51000.00"), price + step)))
            emulator.set_price("BTCUSDT", prices[-1])
        made += events(emulator)
    assert placed > 700 and rejected > 20
    executions = {e["o"]["x"] for e in made if e["e"] == "ORDER_TRADE_UPDATE"}
    assert executions == {"NEW", "TRADE", "EXPIRED", "AMENDMENT", "CANCELED"}
    assert {e["o"]["X"] for e in made if e["e"] == "ALGO_UPDATE"} == {
        "NEW", "TRIGGERING", "TRIGGERED", "FINISHED",
    }  # fmt: skip
    assert_decodes(made)
    # Recompute from the fills alone: the position (average-cost entry, rounded half-even
    # to 8 decimals as documented), realized PnL, commissions, the wallet.
    amount, entry, wallet_balance = D(0), D(0), D("1000000")
    realized_total = fees = D(0)
    trades = 0
    for event in made:
        if event["e"] != "ORDER_TRADE_UPDATE" or event["o"]["x"] != "TRADE":
            continue
        o = event["o"]
        trades += 1
        quantity, price = D(o["l"]), D(o["L"])
        signed = quantity if o["S"] == "BUY" else -quantity
        fee = D(o.get("n", "0"))
        expected_fee = (price * quantity * (D("0.0002") if o["m"] else D("0.0005"))).quantize(
            D("1E-8")
        )
        assert fee == expected_fee
        realized = D(0)
        if amount == 0 or (amount > 0) == (signed > 0):
            entry = ((abs(amount) * entry + quantity * price) / abs(amount + signed)).quantize(
                D("1E-8")
            )
        else:
            closed = min(quantity, abs(amount))
            realized = ((price - entry) * closed * (1 if amount > 0 else -1)).quantize(D("1E-8"))
            if amount + signed == 0:
                entry = D(0)
            elif (amount + signed > 0) != (amount > 0):
                entry = price
        assert D(o["rp"]) == realized
        amount += signed
        realized_total += realized
        fees += fee
        wallet_balance += realized - fee
    assert trades > 300
    assert wallet(emulator) == wallet_balance
    assert wallet_balance == D("1000000") + realized_total - fees
    held = ok(emulator, "v2/account.position", symbol="BTCUSDT")[0]
    assert D(held["positionAmt"]) == amount and D(held["entryPrice"]) == entry
    mark = D(ok(emulator, "ticker.price", symbol="BTCUSDT")["price"])
    assert D(held["unRealizedProfit"]) == ((mark - entry) * amount).quantize(D("1E-8"))
    last_update = [e for e in made if e["e"] == "ACCOUNT_UPDATE"][-1]["a"]
    assert D(last_update["B"][0]["wb"]) == wallet_balance
    assert D(last_update["P"][0]["pa"]) == amount


def fmt2(value: Decimal, places: str = "0.01") -> str:
    return str(value.quantize(D(places)))


# -- end to end through the SDK ---------------------------------------------------------------


async def test_a_partial_then_full_fill_read_through_user_data_events() -> None:
    async with Emulator(api_keys={KEY_1}, verify_signatures=False, liquidity="0.006") as emu:
        async with AsyncClient(api_key=KEY_1, url=emu.url, timeout=10.0) as client:
            async with client.user_data_events(idle_timeout=None) as stream:
                placed = await client.order.place(
                    symbol="BTCUSDT", side="SELL", type="LIMIT", time_in_force="GTC",
                    quantity=D("0.010"), price=D("50100.00"), new_client_order_id="paper-1",
                )  # fmt: skip
                oid = placed.result.order_id

                async def next_event() -> Any:
                    item = await asyncio.wait_for(anext(stream), 10)
                    assert not isinstance(item, StreamGap)
                    return item

                new = await next_event()
                assert isinstance(new, OrderTradeUpdateEvent)
                assert (new.order.execution_type, new.order.order_id) == ("NEW", oid)
                for expected_status, filled in (("PARTIALLY_FILLED", "0.006"), ("FILLED", "0.010")):
                    emu.set_price("BTCUSDT", "50100.00")
                    lite = await next_event()
                    update = await next_event()
                    account = await next_event()
                    assert isinstance(lite, TradeLiteEvent)
                    assert isinstance(update, OrderTradeUpdateEvent)
                    assert isinstance(account, AccountUpdateEvent)
                    status = (await client.order.status(symbol="BTCUSDT", order_id=oid)).result
                    [pos] = (await client.account.position_v2(symbol="BTCUSDT")).result
                    o = update.order
                    assert o.status == status.status == expected_status
                    assert o.execution_type == "TRADE"
                    assert o.order_id == lite.order_id == status.order_id == oid
                    assert o.client_order_id == lite.client_order_id == status.client_order_id
                    assert o.cumulative_filled_quantity == status.executed_qty == D(filled)
                    assert o.quantity == status.orig_qty and o.price == status.price
                    assert o.average_price == status.avg_price == D("50100")
                    assert o.last_filled_price == lite.last_filled_price == D("50100.00")
                    assert o.last_filled_quantity == lite.last_filled_quantity
                    assert o.trade_id == lite.trade_id and o.is_maker is lite.is_maker is True
                    assert o.commission == o.last_filled_quantity * D("50100") * D("0.0002")
                    assert o.commission_asset == "USDT" and o.realized_profit == 0
                    assert o.side == status.side and o.time_in_force == status.time_in_force
                    assert o.position_side == status.position_side == pos.position_side
                    assert o.trade_time == update.transaction_time == status.update_time
                    assert o.symbol == lite.symbol == status.symbol == pos.symbol
                    assert o.order_type == status.type and o.original_order_type == status.orig_type
                    assert o.stop_price == status.stop_price == 0
                    assert o.is_reduce_only is status.reduce_only is False
                    assert o.close_position is status.close_position is False
                    assert o.working_type == status.working_type
                    assert o.price_protect is status.price_protect
                    assert lite.quantity == status.orig_qty and lite.price == status.price
                    assert lite.side == status.side and lite.transaction_time == o.trade_time
                    assert (
                        o.asks_notional
                        == pos.ask_notional
                        == (D("0.010") - D(filled)) * D("50100.00")
                    )
                    assert o.bids_notional == pos.bid_notional == 0
                    assert pos.mark_price == D("50100.00") and pos.position_side == "BOTH"
                    [p] = account.update.positions or []
                    assert p.position_amount == pos.position_amt == -D(filled)
                    assert p.entry_price == pos.entry_price == D("50100")
                    assert p.unrealized_pnl == pos.un_realized_profit == 0
                    assert p.breakeven_price == pos.break_even_price
                    assert (p.symbol, p.position_side) == (pos.symbol, pos.position_side)
                    assert p.accumulated_realized == 0 and account.update.reason == "ORDER"
                    [b] = account.update.balances
                    balance = (await client.account.balance_v2()).result[0]
                    assert b.wallet_balance == balance.balance and b.balance_change == 0


def test_the_feed_from_a_blocking_test_runs_on_the_emulator_thread() -> None:
    with Emulator(api_keys={KEY_1}, verify_signatures=False) as emulator:
        with Client(api_key=KEY_1, url=emulator.url, timeout=10.0) as client:
            placed = client.order.place(
                symbol="ETHUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
                quantity=D("0.100"), price=D("2990.00"),
            )  # fmt: skip
            emulator.step_prices("ETHUSDT", ["2995.00", "2990.00"])
            status = client.order.status(symbol="ETHUSDT", order_id=placed.result.order_id)
            assert status.result.status == "FILLED"
            emulator.replay_trades("ETHUSDT", [("3000.00", "1")])
            assert client.ticker.price(symbol="ETHUSDT").result.price == D("3000.00")
            assert emulator.account(KEY_1).positions[("ETHUSDT", "BOTH")].amount == D("0.100")


async def test_events_of_a_request_follow_its_reply_and_other_accounts_see_none() -> None:
    async with Emulator(api_keys={KEY_1, KEY_2}, verify_signatures=False) as emu:
        async with (
            AsyncClient(api_key=KEY_1, url=emu.url, timeout=10.0) as one,
            AsyncClient(api_key=KEY_2, url=emu.url, timeout=10.0) as two,
            one.user_data_events(idle_timeout=None) as first,
            two.user_data_events(idle_timeout=None) as second,
        ):
            await one.order.place(symbol="BTCUSDT", side="BUY", type="MARKET", quantity=D("0.01"))
            got = [await asyncio.wait_for(anext(first), 10) for _ in range(4)]
            assert [type(e).__name__ for e in got] == [
                "OrderTradeUpdateEvent", "TradeLiteEvent", "OrderTradeUpdateEvent",
                "AccountUpdateEvent",
            ]  # fmt: skip
            await two.order.place(symbol="ETHUSDT", side="SELL", type="MARKET", quantity=D("1"))
            item = await asyncio.wait_for(anext(second), 10)
            assert isinstance(item, OrderTradeUpdateEvent) and item.order.symbol == "ETHUSDT"
            await emu.flush_events()
            assert emu.engine.outbox == type(emu.engine.outbox)()


def test_at_most_200_algo_orders_wait() -> None:
    emulator = make()
    for n in range(200):
        ok(emulator, "algoOrder.place", **algo("STOP_MARKET", "BUY", f"{60000 + n}.00",
                                               quantity="0.010"))  # fmt: skip
    assert code(emulator, "algoOrder.place", **algo("STOP_MARKET", "BUY", "70000.00",
                                                      quantity="0.010")) == (
        -4045, "Reach max stop order limit.",
    )  # fmt: skip
    ok(emulator, "algoOrder.cancel", algoId=3_000_000_000_000_001)
    ok(emulator, "algoOrder.place", **algo("STOP_MARKET", "BUY", "70000.00", quantity="0.010"))


def test_a_triggered_fok_that_cannot_fill_completely_expires() -> None:
    emulator = make(liquidity="0.004")
    ok(emulator, "algoOrder.place", **algo("STOP", "BUY", "50100.00", quantity="0.010",
                                           price="50100.01", timeInForce="FOK"))  # fmt: skip
    events(emulator)
    emulator.set_price("BTCUSDT", "50100.00")
    found = events(emulator)
    assert kinds(found) == ["ALGO_UPDATE", "NEW/NEW", "ALGO_UPDATE", "EXPIRED/EXPIRED",
                            "ALGO_UPDATE"]  # fmt: skip
    assert found[-1]["o"]["X"] == "FINISHED" and found[-1]["o"]["aq"] == "0"


def test_from_a_blocking_test_the_events_are_sent_before_set_price_returns() -> None:
    from websockets.sync.client import connect

    with Emulator(api_keys={KEY_1}, verify_signatures=False) as emulator:
        with Client(api_key=KEY_1, url=emulator.url, timeout=10.0) as client:
            key = client.user_data_stream.start().result.listen_key
            with connect(f"{emulator.streams.url}/{key}") as stream:
                while emulator.streams.open_sockets == 0:  # the server side registers it
                    stream.ping().wait(10)
                client.order.place(
                    symbol="ETHUSDT", side="SELL", type="LIMIT", time_in_force="GTC",
                    quantity=D("0.100"), price=D("3010.00"),
                )  # fmt: skip
                assert json.loads(stream.recv(10))["o"]["x"] == "NEW"
                emulator.set_price("ETHUSDT", "3010.00")
                assert not emulator.engine.outbox  # pushed (written) before set_price returned
                got = [json.loads(stream.recv(10))["e"] for _ in range(3)]
                assert got == ["TRADE_LITE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE"]


def test_algo_orders_in_hedge_mode_and_their_reduce_check_when_they_fire() -> None:
    emulator = make()
    emulator.account(KEY_1).hedge_mode = True
    opening = algo("STOP_MARKET", "BUY", "51000.00", closePosition="true", positionSide="LONG")
    assert code(emulator, "algoOrder.place", **opening) == (
        -1128,
        "Combination of optional parameters invalid.",
    )
    assert code(emulator, "algoOrder.place", **{**opening, "positionSide": "BOTH"})[0] == -4061
    ok(emulator, "order.place", **market("BUY", "0.020", positionSide="LONG"))
    ok(emulator, "order.place", **market("SELL", "0.010", positionSide="SHORT"))
    close_long = algo("STOP_MARKET", "SELL", "49000.00", closePosition="true", positionSide="LONG")
    ok(emulator, "algoOrder.place", **close_long)
    # A SELL LONG for more than the long: placed, rejected when it fires.
    ok(emulator, "algoOrder.place", **algo("STOP_MARKET", "SELL", "48000.00", quantity="0.050",
                                           positionSide="LONG"))  # fmt: skip
    events(emulator)
    emulator.set_price("BTCUSDT", "48500.00")
    held = {p["positionSide"]: p["positionAmt"] for p in ok(emulator, "v2/account.position")}
    assert held == {"SHORT": "-0.010"}
    emulator.set_price("BTCUSDT", "47900.00")
    found = events(emulator)
    assert_decodes(found)
    rejected = [e["o"] for e in found if e["e"] == "ALGO_UPDATE"][-1]
    assert (rejected["X"], rejected["rm"], rejected["ps"]) == (
        "REJECTED", "ReduceOnly Order is rejected.", "LONG",
    )  # fmt: skip
