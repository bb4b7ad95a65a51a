"""JSON Schema from what a docs page shows: parameter tables and JSON samples.

Also the two questions the merge asks of a schema: which JSON types it
accepts (:func:`accepts`), and how to say its type in a report
(:func:`describe`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .enums import EnumDefinition
from .page import ParamRow

__all__ = [
    "ParamSpec",
    "accepts",
    "describe",
    "docs_params",
    "enum_values",
    "infer",
    "param_schema",
    "resolve",
]

Schema = dict[str, Any]

#: The docs' parameter types in JSON Schema. DECIMAL is sent as a string (the docs' General
#: Info); an ENUM gets its values as "enum" when its description lists them and nothing else
#: (:func:`enum_values`), else a person adds them. LIST<T> is an array of T.
_PARAM_TYPES: Mapping[str, Schema] = {
    "STRING": {"type": "string"},
    "INT": {"type": "integer"},
    "LONG": {"type": "integer"},
    "DECIMAL": {"type": "string", "format": "decimal"},
    "BOOLEAN": {"type": "boolean"},
    "ENUM": {"type": "string"},
    "LIST": {"type": "array"},
}
_LIST_OF = re.compile(r"LIST<(?P<item>[A-Z]+)>")
#: An enum value as the descriptions write it: in backticks or double quotes.
_ENUM_VALUE = re.compile(r"`(?P<code>[^`]*)`|\"(?P<quoted>[^\"]*)\"")
_ENUM_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
#: The only words a description may have beside its values for them to be the whole list.
_ENUM_GLUE = re.compile(r"(?i)\b(?:or|and|default(?:\s+is)?)\b|[\s,;/.:()]")


def enum_values(description: str) -> list[str] | None:
    """The values of an ENUM when its description is nothing but their list; else ``None``.

    "`SELL`, `BUY`" and '"ACK", "RESULT", default "ACK"' list the values; "Default `BOTH`
    for One-way Mode; `LONG` or `SHORT` for Hedge Mode" says more than that (is the list
    complete?), so a person decides, as for a description naming no values.
    """
    values: list[str] = []
    for match in _ENUM_VALUE.finditer(description):
        value = match["code"] if match["code"] is not None else match["quoted"]
        if not _ENUM_NAME.fullmatch(value):
            return None
        if value not in values:
            values.append(value)
    rest = _ENUM_GLUE.sub("", _ENUM_VALUE.sub("", description))
    return values if values and not rest else None


def param_schema(row: ParamRow, enums: Mapping[str, EnumDefinition] | None = None) -> Schema:
    """The JSON Schema of one row of a parameter table.

    An ENUM's values come from its description (:func:`enum_values`), else from the docs'
    enum definitions (``enums``, by parameter name), else from a person.
    """
    listed = _LIST_OF.fullmatch(row.type)
    if listed:
        item_row = ParamRow(row.name, listed["item"], row.mandatory, row.description)
        return {"type": "array", "items": param_schema(item_row, enums)}
    schema = dict(_PARAM_TYPES[row.type])
    if row.type == "ENUM":
        values = enum_values(row.description)
        if values is None and enums and row.name in enums:
            values = list(enums[row.name].values)
        if values is not None:
            schema["enum"] = values
    return schema


#: Parameters a request sample sends that the table need not list: the client fills them in.
_SENT_BY_CLIENT = frozenset({"apiKey", "signature"})
_SCALARS = frozenset({"string", "integer", "number", "boolean", "null"})


@dataclass(frozen=True)
class ParamSpec:
    """One parameter as the docs give it."""

    schema: Schema
    required: bool
    description: str | None
    """The table's description; ``None`` for a parameter only the request sample shows."""


def docs_params(
    rows: Iterable[ParamRow],
    sample: Mapping[str, Any],
    enums: Mapping[str, EnumDefinition] | None = None,
) -> dict[str, ParamSpec]:
    """The parameters of a page: the table's rows, then what only the request sample sends.

    A table may say ``None`` while the sample still sends ``apiKey``; such a parameter is
    mandatory when the client always fills it in (``apiKey``, ``signature``), else optional.
    """
    specs = {
        row.name: ParamSpec(param_schema(row, enums), row.mandatory, row.description)
        for row in rows
    }
    for name, value in sample.items():
        if name not in specs:
            specs[name] = ParamSpec(infer(value), name in _SENT_BY_CLIENT, None)
    return specs


