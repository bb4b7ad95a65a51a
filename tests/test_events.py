"""User data stream events: schema -> generated models -> converter, and the codegen checks.

Every example in schema/events/ (the docs' samples and the forms FACTS §6.2-6.3
describe) decodes to its model and encodes back to the same JSON; hypothesis
generates payloads from the same schema files.
"""

from __future__ import annotations

import json
import shutil
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from binance_usdm_ws import ProtocolError
from binance_usdm_ws._core import converter
from binance_usdm_ws._core.converter import CONVERTER
from binance_usdm_ws.events import (
    AccountConfigUpdateEvent,
    AccountUpdateEvent,
    KnownEvent,
    ListenKeyExpiredEvent,
    OrderTradeUpdateEvent,
    UnknownEvent,
    UserDataEvent,
    decode_event,
    ms_to_datetime,
)
from codegen import generate
from codegen.model import SchemaError, load_api
from codegen.render import render_models

from .conftest import ROOT

EVENT_FILES = sorted((ROOT / "schema" / "events").glob("*.json"))
DOCUMENTS = {path.stem: json.loads(path.read_text()) for path in EVENT_FILES}
FIXTURE = ROOT / "tests" / "data" / "fixture_schema"


def model_of(event_type: str) -> type[Any]:
    """The generated class of an event type, found through the union (not by name)."""
    for cls in typing.get_args(KnownEvent):
        if typing.get_args(typing.get_type_hints(cls)["event_type"]) == (event_type,):
            return cls  # type: ignore[no-any-return]
    raise LookupError(event_type)


def canonical(payload: dict[str, Any]) -> dict[str, Any]:
    """What a payload encodes back to: a numeric-string E becomes an integer."""
    if isinstance(payload.get("E"), str):
        return {**payload, "E": int(payload["E"])}
    return payload


def test_every_event_of_facts_has_a_schema_file() -> None:
    assert sorted(DOCUMENTS) == sorted(
        [
            "ACCOUNT_CONFIG_UPDATE",
            "ACCOUNT_UPDATE",
            "ALGO_UPDATE",
            "CONDITIONAL_ORDER_TRIGGER_REJECT",
            "GRID_UPDATE",
            "MARGIN_CALL",
            "ORDER_TRADE_UPDATE",
            "STRATEGY_UPDATE",
            "TRADE_LITE",
            "listenKeyExpired",
        ]
    )
    assert len(typing.get_args(KnownEvent)) == len(DOCUMENTS)


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_every_example_decodes_to_its_model_and_round_trips(name: str) -> None:
    examples = DOCUMENTS[name]["examples"]
    assert examples, "every event schema keeps the docs' example"
    validator = Draft202012Validator(DOCUMENTS[name])
    for example in examples:
        assert not list(validator.iter_errors(example))
        event = decode_event(json.dumps(example))
        assert type(event) is model_of(name), event
        assert CONVERTER.unstructure(event) == canonical(example)
        assert decode_event(example) == event


def test_readable_names_exact_amounts_and_times() -> None:
    [trailing, amendment] = DOCUMENTS["ORDER_TRADE_UPDATE"]["examples"]
    event = decode_event(trailing)
    assert isinstance(event, OrderTradeUpdateEvent)
    assert (event.event_type, event.event_time, event.transaction_time) == (
        "ORDER_TRADE_UPDATE",
        1568879465651,
        1568879465650,
    )
    order = event.order
    assert (order.symbol, order.side, order.order_type, order.execution_type) == (
        "BTCUSDT",
        "SELL",
        "TRAILING_STOP_MARKET",
        "NEW",
    )
    assert order.stop_price == Decimal("7103.04") and order.callback_rate == Decimal("5.0")
    assert order.activation_price is not None and order.modify_id is None
    assert ms_to_datetime(event.event_time) == datetime(
        2019, 9, 19, 7, 51, 5, 651000, tzinfo=timezone.utc
    )
    amended = decode_event(amendment)
    assert isinstance(amended, OrderTradeUpdateEvent)
    assert amended.order.modify_id == "42" and amended.order.commission is None

    account = decode_event(DOCUMENTS["ACCOUNT_UPDATE"]["examples"][0])
    assert isinstance(account, AccountUpdateEvent)
    assert account.update.reason == "ORDER"
    assert [b.balance_change for b in account.update.balances] == [
        Decimal("50.12345678"),
        Decimal("-49.12345678"),
    ]
    assert account.update.positions is not None
    # Trailing zeros survive: the wire string comes back as it was.
    assert str(account.update.positions[0].entry_price) == "0.00000"

    leverage, multi_assets = (
        decode_event(e) for e in DOCUMENTS["ACCOUNT_CONFIG_UPDATE"]["examples"]
    )
    assert isinstance(leverage, AccountConfigUpdateEvent)
    assert isinstance(multi_assets, AccountConfigUpdateEvent)
    assert leverage.symbol_config is not None and leverage.symbol_config.leverage == 25
    assert leverage.account_config is None
    assert multi_assets.account_config is not None and multi_assets.account_config.multi_assets_mode


