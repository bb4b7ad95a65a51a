"""The commands generated from the schema (``binance-usdm-ws order place ...``): help, bad
values refused before sending, --json, and end to end against the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from websockets.sync.client import connect

from binance_usdm_ws._cli import main
from binance_usdm_ws._generated.cli import COMMANDS
from binance_usdm_ws._generated.methods import METHODS
from binance_usdm_ws.testing import Emulator

from .conftest import KEY_1
from .test_cli import ENV, cli

ORDER = ["--symbol", "BTCUSDT", "--side", "BUY", "--type", "LIMIT", "--quantity", "0.01"]
ORDER += ["--price", "50000", "--time-in-force", "GTC"]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    with Emulator(api_keys={KEY_1}) as emulator:
        yield emulator


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``main`` in process: (exit status, stdout, stderr)."""
    try:
        status = main(list(args))
    except SystemExit as exc:
        status = int(exc.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def _emulator_knows(methods: list[str]) -> set[str]:
    """The methods the emulator answers (not with ``Unknown method``) today."""
    known = set()
    with Emulator(api_keys={KEY_1}) as emulator, connect(emulator.url) as ws:
        for n, method in enumerate(methods):
            ws.send(json.dumps({"id": n, "method": method, "params": {}}))
            reply = json.loads(ws.recv(timeout=10))
            if not reply.get("error", {}).get("msg", "").startswith("Unknown method"):
                known.add(method)
    return known


KNOWN = _emulator_knows(["ticker.price", "ticker.book", "depth", "v2/account.balance"])


def needs(method: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(method not in KNOWN, reason=f"the emulator does not answer {method}")


def test_every_method_is_a_command() -> None:
    commands = {c.method: (c.group, c.name) for c in COMMANDS}
    assert set(commands) == set(METHODS)
    assert commands["v2/account.balance"] == ("account", "balance-v2")
    assert commands["userDataStream.ping"] == ("user-data-stream", "ping")
    assert commands["algoOrder.place"] == ("algo-order", "place")
    assert commands["depth"] == (None, "depth")


def test_help_lists_types_required_enums_and_descriptions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "order", "place", "--help")
    assert status == 0
    text = " ".join(out.split())  # argparse wraps the help
    assert "New Order (TRADE). Send in a new order. (wire method order.place" in text
    assert "--side SIDE enum, required: BUY | SELL" in text
    assert "--symbol SYMBOL string, required" in text
    assert "--quantity QUANTITY decimal, optional. Cannot be sent with `closePosition`" in text
    assert "--time-in-force TIME_IN_FORCE enum, optional: GTC | IOC | FOK | GTX | GTD" in text
    assert "--good-till-date GOOD_TILL_DATE integer, optional. order cancel time" in text
    assert "max 10 where 1 for 1%" in text  # a % in the docs is not a format
    assert "--api-key API_KEY" in text and "--json" in text
    status, out, _ = run(capsys, "--help")
    assert status == 0
    for command in ("order", "account", "user-data-stream", "depth", "start", "emulator"):
        assert re.search(rf"^\s+{command}\s", out, re.M), command


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (["--side", "UP"], "argument --side: invalid choice: 'UP' (choose from 'BUY', 'SELL')"),
        (["--quantity", "0.0l"], "argument --quantity: not a decimal: '0.0l'"),
        (["--price", "NaN"], "argument --price: not a decimal: 'NaN'"),
        (["--good-till-date", "soon"], "argument --good-till-date: invalid int value: 'soon'"),
        (["--type", "LIMITED"], "argument --type: invalid choice: 'LIMITED'"),
    ],
)
def test_a_bad_value_is_one_line_exit_2_and_nothing_is_sent(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], change: list[str], error: str
) -> None:
    args = [*ORDER, *change, "--url", emulator.url, "--api-key", KEY_1]
    status, out, err = run(capsys, "order", "place", *args)
    assert status == 2 and out == ""
    usage, line = err.splitlines()  # argparse's usage line, then the error
    assert usage == "usage: binance-usdm-ws order place [options]"
    assert line.startswith(f"binance-usdm-ws order place: error: {error}"), line
    assert not emulator.requests


