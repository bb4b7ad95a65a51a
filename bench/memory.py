"""Memory: the client's RSS over 100,000 calls against the reply server must stay flat.

One client makes ``userDataStream.ping`` calls, 50 in flight, on one
connection: a warm-up, then RSS is read after 10,000 calls and again after
100,000. Whatever a call leaves behind (a pending entry, a timer, a future,
a log record) would show as growth between the two.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from binance_usdm_ws import AsyncClient

from ._harness import Check, print_table, rss_bytes, write_result
from .reply_server import reply_server
from .roundtrip import API_KEY, run_calls

__all__ = ["main"]

IN_FLIGHT = 50
MAX_GROWTH_BYTES = 1 << 20  # allocator noise; a leak of 10 bytes per call would be 900 kB


async def _measure(url: str, warm_up: int, first: int, total: int) -> dict[str, Any]:
    async with AsyncClient(api_key=API_KEY, url=url) as client:
        ping = client.user_data_stream.ping
        await run_calls(ping, warm_up, IN_FLIGHT)
        rss_start = rss_bytes()
        at_first = await run_calls(ping, first, IN_FLIGHT)
        rss_first = rss_bytes()
        at_total = await run_calls(ping, total - first, IN_FLIGHT)
        rss_total = rss_bytes()
    return {
        "rss_bytes": {
            "after_warm_up": rss_start,
            f"after_{first}": rss_first,
            f"after_{total}": rss_total,
        },
        "growth_bytes": rss_total - rss_first,
        "calls_per_s": [at_first["calls_per_s"], at_total["calls_per_s"]],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up", type=int, default=2_000)
    parser.add_argument("--first", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=100_000)
    args = parser.parse_args(argv)
    with reply_server() as url:
        result = asyncio.run(_measure(url, args.warm_up, args.first, args.total))
    rss = result["rss_bytes"]
    print_table(
        f"memory, client RSS, {IN_FLIGHT} calls in flight",
        ["after", "RSS MiB"],
        [[name.replace("_", " "), value / 2**20] for name, value in rss.items()],
    )
    growth = result["growth_bytes"]
    print(
        f"\n  growth from {args.first:,} to {args.total:,} calls: {growth / 1024:,.0f} KiB "
        f"({growth / (args.total - args.first):.2f} bytes per call)"
    )
    check = Check()
    label = f"RSS growth {args.first:,} -> {args.total:,} calls (KiB)"
    check(label, growth / 1024, "<=", MAX_GROWTH_BYTES / 1024)
    write_result(
        "memory",
        {
            **result,
            "calls": {"warm_up": args.warm_up, "first": args.first, "total": args.total},
            "targets": check.results,
        },
    )


if __name__ == "__main__":
    main()
