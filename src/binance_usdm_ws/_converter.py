"""The SDK's one cattrs converter: wire JSON (already parsed) <-> generated attrs models.

Policy:

- Built by :func:`make_converter` on cattrs' preconf JSON converter; the global
  converter is never touched.
- Wire names come from each attrs field's ``metadata["wire"]`` (written there
  by codegen) and are applied with ``override(rename=...)`` by one hook
  factory for all attrs classes; Python names are snake_case.
- Unknown extra keys in a reply are ignored (the API adds fields over time);
  a missing required key fails. Unstructuring leaves out optional fields
  that hold their default (``None``), as the server does.
- Primitives are strict: a ``str`` field takes only a JSON string, an ``int``
  field only a JSON integer (not a bool), a ``bool`` field only a JSON
  boolean, a ``float`` field an integer or a float. cattrs' default would
  coerce (``bool("false")`` is ``True``), which hides server bugs.
- Detailed validation is off: decoding is on the hot path, and the caller
  (:mod:`._protocol`) turns any failure into a :class:`~.errors.ProtocolError`
  naming the method. For the same reason enums and ``X | None`` get hooks
  that look up once, when they are built, what cattrs' own hooks look up on
  every value (the accepted values and errors are the same).
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from cattrs import Converter
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override
from cattrs.preconf.json import make_converter as make_json_converter

from .errors import ProtocolError

__all__ = ["CONVERTER", "decode", "make_converter"]

T = TypeVar("T")


def _wire_overrides(cls: type[Any]) -> dict[str, Any]:
    # Typed Any: mypy would match the **overrides against the factories' own keyword flags.
    return {
        field.name: override(rename=field.metadata["wire"])
        for field in attrs.fields(cls)
        if "wire" in field.metadata
    }


def _strict(kind: type[T], accepts: tuple[type, ...]) -> Callable[[Any, Any], T]:
    def structure(value: Any, _: Any) -> T:
        # bool is a subclass of int: exclude it unless bool is what we want.
        if isinstance(value, accepts) and (kind is bool or not isinstance(value, bool)):
            return value  # type: ignore[return-value]
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__} {value!r}")

    return structure


def _is_enum(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, Any], enum.Enum]:
    members = {member.value: member for member in cls.__members__.values()}

    def structure(value: Any, _: Any) -> enum.Enum:
        try:
            return members[value]
        except (KeyError, TypeError):  # not a value of cls: its own lookup raises as before
            return cls(value)

    return structure


def _optional_of(tp: Any) -> Any:
    """``X`` for ``X | None`` (or ``Optional[X]``), else ``None``."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return args[0] if args[1] is type(None) else args[1]


def make_converter() -> Converter:
    """Build the converter described in this module's docstring."""
    converter = make_json_converter(detailed_validation=False, forbid_extra_keys=False)
    converter.register_structure_hook(str, _strict(str, (str,)))
    converter.register_structure_hook(int, _strict(int, (int,)))
    converter.register_structure_hook(bool, _strict(bool, (bool,)))
    converter.register_structure_hook(float, _strict(float, (int, float)))

    def structure_factory(cls: type[Any]) -> Callable[[Any, Any], Any]:
        return make_dict_structure_fn(cls, converter, **_wire_overrides(cls))

    def unstructure_factory(cls: type[Any]) -> Callable[[Any], Any]:
        return make_dict_unstructure_fn(
            cls, converter, _cattrs_omit_if_default=True, **_wire_overrides(cls)
        )

    def optional_factory(tp: Any) -> Callable[[Any, Any], Any]:
        inner = _optional_of(tp)
        hook = converter.get_structure_hook(inner)

        def structure(value: Any, _: Any) -> Any:
            return None if value is None else hook(value, inner)

        return structure

    converter.register_structure_hook_factory(attrs.has, structure_factory)
    converter.register_structure_hook_factory(_is_enum, _enum_hook)
    converter.register_structure_hook_factory(
        lambda tp: _optional_of(tp) is not None, optional_factory
    )
    converter.register_unstructure_hook_factory(attrs.has, unstructure_factory)
    return converter


#: The converter the SDK uses; build your own with :func:`make_converter` to customise.
CONVERTER = make_converter()


def decode(value: Any, cls: type[T], converter: Converter = CONVERTER) -> T:
    """Structure parsed JSON ``value`` as ``cls``; any failure is a :class:`ProtocolError`.

    Whatever the input, nothing but :class:`~binance_usdm_ws.errors.ProtocolError`
    escapes (never a ``KeyError`` or ``TypeError`` from deep inside cattrs).
    """
    try:
        return converter.structure(value, cls)
    except Exception as exc:  # cattrs raises KeyError/TypeError/ValueError/ClassValidationError
        raise ProtocolError(f"cannot decode {cls.__name__}: {type(exc).__name__}: {exc}") from exc
