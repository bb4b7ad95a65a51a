"""Request signing (FACTS §7.2): the payload, the three signers, keys refused at creation,
and signed methods end to end against the emulator verifying every key type."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from binance_usdm_ws import AsyncClient, Client
from binance_usdm_ws._core.signing import make_signer, payload
from binance_usdm_ws.errors import ApiError
from binance_usdm_ws.testing import Emulator, FakeClock

from .conftest import KEY_1, KEY_2, run_readme_block

SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SYMBOL = "币安人生USDT"
PASSWORD = "pass-Phrase-42"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ED_KEY = ed25519.Ed25519PrivateKey.generate()


def pem(key: Any, password: bytes | None = None) -> bytes:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    )


def public_pem(key: Any) -> bytes:
    return bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def body(pem_bytes: bytes) -> str:
    """A line from the middle of a PEM: what must never show."""
    return pem_bytes.decode().splitlines()[1]


def test_the_hmac_vector() -> None:
    params = {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "LIMIT",
        "timeInForce": "GTC",
        "quantity": "0.01000000",
        "price": "52000.00",
        "recvWindow": 100,
        "timestamp": 1645423376532,
        "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
    }
    signer = make_signer(SECRET, None, None)
    assert signer is not None and signer.kind == "HMAC" and SECRET not in repr(signer)
    assert signer({**params, "signature": "ignored"}) == (
        "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
    )


def test_the_payload_is_sorted_raw_utf8_text() -> None:
    params = {
        "symbol": SYMBOL,
        "newClientOrderId": "a:b/c",
        "reduceOnly": True,
        "priceProtect": False,
        "quantity": format(Decimal("5E+4"), "f"),
        "timestamp": 1,
        "signature": "x",
        "z": [1.5, "a"],
    }
    text = payload(params)
    assert (
        text
        == (
            "newClientOrderId=a:b/c&priceProtect=false&quantity=50000&reduceOnly=true"
            f'&symbol={SYMBOL}&timestamp=1&z=[1.5,"a"]'
        ).encode()
    )
    assert "币安人生".encode() in text and b"%" not in text
    signer = make_signer("s", None, None)
    assert signer is not None
    assert signer(params) == hmac.new(b"s", text, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("kind", ["RSA", "Ed25519"])
def test_key_signatures_verify_with_the_public_key(kind: str, tmp_path: Path) -> None:
    key: Any = RSA_KEY if kind == "RSA" else ED_KEY
    params = {"symbol": SYMBOL, "newClientOrderId": "x:/y", "timestamp": 5, "apiKey": KEY_1}
    path = tmp_path / "key.pem"
    path.write_bytes(pem(key, b"pw"))
    for given, password in [(pem(key), None), (pem(key).decode(), None), (path, "pw")]:
        signer = make_signer(None, given, password)
        assert signer is not None and signer.kind == kind
        raw = base64.b64decode(signer(params))
        public = key.public_key()
        if kind == "RSA":
            public.verify(raw, payload(params), padding.PKCS1v15(), hashes.SHA256())
        else:
            public.verify(raw, payload(params))


def test_unusable_keys_are_refused_at_creation(tmp_path: Path) -> None:
    locked = pem(ED_KEY, b"right")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"private_key": pem(ED_KEY)[:-40]}, "not a readable PEM private key", body(pem(ED_KEY))),
        ({"private_key": locked, "private_key_password": "wrong"}, "password is wrong", ""),
        ({"private_key": locked}, "is encrypted: pass private_key_password", ""),
        ({"private_key": pem(ED_KEY), "private_key_password": "x"}, "is not encrypted", ""),
        ({"private_key": public_pem(RSA_KEY)}, "is a public key", body(public_pem(RSA_KEY))),
        ({"private_key": pem(ec.generate_private_key(ec.SECP256R1()))}, "unsupported key", ""),
        ({"private_key": "MIIEvQIBADANBgkqhkiG9w0BAQEF"}, "neither PEM text nor a readable", ""),
        ({"private_key": str(tmp_path / "missing.pem")}, "No such file", ""),
        ({"api_secret": SECRET, "private_key": pem(ED_KEY)}, "not both", ""),
        ({"api_secret": ""}, "non-empty", ""),
        ({"recv_window": 60_001}, "recv_window", ""),
        ({"recv_window": 0}, "recv_window", ""),
    ]
    for kwargs, message, secret in cases:
        for make in (AsyncClient, Client):
            with pytest.raises(ValueError, match=message) as caught:
                make(api_key=KEY_1, **kwargs)
            text = str(caught.value) + repr(caught.value)
            assert caught.value.__cause__ is None
            assert SECRET not in text and "MIIE" not in text
            assert not secret or secret not in text


def test_a_key_without_cryptography_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cryptography.hazmat.primitives", None)
    with pytest.raises(ImportError, match=r"binance-usdm-ws\[crypto\]"):
        AsyncClient(api_key=KEY_1, private_key=pem(ED_KEY))
    assert AsyncClient(api_key=KEY_1, api_secret=SECRET)  # HMAC: stdlib only


def emulator_for(kind: str, clock: FakeClock | None = None) -> tuple[Emulator, dict[str, Any]]:
    """An emulator verifying ``kind`` signatures of KEY_1, and the client's credentials."""
    symbols = {"BTCUSDT": "50000.00", SYMBOL: "0.1234"}
    extra: dict[str, Any] = {"clock": clock} if clock else {}
    if kind == "HMAC":
        emulator = Emulator(api_keys={KEY_1}, symbols=symbols, api_secrets={KEY_1: SECRET}, **extra)
        return emulator, {"api_secret": SECRET}
    key: Any = RSA_KEY if kind == "RSA" else ED_KEY
    keys = {KEY_1: public_pem(key)}
    emulator = Emulator(api_keys={KEY_1}, symbols=symbols, public_keys=keys, **extra)
    return emulator, {"private_key": pem(key, PASSWORD.encode()), "private_key_password": PASSWORD}


