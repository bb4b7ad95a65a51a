"""The ``binance-usdm-ws`` command line: exit status 0 on success, 1 when the API (or the
connection) fails, 2 for a usage error. API errors print one line; no API key prints in full."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ParamSpec, TypeVar

import attrs

from ._client import AsyncClient
from ._core.converter import CONVERTER
from ._core.events import UnknownEvent, ms_to_datetime
from ._generated.cli import COMMANDS, Command, Option
from ._generated.models import RateLimit
from ._services import keepalive as ka
from ._services.user_stream import StreamGap, StreamItem
from .errors import ApiError, BinanceWsError, redact

__all__ = ["main"]

P = ParamSpec("P")
T = TypeVar("T")

DEMO_API_KEY = "demoApiKey0123456789demoApiKey0123456789demoApiKey0123456789abcd"
_ABOUT = (
    "Binance USDⓈ-M Futures WebSocket API: every method as a command (`order place --help`), "
    "listenKey tools, the user data stream, demo and emulator."
)

# What --json prints of a keepalive event, in this order, after event, apiKey and at.
_EVENT_FIELDS = "listen_key old_listen_key expires_at reason fatal retry_in closed".split()


class UsageError(Exception):
    """Bad command-line input: exit status 2."""


def _rate_limits(limits: Sequence[RateLimit] | None) -> str:
    if limits is None:
        return "(no rateLimits in the reply)"
    return ", ".join(
        f"{r.rate_limit_type.value} {r.count}/{r.limit} per {r.interval_num} {r.interval.value}"
        for r in limits
    )


def _describe(event: ka.KeepaliveEvent) -> str:
    if isinstance(event, ka.ListenKeyStarted):
        return f"started listenKey {event.listen_key}"
    if isinstance(event, ka.ListenKeyRenewed):
        return f"renewed listenKey {event.listen_key}"
    if isinstance(event, ka.ListenKeyRecreated):
        return f"listenKey recreated ({event.reason}): {event.listen_key}; reconnect the stream"
    if isinstance(event, ka.ListenKeyRenewalFailed):
        what = "fatal" if event.fatal else f"retry in {event.retry_in:.1f} s"
        return f"renewal failed ({what}): {event.error}"
    if isinstance(event, ka.ListenKeyStopped):
        return f"stopped ({'listenKey closed' if event.closed else 'listenKey left open'})"
    return repr(event)


def _client(args: argparse.Namespace, need_key: bool = True) -> AsyncClient:
    api_key = args.api_key or os.environ.get("BINANCE_API_KEY")
    if not api_key and need_key:
        raise UsageError("an API key is needed: pass --api-key or set BINANCE_API_KEY")
    env = os.environ.get
    return _checked(
        AsyncClient,
        api_key=api_key,
        api_secret=args.api_secret or env("BINANCE_API_SECRET") or None,
        private_key=env("BINANCE_PRIVATE_KEY") or None,
        private_key_password=env("BINANCE_PRIVATE_KEY_PASSWORD") or None,
        url=args.url,
        testnet=args.testnet,
        timeout=args.timeout,
    )


def _checked(make: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return make(*args, **kwargs)
    except (ValueError, ImportError) as exc:
        raise UsageError(str(exc)) from None


def _stop_signals() -> asyncio.Future[Any]:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on this platform/thread
            loop.add_signal_handler(sig, stop.set)
    return asyncio.ensure_future(stop.wait())


async def _unless_stopped(awaitable: Awaitable[T], stopping: asyncio.Future[Any]) -> T | None:
    task = asyncio.ensure_future(awaitable)
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        return task.result()
    task.cancel()
    return None


def _decimal(text: str) -> Decimal:
    with contextlib.suppress(InvalidOperation):
        if (value := Decimal(text)).is_finite():
            return value
    raise argparse.ArgumentTypeError(f"not a decimal: {text!r}")


def _boolean(text: str) -> bool:
    if text not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"not true or false: {text!r}")
    return text == "true"


_TYPES: dict[str, Callable[[str], Any]] = {
    "decimal": _decimal,
    "integer": int,
    "number": float,
    "boolean": _boolean,
    "enum": str,
}


def _option_help(option: Option) -> str:
    what = f"{option.kind}, {'required' if option.required else 'optional'}"
    what += f": {' | '.join(option.choices)}" if option.choices else ""
    return f"{what}. {option.description}".strip(". ").replace("%", "%%")


def _add_method_commands(commands: Any, parents: list[argparse.ArgumentParser]) -> None:
    """A command per generated method: ``order place --symbol ...`` (``depth`` alone)."""
    groups: dict[str, Any] = {}
    for command in COMMANDS:
        where = commands
        if command.group is not None:
            if command.group not in groups:
                wire = command.method.rpartition(".")[0].rpartition("/")[2]
                parser = commands.add_parser(command.group, help=f"methods {wire}.*")
                groups[command.group] = parser.add_subparsers(
                    dest="_method", required=True, metavar="METHOD"
                )
            where = groups[command.group]
        about = f"{command.title}. {command.description}".replace("%", "%%")
        sub = where.add_parser(
            command.name,
            parents=parents,
            help=command.title,
            usage="%(prog)s [options]",
            allow_abbrev=False,  # --price is never --price-match
            description=f"{about} (wire method {command.method}, security {command.security})",
        )
        sub.set_defaults(_command=command, _parser=sub)
        for option in command.options:
            sub.add_argument(
                option.flag,
                dest=option.dest,
                type=_TYPES.get(option.kind, str),
                required=option.required,
                choices=option.choices or None,
                metavar=option.dest.upper(),
                help=_option_help(option),
            )


async def _call(args: argparse.Namespace) -> None:
    """Send one generated method through the client's method of the same name."""
    command: Command = args._command
    kwargs = {o.dest: getattr(args, o.dest) for o in command.options}
    async with _client(args, need_key=command.security != "NONE") as client:
        method: Any = client
        for attr in command.client_path:
            method = getattr(method, attr)
        try:  # an either/or pair not sent: the method raises before sending anything
            reply = await method(**{k: v for k, v in kwargs.items() if v is not None})
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    out = CONVERTER.unstructure(reply)
    if args.json:
        print(json.dumps({"method": command.method, **out}))
        return
    for row in out["result"] if isinstance(out["result"], list) else [out["result"]]:
        text = (f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in row.items())
        print(f"{command.method}: " + (", ".join(text) or "ok"))
    print(f"rate limits: {_rate_limits(reply.rate_limits)}")