def infer(value: Any) -> Schema:
    """The schema of one sample value: its JSON types, nesting, arrays and present fields.

    Every field of a sample object is required (it is present); the items of an array are
    unified, so a field missing from one item is optional. ``null`` gives ``{"type": "null"}``:
    the sample shows no more than that.
    """
    if value is None:
        return {"type": "null"}
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        schema: Schema = {"type": "array"}
        if value:
            items = infer(value[0])
            for item in value[1:]:
                items = _unify(items, infer(item))
            schema["items"] = items
        return schema
    if isinstance(value, dict):
        schema = {"type": "object", "properties": {k: infer(v) for k, v in value.items()}}
        if value:
            schema["required"] = list(value)
        return schema
    raise TypeError(f"not a JSON value: {value!r}")


def _unify(a: Schema, b: Schema) -> Schema:
    """One schema for two items of the same array."""
    if a == b:
        return a
    kind_a, kind_b = a.get("type"), b.get("type")
    if kind_a == kind_b == "object":
        props_a, props_b = a["properties"], b["properties"]
        properties = {
            key: _unify(props_a[key], props_b[key])
            if key in props_a and key in props_b
            else props_a.get(key, props_b.get(key))
            for key in [*props_a, *(k for k in props_b if k not in props_a)]
        }
        required = [k for k in a.get("required", []) if k in b.get("required", [])]
        return {"type": "object", "properties": properties} | (
            {"required": required} if required else {}
        )
    if kind_a == kind_b == "array":
        if "items" in a and "items" in b:
            return {"type": "array", "items": _unify(a["items"], b["items"])}
        return a if "items" in a else b
    kinds = _kinds_of(a) | _kinds_of(b)
    if kinds <= _SCALARS and len(a) == len(b) == 1:
        if {"integer", "number"} <= kinds:
            kinds.discard("integer")
        return {"type": sorted(kinds) if len(kinds) > 1 else kinds.pop()}
    members = [m for s in (a, b) for m in s.get("anyOf", [s])]
    return {"anyOf": [m for i, m in enumerate(members) if m not in members[:i]]}


def _kinds_of(schema: Schema) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return set(kind) if isinstance(kind, list) else set()


def resolve(schema: Schema, defs: Mapping[str, Any]) -> Schema | None:
    """Follow a local ``#/$defs/X`` reference; ``None`` for one that leaves the file."""
    seen: set[str] = set()
    while "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or ref in seen:
            return None
        seen.add(ref)
        target = defs.get(ref[len("#/$defs/") :])
        if not isinstance(target, dict):
            return None
        schema = target
    return schema


def _accepted(schema: Schema, defs: Mapping[str, Any]) -> set[str] | None:
    """The JSON types ``schema`` accepts; ``None`` when it does not say (or cannot be read)."""
    target = resolve(schema, defs)
    if target is None:
        return None
    if "type" in target:
        return _kinds_of(target)
    if "enum" in target or "const" in target:
        return {str(infer(v)["type"]) for v in target.get("enum", [target.get("const")])}
    members = target.get("anyOf", target.get("oneOf"))
    if isinstance(members, list):
        kinds: set[str] = set()
        for member in members:
            accepted = _accepted(member, defs)
            if accepted is None:
                return None
            kinds |= accepted
        return kinds
    return None


def accepts(curated: Schema, docs: Schema, defs: Mapping[str, Any]) -> bool:
    """Whether a (curated) schema accepts every JSON type the docs' schema has.

    A schema that says nothing about types accepts everything; ``number`` accepts
    ``integer``. So an enum over strings accepts the docs' STRING, int-or-string
    accepts an integer sample, and a nullable string accepts ``null``.
    """
    accepted = _accepted(curated, defs)
    wanted = _accepted(docs, {})
    if accepted is None or wanted is None:
        return True
    if "number" in accepted:
        accepted = accepted | {"integer"}
    return wanted <= accepted


def describe(schema: Schema) -> str:
    """A schema's type in a few words, for reports: ``string (decimal)``, ``array of object``."""
    if "$ref" in schema:
        return str(schema["$ref"]).rpartition("/")[2]
    if "enum" in schema:
        return "enum " + ", ".join(map(str, schema["enum"]))
    members = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(members, list):
        return " or ".join(describe(m) for m in members)
    kind = schema.get("type")
    if isinstance(kind, list):
        return " or ".join(kind)
    if kind == "array":
        return f"array of {describe(schema['items'])}" if "items" in schema else "array"
    if kind is None:
        return "any type"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)
