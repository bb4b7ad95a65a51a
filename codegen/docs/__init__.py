"""Import Binance API docs pages (Markdown) into schema/methods/, and detect drift.

``python -m codegen.docs import PAGE.md [...]`` writes or merges one method
schema per page; ``python -m codegen.docs check PAGE.md [...]`` writes nothing
and exits 1 when a page and schema/ disagree. See the workflow in
schema/README.md, and :mod:`codegen.docs.merge` for what a re-import keeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .enums import EnumDefinition, parse_enums
from .merge import Change, Enums, fresh_document, merge_document, method_file_name, page_notes
from .page import DocsError, DocsPage, parse_methods, parse_page

__all__ = [
    "Change",
    "DocsError",
    "DocsPage",
    "EnumDefinition",
    "ImportRun",
    "Outcome",
    "dump_json",
    "import_each",
    "import_pages",
    "parse_enums",
    "parse_page",
    "read_enums",
    "read_methods",
    "read_page",
]


@dataclass(frozen=True)
class Outcome:
    """What importing one page does to its method's schema file."""

    page: DocsPage
    path: Path
    created: bool
    """The method had no schema file."""
    changes: tuple[Change, ...]
    """Where the page and the schema disagree; empty when they agree."""
    notes: tuple[str, ...]
    text: str
    """The file's new text."""
    rewrites: bool
    """The text differs from the file's: changes, or only a new record of the page."""


def dump_json(document: Any) -> str:
    """The one way schema files are written: 2-space indent, UTF-8 as is, trailing newline.

    Key order is the document's own: a merge keeps the file's order and appends new keys.
    """
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DocsError(str(path), f"cannot read the page: {exc}") from None


def read_page(path: Path) -> DocsPage:
    """Read and parse a docs page of one method. Raises :class:`DocsError`."""
    return parse_page(_read(path), str(path))


def read_enums(paths: Iterable[Path]) -> dict[str, EnumDefinition]:
    """The enum definitions of the docs pages ``paths`` (the first page that defines a
    parameter wins). Raises :class:`DocsError`."""
    found: dict[str, EnumDefinition] = {}
    for path in paths:
        for name, definition in parse_enums(_read(path), str(path)).items():
            found.setdefault(name, definition)
    return found


def read_methods(path: Path) -> list[DocsPage | DocsError]:
    """Read every method section of a docs page (see :func:`parse_methods`)."""
    try:
        return parse_methods(_read(path), str(path))
    except DocsError as exc:
        return [exc]


@dataclass(frozen=True)
class ImportRun:
    """What importing a list of pages gives: per page, in order, an outcome or an error."""

    results: tuple[Outcome | DocsError, ...]

    @property
    def outcomes(self) -> list[Outcome]:
        return [r for r in self.results if isinstance(r, Outcome)]

    @property
    def errors(self) -> list[DocsError]:
        return [r for r in self.results if isinstance(r, DocsError)]


def import_each(
    pages: Iterable[Path], schema_dir: Path, *, write: bool, enums: Enums | None = None
) -> ImportRun:
    """Import every method section of every page; those that cannot be imported become
    errors, in page order.

    A page (or method section) that cannot be read, or whose method's schema file is not a
    JSON object, is a :class:`DocsError` in the results (naming the file and, where there is
    one, the line); it changes nothing, and the others still import (and are written if
    ``write``).
    """
    texts: dict[Path, str] = {}
    results: list[Outcome | DocsError] = []
    for page_path in pages:
        for page in read_methods(page_path):
            try:
                if isinstance(page, DocsError):
                    raise page
                results.append(_merge_page(page, schema_dir, texts, enums or {}))
            except DocsError as exc:
                results.append(exc)
    if write:
        _write(texts)
    return ImportRun(tuple(results))


def import_pages(pages: Iterable[Path], schema_dir: Path, *, write: bool) -> list[Outcome]:
    """Import ``pages`` in order into ``schema_dir``/methods; write the files only if ``write``.

    Pages of the same method merge one after the other. Every page is read and
    merged before anything is written, so an error leaves schema/ untouched.
    Raises :class:`DocsError` (the first) for a page that cannot be read, or a
    schema file that is not JSON. :func:`import_each` goes on past errors.
    """
    run = import_each(pages, schema_dir, write=False)
    if run.errors:
        raise run.errors[0]
    if write:
        _write({outcome.path: outcome.text for outcome in run.outcomes})
    return run.outcomes


def _merge_page(page: DocsPage, schema_dir: Path, texts: dict[Path, str], enums: Enums) -> Outcome:
    """Merge ``page`` into its method's file (as ``texts`` has it so far); update ``texts``."""
    path = schema_dir / "methods" / method_file_name(page.method)
    old = texts.get(path)
    if old is None and path.exists():
        old = path.read_text(encoding="utf-8")
    if old is None:
        document = fresh_document(page, enums)
        changes = [Change("+", page.method, "new method: no schema file yet")]
    else:
        try:
            current = json.loads(old)
        except json.JSONDecodeError as exc:
            raise DocsError(str(path), f"not valid JSON: {exc.msg}", line=exc.lineno) from None
        if not isinstance(current, dict):
            raise DocsError(str(path), "not a JSON object", line=1)
        document, changes = merge_document(current, page, enums)
    texts[path] = dump_json(document)
    return Outcome(
        page=page,
        path=path,
        created=old is None,
        changes=tuple(changes),
        notes=tuple(page_notes(page, fresh=old is None, enums=enums)),
        text=texts[path],
        rewrites=texts[path] != old,
    )


def _write(texts: dict[Path, str]) -> None:
    for path, text in texts.items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
