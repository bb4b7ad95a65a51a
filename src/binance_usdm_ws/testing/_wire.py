"""How the emulator checks a request's parameters against the method's generated spec.

The spec is :data:`binance_usdm_ws._generated.spec.SPECS` (rendered by codegen from
schema/methods/), so the emulator runs from an installed package, without schema/ or a
JSON Schema validator. The codes and messages are the docs' (FACTS §8); see the
emulator's docstring for the choices made where the docs are silent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .._generated.spec import MethodSpec

__all__ = ["Reject", "check_params", "hmac_signature", "signature_payload", "to_decimal"]

#: Filled in and checked by the emulator itself (-2014/-2015 and -1022), not by this module.
AUTH_PARAMS = frozenset({"apiKey", "signature"})
_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,16})?")
_DECIMAL_MAX = Decimal(10) ** 15


class Reject(Exception):
    """A request fails with this status, code and message."""

    def __init__(self, status: int, code: int, msg: str) -> None:
        super().__init__(status, code, msg)
        self.status = status
        self.code = code
        self.msg = msg


def mandatory(name: str) -> Reject:
    return Reject(
        400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def not_valid(name: str) -> Reject:
    return Reject(400, -1130, f"Data sent for parameter '{name}' is not valid.")


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def _fits(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if kind == "decimal":  # a JSON string; numbers too, as one docs example sends them
        if isinstance(value, str):
            fits = _DECIMAL.fullmatch(value) is not None
        else:
            fits = isinstance(value, (int, float)) and not isinstance(value, bool)
        # Finite and within what an exchange's filters would ever let through.
        return fits and to_decimal(value).is_finite() and abs(to_decimal(value)) < _DECIMAL_MAX
    if kind == "integer":
        return type(value) is int
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return True


def check_params(spec: MethodSpec, params: Mapping[str, Any]) -> None:
    """Raise :class:`Reject` unless ``params`` (known names only) fit ``spec``.

    In the schema's parameter order: a mandatory parameter not sent, null or empty: -1102;
    an optional one null or empty: -1105; a value of the wrong JSON type or outside the
    enum: -1130. Then each either/or group: -1102 naming the first two parameters.
    ``apiKey`` and ``signature`` are left to the caller.
    """
    for name, param in spec.params.items():
        if name in AUTH_PARAMS:
            continue
        value = params.get(name)
        if _is_empty(value):
            if param.required:
                raise mandatory(name)
            if name in params:
                raise Reject(400, -1105, f"Parameter '{name}' was empty.")
            continue
        if not _fits(param.kind, value) or (param.enum and value not in param.enum):
            raise not_valid(name)
    for group in spec.require_any:
        if all(_is_empty(params.get(name)) for name in group):
            first, second = group[0], group[1] if len(group) > 1 else group[0]
            raise Reject(
                400, -1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!"
            )


def to_decimal(value: Any) -> Decimal:
    """A checked decimal parameter (a string or a JSON number) as a Decimal."""
    try:
        return Decimal(value if isinstance(value, str) else repr(value))
    except InvalidOperation:
        return Decimal("NaN")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def signature_payload(params: Mapping[str, Any]) -> str:
    """Every parameter but ``signature``, sorted by name, as ``key=value`` joined with ``&``;
    values as raw text, not percent-encoded (FACTS §7.2)."""
    return "&".join(f"{k}={_text(v)}" for k, v in sorted(params.items()) if k != "signature")


def hmac_signature(secret: str, params: Mapping[str, Any]) -> str:
    """The lowercase hex HMAC-SHA256 of :func:`signature_payload` with ``secret``."""
    payload = signature_payload(params).encode()
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
