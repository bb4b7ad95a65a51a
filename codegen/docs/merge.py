"""Build a method schema from a docs page, or merge a page into an existing one.

The docs own the facts, a person owns the refinements:

- Facts, updated when the docs change them: security type, weight, docs URL,
  which parameters exist and whether they are mandatory, which result fields
  exist, the JSON type of each, and the docs' sample (``examples[0]``).
- Refinements, never touched: anything the docs cannot say (``enum``,
  ``format``, ``$ref``/``$defs``, nullable and int-or-string types, optional
  result fields, ``idempotent``, ``errors``, ``additionalProperties``, extra
  examples after the first). A curated type is kept while it accepts the JSON
  type the docs show.
- Prose (title, descriptions, a weight given as text) follows the page's
  language, while schema/ is written in English. The importer records what
  each page said in ``x-binance.source.<language>``; the schema's text is
  replaced only while nobody edited it, and a docs change is reported either way.

It is a three-way merge: *base* is what the docs said at the last import
(``x-binance.source`` and ``examples[0]``), *docs* is the page, and the schema
is the person's version. A docs fact that did not change since the base is not
re-applied, so a field a person deliberately removed stays removed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .enums import EnumDefinition
from .infer import (
    ParamSpec,
    Schema,
    accepts,
    describe,
    docs_params,
    enum_values,
    infer,
    resolve,
)
from .page import DocsPage, ParamRow

#: The docs' enum definitions, by parameter name (:mod:`codegen.docs.enums`).
Enums = Mapping[str, EnumDefinition]

__all__ = ["Change", "fresh_document", "merge_document", "method_file_name", "page_notes"]

_ID_BASE = "https://github.com/binance-usdm-ws/schema/methods/"
#: Keywords that annotate a schema rather than type it; kept when a type is replaced.
_ANNOTATIONS = ("title", "description", "default", "examples", "deprecated")
_SIGNED = ("TRADE", "USER_DATA")


@dataclass(frozen=True)
class Change:
    """One difference between a docs page and a schema file."""

    sign: Literal["+", "-", "~"]
    path: str
    """What changed: ``weight``, ``params.symbol``, ``result.orders[].price``, ``examples[0]``."""
    detail: str

    def __str__(self) -> str:
        return f"{self.sign} {self.path}: {self.detail}"


def method_file_name(method: str) -> str:
    """``v2/account.balance`` -> ``v2_account.balance.json`` (see schema/README.md)."""
    return method.replace("/", "_") + ".json"


def _sample(page: DocsPage) -> dict[str, Any]:
    return {"request": page.request, "response": page.response}


def _baseline(page: DocsPage) -> dict[str, Any]:
    """What the page says in words, recorded as ``x-binance.source.<language>``."""
    return {
        "url": page.url,
        "title": page.title,
        "description": page.description,
        "weight": page.weight,
        "params": {
            row.name: {"type": row.type, "mandatory": row.mandatory, "description": row.description}
            for row in page.params
        },
    }


def _param_schema(spec: ParamSpec) -> Schema:
    return spec.schema | ({"description": spec.description} if spec.description else {})


def fresh_document(page: DocsPage, enums: Enums | None = None) -> dict[str, Any]:
    """A new method schema from ``page`` (and the docs' enum definitions); ``idempotent`` is
    false (see :func:`page_notes`)."""
    specs = docs_params(page.params, page.request_params, enums)
    params: Schema = {
        "type": "object",
        "properties": {name: _param_schema(spec) for name, spec in specs.items()},
    }
    required = [name for name, spec in specs.items() if spec.required]
    if required:
        params["required"] = required
    params["additionalProperties"] = False
    document: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": _ID_BASE + method_file_name(page.method),
        "title": page.title,
    }
    if page.description:
        document["description"] = page.description
    document["x-binance"] = {
        "method": page.method,
        "security": page.security or "NONE",
        "weight": page.weight,
        "idempotent": False,
        "docs": page.docs_url,
        "source": {page.language: _baseline(page)},
    }
    _rules(document["x-binance"], page)
    document["type"] = "object"
    document["properties"] = {"params": params, "result": infer(page.result)}
    document["required"] = ["params", "result"]
    document["examples"] = [_sample(page)]
    return document


def _rules(info: dict[str, Any], page: DocsPage) -> dict[str, Any]:
    """Add to ``info`` what the notes under the page's table say: ``requireAny`` ("Either
    `a` or `b` must be sent"), ``arrayWithout`` ("If the symbol is not sent, … in an
    array"); what a page does not say is left as curated."""
    if page.require_any:
        info["requireAny"] = [list(group) for group in page.require_any]
    if page.array_without is not None:
        info["arrayWithout"] = page.array_without
    return info


def page_notes(page: DocsPage, *, fresh: bool, enums: Enums | None = None) -> list[str]:
    """What a person should know or decide after importing ``page``."""
    notes = list(page.repairs)
    if page.security is None:
        notes.append("the title names no security type: NONE assumed, as on market-data pages")
    elif page.title.endswith("(SIGNED)"):
        notes.append(
            f"the title says SIGNED, not which type: {page.security} assumed (API key and "
            "signature), which the client signs"
        )
    elif page.security in _SIGNED:
        notes.append(
            f"security {page.security} is signed: the client sends apiKey, timestamp and signature"
        )
    if not fresh:
        return notes
    notes.append(
        "idempotent: false, the safe default (a docs page cannot say); set it to true by hand "
        "if sending the request twice does what sending it once does, so the SDK may retry it"
    )
    listed = {row.name for row in page.params}
    for row in page.params:
        values = enum_values(row.description) if row.type == "ENUM" else None
        defined = (enums or {}).get(row.name) if row.type == "ENUM" else None
        if values is None and defined is not None:
            notes.append(
                f"params.{row.name}: enum {', '.join(defined.values)}, from the enum "
                f"definitions ({defined.where})"
            )
        elif row.type == "ENUM" and values is None:
            why = "whose description is not just its values" if row.description else "no values"
            notes.append(
                f'params.{row.name}: ENUM, {why}; add them as "enum" to get a Literal type'
            )
        elif values is not None:
            notes.append(
                f"params.{row.name}: enum {', '.join(values)}, from its description; check "
                "the list is complete"
            )
        elif row.type.startswith("LIST"):
            notes.append(
                f"params.{row.name}: {row.type}, an array; codegen does not render array "
                "parameters yet"
            )
    for name in page.request_params:
        if name not in listed:
            notes.append(
                f"params.{name}: not in the parameter table; taken from the request sample"
            )
    notes.extend(
        f"{path}: null in the sample, so its type is unknown; curate it"
        for path in _null_paths(page.result, "result")
    )
    return notes


def _null_paths(value: Any, path: str) -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _null_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for v in value for p in _null_paths(v, f"{path}[]")]
    return []


