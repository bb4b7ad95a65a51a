"""Reliability report: every fault of the emulator against the client, plus fuzzing.

Writes docs/reliability.md (and prints it). Rerun with:

    .venv/bin/python scripts/reliability.py            # or: make reliability

For each fault, calls go through a client while the emulator applies that
fault to a share of its replies. Every call must end (result or one of the
SDK's exceptions) within its timeout, and every result must be the call's own
reply. "Lost" counts calls that hung, raised something else, or got another
call's reply: it must be 0. Fuzzing counts what escaped the frame decoder,
the converter and the emulator other than the SDK's own exceptions: 0 too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import platform
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import attrs
import websockets.version

from binance_usdm_ws import (
    AsyncClient,
    BinanceWsError,
    ConnectionSettings,
    UserDataStreamPingResponse,
)
from binance_usdm_ws._core.protocol import Protocol
from binance_usdm_ws._generated import models as _models
from binance_usdm_ws.errors import OrderStatusUnknownError
from binance_usdm_ws.testing import FAULT_KINDS, Emulator, FakeClock
from binance_usdm_ws.testing._emulator import _Session

ROOT = Path(__file__).resolve().parent.parent
KEYS = [f"reportKey{i:02d}" for i in range(20)]
CALLS_PER_FAULT = 400
MIXED_CALLS = 10_000
IN_FLIGHT = 25
TIMEOUT = 3.0
SEED = 20261126
ORDER_CALLS = 10_000
ORDER_FAULTS = ("drop", "drop_unprocessed", "drop_mid_reply", "delay", "fail_503")
ORDER_SECRET = "reliabilitySecret" * 4
# Resting orders (below the market), each account's spread over the three symbols.
ORDER_BOOKS = {"BTCUSDT": ("40000", "0.01"), "ETHUSDT": ("2000", "0.01"), "BNBUSDT": ("500", "0.1")}


async def run_calls(
    configure: Any, calls: int, *, seed: int, client_options: dict[str, Any] | None = None
) -> tuple[Counter[str], dict[str, int]]:
    """Run ``calls`` pings under the faults ``configure(emulator)`` arms; count the outcomes."""
    outcomes: Counter[str] = Counter()
    options = {"timeout": TIMEOUT, "rate_limit": "off", **(client_options or {})}
    async with Emulator(api_keys=KEYS, weight_limit=10**9) as emulator:
        async with AsyncClient(url=emulator.url, **options) as client:
            await asyncio.gather(*(client.user_data_stream.start(api_key=k) for k in KEYS))
            expected = {k: emulator.listen_key(k) for k in KEYS}
            configure(emulator)
            rng = random.Random(seed)
            slots = asyncio.Semaphore(IN_FLIGHT)
            ids: set[Any] = set()

            async def one(key: str) -> None:
                async with slots:
                    try:
                        reply = await asyncio.wait_for(
                            client.user_data_stream.ping(api_key=key), TIMEOUT * 4
                        )
                    except BinanceWsError as error:
                        outcomes[type(error).__name__] += 1
                        return
                    except asyncio.TimeoutError:
                        outcomes["LOST: hung"] += 1
                        return
                    except Exception as error:  # anything else escaping is a bug
                        outcomes[f"LOST: {type(error).__name__}"] += 1
                        return
                    if reply.result.listen_key != expected[key] or reply.id in ids:
                        outcomes["LOST: another call's reply"] += 1
                    else:
                        ids.add(reply.id)
                        outcomes["ok"] += 1

            await asyncio.gather(*(one(rng.choice(KEYS)) for _ in range(calls)))
            applied = dict(emulator.faults.applied)
    return outcomes, applied


@attrs.define
class OrderReport:
    """What :func:`run_orders` saw: outcomes of the calls and of resolving the unknowns."""

    calls: int
    outcomes: Counter[str]
    resolved: Counter[str]
    applied: dict[str, int]
    duplicates: int
    """Client order ids held by more than one order in the emulator's books."""
    mismatches: int
    """Calls whose outcome disagrees with the emulator's books (placed, but not there; or
    resolved "not placed", but there)."""
    duplicate_rejections: int
    """-4116 replies: an order id sent twice."""

    @property
    def bad(self) -> int:
        lost = sum(n for k, n in self.outcomes.items() if k.startswith("LOST"))
        unknown_left = self.resolved["still unknown"]
        return lost + unknown_left + self.duplicates + self.mismatches + self.duplicate_rejections


