"""Scale: a keepalive fleet of 10,000 listenKeys on the emulator's clock.

The fleet (``client.keepalive_fleet``) keeps 10,000 keys alive for a few
simulated hours against the in-process emulator, both on one FakeClock, so
the run takes seconds. Reported: process CPU seconds per simulated hour and
peak RSS. Baseline, in the same run and alternating with it: the same number
of requests sent by a bare loop through the same client (no scheduler, no
pacing, no events), so the ratio is what keeping keys alive costs beyond the
requests themselves. The emulator runs in the same process, so both sides'
CPU includes the server's share.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from typing import Any

from binance_usdm_ws import AsyncClient, KeepaliveEvent, ListenKeyRenewalFailed
from binance_usdm_ws.testing import Emulator, FakeClock

from ._harness import Check, alternate_async, paired_ratio, print_table, write_result

__all__ = ["main"]

HOUR = 3600.0
IN_FLIGHT = 32


async def _fleet(keys: list[str], hours: float) -> dict[str, Any]:
    clock = FakeClock()
    failures = 0

    def count(event: KeepaliveEvent) -> None:
        nonlocal failures
        failures += isinstance(event, ListenKeyRenewalFailed)

    async with Emulator(api_keys=keys, clock=clock) as emulator:
        async with AsyncClient(url=emulator.url, clock=clock, timeout=30) as client:
            started = time.process_time()
            async with client.keepalive_fleet(keys, on_event=count, keep_keys=True) as fleet:
                await clock.run(hours * HOUR)
                alive = len(fleet.listen_keys)
            cpu = time.process_time() - started
    requests = emulator.calls["userDataStream.start"] + emulator.calls["userDataStream.ping"]
    return {
        "cpu_s": cpu,
        "requests": requests,
        "alive": alive,
        "failures": failures,
        "errors": dict(emulator.errors),
    }


async def _bare_loop(keys: list[str], requests: int) -> dict[str, Any]:
    async with Emulator(api_keys=keys, weight_limit=10**9) as emulator:
        async with AsyncClient(url=emulator.url, timeout=30, rate_limit="off") as client:
            slots = asyncio.Semaphore(IN_FLIGHT)

            async def one(i: int) -> None:
                async with slots:
                    await client.user_data_stream.start(api_key=keys[i % len(keys)])

            started = time.process_time()
            await asyncio.gather(*(one(i) for i in range(requests)))
            cpu = time.process_time() - started
    return {"cpu_s": cpu, "requests": requests}


async def _run(keys: int, hours: float, rounds: int) -> dict[str, Any]:
    names = [f"fleetKey{i:05d}" for i in range(keys)]
    first = await _fleet(names, hours)  # also tells how many requests the baseline sends
    requests = first["requests"]
    samples = await alternate_async(
        rounds,
        {
            "fleet": lambda: _fleet(names, hours),
            "bare loop": lambda: _bare_loop(names, requests),
        },
    )
    return {"first": first, "samples": samples, "requests": requests}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=10_000)
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    result = asyncio.run(_run(args.keys, args.hours, args.rounds))
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    fleet = [s["cpu_s"] for s in result["samples"]["fleet"]]
    bare = [s["cpu_s"] for s in result["samples"]["bare loop"]]
    ratio = paired_ratio(fleet, bare)
    per_hour = sorted(fleet)[len(fleet) // 2] / args.hours
    print_table(
        f"keepalive fleet: {args.keys:,} keys, {args.hours:g} simulated hours, "
        f"{result['requests']:,} requests",
        ["contender", "CPU s (median)", "CPU µs per request"],
        [
            [
                name,
                sorted(cpu)[len(cpu) // 2],
                sorted(cpu)[len(cpu) // 2] / result["requests"] * 1e6,
            ]
            for name, cpu in (("fleet", fleet), ("bare loop", bare))
        ],
    )
    failures = [s["failures"] for s in result["samples"]["fleet"]]
    alive = [s["alive"] for s in result["samples"]["fleet"]]
    print(f"\n  CPU per simulated hour: {per_hour:.2f} s; peak RSS {peak_rss / 2**20:.0f} MiB")
    print(
        f"  fleet / bare loop CPU: {ratio}; keys alive at the end: {alive}; "
        f"renewal failures: {failures}; server errors: {result['first']['errors']}"
    )
    check = Check()
    check("fleet CPU / bare loop CPU, same requests", ratio, "<=", 1.5)
    check("keys alive at the end (share)", min(alive) / args.keys, ">=", 1.0)
    write_result(
        "keepalive_fleet",
        {
            "keys": args.keys,
            "simulated_hours": args.hours,
            "requests": result["requests"],
            "cpu_s": {"fleet": fleet, "bare_loop": bare},
            "cpu_s_per_simulated_hour": per_hour,
            "peak_rss_bytes": peak_rss,
            "ratio_fleet_to_bare": ratio._asdict(),
            "renewal_failures": failures,
            "targets": check.results,
        },
    )


if __name__ == "__main__":
    main()
