"""Import: fresh `from binance_usdm_ws import AsyncClient` vs `import websockets.asyncio.client`.

Each round starts a new interpreter per statement (wall clock around the
whole process, so interpreter start-up is in both and cancels out in the
difference). Bytecode caches are allowed, as on an installed package: the
environment's ``PYTHONDONTWRITEBYTECODE`` is dropped and a warm-up run writes
them first. ``-X importtime`` of ``import binance_usdm_ws`` then names the
modules the SDK adds on top of websockets, by their own import time.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

from ._harness import Check, alternate, print_table, write_result

__all__ = ["main"]

STATEMENTS = {
    "sdk": "from binance_usdm_ws import AsyncClient",
    "websockets": "import websockets.asyncio.client",
    "python": "pass",
}
TARGET_EXTRA_S = 0.030
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], env=_ENV, capture_output=True, text=True, check=True
    )


def _timed(statement: str) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        _python("-c", statement)
        return time.perf_counter() - start

    return run


def import_times(statement: str, runs: int = 5) -> dict[str, int]:
    """Each module's own import time in µs (``-X importtime``), the best of ``runs``."""
    best: dict[str, int] = {}
    for _ in range(runs):
        for line in _python("-X", "importtime", "-c", statement).stderr.splitlines():
            match = _IMPORTTIME.match(line)
            if match:
                name, self_us = match.group(4), int(match.group(1))
                best[name] = min(best.get(name, self_us), self_us)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=41)
    args = parser.parse_args(argv)
    contenders = {name: _timed(statement) for name, statement in STATEMENTS.items()}
    for run in contenders.values():
        run()  # warm-up: writes bytecode caches, fills the OS page cache
    samples = alternate(args.rounds, contenders)
    med = {name: statistics.median(values) for name, values in samples.items()}
    extra = statistics.median(
        [s - w for s, w in zip(samples["sdk"], samples["websockets"], strict=True)]
    )
    # Interference only ever adds time: the fastest round of each is the least disturbed.
    extra_min = min(samples["sdk"]) - min(samples["websockets"])
    print_table(
        f"import, wall ms of a fresh interpreter, median of {args.rounds} alternating rounds",
        ["statement", "ms", "minus `pass` ms"],
        [[STATEMENTS[n], med[n] * 1e3, (med[n] - med["python"]) * 1e3] for n in STATEMENTS],
    )
    print(
        f"\n  sdk - websockets: {extra * 1e3:.1f} ms (median of the per-round differences); "
        f"{extra_min * 1e3:.1f} ms between the fastest runs"
    )

    sdk_modules = import_times("import binance_usdm_ws")
    ws_modules = import_times(STATEMENTS["websockets"])
    added = {m: us for m, us in sdk_modules.items() if m not in ws_modules}
    top = sorted(added.items(), key=lambda item: -item[1])[:15]
    print_table(
        "-X importtime: modules `import binance_usdm_ws` adds to websockets', own time (best of 5)",
        ["module", "ms"],
        [[m, us / 1e3] for m, us in top] + [["(all added modules)", sum(added.values()) / 1e3]],
    )
    check = Check()
    check("import sdk - websockets (ms)", extra * 1e3, "<=", TARGET_EXTRA_S * 1e3)
    write_result(
        "imports",
        {
            "rounds": args.rounds,
            "statements": STATEMENTS,
            "samples_s": samples,
            "median_s": med,
            "sdk_minus_websockets_s": extra,
            "sdk_minus_websockets_fastest_s": extra_min,
            "added_modules_us": dict(sorted(added.items(), key=lambda item: -item[1])),
            "targets": check.results,
        },
    )


if __name__ == "__main__":
    main()
