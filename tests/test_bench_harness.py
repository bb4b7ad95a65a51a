"""The benchmarks' statistics (``bench/_harness.py``): what a reported ratio and its target
check say must follow from the samples."""

from __future__ import annotations

import random

import pytest

from bench._harness import Check, median_interval, paired_ratio


def test_median_interval_is_the_textbook_order_statistics() -> None:
    values = [float(v) for v in range(1, 101)]  # the i-th smallest is i
    random.Random(1).shuffle(values)
    assert median_interval(values) == (40.0, 61.0)  # n = 100: the 40th and the 61st
    assert median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0)  # few values: all of them
    with pytest.raises(ValueError):
        median_interval([])


def test_median_interval_covers_the_median_about_95_percent_of_the_time() -> None:
    rng = random.Random(7)
    trials = 2000
    covered = 0
    for _ in range(trials):
        low, high = median_interval([rng.expovariate(1.0) for _ in range(60)])
        covered += low <= 0.6931471805599453 <= high  # ln 2: the exponential's median
    assert 0.93 <= covered / trials <= 0.985


def test_a_target_inside_the_interval_is_reported_as_not_settled(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sdk = [0.90, 0.95, 0.97, 0.92, 0.99, 0.94, 0.96, 0.93, 0.91, 0.98]
    ratio = paired_ratio(sdk, [1.0] * len(sdk))
    assert ratio.median == pytest.approx(0.945)
    check = Check()
    check("close call", ratio, ">=", 0.95)
    check("clear miss", ratio, ">=", 1.5)
    close, clear = check.results
    assert not close["met"] and not close["settled"]  # 0.95 lies within the interval
    assert not clear["met"] and clear["settled"]
    out = capsys.readouterr().out
    assert "close call: 0.945 >= 0.95 -> MISSED" in out and "not settled" in out.splitlines()[0]
    assert "not settled" not in out.splitlines()[1]