def merge_document(
    current: Mapping[str, Any], page: DocsPage, enums: Enums | None = None
) -> tuple[dict[str, Any], list[Change]]:
    """Merge ``page`` into the method schema ``current``; return the result and what changed.

    ``current`` is not modified. No changes means the page and the schema agree (the
    recorded ``x-binance.source`` may still be refreshed: it is bookkeeping, not a change).
    """
    merger = _Merger(copy.deepcopy(dict(current)), page, enums or {})
    merger.run()
    return merger.document, merger.changes


class _Merger:
    def __init__(self, document: dict[str, Any], page: DocsPage, enums: Enums) -> None:
        self.document = document
        self.enums = enums
        self.page = page
        self.changes: list[Change] = []
        self.info: dict[str, Any] = document.setdefault("x-binance", {})
        sources = self.info.get("source", {})
        self.base: dict[str, Any] | None = sources.get(page.language)
        examples = document.get("examples") or [{}]
        self.base_sample: dict[str, Any] = examples[0] if isinstance(examples[0], dict) else {}
        self.defs: Mapping[str, Any] = document.get("$defs", {})

    def change(self, sign: Literal["+", "-", "~"], path: str, detail: str) -> None:
        self.changes.append(Change(sign, path, detail))

    def run(self) -> None:
        page, info = self.page, self.info
        self.fact(info, "security", page.security or "NONE")
        self.weight()
        self.fact(info, "docs", page.docs_url)
        for key, docs in _rules({}, page).items():
            self.fact(info, key, docs)
        if "idempotent" not in info:
            info["idempotent"] = False
            self.change("+", "idempotent", "false, the safe default")
        self.prose(self.document, "title", self.base_text("title"), page.title, "title")
        self.prose(
            self.document,
            "description",
            self.base_text("description"),
            page.description,
            "description",
        )
        properties = self.document.setdefault("properties", {})
        self.params(properties.setdefault("params", {"type": "object"}))
        result = properties.setdefault("result", {})
        base_result = self.base_sample.get("response", {})
        self.node(
            result,
            infer(page.result),
            infer(base_result["result"]) if "result" in base_result else None,
            "result",
        )
        self.examples()
        info.setdefault("source", {})[page.language] = _baseline(page)

    def base_text(self, key: str) -> str | None:
        return None if self.base is None else self.base.get(key)

    def fact(self, holder: dict[str, Any], key: str, docs: Any) -> None:
        if holder.get(key) != docs:
            self.change("~", key, f"{holder.get(key)!r} → {docs!r}")
            holder[key] = docs

    def weight(self) -> None:
        current, docs = self.info.get("weight"), self.page.weight
        base = None if self.base is None else self.base.get("weight")
        if current == docs or (base is not None and base == docs):
            return  # they agree, or the docs did not change it: the schema's value is curated
        if isinstance(current, str) and isinstance(docs, str):  # text, in the page's language
            self.prose(self.info, "weight", None if base is None else str(base), docs, "weight")
        else:
            self.fact(self.info, "weight", docs)

    def prose(
        self, holder: dict[str, Any], key: str, base: str | None, docs: str, path: str
    ) -> None:
        current = holder.get(key)
        if base is None:
            if current is None and docs:
                holder[key] = docs
                self.change("+", path, _quote(docs))
            return  # not imported in this language before: the schema's text stands
        if docs == base:
            return
        if current == base or (current is None and not base):
            if docs:
                holder[key] = docs
            else:
                holder.pop(key, None)
            self.change("~", path, f"{_quote(base)} → {_quote(docs)}")
        else:
            self.change(
                "~",
                path,
                f"the docs changed {_quote(base)} → {_quote(docs)}; the curated text is kept",
            )

    def params(self, params: Schema) -> None:
        page = self.page
        docs = docs_params(page.params, page.request_params, self.enums)
        base_request = self.base_sample.get("request", {}).get("params", {})
        base: dict[str, ParamSpec] | None = None
        if self.base is not None:
            rows = [ParamRow(name, **row) for name, row in self.base.get("params", {}).items()]
            base = docs_params(rows, base_request, self.enums)
        known = set(base) if base is not None else set(base_request)
        properties: dict[str, Any] = params.setdefault("properties", {})
        required: list[str] = list(params.get("required", []))
        for name, spec in docs.items():
            path = f"params.{name}"
            was = None if base is None else base.get(name)
            if name not in properties:
                if name not in known:  # else a person removed it and the docs did not change
                    properties[name] = _param_schema(spec)
                    if spec.required:
                        required.append(name)
                    mandatory = "mandatory" if spec.required else "optional"
                    self.change("+", path, f"{describe(spec.schema)}, {mandatory}")
                continue
            schema = properties[name]
            if (was is None or was.schema != spec.schema) and not accepts(
                schema, spec.schema, self.defs
            ):
                self.retype(schema, spec.schema, path)
            if (was is None or was.required != spec.required) and (
                name in required
            ) != spec.required:
                if spec.required:
                    required.append(name)
                else:
                    required.remove(name)
                self.change("~", path, "now mandatory" if spec.required else "now optional")
            if spec.description is not None:
                base_text = None if was is None else was.description
                self.prose(
                    schema, "description", base_text, spec.description, f"{path} description"
                )
        for name in [n for n in properties if n not in docs and n in known]:
            del properties[name]
            if name in required:
                required.remove(name)
            self.change("-", f"params.{name}", "no longer in the docs")
        if required or "required" in params:
            params["required"] = required

    def retype(self, schema: Schema, docs: Schema, path: str) -> None:
        old = describe(schema)
        kept = {k: schema[k] for k in _ANNOTATIONS if k in schema}
        schema.clear()
        schema.update(copy.deepcopy(docs) | kept)
        self.change("~", path, f"type {old} → {describe(schema)}")

    def node(self, schema: Schema, docs: Schema, base: Schema | None, path: str) -> None:
        """Merge the docs' schema of one result value into the schema's, in place."""
        target = resolve(schema, self.defs)
        if target is None:
            return  # a reference into envelope.json: not the docs page's to change
        if (base is None or base.get("type") != docs.get("type")) and not accepts(
            target, docs, self.defs
        ):
            kind = target.get("type")
            if docs.get("type") == "null" and isinstance(kind, (str, list)):
                old = describe(target)
                target["type"] = [*([kind] if isinstance(kind, str) else kind), "null"]
                self.change("~", path, f"type {old} → {describe(target)} (null in the sample)")
            else:
                self.retype(target, docs, path)
            return
        if "properties" in docs and _is(target, "object", "properties"):
            self.fields(target, docs, base if base and base.get("type") == "object" else None, path)
        elif "items" in docs and _is(target, "array", "items"):
            base_items = base.get("items") if base and base.get("type") == "array" else None
            if "items" in target:
                self.node(target["items"], docs["items"], base_items, path + "[]")
            elif base_items is None:
                target["items"] = copy.deepcopy(docs["items"])
                self.change("+", path + "[]", describe(docs["items"]))

    def fields(self, target: Schema, docs: Schema, base: Schema | None, path: str) -> None:
        base_fields: Mapping[str, Any] = {} if base is None else base["properties"]
        properties: dict[str, Any] = target.get("properties", {})
        required: list[str] = list(target.get("required", []))
        for key, sub in docs["properties"].items():
            if key in properties:
                self.node(properties[key], sub, base_fields.get(key), f"{path}.{key}")
            elif key not in base_fields:  # else a person removed it and the docs did not change
                properties[key] = copy.deepcopy(sub)
                if key in docs.get("required", []):
                    required.append(key)
                self.change("+", f"{path}.{key}", describe(sub))
        for key in [k for k in properties if k in base_fields and k not in docs["properties"]]:
            del properties[key]
            if key in required:
                required.remove(key)
            self.change("-", f"{path}.{key}", "no longer in the docs' sample")
        if properties or "properties" in target:
            target["properties"] = properties
        if required or "required" in target:
            target["required"] = required

    def examples(self) -> None:
        sample = _sample(self.page)
        examples = self.document.get("examples")
        if not examples:
            self.document["examples"] = [sample]
            self.change("+", "examples[0]", "the docs' sample")
        elif examples[0] != sample:
            parts = [p for p in ("request", "response") if examples[0].get(p) != sample[p]]
            examples[0] = sample
            self.change("~", "examples[0]", f"the docs' {' and '.join(parts)} sample changed")


def _is(schema: Schema, kind: str, keyword: str) -> bool:
    """Whether ``schema`` itself is of JSON type ``kind`` (not, say, a union that has one)."""
    declared = schema.get("type")
    return (
        keyword in schema or declared == kind or (isinstance(declared, list) and kind in declared)
    )


def _quote(text: str, limit: int = 80) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