async def run_orders(
    calls: int, *, seed: int, rate: float = 0.1, accounts: int = 100, timeout: float = TIMEOUT
) -> OrderReport:
    """Place ``calls`` orders (HMAC-signed, ``IN_FLIGHT`` at a time, ``accounts`` accounts)
    while the emulator drops connections before and after executing requests, delays
    replies and answers 503 to a share ``rate`` of them; then resolve every
    :class:`OrderStatusUnknownError` and check both against the emulator's books."""
    keys = [f"orderKey{i:03d}" for i in range(accounts)]
    outcomes: Counter[str] = Counter()
    unknown: list[tuple[str, OrderStatusUnknownError]] = []
    placed: list[tuple[str, str]] = []
    emulator = Emulator(
        api_keys=keys, api_secrets=dict.fromkeys(keys, ORDER_SECRET), weight_limit=10**9
    )
    async with emulator:
        client = AsyncClient(
            api_secret=ORDER_SECRET, url=emulator.url, timeout=timeout, recv_window=1000
        )
        async with client:
            emulator.faults.chaos(rate=rate, seed=seed, kinds=ORDER_FAULTS)
            rng = random.Random(seed)
            slots = asyncio.Semaphore(IN_FLIGHT)

            async def one(key: str, symbol: str) -> None:
                price, quantity = ORDER_BOOKS[symbol]
                async with slots:
                    try:
                        reply = await asyncio.wait_for(
                            client.order.place(
                                api_key=key,
                                symbol=symbol,
                                side="BUY",
                                type="LIMIT",
                                time_in_force="GTC",
                                price=price,
                                quantity=quantity,
                            ),  # fmt: skip
                            timeout + 1,
                        )
                    except OrderStatusUnknownError as error:
                        outcomes["OrderStatusUnknownError"] += 1
                        unknown.append((key, error))
                    except BinanceWsError as error:
                        outcomes[type(error).__name__] += 1
                    except asyncio.TimeoutError:
                        outcomes["LOST: not over within its timeout"] += 1
                    except Exception as error:  # anything else escaping is a bug
                        outcomes[f"LOST: {type(error).__name__}"] += 1
                    else:
                        outcomes["placed"] += 1
                        placed.append((key, reply.result.client_order_id))

            await asyncio.gather(
                *(one(rng.choice(keys), rng.choice(list(ORDER_BOOKS))) for _ in range(calls))
            )
            applied = dict(emulator.faults.applied)
            emulator.faults.clear()
            resolved: Counter[str] = Counter()
            gone: list[tuple[str, str]] = []

            async def resolve(key: str, error: OrderStatusUnknownError) -> None:
                async with slots:
                    try:
                        order = await client.resolve_order(error)
                    except BinanceWsError:
                        resolved["still unknown"] += 1
                        return
                assert error.client_order_id is not None
                if order is None:
                    resolved["not placed"] += 1
                    gone.append((key, error.client_order_id))
                else:
                    resolved["placed"] += 1
                    placed.append((key, error.client_order_id))

            await asyncio.gather(*(resolve(key, error) for key, error in unknown))
        books = {
            key: Counter(o.client_order_id for o in emulator.account(key).orders.values())
            for key in keys
        }
    duplicates = sum(n > 1 for book in books.values() for n in book.values())
    mismatches = sum(books[k][c] != 1 for k, c in placed) + sum(books[k][c] for k, c in gone)
    return OrderReport(
        calls, outcomes, resolved, applied, duplicates, mismatches, emulator.errors[-4116]
    )


def fuzz_protocol(frames: int, rng: random.Random) -> tuple[int, int]:
    """Feed random frames to the decoder; return (frames, exceptions that escaped)."""
    escaped = 0
    for start in range(0, frames, 50):
        ids = (f"r{i}" for i in itertools.count())
        protocol: Protocol[int] = Protocol(id_factory=ids.__next__)
        for waiter in range(5):
            request_id, _ = protocol.encode("userDataStream.ping", {})
            protocol.register(request_id, "userDataStream.ping", UserDataStreamPingResponse, waiter)
        for _ in range(min(50, frames - start)):
            try:
                protocol.receive(random_frame(rng, reply_like=True))
            except Exception:
                escaped += 1
    return frames, escaped