@pytest.mark.parametrize("kind", ["HMAC", "RSA", "Ed25519"])
async def test_signed_methods_end_to_end(kind: str) -> None:
    emulator, credentials = emulator_for(kind)
    async with emulator, AsyncClient(api_key=KEY_1, url=emulator.url, **credentials) as client:
        assert (await client.account.balance()).result[0].asset == "USDT"
        assert (await client.account.balance_v2()).result[0].balance == Decimal("10000.00000000")
        placed = await client.order.place(
            symbol=SYMBOL,
            side="BUY",
            type="LIMIT",
            time_in_force="GTC",
            quantity=Decimal("1E+2"),
            price=Decimal("0.1000"),
            new_client_order_id="my:order/1",
            reduce_only="false",
        )
        assert placed.result.client_order_id == "my:order/1"
        found = await client.order.status(symbol=SYMBOL, orig_client_order_id="my:order/1")
        assert found.result.order_id == placed.result.order_id
        cancelled = await client.order.cancel(symbol=SYMBOL, order_id=placed.result.order_id)
        assert cancelled.result.status == "CANCELED"
        if kind == "Ed25519":
            assert (await client.session.logon()).result.api_key == KEY_1
        else:
            with pytest.raises(ApiError) as caught:  # session.logon: Ed25519 keys only
                await client.session.logon()
            assert caught.value.code == -1022
        sent = [r["params"] for r in emulator.requests if r["method"] == "order.place"]
        assert sent[0]["recvWindow"] == 5000 and sent[0]["quantity"] == "100"
    # And a wrong key is refused: the signature is checked, not just present.
    other = {"api_secret": "x" * 64} if kind == "HMAC" else {"private_key": pem(RSA_KEY)}
    if kind == "RSA":
        other = {"private_key": pem(ED_KEY)}
    emulator, _ = emulator_for(kind)
    async with emulator, AsyncClient(api_key=KEY_1, url=emulator.url, **other) as client:
        with pytest.raises(ApiError) as caught:
            await client.account.balance_v2()
        assert (caught.value.status, caught.value.code) == (400, -1022)


def test_the_blocking_client_signs() -> None:
    emulator, credentials = emulator_for("Ed25519")
    with emulator, Client(api_key=KEY_1, url=emulator.url, recv_window=60_000, **credentials) as c:
        assert c.account.balance_v2().result[0].asset == "USDT"
        assert emulator.requests[-1]["params"]["recvWindow"] == 60_000


async def test_the_timestamp_is_taken_as_the_frame_goes_out(clock: FakeClock) -> None:
    # The second call waits for a slot 30 s (fake): stamped before, it would get -1021.
    emulator, credentials = emulator_for("HMAC", clock)
    async with (
        emulator,
        AsyncClient(
            api_key=KEY_1, url=emulator.url, clock=clock, max_pending=1, **credentials
        ) as client,
    ):
        emulator.hold_replies()
        first_task = asyncio.ensure_future(client.account.balance_v2())
        await emulator.wait_held(1)
        second = asyncio.ensure_future(client.account.balance())
        await asyncio.sleep(0.05)
        clock.advance(30)
        await emulator.release_replies()
        await first_task
        await second
        stamps = [r["params"]["timestamp"] for r in emulator.requests]
        assert stamps[1] - stamps[0] == 30_000


async def test_the_readme_snippet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    namespace = run_readme_block("### Signed methods")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ed25519.pem").write_bytes(pem(ED_KEY))
    (tmp_path / "rsa.pem").write_bytes(pem(RSA_KEY))
    secrets = {KEY_1: SECRET}
    keys = {KEY_1: public_pem(ED_KEY), KEY_2: public_pem(RSA_KEY)}
    emulator = Emulator(api_keys={KEY_1, KEY_2}, api_secrets=secrets, public_keys=keys)
    async with emulator:

        def client(**kwargs: Any) -> AsyncClient:
            kwargs["api_key"] = KEY_2 if kwargs.get("private_key") == "rsa.pem" else KEY_1
            if "api_secret" in kwargs:
                kwargs["api_secret"] = SECRET
            return AsyncClient(url=emulator.url, **kwargs)

        namespace["AsyncClient"] = client
        await namespace["main"]()
    assert capsys.readouterr().out == "NEW\nNEW\nNEW\n"
    signed = [r for r in emulator.requests if r["method"].startswith("order.")]
    assert len(signed) == 9 and all("signature" in r["params"] for r in signed)
    assert {r["params"]["apiKey"] for r in signed} == {KEY_1, KEY_2}


async def test_a_request_sent_again_is_stamped_and_signed_again() -> None:
    emulator, credentials = emulator_for("HMAC")
    async with emulator, AsyncClient(api_key=KEY_1, url=emulator.url, **credentials) as client:
        emulator.faults.fail_next(1, status=503)  # not executed; retried after a backoff
        assert (await client.account.balance_v2()).result[0].asset == "USDT"
    first, second = (r["params"] for r in emulator.requests)
    assert second["timestamp"] > first["timestamp"]
    signer = make_signer(SECRET, None, None)
    assert signer is not None
    assert [signer(first), signer(second)] == [first["signature"], second["signature"]]
    assert first["signature"] != second["signature"]
