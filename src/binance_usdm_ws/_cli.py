"""The ``binance-usdm-ws`` command line.

Exit status: 0 on success, 1 when the API (or the connection) fails, 2 for a
usage error. An API error prints one line (status, code, message) and no
traceback. API keys are never printed in full.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from ._client import AsyncClient
from ._core.converter import CONVERTER
from ._core.events import UnknownEvent, ms_to_datetime
from ._generated.models import RateLimit
from ._services.keepalive import (
    KeepaliveEvent,
    ListenKeyRecreated,
    ListenKeyRenewalFailed,
    ListenKeyRenewed,
    ListenKeyStarted,
    ListenKeyStopped,
)
from ._services.user_stream import StreamGap, StreamItem
from .errors import ApiError, BinanceWsError, redact

__all__ = ["main"]

DEMO_API_KEY = "demoApiKey0123456789demoApiKey0123456789demoApiKey0123456789abcd"


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


def _rate_limits(limits: Sequence[RateLimit] | None) -> str:
    if limits is None:
        return "(no rateLimits in the reply)"
    return ", ".join(
        f"{r.rate_limit_type.value} {r.count}/{r.limit} per {r.interval_num} {r.interval.value}"
        for r in limits
    )


def _describe(event: KeepaliveEvent) -> str:
    if isinstance(event, ListenKeyStarted):
        return f"started listenKey {event.listen_key}"
    if isinstance(event, ListenKeyRenewed):
        return f"renewed listenKey {event.listen_key}"
    if isinstance(event, ListenKeyRecreated):
        return f"listenKey recreated ({event.reason}): {event.listen_key}; reconnect the stream"
    if isinstance(event, ListenKeyRenewalFailed):
        what = "fatal" if event.fatal else f"retry in {event.retry_in:.1f} s"
        return f"renewal failed ({what}): {event.error}"
    if isinstance(event, ListenKeyStopped):
        return f"stopped ({'listenKey closed' if event.closed else 'listenKey left open'})"
    return repr(event)


def _event_json(event: KeepaliveEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "event": type(event).__name__,
        "apiKey": redact(event.api_key),
        "at": event.at,
    }
    for name in (
        "listen_key",
        "old_listen_key",
        "expires_at",
        "reason",
        "fatal",
        "retry_in",
        "closed",
    ):
        if hasattr(event, name):
            out[name] = getattr(event, name)
    error = getattr(event, "error", None)
    if error is not None:
        out["error"] = str(error)
    return out


def _print_reply(method: str, reply: Any, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"method": method, **CONVERTER.unstructure(reply)}))
        return
    result = CONVERTER.unstructure(reply.result)
    print(f"{method}: " + (", ".join(f"{k}={v}" for k, v in result.items()) or "ok"))
    print(f"rate limits: {_rate_limits(reply.rate_limits)}")


def _client(args: argparse.Namespace, **options: Any) -> AsyncClient:
    api_key = args.api_key or os.environ.get("BINANCE_API_KEY")
    if not api_key:
        raise UsageError("an API key is needed: pass --api-key or set BINANCE_API_KEY")
    try:
        return AsyncClient(
            api_key=api_key, url=args.url, testnet=args.testnet, timeout=args.timeout, **options
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None


async def _one_call(args: argparse.Namespace) -> int:
    async with _client(args) as client:
        method = getattr(client.user_data_stream, args.command)
        reply = await method()
        _print_reply(f"userDataStream.{args.command}", reply, args.json)
    return 0


def _stop_signals() -> asyncio.Event:
    """An event set by SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not on this platform / thread
            pass
    return stop