async def _keepalive(args: argparse.Namespace) -> None:
    stopping = _stop_signals()

    def report(event: ka.KeepaliveEvent) -> None:
        if not args.json:
            print(f"keepalive: {_describe(event)}", flush=True)
            return
        fields = attrs.asdict(event, recurse=False)
        out = {"event": type(event).__name__, "apiKey": redact(event.api_key), "at": event.at}
        out.update((name, fields[name]) for name in _EVENT_FIELDS if name in fields)
        if fields.get("error") is not None:
            out["error"] = str(fields["error"])
        print(json.dumps(out), flush=True)

    async with _client(args) as client:
        keeper = _checked(
            client.keepalive, interval=args.interval, on_event=report, keep_keys=args.keep
        )
        async with keeper:
            await _unless_stopped(keeper.wait(), stopping)  # raises the fatal error, if any


def _print_item(item: StreamItem, as_json: bool) -> None:
    if as_json:
        out = CONVERTER.unstructure(item)
        text = json.dumps({"event": "StreamGap", **out} if isinstance(item, StreamGap) else out)
    elif isinstance(item, StreamGap):
        text = (
            f"stream gap ({item.reason.value}, {item.resumed_at - item.began_at:.1f} s): "
            f"{item.detail}; events may be missing: resync"
        )
    elif isinstance(item, UnknownEvent):
        why = f" ({item.error})" if item.error else ""
        text = f"unknown event {item.event_type}{why}: {json.dumps(item.raw)}"
    else:
        when = ms_to_datetime(item.event_time).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        text = f"{when} {item!r}"
    print(text, flush=True)


