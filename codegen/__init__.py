"""Code generator: schema/ (JSON Schema) -> the generated modules of binance_usdm_ws.

``python -m codegen`` regenerates; ``python -m codegen --check`` fails, with a
unified diff, when the committed modules are stale. See schema/README.md.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path

from .model import SchemaError, load_api
from .render import GENERATED_MARKER, render

__all__ = ["ROOT", "SchemaError", "StaleError", "check", "generate", "write"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SCHEMA = ROOT / "schema"
DEFAULT_OUT = ROOT / "src" / "binance_usdm_ws" / "_generated"


class StaleError(Exception):
    """The generated files on disk differ from what the schema renders to."""


def generate(schema_dir: Path = DEFAULT_SCHEMA) -> Mapping[str, str]:
    """Load and validate ``schema_dir`` and render every generated file, in memory."""
    return render(load_api(schema_dir))


def _is_generated(path: Path) -> bool:
    with path.open(encoding="utf-8") as f:
        return f.readline().startswith(GENERATED_MARKER)


def _leftovers(files: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Generated files in ``out_dir`` that the schema no longer produces."""
    return sorted(
        p
        for p in out_dir.rglob("*.py")
        if p.relative_to(out_dir).as_posix() not in files and _is_generated(p)
    )


def diff(files: Mapping[str, str], out_dir: Path) -> str:
    """Unified diff from the files in ``out_dir`` to ``files``; empty when up to date."""
    chunks: list[str] = []
    for name, text in sorted(files.items()):
        path = out_dir / name
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        if old != text:
            chunks.extend(
                difflib.unified_diff(
                    old.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{path} (on disk)",
                    tofile=f"{path} (from schema)",
                )
            )
    for path in _leftovers(files, out_dir):
        chunks.append(f"{path}: generated, but the schema no longer produces it\n")
    return "".join(chunks)


def check(files: Mapping[str, str], out_dir: Path) -> None:
    """Raise :class:`StaleError` (its message a diff) unless ``out_dir`` is up to date."""
    changes = diff(files, out_dir)
    if changes:
        raise StaleError(changes)


def write(files: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Write ``files`` into ``out_dir`` (the package's ``_generated`` folder); return the
    paths that changed.

    Only files that carry the generated header are ever overwritten or
    removed: a hand-written file in the way is an error, not a casualty.
    """
    changed: list[Path] = []
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in sorted(files.items()):
        path = out_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            if not _is_generated(path):
                raise SchemaError(f"{path} exists and is not generated; refusing to overwrite it")
            if path.read_text(encoding="utf-8") == text:
                continue
        path.write_text(text, encoding="utf-8")
        changed.append(path)
    for path in _leftovers(files, out_dir):
        path.unlink()
        changed.append(path)
    return changed
