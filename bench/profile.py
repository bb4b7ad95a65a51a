"""Profile: where the client's CPU goes per call, SDK vs raw loop (cProfile, 50 in flight).

Not a benchmark (cProfile slows every Python call, so no timing is reported
as such): it shows each layer's share of the client's own time, and the
functions that cost the most, for the SDK and for the raw loop of
:mod:`bench.roundtrip` on the same reply server. ``bench/RESULTS.md``
summarises its output.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
from collections import Counter
from typing import Any

from websockets.asyncio.client import connect

from binance_usdm_ws import AsyncClient

from ._harness import print_table, write_result
from .reply_server import reply_server
from .roundtrip import API_KEY, RawClient, run_calls

__all__ = ["main"]

IN_FLIGHT = 50
LAYERS = [  # first match wins, on "path:function"
    ("cattrs + attrs (decoding)", ("cattrs", "attrs generated", "/attr/")),
    ("sdk (binance_usdm_ws)", ("binance_usdm_ws",)),
    ("json", ("/json/", "_json")),
    ("websockets", ("websockets",)),
    ("asyncio + selectors", ("asyncio", "selectors", "contextlib")),
    ("bench (calls, raw loop)", ("bench",)),
]


def _layer(path: str, function: str) -> str:
    where = f"{path}:{function}"
    for layer, needles in LAYERS:
        if any(needle in where for needle in needles):
            return layer
    if path == "~":  # a builtin: name it by what it does
        return (
            "sockets + os"
            if any(s in function for s in ("socket", "posix", "urandom"))
            else "builtins"
        )
    return "other"


def _summary(stats: pstats.Stats, calls: int, top: int) -> dict[str, Any]:
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    layers: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for (path, line, function), (_, _, own, _, _) in raw.items():
        layers[_layer(path, function)] += own
        short = path.rsplit("site-packages/", 1)[-1].rsplit("lib/python3", 1)[-1]
        functions[f"{function} ({short.split('/')[-1]}:{line})" if path != "~" else function] += own
    return {
        "calls": calls,
        "own_us_per_call": total / calls * 1e6,
        "layers_us_per_call": {k: v / calls * 1e6 for k, v in layers.most_common()},
        "top_functions_us_per_call": {k: v / calls * 1e6 for k, v in functions.most_common(top)},
    }


async def _profile(url: str, calls: int) -> dict[str, dict[str, Any]]:
    out = {}
    async with (
        AsyncClient(api_key=API_KEY, url=url) as client,
        connect(url, compression=None) as ws,
    ):
        raw = RawClient(ws)
        for name, call in (("sdk", client.user_data_stream.ping), ("raw", raw.call_multiplexed)):
            await run_calls(call, 2 * IN_FLIGHT, IN_FLIGHT)  # warm-up
            profiler = cProfile.Profile()
            profiler.enable()
            await run_calls(call, calls, IN_FLIGHT)
            profiler.disable()
            out[name] = _summary(pstats.Stats(profiler), calls, top=40)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args(argv)
    with reply_server() as url:
        result = asyncio.run(_profile(url, args.calls))
    sdk, raw = result["sdk"], result["raw"]
    layers = list(dict.fromkeys([*sdk["layers_us_per_call"], *raw["layers_us_per_call"]]))
    print_table(
        f"cProfile own time per call by layer, µs (profiled: inflated), {IN_FLIGHT} in flight",
        ["layer", "sdk", "raw", "sdk - raw"],
        [
            [
                layer,
                s := sdk["layers_us_per_call"].get(layer, 0.0),
                r := raw["layers_us_per_call"].get(layer, 0.0),
                s - r,
            ]
            for layer in layers
        ]
        + [
            [
                "total",
                sdk["own_us_per_call"],
                raw["own_us_per_call"],
                sdk["own_us_per_call"] - raw["own_us_per_call"],
            ]
        ],
    )
    for name in ("sdk", "raw"):
        print_table(
            f"{name}: top functions by own time, µs per call (profiled)",
            ["function", "µs"],
            list(result[name]["top_functions_us_per_call"].items()),
        )
    write_result("profile", result)


if __name__ == "__main__":
    main()