def fuzz_converter(values: int, rng: random.Random) -> tuple[int, int]:
    """Decode random reply bodies as every model (through the protocol, as replies are);
    return (values, exceptions that escaped, or errors other than ProtocolError)."""
    models = [m for n in _models.__all__ if attrs.has(m := getattr(_models, n))]
    protocol: Protocol[int] = Protocol(id_factory=lambda: "r1")
    escaped = 0
    for _ in range(values):
        value = random_value(rng, reply_like=True)
        body = value if isinstance(value, dict) else {"result": value}
        protocol.register("r1", "m", rng.choice(models), 0)
        try:
            outcomes = protocol.receive(json.dumps({**body, "id": "r1", "status": 200}))
        except Exception:
            escaped += 1
            continue
        escaped += sum(1 for o in outcomes if o.error is not None and "decode" not in str(o.error))
    return values, escaped


def fuzz_emulator(frames: int, rng: random.Random) -> tuple[int, int]:
    """Feed random frames to the emulator; count replies that are not documented errors."""
    emulator = Emulator(api_keys={"k1"}, clock=FakeClock())
    session = _Session(True, 0)
    bad = 0
    for _ in range(frames):
        try:
            reply = json.loads(emulator.handle(session, random_frame(rng, reply_like=False)))
            ok = reply["status"] == 200 or (
                reply["status"] in (400, 401, 429) and set(reply["error"]) == {"code", "msg"}
            )
        except Exception:
            ok = False
        bad += not ok
    return frames, bad


JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**63,
    1.5,
    "",
    "x" * 50,
    [],
    {},
    [1, [2]],
    {"a": {"b": None}},
]


def random_value(rng: random.Random, *, reply_like: bool) -> Any:
    if not reply_like or rng.random() < 0.3:
        return rng.choice(JUNK)
    keys = ("id", "status", "result", "error", "rateLimits")
    value: dict[str, Any] = {k: rng.choice(JUNK) for k in keys if rng.random() < 0.6}
    if rng.random() < 0.5:
        value["id"] = f"r{rng.randrange(8)}"
        value["status"] = rng.choice([200, 400, 401, 418, 429, 503])
        if rng.random() < 0.5:
            value["result"] = {"listenKey": rng.choice(["k", 5, None])}
        else:
            value["error"] = {"code": rng.choice([-1125, "x"]), "msg": rng.choice(["m", None])}
    return value


def random_frame(rng: random.Random, *, reply_like: bool) -> str | bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(40))
    if kind == 1:
        return "".join(chr(rng.randrange(32, 0x2FF)) for _ in range(rng.randrange(40)))
    if kind == 2:
        return "[" * 3000 + "]" * 3000
    if reply_like:
        return json.dumps(random_value(rng, reply_like=True))
    message = {
        k: rng.choice([*JUNK, "session.status", "userDataStream.ping", {"apiKey": "k1"}])
        for k in ("id", "method", "params")
        if rng.random() < 0.8
    }
    return json.dumps(message)


