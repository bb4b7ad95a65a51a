"""``python -m codegen.docs {import,check} PAGE.md [...] [--schema DIR]``.

Every page is imported (or checked) that can be; a page that cannot be read is
reported as ``FILE:LINE: why`` and the others still go on. Exit status: 0 done
(``check``: the pages and schema/ agree); 1 a page could not be imported, or
``check`` found drift; 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import DEFAULT_SCHEMA
from . import DocsError, Outcome, import_each, read_enums

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
    parser.add_argument(
        "--enums",
        type=Path,
        action="append",
        default=[],
        metavar="PAGE.md",
        help="a docs page of enum definitions, for ENUM parameters whose description does not "
        "list their values (repeatable)",
    )
    args = parser.parse_args(argv)
    importing = args.command == "import"
    try:
        enums = read_enums(args.enums)
    except DocsError as exc:
        print(f"codegen.docs: error: {exc}", file=sys.stderr)
        return 1
    run = import_each(args.pages, args.schema, write=importing, enums=enums)
    for result in run.results:
        if isinstance(result, Outcome):
            sys.stdout.write(report(result, imported=importing))
        else:
            print(f"codegen.docs: error: {result}", file=sys.stderr)
    outcomes, errors = run.outcomes, run.errors
    # a page of several methods gives one result per method section: count those then
    unit = "page(s)" if len(run.results) == len(args.pages) else "method section(s)"
    drifted = sum(1 for o in outcomes if o.changes)
    failed = f"; {len(errors)} could not be read (see the errors)" if errors else ""
    if importing:
        print(f"codegen.docs: imported {len(outcomes)} {unit}; {drifted} changed schema/{failed}")
        return 1 if errors else 0
    if drifted:
        print(
            f"codegen.docs: {drifted} of {len(outcomes)} {unit} disagree with schema/{failed}; "
            'run `make regen PAGES="..."` and review the diff',
            file=sys.stderr,
        )
        return 1
    if errors:
        print(f"codegen.docs: {len(outcomes)} {unit} agree with schema/{failed}", file=sys.stderr)
        return 1
    print(f"codegen.docs: {len(outcomes)} {unit} agree with schema/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
