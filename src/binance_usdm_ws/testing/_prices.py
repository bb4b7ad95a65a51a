"""Price series for driving the emulator's market: constant, or a seeded random walk.

Pure functions: the same arguments give the same series, on every machine (``random.Random``
with a seed is reproducible across platforms and Python versions).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["PRICE_MODES", "move_price", "price_series", "walk"]

PRICE_MODES = ("constant", "walk")
"""What ``binance-usdm-ws emulator --prices`` accepts."""


def walk(
    start: Decimal | str, tick: Decimal | str, seed: int, *, volatility: float = 0.001
) -> Iterator[Decimal]:
    """An endless seeded random walk from ``start`` (not included): each price is the previous
    one moved by a normal draw of ``volatility`` times the price, rounded to ``tick`` and at
    least one tick."""
    if volatility < 0:
        raise ValueError("volatility must be 0 or more")
    price, step = Decimal(start), Decimal(tick)
    if step <= 0 or price <= 0:
        raise ValueError("start and tick must be positive")
    rng = random.Random(seed)
    while True:
        change = price * Decimal(rng.gauss(0.0, volatility))
        price = max(step, ((price + change) / step).to_integral_value() * step)
        yield price


def price_series(
    mode: str, start: Decimal | str, tick: Decimal | str, seed: int = 0
) -> Iterator[Decimal]:
    """The prices of ``mode`` (one of :data:`PRICE_MODES`) after ``start``."""
    if mode == "constant":
        return itertools.repeat(Decimal(start))
    if mode == "walk":
        return walk(start, tick, seed)
    raise ValueError(f"unknown price mode {mode!r}; one of {', '.join(PRICE_MODES)}")


def move_price(emulator: Emulator, symbol: str, price: Decimal | str) -> None:
    """Set ``symbol``'s price on the emulator: ``emulator.set_price`` (the paper exchange's,
    which also matches orders) when it has one, else the book's last price."""
    set_price = getattr(emulator, "set_price", None)
    if set_price is not None:
        set_price(symbol, price)
        return
    symbols = emulator.market.symbols
    if symbol not in symbols:
        raise ValueError(f"the emulator has no symbol {symbol!r}")
    symbols[symbol].price = Decimal(price)
