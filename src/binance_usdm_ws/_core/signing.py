"""Request signatures (FACTS §7.2): the payload, and HMAC-SHA256, RSA and Ed25519 signers.

RSA and Ed25519 use ``cryptography`` (the ``crypto`` extra), imported only for such a key.
No message here holds a secret, a key or a signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["KeyInput", "Signer", "make_signer", "payload"]

KeyInput = str | bytes | os.PathLike[str]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else json.dumps(value, separators=(",", ":"))


def payload(params: Mapping[str, Any]) -> bytes:
    """Every parameter but ``signature``, sorted by name, ``name=value`` joined with ``&``,
    values as sent in JSON but raw UTF-8 text, not percent-encoded."""
    return "&".join(
        [
            f"{k}={v if type(v) is str else _text(v)}"
            for k, v in sorted(params.items())
            if k != "signature"
        ]
    ).encode()


class Signer:
    """Signs requests with one key: ``signer(params)`` is the ``signature`` to send."""

    __slots__ = ("_sign", "kind")

    def __init__(self, kind: str, sign: Callable[[bytes], str]) -> None:
        self.kind = kind
        """``"HMAC"``, ``"RSA"`` or ``"Ed25519"``."""
        self._sign = sign

    def __call__(self, params: Mapping[str, Any]) -> str:
        return self._sign(payload(params))

    def __repr__(self) -> str:
        return f"Signer({self.kind})"


def make_signer(
    api_secret: str | None, private_key: KeyInput | None, password: str | bytes | None
) -> Signer | None:
    """The signer of an HMAC ``api_secret`` or of an RSA/Ed25519 ``private_key`` (PEM text
    or bytes, or a path), or None with neither. Raises ``ValueError`` for a key that cannot
    be used, ``ImportError`` for an RSA/Ed25519 key without ``cryptography``."""
    if api_secret is not None and private_key is not None:
        raise ValueError("pass either api_secret or private_key, not both")
    if api_secret is not None:
        if not isinstance(api_secret, str) or not api_secret:
            raise ValueError("api_secret must be a non-empty str")
        mac = hmac.new(api_secret.encode(), digestmod=hashlib.sha256)

        def sign_hmac(data: bytes) -> str:
            h = mac.copy()
            h.update(data)
            return h.hexdigest()

        return Signer("HMAC", sign_hmac)
    if private_key is None:
        if password is not None:
            raise ValueError("private_key_password was given without a private_key")
        return None
    return _key_signer(_pem(private_key), password)


def _pem(private_key: KeyInput) -> bytes:
    if isinstance(private_key, bytes):
        return private_key
    if isinstance(private_key, str) and "-----BEGIN" in private_key:
        return private_key.encode()
    try:
        with open(private_key, "rb") as file:
            return file.read()
    except (OSError, ValueError, TypeError) as exc:  # never echo: it may be a mangled key
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(
            f"private_key is neither PEM text nor a readable file ({reason})"
        ) from None


def _key_signer(pem: bytes, password: str | bytes | None) -> Signer:
    try:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
    except ImportError:
        raise ImportError(
            "RSA and Ed25519 keys need the cryptography package: "
            "pip install 'binance-usdm-ws[crypto]'"
        ) from None
    secret = password.encode() if isinstance(password, str) else password
    if b"PUBLIC KEY-----" in pem and b"PRIVATE KEY-----" not in pem:
        raise ValueError("private_key is a public key: the private key is needed to sign")
    try:
        key = serialization.load_pem_private_key(pem, password=secret)
    except TypeError:
        problem = (
            "is encrypted: pass private_key_password" if secret is None else "is not encrypted"
        )
        raise ValueError(f"private_key {problem}") from None
    except Exception:  # ValueError, UnsupportedAlgorithm: messages not ours to vouch for
        problem = "or private_key_password is wrong" if secret is not None else ""
        raise ValueError(
            f"private_key is not a readable PEM private key {problem}".strip()
        ) from None
    if isinstance(key, rsa.RSAPrivateKey):
        rsa_key, pad, sha = key, padding.PKCS1v15(), hashes.SHA256()
        return Signer("RSA", lambda data: base64.b64encode(rsa_key.sign(data, pad, sha)).decode())
    if isinstance(key, ed25519.Ed25519PrivateKey):
        ed_key = key
        return Signer("Ed25519", lambda data: base64.b64encode(ed_key.sign(data)).decode())
    raise ValueError(
        f"private_key is an unsupported key type ({type(key).__name__}): use RSA or Ed25519"
    )
