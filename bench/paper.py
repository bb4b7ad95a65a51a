"""The paper exchange: orders per second with matching, and fill-to-event latency.

Three measurements, in one process on one event loop (the emulator's):

- **engine**: orders per second calling the matching engine directly (no sockets, no
  JSON): a cycle of resting LIMIT orders, a MARKET order, an IOC and a price move that
  fills the resting ones, with every user data event built (and then discarded).
- **client**: ``order.place`` (a MARKET order, filled) per second through
  :class:`~binance_usdm_ws.AsyncClient` against the started emulator, alternating round by
  round with the client's plain round trip (``userDataStream.ping``) on the same
  connection: their ratio says what matching and the events cost per call.
- **fill→event**: from :meth:`Emulator.set_price` (which fills a resting order) to the
  ORDER_TRADE_UPDATE arriving at a ``client.user_data_events()`` reader.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from decimal import Decimal
from typing import Any, Literal

from binance_usdm_ws import AsyncClient, StreamGap
from binance_usdm_ws.events import OrderTradeUpdateEvent
from binance_usdm_ws.testing import Emulator

from ._harness import Check, alternate_async, paired_ratio, print_table, write_result

__all__ = ["main"]

API_KEY = "benchPaperKey0123456789benchPaperKey0123456789benchPaperKey01234"
UP, DOWN = Decimal("50000.00"), Decimal("49990.00")


def _emulator() -> Emulator:
    emulator = Emulator(api_keys={API_KEY}, verify_signatures=False, weight_limit=10**9)
    emulator.order_limits = {10: 10**9, 60: 10**9}
    emulator.account(API_KEY).balances["USDT"] = Decimal(10**9)
    return emulator


def engine_orders_per_s(cycles: int) -> float:
    """Orders per second through ``Engine.place`` and price moves (events built)."""
    emulator = _emulator()
    engine = emulator.engine
    base = {"symbol": "BTCUSDT", "quantity": "0.010"}
    buy = {**base, "side": "BUY", "type": "LIMIT", "timeInForce": "GTC", "price": "49990.00"}
    sell = {**base, "side": "SELL", "type": "LIMIT", "timeInForce": "GTC", "price": "50000.00"}
    taker = {**base, "side": "BUY", "type": "MARKET"}
    ioc = {**base, "side": "SELL", "type": "LIMIT", "timeInForce": "IOC", "price": "49000.00"}
    started = time.perf_counter()
    for _ in range(cycles):
        engine.place(API_KEY, buy)
        engine.place(API_KEY, taker)
        engine.set_price("BTCUSDT", DOWN)  # the BUY fills
        engine.place(API_KEY, sell)
        engine.place(API_KEY, ioc)
        engine.set_price("BTCUSDT", UP)  # the SELL fills
        engine.outbox.clear()
    elapsed = time.perf_counter() - started
    return cycles * 4 / elapsed


async def _client_rounds(rounds: int, calls: int) -> dict[str, list[float]]:
    async with _emulator() as emulator, AsyncClient(api_key=API_KEY, url=emulator.url) as client:
        sides: list[Literal["BUY", "SELL"]] = ["BUY", "SELL"]

        async def orders() -> float:
            started = time.perf_counter()
            for n in range(calls):
                await client.order.place(
                    symbol="BTCUSDT", side=sides[n % 2], type="MARKET", quantity=Decimal("0.010")
                )
            return calls / (time.perf_counter() - started)

        async def pings() -> float:
            started = time.perf_counter()
            for _ in range(calls):
                await client.user_data_stream.ping()
            return calls / (time.perf_counter() - started)

        await client.user_data_stream.start()
        await orders()  # warm-up
        await pings()
        return await alternate_async(rounds, {"order.place": orders, "ping": pings})


async def _fill_latencies(samples: int) -> list[float]:
    async with _emulator() as emulator, AsyncClient(api_key=API_KEY, url=emulator.url) as client:
        latencies: list[float] = []
        async with client.user_data_events(idle_timeout=None) as stream:
            for n in range(samples):
                up = n % 2 == 0  # a SELL above, filled by a move up; then a BUY below
                price = UP if up else DOWN
                await client.order.place(
                    symbol="BTCUSDT", side="SELL" if up else "BUY", type="LIMIT",
                    time_in_force="GTC", quantity=Decimal("0.010"), price=price,
                )  # fmt: skip
                while True:  # its NEW event (after the last fill's ACCOUNT_UPDATE)
                    item = await anext(stream)
                    if isinstance(item, OrderTradeUpdateEvent):
                        break
                started = time.perf_counter()
                emulator.set_price("BTCUSDT", price)
                while True:
                    item = await anext(stream)
                    if isinstance(item, StreamGap):
                        raise RuntimeError(f"the stream had a gap: {item}")
                    if isinstance(item, OrderTradeUpdateEvent):
                        if item.order.execution_type == "TRADE":
                            latencies.append(time.perf_counter() - started)
                            break
                # The fill's ACCOUNT_UPDATE follows: the next order's wait skips it.
        return latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=2000, help="engine cycles (4 orders each)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--calls", type=int, default=200, help="client calls per round")
    parser.add_argument("--samples", type=int, default=300, help="fill-to-event samples")
    args = parser.parse_args(argv)

    engine_runs = [engine_orders_per_s(args.cycles) for _ in range(3)]
    engine_rate = statistics.median(engine_runs)
    client = asyncio.run(_client_rounds(args.rounds, args.calls))
    ratio = paired_ratio(client["order.place"], client["ping"])
    latencies = sorted(asyncio.run(_fill_latencies(args.samples)))
    p50 = statistics.median(latencies) * 1e6
    p90 = latencies[int(len(latencies) * 0.9)] * 1e6
    orders_rate = statistics.median(client["order.place"])
    ping_rate = statistics.median(client["ping"])
    print_table(
        "paper exchange (medians)",
        ["measure", "value"],
        [
            ["engine orders/s (direct, with matching and events)", engine_rate],
            ["client order.place/s (MARKET, filled)", orders_rate],
            ["client userDataStream.ping/s (plain round trip)", ping_rate],
            ["order.place/s / ping/s (per-round ratio)", str(ratio)],
            ["fill -> event at user_data_events(), p50 µs", p50],
            ["fill -> event at user_data_events(), p90 µs", p90],
        ],
    )
    check = Check()
    check("client order.place/s / plain round trip/s", ratio, ">=", 0.25)
    check("fill -> event p50 ms", p50 / 1000, "<=", 5.0)
    result: dict[str, Any] = {
        "engine_orders_per_s": engine_runs,
        "client": client,
        "order_place_over_ping": ratio._asdict(),
        "fill_to_event_us": {"p50": p50, "p90": p90, "samples": len(latencies)},
        "targets": check.results,
    }
    write_result("paper", result)


if __name__ == "__main__":
    main()
