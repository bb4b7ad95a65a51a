"""The README's bot test ("#### The pytest plugin"), run as written through pytester, with the
plugin loaded as an installed package loads it and pytest-asyncio in its default strict mode.

It needs the paper exchange's ``Emulator.set_price`` (matching): until that exists, the real run
is skipped and the same block runs against a stand-in matcher (below), which checks everything
else about it: the fixtures, the marker, the SDK calls and models it uses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from binance_usdm_ws.testing import Emulator

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = "binance_usdm_ws.testing.pytest_plugin"
ARGS = (
    "-p",
    PLUGIN,
    "--asyncio-mode=strict",
    "--strict-markers",
    "-W",
    "ignore::DeprecationWarning",
)
HAS_MATCHING = hasattr(Emulator, "set_price")


def readme_bot_test() -> str:
    """The first Python block after "#### The pytest plugin" in README.md."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("#### The pytest plugin\n", 1)[1].split("\n## ", 1)[0]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def run_readme(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile(test_readme_bot=readme_bot_test())
    return pytester.runpytest(*ARGS)


def test_the_readme_block_is_a_complete_bot_test() -> None:
    code = readme_bot_test()
    compile(code, "README.md", "exec")
    assert re.findall(r"^async def (test_\w+)", code, re.M) == [
        "test_the_bot_buys_the_dip_and_closes"
    ]
    for needed in (
        "@pytest.mark.asyncio",  # strict mode: the plugin needs no configuration, the test this
        "@pytest.mark.binance_emulator(",
        'type="LIMIT"',
        "binance_emulator.set_price(",
        "binance_client.user_data_events()",
        "OrderTradeUpdateEvent",
        "binance_client.account.position_v2(",
        'reduce_only="true"',
    ):
        assert needed in code, needed


@pytest.mark.skipif(
    not HAS_MATCHING, reason="needs the paper exchange's Emulator.set_price (matching)"
)
def test_the_readme_bot_test_passes_as_written(pytester: pytest.Pytester) -> None:
    result = run_readme(pytester)
    result.assert_outcomes(passed=1)


# A stand-in for the paper exchange, as a conftest of the pytester run: enough matching for the
# README's test (an order crossing the last price fills whole at its limit price, a MARKET order
# at the last price) with the ORDER_TRADE_UPDATE the stream would carry. It patches Emulator for
# the run's tests only (monkeypatch), and only while Emulator has no set_price of its own.
STAND_IN = """
import asyncio
from decimal import Decimal

import pytest

from binance_usdm_ws.testing import Emulator
from binance_usdm_ws.testing._exchange import Position, fmt

_handle = Emulator.handle


def _crosses(order, last):
    if order.status != "NEW":
        return False
    if order.type == "MARKET":
        return True
    price = Decimal(order.price)
    return price >= last if order.side == "BUY" else price <= last


def _match(emulator):
    for api_key in list(emulator.api_keys):
        account = emulator.account(api_key)
        for order in list(account.orders.values()):
            last = emulator.market.symbols[order.symbol].price
            if not _crosses(order, last):
                continue
            price = last if order.type == "MARKET" else Decimal(order.price)
            quantity = Decimal(order.orig_qty)
            held = account.positions.get(order.symbol) or Position()
            amount = held.amount + (quantity if order.side == "BUY" else -quantity)
            emulator.set_position(api_key, order.symbol, amount, price if amount else 0)
            order.status, order.executed_qty = "FILLED", order.orig_qty
            now = emulator.clock()
            event = {
                "e": "ORDER_TRADE_UPDATE", "E": now, "T": now,
                "o": {
                    "s": order.symbol, "c": order.client_order_id, "S": order.side,
                    "o": order.type, "f": order.time_in_force, "q": order.orig_qty,
                    "p": order.price, "ap": fmt(price), "sp": "0", "x": "TRADE",
                    "X": "FILLED", "i": order.order_id, "l": order.orig_qty,
                    "z": order.orig_qty, "L": fmt(price), "T": now, "t": order.order_id,
                    "b": "0", "a": "0", "m": order.type == "LIMIT", "R": order.reduce_only,
                    "wt": "CONTRACT_PRICE", "ot": order.type, "ps": "BOTH", "rp": "0",
                    "V": "NONE", "pm": "NONE", "gtd": 0,
                },
            }
            push = emulator.streams.push(api_key, event)
            loop = emulator._thread._loop
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(push)
            else:
                asyncio.run_coroutine_threadsafe(push, loop).result()


def set_price(self, symbol, price):
    self.market.symbols[symbol].price = Decimal(price)
    _match(self)


def handle(self, session, frame):
    reply = _handle(self, session, frame)
    _match(self)
    return reply


@pytest.fixture(autouse=True)
def stand_in_matching(monkeypatch):
    assert not hasattr(Emulator, "set_price")
    monkeypatch.setattr(Emulator, "set_price", set_price, raising=False)
    monkeypatch.setattr(Emulator, "handle", handle)
"""


@pytest.mark.skipif(HAS_MATCHING, reason="Emulator.set_price exists: the real run replaces this")
def test_the_readme_bot_test_against_a_stand_in_matcher(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(STAND_IN)
    result = run_readme(pytester)
    result.assert_outcomes(passed=1)
    assert not hasattr(Emulator, "set_price")  # the stand-in is gone with its test


def test_the_stand_in_is_needed_to_pass(pytester: pytest.Pytester) -> None:
    """Without matching the block fails, so its passing above is the matcher's doing."""
    if HAS_MATCHING:
        pytest.skip("Emulator.set_price exists")
    result = run_readme(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AttributeError*set_price*"])
