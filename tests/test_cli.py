"""The command line, run as a subprocess against an emulator."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal

import pytest

from binance_usdm_ws import AsyncClient
from binance_usdm_ws._cli import DEMO_API_KEY
from binance_usdm_ws.testing import Emulator
from binance_usdm_ws.testing._prices import walk

from .conftest import KEY_1

CLI = [sys.executable, "-m", "binance_usdm_ws"]
ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}
ENV.pop("BINANCE_API_KEY", None)


@pytest.fixture
def threaded_emulator() -> Iterator[Emulator]:
    with Emulator(api_keys={KEY_1}) as emulator:
        yield emulator


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, env=env or ENV, check=False
    )


def test_start_ping_stop(threaded_emulator: Emulator) -> None:
    url = threaded_emulator.url
    started = cli("start", "--url", url, "--api-key", KEY_1)
    assert started.returncode == 0, started.stderr
    key = threaded_emulator.listen_key(KEY_1)
    assert key and f"userDataStream.start: listenKey={key}" in started.stdout
    assert re.search(r"rate limits: REQUEST_WEIGHT \d+/2400 per 1 MINUTE", started.stdout)

    pong = cli("ping", "--url", url, "--json", env={**ENV, "BINANCE_API_KEY": KEY_1})
    assert pong.returncode == 0, pong.stderr
    reply = json.loads(pong.stdout)
    assert reply["method"] == "userDataStream.ping"
    assert reply["status"] == 200 and reply["result"] == {"listenKey": key}
    assert reply["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"

    stopped = cli("stop", "--url", url, "--api-key", KEY_1)
    assert stopped.returncode == 0 and "userDataStream.stop: ok" in stopped.stdout
    assert threaded_emulator.listen_key(KEY_1) is None
    for proc in (started, pong, stopped):
        assert KEY_1 not in proc.stdout + proc.stderr


def test_api_error_is_one_line_and_exit_1(threaded_emulator: Emulator) -> None:
    proc = cli("ping", "--url", threaded_emulator.url, "--api-key", KEY_1, "-vv")
    assert proc.returncode == 1
    assert "error: status 400, code -1125: This listenKey does not exist.\n" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert KEY_1 not in proc.stdout + proc.stderr  # not even in DEBUG logs
    unknown = cli("start", "--url", threaded_emulator.url, "--api-key", "unknownKey9")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().endswith(
        "error: status 401, code -2015: Invalid API-key, IP, or permissions for action."
    )


def test_connection_failure_exits_1() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = cli("start", "--url", f"ws://127.0.0.1:{port}/ws-fapi/v1", "--api-key", KEY_1)
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: cannot connect")
    assert "Traceback" not in proc.stderr


def test_usage_errors_exit_2() -> None:
    missing = cli("start", "--url", "ws://127.0.0.1:1/x")
    assert missing.returncode == 2 and "--api-key or set BINANCE_API_KEY" in missing.stderr
    insecure = cli("start", "--url", "ws://example.com/x", "--api-key", KEY_1)
    assert insecure.returncode == 2 and "clear text" in insecure.stderr
    both = cli("start", "--testnet", "--url", "wss://x/y", "--api-key", KEY_1)
    assert both.returncode == 2
    nonsense = cli("nonsense")
    assert nonsense.returncode == 2 and "invalid choice" in nonsense.stderr


def test_keepalive_renews_until_interrupted_then_closes_the_key(
    threaded_emulator: Emulator,
) -> None:
    proc = subprocess.Popen(
        [
            *CLI,
            "keepalive",
            "--url",
            threaded_emulator.url,
            "--api-key",
            KEY_1,
            "--interval",
            "0.2",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        events = []
        for line in proc.stdout:
            events.append(json.loads(line))
            if sum(e["event"] == "ListenKeyRenewed" for e in events) == 2:
                break
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    events += [json.loads(line) for line in out.splitlines()]
    assert proc.returncode == 0, err
    assert [e["event"] for e in events][0] == "ListenKeyStarted"
    assert events[-1]["event"] == "ListenKeyStopped" and events[-1]["closed"] is True
    assert threaded_emulator.listen_key(KEY_1) is None
    assert all(e["apiKey"] == "k1Te…" for e in events)
    assert KEY_1 not in out + err


def test_demo_prints_a_listen_key_and_rate_limits() -> None:
    proc = cli("demo")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    key = re.search(r"userDataStream.start -> .*listen_key='([A-Za-z0-9]{64})'", out)
    assert key, out
    assert f"listen key {key.group(1)}" in out  # ping returned the same key
    assert "userDataStream.stop -> UserDataStreamStopResult()" in out
    assert re.search(r"rate limits: REQUEST_WEIGHT \d+/2400 per 1 MINUTE", out)
    assert len(re.findall(r"renewed listenKey", out)) >= 5
    assert "after 3 h the emulator still holds the key: True" in out
    assert DEMO_API_KEY not in out + proc.stderr


async def start_emulator(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    """Run ``binance-usdm-ws emulator --port 0 ARGS``; return it and its banner's lines."""
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        "emulator",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=ENV,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or "prices:" not in lines[-1]:
        line = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode()
        assert line, f"the emulator exited: {lines}"
        lines.append(line)
    return proc, lines