def test_missing_required_options_and_either_or_pairs_exit_2(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    connection = ["--url", emulator.url, "--api-key", KEY_1]
    status, _, err = run(capsys, "order", "place", "--side", "BUY", *connection)
    assert status == 2
    assert err.splitlines()[-1].endswith("the following arguments are required: --symbol, --type")
    status, _, err = run(capsys, "order", "cancel", "--symbol", "BTCUSDT", *connection)
    assert status == 2 and len(err.splitlines()) == 2
    assert "send orderId or origClientOrderId" in err
    status, _, err = run(capsys, "order", "place", *ORDER, "--time", "GTD", *connection)
    assert status == 2 and "unrecognized arguments: --time GTD" in err  # no abbreviations
    status, _, err = run(capsys, "account", "balance-v2", "--url", emulator.url)
    assert status == 2 and "--api-key or set BINANCE_API_KEY" in err
    assert not emulator.requests


def test_json_is_one_object(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "session", "status", "--url", emulator.url, "--json")
    assert status == 0, err
    (line,) = out.splitlines()
    reply = json.loads(line)
    assert reply["method"] == "session.status" and reply["status"] == 200
    assert set(reply["result"]) >= {"connectedSince", "serverTime", "returnRateLimits"}
    assert reply["rateLimits"][0]["rateLimitType"] == "REQUEST_WEIGHT"
    assert [r["method"] for r in emulator.requests] == ["session.status"]


def test_user_data_stream_end_to_end(emulator: Emulator) -> None:
    url = ["--url", emulator.url]
    started = cli("user-data-stream", "start", *url, "--api-key", KEY_1)
    assert started.returncode == 0, started.stderr
    key = emulator.listen_key(KEY_1)
    assert key and started.stdout.startswith(f"userDataStream.start: listenKey={key}\n")
    assert re.search(r"^rate limits: REQUEST_WEIGHT \d+/2400 per 1 MINUTE$", started.stdout, re.M)
    pong = cli("user-data-stream", "ping", *url, "--json", env={**ENV, "BINANCE_API_KEY": KEY_1})
    assert pong.returncode == 0, pong.stderr
    assert json.loads(pong.stdout)["result"] == {"listenKey": key}
    stopped = cli("user-data-stream", "stop", *url, "--api-key", KEY_1)
    assert stopped.returncode == 0 and stopped.stdout.startswith("userDataStream.stop: ok\n")
    assert emulator.listen_key(KEY_1) is None
    gone = cli("user-data-stream", "ping", *url, "--api-key", KEY_1)
    assert gone.returncode == 1
    assert gone.stderr == "error: status 400, code -1125: This listenKey does not exist.\n"
    status = cli("session", "status", *url)  # security NONE: no API key needed
    assert status.returncode == 0 and status.stdout.startswith("session.status: apiKey=null, ")
    methods = [r["method"] for r in emulator.requests]
    assert methods == [f"userDataStream.{m}" for m in ("start", "ping", "stop", "ping")] + [
        "session.status"
    ]
    for proc in (started, pong, stopped, gone):
        assert KEY_1 not in proc.stdout + proc.stderr


def test_order_place_sends_typed_params_through_the_client(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(
        capsys, "order", "place", *ORDER, "--url", emulator.url, "--api-key", KEY_1
    )
    assert status in (0, 1), err  # until the emulator answers order.place (and signing lands)
    assert status == 0 or len(err.splitlines()) == 1
    (request,) = emulator.requests
    assert request["method"] == "order.place"
    params = dict(request["params"])
    assert isinstance(params.pop("timestamp"), int)  # filled in by the client, as for Python
    assert len(params.pop("newClientOrderId")) == 32  # generated by the client
    assert params == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "0.01",
        "price": "50000",
        "timeInForce": "GTC",
        "apiKey": KEY_1,
        "recvWindow": 5000,
    }


@needs("ticker.price")
def test_ticker_price_end_to_end(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "ticker", "price", "--symbol", "BTCUSDT", "--url", emulator.url, "--json"
    )
    assert status == 0, err
    reply = json.loads(out)
    assert reply["result"]["symbol"] == "BTCUSDT" and Decimal(reply["result"]["price"]) > 0
    status, out, err = run(capsys, "ticker", "price", "--url", emulator.url)
    assert status == 0, err
    assert "ticker.price: symbol=BTCUSDT, price=" in out


@needs("ticker.book")
def test_ticker_book_end_to_end(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(
        capsys, "ticker", "book", "--symbol", "BTCUSDT", "--url", emulator.url, "--json"
    )
    assert status == 0, err
    result = json.loads(out)["result"]
    assert result["symbol"] == "BTCUSDT"
    assert Decimal(result["bidPrice"]) <= Decimal(result["askPrice"])


@needs("depth")
def test_depth_end_to_end(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["depth", "--symbol", "BTCUSDT", "--limit", "5", "--url", emulator.url, "--json"]
    status, out, err = run(capsys, *args)
    assert status == 0, err
    result = json.loads(out)["result"]
    assert 0 < len(result["bids"]) <= 5 and 0 < len(result["asks"]) <= 5
    assert emulator.requests[-1]["params"] == {"symbol": "BTCUSDT", "limit": 5}


@needs("v2/account.balance")
def test_account_balance_v2_reaches_the_emulator(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["account", "balance-v2", "--url", emulator.url, "--api-key", KEY_1, "--json"]
    status, out, err = run(capsys, *args)
    if status == 1:  # signed: the emulator may answer -1022 until signing lands
        assert err.startswith("error: status 400, code -1022") and len(err.splitlines()) == 1
    else:
        assert status == 0, err
        assert isinstance(json.loads(out)["result"], list)
    assert emulator.requests[-1]["method"] == "v2/account.balance"


def test_signed_methods_with_binance_api_secret(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "cliSecret0123456789cliSecret0123456789cliSecret0123456789abcdef"
    with Emulator(api_keys={KEY_1}, api_secrets={KEY_1: secret}) as emulator:
        url = ["--url", emulator.url, "--api-key", KEY_1]
        status, _, err = run(capsys, "account", "balance-v2", *url)
        assert (status, err.split(":")[0]) == (1, "error")  # no secret: -1022
        assert "-1022" in err
        monkeypatch.setenv("BINANCE_API_SECRET", secret)
        status, out, err = run(capsys, "order", "place", *ORDER, *url, "-vv")
        assert status == 0, err
        assert out.startswith("order.place: orderId=")
        assert secret not in out + err
        signature = emulator.requests[-1]["params"]["signature"]
        assert signature not in out + err
        status, out, err = run(capsys, "account", "balance-v2", *url, "--json")
        assert status == 0, err
        monkeypatch.setenv("BINANCE_PRIVATE_KEY", "/nonexistent/key.pem")
        status, _, err = run(capsys, "account", "balance-v2", *url)
        assert status == 2 and "not both" in err
        monkeypatch.delenv("BINANCE_API_SECRET")
        status, _, err = run(capsys, "account", "balance-v2", *url)
        assert status == 2 and "neither PEM text nor a readable file" in err