async def _keepalive(args: argparse.Namespace) -> int:
    stop = _stop_signals()

    def report(event: KeepaliveEvent) -> None:
        if args.json:
            print(json.dumps(_event_json(event)), flush=True)
        else:
            print(f"keepalive: {_describe(event)}", flush=True)

    async with _client(args) as client:
        try:
            keepalive = client.keepalive(
                interval=args.interval, on_event=report, keep_keys=args.keep
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        async with keepalive:
            done = asyncio.ensure_future(keepalive.wait())
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({done, stopping}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if done.done():
                done.result()  # the fatal error, raised
            done.cancel()
    return 0


def _print_item(item: StreamItem, as_json: bool) -> None:
    if isinstance(item, StreamGap):
        gap = {
            "reason": item.reason.value,
            "detail": item.detail,
            "began_at": item.began_at,
            "resumed_at": item.resumed_at,
            "old_listen_key": item.old_listen_key,
            "listen_key": item.listen_key,
        }
        if as_json:
            print(json.dumps({"event": "StreamGap", **gap}), flush=True)
        else:
            print(
                f"stream gap ({item.reason.value}, {item.resumed_at - item.began_at:.1f} s): "
                f"{item.detail}; events may be missing: resync",
                flush=True,
            )
    elif as_json:
        print(json.dumps(CONVERTER.unstructure(item)), flush=True)
    elif isinstance(item, UnknownEvent):
        why = f" ({item.error})" if item.error else ""
        print(f"unknown event {item.event_type}{why}: {json.dumps(item.raw)}", flush=True)
    else:
        when = ms_to_datetime(item.event_time).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        print(f"{when} {item!r}", flush=True)


async def _events(args: argparse.Namespace) -> int:
    stop = _stop_signals()
    async with _client(args) as client:
        try:
            stream = client.user_data_events(
                stream_url=args.stream_url, idle_timeout=args.idle_timeout
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        async with stream:
            print("listening to the user data stream; Ctrl-C stops", file=sys.stderr, flush=True)
            stopping = asyncio.ensure_future(stop.wait())
            try:
                while True:
                    item = asyncio.ensure_future(anext(stream))
                    await asyncio.wait({item, stopping}, return_when=asyncio.FIRST_COMPLETED)
                    if not item.done():
                        item.cancel()
                        break
                    try:
                        _print_item(item.result(), args.json)
                    except StopAsyncIteration:
                        break
            finally:
                stopping.cancel()
    return 0


async def _demo() -> int:
    from .testing import Emulator, FakeClock  # the emulator loads only for the commands using it

    clock = FakeClock()
    async with Emulator(api_keys={DEMO_API_KEY}, clock=clock) as emulator:
        print(f"emulator listening on {emulator.url} (simulated clock)")
        async with AsyncClient(api_key=DEMO_API_KEY, url=emulator.url, clock=clock) as client:
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

            print("keepalive service, 3 simulated hours:")
            start = clock.time()

            def report(event: KeepaliveEvent) -> None:
                print(f"  +{(event.at - start) / 60:5.1f} min  {_describe(event)}")

            async with client.keepalive(on_event=report) as keepalive:
                await clock.run(3 * 3600)
                alive = emulator.listen_key(DEMO_API_KEY) == keepalive.listen_key
                print(f"  after 3 h the emulator still holds the key: {alive}")
    return 0


async def _emulator(host: str, port: int, api_keys: list[str]) -> int:
    from .testing import Emulator

    stop = _stop_signals()
    async with Emulator(api_keys=api_keys, host=host, port=port) as emulator:
        keys = ", ".join(redact(k) for k in api_keys) or "(none)"
        print(
            f"emulator listening on {emulator.url} (API keys: {keys}); Ctrl-C stops it", flush=True
        )
        await stop.wait()
    return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log more (-v: INFO, -vv: DEBUG); API keys are redacted",
    )
    connection = argparse.ArgumentParser(add_help=False)
    connection.add_argument("--api-key", help="API key (default: $BINANCE_API_KEY)")
    where = connection.add_mutually_exclusive_group()
    where.add_argument("--testnet", action="store_true", help="use the testnet endpoint")
    where.add_argument("--url", help="endpoint URL (e.g. an emulator's)")
    connection.add_argument(
        "--json", action="store_true", help="machine-readable output: one JSON object per line"
    )
    connection.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds to wait for each reply (default: %(default)s)",
    )

    parser = argparse.ArgumentParser(
        prog="binance-usdm-ws",
        parents=[common],
        description=(
            "Binance USDⓈ-M Futures WebSocket API: listenKey tools, the user data stream, "
            "demo and emulator."
        ),
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("start", "create (or return the active) listenKey"),
        ("ping", "keep the listenKey alive 60 more minutes"),
        ("stop", "close the listenKey"),
    ):
        commands.add_parser(name, parents=[common, connection], help=text)
    keepalive = commands.add_parser(
        "keepalive",
        parents=[common, connection],
        help="keep the listenKey alive until Ctrl-C, then close it",
    )
    keepalive.add_argument(
        "--interval",
        type=float,
        default=30 * 60,
        help="seconds between pings (default: %(default)s)",
    )
    keepalive.add_argument("--keep", action="store_true", help="leave the key open on exit")
    events = commands.add_parser(
        "events",
        parents=[common, connection],
        help="print the user data stream's events as they arrive, until Ctrl-C",
    )
    events.add_argument(
        "--stream-url",
        help="user data stream base, /<listenKey> is appended (default: the one of the endpoint)",
    )
    events.add_argument(
        "--idle-timeout",
        type=float,
        default=6 * 60.0,
        help="reconnect after this many seconds without a frame or ping (default: %(default)s)",
    )
    commands.add_parser(
        "demo",
        parents=[common],
        help="start, ping, stop and a keepalive against an in-process emulator",
    )
    emulator = commands.add_parser("emulator", parents=[common], help="run the emulator")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if args.command in ("start", "ping", "stop"):
            return asyncio.run(_one_call(args))
        if args.command == "keepalive":
            return asyncio.run(_keepalive(args))
        if args.command == "events":
            return asyncio.run(_events(args))
        if args.command == "demo":
            return asyncio.run(_demo())
        return asyncio.run(_emulator(args.host, args.port, args.api_keys))
    except UsageError as exc:
        parser.error(str(exc))
    except ApiError as exc:
        print(f"error: status {exc.status}, code {exc.code}: {exc.msg}", file=sys.stderr)
    except BinanceWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1


if __name__ == "__main__":
    sys.exit(main())
