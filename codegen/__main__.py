"""``python -m codegen [--check] [--schema DIR] [--out DIR]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import DEFAULT_OUT, DEFAULT_SCHEMA, SchemaError, StaleError, check, generate, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m codegen",
        description="Regenerate the SDK's models and methods from schema/.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 with a diff when the generated files are stale",
    )
    parser.add_argument(
        "--schema",
        type=Path,
        default=DEFAULT_SCHEMA,
        help="schema directory (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="package directory to write into (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        files = generate(args.schema)
        if args.check:
            check(files, args.out)
            print(f"codegen: {len(files)} generated files in {args.out} are up to date")
            return 0
        changed = write(files, args.out)
    except SchemaError as exc:
        print(f"codegen: error: {exc}", file=sys.stderr)
        return 2
    except StaleError as exc:
        sys.stdout.write(str(exc))
        print(
            f"codegen: generated files in {args.out} are stale; run `python -m codegen`",
            file=sys.stderr,
        )
        return 1
    for path in changed:
        print(f"codegen: wrote {path}")
    if not changed:
        print(f"codegen: {len(files)} generated files in {args.out} were already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
