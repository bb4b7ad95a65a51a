"""codegen.docs.infer and merge: schema from samples, and what a re-import keeps or changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from codegen.docs import DocsError, DocsPage, parse_page
from codegen.docs.infer import accepts, infer
from codegen.docs.merge import fresh_document, merge_document
from codegen.docs.page import parse_methods

from .conftest import ROOT

PAGES = ROOT / "tests" / "data" / "docs_pages"
START = (PAGES / "userDataStream.start.md").read_text(encoding="utf-8")
LISTEN_KEY = '"listenKey": "xs0mRXdAKlIPDRFrlPcw0qI41Eh3ixNntmymGyhrhgqo7L6FuLaWArTD7RLP"'
TABLE_ROW = "| apiKey | STRING | YES |  |"
DESCRIPTION = "Start a new user data stream. The stream will close after 60 minutes"


def page(*replacements: tuple[str, str]) -> DocsPage:
    """The English start page, with each (old, new) replaced once."""
    text = START
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return parse_page(text, "start.md")


def merged(document: dict[str, Any], docs: DocsPage) -> tuple[dict[str, Any], list[str]]:
    before = copy.deepcopy(document)
    result, changes = merge_document(document, docs)
    assert document == before, "merge_document must not modify its input"
    return result, [str(c) for c in changes]


def result_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["properties"]["result"]  # type: ignore[no-any-return]


def params_of(document: dict[str, Any]) -> dict[str, Any]:
    return document["properties"]["params"]  # type: ignore[no-any-return]


def test_infer_types_nesting_arrays_and_present_fields() -> None:
    sample = {
        "i": 1,
        "f": 1.5,
        "b": True,
        "n": None,
        "s": "x",
        "empty": [],
        "levels": [["1", "2"], ["3", "4"]],
        "items": [{"x": 1, "y": "a"}, {"x": 2.5}],
        "mixed": [1, "a"],
    }
    assert infer(sample) == {
        "type": "object",
        "properties": {
            "i": {"type": "integer"},
            "f": {"type": "number"},
            "b": {"type": "boolean"},
            "n": {"type": "null"},
            "s": {"type": "string"},
            "empty": {"type": "array"},
            "levels": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"x": {"type": "number"}, "y": {"type": "string"}},
                    "required": ["x"],
                },
            },
            "mixed": {"type": "array", "items": {"type": ["integer", "string"]}},
        },
        "required": list(sample),
    }
    assert infer({}) == {"type": "object", "properties": {}}
    assert infer([{"a": 1}, [1]]) == {
        "type": "array",
        "items": {
            "anyOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
                {"type": "array", "items": {"type": "integer"}},
            ]
        },
    }


LEVEL = {"Level": {"type": "array", "items": {"type": "string"}}}


@pytest.mark.parametrize(
    ("curated", "docs", "defs", "expected"),
    [
        ({"enum": ["BUY", "SELL"]}, {"type": "string"}, {}, True),
        ({"type": ["integer", "string"]}, {"type": "integer"}, {}, True),
        ({"type": "number"}, {"type": "integer"}, {}, True),
        ({"type": "integer"}, {"type": "number"}, {}, False),
        ({"type": ["string", "null"]}, {"type": "null"}, {}, True),
        ({"type": "string", "format": "decimal"}, {"type": "integer"}, {}, False),
        ({"description": "anything"}, {"type": "integer"}, {}, True),
        ({"$ref": "../envelope.json#/$defs/RateLimit"}, {"type": "object"}, {}, True),
        ({"$ref": "#/$defs/Level"}, {"type": "array"}, LEVEL, True),
        ({"$ref": "#/$defs/Level"}, {"type": "object"}, LEVEL, False),
        ({"anyOf": [{"type": "object"}, {"type": "array"}]}, {"type": "array"}, {}, True),
        ({"type": "string"}, {"type": ["integer", "string"]}, {}, False),
    ],
)
def test_a_curated_type_is_kept_while_it_accepts_the_docs_type(
    curated: dict[str, Any], docs: dict[str, Any], defs: dict[str, Any], expected: bool
) -> None:
    assert accepts(curated, docs, defs) is expected


def test_a_fresh_import_agrees_with_its_page() -> None:
    methods = []
    for path in sorted(PAGES.glob("*.md")):
        if "broken" in path.name or path.name == "enum.definitions.md":
            continue
        for docs in parse_methods(path.read_text(encoding="utf-8"), path.name):
            if isinstance(docs, DocsError):  # the sections the multi-method pages break on purpose
                assert path.name in ("session.labelled.md", "userDataStream.three.md"), docs
                continue
            fresh = fresh_document(docs)
            assert fresh["x-binance"]["idempotent"] is False
            assert merged(fresh, docs) == (fresh, [])
            methods.append(docs.method)
    assert len(methods) == 11, methods


def test_prose_kept_when_curated_replaced_when_not_reported_either_way() -> None:
    fresh = fresh_document(page())
    curated = copy.deepcopy(fresh)
    curated["description"] = "Curated."
    assert merged(curated, page()) == (curated, [])

    reworded = page((DESCRIPTION, "Open a user data stream. It closes after 60 minutes"))
    document, changes = merged(curated, reworded)
    assert document["description"] == "Curated."
    assert changes == [
        "~ description: the docs changed 'Start a new user data stream. The stream will close "
        "after 60 minutes unless a k…' → 'Open a user data stream. It closes after 60 minutes "
        "unless a keepalive is sent.…'; the curated text is kept"
    ]
    assert document["x-binance"]["source"]["en"]["description"] == reworded.description
    assert merged(document, reworded)[1] == []  # reported once, not on every import

    document, changes = merged(fresh, reworded)  # nobody edited it: it follows the docs
    assert document["description"] == reworded.description
    assert changes[0].startswith("~ description: 'Start a new user data stream.")


def test_weight_and_security_are_facts() -> None:
    fresh = fresh_document(page())
    curated = copy.deepcopy(fresh)
    curated["x-binance"]["weight"] = 5  # e.g. after the changelog, not the page
    assert merged(curated, page())[1] == []  # the docs still say 1: curated value kept
    document, changes = merged(curated, page(("**1**", "**2**"), ("(USER\\_STREAM)", "(NONE)")))
    assert changes == [
        "~ security: 'USER_STREAM' → 'NONE'",
        "~ weight: 5 → 2",
        "~ title: 'Start User Data Stream (USER_STREAM)' → 'Start User Data Stream (NONE)'",
    ]
    assert document["x-binance"]["weight"] == 2
    assert document["x-binance"]["security"] == "NONE"


def test_a_weight_given_as_text_is_prose() -> None:
    by_limit = "Adjusted based on the limit:\n\n| Limit | Weight |\n| --- | --- |\n| 5 | 2 |"
    fresh = fresh_document(page(("**1**", by_limit)))
    assert fresh["x-binance"]["weight"] == "Adjusted based on the limit: 5 → 2"
    curated = copy.deepcopy(fresh)
    curated["x-binance"]["weight"] = "2 for limit 5"
    assert merged(curated, page(("**1**", by_limit))) == (curated, [])
    document, changes = merged(curated, page(("**1**", by_limit.replace("| 2 |", "| 3 |"))))
    assert document["x-binance"]["weight"] == "2 for limit 5"
    assert changes == [
        "~ weight: the docs changed 'Adjusted based on the limit: 5 → 2' → "
        "'Adjusted based on the limit: 5 → 3'; the curated text is kept"
    ]
    assert merged(curated, page())[1] == ["~ weight: '2 for limit 5' → 1"]


def test_a_curated_union_is_not_entered() -> None:
    curated = fresh_document(page())
    union = {"anyOf": [{"type": "object", "properties": {}}, {"type": "array"}]}
    curated["properties"]["result"] = copy.deepcopy(union)
    docs = page((LISTEN_KEY, '"listenKey": "k", "more": 1'))
    assert merged(curated, docs)[0]["properties"]["result"] == union


def test_result_fields_added_removed_retyped() -> None:
    fresh = fresh_document(page())
    document, changes = merged(
        fresh,
        page((LISTEN_KEY, '"listenKey": 7,\n    "extra": [{"a": 1}],\n    "gone": null')),
    )
    assert changes == [
        "~ result.listenKey: type string → integer",
        "+ result.extra: array of object",
        "+ result.gone: null",
        "~ examples[0]: the docs' response sample changed",
    ]
    assert result_of(document)["required"] == ["listenKey", "extra", "gone"]
    document, changes = merged(document, page())
    assert changes == [
        "~ result.listenKey: type integer → string",
        "- result.extra: no longer in the docs' sample",
        "- result.gone: no longer in the docs' sample",
        "~ examples[0]: the docs' response sample changed",
    ]
    assert result_of(document) == result_of(fresh)


def test_curated_result_types_survive_while_they_fit() -> None:
    curated = fresh_document(page())
    result_of(curated)["properties"]["listenKey"] = {"type": ["string", "integer"], "minLength": 1}
    result_of(curated)["required"] = []  # a person knows it can be absent
    result_of(curated)["properties"]["seenOnTheWire"] = {"type": "boolean"}
    document, changes = merged(curated, page((LISTEN_KEY, '"listenKey": 7')))
    assert changes == ["~ examples[0]: the docs' response sample changed"]
    assert result_of(document) == result_of(curated)

    document, changes = merged(curated, page((LISTEN_KEY, '"listenKey": null')))
    assert changes[0] == (
        "~ result.listenKey: type string or integer → string or integer or null "
        "(null in the sample)"
    )
    assert result_of(document)["properties"]["listenKey"] == {
        "type": ["string", "integer", "null"],
        "minLength": 1,
    }


def test_a_field_a_person_removed_stays_removed() -> None:
    curated = fresh_document(page())
    del result_of(curated)["properties"]["listenKey"]
    result_of(curated)["required"] = []
    assert merged(curated, page()) == (curated, [])


def test_references_into_defs_are_followed() -> None:
    docs = page((LISTEN_KEY, '"bids": [["4.00", "431.00"]], "asks": [["4.01", "12.00"]]'))
    curated = fresh_document(docs)
    level_ref = {"type": "array", "items": {"$ref": "#/$defs/Level"}}
    result_of(curated)["properties"] = {"bids": level_ref, "asks": copy.deepcopy(level_ref)}
    curated["$defs"] = copy.deepcopy(LEVEL)
    assert merged(curated, docs) == (curated, [])
    document, changes = merged(curated, page((LISTEN_KEY, '"bids": [[4, 431]], "asks": [[4, 12]]')))
    assert changes == [
        "~ result.bids[][]: type string → integer",
        "~ examples[0]: the docs' response sample changed",
    ]
    assert document["$defs"]["Level"] == {"type": "array", "items": {"type": "integer"}}
    assert result_of(document)["properties"] == result_of(curated)["properties"]


def test_params_from_the_table() -> None:
    fresh = fresh_document(page())
    side = "| side | ENUM | YES | Order side |"
    docs = page((TABLE_ROW, f"{TABLE_ROW}\n{side}\n| limit | INT | NO | Default 500 |"))
    document, changes = merged(fresh, docs)
    assert changes == [
        "+ params.side: string, mandatory",
        "+ params.limit: integer, optional",
    ]
    assert params_of(document)["properties"]["limit"] == {
        "type": "integer",
        "description": "Default 500",
    }
    assert params_of(document)["required"] == ["apiKey", "side"]

    curated = copy.deepcopy(document)
    params_of(curated)["properties"]["side"] = {"enum": ["BUY", "SELL"], "description": "Side."}
    params_of(curated)["properties"]["recvWindow"] = {"type": "integer"}  # not in the docs
    assert merged(curated, docs) == (curated, [])
    deliberate = copy.deepcopy(curated)
    del params_of(deliberate)["properties"]["side"]  # a person removed it ...
    params_of(deliberate)["required"] = ["apiKey", "limit"]  # ... and knows limit is needed
    assert merged(deliberate, docs) == (deliberate, [])  # the docs did not change either

    changed = page((TABLE_ROW, f"{TABLE_ROW}\n| side | INT | NO | Order side, now a number |"))
    document, changes = merged(curated, changed)
    assert changes == [
        "~ params.side: type enum BUY, SELL → integer",
        "~ params.side: now optional",
        "~ params.side description: the docs changed 'Order side' → 'Order side, now a number'; "
        "the curated text is kept",
        "- params.limit: no longer in the docs",
    ]
    assert params_of(document)["properties"]["side"] == {"type": "integer", "description": "Side."}
    assert params_of(document)["properties"]["recvWindow"] == {"type": "integer"}
    assert params_of(document)["required"] == ["apiKey"]


def test_a_parameter_only_the_sample_sends() -> None:
    docs = page((TABLE_ROW, ""), ('"apiKey": "vmPU', '"recvWindow": 5000, "apiKey": "vmPU'))
    params = params_of(fresh_document(docs))
    assert params == {
        "type": "object",
        "properties": {"recvWindow": {"type": "integer"}, "apiKey": {"type": "string"}},
        "required": ["apiKey"],  # the client always sends it; recvWindow it need not
        "additionalProperties": False,
    }
