"""TLS on by default, no clear-text keys by accident, no eval/pickle/shell in the runtime."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from binance_usdm_ws import AsyncClient, ConnectionClosedError, ConnectionSettings
from binance_usdm_ws.testing import Emulator

from .conftest import KEY_1, ROOT

RUNTIME = ROOT / "src" / "binance_usdm_ws"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_is_verified_by_default(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    async with Emulator(api_keys={KEY_1}, ssl=server_context) as emulator:
        assert emulator.url.startswith("wss://")
        # A self-signed certificate is refused by default ...
        with pytest.raises(ConnectionClosedError, match="CERTIFICATE_VERIFY_FAILED"):
            await AsyncClient(api_key=KEY_1, url=emulator.url).connect()
        # ... and accepted when the caller trusts it explicitly.
        trusting = ssl.create_default_context(cafile=str(cert))
        async with AsyncClient(
            api_key=KEY_1, url=emulator.url, connection=ConnectionSettings(ssl=trusting)
        ) as client:
            assert (await client.user_data_stream.start()).status == 200


def test_no_eval_pickle_or_shell_in_the_runtime() -> None:
    forbidden = re.compile(
        r"(?<![\w.])(eval|exec|compile|__import__)\s*\(|\bpickle\b|\bmarshal\b|\bshelve\b"
        r"|\bsubprocess\b|\bos\.system\b|\bos\.popen\b|shell\s*=\s*True"
    )
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted(RUNTIME.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if forbidden.search(line)
    ]
    assert offenders == []
    assert len(list(RUNTIME.rglob("*.py"))) > 10  # the scan saw the package