def test_listen_key_expired_accepts_an_int_or_a_numeric_string_and_no_key() -> None:
    number, string, old = (decode_event(e) for e in DOCUMENTS["listenKeyExpired"]["examples"])
    assert isinstance(number, ListenKeyExpiredEvent) and isinstance(string, ListenKeyExpiredEvent)
    assert number == string and number.event_time == 1736996475556
    assert isinstance(old, ListenKeyExpiredEvent) and old.listen_key is None
    # Only the field the schema marks accepts a string: elsewhere E stays strict.
    order = {**DOCUMENTS["ORDER_TRADE_UPDATE"]["examples"][0], "E": "1568879465651"}
    assert isinstance(decode_event(order), UnknownEvent)
    for bad in ("", "-1", "1.5", "12a", "١٢", True, 1.5, None):
        event = decode_event({"e": "listenKeyExpired", "E": bad})
        assert isinstance(event, UnknownEvent) and event.error, bad


def test_unknown_event_types_decode_to_unknown_event_never_an_exception() -> None:
    raw = {"e": "SOMETHING_NEW", "E": 1, "x": {"y": [1, "2"]}}
    event = decode_event(json.dumps(raw))
    assert event == UnknownEvent(event_type="SOMETHING_NEW", raw=raw)
    assert CONVERTER.unstructure(event) == raw
    assert decode_event({"E": 1}) == UnknownEvent(event_type=None, raw={"E": 1})
    assert decode_event({"e": ["x"]}).event_type is None  # type: ignore[union-attr]
    # A combined-stream wrapper is unwrapped.
    wrapped = {"stream": "lk", "data": DOCUMENTS["TRADE_LITE"]["examples"][0]}
    assert type(decode_event(wrapped)).__name__ == "TradeLiteEvent"


def test_a_known_event_that_does_not_match_its_model_is_kept_with_the_error() -> None:
    example = DOCUMENTS["TRADE_LITE"]["examples"][0]
    for change in ({"q": 0.001}, {"t": "109100866"}, {"m": "false"}, {"p": "NaN"}):
        raw = {**example, **change}
        event = decode_event(raw)
        assert isinstance(event, UnknownEvent), change
        assert event.event_type == "TRADE_LITE" and event.raw == raw and event.error
    missing = {k: v for k, v in example.items() if k != "L"}
    assert isinstance(decode_event(missing), UnknownEvent)


def test_frames_that_are_not_json_objects_raise_protocol_error() -> None:
    for frame in ("not json", "[1, 2]", "3", b"\xff"):
        with pytest.raises(ProtocolError):
            decode_event(frame)


def test_converter_union_is_strict_without_a_fallback() -> None:
    with pytest.raises(ValueError, match="unknown e 'NOPE'"):
        CONVERTER.structure({"e": "NOPE"}, KnownEvent)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        CONVERTER.structure([1], UserDataEvent)  # type: ignore[arg-type]
    with pytest.raises(Exception):  # noqa: B017  (cattrs' own error types)
        CONVERTER.structure({**DOCUMENTS["TRADE_LITE"]["examples"][0], "q": 1}, UserDataEvent)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "ok"),
    [("1.50", True), ("-0.00000010", True), ("7", True), ("1e-8", True), ("1.", False)]
    + [(v, False) for v in ("NaN", "Infinity", " 1", "1_000", "1,5", "", "+1", ".5")]
    + [(v, False) for v in (1.5, 1, True, None)],
)
def test_decimal_fields_take_only_decimal_strings(value: Any, ok: bool) -> None:
    if ok:
        assert CONVERTER.structure(value, Decimal) == Decimal(value)
    else:
        with pytest.raises(TypeError):
            CONVERTER.structure(value, Decimal)


