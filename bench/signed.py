"""Signed calls: ``client.order.place()`` vs a raw websockets + json loop that signs the same.

Both talk to the same reply server (:mod:`bench.reply_server`) one call at a time, on
connections opened before timing starts. Per call, the raw loop does what a hand-written
trading client must: a fresh ``newClientOrderId`` (16 random bytes, hex), the timestamp,
and then

- ``hmac``: ``apiKey``, ``recvWindow`` and an HMAC-SHA256 signature of the sorted
  ``name=value`` payload, as the SDK does with ``api_secret=``;
- ``session``: nothing more: the connection logged on once (``session.logon``, Ed25519)
  and requests carry no ``apiKey`` or signature, as the SDK does with
  ``session_logon=True``.

It encodes with ``json.dumps`` and decodes each reply with ``json.loads``; the SDK also
checks the reply and builds the typed order. So the same run also times ``raw_typed``: the
HMAC raw loop that then builds the same typed reply with the SDK's converter
(``OrderPlaceResponse``, its order and its ``rateLimits``). It has no target: it splits the
gap into the typed decode (raw_typed/raw) and everything else the SDK does (sdk/raw_typed).
Also printed: what an Ed25519 (and an HMAC) signature costs per request, in µs, measured on
the signer alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import secrets
import statistics
import time
import timeit
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from websockets.asyncio.client import ClientConnection, connect

from binance_usdm_ws import AsyncClient, OrderPlaceResponse
from binance_usdm_ws._core.converter import CONVERTER
from binance_usdm_ws._core.signing import make_signer

from ._harness import Check, Ratio, alternate_async, paired_ratio, print_table, write_result
from .reply_server import reply_server
from .roundtrip import API_KEY, run_calls

__all__ = ["main"]

SECRET = "benchSecret0123456789benchSecret0123456789benchSecret0123456789"
TARGET = 0.95
ORDER = {
    "symbol": "BTCUSDT",
    "side": "BUY",
    "type": "LIMIT",
    "timeInForce": "GTC",
    "quantity": "0.01",
    "price": "40000",
}

_dumps = json.JSONEncoder(separators=(",", ":")).encode
# The hook the SDK's protocol looks up once per reply type, not CONVERTER.structure's dispatch.
_structure_order = CONVERTER.get_structure_hook(OrderPlaceResponse)


class RawSigned:
    """The baseline: a hand-written signed order loop (HMAC per request, or a session)."""

    def __init__(self, ws: ClientConnection, ed_key: ed25519.Ed25519PrivateKey | None) -> None:
        self._ws = ws
        self._ids = itertools.count()
        self._mac = hmac.new(SECRET.encode(), digestmod=hashlib.sha256)
        self._ed_key = ed_key

    async def logon(self) -> None:
        assert self._ed_key is not None
        params: dict[str, Any] = {"apiKey": API_KEY, "timestamp": int(time.time() * 1000)}
        payload = "&".join(f"{k}={v}" for k, v in sorted(params.items())).encode()
        params["signature"] = base64.b64encode(self._ed_key.sign(payload)).decode()
        await self._ws.send(_dumps({"id": "logon", "method": "session.logon", "params": params}))
        json.loads(await self._ws.recv())

    async def place_hmac(self) -> Any:
        params: dict[str, Any] = {
            **ORDER,
            "newClientOrderId": secrets.token_hex(16),
            "apiKey": API_KEY,
            "recvWindow": 5000,
            "timestamp": int(time.time() * 1000),
        }
        mac = self._mac.copy()
        mac.update("&".join(f"{k}={v}" for k, v in sorted(params.items())).encode())
        params["signature"] = mac.hexdigest()
        return await self._send(params)

    async def place_hmac_typed(self) -> OrderPlaceResponse:
        """:meth:`place_hmac`, then the SDK's typed reply built from the JSON (not a baseline:
        it splits the gap into the typed decode and the rest of what the SDK does)."""
        reply: OrderPlaceResponse = _structure_order(await self.place_hmac(), OrderPlaceResponse)
        return reply

    async def place_in_session(self) -> Any:
        params: dict[str, Any] = {
            **ORDER,
            "newClientOrderId": secrets.token_hex(16),
            "timestamp": int(time.time() * 1000),
        }
        return await self._send(params)

    async def _send(self, params: dict[str, Any]) -> Any:
        request = {"id": str(next(self._ids)), "method": "order.place", "params": params}
        await self._ws.send(_dumps(request))
        return json.loads(await self._ws.recv())


def sdk_place(client: AsyncClient) -> Callable[[], Awaitable[Any]]:
    quantity, price = Decimal(ORDER["quantity"]), Decimal(ORDER["price"])

    def place() -> Awaitable[Any]:
        return client.order.place(
            symbol="BTCUSDT", side="BUY", type="LIMIT", time_in_force="GTC",
            quantity=quantity, price=price,
        )  # fmt: skip

    return place


async def _scenario(url: str, calls: int, rounds: int) -> dict[str, Any]:
    ed_key = ed25519.Ed25519PrivateKey.generate()
    ed_pem = ed_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    async with (
        AsyncClient(API_KEY, api_secret=SECRET, url=url) as hmac_client,
        AsyncClient(API_KEY, private_key=ed_pem, session_logon=True, url=url) as session_client,
        AsyncClient(API_KEY, private_key=ed_pem, url=url) as ed_client,
        connect(url, compression=None) as ws_hmac,
        connect(url, compression=None) as ws_session,
        connect(url, compression=None) as ws_typed,
    ):
        raw_hmac, raw_session = RawSigned(ws_hmac, None), RawSigned(ws_session, ed_key)
        raw_typed = RawSigned(ws_typed, None)
        await raw_session.logon()
        callers: dict[str, Callable[[], Awaitable[Any]]] = {
            "sdk_hmac": sdk_place(hmac_client),
            "raw_hmac": raw_hmac.place_hmac,
            "raw_typed": raw_typed.place_hmac_typed,
            "sdk_session": sdk_place(session_client),
            "raw_session": raw_session.place_in_session,
            "sdk_ed25519": sdk_place(ed_client),
        }
        for call in callers.values():  # warm-up: connections, caches, converter hooks
            await run_calls(call, calls // 5, 1)
        contenders = {
            name: (lambda c=call: run_calls(c, calls, 1)) for name, call in callers.items()
        }
        return await alternate_async(rounds, contenders)


def _signer_us(signer: Callable[[dict[str, Any]], str]) -> float:
    params = {**ORDER, "newClientOrderId": "x" * 32, "apiKey": API_KEY, "timestamp": 1}
    runs = timeit.repeat(lambda: signer(params), number=2000, repeat=5)
    return min(runs) / 2000 * 1e6


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--calls", type=int, default=200, help="calls per round")
    args = parser.parse_args(argv)
    with reply_server() as url:
        samples = asyncio.run(_scenario(url, args.calls, args.rounds))
    rows: list[list[object]] = []
    ratios: dict[str, Ratio] = {}
    result: dict[str, Any] = {}
    pairs = {  # name: (a, b), compared as a/b; the last two split the HMAC gap, no target
        "hmac": ("sdk_hmac", "raw_hmac"),
        "session": ("sdk_session", "raw_session"),
        "hmac, sdk/raw_typed": ("sdk_hmac", "raw_typed"),
        "hmac, raw_typed/raw": ("raw_typed", "raw_hmac"),
    }
    for name, (a, b) in pairs.items():
        runs_a, runs_b = samples[a], samples[b]
        ratio = paired_ratio([s["calls_per_s"] for s in runs_a], [s["calls_per_s"] for s in runs_b])
        medians = [statistics.median(s[k] for s in runs) for runs in (runs_a, runs_b) for k in
                   ("calls_per_s", "cpu_us_per_call")]  # fmt: skip
        rows.append([name, medians[0], medians[2], str(ratio), medians[1], medians[3]])
        result[name] = {"ratio": ratio._asdict(), "medians": medians}
        ratios[name] = ratio
    ed = samples["sdk_ed25519"]
    ed_rate = statistics.median(s["calls_per_s"] for s in ed)
    ed_cpu = statistics.median(s["cpu_us_per_call"] for s in ed)
    rows.append(["sdk, ed25519 per request", ed_rate, "", "", ed_cpu, ""])
    print_table(
        f"signed order.place, one at a time, medians of {args.rounds} alternating rounds "
        "(a/b: median of the per-round ratios, their quartiles, the median's 95 % CI; "
        "a is sdk, b raw, unless named)",
        ["signing", "a calls/s", "b calls/s", "a/b", "a CPU µs/call", "b CPU µs/call"],
        rows,
    )
    ed_signer = make_signer(None, ed_pem_for_timing(), None)
    hmac_signer = make_signer(SECRET, None, None)
    assert ed_signer is not None and hmac_signer is not None
    cost = {"ed25519_us": _signer_us(ed_signer), "hmac_us": _signer_us(hmac_signer)}
    print(
        f"\n  signature alone, per request: Ed25519 {cost['ed25519_us']:.1f} µs, "
        f"HMAC-SHA256 {cost['hmac_us']:.1f} µs"
    )
    check = Check()
    for mode in ("hmac", "session"):
        check(f"signed order.place calls/s sdk/raw ({mode})", ratios[mode], ">=", TARGET)
    write_result(
        "signed",
        {"rounds": args.rounds, "scenarios": result, "signer": cost, "targets": check.results},
    )


def ed_pem_for_timing() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


if __name__ == "__main__":
    main()
