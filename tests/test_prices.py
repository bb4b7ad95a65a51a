"""The emulator's price series (the ``emulator --prices`` driver): pure, seeded functions."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import Any

import pytest

from binance_usdm_ws.testing._prices import PRICE_MODES, price_series, walk


def take(series: Any, n: int = 500) -> list[Decimal]:
    return list(itertools.islice(series, n))


def test_same_seed_same_series_another_seed_another() -> None:
    first = take(walk("50000.00", "0.01", seed=7))
    assert first == take(walk(Decimal("50000.00"), Decimal("0.01"), seed=7))
    assert first != take(walk("50000.00", "0.01", seed=8))
    assert first == take(price_series("walk", "50000.00", "0.01", 7))
    # Pinned: the series is the same on every machine and Python version.
    assert [str(p) for p in first[:3]] == ["49987.21", "50012.78", "50001.47"]


def test_a_walk_moves_on_the_tick_and_stays_positive() -> None:
    prices = take(walk("0.0020", "0.0001", seed=1, volatility=0.5), 2000)
    assert len(set(prices)) > 20
    assert all(p >= Decimal("0.0001") and p % Decimal("0.0001") == 0 for p in prices)
    assert all(p.as_tuple().exponent == -4 for p in prices)  # the tick's decimals
    steps = [abs(b - a) / a for a, b in itertools.pairwise(take(walk("50000.00", "0.01", 3)))]
    assert max(steps) < Decimal("0.01")  # 0.1 % volatility: no jumps


def test_constant_and_bad_arguments() -> None:
    assert take(price_series("constant", "600.000", "0.001"), 3) == [Decimal("600.000")] * 3
    assert PRICE_MODES == ("constant", "walk")
    with pytest.raises(ValueError, match="unknown price mode"):
        price_series("jump", "1", "1")
    with pytest.raises(ValueError, match="positive"):
        next(walk("1", "0", 0))
    with pytest.raises(ValueError, match="volatility"):
        next(walk("1", "1", 0, volatility=-1))
