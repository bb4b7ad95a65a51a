"""``python -m bench [NAME ...]``: run the benchmarks, each in its own process, then sum up.

Every benchmark writes ``bench/results/<name>.json``; the summary reads the
targets back from the files this run wrote. The exit status is 0 when every
benchmark ran (a missed target is reported, not an error), 1 otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from ._harness import RESULTS_DIR, print_table

__all__ = ["BENCHMARKS", "main"]

BENCHMARKS = ["codec", "roundtrip", "signed", "memory", "imports", "keepalive_fleet", "paper"]


def main(argv: list[str]) -> int:
    names = argv or BENCHMARKS
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {BENCHMARKS}", file=sys.stderr)
        return 2
    started = time.time()
    status: dict[str, str] = {}
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        code = subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False).returncode
        status[name] = "ran" if code == 0 else f"FAILED (exit {code})"
    rows = []
    for name in names:
        path = RESULTS_DIR / f"{name}.json"
        fresh = status[name] == "ran" and path.exists() and path.stat().st_mtime >= started
        targets = json.loads(path.read_text())["targets"] if fresh else []
        rows += [
            [
                name,
                status[name],
                t["name"],
                f"{t['value']:.3f} {t['op']} {t['target']:g}",
                ("met" if t["met"] else "MISSED")
                + ("" if t.get("settled", True) else " (not settled: the CI holds the target)"),
            ]
            for t in targets
        ] or [[name, status[name], "", "", ""]]
    print_table(
        f"summary ({time.time() - started:.0f} s)",
        ["benchmark", "status", "target", "value", ""],
        rows,
    )
    return 0 if all(s == "ran" for s in status.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
