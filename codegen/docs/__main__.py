"""``python -m codegen.docs {import,check} PAGE.md [...] [--schema DIR]``.

Exit status: 0 done (``check``: the pages and schema/ agree), 1 ``check`` found
drift, 2 a page or schema file cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import DEFAULT_SCHEMA
from . import DocsError, Outcome, import_pages

__all__ = ["main", "report"]


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def report(outcome: Outcome, *, imported: bool) -> str:
    """The readable list of one page's changes; once ``imported``, also what to review."""
    path, page = _shown(outcome.path), outcome.page.name
    lines: list[str] = []
    if outcome.created:
        head = (
            f"{path}: new, from {page}"
            if imported
            else f"{path}: missing; {page} documents a new method"
        )
    elif outcome.changes:
        head = f"{path}: {'updated from' if imported else 'differs from'} {page}"
        lines = [f"  {change}" for change in outcome.changes]
    else:
        head = f"{path}: agrees with {page}"
        if imported and outcome.rewrites:
            head += "; the page is recorded in x-binance.source"
    if imported:
        lines += [f"  note: {note}" for note in outcome.notes]
    return "\n".join([head, *lines]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m codegen.docs",
        description="Import Binance API docs pages (Markdown) into schema/methods/, or check "
        "that schema/ still agrees with them.",
    )
    parser.add_argument(
        "command",
        choices=["import", "check"],
        help="import: write or merge the method schemas; check: write nothing, exit 1 on drift",
    )
    parser.add_argument("pages", nargs="+", type=Path, metavar="PAGE.md")
    parser.add_argument(
        "--schema",
        type=Path,
        default=DEFAULT_SCHEMA,
        help="schema directory (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    importing = args.command == "import"
    try:
        outcomes = import_pages(args.pages, args.schema, write=importing)
    except DocsError as exc:
        print(f"codegen.docs: error: {exc}", file=sys.stderr)
        return 2
    for outcome in outcomes:
        sys.stdout.write(report(outcome, imported=importing))
    drifted = sum(1 for o in outcomes if o.changes)
    if importing:
        print(f"codegen.docs: imported {len(outcomes)} page(s); {drifted} changed schema/")
        return 0
    if drifted:
        print(
            f"codegen.docs: {drifted} of {len(outcomes)} page(s) disagree with schema/; "
            'run `make regen PAGES="..."` and review the diff',
            file=sys.stderr,
        )
        return 1
    print(f"codegen.docs: {len(outcomes)} page(s) agree with schema/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