def test_decimals_parsed_once_stay_strict_and_the_cache_stays_bounded() -> None:
    first = CONVERTER.structure("12.50", Decimal)
    assert CONVERTER.structure("12.50", Decimal) is first  # the second read is the first's
    assert str(first) == "12.50"  # the text's own exponent, not a normalized form
    for value in (12.5, ["12.50"], " 12.50"):  # near misses of a cached text still fail
        with pytest.raises(TypeError):
            CONVERTER.structure(value, Decimal)
    for n in range(3 * converter._DECIMALS_MAX):
        assert CONVERTER.structure(f"{n}.5", Decimal) == Decimal(n) + Decimal("0.5")
    assert 0 < len(converter._DECIMALS) <= converter._DECIMALS_MAX


def test_decimals_are_written_as_plain_strings() -> None:
    # str(Decimal) would write these in exponent form.
    assert CONVERTER.unstructure(Decimal("0.00000010")) == "0.00000010"
    assert CONVERTER.unstructure(Decimal("-1E-9")) == "-0.000000001"
    assert CONVERTER.unstructure(Decimal("64089.20")) == "64089.20"


# -- hypothesis: payloads generated from the schema files -------------------------------------

DECIMAL_STRINGS = st.from_regex(r"-?(0|[1-9][0-9]{0,15})(\.[0-9]{1,10})?", fullmatch=True)


