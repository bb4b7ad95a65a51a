"""Read the docs' enum definitions: which values each ENUM parameter takes.

The docs define the values of their enums once, on a page of common
definitions, as a label naming the parameter in parentheses and a list of
values::

    **Order side (side):**

    * BUY
    * SELL

    ### Time in force (timeInForce)

    * GTC - Good Till Cancel
    * IOC - Immediate or Cancel

A label is a bold line or a heading with ``(name)`` (or ``(name1, name2)``); each
bullet after it gives one value, its first word, which must be an UPPER_CASE
name (the rest of the line explains it). ``python -m codegen.docs import
--enums PAGE.md`` uses them for the ENUM parameters whose description does not
list their values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .page import DocsError

__all__ = ["EnumDefinition", "parse_enums"]

_LABEL = re.compile(
    r"^(?:#{1,6}\s+|\*\*)(?P<text>.*?)\((?P<names>[A-Za-z][\w ,/]*)\)\s*:?\s*(?:\*\*)?:?\s*$"
)
_BULLET = re.compile(r"^\s*[*+-]\s+(?P<item>.*)$")
_VALUE = re.compile(r"`?(?P<value>[A-Z][A-Z0-9_]*)`?(?:$|[\s:(,-])")
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")


@dataclass(frozen=True)
class EnumDefinition:
    """The values of one parameter, and where the docs define them."""

    values: tuple[str, ...]
    where: str
    """``page:line`` of the label."""


def parse_enums(text: str, name: str) -> dict[str, EnumDefinition]:
    """The enum definitions of one page, by parameter name. Raises :class:`DocsError`.

    A bullet whose first word is not an UPPER_CASE name, or a parameter defined twice
    with other values, is an error naming the line: a guessed value would be a wrong
    ``Literal`` in the SDK.
    """
    found: dict[str, EnumDefinition] = {}
    label: tuple[int, list[str]] | None = None
    values: list[str] = []

    def close() -> None:
        if label is None or not values:
            return
        line, names = label
        for param in names:
            definition = EnumDefinition(tuple(values), f"{name}:{line}")
            old = found.get(param)
            if old is not None and old.values != definition.values:
                raise DocsError(
                    name, f"{param!r} is defined twice, first at {old.where}", line=line
                )
            found.setdefault(param, definition)

    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if fenced or not line.strip():
            continue
        match = _LABEL.match(line.strip())
        bullet = _BULLET.match(line)
        if match:
            close()
            names = [n.strip() for n in re.split(r"[,/]", match["names"])]
            label = (number, names) if all(_NAME.fullmatch(n) for n in names) else None
            values = []
        elif bullet and label is not None:
            value = _VALUE.match(bullet["item"].strip().replace("\\_", "_"))
            if value is None:
                raise DocsError(
                    name,
                    f"{bullet['item'].strip()!r} under {', '.join(label[1])!r} does not start "
                    "with an UPPER_CASE value",
                    line=number,
                )
            if value["value"] not in values:
                values.append(value["value"])
        else:
            close()
            label, values = None, []
    close()
    return found