async def stop_emulator(proc: asyncio.subprocess.Process) -> tuple[str, str]:
    """Stop it with Ctrl-C; check it exits 0; return the rest of its stdout, and its stderr."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGINT)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err
    return out.decode(), err.decode()


def banner_accounts(lines: list[str]) -> dict[str, str]:
    found = (re.search(r"account: +--api-key (\S+) --api-secret (\S+)$", line) for line in lines)
    return dict(m.groups() for m in found if m)


async def test_emulator_command_serves_until_stopped() -> None:
    proc, lines = await start_emulator("--api-key", KEY_1)
    try:
        url = re.search(r"(ws://127\.0\.0\.1:\d+/ws-fapi/v1)", lines[0])
        assert url, lines
        assert KEY_1 not in lines[0]
        assert f"user data streams:  {url.group(1).replace('/ws-fapi/v1', '/private/ws')}" in (
            "".join(lines)
        )
        accounts = banner_accounts(lines)
        assert list(accounts) == [KEY_1] and re.fullmatch("[0-9a-f]{64}", accounts[KEY_1])
        async with AsyncClient(api_key=KEY_1, url=url.group(1)) as client:
            started = await client.user_data_stream.start()
        assert len(started.result.listen_key) == 64
    finally:
        await stop_emulator(proc)


async def test_emulator_command_prints_working_credentials_never_logged() -> None:
    proc, lines = await start_emulator(
        "-vv", "--api-key", "given-key:given-secret", "--api-key", "k2"
    )
    try:
        accounts = banner_accounts(lines)
        assert list(accounts) == ["given-key", "k2"] and accounts["given-key"] == "given-secret"
        url = lines[0].split()[3].rstrip(";")
        for api_key, secret in accounts.items():  # signed calls: the secrets are the emulator's
            async with AsyncClient(api_key=api_key, api_secret=secret, url=url) as client:
                assert (await client.account.balance_v2()).result[0].asset == "USDT"
    finally:
        _, err = await stop_emulator(proc)
    assert "given-secret" not in err and accounts["k2"] not in err  # logging (-vv) never has them
    assert "DEBUG" in err


async def test_emulator_command_generates_an_account() -> None:
    proc, lines = await start_emulator()
    try:
        [(api_key, secret)] = banner_accounts(lines).items()
        assert re.fullmatch("[0-9a-f]{64}", api_key) and re.fullmatch("[0-9a-f]{64}", secret)
        assert "BTCUSDT 50000.00, constant, every 1 s" in lines[-1]
    finally:
        await stop_emulator(proc)


async def test_emulator_command_walks_the_price_from_its_seed() -> None:
    proc, lines = await start_emulator(
        "--prices", "walk", "--seed", "7", "--interval", "0.01", "--symbol", "ETHUSDT"
    )
    try:
        assert "ETHUSDT 3000.00, walk (seed 7), every 0.01 s" in lines[-1]
        url = lines[0].split()[3].rstrip(";")
        expected = list(itertools.islice(walk("3000.00", "0.01", 7), 10_000))
        seen: list[Decimal] = []
        async with AsyncClient(url=url) as client:
            while len(set(seen)) < 3:  # the price moves (polled, not timed)
                seen.append((await client.ticker.price(symbol="ETHUSDT")).result.price)
        assert seen[0] == Decimal("3000.00") or seen[0] in expected
        assert all(price in expected for price in seen[1:])  # every price is the seed's walk
        assert (await asyncio.to_thread(cli, "ticker", "price", "--url", url)).returncode == 0
    finally:
        await stop_emulator(proc)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--symbol", "XRPUSDT"], "--symbol XRPUSDT needs --price"),
        (["--interval", "0"], "--interval must be positive"),
        (["--prices", "jump"], "invalid choice: 'jump'"),
        (["--api-key", ":secret"], "no API key"),
    ],
)
def test_emulator_command_usage_errors(args: list[str], message: str) -> None:
    proc = cli("emulator", "--port", "0", *args)
    assert proc.returncode == 2 and message in proc.stderr


async def test_emulator_command_adds_a_symbol_at_its_price() -> None:
    proc, lines = await start_emulator("--symbol", "XRPUSDT", "--price", "0.5000")
    try:
        url = lines[0].split()[3].rstrip(";")
        async with AsyncClient(url=url) as client:
            ticker = await client.ticker.price(symbol="XRPUSDT")
        assert ticker.result.price == Decimal("0.5000")
    finally:
        await stop_emulator(proc)
