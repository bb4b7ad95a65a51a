"""Every generated model round-trips through the converter and matches its schema."""

from __future__ import annotations

import enum
import json
import types
import typing
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from binance_usdm_ws._core.converter import CONVERTER, make_converter
from binance_usdm_ws._generated import models as _models
from codegen.model import load_api
from codegen.render import models_schema

from .conftest import ROOT

MODELS = [obj for name in _models.__all__ if attrs.has(obj := getattr(_models, name))]
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


def strategy(tp: Any) -> st.SearchStrategy[Any]:
    """A strategy for any type the generated models use."""
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return JSON_VALUES
    if attrs.has(tp):
        hints = typing.get_type_hints(tp)
        return st.builds(tp, **{f.name: strategy(hints[f.name]) for f in attrs.fields(tp)})
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return st.sampled_from(list(tp))
    if origin is typing.Literal:
        return st.sampled_from(args)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([strategy(a) for a in args])
    if origin is list:
        return st.lists(strategy(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(st.text(), strategy(args[1]), max_size=3)
    simple = {
        type(None): st.none(),
        str: st.text(),
        int: st.integers(),
        bool: st.booleans(),
        float: st.floats(allow_nan=False, allow_infinity=False),
        Decimal: st.decimals(allow_nan=False, allow_infinity=False, places=8),
    }
    return simple[tp]


def shape_only(node: Any) -> Any:
    """The schema without value constraints: Python types carry shapes, not ranges or patterns."""
    if isinstance(node, dict):
        return {
            k: shape_only(v)
            for k, v in node.items()
            if k not in {"pattern", "minimum", "maximum", "minLength", "maxLength"}
        }
    if isinstance(node, list):
        return [shape_only(v) for v in node]
    return node


SCHEMA = shape_only(models_schema(load_api(ROOT / "schema")))


VALIDATORS = {m: Draft202012Validator({**SCHEMA, "$ref": f"#/$defs/{m.__name__}"}) for m in MODELS}


def test_every_schema_definition_has_a_model() -> None:
    assert sorted(SCHEMA["$defs"]) == sorted(_models.__all__)
    assert MODELS  # the parametrisation below is not empty


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_round_trip_through_json(model: type[Any], data: st.DataObject) -> None:
    value = data.draw(strategy(model))
    wire = json.loads(json.dumps(CONVERTER.unstructure(value)))
    assert CONVERTER.structure(wire, model) == value
    # The wire form is what the schema describes: wire names, JSON types.
    errors = [e.message for e in VALIDATORS[model].iter_errors(wire)]
    assert not errors, (wire, errors)


def test_wire_names_on_the_wire_snake_case_in_python() -> None:
    wire = {
        "id": 1,
        "status": 200,
        "result": {"listenKey": "k"},
        "rateLimits": [
            {
                "rateLimitType": "ORDERS",
                "interval": "SECOND",
                "intervalNum": 10,
                "limit": 300,
                "count": 1,
            }
        ],
    }
    reply = CONVERTER.structure(wire, _models.UserDataStreamPingResponse)
    assert reply.result.listen_key == "k"
    assert reply.rate_limits is not None and reply.rate_limits[0].interval_num == 10
    assert CONVERTER.unstructure(reply) == wire


@pytest.mark.parametrize(
    ("value", "tp"),
    [
        ("5", int),
        (True, int),
        (1.5, int),
        (5, str),
        (None, str),
        ("true", bool),
        (1, bool),
        ("1.5", float),
        (False, float),
    ],
)
def test_primitives_are_strict(value: Any, tp: type) -> None:
    with pytest.raises(TypeError):
        CONVERTER.structure(value, tp)


def test_make_converter_builds_a_new_converter() -> None:
    assert make_converter() is not CONVERTER
    result = make_converter().structure({"listenKey": "k"}, _models.UserDataStreamPingResult)
    assert result.listen_key == "k"


ENUMS = [
    obj
    for name in _models.__all__
    if isinstance(obj := getattr(_models, name), type) and issubclass(obj, enum.Enum)
]


@pytest.mark.parametrize("enum_type", ENUMS, ids=lambda e: e.__name__)
def test_enums_structure_by_value_and_reject_others_as_the_enum_does(
    enum_type: type[enum.Enum],
) -> None:
    assert ENUMS
    for member in enum_type:
        assert CONVERTER.structure(member.value, enum_type) is member
    for bad in ("NOT_A_VALUE", 1, None, [1]):
        with pytest.raises(ValueError) as expected:
            enum_type(bad)
        with pytest.raises(ValueError) as got:
            CONVERTER.structure(bad, enum_type)
        assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    ("tp", "value"),
    [(list[_models.RateLimit] | None, []), (typing.Optional[int], 5), (str | None, "s")],  # noqa: UP045
)
def test_optional_takes_none_or_the_inner_type_only(tp: Any, value: Any) -> None:
    assert CONVERTER.structure(None, tp) is None
    assert CONVERTER.structure(value, tp) == value
    with pytest.raises((TypeError, ValueError, KeyError)):
        CONVERTER.structure(1.5, tp)
