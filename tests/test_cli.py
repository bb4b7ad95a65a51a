"""The command line, run as a subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys

from binance_usdm_ws import AsyncClient
from binance_usdm_ws._cli import DEMO_API_KEY

from .conftest import KEY_1

CLI = [sys.executable, "-m", "binance_usdm_ws"]


def test_demo_prints_a_listen_key_and_rate_limits() -> None:
    proc = subprocess.run([*CLI, "demo"], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    key = re.search(r"userDataStream.start -> .*listen_key='([A-Za-z0-9]{64})'", out)
    assert key, out
    assert f"listen key {key.group(1)}" in out  # ping returned the same key
    assert "userDataStream.stop -> UserDataStreamStopResult()" in out
    assert re.search(r"rate limits: REQUEST_WEIGHT \d+/2400 per 1 MINUTE", out)
    assert DEMO_API_KEY not in out + proc.stderr


async def test_emulator_command_serves_until_stopped() -> None:
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "emulator",
        "--port",
        "0",
        "--api-key",
        KEY_1,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        url = re.search(r"(ws://127\.0\.0\.1:\d+/ws-fapi/v1)", line)
        assert url, line
        assert KEY_1 not in line
        async with AsyncClient(api_key=KEY_1, url=url.group(1)) as client:
            started = await client.user_data_stream.start()
        assert len(started.result.listen_key) == 64
    finally:
        proc.terminate()
        await proc.wait()


def test_usage_error_exits_2() -> None:
    proc = subprocess.run([*CLI, "nonsense"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
