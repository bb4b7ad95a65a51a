"""Codec: what the SDK does to one call's bytes vs ``json.dumps``/``json.loads`` of plain dicts.

SDK: ``Protocol.encode`` and ``register`` (request id, encode the request, await it) then
``Protocol.receive`` of the reply (decode the JSON, find the request by id,
structure the generated ``UserDataStreamPingResponse`` model with its
``RateLimit`` list). Baseline: ``json.dumps`` of the same request dict and
``json.loads`` of the same reply text. Both use the reply the reply server
sends (:func:`bench.reply_server.reply_to`); ids come from a counter in
the baseline (as strings) and from the SDK's own id factory (integers) in the SDK.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import time
from collections.abc import Callable

from binance_usdm_ws import UserDataStreamPingResponse
from binance_usdm_ws._core.protocol import Protocol

from ._harness import Check, alternate, paired_ratio, print_table, write_result
from .reply_server import reply_to
from .roundtrip import API_KEY

__all__ = ["main"]


def sdk_codec(n: int) -> Callable[[], float]:
    protocol: Protocol[None] = Protocol()
    encode, register, receive = protocol.encode, protocol.register, protocol.receive
    method, params, response = (
        "userDataStream.ping",
        {"apiKey": API_KEY},
        UserDataStreamPingResponse,
    )

    def run() -> float:
        start = time.perf_counter()
        for _ in range(n):
            request_id, _text = encode(method, params)
            register(request_id, method, response, None)
            [_outcome] = receive(reply_to(request_id))
        return (time.perf_counter() - start) / n * 1e6

    return run


def json_codec(n: int) -> Callable[[], float]:
    ids = itertools.count()
    dumps, loads = json.dumps, json.loads

    def run() -> float:
        start = time.perf_counter()
        for _ in range(n):
            request_id = str(next(ids))
            _text = dumps(
                {"id": request_id, "method": "userDataStream.ping", "params": {"apiKey": API_KEY}}
            )
            _reply = loads(reply_to(request_id))
        return (time.perf_counter() - start) / n * 1e6

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--messages", type=int, default=2000, help="request/reply pairs per round")
    args = parser.parse_args(argv)
    contenders = {"sdk": sdk_codec(args.messages), "json": json_codec(args.messages)}
    for run in contenders.values():
        run()  # warm-up: the converter builds its structure functions on first use
    samples = alternate(args.rounds, contenders)
    sdk, plain = statistics.median(samples["sdk"]), statistics.median(samples["json"])
    ratio = paired_ratio(samples["sdk"], samples["json"])
    print_table(
        f"codec, one ping request + reply, µs per message, "
        f"median of {args.rounds} alternating rounds",
        ["", "sdk µs", "json µs", "sdk/json (quartiles; CI)"],
        [["encode + decode", sdk, plain, str(ratio)]],
    )
    check = Check()
    check("codec sdk/json", ratio, "<=", 2.0)
    write_result(
        "codec",
        {
            "rounds": args.rounds,
            "messages_per_round": args.messages,
            "samples_us": samples,
            "median_us": {"sdk": sdk, "json": plain},
            "ratio": ratio._asdict(),
            "targets": check.results,
        },
    )


if __name__ == "__main__":
    main()
