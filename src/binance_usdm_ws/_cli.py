"""The ``binance-usdm-ws`` command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from ._client import AsyncClient
from ._models import RateLimit
from .errors import redact
from .testing import Emulator, FakeClock

__all__ = ["main"]

DEMO_API_KEY = "demoApiKey0123456789demoApiKey0123456789demoApiKey0123456789abcd"


def _rate_limits(limits: Sequence[RateLimit] | None) -> str:
    if limits is None:
        return "(no rateLimits in the reply)"
    return ", ".join(
        f"{r.rate_limit_type.value} {r.count}/{r.limit} per {r.interval_num} {r.interval.value}"
        for r in limits
    )


async def _demo() -> int:
    clock = FakeClock()
    async with Emulator(api_keys={DEMO_API_KEY}, clock=clock) as emulator:
        print(f"emulator listening on {emulator.url}")
        async with AsyncClient(api_key=DEMO_API_KEY, url=emulator.url) as client:
            print(f"client: {client!r}")
            started = await client.user_data_stream.start()
            print(f"userDataStream.start -> {started.result!r}")
            print(f"  rate limits: {_rate_limits(started.rate_limits)}")
            clock.advance(30 * 60)
            pong = await client.user_data_stream.ping()
            print(f"userDataStream.ping (30 min later) -> listen key {pong.result.listen_key}")
            print(f"  rate limits: {_rate_limits(pong.rate_limits)}")
            stopped = await client.user_data_stream.stop()
            print(f"userDataStream.stop -> {stopped.result!r}")
            print(f"  rate limits: {_rate_limits(stopped.rate_limits)}")
    return 0


async def _emulator(host: str, port: int, api_keys: list[str]) -> int:
    async with Emulator(api_keys=api_keys, host=host, port=port) as emulator:
        keys = ", ".join(redact(k) for k in api_keys) or "(none)"
        print(
            f"emulator listening on {emulator.url} (API keys: {keys}); Ctrl-C stops it", flush=True
        )
        await asyncio.Event().wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="binance-usdm-ws",
        description="Binance USDⓈ-M Futures WebSocket API: SDK demo and local emulator.",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more (-v: INFO, -vv: DEBUG); API keys are redacted",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="run start -> ping -> stop against an in-process emulator")
    emulator = commands.add_parser("emulator", help="run the emulator until Ctrl-C")
    emulator.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    emulator.add_argument(
        "--port", type=int, default=8765, help="TCP port, 0 for any free one (default: %(default)s)"
    )
    emulator.add_argument(
        "--api-key",
        action="append",
        default=[],
        dest="api_keys",
        help="an API key the emulator accepts (repeatable)",
    )
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "demo":
            return asyncio.run(_demo())
        return asyncio.run(_emulator(args.host, args.port, args.api_keys))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