async def _events(args: argparse.Namespace) -> None:
    stopping = _stop_signals()
    async with _client(args) as client:
        stream = _checked(
            client.user_data_events, stream_url=args.stream_url, idle_timeout=args.idle_timeout
        )
        async with stream:
            print("listening to the user data stream; Ctrl-C stops", file=sys.stderr, flush=True)
            with contextlib.suppress(StopAsyncIteration):  # the stream ended
                while (item := await _unless_stopped(anext(stream), stopping)) is not None:
                    _print_item(item, args.json)


async def _demo(args: argparse.Namespace) -> None:
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

            def report(event: ka.KeepaliveEvent) -> None:
                print(f"  +{(event.at - start) / 60:5.1f} min  {_describe(event)}")

            async with client.keepalive(on_event=report) as keepalive:
                await clock.run(3 * 3600)
                alive = emulator.listen_key(DEMO_API_KEY) == keepalive.listen_key
                print(f"  after 3 h the emulator still holds the key: {alive}")


def _accounts(specs: Sequence[str]) -> dict[str, str]:
    """``--api-key KEY[:SECRET]`` options: HMAC secrets by API key (generated when not given;
    one generated account when there is no option)."""
    import secrets

    accounts: dict[str, str] = {}
    for spec in specs or [secrets.token_hex(32)]:
        api_key, _, secret = spec.partition(":")
        if not api_key:
            raise UsageError(f"--api-key: no API key in {spec!r}")
        accounts[api_key] = secret or secrets.token_hex(32)
    return accounts


async def _drive_prices(
    emulator: Any, symbol: str, prices: Iterator[Decimal], interval: float
) -> None:
    for price in prices:
        await asyncio.sleep(interval)
        emulator.set_price(symbol, price)


