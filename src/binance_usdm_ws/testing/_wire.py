"""How the emulator checks a request's parameters against the method's generated spec.

The spec is :data:`binance_usdm_ws._generated.spec.SPECS` (rendered by codegen from
schema/methods/), so the emulator runs from an installed package, without schema/ or a
JSON Schema validator. The codes and messages are the docs' (FACTS §8); see the
emulator's docstring for the choices made where the docs are silent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from .._generated.spec import MethodSpec

__all__ = [
    "Reject",
    "check_params",
    "hmac_signature",
    "is_ed25519",
    "load_public_key",
    "signature_payload",
    "to_decimal",
    "verify_key_signature",
]

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


def load_public_key(pem: str | bytes) -> Any:
    """An RSA or Ed25519 public key from PEM (needs ``cryptography``: the ``crypto`` extra)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    key = load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    if not isinstance(key, (rsa.RSAPublicKey, ed25519.Ed25519PublicKey)):
        raise ValueError("public_keys: only RSA and Ed25519 keys are supported")
    return key


def is_ed25519(key: Any) -> bool:
    """True for an Ed25519 public key from :func:`load_public_key` (session.logon's only kind)."""
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return isinstance(key, ed25519.Ed25519PublicKey)


def verify_key_signature(key: Any, signature: str, params: Mapping[str, Any]) -> bool:
    """True when ``signature`` (base64) is ``key``'s RSA (PKCS#1 v1.5, SHA-256) or Ed25519
    signature of :func:`signature_payload` (case-sensitive, unlike HMAC)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    payload = signature_payload(params).encode()
    try:
        raw = base64.b64decode(signature, validate=True)
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(raw, payload)
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True
