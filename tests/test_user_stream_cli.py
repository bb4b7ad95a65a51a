"""The ``events`` command, run as a subprocess against an in-process emulator."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

from binance_usdm_ws.testing import Emulator

from .conftest import KEY_1
from .test_user_stream import GUARD, strategy_update, until


async def test_events_command_prints_json_lines_until_interrupted(emulator: Emulator) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "BINANCE_API_KEY": KEY_1}
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "binance_usdm_ws", "events", "--url", emulator.url, "--json"],
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        ready = await asyncio.wait_for(proc.stderr.readline(), 30)
        assert b"listening to the user data stream" in ready
        await emulator.streams.push(KEY_1, strategy_update(1))
        await emulator.streams.disconnect()
        await until(lambda: emulator.streams.open_sockets == 1)
        await emulator.streams.push(KEY_1, {"e": "SOMETHING_NEW", "E": 2})
        lines = [json.loads(await asyncio.wait_for(proc.stdout.readline(), GUARD)) for _ in "123"]
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        rest = (await proc.stderr.read()).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert lines[0] == strategy_update(1)
    assert lines[1]["event"] == "StreamGap" and lines[1]["reason"] == "disconnected"
    assert lines[2] == {"e": "SOMETHING_NEW", "E": 2}
    assert KEY_1 not in rest and "Traceback" not in rest
    assert emulator.listen_key(KEY_1) is not None  # the shared key is left open


async def test_events_command_text_output(emulator: Emulator) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "binance_usdm_ws", "events", "--url", emulator.url],
        "--api-key",
        KEY_1,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        await asyncio.wait_for(proc.stderr.readline(), 30)
        await emulator.streams.push(KEY_1, strategy_update(1_767_225_600_123))
        line = (await asyncio.wait_for(proc.stdout.readline(), GUARD)).decode()
        proc.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert re.match(
        r"2026-01-01 00:00:00\.123 StrategyUpdateEvent\(event_type='STRATEGY_UPDATE'", line
    )
