"""What every benchmark shares: alternating A/B rounds, medians, ratios, the JSON result."""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "RESULTS_DIR",
    "Check",
    "Ratio",
    "alternate",
    "alternate_async",
    "machine",
    "median_interval",
    "paired_ratio",
    "print_table",
    "rss_bytes",
    "write_result",
]

RESULTS_DIR = Path(__file__).resolve().parent / "results"

T = TypeVar("T")


def _order(names: Sequence[str], round_number: int) -> list[str]:
    shift = round_number % len(names)
    return [*names[shift:], *names[:shift]]


def alternate(rounds: int, contenders: Mapping[str, Callable[[], T]]) -> dict[str, list[T]]:
    """Run each contender ``rounds`` times, interleaved, rotating which goes first.

    Round 0 runs A, B; round 1 runs B, A; and so on, so that a drift of the
    machine (CPU frequency, another process) falls on every contender alike.
    """
    samples: dict[str, list[T]] = {name: [] for name in contenders}
    for i in range(rounds):
        for name in _order(list(contenders), i):
            samples[name].append(contenders[name]())
    return samples


async def alternate_async(
    rounds: int, contenders: Mapping[str, Callable[[], Awaitable[T]]]
) -> dict[str, list[T]]:
    """:func:`alternate` for contenders that are coroutine functions."""
    samples: dict[str, list[T]] = {name: [] for name in contenders}
    for i in range(rounds):
        for name in _order(list(contenders), i):
            samples[name].append(await contenders[name]())
    return samples


class Ratio(NamedTuple):
    """Median of per-round ratios, with their quartiles (the spread between rounds) and a 95 %
    confidence interval of the median (how far the median itself may be off)."""

    median: float
    q1: float
    q3: float
    ci_low: float
    ci_high: float

    def __str__(self) -> str:
        return (
            f"{self.median:.3f} ({self.q1:.2f}-{self.q3:.2f}; "
            f"CI {self.ci_low:.3f}-{self.ci_high:.3f})"
        )


def median_interval(values: Sequence[float]) -> tuple[float, float]:
    """A 95 % confidence interval of the median of ``values``, assuming nothing of their
    distribution: the order statistics ranked ``n/2 - 0.98 sqrt(n)`` and ``1 + n/2 + 0.98
    sqrt(n)`` (for 100 values, the 40th and the 61st)."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("no values")
    half_width = 0.98 * math.sqrt(n)
    low = max(0, math.floor(n / 2 - half_width) - 1)
    high = min(n - 1, math.ceil(1 + n / 2 + half_width) - 1)
    return ordered[low], ordered[high]


def paired_ratio(a: Sequence[float], b: Sequence[float]) -> Ratio:
    """Median over rounds of ``a[i] / b[i]``, with the quartiles and the median's 95 % CI.

    Each round's A and B ran back to back, so their ratio cancels what the
    machine did to both at that moment (another process, the CPU clock); the
    median then drops the rounds where it hit only one of them.
    """
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    q1, _, q3 = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    return Ratio(statistics.median(ratios), q1, q3, *median_interval(ratios))


class Check:
    """The targets of one benchmark: each check is printed and kept for its JSON result."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []

    def __call__(self, name: str, value: float | Ratio, op: str, target: float) -> None:
        """Check ``value`` (a :class:`Ratio`: its median) against ``target``; with a ratio,
        say when the median's confidence interval reaches across the target (not settled)."""
        ratio = value if isinstance(value, Ratio) else None
        value = value.median if isinstance(value, Ratio) else value
        ok = value >= target if op == ">=" else value <= target
        result = {"name": name, "value": value, "op": op, "target": target, "met": ok}
        line = f"  target {name}: {value:.3f} {op} {target:g} -> {'met' if ok else 'MISSED'}"
        if ratio is not None:
            settled = not ratio.ci_low <= target <= ratio.ci_high
            result.update(ci=[ratio.ci_low, ratio.ci_high], settled=settled)
            line += f" (median's 95 % CI {ratio.ci_low:.3f}-{ratio.ci_high:.3f}"
            line += ")" if settled else f", which holds {target:g}: not settled)"
        self.results.append(result)
        print(line)


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [[str(c) for c in header]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for n, row in enumerate(cells):
        print(
            "  "
            + "  ".join(
                c.rjust(w) if i else c.ljust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def rss_bytes() -> int:
    """Resident set size of this process now (Linux ``/proc``), in bytes."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        **{name: _version(name) for name in ("websockets", "attrs", "cattrs", "orjson")},
    }


def _version(dist: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def write_result(name: str, result: Mapping[str, Any]) -> Path:
    """Write ``bench/results/<name>.json`` (git-ignored) and return its path."""
    RESULTS_DIR.mkdir(exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    payload = {
        "benchmark": name,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
    }
    payload.update(result)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"\n  wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return path