async def main() -> int:
    for name in ("binance_usdm_ws", "asyncio"):  # faults log warnings by design
        logging.getLogger(name).setLevel(logging.CRITICAL)
    started = time.perf_counter()
    rows: list[tuple[str, Counter[str], int]] = []
    scenarios: list[tuple[str, Any, dict[str, Any] | None]] = [
        (kind, lambda e, k=kind: e.faults.chaos(rate=0.25, seed=SEED, kinds=[k]), None)
        for kind in FAULT_KINDS
    ]
    scenarios.append(
        ("explicit reorder of 10 replies", lambda e: e.faults.reorder_replies(10), None)
    )
    scenarios.append(
        (
            "unanswered pings",
            lambda e: e.faults.ignore_pings(),
            {"connection": ConnectionSettings(ping_interval=0.05, ping_timeout=0.1)},
        )
    )
    for name, configure, options in scenarios:
        outcomes, applied = await run_calls(
            configure, CALLS_PER_FAULT, seed=SEED, client_options=options
        )
        rows.append((name, outcomes, sum(applied.values())))
    mixed, mixed_applied = await run_calls(
        lambda e: e.faults.chaos(rate=0.05, seed=SEED), MIXED_CALLS, seed=SEED
    )
    rows.append(
        (
            f"all faults mixed, 5 % of replies, {MIXED_CALLS} calls",
            mixed,
            sum(mixed_applied.values()),
        )
    )
    orders = await run_orders(ORDER_CALLS, seed=SEED)
    rng = random.Random(SEED)
    fuzz = [
        ("frames into the client's decoder (Protocol.receive)", *fuzz_protocol(100_000, rng)),
        (
            "reply bodies decoded as every model (through Protocol.receive)",
            *fuzz_converter(50_000, rng),
        ),
        ("client frames into the emulator (Emulator.handle)", *fuzz_emulator(50_000, rng)),
    ]
    lost = sum(n for _, c, _ in rows for k, n in c.items() if k.startswith("LOST"))
    calls = sum(sum(c.values()) for _, c, _ in rows)
    escaped = sum(e for _, _, e in fuzz)

    lines = [
        "# Reliability report",
        "",
        "Produced by `scripts/reliability.py` (`make reliability`); rerun it to check. "
        f"Seed {SEED}; Python {platform.python_version()}, "
        f"websockets {websockets.version.version}; {time.perf_counter() - started:.0f} s.",
        "",
        f"Each fault: {CALLS_PER_FAULT} `userDataStream.ping` calls, {IN_FLIGHT} in flight, "
        f"{len(KEYS)} API keys, timeout {TIMEOUT:g} s, the emulator applying the fault to 25 % of "
        "replies (`Emulator.faults.chaos`). Retries: the client's default (2, these methods are "
        "idempotent). *Lost* = hung, an exception that is not the SDK's, or another call's reply.",
        "",
        "| fault | times applied | ok | SDK exceptions | lost |",
        "|---|---:|---:|---|---:|",
    ]
    for name, outcomes, times in rows:
        errors = (
            ", ".join(
                f"{k} {n}"
                for k, n in sorted(outcomes.items())
                if k != "ok" and not k.startswith("LOST")
            )
            or "none"
        )
        row_lost = sum(n for k, n in outcomes.items() if k.startswith("LOST"))
        lines.append(f"| {name} | {times} | {outcomes['ok']} | {errors} | {row_lost} |")
    lines += [
        "",
        f"**{calls} calls, {lost} lost.**",
        "",
        "## Orders: never twice, never lost",
        "",
        f"{orders.calls} `order.place` calls (HMAC-signed LIMIT orders, {IN_FLIGHT} in flight, "
        f"100 accounts, timeout {TIMEOUT:g} s, `recv_window` 1000 ms) while the emulator applies "
        f"one of {', '.join(f'`{k}`' for k in ORDER_FAULTS)} at random (`faults.chaos(rate=0.1)`): "
        "connections dropped before the order is executed and after (its reply lost, or cut in "
        "the middle), replies delayed, 503 after execution. A dropped connection leaves every "
        "order in flight on it unknown. The SDK never sends an order call twice: each "
        "ends with its order or `OrderStatusUnknownError`, and `client.resolve_order` then "
        "settles every unknown (`order.status` by client order id).",
        "",
        "| | count |",
        "|---|---:|",
        *(f"| {k} | {n} |" for k, n in sorted(orders.outcomes.items())),
        *(f"| unknown, resolved: {k} | {n} |" for k, n in sorted(orders.resolved.items())),
        f"| faults applied | {sum(orders.applied.values())} |",
        f"| client order ids held by two orders (duplicates) | {orders.duplicates} |",
        f"| -4116 ClientOrderId is duplicated | {orders.duplicate_rejections} |",
        f"| outcomes the emulator's books contradict | {orders.mismatches} |",
        "",
        f"**{orders.calls} orders: {orders.bad} duplicated, lost or left unknown.**",
        "",
        "## Fuzzing",
        "",
        "| input | count | escaped (not the SDK's exception / not a documented reply) |",
        "|---|---:|---:|",
        *(f"| {name} | {count} | {bad} |" for name, count, bad in fuzz),
        "",
        f"**{sum(c for _, c, _ in fuzz)} inputs, {escaped} escaped.** "
        "The property-based tests (`tests/test_fuzz.py`, hypothesis) run the same checks on "
        "every `make test`.",
        "",
    ]
    report = "\n".join(lines)
    (ROOT / "docs").mkdir(exist_ok=True)
    (ROOT / "docs" / "reliability.md").write_text(report)
    print(report)
    return 1 if lost or escaped or orders.bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
