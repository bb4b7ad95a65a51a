"""Price series for driving the emulator's market: constant, or a seeded random walk.

Pure functions: the same arguments give the same series, on every machine (``random.Random``
with a seed is reproducible across platforms and Python versions).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from decimal import Decimal

__all__ = ["PRICE_MODES", "price_series", "walk"]

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