async def _emulator(args: argparse.Namespace) -> None:
    from .testing import Emulator
    from .testing._exchange import DEFAULT_SYMBOLS
    from .testing._prices import price_series

    if args.interval <= 0:
        raise UsageError("--interval must be positive")
    symbols: dict[str, Any] = dict(DEFAULT_SYMBOLS)
    if args.symbol not in symbols and args.price is None:
        known = ", ".join(symbols)
        raise UsageError(f"--symbol {args.symbol} needs --price (the emulator knows {known})")
    if args.price is not None:
        symbols[args.symbol] = args.price
    accounts = _accounts(args.api_keys)
    stopping = _stop_signals()
    async with Emulator(
        api_keys=accounts, api_secrets=accounts, host=args.host, port=args.port, symbols=symbols
    ) as emulator:
        market = emulator.market.symbols[args.symbol]
        series = price_series(args.prices, market.price, market.tick, args.seed)
        # These are the emulator's own throwaway test credentials: printed (never logged)
        # so that clients can connect and sign.
        print(f"emulator listening on {emulator.url}; Ctrl-C stops it", flush=True)
        print(f"  API (--url):        {emulator.url}")
        print(f"  user data streams:  {emulator.streams.url}/<listenKey>")
        for api_key, secret in accounts.items():
            print(f"  account:            --api-key {api_key} --api-secret {secret}")
        what = f"walk (seed {args.seed})" if args.prices == "walk" else "constant"
        print(
            f"  prices:             {args.symbol} {market.price}, {what}, "
            f"every {args.interval:g} s",
            flush=True,
        )
        driver = asyncio.create_task(
            _drive_prices(emulator, args.symbol, series, args.interval), name="price driver"
        )
        try:
            await asyncio.wait({driver, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if driver.done():
                driver.result()  # raises what stopped it
        finally:
            driver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await driver


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
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
    connection.add_argument(
        "--api-secret",
        help="HMAC secret signing TRADE/USER_DATA methods (default: $BINANCE_API_SECRET; "
        "or $BINANCE_PRIVATE_KEY, an RSA/Ed25519 key file, and $BINANCE_PRIVATE_KEY_PASSWORD)",
    )
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
    parser = argparse.ArgumentParser(prog="binance-usdm-ws", parents=[common], description=_ABOUT)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    api = functools.partial(commands.add_parser, parents=[common, connection])
    for name, about in [
        ("start", "create (or return the active) listenKey"),
        ("ping", "keep the listenKey alive 60 more minutes"),
        ("stop", "close the listenKey"),
    ]:  # short for `user-data-stream start|ping|stop`
        alias = next(c for c in COMMANDS if c.method == f"userDataStream.{name}")
        api(name, help=f"{about} (= user-data-stream {name})").set_defaults(_command=alias)
    keepalive = api("keepalive", help="keep the listenKey alive until Ctrl-C, then close it")
    keepalive.add_argument(
        "--interval", type=float, default=1800, help="seconds between pings (default: %(default)s)"
    )
    keepalive.add_argument("--keep", action="store_true", help="leave the key open on exit")
    events = api("events", help="print the user data stream's events as they arrive, until Ctrl-C")
    events.add_argument(
        "--stream-url",
        help="user data stream base, /<listenKey> is appended (default: the one of the endpoint)",
    )
    events.add_argument(
        "--idle-timeout",
        type=float,
        default=360.0,
        help="reconnect after this many seconds without a frame or ping (default: %(default)s)",
    )
    local = functools.partial(commands.add_parser, parents=[common])
    local("demo", help="start, ping, stop and a keepalive against an in-process emulator")
    emulator = local("emulator", help="run the emulator")
    emulator.add_argument("--host", default="127.0.0.1", help="interface (default: %(default)s)")
    emulator.add_argument(
        "--port", type=int, default=8765, help="TCP port, 0 for any free one (default: %(default)s)"
    )
    emulator.add_argument(
        "--api-key",
        action="append",
        default=[],
        dest="api_keys",
        metavar="KEY[:SECRET]",
        help="an API key the emulator accepts, with its HMAC secret (generated if not given); "
        "repeatable; default: one generated account. Printed: they are test credentials",
    )
    emulator.add_argument(
        "--prices",
        choices=["constant", "walk"],
        default="constant",
        help="how --symbol's price moves: constant, or a seeded random walk (default: %(default)s)",
    )
    emulator.add_argument(
        "--seed", type=int, default=0, help="seed of the walk: same seed, same prices"
    )
    emulator.add_argument(
        "--interval",
        type=float,
        default=1.0,
        help="seconds between price moves (default: %(default)s)",
    )
    emulator.add_argument(
        "--symbol", default="BTCUSDT", help="the symbol whose price moves (default: %(default)s)"
    )
    emulator.add_argument(
        "--price",
        type=_decimal,
        help="its starting price (its decimals are the tick size; needed for a new symbol)",
    )
    _add_method_commands(commands, [common, connection])
    args = parser.parse_args(argv)
    level = {0: logging.WARNING, 1: logging.INFO}.get(args.verbose, logging.DEBUG)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run = {"keepalive": _keepalive, "events": _events, "demo": _demo, "emulator": _emulator}
    try:
        asyncio.run(run.get(args.command, _call)(args))
        return 0
    except UsageError as exc:
        getattr(args, "_parser", parser).error(str(exc))
    except ApiError as exc:
        print(f"error: status {exc.status}, code {exc.code}: {exc.msg}", file=sys.stderr)
    except BinanceWsError as exc:
        print(f"error: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        return 130
    return 1