def payloads(schema: dict[str, Any], defs: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Wire values that ``schema`` (a property of an event file) allows."""
    if "$ref" in schema:
        return payloads(defs[schema["$ref"].rsplit("/", 1)[1]], defs)
    if "const" in schema:
        return st.just(schema["const"])
    if "anyOf" in schema:
        return st.one_of([payloads(branch, defs) for branch in schema["anyOf"]])
    kind = schema["type"]
    if kind == "object":
        properties = schema["properties"]
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: payloads(v, defs) for k, v in properties.items() if k in required},
            optional={k: payloads(v, defs) for k, v in properties.items() if k not in required},
        )
    if kind == "array":
        return st.lists(payloads(schema["items"], defs), max_size=3)
    if kind == "string" and schema.get("format") == "decimal":
        return DECIMAL_STRINGS
    if kind == "string":
        pattern = schema.get("pattern")
        return st.from_regex(pattern, fullmatch=True) if pattern else st.text(max_size=20)
    if kind == "integer":
        return st.integers(-(2**63), 2**63 - 1)
    assert kind == "boolean", schema
    return st.booleans()


def event_payloads(name: str) -> st.SearchStrategy[dict[str, Any]]:
    document = DOCUMENTS[name]
    return payloads(document, document.get("$defs", {}))


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_generated_payloads_decode_and_round_trip(name: str, data: st.DataObject) -> None:
    payload = data.draw(event_payloads(name))
    event = decode_event(json.dumps(payload))
    assert type(event) is model_of(name), event
    wire = json.loads(json.dumps(CONVERTER.unstructure(event)))
    assert wire == canonical(payload)
    # Keys the API adds later are ignored.
    assert decode_event({**payload, "zz_new_field": [1]}) == event


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_a_broken_payload_is_kept_never_raised(name: str, data: st.DataObject) -> None:
    payload = data.draw(event_payloads(name))
    required = sorted(set(DOCUMENTS[name]["required"]) - {"e"})
    key = data.draw(st.sampled_from(required))
    broken = {**payload, key: data.draw(st.sampled_from([None, 1.5]))}
    event = decode_event(broken)
    assert isinstance(event, UnknownEvent)
    assert (event.event_type, event.raw) == (name, broken) and event.error


@settings(max_examples=50, deadline=None)
@given(
    tag=st.text(max_size=30).filter(lambda t: t not in DOCUMENTS),
    rest=st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=4),
)
def test_any_other_type_is_an_unknown_event(tag: str, rest: dict[str, Any]) -> None:
    raw = {**rest, "e": tag}
    event = decode_event(raw)
    assert event == UnknownEvent(event_type=tag, raw=raw)
    assert CONVERTER.unstructure(event) == raw


def test_events_are_exported() -> None:
    from binance_usdm_ws import events

    for cls in typing.get_args(KnownEvent):
        assert getattr(events, cls.__name__) is cls


# -- codegen: the event files and x-python-name are checked -----------------------------------

Mutation = Callable[[Path], None]


def edit(relative: str, change: Callable[[dict[str, Any]], None]) -> Mutation:
    def apply(schema: Path) -> None:
        path = schema / relative
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    return apply


def props(document: dict[str, Any], where: str = "") -> dict[str, Any]:
    node = document["$defs"][where] if where else document
    return node["properties"]  # type: ignore[no-any-return]


UPDATE = "events/FIXTURE_UPDATE.json"


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            edit(UPDATE, lambda d: [props(d)[k].pop("x-python-name") for k in ("e", "E")]),
            "FIXTURE_UPDATE.json: FixtureUpdateEvent.E: 'e' and 'E' would both be the field e",
        ),
        (
            edit(UPDATE, lambda d: props(d, "Order")["p"].update({"x-python-name": "Price"})),
            "FixtureUpdateOrder.p: x-python-name must be a snake_case identifier",
        ),
        (
            edit(UPDATE, lambda d: props(d)["E"].update({"x-python-name": "class"})),
            "x-python-name must be a snake_case identifier, not 'class'",
        ),
        (
            edit(
                UPDATE,
                lambda d: props(d).update(
                    x={
                        "type": "object",
                        "properties": {"p": {"type": "string", "x-python-name": "price"}},
                    }
                ),
            ),
            "x-python-name of 'p' is in an inline object; move the object to \\$defs",
        ),
        (
            edit(UPDATE, lambda d: props(d, "Order")["o"].update({"x-python-type": "int"})),
            "FixtureUpdateOrder.o: x-python-type is only for a number sent as an integer",
        ),
        (
            edit(UPDATE, lambda d: d["x-binance"].update(event="OTHER_UPDATE")),
            "the file of event OTHER_UPDATE must be named OTHER_UPDATE.json",
        ),
        (
            edit(UPDATE, lambda d: props(d)["e"].update(const="X")),
            'properties.e must be {"const": "FIXTURE_UPDATE"}',
        ),
        (
            edit(UPDATE, lambda d: d.update(required=["e", "o"])),
            "e and E must be required",
        ),
        (
            edit(UPDATE, lambda d: d["x-binance"].pop("docs")),
            "invalid x-binance block .*'docs' is a required property",
        ),
        (
            edit(UPDATE, lambda d: d["examples"].append({"e": "fixtureExpired", "E": 1})),
            "every example must be a FIXTURE_UPDATE event object",
        ),
        (
            edit(
                "methods/depth.json",
                lambda d: d["properties"]["result"]["properties"].update(e={"type": "string"}),
            ),
            "depth.json: DepthResult.e: 'E' and 'e' would both be the field e",
        ),
    ],
)
def test_event_schema_errors_name_the_file(tmp_path: Path, mutate: Mutation, message: str) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE, schema)
    mutate(schema)
    with pytest.raises(SchemaError, match=message):
        generate(schema)


def test_x_python_name_applies_to_method_results_too(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE, schema)
    name_it = edit(
        "methods/depth.json",
        lambda d: d["properties"]["result"]["properties"]["E"].update(
            {"x-python-name": "event_time"}
        ),
    )
    name_it(schema)
    models = render_models(load_api(schema))
    assert 'event_time: int = attrs.field(metadata={"wire": "E"})' in models


def test_no_events_directory_means_no_event_module(tmp_path: Path) -> None:
    schema = tmp_path / "schema"
    shutil.copytree(FIXTURE, schema)
    shutil.rmtree(schema / "events")
    files = sorted(generate(schema))
    assert "event_models.py" not in files
    assert {"__init__.py", "methods/__init__.py", "models.py"} <= set(files)
