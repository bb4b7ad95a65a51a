"""PLACEHOLDER, NOT A BENCHMARK YET: a keepalive fleet of 10,000 keys (issue 6, item 4).

It is to measure the keepalive service keeping 10,000 listenKeys alive on the
emulator's clock: CPU seconds per simulated hour and peak RSS. That service
does not exist yet (it is being built in parallel), so this script only says
so and exits with status 77 ("skipped"); it reports no numbers.
"""

from __future__ import annotations

import sys

__all__ = ["SKIPPED", "main"]

SKIPPED = 77
MESSAGE = (
    "keepalive_fleet: SKIPPED: needs the keepalive service (issue 6, item 4), "
    "which is not in binance_usdm_ws yet; no numbers are reported"
)


def main(argv: list[str] | None = None) -> None:
    print(MESSAGE, file=sys.stderr)
    raise SystemExit(SKIPPED)


if __name__ == "__main__":
    main()
